//! The journal: durable writes not yet applied to the rows (a crash, or the running agent a moment
//! ago) are applied by whoever opens the file next, once each, and an entry this build cannot read
//! is kept, not dropped.

use std::path::Path;

use interlog_store::{
    HistoryQuery, HistoryReader, JsonText, Ledger, LedgerOptions, LedgerWrite, Outcome, RaiseRecord,
};
use serde_json::json;

/// Awaits `wait` (a `watch::Receiver::wait_for`), failing the test with `what` after `secs`.
async fn within<T, E: std::fmt::Debug>(
    secs: u64,
    what: &str,
    wait: impl std::future::Future<Output = Result<T, E>>,
) {
    tokio::time::timeout(std::time::Duration::from_secs(secs), wait)
        .await
        .expect(what)
        .expect("the ledger's writer is alive");
}

fn raise(key: &str, at: i64) -> LedgerWrite {
    LedgerWrite::Raised(RaiseRecord {
        raise_key: key.to_owned(),
        raised_at_ms: at,
        raiser_app: "crm-app".into(),
        raiser_instance: format!("inst-{key}"),
        request_uuid: format!("req-{key}"),
        intent: Some("CreateInteraction".into()),
        context: JsonText::of(
            &json!({"type": "fdc3.interaction", "interactionType": "Call",
                        "description": format!("call {key}"),
                        "participants": {"type": "fdc3.contactList", "contacts": []}}),
        ),
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

/// The ledger's journal file (beside it).
fn journal(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path.with_extension("journal")).expect("journal file")
}

/// A file as a crash leaves it: these writes durable in the journal, not applied.
fn crashed_with(path: &Path, entries: &[String]) {
    Ledger::open(path).expect("create").close();
    let conn = journal(path);
    for entry in entries {
        conn.execute(
            "INSERT INTO entries (id, write) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM entries), ?1)",
            [entry],
        )
        .expect("journal entry");
    }
}

fn journal_len(path: &Path) -> i64 {
    journal(path)
        .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
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
    // It only reads the journal; the ledger's mark says the entries are applied.
    assert_eq!(journal_len(&path), 2);
    // The agent finds nothing left to apply (one row, not a failed second insert) and forgets them.
    let ledger = Ledger::open(&path).expect("open");
    assert_eq!(
        ledger.list(&HistoryQuery::default()).expect("list").len(),
        1
    );
    ledger.close();
    assert_eq!(journal_len(&path), 0);
}

#[test]
fn an_entry_this_build_cannot_read_is_kept_and_the_rest_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let unreadable = r#"{"somethingNew": {"rowsOf": "a later build"}}"#;
    crashed_with(
        &path,
        &[
            json(&raise("a", 1)),
            unreadable.to_owned(),
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
    // Not lost: kept in the ledger, as it was.
    let kept: Vec<(i64, String)> = rusqlite::Connection::open(&path)
        .expect("raw open")
        .prepare("SELECT id, write FROM journal_unreadable")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(kept, [(2, unreadable.to_owned())]);
    assert_eq!(journal_len(&path), 0);
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
            // (Opened after the agent's journal commit, it sees every durable write.)
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
    assert_eq!(journal_len(&path), 0, "closing forgets what was applied");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raise_is_durable_while_the_ledger_file_is_locked_and_its_row_follows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let ledger = Ledger::open(&path).expect("open");
    // Another program holds the ledger file's write lock: the rows cannot be applied.
    let blocker = rusqlite::Connection::open(&path).expect("second connection");
    blocker.execute_batch("BEGIN IMMEDIATE").expect("lock");
    let seq = ledger.submit(raise("a", 1));
    let mut committed = ledger.committed();
    within(
        3,
        "durable (journaled) although the ledger file is locked",
        committed.wait_for(|s| *s >= seq),
    )
    .await;
    // The applying thread says what holds it back, and reads show what is applied, not hang.
    let mut health = ledger.health();
    within(
        15,
        "the ledger says why rows wait",
        health.wait_for(|h| h.as_deref().is_some_and(|h| h.contains("locked"))),
    )
    .await;
    let reader = ledger.clone();
    let rows = tokio::task::spawn_blocking(move || reader.list(&HistoryQuery::default()))
        .await
        .expect("join")
        .expect("list");
    assert!(rows.is_empty());
    blocker.execute_batch("ROLLBACK").expect("unlock");
    let reader = ledger.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let rows = reader.list(&HistoryQuery::default()).expect("list");
            if !rows.is_empty() || std::time::Instant::now() > deadline {
                return rows;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    })
    .await
    .expect("join");
    assert_eq!(keys(&rows), [("a".into(), "raised".into())]);
    within(5, "healthy again", health.wait_for(Option::is_none)).await;
    ledger.close();
}

#[tokio::test(flavor = "multi_thread")]
async fn while_the_ledger_file_stays_locked_new_writes_are_held_once_the_backlog_is_full() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let ledger = Ledger::open_with(
        &path,
        LedgerOptions {
            backlog_limit: 4,
            ..LedgerOptions::default()
        },
    )
    .expect("open");
    let blocker = rusqlite::Connection::open(&path).expect("second connection");
    blocker.execute_batch("BEGIN IMMEDIATE").expect("lock");
    let mut committed = ledger.committed();
    // Each waits for the one before, so they are journaled one batch at a time.
    let mut seqs = Vec::new();
    for i in 0..4 {
        let seq = ledger.submit(raise(&format!("r{i}"), i));
        within(
            3,
            "durable while the backlog has room",
            committed.wait_for(|s| *s >= seq),
        )
        .await;
        seqs.push(seq);
    }
    // The backlog is full: the next one is held, not made durable, and health says why.
    let held = ledger.submit(raise("held", 9));
    let mut health = ledger.health();
    within(
        10,
        "the ledger says why new writes are held",
        health.wait_for(|h| {
            h.as_deref()
                .is_some_and(|h| h.contains("wait to go into the ledger file"))
        }),
    )
    .await;
    assert!(*committed.borrow() < held, "held, not durable");
    // Released: everything goes through, nothing lost.
    blocker.execute_batch("ROLLBACK").expect("unlock");
    within(
        10,
        "durable once the ledger file can be written",
        committed.wait_for(|s| *s >= held),
    )
    .await;
    within(10, "healthy again", health.wait_for(Option::is_none)).await;
    let reader = ledger.clone();
    let rows = tokio::task::spawn_blocking(move || reader.list(&HistoryQuery::default()))
        .await
        .expect("join")
        .expect("list");
    assert_eq!(rows.len(), 5);
    ledger.close();
}

#[tokio::test(flavor = "multi_thread")]
async fn journaled_writes_go_into_the_rows_on_their_own_in_one_batch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let ledger = Ledger::open(&path).expect("open");
    let before = ledger.apply_count();
    let mut committed = ledger.committed();
    // Three commits of the journal, none of them waited for by a read.
    for i in 0..3 {
        let seq = ledger.submit(raise(&format!("r{i}"), i));
        within(3, "durable", committed.wait_for(|s| *s >= seq)).await;
    }
    // Nobody reads: the rows follow anyway, a moment later, in one transaction.
    let end = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while ledger.apply_count() == before && std::time::Instant::now() < end {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(ledger.apply_count(), before + 1, "applied once, all three");
    let rows = HistoryReader::open(&path)
        .expect("reader")
        .list(&HistoryQuery::default())
        .expect("list");
    assert_eq!(rows.len(), 3);
    ledger.close();
}
