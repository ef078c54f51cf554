//! How long the history is kept, from the settings window: read, previewed (how many records a
//! shorter time would remove now) and changed while the agent runs, saved in `settings.json`
//! (`retentionDays`).

use interlog_store::HistoryQuery;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::commands::CommandError;
use crate::DesktopState;

const KEY: &str = "retentionDays";
const DAY_MS: i64 = 86_400_000;
/// Counting stops here ("at least").
const COUNT_CAP: u32 = 100_000;

/// The retention as the settings window shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RetentionView {
    /// Days records are kept; null: forever.
    pub days: Option<u32>,
    /// Records raised before that many days ago (up to `countCap`): what goes at the next pass.
    #[ts(type = "number")]
    pub expiring: u64,
    #[ts(type = "number")]
    pub count_cap: u32,
}

async fn view(state: &DesktopState, days: Option<u32>) -> Result<RetentionView, CommandError> {
    let expiring = match days {
        Some(d) => older_than(state, d).await?,
        None => 0,
    };
    Ok(RetentionView {
        days,
        expiring,
        count_cap: COUNT_CAP,
    })
}

/// Records raised more than `days` ago (capped), counted off the async threads.
async fn older_than(state: &DesktopState, days: u32) -> Result<u64, CommandError> {
    let q = HistoryQuery {
        until_ms: Some(interlog_server::runtime::now_ms() - i64::from(days) * DAY_MS),
        ..HistoryQuery::default()
    };
    let ledger = state.handle.ledger().clone();
    tauri::async_runtime::spawn_blocking(move || ledger.count(&q, COUNT_CAP))
        .await
        .map_err(|e| CommandError::new("internal", e))?
        .map_err(|e| CommandError::new("store", e))
}

fn checked(days: Option<u32>) -> Result<Option<u32>, CommandError> {
    match days {
        Some(0) => Err(CommandError::new(
            "bad_days",
            "keep records at least one day (0 would remove every record at once)",
        )),
        Some(d) if d > 36_500 => Err(CommandError::new(
            "bad_days",
            "at most 100 years; choose \"Forever\" to keep everything",
        )),
        d => Ok(d),
    }
}

#[tauri::command]
pub async fn retention_view(state: State<'_, DesktopState>) -> Result<RetentionView, CommandError> {
    let days = state.retention.days();
    view(&state, days).await
}

/// What keeping records `days` would remove now, without changing anything.
#[tauri::command]
pub async fn retention_preview(
    state: State<'_, DesktopState>,
    days: Option<u32>,
) -> Result<RetentionView, CommandError> {
    view(&state, checked(days)?).await
}

/// Keeps records `days` (null: forever) from now on: saved, and applied at once (expired records
/// are removed a batch at a time, between raises).
#[tauri::command]
pub async fn retention_set(
    state: State<'_, DesktopState>,
    days: Option<u32>,
) -> Result<RetentionView, CommandError> {
    let days = checked(days)?;
    let path = interlog_server::settings::settings_path(&state.data_dir);
    let value = serde_json::to_value(days).unwrap_or_default();
    tauri::async_runtime::spawn_blocking(move || {
        interlog_server::settings::write_key(&path, KEY, value)
    })
    .await
    .map_err(|e| CommandError::new("internal", e))?
    .map_err(|e| CommandError::new("settings", format!("not saved, nothing changed: {e}")))?;
    state.retention.set(days);
    view(&state, days).await
}
