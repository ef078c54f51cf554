//! Remembered resolver choices: kept in `settings.json` (`rememberedChoices`) whenever the agent
//! says they changed, listed and removed from the settings window.

use interlog_core::agent::RememberedChoice;
use tauri::State;

use crate::commands::CommandError;
use crate::DesktopState;

const KEY: &str = "rememberedChoices";

/// Saves the list in the settings file (keeping its other keys).
pub fn save(data_dir: &std::path::Path, list: &[RememberedChoice]) -> std::io::Result<()> {
    let path = interlog_server::settings::settings_path(data_dir);
    let value = serde_json::to_value(list).unwrap_or_default();
    interlog_server::settings::write_key(&path, KEY, value)
}

#[tauri::command]
pub async fn remembered_list(
    state: State<'_, DesktopState>,
) -> Result<Vec<RememberedChoice>, CommandError> {
    Ok(state.handle.remembered().await)
}

/// Forgets `choice`: the next such raise shows the resolver again.
#[tauri::command]
pub async fn remembered_remove(
    state: State<'_, DesktopState>,
    choice: RememberedChoice,
) -> Result<Vec<RememberedChoice>, CommandError> {
    let mut list = state.handle.remembered().await;
    let before = list.len();
    list.retain(|c| *c != choice);
    if list.len() == before {
        return Err(CommandError::new(
            "not-found",
            "that choice is not remembered",
        ));
    }
    state.handle.set_remembered(list.clone());
    let (dir, saved) = (state.data_dir.clone(), list.clone());
    tauri::async_runtime::spawn_blocking(move || save(&dir, &saved))
        .await
        .map_err(|e| CommandError::new("internal", e))?
        .map_err(|e| {
            CommandError::new("settings", format!("forgotten for now, but not saved: {e}"))
        })?;
    Ok(list)
}
