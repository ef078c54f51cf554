//! The discovery file `agent.json`: how apps outside the agent find its socket and token.
//!
//! Written atomically (temporary file + rename) with mode 0600 in a 0700 folder, removed on
//! clean shutdown. A file whose `pid` is alive means another agent is running.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discovery {
    pub url: String,
    pub token: String,
    pub pid: u32,
    pub fdc3_version: String,
    pub provider: String,
    pub provider_version: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("another Interlog agent is already running (pid {pid}, {path})")]
    AlreadyRunning { pid: u32, path: PathBuf },
    #[error("no agent is running: {path} does not exist")]
    NotRunning { path: PathBuf },
    #[error("the agent that wrote {path} (pid {pid}) is no longer running")]
    Stale { pid: u32, path: PathBuf },
    #[error("{path}: {detail}")]
    Unreadable { path: PathBuf, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The runtime folder: `$INTERLOG_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/interlog`, else
/// `<data dir>/run`.
pub fn runtime_dir(data_dir: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("INTERLOG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("interlog");
    }
    data_dir.join("run")
}

/// The default data folder: `$XDG_DATA_HOME/interlog`, else `~/.local/share/interlog`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("interlog");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    home.join(".local/share/interlog")
}

pub fn pid_alive(pid: u32) -> bool {
    // /proc/<pid> exists while the process (or its zombie) does; a zombie's state is Z.
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DiscoveryError + '_ {
    move |source| DiscoveryError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads the discovery file of a running agent.
pub fn read(runtime_dir: &Path) -> Result<Discovery, DiscoveryError> {
    let path = runtime_dir.join("agent.json");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DiscoveryError::NotRunning { path })
        }
        Err(e) => return Err(io(&path)(e)),
    };
    let found: Discovery = serde_json::from_str(&text).map_err(|e| DiscoveryError::Unreadable {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    if !pid_alive(found.pid) {
        return Err(DiscoveryError::Stale {
            pid: found.pid,
            path,
        });
    }
    Ok(found)
}

/// Owns the written file; removes it when dropped (clean shutdown).
#[derive(Debug)]
pub struct DiscoveryFile {
    path: PathBuf,
}

impl DiscoveryFile {
    /// Refuses to start beside a live agent; replaces a stale file.
    pub fn claim(runtime_dir: &Path) -> Result<(), DiscoveryError> {
        match read(runtime_dir) {
            Ok(found) => Err(DiscoveryError::AlreadyRunning {
                pid: found.pid,
                path: runtime_dir.join("agent.json"),
            }),
            _ => Ok(()),
        }
    }

    pub fn write(
        runtime_dir: &Path,
        discovery: &Discovery,
    ) -> Result<DiscoveryFile, DiscoveryError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(runtime_dir)
            .map_err(io(runtime_dir))?;
        // The folder may have existed with looser rights.
        fs::set_permissions(runtime_dir, fs::Permissions::from_mode(0o700))
            .map_err(io(runtime_dir))?;
        let path = runtime_dir.join("agent.json");
        let tmp = runtime_dir.join(format!("agent.json.{}.tmp", std::process::id()));
        let text = serde_json::to_string_pretty(discovery).unwrap_or_default();
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io(&tmp))?;
        file.write_all(text.as_bytes()).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok(DiscoveryFile { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DiscoveryFile {
    fn drop(&mut self) {
        // Only remove our own file: a newer agent may have replaced it.
        if let Ok(text) = fs::read_to_string(&self.path) {
            if let Ok(d) = serde_json::from_str::<Discovery>(&text) {
                if d.pid == std::process::id() {
                    let _ = fs::remove_file(&self.path);
                }
            }
        }
    }
}
