//! Tamper evidence: every finished exchange is sealed into a hash chain.
//!
//! When a raise reaches its end (`completed` or `failed`), and whenever the interaction log stores
//! a record, the writer appends a seal in the same transaction: the SHA-256 of the row's content
//! (its columns in a fixed order, as JSON), and the chain hash, the SHA-256 of the previous seal's
//! chain hash with this seal's kind, key and content hash. [`verify`] walks the chain: a seal whose
//! chain hash does not follow from the one before names a seal removed, inserted or edited; a row
//! whose content no longer gives its latest seal's content hash was altered; a sealed row that is
//! gone was removed; a finished row with no seal was inserted behind the writer's back.
//!
//! Rows finished before the chain existed are sealed once, in the migration that adds it. A
//! chain kept in the same file can be rewritten whole by someone who edits the file and knows how;
//! the chain's head (printed by `interlog verify`) recorded elsewhere detects that too.

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// The columns of a raise that its seal covers, in the order hashed. Fixed: a later migration that
/// adds a column must not change the content of rows sealed before it.
const RAISE_COLUMNS: &str =
    "id, raise_key, raised_at_ms, raiser_app, raiser_instance, request_uuid,
    intent, context, target, candidates, context_type, interaction_type, description, participants,
    participant_terms, state, resolution, handler_app, handler_instance, resolved_at_ms,
    delivered_at_ms, completed_at_ms, result, result_status, result_message, error, record_id";
const INTERACTION_COLUMNS: &str = "record_id, raise_key, logged_at_ms, interaction";
const RESEND_COLUMNS: &str = "request_uuid, original_id, at_ms";

/// What a seal covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealKind {
    /// A raise's row, keyed by its id.
    Raise,
    /// A record of the interaction log, keyed by its record id.
    Interaction,
    /// A raise re-sent from the history: the link from the new raise (its request) to the first.
    Resend,
}

impl SealKind {
    fn as_str(self) -> &'static str {
        match self {
            SealKind::Raise => "raise",
            SealKind::Interaction => "interaction",
            SealKind::Resend => "resend",
        }
    }

    fn parse(s: &str) -> Option<SealKind> {
        match s {
            "raise" => Some(SealKind::Raise),
            "interaction" => Some(SealKind::Interaction),
            "resend" => Some(SealKind::Resend),
            _ => None,
        }
    }
}

pub(crate) const V4_SEALS: &str = r#"
-- The hash chain over finished exchanges (see seal.rs). Append-only: the writer never updates or
-- deletes a seal.
CREATE TABLE seals (
    seq          INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('raise', 'interaction')),
    row_key      TEXT NOT NULL,      -- raises.id, or interactions.record_id
    content_hash BLOB NOT NULL,      -- SHA-256 of the row's sealed columns
    chain_hash   BLOB NOT NULL,      -- SHA-256(previous chain_hash || kind || row_key || content_hash)
    sealed_at_ms INTEGER NOT NULL
);
CREATE INDEX seals_row ON seals (kind, row_key);
"#;

/// Version 8: re-send links are sealed too. SQLite cannot change a CHECK in place: the table is
/// made again with the new kind allowed, its seals copied as they are (the chain is unchanged).
/// [`seal_resends`] then seals the links written before, once.
pub(crate) const V8_SEALED_RESENDS: &str = r#"
CREATE TABLE seals_v8 (
    seq          INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('raise', 'interaction', 'resend')),
    row_key      TEXT NOT NULL,      -- raises.id, interactions.record_id, or resends.request_uuid
    content_hash BLOB NOT NULL,
    chain_hash   BLOB NOT NULL,
    sealed_at_ms INTEGER NOT NULL
);
INSERT INTO seals_v8 (seq, kind, row_key, content_hash, chain_hash, sealed_at_ms)
    SELECT seq, kind, row_key, content_hash, chain_hash, sealed_at_ms FROM seals;
DROP TABLE seals;
ALTER TABLE seals_v8 RENAME TO seals;
CREATE INDEX seals_row ON seals (kind, row_key);
"#;

/// Seals the re-send links written before they were sealed (migration 8).
pub(crate) fn seal_resends(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let links: Vec<(String, i64)> = tx
        .prepare("SELECT request_uuid, at_ms FROM resends ORDER BY at_ms, request_uuid")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (request, at) in links {
        seal(tx, SealKind::Resend, &request, at)?;
    }
    Ok(())
}

/// The content of one row as hashed: its sealed columns as a JSON array.
fn content(conn: &Connection, kind: SealKind, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let sql = match kind {
        SealKind::Raise => format!("SELECT {RAISE_COLUMNS} FROM raises WHERE id = ?1"),
        SealKind::Interaction => {
            format!("SELECT {INTERACTION_COLUMNS} FROM interactions WHERE record_id = ?1")
        }
        SealKind::Resend => format!("SELECT {RESEND_COLUMNS} FROM resends WHERE request_uuid = ?1"),
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let columns = stmt.column_count();
    Ok(stmt
        .query_row([key], |row| {
            let values = (0..columns)
                .map(|i| row.get_ref(i).map(Column))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(hashed_bytes(kind, &values))
        })
        .optional()?)
}

/// What a seal hashes: the kind, a zero byte, and the columns as a JSON array.
fn hashed_bytes(kind: SealKind, columns: &[Column<'_>]) -> Vec<u8> {
    let mut bytes = kind.as_str().as_bytes().to_vec();
    bytes.push(0);
    serde_json::to_writer(&mut bytes, columns).unwrap_or_default();
    bytes
}

/// One column as sealed, written straight from the row (no copy of its text): NULL is `null`, a
/// number is itself (a float that is not finite is `null`), text is a string (invalid UTF-8
/// replaced), a blob is its hex as a string.
struct Column<'a>(ValueRef<'a>);

impl Serialize for Column<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            ValueRef::Null => s.serialize_unit(),
            ValueRef::Integer(n) => s.serialize_i64(n),
            ValueRef::Real(f) => serde_json::Value::from(f).serialize(s),
            ValueRef::Text(t) => s.serialize_str(&String::from_utf8_lossy(t)),
            ValueRef::Blob(b) => s.serialize_str(&hex(b)),
        }
    }
}

fn chain(previous: &[u8], kind: SealKind, key: &str, content_hash: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(previous);
    h.update(kind.as_str().as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    h.update([0]);
    h.update(content_hash);
    h.finalize().to_vec()
}

/// The chain starts from this (32 zero bytes).
const GENESIS: [u8; 32] = [0; 32];

fn head(tx: &Connection) -> Result<Vec<u8>, StoreError> {
    match tx
        .prepare_cached("SELECT chain_hash FROM seals ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| r.get::<_, Vec<u8>>(0))
        .optional()?
    {
        Some(head) => Ok(head),
        // Retention removed every seal: the chain goes on from the last one it removed.
        None => Ok(crate::retention::chain_start(tx)?.unwrap_or_else(|| GENESIS.to_vec())),
    }
}

/// Appends the seal of a row as it is now, inside the writer's transaction.
pub(crate) fn seal(
    tx: &Transaction<'_>,
    kind: SealKind,
    key: &str,
    at_ms: i64,
) -> Result<(), StoreError> {
    let Some(bytes) = content(tx, kind, key)? else {
        return Ok(());
    };
    append(tx, kind, key, Sha256::digest(&bytes).to_vec(), at_ms)
}

fn append(
    tx: &Transaction<'_>,
    kind: SealKind,
    key: &str,
    content_hash: Vec<u8>,
    at_ms: i64,
) -> Result<(), StoreError> {
    let chain_hash = chain(&head(tx)?, kind, key, &content_hash);
    tx.prepare_cached(
        "INSERT INTO seals (kind, row_key, content_hash, chain_hash, sealed_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![kind.as_str(), key, content_hash, chain_hash, at_ms])?;
    Ok(())
}

/// Seals a raise (by its key) if its row is finished and its content is not what its latest
/// seal says: when it finishes, and again if a late stage (a "delivered" note that lost the race
/// with the result) changes a finished row. Writes from the writer are sealed; edits are not.
pub(crate) fn seal_finished_raise(
    tx: &Transaction<'_>,
    raise_key: &str,
    at_ms: i64,
) -> Result<(), StoreError> {
    let id: Option<i64> = tx
        .prepare_cached(
            "SELECT id FROM raises WHERE raise_key = ?1 AND state IN ('completed', 'failed')",
        )?
        .query_row([raise_key], |r| r.get(0))
        .optional()?;
    let Some(id) = id else {
        return Ok(());
    };
    let key = id.to_string();
    let Some(bytes) = content(tx, SealKind::Raise, &key)? else {
        return Ok(());
    };
    let content_hash = Sha256::digest(&bytes).to_vec();
    let sealed: Option<Vec<u8>> = tx
        .prepare_cached(
            "SELECT content_hash FROM seals WHERE kind = 'raise' AND row_key = ?1
             ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    if sealed.as_deref() == Some(content_hash.as_slice()) {
        return Ok(());
    }
    append(tx, SealKind::Raise, &key, content_hash, at_ms)
}

/// Seals what was finished before the chain existed (run once, by the migration that adds it).
pub(crate) fn seal_existing(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let raises: Vec<(i64, i64)> = tx
        .prepare(
            "SELECT id, coalesce(completed_at_ms, raised_at_ms) FROM raises
             WHERE state IN ('completed', 'failed') ORDER BY id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, at) in raises {
        seal(tx, SealKind::Raise, &id.to_string(), at)?;
    }
    let records: Vec<(String, i64)> = tx
        .prepare(
            "SELECT record_id, logged_at_ms FROM interactions ORDER BY logged_at_ms, record_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (record_id, at) in records {
        seal(tx, SealKind::Interaction, &record_id, at)?;
    }
    Ok(())
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Seals checked.
    pub seals: u64,
    /// The chain's head (hex): recorded elsewhere, it proves later that the chain was not rewritten.
    pub head: String,
    /// Raises still under way (not sealed until they finish).
    pub unfinished: u64,
    /// The first problem, in chain order; `None`: the ledger is as it was written.
    pub problem: Option<Tampering>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Tampering {
    /// The row's content is not what was sealed.
    Altered { what: String, seal: i64 },
    /// A sealed row is gone.
    Removed { what: String, seal: i64 },
    /// A finished row that was never sealed: written behind the ledger's back.
    Inserted { what: String },
    /// The chain does not follow at this seal: a seal was removed, inserted or edited before it.
    ChainBroken { seal: i64 },
}

impl std::fmt::Display for Tampering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tampering::Altered { what, seal } => {
                write!(f, "{what} was altered after it was sealed (seal {seal})")
            }
            Tampering::Removed { what, seal } => {
                write!(f, "{what} was removed (its seal {seal} remains)")
            }
            Tampering::Inserted { what } => {
                write!(
                    f,
                    "{what} is not in the chain: it was inserted, not written by Interlog"
                )
            }
            Tampering::ChainBroken { seal } => write!(
                f,
                "the chain breaks at seal {seal}: a seal before it was removed, inserted or edited"
            ),
        }
    }
}

fn describe(kind: SealKind, key: &str) -> String {
    match kind {
        SealKind::Raise => format!("raise #{key}"),
        SealKind::Interaction => format!("interaction record {key}"),
        SealKind::Resend => format!("re-send link of request {key}"),
    }
}

/// Checks the whole chain and every finished row against it.
pub fn verify(conn: &Connection) -> Result<Verification, StoreError> {
    // Retention may have cut the chain's beginning: it then starts from the hash it left.
    let mut previous = crate::retention::chain_start(conn)?.unwrap_or_else(|| GENESIS.to_vec());
    let mut seals = 0u64;
    let mut problem = None;
    // The latest seal of each row: only the row's current content can be checked against it.
    let mut latest: std::collections::HashMap<(String, String), i64> = Default::default();
    {
        let mut stmt =
            conn.prepare("SELECT kind, row_key, max(seq) FROM seals GROUP BY kind, row_key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        for row in rows {
            let (kind, key, seq): (String, String, i64) = row?;
            latest.insert((kind, key), seq);
        }
    }
    let mut stmt = conn
        .prepare("SELECT seq, kind, row_key, content_hash, chain_hash FROM seals ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let kind_text: String = row.get(1)?;
        let key: String = row.get(2)?;
        let content_hash: Vec<u8> = row.get(3)?;
        let chain_hash: Vec<u8> = row.get(4)?;
        seals += 1;
        let Some(kind) = SealKind::parse(&kind_text) else {
            problem.get_or_insert(Tampering::ChainBroken { seal: seq });
            continue;
        };
        if chain(&previous, kind, &key, &content_hash) != chain_hash {
            problem.get_or_insert(Tampering::ChainBroken { seal: seq });
        }
        previous = chain_hash;
        if problem.is_some() || latest.get(&(kind_text, key.clone())) != Some(&seq) {
            continue;
        }
        match content(conn, kind, &key)? {
            None => {
                problem = Some(Tampering::Removed {
                    what: describe(kind, &key),
                    seal: seq,
                })
            }
            Some(bytes) if Sha256::digest(&bytes).as_slice() != content_hash.as_slice() => {
                problem = Some(Tampering::Altered {
                    what: describe(kind, &key),
                    seal: seq,
                })
            }
            Some(_) => {}
        }
    }
    if problem.is_none() {
        let unsealed: Option<String> = conn
            .query_row(
                "SELECT 'raise #' || r.id FROM raises r WHERE r.state IN ('completed', 'failed')
                   AND NOT EXISTS (SELECT 1 FROM seals s WHERE s.kind = 'raise' AND s.row_key = CAST(r.id AS TEXT))
                 UNION ALL
                 SELECT 'interaction record ' || i.record_id FROM interactions i
                   WHERE NOT EXISTS (SELECT 1 FROM seals s WHERE s.kind = 'interaction' AND s.row_key = i.record_id)
                 UNION ALL
                 SELECT 're-send link of request ' || l.request_uuid FROM resends l
                   WHERE NOT EXISTS (SELECT 1 FROM seals s WHERE s.kind = 'resend' AND s.row_key = l.request_uuid)
                 LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        problem = unsealed.map(|what| Tampering::Inserted { what });
    }
    let unfinished: i64 = conn.query_row(
        "SELECT count(*) FROM raises WHERE state NOT IN ('completed', 'failed')",
        [],
        |r| r.get(0),
    )?;
    Ok(Verification {
        seals,
        head: hex(&previous),
        unfinished: unfinished as u64,
        problem,
    })
}

/// The chain hash of a raise's latest seal (hex), for the detail view.
pub(crate) fn raise_seal(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    // A file an older build wrote and this one has not opened for writing yet has no chain.
    let chained = crate::migrations::has(conn, "seals")?;
    if !chained {
        return Ok(None);
    }
    Ok(conn
        .prepare_cached(
            "SELECT chain_hash FROM seals WHERE kind = 'raise' AND row_key = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([id.to_string()], |r| r.get::<_, Vec<u8>>(0))
        .optional()?
        .map(|h| hex(&h)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seals made before must still verify: the columns are hashed exactly as the JSON array of
    /// their values (the form every existing seal was made from).
    #[test]
    fn columns_are_hashed_as_the_json_array_of_their_values() {
        let columns = [
            ValueRef::Null,
            ValueRef::Integer(-7),
            ValueRef::Real(1.5),
            ValueRef::Real(f64::NAN),
            ValueRef::Text("a \"q\" é\n\u{1}".as_bytes()),
            ValueRef::Text(b"\xff bad"),
            ValueRef::Blob(&[0, 255]),
        ];
        let as_values = serde_json::json!([
            null,
            -7,
            1.5,
            null,
            "a \"q\" é\n\u{1}",
            "\u{fffd} bad",
            "00ff"
        ]);
        let expected = [
            b"raise\0".as_slice(),
            &serde_json::to_vec(&as_values).unwrap(),
        ]
        .concat();
        assert_eq!(
            hashed_bytes(SealKind::Raise, &columns.map(Column)),
            expected
        );
    }
}
