//! Tauri commands: each takes the state, calls the runtime, maps the error. The UI's
//! `src/ipc/` module is the only caller.

use interlog_core::agent::{ResolverChoice, ResolverView};
use interlog_store::{ChartStack, DayCount, HistoryDetail, HistoryQuery, HistoryRow, Person};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::DesktopState;

/// What a failed command gives the UI: a code it can branch on and a message to show.
#[derive(Debug, Serialize, thiserror::Error, TS)]
#[error("{message}")]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

impl CommandError {
    pub(crate) fn new(code: &'static str, message: impl std::fmt::Display) -> CommandError {
        CommandError {
            code,
            message: message.to_string(),
        }
    }
}

#[tauri::command]
pub async fn history_list(
    state: State<'_, DesktopState>,
    query: HistoryQuery,
) -> Result<Vec<HistoryRow>, CommandError> {
    let ledger = state.handle.ledger().clone();
    tauri::async_runtime::spawn_blocking(move || ledger.list(&query))
        .await
        .map_err(|e| CommandError::new("internal", e))?
        .map_err(|e| CommandError::new("store", e))
}

#[tauri::command]
pub async fn history_detail(
    state: State<'_, DesktopState>,
    id: i64,
) -> Result<Option<HistoryDetail>, CommandError> {
    let ledger = state.handle.ledger().clone();
    tauri::async_runtime::spawn_blocking(move || ledger.detail(id))
        .await
        .map_err(|e| CommandError::new("internal", e))?
        .map_err(|e| CommandError::new("store", e))
}

/// How many unconfirmed interactions the ledger holds (the history's badge).
#[tauri::command]
pub async fn history_unconfirmed(state: State<'_, DesktopState>) -> Result<u64, CommandError> {
    let ledger = state.handle.ledger().clone();
    tauri::async_runtime::spawn_blocking(move || ledger.count_unconfirmed())
        .await
        .map_err(|e| CommandError::new("internal", e))?
        .map_err(|e| CommandError::new("store", e))
}

/// The most rows the history's count line counts; above it, it says "10,000+".
pub const COUNT_CAP: u32 = 10_000;

/// How many rows the query selects, up to [`COUNT_CAP`] (the history's "N interactions").
#[tauri::command]
pub async fn history_count(
    state: State<'_, DesktopState>,
    query: HistoryQuery,
) -> Result<u64, CommandError> {
    let ledger = state.handle.ledger().clone();
    tauri::async_runtime::spawn_blocking(move || ledger.count(&query, COUNT_CAP))
        .await
        .map_err(|e| CommandError::new("internal", e))?
        .map_err(|e| CommandError::new("store", e))
}

/// The history's chart: how many rows `query` selects per local day (`utc_offset_minutes` east
/// of UTC), stacked by `stack`.
#[tauri::command]
pub async fn history_chart(
    state: State<'_, DesktopState>,
    query: HistoryQuery,
    utc_offset_minutes: i32,
    stack: ChartStack,
) -> Result<Vec<DayCount>, CommandError> {
    let ledger = state.handle.ledger().clone();
    tauri::async_runtime::spawn_blocking(move || ledger.per_day(&query, utc_offset_minutes, stack))
        .await
        .map_err(|e| CommandError::new("internal", e))?
        .map_err(|e| CommandError::new("store", e))
}

/// People named in the ledger that what the user types may mean (the participant filter).
#[tauri::command]
pub async fn history_people(
    state: State<'_, DesktopState>,
    typed: String,
) -> Result<Vec<Person>, CommandError> {
    let ledger = state.handle.ledger().clone();
    tauri::async_runtime::spawn_blocking(move || ledger.people(&typed, 6))
        .await
        .map_err(|e| CommandError::new("internal", e))?
        .map_err(|e| CommandError::new("store", e))
}

/// Re-sends an unconfirmed interaction (history id `id`): the same context raised again as
/// CreateInteraction from Interlog's window, so the resolver offers every handler, the one that
/// failed among them. The ledger links the new raise to the first; the answer is its request id.
#[tauri::command]
pub async fn history_resend(
    state: State<'_, DesktopState>,
    id: i64,
) -> Result<RaisedExample, CommandError> {
    let ledger = state.handle.ledger().clone();
    let detail = tauri::async_runtime::spawn_blocking(move || ledger.detail(id))
        .await
        .map_err(|e| CommandError::new("internal", e))?
        .map_err(|e| CommandError::new("store", e))?
        .ok_or_else(|| {
            CommandError::new("not_found", format!("no interaction #{id} in the history"))
        })?;
    if detail.row.intent.as_deref() != Some("CreateInteraction") {
        return Err(CommandError::new(
            "not_resendable",
            format!("#{id} is not a CreateInteraction raise: only interactions are re-sent"),
        ));
    }
    if matches!(
        detail.row.outcome,
        interlog_store::HistoryOutcome::Created | interlog_store::HistoryOutcome::Updated
    ) {
        return Err(CommandError::new(
            "not_resendable",
            format!(
                "#{id} was confirmed by {}: nothing to re-send",
                detail.row.handler_app.as_deref().unwrap_or("its handler")
            ),
        ));
    }
    let at_ms = interlog_server::runtime::now_ms();
    let request_uuid =
        interlog_server::ui_raiser::raise(&state.handle, "CreateInteraction", detail.context)
            .await
            .map_err(|e| CommandError::new("agent", e))?;
    // Submitted once the request is in the agent's queue: the link is durable with the ledger's
    // next commit, at the latest with the raise's own.
    state
        .handle
        .ledger()
        .submit(interlog_store::LedgerWrite::Resent {
            request_uuid: request_uuid.clone(),
            original_id: id,
            at_ms,
        });
    Ok(RaisedExample {
        raise_key: request_uuid,
    })
}

/// Why the ledger cannot write right now, or `None` while it can (see `Ledger::health`).
#[tauri::command]
pub fn ledger_health(state: State<'_, DesktopState>) -> Option<String> {
    state.handle.storage_health().current()
}

#[tauri::command]
pub async fn resolver_current(
    state: State<'_, DesktopState>,
) -> Result<Option<ResolverView>, CommandError> {
    Ok(state
        .handle
        .resolver_view()
        .await
        .map(|view| state.icons.inline(view)))
}

#[tauri::command]
pub fn resolver_choose(
    state: State<'_, DesktopState>,
    id: String,
    choice: ResolverChoice,
) -> Result<(), CommandError> {
    state.handle.resolver_choice(id, choice);
    Ok(())
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RaisedExample {
    pub raise_key: String,
}

#[tauri::command]
pub async fn raise_example(state: State<'_, DesktopState>) -> Result<RaisedExample, CommandError> {
    let now = interlog_core::message::iso_time(interlog_server::runtime::now_ms());
    let context = interlog_server::ui_raiser::example_interaction(&now);
    interlog_server::ui_raiser::raise(&state.handle, "CreateInteraction", context)
        .await
        .map(|raise_key| RaisedExample { raise_key })
        .map_err(|e| CommandError::new("agent", e))
}
