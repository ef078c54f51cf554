// The only module that talks to Tauri. Everything else goes through these
// typed functions, so the contract with the Rust side lives in one place.
import { Channel, invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  RetentionView,
  ChartStack,
  DayCount,
  ExportDone,
  ExportFormat,
  ExportProgress,
  HistorySearch,
  LauncherView,
  OwnWindow,
  RememberedChoice,
  SourceCheck,
  SourcesView,
  HistoryDetail,
  HistoryQuery,
  HistoryRow,
  Person,
  IpcErrorPayload,
  RaiseExampleResult,
  ResolverChoice,
  ResolverView,
} from './types';

export type * from './types';
export type { UnlistenFn };

/** A rejected command, normalised to `{ code, message }`. */
export class IpcError extends Error implements IpcErrorPayload {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'IpcError';
    this.code = code;
  }
}

function isErrorPayload(value: unknown): value is IpcErrorPayload {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['code'] === 'string' && typeof v['message'] === 'string';
}

/** Turns whatever a command rejected with into an IpcError. */
export function toIpcError(reason: unknown): IpcError {
  if (reason instanceof IpcError) return reason;
  if (isErrorPayload(reason)) return new IpcError(reason.code, reason.message);
  // Tauri itself rejects with a plain string (unknown command, denied by ACL, ...).
  if (typeof reason === 'string') return new IpcError('ipc', reason);
  if (reason instanceof Error) return new IpcError('ipc', reason.message);
  return new IpcError('ipc', 'Unexpected error from the agent');
}

async function call<T>(command: string, args: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toIpcError(reason);
  }
}

// ---- commands -------------------------------------------------------------

export function historyList(query: HistoryQuery): Promise<HistoryRow[]> {
  return call<HistoryRow[]>('history_list', { query });
}

export function historyDetail(id: number): Promise<HistoryDetail | null> {
  return call<HistoryDetail | null>('history_detail', { id });
}

/** How many rows the query selects (page size aside), counted up to 10,000 ("at least"). */
export function historyCount(query: HistoryQuery): Promise<number> {
  return call<number>('history_count', { query });
}

/** Re-sends an unconfirmed interaction from Interlog's window (the resolver offers every handler). */
export function historyResend(id: number): Promise<RaiseExampleResult> {
  return call<RaiseExampleResult>('history_resend', { id });
}

/** How many rows the query selects per local day (the chart), stacked by type or outcome. */
export function historyChart(query: HistoryQuery, stack: ChartStack): Promise<DayCount[]> {
  // getTimezoneOffset is minutes west of UTC; the store takes minutes east.
  return call<DayCount[]>('history_chart', { query, utcOffsetMinutes: -new Date().getTimezoneOffset(), stack });
}

/** Writes every row the query selects to `path`; `onProgress` is told as it goes. */
export function historyExport(query: HistoryQuery, format: ExportFormat, path: string, onProgress: (p: ExportProgress) => void): Promise<ExportDone> {
  const channel = new Channel<ExportProgress>();
  channel.onmessage = onProgress;
  return call<ExportDone>('history_export', { query, format, path, onProgress: channel });
}

/** Stops the export running (nothing is written). False when none runs. */
export function historyExportCancel(): Promise<boolean> {
  return call<boolean>('history_export_cancel', {});
}

/** Where an export goes unless the user says otherwise (downloads folder, dated name). */
export function historyExportSuggest(format: ExportFormat): Promise<string> {
  return call<string>('history_export_suggest', { format });
}

/** The desktop's save dialog, starting at `path`: the path chosen, or null. */
export function historyExportChoose(path: string): Promise<string | null> {
  return call<string | null>('history_export_choose', { path });
}

/** The count above which `historyCount` stops counting. */
export const HISTORY_COUNT_CAP = 10_000;

/** People named in the ledger that `typed` may mean (participant filter suggestions). */
export function historyPeople(typed: string): Promise<Person[]> {
  return call<Person[]>('history_people', { typed });
}

/** How many unconfirmed interactions (no Created/Updated result) the ledger holds. */
export function historyUnconfirmed(): Promise<number> {
  return call<number>('history_unconfirmed', {});
}

/** Why the ledger cannot write right now (raises are held until it can), or null. */
export function ledgerHealth(): Promise<string | null> {
  return call<string | null>('ledger_health', {});
}

export function resolverCurrent(): Promise<ResolverView | null> {
  return call<ResolverView | null>('resolver_current', {});
}

export async function resolverChoose(id: string, choice: ResolverChoice): Promise<void> {
  await call<null>('resolver_choose', { id, choice });
}

export function raiseExample(): Promise<RaiseExampleResult> {
  return call<RaiseExampleResult>('raise_example', {});
}

export function launcherView(): Promise<LauncherView> {
  return call<LauncherView>('launcher_view', {});
}

/** Opens a new instance of the app (as fdc3.open does); resolves to its instanceId. */
export function launcherOpen(appId: string): Promise<string> {
  return call<string>('launcher_open', { appId });
}

export async function instanceFocus(instanceId: string): Promise<void> {
  await call<null>('instance_focus', { instanceId });
}

export async function instanceClose(instanceId: string): Promise<void> {
  await call<null>('instance_close', { instanceId });
}

/** Shows one of Interlog's windows; the history searching for `search` if given. */
export async function windowShow(window: OwnWindow, search: string | null = null): Promise<void> {
  await call<null>('window_show', { window, search });
}

export function sourcesList(): Promise<SourcesView> {
  return call<SourcesView>('sources_list', {});
}

export function sourcesCheck(source: string): Promise<SourceCheck> {
  return call<SourceCheck>('sources_check', { source });
}

/** Saves the source and applies the new directory at once. */
export function sourcesAdd(source: string): Promise<SourceCheck> {
  return call<SourceCheck>('sources_add', { source });
}

export function sourcesRemove(source: string): Promise<SourcesView> {
  return call<SourcesView>('sources_remove', { source });
}

export function rememberedList(): Promise<RememberedChoice[]> {
  return call<RememberedChoice[]>('remembered_list', {});
}

/** How long records are kept, and how many are older than that now. */
export function retentionView(): Promise<RetentionView> {
  return call<RetentionView>('retention_view', {});
}

/** What keeping records `days` (null: forever) would remove now, changing nothing. */
export function retentionPreview(days: number | null): Promise<RetentionView> {
  return call<RetentionView>('retention_preview', { days });
}

/** Keeps records `days` (null: forever) from now on: saved and applied at once. */
export function retentionSet(days: number | null): Promise<RetentionView> {
  return call<RetentionView>('retention_set', { days });
}

/** Forgets a remembered resolver choice; resolves to the list left. */
export function rememberedRemove(choice: RememberedChoice): Promise<RememberedChoice[]> {
  return call<RememberedChoice[]>('remembered_remove', { choice });
}

// ---- events ---------------------------------------------------------------

/** The user asked the resolver to remember a choice: the list is now this. */
export function onRememberedChanged(cb: (list: RememberedChoice[]) => void): Promise<UnlistenFn> {
  return listen<RememberedChoice[]>('remembered-changed', (event) => cb(event.payload));
}

/** Instances started, ended or changed channel, or the directory changed: re-read. */
export function onAppsChanged(cb: () => void): Promise<UnlistenFn> {
  return listen<null>('apps-changed', () => cb());
}

/** An app asked to see the interactions of a contact (ViewInteractions). */
export function onHistorySearch(cb: (search: HistorySearch) => void): Promise<UnlistenFn> {
  return listen<HistorySearch>('history-search', (event) => cb(event.payload));
}

/** The ledger changed (a raise recorded or moved on); the event carries nothing: re-read. */
export function onHistoryChanged(cb: () => void): Promise<UnlistenFn> {
  return listen<null>('history-changed', () => cb());
}

export function onLedgerHealth(cb: (problem: string | null) => void): Promise<UnlistenFn> {
  return listen<string | null>('ledger-health', (event) => cb(event.payload));
}

export function onResolverChanged(cb: (view: ResolverView | null) => void): Promise<UnlistenFn> {
  return listen<ResolverView | null>('resolver-changed', (event) => cb(event.payload));
}
