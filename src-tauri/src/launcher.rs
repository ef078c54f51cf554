//! The launcher (home window): the directory's apps with their running instances, and the
//! commands it calls to open an app, focus or close an instance's window, and show the other
//! windows. Opening goes through the agent as `fdc3.open` from Interlog's own window does, so
//! a launch from here is a launch like any other (a new window, a new instance).

use std::time::Duration;

use interlog_core::builtin::UI_IDENTITY_URL;
use interlog_server::local::LocalConnection;
use interlog_server::AppsSnapshot;
use serde::Serialize;
use serde_json::json;
use tauri::{AppHandle, Manager, Runtime, State};
use ts_rs::TS;

use crate::commands::CommandError;
use crate::hosted::HostedApps;
use crate::DesktopState;

/// Everything the launcher shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LauncherView {
    pub apps: Vec<LauncherApp>,
    /// Whether the bundled sample apps are among the directory's sources (the empty state
    /// offers to add them when they are not).
    pub samples_listed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LauncherApp {
    pub app_id: String,
    pub title: String,
    pub description: Option<String>,
    /// A `data:` URL, or none (a letter avatar is shown).
    pub icon: Option<String>,
    pub kind: AppKind,
    pub instances: Vec<LauncherInstance>,
}

/// How the app runs: in an Interlog window, as a program, or elsewhere (it connects itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AppKind {
    Web,
    Native,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LauncherInstance {
    pub instance_id: String,
    pub channel: Option<ChannelBadge>,
    /// It is in an Interlog window (which can be focused and closed from the launcher).
    pub in_window: bool,
    pub not_responding: bool,
}

/// A user channel as FDC3's display metadata describes it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChannelBadge {
    pub id: String,
    pub name: String,
    pub color: Option<String>,
}

/// The view of `snapshot`: the directory's apps in its order, Interlog's built-in ones left out
/// (they are not opened by the user), each with its running instances.
pub fn view(
    snapshot: &AppsSnapshot,
    icons: &interlog_server::icons::IconCache,
    hosted: &HostedApps,
    samples_listed: bool,
) -> LauncherView {
    let apps = snapshot
        .apps
        .iter()
        .filter(|a| !interlog_core::builtin::is_builtin(&a.app_id))
        .map(|a| LauncherApp {
            app_id: a.app_id.clone(),
            title: a.title.clone(),
            description: a.description.clone(),
            icon: a.icon().and_then(|src| icons.data_url(src)),
            kind: match a.app_type.as_str() {
                "web" => AppKind::Web,
                "native" => AppKind::Native,
                _ => AppKind::Other,
            },
            instances: snapshot
                .instances
                .iter()
                .filter(|i| i.app_id == a.app_id)
                .map(|i| LauncherInstance {
                    instance_id: i.instance_id.clone(),
                    channel: i.user_channel.as_ref().map(|id| badge(snapshot, id)),
                    in_window: hosted.window_of(&i.instance_id).is_some(),
                    not_responding: i.not_responding,
                })
                .collect(),
        })
        .collect();
    LauncherView {
        apps,
        samples_listed,
    }
}

fn badge(snapshot: &AppsSnapshot, id: &str) -> ChannelBadge {
    let display = snapshot.channels.get(id);
    let field = |k: &str| {
        display
            .and_then(|d| d.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    ChannelBadge {
        id: id.to_owned(),
        name: field("name").unwrap_or_else(|| id.to_owned()),
        color: field("color"),
    }
}

#[tauri::command]
pub async fn launcher_view(
    state: State<'_, DesktopState>,
    hosted: State<'_, std::sync::Arc<HostedApps>>,
) -> Result<LauncherView, CommandError> {
    let snapshot = state.handle.apps().await;
    let samples_listed = state
        .sources
        .list()
        .iter()
        .any(|e| e.source == crate::samples::SAMPLES_SOURCE);
    Ok(view(&snapshot, &state.icons, &hosted, samples_listed))
}

/// Opens a new instance of `app_id` (as `fdc3.open` does) and answers with its instanceId once
/// it is up, or the FDC3 error (`AppNotFound`, `ErrorOnLaunch`, `AppTimeout`).
#[tauri::command]
pub async fn launcher_open(
    state: State<'_, DesktopState>,
    app_id: String,
) -> Result<String, CommandError> {
    let mut conn = LocalConnection::connect(&state.handle, UI_IDENTITY_URL)
        .await
        .map_err(|e| CommandError::new("agent", e))?;
    let request = conn.request("openRequest", json!({ "app": { "appId": app_id } }));
    // The agent's own launch timeout answers first; this only bounds a lost answer.
    let response = conn
        .response(&request, Duration::from_secs(120))
        .await
        .map_err(|e| CommandError::new("agent", e))?;
    drop(conn);
    let payload = &response["payload"];
    if let Some(error) = payload.get("error").and_then(|e| e.as_str()) {
        return Err(CommandError::new("fdc3", error));
    }
    Ok(payload["appIdentifier"]["instanceId"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

fn instance_window<R: Runtime>(
    app: &AppHandle<R>,
    hosted: &HostedApps,
    instance_id: &str,
) -> Result<tauri::WebviewWindow<R>, CommandError> {
    hosted
        .window_of(instance_id)
        .and_then(|label| app.get_webview_window(&label))
        .ok_or_else(|| CommandError::new("no-window", "this instance is not in an Interlog window"))
}

/// Brings the instance's window to the front.
#[tauri::command]
pub fn instance_focus<R: Runtime>(
    app: AppHandle<R>,
    hosted: State<'_, std::sync::Arc<HostedApps>>,
    instance_id: String,
) -> Result<(), CommandError> {
    let window = instance_window(&app, &hosted, &instance_id)?;
    let _ = window.unminimize();
    window
        .set_focus()
        .map_err(|e| CommandError::new("window", e))
}

/// Closes the instance's window, which ends the instance (as the user closing it would).
#[tauri::command]
pub fn instance_close<R: Runtime>(
    app: AppHandle<R>,
    hosted: State<'_, std::sync::Arc<HostedApps>>,
    instance_id: String,
) -> Result<(), CommandError> {
    let window = instance_window(&app, &hosted, &instance_id)?;
    window.close().map_err(|e| CommandError::new("window", e))
}

/// Shows one of Interlog's own windows: the history (optionally searching for `search`),
/// the launcher or the settings.
#[tauri::command]
pub fn window_show<R: Runtime>(
    app: AppHandle<R>,
    window: crate::windows::OwnWindow,
    search: Option<String>,
) -> Result<(), CommandError> {
    crate::windows::show(&app, window, search).map_err(|e| CommandError::new("window", e))
}
