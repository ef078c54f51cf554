//! The journal: the only durable step on the agent's hot path.
//!
//! A write the agent waits for (a raise before it is delivered, its result before it is returned) is
//! made durable by appending it, as JSON, to one narrow table and committing with an fsync. That
//! commit dirties a page or two at the table's right edge, where writing the raise's row would dirty
//! the row, every index of `raises` and the queue of rows waiting for the search index. The writer
//! then applies the journal in large batches, in transactions that skip the fsync (see `writer.rs`):
//! each applied batch deletes its journal entries in the same transaction, so an entry is in the
//! journal exactly as long as it is not applied, and a crash at any point leaves every durable write
//! either applied or still in the journal, applied at the next open.
//!
//! Anyone who writes the file may apply the journal (the agent's writer; `interlog history` opening a
//! file a crash left, or one the agent is writing): whoever deletes an entry applies it, in the same
//! transaction, so an entry is never applied twice.

use rusqlite::{params, Connection, Transaction};

use crate::error::StoreError;
use crate::model::LedgerWrite;

/// Version 9: the journal.
pub(crate) const V9_JOURNAL: &str = r#"
CREATE TABLE journal (
    id    INTEGER PRIMARY KEY,
    write TEXT NOT NULL
);
"#;

/// The id the next entry gets: one past the highest in the journal. Ids only grow while a writer
/// runs (it numbers entries itself), so one applied by someone else is never confused with a new one.
pub(crate) fn next_id(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM journal")?
        .query_row([], |r| r.get(0))?)
}

/// Appends `write` as entry `id`.
pub(crate) fn append(tx: &Transaction<'_>, id: i64, write: &str) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO journal (id, write) VALUES (?1, ?2)")?
        .execute(params![id, write])?;
    Ok(())
}

/// Takes entry `id` out of the journal, to be applied in the same transaction. False if it is not
/// there: another process applied it already.
pub(crate) fn take(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM journal WHERE id = ?1")?
        .execute([id])?
        == 1)
}

/// Whether anything waits in the journal (a read; false for a file from before the journal).
pub(crate) fn any(conn: &Connection) -> Result<bool, StoreError> {
    if !crate::migrations::has(conn, "journal")? {
        return Ok(false);
    }
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM journal)")?
        .query_row([], |r| r.get(0))?)
}

/// An entry read back from the file: what a crash left, or what another process journaled.
pub(crate) struct Entry {
    pub id: i64,
    /// `Err` for an entry this build cannot read (it is left where it is, and reported).
    pub write: Result<LedgerWrite, serde_json::Error>,
}

/// Up to `limit` entries with ids above `after`, oldest first.
pub(crate) fn read(conn: &Connection, after: i64, limit: usize) -> Result<Vec<Entry>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, write FROM journal WHERE id > ?1 ORDER BY id LIMIT ?2")?;
    let rows = stmt.query_map(params![after, limit as i64], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut entries = Vec::new();
    for row in rows {
        let (id, text) = row?;
        entries.push(Entry {
            id,
            write: serde_json::from_str(&text),
        });
    }
    Ok(entries)
}
