//! Schema versions. `PRAGMA user_version` says how many steps of [`MIGRATIONS`] a file has had; each
//! step runs in its own transaction together with the version bump, so a crash mid-migration leaves the
//! file at the previous version rather than half-changed. Steps are append-only: a released step is
//! never edited, a change is a new step.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::StoreError;

/// Version 1: the raise ledger, its search index and the Interaction Log's records.
const V1_LEDGER: &str = r#"
-- One row per raise, written before delivery and updated as the raise progresses.
CREATE TABLE raises (
    -- AUTOINCREMENT so an id once shown in the history or quoted in an audit never names another raise,
    -- even if retention later purges the newest rows. Insertion order is raise order, so "newest first"
    -- and keyset paging run on the primary key and need no index of their own.
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    raise_key         TEXT NOT NULL UNIQUE,  -- every update looks its raise up through this index
    raised_at_ms      INTEGER NOT NULL,
    raiser_app        TEXT NOT NULL,
    raiser_instance   TEXT NOT NULL,
    request_uuid      TEXT NOT NULL,
    intent            TEXT,
    context           TEXT NOT NULL,         -- JSON, as raised
    target            TEXT,                  -- JSON
    candidates        TEXT NOT NULL,         -- JSON
    -- Derived from the context once, at write time, so listing never parses JSON per row.
    context_type      TEXT NOT NULL,
    interaction_type  TEXT,
    description       TEXT,
    participants      TEXT NOT NULL DEFAULT '[]',  -- JSON array of display names
    participant_terms TEXT NOT NULL DEFAULT '',    -- names and ids (emails...) for the search index
    state             TEXT NOT NULL DEFAULT 'raised'
                      CHECK (state IN ('raised', 'resolved', 'delivered', 'completed', 'failed')),
    resolution        TEXT,
    handler_app       TEXT,
    handler_instance  TEXT,
    resolved_at_ms    INTEGER,
    delivered_at_ms   INTEGER,
    completed_at_ms   INTEGER,
    result            TEXT,                  -- JSON: {"context":..} | {"channel":..} | {}
    result_status     TEXT,
    result_message    TEXT,
    error             TEXT,
    record_id         TEXT
);

-- Full-text search over what a user would type to find a raise. External content: the text lives once,
-- in `raises`; the index holds only tokens. `prefix` keeps search-as-you-type prefix queries from
-- scanning the whole term list once the ledger holds a million rows.
CREATE VIRTUAL TABLE raises_fts USING fts5(
    intent, context_type, interaction_type, participant_terms, description,
    raiser_app, handler_app, record_id,
    content = 'raises', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

-- Triggers keep the index inside the very transaction that changes the row, so search can never
-- disagree with the ledger, even after a crash.
CREATE TRIGGER raises_fts_insert AFTER INSERT ON raises BEGIN
    INSERT INTO raises_fts (rowid, intent, context_type, interaction_type, participant_terms,
                            description, raiser_app, handler_app, record_id)
    VALUES (new.id, new.intent, new.context_type, new.interaction_type, new.participant_terms,
            new.description, new.raiser_app, new.handler_app, new.record_id);
END;

-- Most updates (delivered, completed without a record id) touch no indexed text: the WHEN clause
-- spares them the delete-and-reinsert of the row's tokens.
CREATE TRIGGER raises_fts_update AFTER UPDATE ON raises
WHEN old.intent IS NOT new.intent
  OR old.context_type IS NOT new.context_type
  OR old.interaction_type IS NOT new.interaction_type
  OR old.participant_terms IS NOT new.participant_terms
  OR old.description IS NOT new.description
  OR old.raiser_app IS NOT new.raiser_app
  OR old.handler_app IS NOT new.handler_app
  OR old.record_id IS NOT new.record_id
BEGIN
    INSERT INTO raises_fts (raises_fts, rowid, intent, context_type, interaction_type,
                            participant_terms, description, raiser_app, handler_app, record_id)
    VALUES ('delete', old.id, old.intent, old.context_type, old.interaction_type,
            old.participant_terms, old.description, old.raiser_app, old.handler_app, old.record_id);
    INSERT INTO raises_fts (rowid, intent, context_type, interaction_type, participant_terms,
                            description, raiser_app, handler_app, record_id)
    VALUES (new.id, new.intent, new.context_type, new.interaction_type, new.participant_terms,
            new.description, new.raiser_app, new.handler_app, new.record_id);
END;

CREATE TRIGGER raises_fts_delete AFTER DELETE ON raises BEGIN
    INSERT INTO raises_fts (raises_fts, rowid, intent, context_type, interaction_type,
                            participant_terms, description, raiser_app, handler_app, record_id)
    VALUES ('delete', old.id, old.intent, old.context_type, old.interaction_type,
            old.participant_terms, old.description, old.raiser_app, old.handler_app, old.record_id);
END;

-- Interactions stored by the built-in Interaction Log handler, looked up by the id its
-- transactionResult quoted. raise_key is deliberately not a foreign key: the record must be kept even
-- if it cannot be tied to a raise.
CREATE TABLE interactions (
    record_id    TEXT PRIMARY KEY,
    raise_key    TEXT,
    logged_at_ms INTEGER NOT NULL,
    interaction  TEXT NOT NULL               -- JSON
);
"#;

/// Version 2: the search index is filled in bulk instead of row by row.
///
/// Updating FTS5 in every small transaction was most of the writer's work: each transaction writes a
/// new index segment, rewrites the index's structure and totals records and does merge work, and a raise
/// going through its stages had its tokens deleted and written again at each one. Now a new raise is
/// listed in `raises_unindexed`, in the same transaction that inserts it, and the writer moves rows from
/// there into `raises_fts` a few dozen at a time, once their raise is over (see `index.rs`). Search
/// looks at both (see `query.rs`), in one snapshot, so it still never disagrees with the ledger, crash
/// or not. Every row of a version-1 file is already indexed, so the list starts empty.
const V2_BULK_INDEX: &str = r#"
-- Raises whose row is not in raises_fts yet: few (a few dozen, plus raises still in flight).
CREATE TABLE raises_unindexed (
    id INTEGER PRIMARY KEY  -- raises.id
);

DROP TRIGGER raises_fts_insert;
CREATE TRIGGER raises_fts_insert AFTER INSERT ON raises BEGIN
    INSERT INTO raises_unindexed (id) VALUES (new.id);
END;

-- A row waiting for the indexer is indexed with whatever it holds by then: only indexed rows are
-- re-indexed when their searchable text changes.
DROP TRIGGER raises_fts_update;
CREATE TRIGGER raises_fts_update AFTER UPDATE ON raises
WHEN (old.intent IS NOT new.intent
   OR old.context_type IS NOT new.context_type
   OR old.interaction_type IS NOT new.interaction_type
   OR old.participant_terms IS NOT new.participant_terms
   OR old.description IS NOT new.description
   OR old.raiser_app IS NOT new.raiser_app
   OR old.handler_app IS NOT new.handler_app
   OR old.record_id IS NOT new.record_id)
  AND NOT EXISTS (SELECT 1 FROM raises_unindexed WHERE id = old.id)
BEGIN
    INSERT INTO raises_fts (raises_fts, rowid, intent, context_type, interaction_type,
                            participant_terms, description, raiser_app, handler_app, record_id)
    VALUES ('delete', old.id, old.intent, old.context_type, old.interaction_type,
            old.participant_terms, old.description, old.raiser_app, old.handler_app, old.record_id);
    INSERT INTO raises_fts (rowid, intent, context_type, interaction_type, participant_terms,
                            description, raiser_app, handler_app, record_id)
    VALUES (new.id, new.intent, new.context_type, new.interaction_type, new.participant_terms,
            new.description, new.raiser_app, new.handler_app, new.record_id);
END;

DROP TRIGGER raises_fts_delete;
CREATE TRIGGER raises_fts_delete AFTER DELETE ON raises BEGIN
    INSERT INTO raises_fts (raises_fts, rowid, intent, context_type, interaction_type,
                            participant_terms, description, raiser_app, handler_app, record_id)
    SELECT 'delete', old.id, old.intent, old.context_type, old.interaction_type,
           old.participant_terms, old.description, old.raiser_app, old.handler_app, old.record_id
    WHERE NOT EXISTS (SELECT 1 FROM raises_unindexed WHERE id = old.id);
    DELETE FROM raises_unindexed WHERE id = old.id;
END;
"#;

/// Version 3: raises by time, for the history's period filter ("last quarter").
///
/// The list still runs in raise order on the primary key; this index only turns a period into the
/// range of ids that holds it, with one seek per bound (see `query.rs`).
const V3_RAISED_AT_INDEX: &str = r#"
CREATE INDEX raises_raised_at ON raises (raised_at_ms);
"#;

/// Version 5: the unconfirmed interactions, for the history's badge and filter. A partial index
/// holds only them (few, in a healthy ledger): counting them or listing a page of them costs as
/// much at a million rows as at a thousand. Migration 6 replaced it with a wider one,
/// `raises_unsettled`. Its WHERE clause was `query::UNCONFIRMED`, spelled the
/// same, as SQLite requires to use it.
const V5_UNCONFIRMED_INDEX: &str = r#"
CREATE INDEX IF NOT EXISTS raises_unconfirmed ON raises (id)
WHERE intent = 'CreateInteraction' AND (result_status IS NULL OR result_status NOT IN ('Created', 'Updated'));
"#;

/// Version 6: the history's filters.
///
/// The partial index of unconfirmed interactions grows to every raise that is not `Created` or
/// `Updated`, whatever its intent (its WHERE clause is `filter::UNSETTLED`): the outcome filter walks
/// it for the outcomes that are few (failed, rejected, timed out...), and the unconfirmed
/// interactions are those of its rows that are CreateInteraction (the intent is in the index, so
/// the badge counts them without reading a row). The people table holds the
/// participants seen, for suggestions (see `people.rs`).
const V6_FILTERS: &str = r#"
CREATE INDEX raises_unsettled ON raises (id, intent)
WHERE (result_status IS NULL OR result_status NOT IN ('Created', 'Updated'));
DROP INDEX IF EXISTS raises_unconfirmed;

-- Raises re-sent from the history: the new raise (by its request, as the agent took it) and the
-- raise it re-sent. The new raise is found from the original through `raises_raised_at` (it was
-- raised at about `at_ms`), so the hot path keeps no index of requests.
CREATE TABLE resends (
    request_uuid TEXT PRIMARY KEY,
    original_id  INTEGER NOT NULL,
    at_ms        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX resends_original ON resends (original_id);
"#;

/// The steps, in order; step `i` takes a file from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    V1_LEDGER,
    V2_BULK_INDEX,
    V3_RAISED_AT_INDEX,
    crate::seal::V4_SEALS,
    V5_UNCONFIRMED_INDEX,
    V6_FILTERS,
    crate::chart::V7_DAY_COUNTS,
    crate::seal::V8_SEALED_RESENDS,
    crate::journal::V9_JOURNAL_APPLIED,
];

/// The step that starts the hash chain: what was finished before it is sealed in the same
/// transaction (once; a seal is never made again for a row the writer did not write).
const SEALS_VERSION: i64 = 4;

/// The step that starts the people table, filled from the raises already indexed.
const PEOPLE_VERSION: i64 = 6;

/// The step that starts the chart's counts, from the raises already indexed.
const CHART_VERSION: i64 = 7;

/// The step that seals the re-send links.
const SEALED_RESENDS_VERSION: i64 = 8;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Reads the file's version and refuses one this build must not touch. Reading only: this runs before
/// anything (even the switch to WAL, which rewrites the header) may change the file.
pub(crate) fn check_supported(conn: &Connection) -> Result<i64, StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found < 0 {
        return Err(StoreError::UnknownVersion(found));
    }
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// Whether the file has the table (or index) `name`: a file an older build wrote, read before this
/// build migrated it, lacks what later steps add.
pub(crate) fn has(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = ?1)")?
        .query_row([name], |r| r.get(0))?)
}

/// Brings the file up to [`SCHEMA_VERSION`].
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let target = index as i64 + 1;
        if check_supported(conn)? >= target {
            continue;
        }
        // IMMEDIATE takes the write lock up front; the version is read again under it because another
        // process opening the same file may have run this step in the meantime.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if check_supported(&tx)? >= target {
            continue;
        }
        tx.execute_batch(sql)?;
        if target == SEALS_VERSION {
            crate::seal::seal_existing(&tx)?;
        }
        if target == PEOPLE_VERSION {
            tx.execute_batch(crate::people::PEOPLE_TABLE)?;
            tx.execute_batch(crate::retention::CHAIN_START_TABLE)?;
            crate::people::count_indexed(&tx)?;
        }
        if target == CHART_VERSION {
            crate::chart::start_counts(&tx)?;
        }
        if target == SEALED_RESENDS_VERSION {
            crate::seal::seal_resends(&tx)?;
        }
        tx.pragma_update(None, "user_version", target)?;
        tx.commit()?;
        tracing::info!(version = target, "ledger schema migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().expect("in-memory db");
        migrate(&mut conn).expect("first run");
        migrate(&mut conn).expect("second run is a no-op");
        assert_eq!(check_supported(&conn).expect("version"), SCHEMA_VERSION);
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master
                 WHERE name IN ('raises', 'raises_fts', 'raises_unindexed', 'interactions')",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(tables, 4);
    }

    #[test]
    fn refuses_newer_and_negative_versions() {
        let conn = Connection::open_in_memory().expect("in-memory db");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("set");
        assert!(matches!(
            check_supported(&conn),
            Err(StoreError::TooNew { found, supported }) if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION
        ));
        conn.pragma_update(None, "user_version", -3).expect("set");
        assert!(matches!(
            check_supported(&conn),
            Err(StoreError::UnknownVersion(-3))
        ));
    }

    #[test]
    fn a_version_1_file_keeps_its_rows_searchable() {
        let mut conn = Connection::open_in_memory().expect("in-memory db");
        conn.execute_batch(V1_LEDGER).expect("v1 schema");
        conn.pragma_update(None, "user_version", 1).expect("v1");
        let insert = "INSERT INTO raises (raise_key, raised_at_ms, raiser_app, raiser_instance,
                          request_uuid, intent, context, candidates, context_type)
                      VALUES (?1, 1, 'crm', 'crm-1', 'req', 'ViewChart', '{}', '[]', 'fdc3.instrument')";
        conn.execute(insert, ["old"]).expect("v1 row");

        migrate(&mut conn).expect("to the current version");
        assert_eq!(check_supported(&conn).expect("version"), SCHEMA_VERSION);
        conn.execute(insert, ["new"]).expect("current row");
        let waiting: Vec<i64> = conn
            .prepare("SELECT id FROM raises_unindexed")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("ids");
        assert_eq!(
            waiting,
            [2],
            "the version-1 row was indexed already; the new one waits"
        );

        // The old row, indexed, follows its updates; the new one is found while it waits.
        conn.execute(
            "UPDATE raises SET record_id = 'rec-7' WHERE raise_key = 'old'",
            [],
        )
        .expect("update");
        let found = |text: &str| -> Vec<String> {
            let q = crate::model::HistoryQuery {
                search: Some(text.to_owned()),
                ..crate::model::HistoryQuery::default()
            };
            crate::query::list(&conn, &q)
                .expect("search")
                .into_iter()
                .map(|r| r.raise_key)
                .collect()
        };
        assert_eq!(found("viewchart"), ["new", "old"]);
        assert_eq!(found("rec-7"), ["old"]);
        conn.execute(
            "INSERT INTO raises_fts (raises_fts, rank) VALUES ('integrity-check', 0)",
            [],
        )
        .expect("fts integrity-check");
    }

    #[test]
    fn the_history_reader_brings_an_older_file_up_to_date() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("old.db");
        {
            let conn = Connection::open(&path).expect("file");
            conn.execute_batch(V1_LEDGER).expect("v1 schema");
            conn.pragma_update(None, "user_version", 1).expect("v1");
            conn.execute(
                "INSERT INTO raises (raise_key, raised_at_ms, raiser_app, raiser_instance,
                     request_uuid, intent, context, candidates, context_type, state, error)
                 VALUES ('old', 1, 'crm', 'crm-1', 'req', 'CreateInteraction', '{}', '[]',
                     'fdc3.interaction', 'failed', 'IntentDeliveryFailed')",
                [],
            )
            .expect("v1 row");
        }
        // `interlog history --outcome delivery_failed` before the agent ever ran this build.
        let reader = crate::HistoryReader::open(&path).expect("reader");
        let q = crate::model::HistoryQuery {
            outcomes: vec![crate::model::HistoryOutcome::DeliveryFailed],
            ..crate::model::HistoryQuery::default()
        };
        let rows = reader.list(&q).expect("filtered list");
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].resent);
        let conn = Connection::open(&path).expect("file");
        assert_eq!(check_supported(&conn).expect("version"), SCHEMA_VERSION);
    }
}
