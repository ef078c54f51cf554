//! Retention: records older than the user keeps them are removed, a few at a time, without
//! breaking the hash chain that proves the rest unaltered.
//!
//! The chain is cut from its start only. Each step takes the oldest seals (in chain order) that
//! were made before the cutoff, removes the rows whose latest seal is among them (a row sealed
//! again later stays until that later seal is reached), removes those seals, and notes in
//! `chain_start` the chain hash of the last seal removed: `verify` starts from it instead of from
//! zero. A row removed any other way is still reported, and so is a removed seal past the start.
//! Raises that never finished (stopped by a crash long ago) have no seal and go by their time.

use rusqlite::{params, OptionalExtension, Transaction};

use crate::error::StoreError;
use crate::filter::UNSETTLED;

/// Part of migration 6: where the chain starts once retention has removed its beginning.
pub(crate) const CHAIN_START_TABLE: &str = r#"
CREATE TABLE chain_start (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         INTEGER NOT NULL,   -- the last seal removed
    chain_hash  BLOB NOT NULL,      -- its chain hash: the next seal chains from it
    removed     INTEGER NOT NULL,   -- seals removed by retention so far
    at_ms       INTEGER NOT NULL    -- when retention last removed some
);
"#;

/// Removes up to `max_seals` of the oldest seals made before `cutoff_ms` with the rows they
/// seal, and up to as many unfinished raises raised before it. Returns how many rows went.
pub(crate) fn expire_some(
    tx: &Transaction<'_>,
    cutoff_ms: i64,
    max_seals: u32,
    now_ms: i64,
) -> Result<usize, StoreError> {
    let seals: Vec<(i64, String, String, Vec<u8>)> = tx
        .prepare_cached("SELECT seq, kind, row_key, chain_hash FROM seals ORDER BY seq LIMIT ?1")?
        .query_map([max_seals], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    // Only the prefix made before the cutoff: the chain is cut from its start, never in the middle.
    let mut prefix = Vec::new();
    {
        let mut at = tx.prepare_cached("SELECT sealed_at_ms FROM seals WHERE seq = ?1")?;
        for seal in seals {
            let sealed_at: i64 = at.query_row([seal.0], |r| r.get(0))?;
            if sealed_at >= cutoff_ms {
                break;
            }
            prefix.push(seal);
        }
    }
    let mut removed = 0;
    if let Some((last_seq, _, _, last_hash)) = prefix.last().cloned() {
        let mut latest =
            tx.prepare_cached("SELECT max(seq) FROM seals WHERE kind = ?1 AND row_key = ?2")?;
        let mut drop_raise = tx.prepare_cached("DELETE FROM raises WHERE id = ?1")?;
        let mut drop_record = tx.prepare_cached("DELETE FROM interactions WHERE record_id = ?1")?;
        let mut drop_link = tx.prepare_cached("DELETE FROM resends WHERE request_uuid = ?1")?;
        for (_, kind, key, _) in &prefix {
            let newest: i64 = latest.query_row(params![kind, key], |r| r.get(0))?;
            if newest > last_seq {
                continue;
            }
            removed += match kind.as_str() {
                "raise" => {
                    let id = key.parse::<i64>().unwrap_or(-1);
                    crate::people::uncount_raise(tx, id)?;
                    drop_raise.execute([id])?
                }
                "resend" => drop_link.execute([key])?,
                _ => drop_record.execute([key])?,
            };
        }
        tx.prepare_cached("DELETE FROM seals WHERE seq <= ?1")?
            .execute([last_seq])?;
        tx.prepare_cached(
            "INSERT INTO chain_start (id, seq, chain_hash, removed, at_ms) VALUES (1, ?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, chain_hash = excluded.chain_hash,
                 removed = removed + excluded.removed, at_ms = excluded.at_ms",
        )?
        .execute(params![last_seq, last_hash, prefix.len() as i64, now_ms])?;
    }
    // Raises that never finished and never will: by their raise time (the oldest first).
    let unfinished: Vec<i64> = tx
        .prepare_cached(&format!(
            "SELECT id FROM raises INDEXED BY raises_unsettled
             WHERE {UNSETTLED} AND raised_at_ms < ?1 AND state NOT IN ('completed', 'failed')
             LIMIT ?2"
        ))?
        .query_map(params![cutoff_ms, max_seals], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut drop_raise = tx.prepare_cached("DELETE FROM raises WHERE id = ?1")?;
    for id in unfinished {
        crate::people::uncount_raise(tx, id)?;
        removed += drop_raise.execute([id])?;
    }
    Ok(removed)
}

/// Where `verify` starts the chain: the chain hash retention left, if it removed any.
pub(crate) fn chain_start(conn: &rusqlite::Connection) -> Result<Option<Vec<u8>>, StoreError> {
    let exists = crate::migrations::has(conn, "chain_start")?;
    if !exists {
        return Ok(None);
    }
    Ok(conn
        .prepare_cached("SELECT chain_hash FROM chain_start WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// Whether anything is older than `cutoff_ms` and due to go (a read: two short index walks).
pub(crate) fn anything_due(
    conn: &rusqlite::Connection,
    cutoff_ms: i64,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT EXISTS (SELECT 1 FROM seals WHERE seq = (SELECT min(seq) FROM seals) AND sealed_at_ms < ?1)
                 OR EXISTS (SELECT 1 FROM raises INDEXED BY raises_unsettled
                            WHERE {UNSETTLED} AND raised_at_ms < ?1 AND state NOT IN ('completed', 'failed'))"
        ))?
        .query_row([cutoff_ms], |r| r.get(0))?)
}
