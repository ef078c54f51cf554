//! Tauri commands: each takes the state, calls the runtime, maps the error. The UI's
//! `src/ipc/` module is the only caller.

use interlog_core::agent::{ResolverChoice, ResolverView};
use interlog_store::{HistoryDetail, HistoryQuery, HistoryRow};
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
