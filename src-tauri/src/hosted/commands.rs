//! The only commands an app's page may call: hand a message to the agent, close its window.

use std::sync::Arc;

use tauri::{Manager, Runtime, State, WebviewWindow};

use super::HostedApps;
use crate::commands::CommandError;

/// DACP messages from the page, in the order it sent them, from the window's app instance.
/// Synchronous: it only hands them to the agent's queue.
#[tauri::command]
pub fn hosted_post<R: Runtime>(
    window: WebviewWindow<R>,
    hosted: State<'_, Arc<HostedApps>>,
    messages: Vec<serde_json::Value>,
) -> Result<(), CommandError> {
    hosted
        .post(window.app_handle(), window.label(), messages)
        .map_err(|e| CommandError::new("refused", e))
}

/// `window.close()` from the page: WebKit ignores it for windows no script opened.
#[tauri::command]
pub fn hosted_close<R: Runtime>(window: WebviewWindow<R>) -> Result<(), CommandError> {
    if !HostedApps::is_app_window(window.label()) {
        return Err(CommandError::new("refused", "not an app window"));
    }
    tracing::info!(window = window.label(), "the page closes its window");
    window.close().map_err(|e| CommandError::new("window", e))
}
