//! The ledger's disk: while its free space is below a watermark, the agent refuses new raises
//! (so that what it accepted always has room to be written) and the history window says why.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::runtime::AgentHandle;

/// Keeps this much free on the ledger's disk, by default.
pub const DEFAULT_MIN_FREE_BYTES: u64 = 256 * 1024 * 1024;
/// How often the free space is looked at.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// Bytes an unprivileged process can still write on the filesystem holding `dir`.
pub fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    let stat = rustix::fs::statvfs(dir)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// The message for the history window when `free` is below `min_free`.
fn low_message(dir: &Path, free: u64, min_free: u64) -> String {
    let mib = |b: u64| b / (1024 * 1024);
    format!(
        "Only {} MiB free on the disk of {} (Interlog keeps {} MiB): new interactions are refused until there is room. Nothing already recorded is lost.",
        mib(free),
        dir.display(),
        mib(min_free)
    )
}

/// Looks at the free space now and every `every`, telling the agent when it crosses `min_free`.
pub fn spawn(handle: AgentHandle, dir: PathBuf, min_free: u64, every: Duration) {
    tokio::spawn(async move {
        let mut was_low = false;
        loop {
            match free_bytes(&dir) {
                Ok(free) => {
                    let low = free < min_free;
                    if low != was_low {
                        let message = low.then(|| low_message(&dir, free, min_free));
                        handle.set_disk_low(message);
                        was_low = low;
                    }
                }
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "cannot read the free disk space")
                }
            }
            if handle.is_closed() {
                break;
            }
            tokio::time::sleep(every).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_is_read_and_said_plainly() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(dir.path()).unwrap();
        assert!(free > 0);
        let text = low_message(dir.path(), 10 * 1024 * 1024, DEFAULT_MIN_FREE_BYTES);
        assert!(text.contains("Only 10 MiB free"), "{text}");
        assert!(text.contains("256 MiB"), "{text}");
    }
}
