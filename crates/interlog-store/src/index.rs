//! Filling the search index in bulk.
//!
//! A new raise goes into `raises_unindexed` (by trigger, in the transaction that inserts it) rather than
//! into `raises_fts`. The writer moves rows across once enough are waiting, inside one of its ordinary
//! transactions, so FTS5's fixed cost per transaction (a new segment, the structure and totals records,
//! merge work) is paid once per few hundred raises instead of once per commit. A raise is moved once it is
//! over, so the stages that follow its insert never rewrite its tokens; one that never ends (its agent
//! stopped mid-way, its user never chose) is moved anyway once [`IN_FLIGHT_WINDOW`] newer raises exist.
//!
//! Search reads `raises_fts` and the waiting rows in one snapshot (see `query.rs`), so where a row stands
//! never changes what a search finds.

use rusqlite::{params, Connection};

use crate::error::StoreError;

/// The newest raises, which may well still be in flight: they wait until they are over.
pub(crate) const IN_FLIGHT_WINDOW: i64 = 32;

/// Rows moved at a time, at least. The writer starts once this many are waiting beyond the in-flight
/// window, and every row outside the window is movable, so each time moves at least this many. More
/// means fewer, larger FTS5 segments (less merging: at 32 a time, merges were half the index's cost),
/// but a longer pause for the commit that carries the move (about 12 ms at 128 rows, 25 ms at 256:
/// the p99 latency of raises under load) and more rows for each search to look at on the side.
pub(crate) const BATCH: i64 = 128;

/// Whether enough rows are waiting for the writer to move them now.
pub(crate) fn due(conn: &Connection) -> Result<bool, StoreError> {
    let waiting: i64 = conn
        .prepare_cached("SELECT count(*) FROM raises_unindexed")?
        .query_row([], |r| r.get(0))?;
    Ok(waiting >= IN_FLIGHT_WINDOW + BATCH)
}

/// Moves the waiting rows of raises that are over, or older than the in-flight window, into the search
/// index. Run by the writer inside its transaction when [`due`]. Returns how many were moved.
pub(crate) fn index_some(conn: &Connection) -> Result<usize, StoreError> {
    index(conn, false)
}

/// Moves every waiting row into the search index, over or not: when the ledger is opened (catching up
/// after a crash) and when it closes, so that a closed ledger's index covers all of its rows.
pub(crate) fn index_all(conn: &Connection) -> Result<usize, StoreError> {
    index(conn, true)
}

/// Whether any row is waiting at all (a read, to spare `open()` a write transaction for nothing).
pub(crate) fn any_waiting(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM raises_unindexed)")?
        .query_row([], |r| r.get(0))?)
}

fn index(conn: &Connection, all: bool) -> Result<usize, StoreError> {
    // Ids are raise order (AUTOINCREMENT), so the window is the highest ids. An id whose row is gone
    // (never expected: the delete trigger forgets it) is dropped too, so it cannot stay waiting forever.
    let ids: Vec<(i64, bool)> = conn
        .prepare_cached(
            "SELECT u.id, r.id IS NOT NULL FROM raises_unindexed u LEFT JOIN raises r ON r.id = u.id
             WHERE ?1 OR r.id IS NULL OR r.state IN ('completed', 'failed')
                OR u.id <= (SELECT max(id) FROM raises) - ?2",
        )?
        .query_map(params![all, IN_FLIGHT_WINDOW], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let moved: Vec<i64> = ids
        .iter()
        .filter_map(|&(id, exists)| exists.then_some(id))
        .collect();
    // One statement for all of them, in id order. FTS5 writes out what it holds in memory as a new
    // segment at every statement savepoint, and an `INSERT … SELECT` per row opens one: a segment
    // per raise, and merge work to match (two thirds of the index's cost). In one statement the
    // whole batch becomes one segment.
    conn.prepare_cached(
        "INSERT INTO raises_fts (rowid, intent, context_type, interaction_type, participant_terms,
                                 description, raiser_app, handler_app, record_id)
         SELECT id, intent, context_type, interaction_type, participant_terms, description,
                raiser_app, handler_app, record_id
         FROM raises WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    )?
    .execute([json_ids(moved.iter().copied())])?;
    conn.prepare_cached(
        "DELETE FROM raises_unindexed WHERE id IN (SELECT value FROM json_each(?1))",
    )?
    .execute([json_ids(ids.iter().map(|&(id, _)| id))])?;
    // The participant suggestions and the chart count a raise once, as it enters the index.
    crate::people::count_raises(conn, &moved)?;
    crate::chart::count_moved(conn, &moved)?;
    Ok(ids.len())
}

/// Ids as a JSON array, for `json_each`: a list bound as one parameter.
pub(crate) fn json_ids(ids: impl Iterator<Item = i64>) -> String {
    let ids: Vec<String> = ids.map(|id| id.to_string()).collect();
    format!("[{}]", ids.join(","))
}
