//! The journal: durable writes not yet applied to the rows (a crash, or the running agent a moment
//! ago) are applied by whoever opens the file next, once each, and an entry this build cannot read
//! is kept, not dropped.

use std::path::Path;

use interlog_store::{HistoryQuery, HistoryReader, Ledger, LedgerWrite, Outcome, RaiseRecord};
use serde_json::json;

fn raise(key: &str, at: i64) -> LedgerWrite {
    LedgerWrite::Raised(RaiseRecord {
        raise_key: key.to_owned(),
        raised_at_ms: at,
        raiser_app: "crm-app".into(),
        raiser_instance: format!("inst-{key}"),
        request_uuid: format!("req-{key}"),
        intent: Some("CreateInteraction".into()),
        context: json!({"type": "fdc3.interaction", "interactionType": "Call",
                        "description": format!("call {key}"),
                        "participants": {"type": "fdc3.contactList", "contacts": []}}),
        target: None,
        candidates: json!([]),
    })
}

fn completed(key: &str, at: i64) -> LedgerWrite {
    LedgerWrite::Completed {
        raise_key: key.to_owned(),
        at_ms: at,
        outcome: Outcome::Void,
    }
}

/// A file as a crash leaves it: these writes durable in the journal, not applied.
fn crashed_with(path: &Path, entries: &[String]) {
    Ledger::open(path).expect("create").close();
    let conn = rusqlite::Connection::open(path).expect("raw open");
    for entry in entries {
        conn.execute(
            "INSERT INTO journal (id, write) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM journal), ?1)",
            [entry],
        )
        .expect("journal entry");
    }
}

fn journal_len(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .expect("raw open")
        .query_row("SELECT count(*) FROM journal", [], |r| r.get(0))
        .expect("count")
}

fn json(write: &LedgerWrite) -> String {
    serde_json::to_string(write).expect("serialize")
}

fn keys(rows: &[interlog_store::HistoryRow]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| (r.raise_key.clone(), r.state.clone()))
        .collect()
}

#[test]
fn the_agent_applies_what_a_crash_left_in_the_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    crashed_with(
        &path,
        &[
            json(&raise("a", 1)),
            json(&raise("b", 2)),
            json(&completed("a", 3)),
        ],
    );
    assert_eq!(journal_len(&path), 3);
    let ledger = Ledger::open(&path).expect("open");
    let rows = ledger.list(&HistoryQuery::default()).expect("list");
    assert_eq!(
        keys(&rows),
        [
            ("b".into(), "raised".into()),
            ("a".into(), "completed".into())
        ]
    );
    ledger.close();
    assert_eq!(journal_len(&path), 0, "applied entries leave the journal");
    let verified = HistoryReader::open(&path)
        .expect("reader")
        .verify()
        .expect("verify");
    assert_eq!(verified.problem, None);
    assert_eq!(
        verified.seals, 1,
        "the finished raise is sealed as it is applied"
    );
}

#[test]
fn history_applies_the_journal_once_and_the_agent_does_not_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    crashed_with(&path, &[json(&raise("a", 1)), json(&completed("a", 2))]);
    // `interlog history` after a crash, before the agent runs again: shows everything durable.
    let reader = HistoryReader::open(&path).expect("reader");
    let rows = reader.list(&HistoryQuery::default()).expect("list");
    assert_eq!(keys(&rows), [("a".into(), "completed".into())]);
    drop(reader);
    assert_eq!(journal_len(&path), 0);
    // The agent finds nothing left to apply: one row, not a failed second insert.
    let ledger = Ledger::open(&path).expect("open");
    assert_eq!(
        ledger.list(&HistoryQuery::default()).expect("list").len(),
        1
    );
    ledger.close();
}

#[test]
fn an_entry_this_build_cannot_read_is_kept_and_the_rest_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    crashed_with(
        &path,
        &[
            json(&raise("a", 1)),
            r#"{"somethingNew": {"rowsOf": "a later build"}}"#.to_owned(),
            json(&raise("b", 2)),
        ],
    );
    let ledger = Ledger::open(&path).expect("open");
    assert_eq!(
        ledger.list(&HistoryQuery::default()).expect("list").len(),
        2
    );
    // New writes are numbered past it and applied as usual.
    ledger.write_blocking(raise("c", 3)).expect("write");
    assert_eq!(
        ledger.list(&HistoryQuery::default()).expect("list").len(),
        3
    );
    ledger.close();
    assert_eq!(journal_len(&path), 1, "the unreadable entry is kept");
    // And it is still kept (not applied, not lost) the next time.
    Ledger::open(&path).expect("reopen").close();
    assert_eq!(journal_len(&path), 1);
}

#[tokio::test]
async fn reads_see_every_durable_write_and_another_process_may_apply_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let ledger = Ledger::open(&path).expect("open");
    let mut committed = ledger.committed();
    for round in 0..20 {
        let key = format!("k{round}");
        ledger.submit(raise(&key, round));
        let seq = ledger.submit(completed(&key, round + 1));
        committed
            .wait_for(|s| *s >= seq)
            .await
            .expect("writer alive");
        if round % 2 == 0 {
            // Durable, most likely not applied yet: a read through the ledger waits for that.
            let rows = ledger.list(&HistoryQuery::default()).expect("list");
            assert_eq!(rows.len(), round as usize + 1);
            assert_eq!(rows[0].state, "completed");
        } else {
            // `interlog history` meanwhile: it applies what it finds; the agent must not again.
            let reader = HistoryReader::open(&path).expect("reader");
            let rows = reader.list(&HistoryQuery::default()).expect("list");
            assert_eq!(rows.len(), round as usize + 1);
            assert_eq!(rows[0].state, "completed");
        }
    }
    ledger.close();
    let verified = HistoryReader::open(&path)
        .expect("reader")
        .verify()
        .expect("verify");
    assert_eq!(verified.problem, None);
    assert_eq!(verified.seals, 20);
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    let raises: i64 = conn
        .query_row("SELECT count(*) FROM raises", [], |r| r.get(0))
        .expect("count");
    assert_eq!(raises, 20);
    assert_eq!(journal_len(&path), 0);
}
