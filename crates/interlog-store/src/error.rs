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

    /// The writer has been stopped (`close()` or the last handle dropped); nothing more is accepted.
    #[error("ledger is closed")]
    Closed,
}
