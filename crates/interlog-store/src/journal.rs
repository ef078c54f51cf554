//! The journal: the only durable step on the agent's hot path.
//!
//! A write the agent waits for (a raise before it is delivered, its result before it is returned) is
//! made durable by appending it, as JSON, to a file of its own beside the ledger (`<name>.journal`, a
//! SQLite database with one narrow table) and committing with an fsync. That commit writes a page or
//! two of one file, where writing the raise's row would dirty the row, every index of `raises` and the
//! queue for the search index, and it never waits behind that work: the rows are applied from the
//! journaled writes by another thread, in large batches, on the ledger's own file (see
//! `writer_thread.rs`).
//!
//! The ledger records how far it has applied the journal (`journal_applied`), in the same transaction
//! as the rows, so a write is applied exactly once whatever crashes when: at open, whatever the
//! journal holds past that mark is applied first. Entries up to the mark are deleted from the journal
//! later, at leisure. The agent holds the journal file exclusively while it runs; `interlog history`
//! reads it only when no agent does (after a crash), and applies what it finds the same way.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::StoreError;
use crate::model::LedgerWrite;

/// Version 9 of the ledger: how far the journal is applied, and the entries this build could not
/// read (kept, not dropped).
pub(crate) const V9_JOURNAL_APPLIED: &str = r#"
CREATE TABLE journal_applied (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    through INTEGER NOT NULL
);
INSERT INTO journal_applied (one, through) VALUES (1, 0);
CREATE TABLE journal_unreadable (
    id    INTEGER PRIMARY KEY,
    write TEXT NOT NULL
);
"#;

/// The journal file of the ledger at `ledger`: beside it, `interlog.db` → `interlog.journal`.
pub(crate) fn path_for(ledger: &Path) -> PathBuf {
    ledger.with_extension("journal")
}

/// The journal file, opened for the agent's writer: created if missing, WAL with an fsync at every
/// commit.
pub(crate) fn open_for_writing(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::JournalMode(mode));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY, write TEXT NOT NULL);",
    )?;
    Ok(conn)
}

/// The journal file opened read-only, to apply what it holds from outside the agent (a crashed
/// agent's, or a running agent's not yet applied), or `None` if there is no such file.
pub(crate) fn open_for_reading(path: &Path) -> Result<Option<Connection>, StoreError> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let has_entries: bool = conn
        .prepare("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'entries')")?
        .query_row([], |r| r.get(0))?;
    Ok(has_entries.then_some(conn))
}

/// The highest id in the journal (0 when empty).
pub(crate) fn last_id(journal: &Connection) -> Result<i64, StoreError> {
    Ok(journal
        .prepare_cached("SELECT coalesce(max(id), 0) FROM entries")?
        .query_row([], |r| r.get(0))?)
}

/// Appends `writes` (serialized) with ids from `first_id` on, and deletes the entries the ledger has
/// applied (`applied_through`), in one durable commit.
pub(crate) fn append(
    journal: &mut Connection,
    writes: &[&str],
    first_id: i64,
    applied_through: i64,
) -> Result<(), StoreError> {
    let tx = journal.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut insert = tx.prepare_cached("INSERT INTO entries (id, write) VALUES (?1, ?2)")?;
        for (offset, write) in writes.iter().enumerate() {
            insert.execute(params![first_id + offset as i64, write])?;
        }
    }
    prune(&tx, applied_through)?;
    tx.commit()?;
    Ok(())
}

/// Deletes the entries the ledger has applied.
pub(crate) fn prune(tx: &Transaction<'_>, applied_through: i64) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM entries WHERE id <= ?1")?
        .execute([applied_through])?;
    Ok(())
}

/// An entry read back from the journal: what a crash left.
pub(crate) struct Entry {
    pub id: i64,
    pub text: String,
}

impl Entry {
    pub(crate) fn write(&self) -> Result<LedgerWrite, serde_json::Error> {
        serde_json::from_str(&self.text)
    }
}

/// Up to `limit` entries with ids above `after`, oldest first.
pub(crate) fn read(
    journal: &Connection,
    after: i64,
    limit: usize,
) -> Result<Vec<Entry>, StoreError> {
    let mut stmt = journal
        .prepare_cached("SELECT id, write FROM entries WHERE id > ?1 ORDER BY id LIMIT ?2")?;
    let rows = stmt.query_map(params![after, limit as i64], |r| {
        Ok(Entry {
            id: r.get(0)?,
            text: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How far the ledger has applied the journal.
pub(crate) fn applied_through(ledger: &Connection) -> Result<i64, StoreError> {
    Ok(ledger
        .prepare_cached("SELECT through FROM journal_applied")?
        .query_row([], |r| r.get(0))?)
}

/// Moves the mark, in the transaction that applies the entries up to `through`.
pub(crate) fn mark_applied(ledger: &Transaction<'_>, through: i64) -> Result<(), StoreError> {
    ledger
        .prepare_cached("UPDATE journal_applied SET through = max(through, ?1)")?
        .execute([through])?;
    Ok(())
}

/// Keeps an entry this build cannot read in the ledger itself, so nothing journaled is lost.
pub(crate) fn keep_unreadable(ledger: &Transaction<'_>, entry: &Entry) -> Result<(), StoreError> {
    ledger
        .prepare_cached("INSERT OR IGNORE INTO journal_unreadable (id, write) VALUES (?1, ?2)")?
        .execute(params![entry.id, entry.text])?;
    Ok(())
}
