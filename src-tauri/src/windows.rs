//! Interlog's own windows: the launcher (home, shown at start), the history (`main`), the
//! settings, and the resolver dialog.
//!
//! The history and resolver windows are created hidden as soon as the launcher has loaded, so they
//! appear instantly when wanted; they share the launcher's web process.
//! Closing the launcher or the history hides it; when neither is left on screen the app quits.
//! Whenever the agent has a request for the user the resolver is filled, shown, raised above
//! other windows and focused, whatever else is shown. Closing it is a Cancel.

use interlog_core::agent::ResolverChoice;
use interlog_server::icons::IconCache;
use interlog_server::{AgentHandle, UiEvent};
use serde::Deserialize;
use std::time::Duration;

use tauri::webview::PageLoadEvent;
use tauri::{AppHandle, Emitter, Manager, Runtime, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use ts_rs::TS;

pub const MAIN: &str = "main";
pub const LAUNCHER: &str = "launcher";
pub const SETTINGS: &str = "settings";
pub const RESOLVER: &str = "resolver";

/// The windows the UI can ask to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum OwnWindow {
    Launcher,
    History,
    Settings,
}

impl OwnWindow {
    fn label(self) -> &'static str {
        match self {
            OwnWindow::Launcher => LAUNCHER,
            OwnWindow::History => MAIN,
            OwnWindow::Settings => SETTINGS,
        }
    }
}

/// What the history window is told when it is shown to search for something.
#[derive(Debug, Clone, serde::Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistorySearch {
    pub search: String,
    pub title: Option<String>,
}

/// Creates the launcher, the window users see first. The hidden ones (history, resolver) follow
/// once it has been painted (see [`HIDDEN_WINDOWS_AFTER_LOAD`]), or at once when a request for the
/// user comes first.
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let launcher =
        WebviewWindowBuilder::new(app, LAUNCHER, WebviewUrl::App("launcher.html".into()))
            .title("Interlog")
            .inner_size(520.0, 720.0)
            .min_inner_size(380.0, 420.0)
            .center()
            .on_page_load(|window, payload| {
                if payload.event() == PageLoadEvent::Finished {
                    create_hidden_after(window.app_handle(), HIDDEN_WINDOWS_AFTER_LOAD);
                }
            })
            .build()?;
    hide_or_quit_on_close(app, &launcher);
    draw_without_gpu_compositing(&launcher);
    create_hidden_after(app, HIDDEN_WINDOWS_AT_THE_LATEST);
    Ok(())
}

/// How long after the launcher's page has loaded the hidden windows are made: their pages load in
/// the launcher's web process, and would otherwise hold up its first paint (by about 300 ms here).
const HIDDEN_WINDOWS_AFTER_LOAD: Duration = Duration::from_millis(800);

/// Interlog's own pages are drawn without accelerated compositing: they are plain documents (no
/// WebGL, no 3D transforms), and compositing costs each page a GL context and a GPU renderer. Where
/// GL is software (virtual desktops, Xvfb), that made the launcher's first paint about 45% slower
/// than a bare Tauri app's, and held about 70 MB more (scripts/startup.sh). The pages made related
/// to the launcher share its settings; apps' windows keep WebKit's default.
fn draw_without_gpu_compositing(window: &tauri::WebviewWindow) {
    let done = window.with_webview(|view| {
        use webkit2gtk::{SettingsExt, WebViewExt};
        if let Some(settings) = WebViewExt::settings(&view.inner()) {
            settings
                .set_hardware_acceleration_policy(webkit2gtk::HardwareAccelerationPolicy::Never);
        }
    });
    if let Err(e) = done {
        tracing::warn!(error = %e, window = window.label(), "cannot turn GPU compositing off");
    }
}

/// When the hidden windows are made if the launcher's page has not loaded by then.
const HIDDEN_WINDOWS_AT_THE_LATEST: Duration = Duration::from_secs(3);

/// Makes the hidden windows (if not yet made) after `delay`, on the main thread.
fn create_hidden_after(app: &AppHandle, delay: Duration) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(delay).await;
        let on_main = app.clone();
        let _ = app.run_on_main_thread(move || create_hidden(&on_main));
    });
}

/// Creates the history and resolver windows, hidden, the first time it is called (on the main
/// thread). Their pages run in the launcher's web process: Interlog's own pages are one trusted
/// UI, and a web process of their own each would cost about 60–90 MB. Apps' windows never share it.
fn create_hidden(app: &AppHandle) {
    if app.get_webview_window(RESOLVER).is_some() {
        return;
    }
    let Some(launcher) = app.get_webview_window(LAUNCHER) else {
        return;
    };
    let app = app.clone();
    let created = launcher.with_webview(move |launcher_view| {
        if let Err(e) = build_hidden(&app, &launcher_view) {
            tracing::error!(error = %e, "cannot create the history and resolver windows");
        }
    });
    if let Err(e) = created {
        tracing::error!(error = %e, "cannot create the history and resolver windows");
    }
}

fn build_hidden(app: &AppHandle, related: &tauri::webview::PlatformWebview) -> tauri::Result<()> {
    if app.get_webview_window(RESOLVER).is_some() {
        return Ok(());
    }
    let main = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Interlog — interaction history")
        .inner_size(1280.0, 800.0)
        .min_inner_size(720.0, 480.0)
        .center()
        .visible(false)
        .with_related_view(related.inner())
        .build()?;
    hide_or_quit_on_close(app, &main);
    let resolver =
        WebviewWindowBuilder::new(app, RESOLVER, WebviewUrl::App("resolver.html".into()))
            .title("Interlog — choose an app")
            .inner_size(560.0, 560.0)
            // In the middle of the screen, where the user is looking when an app raises.
            .center()
            .resizable(true)
            .visible(false)
            .always_on_top(true)
            .with_related_view(related.inner())
            .build()?;
    let state_app = app.clone();
    let resolver_for_close = resolver.clone();
    resolver.on_window_event(move |event| {
        if let WindowEvent::CloseRequested { api, .. } = event {
            // Keep the window for the next request; closing answers the shown one.
            api.prevent_close();
            let _ = resolver_for_close.hide();
            let state = state_app.state::<crate::DesktopState>();
            let handle = state.handle.clone();
            tauri::async_runtime::spawn(async move {
                if let Some(view) = handle.resolver_view().await {
                    handle.resolver_choice(view.id, ResolverChoice::Cancel);
                }
            });
        }
    });
    // A request that came before the window existed was not shown: show it now.
    let state = app.state::<crate::DesktopState>();
    let (handle, icons, app) = (state.handle.clone(), state.icons.clone(), app.clone());
    tauri::async_runtime::spawn(async move {
        let view = handle.resolver_view().await;
        if view.is_some() {
            show_resolver(&app, &icons, view);
        }
    });
    Ok(())
}

/// Closing the launcher or the history hides it while the other is shown, and quits otherwise.
fn hide_or_quit_on_close(app: &AppHandle, window: &tauri::WebviewWindow) {
    let app = app.clone();
    let this = window.clone();
    window.on_window_event(move |event| {
        if let WindowEvent::CloseRequested { api, .. } = event {
            let other = if this.label() == MAIN { LAUNCHER } else { MAIN };
            let other_shown = app
                .get_webview_window(other)
                .and_then(|w| w.is_visible().ok())
                .unwrap_or(false);
            if other_shown {
                api.prevent_close();
                let _ = this.hide();
            } else {
                app.exit(0);
            }
        }
    });
}

/// Shows `which` (creating the settings window the first time), in front and focused; the
/// history searching for `search` when one is given.
pub fn show<R: Runtime>(
    app: &AppHandle<R>,
    which: OwnWindow,
    search: Option<String>,
) -> tauri::Result<()> {
    let window = match app.get_webview_window(which.label()) {
        Some(w) => w,
        None => match which {
            OwnWindow::Settings => {
                WebviewWindowBuilder::new(app, SETTINGS, WebviewUrl::App("settings.html".into()))
                    .title("Interlog — settings")
                    .inner_size(720.0, 560.0)
                    .min_inner_size(480.0, 360.0)
                    .center()
                    .build()?
            }
            OwnWindow::History => {
                // Asked for in the instant before the hidden windows are made: shown once it is.
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    for _ in 0..100 {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        if app.get_webview_window(MAIN).is_some() {
                            let _ = show(&app, which, search);
                            return;
                        }
                    }
                    tracing::warn!("the history window was never created");
                });
                return Ok(());
            }
            // Created at start and only ever hidden.
            OwnWindow::Launcher => return Ok(()),
        },
    };
    window.show()?;
    let _ = window.unminimize();
    window.set_focus()?;
    if let (OwnWindow::History, Some(search)) = (which, search) {
        show_history_search(app, search, None);
    }
    Ok(())
}

fn show_history_search<R: Runtime>(app: &AppHandle<R>, search: String, title: Option<String>) {
    let _ = app.emit_to(MAIN, "history-search", HistorySearch { search, title });
}

/// Tells the history window whenever the ledger stops or starts being able to write (a full
/// disk, a lock held elsewhere): the user must know that raises are being held.
pub fn forward_ledger_health(app: AppHandle, handle: &AgentHandle) {
    let mut health = handle.storage_health();
    tauri::async_runtime::spawn(async move {
        while health.changed().await {
            let _ = app.emit_to(MAIN, "ledger-health", health.current());
        }
    });
}

/// The resolver window shows `view` (and comes to the front), or hides when there is none.
fn show_resolver<R: tauri::Runtime>(
    app: &AppHandle<R>,
    icons: &IconCache,
    view: Option<interlog_core::agent::ResolverView>,
) {
    let Some(window) = app.get_webview_window(RESOLVER) else {
        return;
    };
    let view = view.map(|v| icons.inline(v));
    let show = view.is_some();
    let _ = app.emit_to(RESOLVER, "resolver-changed", &view);
    if show {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    } else {
        let _ = window.hide();
    }
}

/// Relays the agent's UI events to the windows for as long as the app runs.
pub fn forward_agent_events(
    app: AppHandle,
    handle: AgentHandle,
    icons: IconCache,
    data_dir: std::path::PathBuf,
) {
    let mut events = handle.subscribe_ui();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(UiEvent::HistoryChanged) => {
                    // No payload: the window re-reads its page, and the selected row's detail
                    // when that row changed.
                    let _ = app.emit_to(MAIN, "history-changed", ());
                }
                Ok(UiEvent::ResolverChanged(view)) => {
                    if app.get_webview_window(RESOLVER).is_none() {
                        // A request in the first instants: the window is made now, and shows
                        // the request once made (see `build_hidden`).
                        let on_main = app.clone();
                        let _ = app.run_on_main_thread(move || create_hidden(&on_main));
                    } else {
                        show_resolver(&app, &icons, view);
                    }
                }
                Ok(UiEvent::AppsChanged) => {
                    let _ = app.emit_to(LAUNCHER, "apps-changed", ());
                }
                Ok(UiEvent::RememberedChanged(list)) => {
                    let _ = app.emit_to(SETTINGS, "remembered-changed", &list);
                    let dir = data_dir.clone();
                    tauri::async_runtime::spawn_blocking(move || {
                        if let Err(e) = crate::remembered::save(&dir, &list) {
                            tracing::error!(error = %e, "cannot save the remembered resolver choices");
                        }
                    });
                }
                Ok(UiEvent::ShowHistory { search, title }) => {
                    if let Err(e) = show(&app, OwnWindow::History, None) {
                        tracing::warn!(error = %e, "cannot show the history window");
                    }
                    show_history_search(&app, search, Some(title));
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    // Missed events, perhaps the resolver's: what they said is read again, or
                    // a request could wait unseen behind a hidden dialog.
                    tracing::warn!(missed, "UI events lagged: reading the agent's state again");
                    let view = handle.resolver_view().await;
                    show_resolver(&app, &icons, view);
                    let _ = app.emit_to(MAIN, "history-changed", ());
                    let _ = app.emit_to(LAUNCHER, "apps-changed", ());
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}
