//! The values that go into and come out of the ledger. They are also the JSON the history UI receives,
//! hence the camelCase serde names.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// One write for the ledger: journaled, then applied to the rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum LedgerWrite {
    /// Written before delivery. `raise_key` is the agent's unique id for this raise (a UUID string).
    Raised(RaiseRecord),
    /// The resolver picked / cancelled / timed out; handler chosen.
    Resolved {
        raise_key: String,
        at_ms: i64,
        resolution: Resolution,
        handler_app: Option<String>,
        handler_instance: Option<String>,
    },
    /// The intentEvent was sent to the handler.
    Delivered { raise_key: String, at_ms: i64 },
    /// Final outcome: a result (context / channel / void) or an FDC3 error string.
    Completed {
        raise_key: String,
        at_ms: i64,
        outcome: Outcome,
    },
    /// The built-in Interaction Log stored an interaction (context JSON with its id added). `record_id`
    /// is what the transactionResult message quotes.
    InteractionLogged {
        record_id: String,
        raise_key: Option<String>,
        at_ms: i64,
        interaction: Value,
    },
    /// The user re-sent the raise with history id `original_id` from the history: the new raise
    /// is the one with `request_uuid` (raised as Interlog's window at about `at_ms`).
    Resent {
        request_uuid: String,
        original_id: i64,
        at_ms: i64,
    },
    /// Retention: remove up to `max_rows` of the oldest records finished before `before_ms`
    /// (see `retention.rs`), at `at_ms`.
    Expire {
        before_ms: i64,
        max_rows: u32,
        at_ms: i64,
    },
}

impl LedgerWrite {
    /// The raise this write belongs to, for log lines.
    pub fn raise_key(&self) -> Option<&str> {
        match self {
            LedgerWrite::Raised(r) => Some(&r.raise_key),
            LedgerWrite::Resolved { raise_key, .. }
            | LedgerWrite::Delivered { raise_key, .. }
            | LedgerWrite::Completed { raise_key, .. } => Some(raise_key),
            LedgerWrite::InteractionLogged { raise_key, .. } => raise_key.as_deref(),
            LedgerWrite::Resent { .. } | LedgerWrite::Expire { .. } => None,
        }
    }
}

/// Everything known about a raise at the moment it is accepted, before anything is delivered.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RaiseRecord {
    pub raise_key: String,
    pub raised_at_ms: i64,
    pub raiser_app: String,
    pub raiser_instance: String,
    pub request_uuid: String,
    /// `None` for raiseIntentForContext until resolved.
    pub intent: Option<String>,
    /// As the agent serialized it: journaled and stored as it is.
    pub context: JsonText,
    pub target: Option<Value>,
    pub candidates: Value,
}

// The ledger's vocabulary for how a raise was resolved and how it ended is the agent's own.
pub use interlog_core::agent::{Resolution, ResultOutcome as Outcome};
pub use interlog_core::JsonText;

/// A page request for the history list.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct HistoryQuery {
    /// Free text typed by the user; every word must match (as a prefix) somewhere in the row.
    pub search: Option<String>,
    /// Page size: 0 means the default (200); anything above 1000 is capped at 1000.
    pub limit: u32,
    /// Keyset paging: only rows with an id below this one (the last id of the previous page).
    pub before_id: Option<i64>,
    /// Only raises at or after this time (ms since the epoch, the agent's clock).
    pub since_ms: Option<i64>,
    /// Only raises before this time (exclusive), so consecutive periods never share a row.
    pub until_ms: Option<i64>,
    /// Only unconfirmed interactions: CreateInteraction raises without a `Created` or `Updated`
    /// result (failed, rejected, cancelled, timed out, no result, or still under way).
    pub unconfirmed: bool,
    /// Only interactions of these types (`interactionType`, exactly; any of them).
    pub interaction_types: Vec<String>,
    /// Only raises with one of these participants: a name or an e-mail address (or another id
    /// value), matched whole and regardless of ASCII case.
    pub participants: Vec<String>,
    /// Only raises by one of these apps (app ids).
    pub raisers: Vec<String>,
    /// Only raises handled by one of these apps (app ids).
    pub handlers: Vec<String>,
    /// Only raises that ended (or stand) one of these ways.
    pub outcomes: Vec<HistoryOutcome>,
    /// Only interactions whose own `timeRange` reaches this time or later (ms since the epoch);
    /// an interaction without a time range never matches a bound on it.
    pub happened_since_ms: Option<i64>,
    /// Only interactions whose own `timeRange` starts before this time (exclusive).
    pub happened_until_ms: Option<i64>,
}

/// How a raise ended, or stands, as the history's outcome filter names it. Spelled once: the
/// store's SQL, the CLI's `--outcome` and the window's chips all use this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HistoryOutcome {
    /// The handler's `fdc3.transactionResult` said `Created`.
    Created,
    Updated,
    Deleted,
    /// The handler's transaction result said `Failed`.
    Failed,
    /// The handler rejected the intent (`IntentHandlerRejected`).
    Rejected,
    /// It ended without a result, or with a result that is not a transaction result.
    NoResult,
    /// It never reached a handler that answered: no app, launch failed, handler gone.
    DeliveryFailed,
    /// The user cancelled the resolver.
    Cancelled,
    /// The resolver or the app's launch timed out.
    TimedOut,
    /// Still under way (or stopped by a crash before it ended).
    Pending,
}

impl HistoryOutcome {
    pub const ALL: [HistoryOutcome; 10] = [
        HistoryOutcome::Created,
        HistoryOutcome::Updated,
        HistoryOutcome::Deleted,
        HistoryOutcome::Failed,
        HistoryOutcome::Rejected,
        HistoryOutcome::NoResult,
        HistoryOutcome::DeliveryFailed,
        HistoryOutcome::Cancelled,
        HistoryOutcome::TimedOut,
        HistoryOutcome::Pending,
    ];

    /// The name used on the command line and in JSON (`no_result`, `timed_out`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryOutcome::Created => "created",
            HistoryOutcome::Updated => "updated",
            HistoryOutcome::Deleted => "deleted",
            HistoryOutcome::Failed => "failed",
            HistoryOutcome::Rejected => "rejected",
            HistoryOutcome::NoResult => "no_result",
            HistoryOutcome::DeliveryFailed => "delivery_failed",
            HistoryOutcome::Cancelled => "cancelled",
            HistoryOutcome::TimedOut => "timed_out",
            HistoryOutcome::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<HistoryOutcome> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Self::ALL.into_iter().find(|o| o.as_str() == wanted)
    }

    /// Whether a raise with this outcome can be `Created` or `Updated`: the only two outside the
    /// `raises_unsettled` partial index.
    pub(crate) fn is_settled(self) -> bool {
        matches!(self, HistoryOutcome::Created | HistoryOutcome::Updated)
    }
}

/// A person the ledger has seen among an interaction's participants: a suggestion for the
/// participant filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub name: Option<String>,
    pub email: Option<String>,
    /// How many raises name them.
    pub raises: i64,
    /// Whether the text asked about is this person's whole name or address (not only a prefix).
    pub exact: bool,
}

/// What the history's per-day chart stacks its bars by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ChartStack {
    /// The interaction's type (`interactionType`); raises without one are stacked as "".
    InteractionType,
    /// The row's [`HistoryOutcome`].
    Outcome,
}

/// How many of the rows a query selects were raised on one day, with one stack value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DayCount {
    /// Days since 1970-01-01 in the caller's local time (see [`crate::Ledger::per_day`]).
    pub day: i64,
    /// The stack: an interaction type ("" for none) or an outcome's name.
    pub key: String,
    #[ts(type = "number")]
    pub count: u64,
}

impl HistoryQuery {
    pub const DEFAULT_LIMIT: u32 = 200;
    pub const MAX_LIMIT: u32 = 1000;

    /// The page size actually used.
    pub fn effective_limit(&self) -> u32 {
        match self.limit {
            0 => Self::DEFAULT_LIMIT,
            n => n.min(Self::MAX_LIMIT),
        }
    }
}

impl Default for HistoryQuery {
    fn default() -> Self {
        HistoryQuery {
            search: None,
            limit: Self::DEFAULT_LIMIT,
            before_id: None,
            since_ms: None,
            until_ms: None,
            unconfirmed: false,
            interaction_types: Vec::new(),
            participants: Vec::new(),
            raisers: Vec::new(),
            handlers: Vec::new(),
            outcomes: Vec::new(),
            happened_since_ms: None,
            happened_until_ms: None,
        }
    }
}

/// One line of the history list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRow {
    pub id: i64,
    pub raise_key: String,
    pub raised_at_ms: i64,
    pub intent: Option<String>,
    pub context_type: String,
    pub interaction_type: Option<String>,
    pub participants: Vec<String>,
    pub description: Option<String>,
    pub raiser_app: String,
    pub raiser_instance: String,
    pub handler_app: Option<String>,
    pub handler_instance: Option<String>,
    pub resolution: Option<String>,
    /// `"raised" | "resolved" | "delivered" | "completed" | "failed"`
    #[ts(type = "'raised' | 'resolved' | 'delivered' | 'completed' | 'failed'")]
    pub state: String,
    /// `transactionResult.status` when the result is one, e.g. `"Created"`.
    pub result_status: Option<String>,
    pub error: Option<String>,
    pub record_id: Option<String>,
    /// How it ended, or stands (derived from `state`, `result_status` and `error`).
    pub outcome: HistoryOutcome,
    /// It was re-sent from the history (see [`HistoryDetail::resent_as`]).
    pub resent: bool,
}

/// Everything stored about one raise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryDetail {
    pub row: HistoryRow,
    #[ts(type = "unknown")]
    pub context: Value,
    #[ts(type = "unknown | null")]
    pub target: Option<Value>,
    #[ts(type = "unknown")]
    pub candidates: Value,
    /// `{"context": ..}`, `{"channel": ..}` or `{}` (void); `None` until completed or when it failed.
    #[ts(type = "unknown | null")]
    pub result: Option<Value>,
    pub result_message: Option<String>,
    pub resolved_at_ms: Option<i64>,
    pub delivered_at_ms: Option<i64>,
    pub completed_at_ms: Option<i64>,
    pub request_uuid: String,
    /// The chain hash of the raise's latest seal (hex), once it has finished: see `interlog verify`.
    pub seal: Option<String>,
    /// The raise this one re-sent (its history id), when it was re-sent from the history.
    pub resent_from: Option<i64>,
    /// The raises that re-sent this one (history ids, oldest first).
    pub resent_as: Vec<i64>,
}
