// Generated from the Rust types by src-tauri/src/ui_types.rs: do not edit.
// Regenerate with `UPDATE_UI_TYPES=1 cargo test -p interlog --lib ui_types`.

export type HistoryQuery = { 
/**
 * Free text typed by the user; every word must match (as a prefix) somewhere in the row.
 */
search: string | null, 
/**
 * Page size: 0 means the default (200); anything above 1000 is capped at 1000.
 */
limit: number, 
/**
 * Keyset paging: only rows with an id below this one (the last id of the previous page).
 */
beforeId: number | null, 
/**
 * Only raises at or after this time (ms since the epoch, the agent's clock).
 */
sinceMs: number | null, 
/**
 * Only raises before this time (exclusive), so consecutive periods never share a row.
 */
untilMs: number | null, 
/**
 * Only unconfirmed interactions: CreateInteraction raises without a `Created` or `Updated`
 * result (failed, rejected, cancelled, timed out, no result, or still under way).
 */
unconfirmed: boolean, 
/**
 * Only interactions of these types (`interactionType`, exactly; any of them).
 */
interactionTypes: Array<string>, 
/**
 * Only raises with one of these participants: a name or an e-mail address (or another id
 * value), matched whole and regardless of ASCII case.
 */
participants: Array<string>, 
/**
 * Only raises by one of these apps (app ids).
 */
raisers: Array<string>, 
/**
 * Only raises handled by one of these apps (app ids).
 */
handlers: Array<string>, 
/**
 * Only raises that ended (or stand) one of these ways.
 */
outcomes: Array<HistoryOutcome>, 
/**
 * Only interactions whose own `timeRange` reaches this time or later (ms since the epoch);
 * an interaction without a time range never matches a bound on it.
 */
happenedSinceMs: number | null, 
/**
 * Only interactions whose own `timeRange` starts before this time (exclusive).
 */
happenedUntilMs: number | null, };

export type HistoryOutcome = "created" | "updated" | "deleted" | "failed" | "rejected" | "no_result" | "delivery_failed" | "cancelled" | "timed_out" | "pending";

export type Person = { name: string | null, email: string | null, 
/**
 * How many raises name them.
 */
raises: number, 
/**
 * Whether the text asked about is this person's whole name or address (not only a prefix).
 */
exact: boolean, };

export type HistoryRow = { id: number, raiseKey: string, raisedAtMs: number, intent: string | null, contextType: string, interactionType: string | null, participants: Array<string>, description: string | null, raiserApp: string, raiserInstance: string, handlerApp: string | null, handlerInstance: string | null, resolution: string | null, 
/**
 * `"raised" | "resolved" | "delivered" | "completed" | "failed"`
 */
state: 'raised' | 'resolved' | 'delivered' | 'completed' | 'failed', 
/**
 * `transactionResult.status` when the result is one, e.g. `"Created"`.
 */
resultStatus: string | null, error: string | null, recordId: string | null, 
/**
 * How it ended, or stands (derived from `state`, `result_status` and `error`).
 */
outcome: HistoryOutcome, 
/**
 * It was re-sent from the history (see [`HistoryDetail::resent_as`]).
 */
resent: boolean, };

export type HistoryDetail = { row: HistoryRow, context: unknown, target: unknown | null, candidates: unknown, 
/**
 * `{"context": ..}`, `{"channel": ..}` or `{}` (void); `None` until completed or when it failed.
 */
result: unknown | null, resultMessage: string | null, resolvedAtMs: number | null, deliveredAtMs: number | null, completedAtMs: number | null, requestUuid: string, 
/**
 * The chain hash of the raise's latest seal (hex), once it has finished: see `interlog verify`.
 */
seal: string | null, 
/**
 * The raise this one re-sent (its history id), when it was re-sent from the history.
 */
resentFrom: number | null, 
/**
 * The raises that re-sent this one (history ids, oldest first).
 */
resentAs: Array<number>, };

export type ChartStack = "interactionType" | "outcome";

export type DayCount = { 
/**
 * Days since 1970-01-01 in the caller's local time (see [`crate::Ledger::per_day`]).
 */
day: number, 
/**
 * The stack: an interaction type ("" for none) or an outcome's name.
 */
key: string, count: number, };

export type ExportFormat = "csv" | "jsonl";

export type ExportProgress = { written: number, total: number, };

export type ExportDone = { path: string, written: number, };

export type RaiserRef = { appId: string, title: string, instanceId: string, };

export type ResolverOption = { 
/**
 * The number the UI sends back to pick this option.
 */
option: number, intent: string, 
/**
 * `None`: start a new instance of the app.
 */
instanceId: string | null, label: string, };

export type ResolverApp = { appId: string, title: string, description: string | null, icon: string | null, options: Array<ResolverOption>, };

export type ResolverView = { id: string, 
/**
 * `None` for `raiseIntentForContext`: each option carries its intent.
 */
intent: string | null, raiser: RaiserRef, context: unknown, deadlineMs: number, timeoutMs: number, 
/**
 * How many further requests wait behind this one.
 */
queued: number, apps: Array<ResolverApp>, };

export type ResolverChoice = { "kind": "pick", option: number, } | { "kind": "pickAndRemember", option: number, } | { "kind": "cancel" };

export type RaisedExample = { raiseKey: string, };

export type CommandError = { code: string, message: string, };

export type LauncherView = { apps: Array<LauncherApp>, 
/**
 * Whether the bundled sample apps are among the directory's sources (the empty state
 * offers to add them when they are not).
 */
samplesListed: boolean, };

export type LauncherApp = { appId: string, title: string, description: string | null, 
/**
 * A `data:` URL, or none (a letter avatar is shown).
 */
icon: string | null, kind: AppKind, instances: Array<LauncherInstance>, };

export type AppKind = "web" | "native" | "other";

export type LauncherInstance = { instanceId: string, channel: ChannelBadge | null, 
/**
 * It is in an Interlog window (which can be focused and closed from the launcher).
 */
inWindow: boolean, notResponding: boolean, };

export type ChannelBadge = { id: string, name: string, color: string | null, };

export type OwnWindow = "launcher" | "history" | "settings";

export type HistorySearch = { search: string, title: string | null, };

export type SourcesView = { sources: Array<{ source: string, origin: 'settings' | 'commandLine' }>, problems: Array<string>, settingsFile: string, };

export type SourceCheck = { source: string, apps: Array<string>, problems: Array<string>, };

export type RememberedChoice = { intent: string, contextType: string, 
/**
 * The raising app the choice is for.
 */
raiserAppId: string, 
/**
 * The app that handles it.
 */
appId: string, };

export type RetentionView = { 
/**
 * Days records are kept; null: forever.
 */
days: number | null, 
/**
 * Records raised before that many days ago (up to `countCap`): what goes at the next pass.
 */
expiring: number, countCap: number, };
