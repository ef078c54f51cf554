//! `settings.json` in the data folder: every timeout and limit in one place, each optional (the
//! FDC3 defaults apply), overridden by command-line switches.
//!
//! A file that cannot be read or has an unknown key or a wrong type is reported and ignored as a
//! whole (the defaults apply); a value outside what FDC3 allows is raised to the minimum and
//! reported. The agent starts either way.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ServerConfig;

/// The FDC3 minimum for how long a launched or chosen app may take to add its listener.
const MIN_LISTENER_TIMEOUT_MS: i64 = 15_000;

#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    pub resolver_timeout_ms: Option<i64>,
    pub listener_timeout_ms: Option<i64>,
    pub launch_timeout_ms: Option<i64>,
    pub result_timeout_ms: Option<i64>,
    pub heartbeat_interval_ms: Option<i64>,
    pub not_responding_after_ms: Option<i64>,
    pub dead_after_ms: Option<i64>,
    pub reconnect_window_ms: Option<i64>,
    pub handshake_timeout_ms: Option<u64>,
    pub max_frame_bytes: Option<usize>,
    pub launch_native: Option<bool>,
    /// What each app may raise: `{"perMinute": 600, "maxContextBytes": 262144}`.
    pub raise_budget: Option<interlog_core::agent::RaiseBudget>,
    /// Below this much free space on the ledger's disk, new raises are refused.
    pub min_free_disk_bytes: Option<u64>,
    /// The app directory sources (AppD files, `/v2/apps` URLs, `interlog:samples`), in order;
    /// the settings window edits it. Sources given with `--appd` come after these.
    pub app_directories: Option<Vec<String>>,
    /// Resolver choices the user asked to remember; the settings window removes them.
    pub remembered_choices: Option<Vec<interlog_core::agent::RememberedChoice>>,
    /// How many days records are kept; older ones are removed in small batches. Unset: forever.
    pub retention_days: Option<u32>,
}

pub fn settings_path(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

/// Reads the settings file; a missing file is no settings. Problems are returned, not fatal.
pub fn load(data_dir: &Path) -> (Settings, Vec<String>) {
    let path = settings_path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (Settings::default(), Vec::new())
        }
        Err(e) => {
            return (
                Settings::default(),
                vec![format!("{}: {e}; using the defaults", path.display())],
            )
        }
    };
    match serde_json::from_str::<Settings>(&text) {
        Ok(s) => (s, Vec::new()),
        Err(e) => (
            Settings::default(),
            vec![format!("{}: {e}; using the defaults", path.display())],
        ),
    }
}

/// Sets one key of the settings file, keeping every other key as it is; atomically (a temporary
/// file renamed over it), so a crash leaves the old file or the new one. A file that is not a JSON
/// object is not overwritten blindly: it is moved aside (`settings.json.unreadable-<ms>`) and a
/// fresh one started.
pub fn write_key(path: &Path, key: &str, value: serde_json::Value) -> std::io::Result<()> {
    use serde_json::{Map, Value};
    let mut object = match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(o)) => o,
            _ => {
                let aside =
                    path.with_extension(format!("json.unreadable-{}", crate::runtime::now_ms()));
                std::fs::rename(path, &aside)?;
                tracing::warn!(moved_to = %aside.display(), "settings.json was not a JSON object; moved aside");
                Map::new()
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(e),
    };
    object.insert(key.into(), value);
    let text = serde_json::to_string_pretty(&Value::Object(object)).unwrap_or_default() + "\n";
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

impl Settings {
    /// Applies the values present; returns what had to be corrected.
    pub fn apply(&self, config: &mut ServerConfig) -> Vec<String> {
        let mut problems = Vec::new();
        let a = &mut config.agent;
        let positive = |name: &str, v: i64, problems: &mut Vec<String>| {
            if v <= 0 {
                problems.push(format!(
                    "settings: {name} must be positive (was {v}); default kept"
                ));
                false
            } else {
                true
            }
        };
        let set = |name: &str, value: Option<i64>, field: &mut i64, problems: &mut Vec<String>| {
            if let Some(v) = value {
                if positive(name, v, problems) {
                    *field = v;
                }
            }
        };
        set(
            "resolverTimeoutMs",
            self.resolver_timeout_ms,
            &mut a.resolver_timeout_ms,
            &mut problems,
        );
        set(
            "listenerTimeoutMs",
            self.listener_timeout_ms,
            &mut a.listener_timeout_ms,
            &mut problems,
        );
        set(
            "launchTimeoutMs",
            self.launch_timeout_ms,
            &mut a.launch_timeout_ms,
            &mut problems,
        );
        set(
            "resultTimeoutMs",
            self.result_timeout_ms,
            &mut a.result_timeout_ms,
            &mut problems,
        );
        set(
            "heartbeatIntervalMs",
            self.heartbeat_interval_ms,
            &mut a.heartbeat_interval_ms,
            &mut problems,
        );
        set(
            "notRespondingAfterMs",
            self.not_responding_after_ms,
            &mut a.not_responding_after_ms,
            &mut problems,
        );
        set(
            "deadAfterMs",
            self.dead_after_ms,
            &mut a.dead_after_ms,
            &mut problems,
        );
        set(
            "reconnectWindowMs",
            self.reconnect_window_ms,
            &mut a.reconnect_window_ms,
            &mut problems,
        );
        for (name, field) in [
            ("listenerTimeoutMs", &mut a.listener_timeout_ms),
            ("launchTimeoutMs", &mut a.launch_timeout_ms),
        ] {
            if *field < MIN_LISTENER_TIMEOUT_MS {
                problems.push(format!(
                    "settings: {name} {} is below the FDC3 minimum of {MIN_LISTENER_TIMEOUT_MS} ms; using the minimum",
                    *field
                ));
                *field = MIN_LISTENER_TIMEOUT_MS;
            }
        }
        if let Some(v) = self.launch_native {
            a.launch_native = v;
        }
        if let Some(mut budget) = self.raise_budget {
            if budget.per_minute == 0 {
                problems.push(
                    "settings: raiseBudget.perMinute 0 would refuse every raise; using 1".into(),
                );
                budget.per_minute = 1;
            }
            a.raise_budget = budget;
        }
        if let Some(ms) = self.handshake_timeout_ms {
            config.handshake_timeout = std::time::Duration::from_millis(ms);
        }
        if let Some(bytes) = self.max_frame_bytes {
            config.max_frame_bytes = bytes;
        }
        if let Some(bytes) = self.min_free_disk_bytes {
            config.min_free_disk_bytes = bytes;
        }
        if let Some(sources) = &self.app_directories {
            config.appd_sources = sources.clone();
        }
        if let Some(remembered) = &self.remembered_choices {
            config.agent.remembered = remembered.clone();
        }
        match self.retention_days {
            Some(0) => problems.push(
                "settings: retentionDays 0 would remove every record at once; keeping them all"
                    .into(),
            ),
            days => config.retention_days = days,
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ServerConfig {
        ServerConfig::new(PathBuf::from("/nowhere"))
    }

    #[test]
    fn missing_file_is_no_settings() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), (Settings::default(), Vec::new()));
    }

    #[test]
    fn values_apply_and_out_of_range_ones_are_corrected() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            settings_path(dir.path()),
            r#"{"resolverTimeoutMs": 30000, "listenerTimeoutMs": 1000, "resultTimeoutMs": -5, "maxFrameBytes": 2048,
                "raiseBudget": {"perMinute": 30, "maxContextBytes": 4096}}"#,
        )
        .unwrap();
        let (settings, problems) = load(dir.path());
        assert!(problems.is_empty());
        let mut c = config();
        let problems = settings.apply(&mut c);
        assert_eq!(c.agent.resolver_timeout_ms, 30_000);
        assert_eq!(
            c.agent.listener_timeout_ms, 15_000,
            "raised to the FDC3 minimum"
        );
        assert_eq!(c.agent.result_timeout_ms, 300_000, "default kept");
        assert_eq!(c.max_frame_bytes, 2048);
        assert_eq!(c.agent.raise_budget.per_minute, 30);
        assert_eq!(c.agent.raise_budget.max_context_bytes, 4096);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn a_corrupt_file_is_reported_and_ignored() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            r#"{"resolverTimeoutMs": "soon"}"#,
            r#"{"resolverTimeout": 1}"#,
            "not json",
        ] {
            std::fs::write(settings_path(dir.path()), bad).unwrap();
            let (settings, problems) = load(dir.path());
            assert_eq!(settings, Settings::default(), "{bad}");
            assert_eq!(problems.len(), 1, "{bad}");
            assert!(problems[0].contains("settings.json"), "{problems:?}");
        }
    }
}
