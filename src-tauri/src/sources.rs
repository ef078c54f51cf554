//! The settings window's commands: the app directory's sources, listed, checked, added and
//! removed. Adding or removing saves `settings.json` and gives the agent the new directory at
//! once (no restart); the launcher follows through its `apps-changed` event.

use std::sync::Arc;

use interlog_server::directory_sources::{DirectorySources, SourceEntry, SourceReport};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::commands::CommandError;
use crate::DesktopState;

/// The list, and what was wrong when the directory was last read from it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourcesView {
    #[ts(type = "Array<{ source: string, origin: 'settings' | 'commandLine' }>")]
    pub sources: Vec<SourceEntry>,
    pub problems: Vec<String>,
    pub settings_file: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourceCheck {
    pub source: String,
    pub apps: Vec<String>,
    pub problems: Vec<String>,
}

impl From<SourceReport> for SourceCheck {
    fn from(r: SourceReport) -> Self {
        SourceCheck {
            source: r.source,
            apps: r.apps,
            problems: r.problems,
        }
    }
}

fn view(state: &DesktopState) -> SourcesView {
    SourcesView {
        sources: state.sources.list(),
        problems: state
            .source_problems
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default(),
        settings_file: interlog_server::settings::settings_path(&state.data_dir)
            .display()
            .to_string(),
    }
}

/// Runs blocking source work (files, URLs with their timeout) off the async threads.
async fn blocking<T: Send + 'static>(
    sources: &Arc<DirectorySources>,
    f: impl FnOnce(&DirectorySources) -> T + Send + 'static,
) -> Result<T, CommandError> {
    let sources = sources.clone();
    tauri::async_runtime::spawn_blocking(move || f(&sources))
        .await
        .map_err(|e| CommandError::new("internal", e))
}

/// Reads every source again into the agent's directory; keeps the problems for the view.
async fn apply(state: &DesktopState) -> Result<(), CommandError> {
    let handle = state.handle.clone();
    let (problems, icons) = blocking(&state.sources, move |s| s.apply(&handle)).await?;
    state.icons.fetch(icons);
    if let Ok(mut p) = state.source_problems.lock() {
        *p = problems;
    }
    Ok(())
}

#[tauri::command]
pub fn sources_list(state: State<'_, DesktopState>) -> SourcesView {
    view(&state)
}

#[tauri::command]
pub async fn sources_check(
    state: State<'_, DesktopState>,
    source: String,
) -> Result<SourceCheck, CommandError> {
    Ok(blocking(&state.sources, move |s| s.check(&source))
        .await?
        .into())
}

#[tauri::command]
pub async fn sources_add(
    state: State<'_, DesktopState>,
    source: String,
) -> Result<SourceCheck, CommandError> {
    let report = blocking(&state.sources, move |s| s.add(&source))
        .await?
        .map_err(|e| CommandError::new("sources", e))?;
    apply(&state).await?;
    Ok(report.into())
}

#[tauri::command]
pub async fn sources_remove(
    state: State<'_, DesktopState>,
    source: String,
) -> Result<SourcesView, CommandError> {
    blocking(&state.sources, move |s| s.remove(&source))
        .await?
        .map_err(|e| CommandError::new("sources", e))?;
    apply(&state).await?;
    Ok(view(&state))
}
