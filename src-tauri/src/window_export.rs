//! Export from the history window: the rows the window shows (its query), written exactly as
//! `interlog export` writes them, with the progress told to the window as it goes, a way to cancel,
//! and the desktop's own save dialog to choose where.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use interlog_store::HistoryQuery;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State, WebviewWindow};
use ts_rs::TS;

use crate::commands::CommandError;
use crate::export::{self, ExportError, Format};
use crate::DesktopState;

/// The export running, if any: its cancel flag. One at a time.
#[derive(Default)]
pub struct Exports {
    running: Mutex<Option<Arc<AtomicBool>>>,
}

/// How far an export has got: rows written of the rows the query selected when it started.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportProgress {
    #[ts(type = "number")]
    pub written: u64,
    #[ts(type = "number")]
    pub total: u64,
}

/// A finished export: where it went and how many rows it holds.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportDone {
    pub path: String,
    #[ts(type = "number")]
    pub written: u64,
}

/// How often the window is told the progress.
const TELL_EVERY: Duration = Duration::from_millis(100);

/// Unsets the running export when the export ends, however it ends.
struct Running<'a>(&'a Exports);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        *self.0.running.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Writes every row `query` selects to `path` (absolute), through a temporary file renamed at the
/// end: a failed or cancelled export leaves nothing under that name.
#[tauri::command]
pub async fn history_export(
    state: State<'_, DesktopState>,
    query: HistoryQuery,
    format: Format,
    path: String,
    on_progress: Channel<ExportProgress>,
) -> Result<ExportDone, CommandError> {
    let target = PathBuf::from(path.trim());
    if !target.is_absolute() {
        return Err(CommandError::new(
            "bad_path",
            format!("choose where to export: \"{path}\" is not a full path"),
        ));
    }
    if target.is_dir() {
        return Err(CommandError::new(
            "bad_path",
            format!("{} is a folder: add a file name", target.display()),
        ));
    }
    let exports = &state.exports;
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let mut running = exports.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.is_some() {
            return Err(CommandError::new(
                "busy",
                "an export is already running: wait for it or cancel it",
            ));
        }
        *running = Some(cancel.clone());
    }
    let _running = Running(exports);
    let ledger = state.handle.ledger().clone();
    let written = tauri::async_runtime::spawn_blocking(move || {
        let total = ledger.count(&query, u32::MAX)?;
        let tell = |written| {
            // A window closed meanwhile: the export goes on.
            let _ = on_progress.send(ExportProgress { written, total });
        };
        tell(0);
        let mut told = Instant::now();
        let written = export::to_file(&ledger, &query, format, &target, &mut |written| {
            if cancel.load(Ordering::Relaxed) {
                return ControlFlow::Break(());
            }
            if told.elapsed() >= TELL_EVERY {
                tell(written);
                told = Instant::now();
            }
            ControlFlow::Continue(())
        })?;
        tell(written);
        Ok::<_, ExportError>((target, written))
    })
    .await
    .map_err(|e| CommandError::new("internal", e))?;
    match written {
        Ok((target, written)) => Ok(ExportDone {
            path: target.display().to_string(),
            written,
        }),
        Err(ExportError::Cancelled) => Err(CommandError::new("cancelled", ExportError::Cancelled)),
        Err(e) => Err(CommandError::new("export", e)),
    }
}

/// Stops the running export (its file is not written). False when none runs.
#[tauri::command]
pub fn history_export_cancel(state: State<'_, DesktopState>) -> bool {
    match &*state
        .exports
        .running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
    {
        Some(cancel) => {
            cancel.store(true, Ordering::Relaxed);
            true
        }
        None => false,
    }
}

/// Where an export goes unless the user says otherwise: the downloads folder (or home), a name
/// with the date and time.
#[tauri::command]
pub fn history_export_suggest<R: Runtime>(app: AppHandle<R>, format: Format) -> String {
    let dir = app
        .path()
        .download_dir()
        .ok()
        .filter(|d| d.is_dir())
        .or_else(|| app.path().home_dir().ok())
        .unwrap_or_else(std::env::temp_dir);
    let name = format!(
        "interlog-history-{}.{}",
        chrono::Local::now().format("%Y-%m-%d-%H%M"),
        format.extension()
    );
    dir.join(name).display().to_string()
}

/// The desktop's save dialog, over the window, starting at `path`; the path chosen, or None.
#[tauri::command]
pub async fn history_export_choose<R: Runtime>(
    app: AppHandle<R>,
    window: WebviewWindow<R>,
    path: String,
) -> Result<Option<String>, CommandError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.run_on_main_thread(move || {
        let _ = tx.send(save_dialog(&window, Path::new(&path)));
    })
    .map_err(|e| CommandError::new("internal", e))?;
    rx.await.map_err(|e| CommandError::new("internal", e))
}

fn save_dialog<R: Runtime>(window: &WebviewWindow<R>, start: &Path) -> Option<String> {
    use gtk::prelude::*;
    let parent = window.gtk_window().ok();
    let dialog = gtk::FileChooserNative::new(
        Some("Export the history"),
        parent.as_ref(),
        gtk::FileChooserAction::Save,
        Some("Export"),
        Some("Cancel"),
    );
    dialog.set_do_overwrite_confirmation(true);
    if let Some(dir) = start.parent().filter(|d| d.is_dir()) {
        dialog.set_current_folder(dir);
    }
    if let Some(name) = start.file_name() {
        dialog.set_current_name(name.to_string_lossy().as_ref());
    }
    let chosen = match dialog.run() {
        gtk::ResponseType::Accept => dialog.filename(),
        _ => None,
    };
    dialog.destroy();
    chosen.map(|p| p.display().to_string())
}
