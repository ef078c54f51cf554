//! Web apps in Interlog's own windows ("hosted" apps).
//!
//! When the agent launches a `web` app ([`LaunchTarget::Web`]), [`HostedApps`] opens a window
//! at the app's `details.url` with the official FDC3 proxy injected before any script of the
//! page runs (`ui/src/preload`, bundled into `ui/dist-preload/fdc3-preload.js`). The window
//! knows which app and instance it holds; a [`bridge::Bridge`] connects it to the agent as
//! that instance while the page is one of the app's own pages (`url_match::within_app`).
//!
//! - Each page load ends the connection; the next one (the page's first message, or the end
//!   of the load) takes the identity back, so a reload keeps the instance. A page elsewhere
//!   gets no connection, so its instance ends.
//! - The page may call only `hosted_post` and `hosted_close` (a capability added per window for
//!   the app's origin); Interlog's own commands are not granted to it.
//! - Closing the window ends the instance; its size and place are remembered per app.

pub mod bridge;
pub mod commands;
pub mod geometry;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use interlog_core::agent::{LaunchRequest, LaunchTarget};
use interlog_core::url_match::{parse_url, within_app};
use interlog_server::{AgentHandle, WebHost};
use tauri::ipc::CapabilityBuilder;
use tauri::webview::PageLoadEvent;
use tauri::{
    AppHandle, Manager, Runtime, WebviewUrl, WebviewWindow, WebviewWindowBuilder, WindowEvent,
};
use url::Url;

use bridge::Bridge;
use geometry::{Bounds, Geometry};

/// The injected script: the official proxy and Interlog's channel selector (see `ui/src/preload`).
const PRELOAD: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/ui/dist-preload/fdc3-preload.js"
));

/// The commands an app's page may call (granted per window, for the app's origin only).
pub const PAGE_PERMISSIONS: [&str; 2] = ["allow-hosted-post", "allow-hosted-close"];

const LABEL_PREFIX: &str = "app-";

struct HostedWindow {
    launch: LaunchRequest,
    app_url: Url,
    /// Where the window's current document was loaded from (what its messages are judged by).
    page_url: Option<Url>,
    bridge: Option<Bridge>,
    /// The app's page could not be loaded: the window shows WebKit's error page, with no agent.
    failed: bool,
}

pub struct HostedApps {
    handle: AgentHandle,
    windows: Mutex<HashMap<String, HostedWindow>>,
    next: AtomicU64,
    geometry: Geometry,
}

/// Why a page's message was not taken.
#[derive(Debug, thiserror::Error)]
pub enum HostedError {
    #[error("this window holds no app")]
    NotAnAppWindow,
    #[error("the table of app windows is unusable (a thread panicked while holding it)")]
    Poisoned,
    #[error("this page ({0}) is not one of the app's pages: it has no FDC3 agent")]
    NotTheAppsPage(String),
    #[error(transparent)]
    Message(#[from] bridge::PageMessageError),
}

impl HostedApps {
    pub fn new(handle: AgentHandle, data_dir: &std::path::Path) -> HostedApps {
        HostedApps {
            handle,
            windows: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
            geometry: Geometry::load(data_dir),
        }
    }

    pub fn is_app_window(label: &str) -> bool {
        label.starts_with(LABEL_PREFIX)
    }

    /// The label of the window holding `instance_id`, if a window holds it.
    pub fn window_of(&self, instance_id: &str) -> Option<String> {
        let windows = self.windows.lock().ok()?;
        windows
            .iter()
            .find(|(_, w)| w.launch.instance_id == instance_id)
            .map(|(label, _)| label.clone())
    }

    /// Messages from the page in window `label`, in order. A message that is not the page's to
    /// send (a handshake, no type) is refused; the others still go.
    pub fn post<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        label: &str,
        messages: Vec<serde_json::Value>,
    ) -> Result<(), HostedError> {
        let mut windows = self.windows.lock().map_err(|_| HostedError::Poisoned)?;
        let w = windows.get_mut(label).ok_or(HostedError::NotAnAppWindow)?;
        let page_url = match &w.page_url {
            Some(u) if !w.failed && within_app(&w.app_url, u) => u.clone(),
            other => {
                return Err(HostedError::NotTheAppsPage(
                    other.as_ref().map(Url::to_string).unwrap_or_default(),
                ))
            }
        };
        let bridge = w.bridge.get_or_insert_with(|| {
            Bridge::connect(
                app,
                &self.handle,
                label,
                &w.launch,
                w.app_url.as_str(),
                page_url.as_str(),
            )
        });
        let mut refused = None;
        for message in messages {
            if let Err(e) = bridge.forward(message) {
                refused.get_or_insert(e);
            }
        }
        match refused {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// A page started or finished loading in window `label`.
    fn page_load<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        label: &str,
        event: PageLoadEvent,
        url: &Url,
    ) {
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        let Some(w) = windows.get_mut(label) else {
            return;
        };
        // Where the document came from (at the end: after any redirect).
        w.page_url = Some(url.clone());
        match event {
            // The page that had the connection is gone (reload or navigation).
            PageLoadEvent::Started => w.bridge = None,
            // WebKit ends a load that failed (no server, no such host) on its error page, at
            // about:blank: the app's page is not there.
            PageLoadEvent::Finished if !matches!(url.scheme(), "http" | "https") => {
                let app_url = w.app_url.to_string();
                drop(windows);
                self.load_failed(label, &app_url, "the page could not be loaded");
            }
            // The app's page has loaded: its launch completes (an `open` is answered). A page
            // that has not spoken yet still is the instance (findInstances lists it).
            PageLoadEvent::Finished if !w.failed && within_app(&w.app_url, url) => {
                let bridge = w.bridge.get_or_insert_with(|| {
                    Bridge::connect(
                        app,
                        &self.handle,
                        label,
                        &w.launch,
                        w.app_url.as_str(),
                        url.as_str(),
                    )
                });
                bridge.page_loaded();
            }
            PageLoadEvent::Finished => {
                if !within_app(&w.app_url, url) {
                    tracing::info!(window = label, %url, app = %w.launch.app_id, "the window left its app: no agent for this page");
                }
            }
        }
    }

    /// The page of window `label` could not be loaded (no server, no such host, …): a launch
    /// waiting for it fails (`ErrorOnLaunch` for `open`, `IntentDeliveryFailed` for a raise) and
    /// the window, showing WebKit's error page, has no agent; what it had ends.
    fn load_failed(&self, label: &str, uri: &str, error: &str) {
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        let Some(w) = windows.get_mut(label) else {
            return;
        };
        tracing::warn!(window = label, app = %w.launch.app_id, uri, error, "the app's page did not load");
        w.failed = true;
        w.bridge = None;
        self.handle.launch_failed(
            w.launch.launch_id.clone(),
            format!("{uri} did not load: {error}"),
        );
    }

    /// The window is gone: its instance ends.
    fn closed(&self, label: &str) {
        if let Ok(mut windows) = self.windows.lock() {
            if let Some(w) = windows.remove(label) {
                tracing::info!(window = label, app = %w.launch.app_id, instance = %w.launch.instance_id, "app window closed");
            }
        }
    }

    fn remember_bounds<R: Runtime>(&self, window: &tauri::Window<R>) {
        let app_id = match self.windows.lock() {
            Ok(w) => match w.get(window.label()) {
                Some(w) => w.launch.app_id.clone(),
                None => return,
            },
            Err(_) => return,
        };
        let (Ok(pos), Ok(size), Ok(scale)) = (
            window.outer_position(),
            window.inner_size(),
            window.scale_factor(),
        ) else {
            return;
        };
        let (pos, size) = (pos.to_logical::<f64>(scale), size.to_logical::<f64>(scale));
        self.geometry.remember(
            &app_id,
            Bounds {
                x: pos.x,
                y: pos.y,
                width: size.width,
                height: size.height,
            },
        );
    }

    /// How many windows of `app_id` are open (to cascade a new one over them).
    fn open_of_app(&self, app_id: &str) -> usize {
        self.windows
            .lock()
            .map(|w| w.values().filter(|w| w.launch.app_id == app_id).count())
            .unwrap_or(0)
    }
}

/// The agent's [`WebHost`]: opens each launch in a new window.
pub struct WindowHost<R: Runtime> {
    pub app: AppHandle<R>,
}

impl<R: Runtime> WebHost for WindowHost<R> {
    fn open(&self, launch: LaunchRequest) {
        let app = self.app.clone();
        // Creating a window waits for the main thread: not on the agent task.
        tauri::async_runtime::spawn_blocking(move || {
            if let Err(e) = open_window(&app, &launch) {
                tracing::warn!(app = %launch.app_id, error = %e, "cannot open the app's window");
                let hosted = app.state::<Arc<HostedApps>>();
                hosted
                    .handle
                    .launch_failed(launch.launch_id.clone(), e.to_string());
            }
        });
    }
}

#[derive(Debug, thiserror::Error)]
enum OpenError {
    #[error("not a web launch")]
    NotWeb,
    #[error("the table of app windows is unusable (a thread panicked while holding it)")]
    Poisoned,
    #[error("the app's URL {0:?} is not a valid http(s) URL")]
    BadUrl(String),
    #[error(transparent)]
    Tauri(#[from] tauri::Error),
}

fn open_window<R: Runtime>(app: &AppHandle<R>, launch: &LaunchRequest) -> Result<(), OpenError> {
    let LaunchTarget::Web { url, title } = &launch.target else {
        return Err(OpenError::NotWeb);
    };
    let app_url = parse_url(url)
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| OpenError::BadUrl(url.clone()))?;
    let hosted = app.state::<Arc<HostedApps>>().inner().clone();
    let label = format!(
        "{LABEL_PREFIX}{}",
        hosted.next.fetch_add(1, Ordering::Relaxed)
    );
    let origin = app_url.origin().ascii_serialization();
    app.add_capability(
        PAGE_PERMISSIONS.iter().fold(
            CapabilityBuilder::new(format!("hosted-{label}"))
                .remote(format!("{origin}/*"))
                .window(label.clone()),
            |c, p| c.permission(*p),
        ),
    )?;
    let config = serde_json::json!({
        "appId": launch.app_id,
        "instanceId": launch.instance_id,
        "origin": origin,
        "path": app_url.path().trim_end_matches('/'),
    });
    let script = format!("window.__interlogHosted={config};\n{PRELOAD}");
    let cascade = 28.0 * hosted.open_of_app(&launch.app_id) as f64;
    hosted
        .windows
        .lock()
        .map_err(|_| OpenError::Poisoned)?
        .insert(
            label.clone(),
            HostedWindow {
                launch: launch.clone(),
                app_url: app_url.clone(),
                page_url: None,
                bridge: None,
                failed: false,
            },
        );
    let for_load = hosted.clone();
    let mut builder = WebviewWindowBuilder::new(app, &label, WebviewUrl::External(app_url))
        .title(title)
        .initialization_script(script)
        .on_page_load(move |window: WebviewWindow<R>, payload| {
            for_load.page_load(
                window.app_handle(),
                window.label(),
                payload.event(),
                payload.url(),
            );
        });
    builder = match hosted.geometry.get(&launch.app_id) {
        Some(b) => builder
            .inner_size(b.width, b.height)
            .position(b.x + cascade, b.y + cascade),
        None => builder.inner_size(1024.0, 768.0).center(),
    };
    let window = match builder.build() {
        Ok(w) => w,
        Err(e) => {
            hosted.closed(&label);
            return Err(e.into());
        }
    };
    let for_events = hosted.clone();
    let events_window = window.as_ref().window();
    window.on_window_event(move |event| match event {
        WindowEvent::CloseRequested { .. } => for_events.remember_bounds(&events_window),
        WindowEvent::Destroyed => for_events.closed(events_window.label()),
        _ => {}
    });
    tracing::info!(app = %launch.app_id, instance = %launch.instance_id, window = %label, "app window opened");
    Ok(())
}
