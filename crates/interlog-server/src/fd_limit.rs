//! File descriptors: every app connection holds one. The soft limit (often 1024) is raised to
//! the hard limit at start, and the connection bound kept below what is left once the agent's
//! own files (ledger, logs, windows) are counted.

/// Descriptors kept back for everything that is not an app connection.
const RESERVED: u64 = 256;

/// Raises the soft limit on open files as far as allowed; returns the limit in force.
pub fn raise() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::debug!(limit, "open-file limit");
            limit
        }
        Err(e) => {
            let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap_or((1024, 1024));
            tracing::warn!(error = %e, limit = soft, "cannot raise the open-file limit");
            soft
        }
    }
}

/// The most connections that fit under `limit` descriptors (and never more than `wanted`).
pub fn connections_within(limit: u64, wanted: usize) -> usize {
    let room = limit.saturating_sub(RESERVED).max(16);
    usize::try_from(room).unwrap_or(usize::MAX).min(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_leave_room_for_the_agents_own_files() {
        assert_eq!(connections_within(1024, 2048), 768);
        assert_eq!(connections_within(1_048_576, 2048), 2048);
        assert_eq!(connections_within(100, 2048), 16);
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        let limit = raise();
        let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        assert_eq!(soft, limit);
        assert!(soft == hard || soft >= 65_536, "soft {soft}, hard {hard}");
    }
}
