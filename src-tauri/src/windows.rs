//! The two windows: the history (main) and the resolver dialog.
//!
//! The resolver window is created hidden at start so it appears instantly; whenever the agent
//! has a request for the user it is filled, shown, raised above other windows and focused —
//! also when the main window is hidden. Closing it is a Cancel.

use interlog_core::agent::ResolverChoice;
use interlog_server::icons::IconCache;
use interlog_server::{AgentHandle, UiEvent};
use tauri::{AppHandle, Emitter, Manager, WebviewUrl, WebviewWindowBuilder, WindowEvent};

pub const MAIN: &str = "main";
pub const RESOLVER: &str = "resolver";

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let main = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Interlog — interaction history")
        .inner_size(1280.0, 800.0)
        .min_inner_size(720.0, 480.0)
        .center()
        .build()?;
    let app_for_main = app.clone();
    main.on_window_event(move |event| {
        if let WindowEvent::CloseRequested { .. } = event {
            app_for_main.exit(0);
        }
    });
    let resolver =
        WebviewWindowBuilder::new(app, RESOLVER, WebviewUrl::App("resolver.html".into()))
            .title("Interlog — choose an app")
            .inner_size(560.0, 560.0)
            // In the middle of the screen, where the user is looking when an app raises.
            .center()
            .resizable(true)
            .visible(false)
            .always_on_top(true)
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
    Ok(())
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
pub fn forward_agent_events(app: AppHandle, handle: AgentHandle, icons: IconCache) {
    let mut events = handle.subscribe_ui();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(UiEvent::HistoryChanged) => {
                    // No payload: the window re-reads its page, and the selected row's detail
                    // when that row changed.
                    let _ = app.emit_to(MAIN, "history-changed", ());
                }
                Ok(UiEvent::ResolverChanged(view)) => show_resolver(&app, &icons, view),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    // Missed events, perhaps the resolver's: what they said is read again, or
                    // a request could wait unseen behind a hidden dialog.
                    tracing::warn!(missed, "UI events lagged: reading the agent's state again");
                    let view = handle.resolver_view().await;
                    show_resolver(&app, &icons, view);
                    let _ = app.emit_to(MAIN, "history-changed", ());
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}
