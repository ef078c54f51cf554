//! The app directory's sources as the user manages them: the list saved in `settings.json`
//! (`appDirectories`), the ones given on the command line for this session, and the edits
//! (add, check, remove) applied to the running agent without a restart.
//!
//! `settings.json` is edited in place: its other keys are kept as they are. A file that is not
//! readable JSON is not overwritten blindly: it is moved aside (`settings.json.unreadable-<ms>`)
//! and the user is told where it went.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::appd_source::SourceReader;
use crate::runtime::AgentHandle;
use crate::settings::settings_path;

const KEY: &str = "appDirectories";

/// One source in the list the user sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceEntry {
    pub source: String,
    /// Where it comes from: saved in the settings (removable) or a command-line switch.
    pub origin: SourceOrigin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SourceOrigin {
    Settings,
    CommandLine,
}

/// What checking one source found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceReport {
    pub source: String,
    /// Titles of the apps it would add (the built-in apps' ids cannot be taken).
    pub apps: Vec<String>,
    pub problems: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("{0} is empty: give a file path, an http(s) URL or interlog:samples")]
    Empty(&'static str),
    #[error("{0} is already in the list")]
    Duplicate(String),
    #[error("{0} is not in the saved list")]
    NotSaved(String),
    #[error("{0} cannot be read: {1}")]
    Unreadable(String, String),
    #[error("cannot save {}: {source}", path.display())]
    Save {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The directory sources of one running agent.
pub struct DirectorySources {
    data_dir: PathBuf,
    command_line: Vec<String>,
    reader: SourceReader,
    /// One edit at a time: two quick edits must not both read the old file.
    edit: std::sync::Mutex<()>,
}

impl DirectorySources {
    pub fn new(data_dir: &Path, command_line: Vec<String>, reader: SourceReader) -> Self {
        DirectorySources {
            data_dir: data_dir.to_owned(),
            command_line,
            reader,
            edit: std::sync::Mutex::new(()),
        }
    }

    /// The saved sources, then the command line's.
    pub fn list(&self) -> Vec<SourceEntry> {
        let saved = read_saved(&settings_path(&self.data_dir)).unwrap_or_default();
        let mut entries: Vec<SourceEntry> = saved
            .into_iter()
            .map(|source| SourceEntry {
                source,
                origin: SourceOrigin::Settings,
            })
            .collect();
        for source in &self.command_line {
            if !entries.iter().any(|e| &e.source == source) {
                entries.push(SourceEntry {
                    source: source.clone(),
                    origin: SourceOrigin::CommandLine,
                });
            }
        }
        entries
    }

    fn sources(&self) -> Vec<String> {
        self.list().into_iter().map(|e| e.source).collect()
    }

    /// Reads one source on its own (blocking: a URL may take the fetch timeout).
    pub fn check(&self, source: &str) -> SourceReport {
        let mut directory = interlog_core::Directory::new();
        let _ = directory.add_json("built-in apps", interlog_core::builtin::BUILTIN_APPD);
        let builtin = directory.len();
        let problems = self.reader.add_to(&mut directory, source.trim());
        SourceReport {
            source: source.trim().to_owned(),
            apps: directory
                .apps()
                .skip(builtin)
                .map(|a| a.title.clone())
                .collect(),
            problems,
        }
    }

    /// Saves `source` at the end of the list. A source that cannot be read at all is refused
    /// (a typo must not be saved); one with some bad records is added, and the report says so.
    pub fn add(&self, source: &str) -> Result<SourceReport, SourcesError> {
        let source = source.trim();
        if source.is_empty() {
            return Err(SourcesError::Empty("the source"));
        }
        if self.list().iter().any(|e| e.source == source) {
            return Err(SourcesError::Duplicate(source.to_owned()));
        }
        if let Err(e) = self.reader.read(source) {
            return Err(SourcesError::Unreadable(source.to_owned(), e.to_string()));
        }
        let report = self.check(source);
        let _edit = self.edit.lock().unwrap_or_else(|e| e.into_inner());
        let path = settings_path(&self.data_dir);
        let mut saved = read_saved(&path).unwrap_or_default();
        if saved.iter().any(|s| s == source) {
            return Err(SourcesError::Duplicate(source.to_owned()));
        }
        saved.push(source.to_owned());
        write_saved(&path, &saved)?;
        Ok(report)
    }

    /// Removes a saved source.
    pub fn remove(&self, source: &str) -> Result<(), SourcesError> {
        let _edit = self.edit.lock().unwrap_or_else(|e| e.into_inner());
        let path = settings_path(&self.data_dir);
        let mut saved = read_saved(&path).unwrap_or_default();
        let before = saved.len();
        saved.retain(|s| s != source);
        if saved.len() == before {
            return Err(SourcesError::NotSaved(source.to_owned()));
        }
        write_saved(&path, &saved)
    }

    /// Reads every source again and gives the agent the new directory (blocking). Returns
    /// what was wrong, and the http(s) icons of the new directory's apps.
    pub fn apply(&self, handle: &AgentHandle) -> (Vec<String>, Vec<String>) {
        let (directory, problems) = self.reader.load(&self.sources());
        let icons = crate::icons::remote_icons(&directory);
        handle.set_directory(directory);
        (problems, icons)
    }
}

/// The saved list; `None` when the file has none (missing file, no key, unreadable).
fn read_saved(path: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    let list = value.get(KEY)?.as_array()?;
    Some(
        list.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

/// Writes the list into the settings file, keeping every other key.
fn write_saved(path: &Path, sources: &[String]) -> Result<(), SourcesError> {
    crate::settings::write_key(path, KEY, Value::from(sources.to_vec())).map_err(|source| {
        SourcesError::Save {
            path: path.to_owned(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    const ONE_APP: &str = r#"{"applications": [{"appId": "x.app", "title": "X App", "type": "web",
        "details": {"url": "https://x.example.com/"}}]}"#;

    fn sources(dir: &Path, command_line: &[&str]) -> DirectorySources {
        let mut bundled = BTreeMap::new();
        bundled.insert("interlog:samples".to_owned(), ONE_APP.to_owned());
        let reader = SourceReader {
            fetch_timeout: std::time::Duration::from_secs(1),
            bundled: Arc::new(bundled),
        };
        DirectorySources::new(
            dir,
            command_line.iter().map(|s| (*s).to_owned()).collect(),
            reader,
        )
    }

    #[test]
    fn add_and_remove_keep_the_other_settings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(settings_path(dir.path()), r#"{"resolverTimeoutMs": 30000}"#).unwrap();
        let s = sources(dir.path(), &["cli.json"]);
        let report = s.add("interlog:samples").unwrap();
        assert_eq!(report.apps, vec!["X App".to_owned()]);
        assert!(report.problems.is_empty());
        assert_eq!(
            s.list(),
            vec![
                SourceEntry {
                    source: "interlog:samples".into(),
                    origin: SourceOrigin::Settings
                },
                SourceEntry {
                    source: "cli.json".into(),
                    origin: SourceOrigin::CommandLine
                },
            ]
        );
        let (settings, problems) = crate::settings::load(dir.path());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(settings.resolver_timeout_ms, Some(30_000));
        assert_eq!(
            settings.app_directories,
            Some(vec!["interlog:samples".to_owned()])
        );
        assert!(matches!(
            s.add("interlog:samples"),
            Err(SourcesError::Duplicate(_))
        ));
        assert!(matches!(s.add("cli.json"), Err(SourcesError::Duplicate(_))));
        s.remove("interlog:samples").unwrap();
        assert!(matches!(
            s.remove("cli.json"),
            Err(SourcesError::NotSaved(_))
        ));
        assert_eq!(s.list().len(), 1);
    }

    #[test]
    fn unreadable_sources_are_refused_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let s = sources(dir.path(), &[]);
        assert!(matches!(s.add("  "), Err(SourcesError::Empty(_))));
        let missing = dir.path().join("missing.json");
        let err = s.add(&missing.display().to_string()).unwrap_err();
        assert!(err.to_string().contains("missing.json"), "{err}");
        assert!(matches!(
            s.add("interlog:nothing"),
            Err(SourcesError::Unreadable(..))
        ));
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, r#"{"applications": [{"appId": "", "title": "?"}]}"#).unwrap();
        let report = s.check(&bad.display().to_string());
        assert!(report.apps.is_empty());
        assert_eq!(report.problems.len(), 1, "{report:?}");
        assert!(!settings_path(dir.path()).exists(), "nothing saved");
    }

    #[test]
    fn a_corrupt_settings_file_is_moved_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(settings_path(dir.path()), "{ not json").unwrap();
        let s = sources(dir.path(), &[]);
        s.add("interlog:samples").unwrap();
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("unreadable"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(
            std::fs::read_to_string(aside[0].path()).unwrap(),
            "{ not json"
        );
        assert_eq!(s.list().len(), 1);
    }
}
