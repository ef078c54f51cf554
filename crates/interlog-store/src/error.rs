//! The one error type every fallible ledger call returns.

/// Why a ledger call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),

    #[error("json: {0}")]
    Json(#[from] serde_json::Error),

    /// The file was written by a newer build. Opening it is refused rather than risk an older build
    /// "migrating" (or misreading) a schema it does not know.
    #[error("ledger schema version {found} is newer than this build supports ({supported})")]
    TooNew { found: i64, supported: i64 },

    /// `user_version` holds something no build of Interlog ever writes, so the file is not ours to alter.
    #[error("ledger schema version {0} is not a version Interlog writes")]
    UnknownVersion(i64),

    /// SQLite refused WAL (e.g. a network file system). Without WAL readers would block the writer, so
    /// the ledger refuses to run in a mode it was not designed for.
    #[error("ledger needs journal_mode=WAL but SQLite chose {0:?}")]
    JournalMode(String),

    /// The ledger file has not been writable for so long that `waiting` durable writes wait to be
    /// applied to it; new writes are held until they are (see `writer_thread::BACKLOG_LIMIT`).
    #[error("{waiting} writes wait to go into the ledger file, which cannot be written; new ones are held until they have")]
    ApplyBacklog { waiting: i64 },

    /// The writer has been stopped (`close()` or the last handle dropped); nothing more is accepted.
    #[error("ledger is closed")]
    Closed,
}

impl StoreError {
    /// True for failures of the machine rather than of the write: a full disk, an I/O error, a lock
    /// another process holds past the busy timeout, a file made read-only. The same write can
    /// succeed once that is put right, so the writer holds it and tries again instead of dropping it.
    pub fn is_environmental(&self) -> bool {
        use rusqlite::ErrorCode;
        match self {
            StoreError::Io(_) => true,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                ErrorCode::DiskFull
                    | ErrorCode::SystemIoFailure
                    | ErrorCode::DatabaseBusy
                    | ErrorCode::DatabaseLocked
                    | ErrorCode::ReadOnly
                    | ErrorCode::CannotOpen
                    | ErrorCode::OutOfMemory
                    | ErrorCode::FileLockingProtocolFailed
            ),
            _ => false,
        }
    }
}
