//! End-to-end tests of the ledger through its public API, on real files.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use interlog_store::{
    HistoryQuery, JsonText, Ledger, LedgerWrite, Outcome, RaiseRecord, Resolution, StoreError,
    SCHEMA_VERSION,
};
use serde_json::{json, Value};

fn interaction_context() -> Value {
    json!({
        "type": "fdc3.interaction",
        "participants": {"type": "fdc3.contactList", "contacts": [
            {"type": "fdc3.contact", "name": "Jane Doe", "id": {"email": "jane.doe@mail.com"}},
            {"type": "fdc3.contact", "name": "John Doe", "id": {"email": "john.doe@mail.com"}}
        ]},
        "interactionType": "Instant Message",
        "timeRange": {"type": "fdc3.timeRange", "startTime": "2022-02-10T15:12:00Z"},
        "description": "Laboris libero dapibus",
        "initiator": {"type": "fdc3.contact", "name": "Jane Doe", "id": {"email": "jane.doe@mail.com"}},
        "origin": "Outlook"
    })
}

fn transaction_result() -> Value {
    let mut stored = interaction_context();
    stored["id"] = json!({"Singletrack": "a0S8d000000uO05EAE"});
    json!({
        "type": "fdc3.transactionResult",
        "status": "Created",
        "context": stored,
        "message": "record with id \"a0S8d000000uO05EAE\" was created"
    })
}

fn raise(key: &str, at: i64, intent: &str, context: Value) -> LedgerWrite {
    LedgerWrite::Raised(RaiseRecord {
        raise_key: key.to_owned(),
        raised_at_ms: at,
        raiser_app: "crm-app".into(),
        raiser_instance: format!("inst-{key}"),
        request_uuid: format!("req-{key}"),
        intent: Some(intent.to_owned()),
        context: JsonText::of(&context),
        target: None,
        candidates: json!([{"appId": "interaction-log"}]),
    })
}

fn instrument(ticker: &str) -> Value {
    json!({"type": "fdc3.instrument", "id": {"ticker": ticker}})
}

fn search(ledger: &Ledger, text: &str) -> Vec<String> {
    let q = HistoryQuery {
        search: Some(text.to_owned()),
        limit: HistoryQuery::MAX_LIMIT,
        ..HistoryQuery::default()
    };
    ledger
        .list(&q)
        .unwrap_or_else(|e| panic!("search {text:?} failed: {e}"))
        .into_iter()
        .map(|r| r.raise_key)
        .collect()
}

fn open(dir: &Path) -> Ledger {
    Ledger::open(&dir.join("ledger.db")).expect("open ledger")
}

#[test]
fn full_lifecycle_records_every_stage_and_derived_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = open(dir.path());
    let key = "5b1c9d2e-0000-4000-8000-000000000001";
    let writes = [
        raise(key, 1_000, "CreateInteraction", interaction_context()),
        LedgerWrite::Resolved {
            raise_key: key.into(),
            at_ms: 1_010,
            resolution: Resolution::UserChoice,
            handler_app: Some("interaction-log".into()),
            handler_instance: Some("h-1".into()),
        },
        LedgerWrite::Delivered {
            raise_key: key.into(),
            at_ms: 1_020,
        },
        LedgerWrite::Completed {
            raise_key: key.into(),
            at_ms: 1_030,
            outcome: Outcome::Context(JsonText::of(&transaction_result())),
        },
    ];
    for w in writes {
        ledger.write_blocking(w).expect("write");
    }

    let rows = ledger.list(&HistoryQuery::default()).expect("list");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.raise_key, key);
    assert_eq!(row.raised_at_ms, 1_000);
    assert_eq!(row.intent.as_deref(), Some("CreateInteraction"));
    assert_eq!(row.context_type, "fdc3.interaction");
    assert_eq!(row.interaction_type.as_deref(), Some("Instant Message"));
    assert_eq!(row.participants, ["Jane Doe", "John Doe"]);
    assert_eq!(row.description.as_deref(), Some("Laboris libero dapibus"));
    assert_eq!(row.raiser_app, "crm-app");
    assert_eq!(row.raiser_instance, format!("inst-{key}"));
    assert_eq!(row.handler_app.as_deref(), Some("interaction-log"));
    assert_eq!(row.handler_instance.as_deref(), Some("h-1"));
    assert_eq!(row.resolution.as_deref(), Some("user_choice"));
    assert_eq!(row.state, "completed");
    assert_eq!(row.result_status.as_deref(), Some("Created"));
    assert_eq!(row.error, None);
    assert_eq!(row.record_id.as_deref(), Some("a0S8d000000uO05EAE"));

    let detail = ledger.detail(row.id).expect("detail").expect("present");
    assert_eq!(&detail.row, row);
    assert_eq!(detail.context, interaction_context());
    assert_eq!(detail.target, None);
    assert_eq!(detail.candidates, json!([{"appId": "interaction-log"}]));
    assert_eq!(
        detail.result,
        Some(json!({"context": transaction_result()}))
    );
    assert_eq!(
        detail.result_message.as_deref(),
        Some("record with id \"a0S8d000000uO05EAE\" was created")
    );
    assert_eq!(detail.resolved_at_ms, Some(1_010));
    assert_eq!(detail.delivered_at_ms, Some(1_020));
    assert_eq!(detail.completed_at_ms, Some(1_030));
    assert_eq!(detail.request_uuid, format!("req-{key}"));
    assert!(ledger.detail(row.id + 1).expect("detail").is_none());

    // The UI receives these as camelCase JSON.
    let as_json = serde_json::to_value(row).expect("serialize");
    assert_eq!(as_json["recordId"], "a0S8d000000uO05EAE");
    assert_eq!(as_json["resultStatus"], "Created");
    // The search index followed the updates: the handler and the record id are findable.
    assert_eq!(search(&ledger, "a0S8d000000uO05EAE"), [key]);
    assert_eq!(search(&ledger, "interaction-log"), [key]);
}

#[test]
fn error_outcome_marks_the_raise_failed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = open(dir.path());
    ledger
        .write_blocking(raise("k", 5, "ViewChart", instrument("AAPL")))
        .expect("raise");
    ledger
        .write_blocking(LedgerWrite::Resolved {
            raise_key: "k".into(),
            at_ms: 6,
            resolution: Resolution::Cancelled,
            handler_app: None,
            handler_instance: None,
        })
        .expect("resolve");
    ledger
        .write_blocking(LedgerWrite::Completed {
            raise_key: "k".into(),
            at_ms: 7,
            outcome: Outcome::Error("UserCancelledResolution".into()),
        })
        .expect("complete");
    let rows = ledger.list(&HistoryQuery::default()).expect("list");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, "failed");
    assert_eq!(rows[0].error.as_deref(), Some("UserCancelledResolution"));
    assert_eq!(rows[0].resolution.as_deref(), Some("cancelled"));
    assert_eq!(rows[0].result_status, None);
    let detail = ledger.detail(rows[0].id).expect("detail").expect("present");
    assert_eq!(detail.result, None);
    assert_eq!(detail.completed_at_ms, Some(7));
}

#[test]
fn search_matches_words_tolerates_hostile_input_and_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = open(dir.path());
    ledger
        .write_blocking(raise("im", 1, "CreateInteraction", interaction_context()))
        .expect("raise");
    for i in 0..25 {
        ledger.submit(raise(
            &format!("chart-{i:02}"),
            10 + i,
            "ViewChart",
            instrument("MSFT"),
        ));
    }
    ledger
        .write_blocking(raise("last", 100, "ViewNews", instrument("IBM")))
        .expect("raise");

    assert_eq!(search(&ledger, "jane"), ["im"]);
    assert_eq!(search(&ledger, "Instant"), ["im"]);
    assert_eq!(
        search(&ledger, "instant mess"),
        ["im"],
        "every word as a prefix"
    );
    assert_eq!(
        search(&ledger, "john.doe@mail.com"),
        ["im"],
        "emails are indexed"
    );
    assert_eq!(search(&ledger, "dapibus"), ["im"]);
    assert!(search(&ledger, "nobody").is_empty());
    assert!(
        search(&ledger, "jane nobody").is_empty(),
        "all words must match"
    );
    assert_eq!(search(&ledger, "viewnews"), ["last"]);

    for hostile in [
        "\"",
        "a\"b",
        "-x",
        "col:val",
        "*",
        ")",
        "",
        "   ",
        "intent:View",
        "NEAR(",
        "\"jane",
    ] {
        search(&ledger, hostile);
    }
    // Punctuation is not a filter: it shows everything, like an empty box.
    assert_eq!(search(&ledger, "*").len(), 27);
    // Quotes typed by the user are literal: "jane still finds Jane.
    assert_eq!(search(&ledger, "\"jane"), ["im"]);

    // Keyset paging, newest first, with and without a search.
    for text in [None, Some("ViewChart".to_owned())] {
        let mut seen = Vec::new();
        let mut before_id = None;
        loop {
            let page = ledger
                .list(&HistoryQuery {
                    search: text.clone(),
                    limit: 10,
                    before_id,
                    ..HistoryQuery::default()
                })
                .expect("page");
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 10);
            assert!(page.windows(2).all(|w| w[0].id > w[1].id), "newest first");
            before_id = page.last().map(|r| r.id);
            seen.extend(page.into_iter().map(|r| r.raise_key));
        }
        let expected: Vec<String> = match text {
            None => std::iter::once("last".to_owned())
                .chain((0..25).rev().map(|i| format!("chart-{i:02}")))
                .chain(std::iter::once("im".to_owned()))
                .collect(),
            Some(_) => (0..25).rev().map(|i| format!("chart-{i:02}")).collect(),
        };
        assert_eq!(seen, expected);
    }

    // The page size is capped, and 0 means the default.
    for (limit, expected) in [(0, 27), (1, 1), (5000, 27)] {
        let q = HistoryQuery {
            limit,
            ..HistoryQuery::default()
        };
        assert_eq!(ledger.list(&q).expect("list").len(), expected);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn concurrent_submits_share_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = open(dir.path());
    const THREADS: usize = 8;
    const PER_THREAD: usize = 125;
    let start = std::sync::Arc::new(std::sync::Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let ledger = ledger.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                // Built before the start line so the threads race on submit() alone.
                let writes: Vec<_> = (0..PER_THREAD)
                    .map(|i| raise(&format!("t{t}-{i}"), i as i64, "ViewChart", instrument("X")))
                    .collect();
                start.wait();
                writes
                    .into_iter()
                    .map(|w| ledger.submit(w))
                    .max()
                    .unwrap_or(0)
            })
        })
        .collect();
    let mut highest = 0;
    for worker in workers {
        highest = highest.max(worker.join().expect("submitter thread"));
    }
    assert_eq!(
        highest,
        (THREADS * PER_THREAD) as u64,
        "sequence numbers start at 1"
    );

    let mut committed = ledger.committed();
    tokio::time::timeout(
        Duration::from_secs(60),
        committed.wait_for(|s| *s >= highest),
    )
    .await
    .expect("durable in time")
    .expect("writer alive");

    let all = ledger
        .list(&HistoryQuery {
            limit: 1000,
            ..HistoryQuery::default()
        })
        .expect("list");
    assert_eq!(all.len(), THREADS * PER_THREAD);
    let commits = ledger.commit_count();
    assert!(commits >= 1);
    assert!(
        commits <= (THREADS * PER_THREAD / 10) as u64,
        "{commits} commits for {} writes: not grouped",
        THREADS * PER_THREAD
    );
}

#[test]
fn committed_starts_at_zero_and_close_drains() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = open(dir.path());
    assert_eq!(*ledger.committed().borrow(), 0);
    let seqs: Vec<u64> = (0..50)
        .map(|i| ledger.submit(raise(&format!("k{i}"), i, "ViewChart", instrument("X"))))
        .collect();
    assert_eq!(seqs, (1..=50).collect::<Vec<u64>>());
    ledger.close();
    // Everything submitted before close() was written; nothing is accepted afterwards.
    assert_eq!(*ledger.committed().borrow(), 50);
    assert_eq!(
        ledger
            .list(&HistoryQuery::default())
            .expect("reads still work")
            .len(),
        50
    );
    assert!(matches!(
        ledger.write_blocking(raise("late", 0, "ViewChart", instrument("X"))),
        Err(StoreError::Closed)
    ));
    drop(ledger);

    // A duplicate raise fails alone; the ledger keeps going.
    let ledger = open(dir.path());
    assert!(matches!(
        ledger.write_blocking(raise("k1", 0, "ViewChart", instrument("X"))),
        Err(StoreError::Sqlite(_))
    ));
    ledger
        .write_blocking(raise("k50", 0, "ViewChart", instrument("X")))
        .expect("later write still works");
    assert_eq!(
        ledger.list(&HistoryQuery::default()).expect("list").len(),
        51
    );
}

const CRASH_DB_VAR: &str = "INTERLOG_STORE_CRASH_CHILD_DB";

/// The child half of `acknowledged_raises_survive_sigkill`: a no-op unless that test started this binary
/// with the variable set. It writes raises until killed, announcing each one once it is durable.
#[test]
fn crash_child() {
    use std::io::Write;
    let Some(db) = std::env::var_os(CRASH_DB_VAR) else {
        return;
    };
    let ledger = Ledger::open(Path::new(&db)).expect("child open");
    let started = Instant::now();
    let mut stdout = std::io::stdout();
    let mut i: u64 = 0;
    // Bounded so an orphaned child cannot run forever if the parent dies first.
    while started.elapsed() < Duration::from_secs(60) {
        let key = format!("crash-{i}");
        let mut context = interaction_context();
        context["description"] = json!("x".repeat(2000)); // bigger rows: more pages per commit
                                                          // As the agent does: submitted, then acknowledged once durable (journaled; the rows are
                                                          // applied later, so a kill finds some durable writes not applied yet).
        let seq = ledger.submit(raise(&key, i as i64, "CreateInteraction", context));
        while *ledger.committed().borrow() < seq {
            std::thread::sleep(Duration::from_micros(200));
        }
        writeln!(stdout, "ACK {key}").expect("stdout");
        stdout.flush().expect("flush");
        i += 1;
    }
}

#[test]
fn acknowledged_raises_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("nested").join("crash.db");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CRASH_DB_VAR, &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let mut acked = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read child");
        if let Some(key) = line.strip_prefix("ACK ") {
            acked.push(key.to_owned());
            if acked.len() == 40 {
                break;
            }
        }
    }
    // Killed while it is in the middle of further writes.
    child.kill().expect("SIGKILL child");
    let status = child.wait().expect("reap child");
    assert!(!status.success(), "child should have been killed");
    assert_eq!(acked.len(), 40, "child stopped acknowledging early");

    let applied: i64 = rusqlite::Connection::open(&db)
        .expect("raw open")
        .query_row("SELECT through FROM journal_applied", [], |r| r.get(0))
        .expect("mark");
    let waiting: i64 = rusqlite::Connection::open(db.with_extension("journal"))
        .expect("journal open")
        .query_row(
            "SELECT count(*) FROM entries WHERE id > ?1",
            [applied],
            |r| r.get(0),
        )
        .expect("journal");
    eprintln!("{waiting} durable writes were waiting in the journal at the kill");
    let ledger = Ledger::open(&db).expect("reopen after crash");
    let stored: std::collections::HashSet<String> = ledger
        .list(&HistoryQuery {
            limit: 1000,
            ..HistoryQuery::default()
        })
        .expect("list")
        .into_iter()
        .map(|r| r.raise_key)
        .collect();
    for key in &acked {
        assert!(stored.contains(key), "acknowledged raise {key} was lost");
    }
    ledger.close();
    drop(ledger);
    let conn = rusqlite::Connection::open(&db).expect("raw open");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
    // The search index must agree with its content table too.
    conn.execute(
        "INSERT INTO raises_fts (raises_fts, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .expect("fts integrity-check");
}

#[test]
fn newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("future.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("create");
        conn.execute_batch("CREATE TABLE future_stuff (x); PRAGMA user_version = 999;")
            .expect("future schema");
    }
    let before = std::fs::read(&path).expect("read");
    match Ledger::open(&path) {
        Err(StoreError::TooNew { found, supported }) => {
            assert_eq!(found, 999);
            assert_eq!(supported, SCHEMA_VERSION);
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(&path).expect("read"),
        before,
        "file was altered"
    );
    assert!(
        !dir.path().join("future.db-wal").exists(),
        "WAL was created"
    );
}

#[test]
fn unknown_raise_updates_are_ignored_and_interactions_are_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = open(dir.path());
    for w in [
        LedgerWrite::Resolved {
            raise_key: "ghost".into(),
            at_ms: 1,
            resolution: Resolution::SingleCandidate,
            handler_app: Some("a".into()),
            handler_instance: None,
        },
        LedgerWrite::Delivered {
            raise_key: "ghost".into(),
            at_ms: 2,
        },
        LedgerWrite::Completed {
            raise_key: "ghost".into(),
            at_ms: 3,
            outcome: Outcome::Void,
        },
    ] {
        ledger.write_blocking(w).expect("ignored, not an error");
    }
    assert!(ledger
        .list(&HistoryQuery::default())
        .expect("list")
        .is_empty());

    let mut stored = interaction_context();
    stored["id"] = json!({"interlog": "rec-1"});
    ledger
        .write_blocking(LedgerWrite::InteractionLogged {
            record_id: "rec-1".into(),
            raise_key: Some("ghost".into()),
            at_ms: 4,
            interaction: stored.clone(),
        })
        .expect("log interaction");
    assert_eq!(
        ledger.interaction("rec-1").expect("read"),
        Some(stored.clone())
    );
    assert_eq!(ledger.interaction("rec-2").expect("read"), None);

    // Logging the same record again replaces it.
    stored["description"] = json!("edited");
    ledger
        .write_blocking(LedgerWrite::InteractionLogged {
            record_id: "rec-1".into(),
            raise_key: None,
            at_ms: 5,
            interaction: stored.clone(),
        })
        .expect("relog");
    assert_eq!(ledger.interaction("rec-1").expect("read"), Some(stored));

    // Void results store an empty result object.
    ledger
        .write_blocking(raise("v", 9, "StartCall", instrument("X")))
        .expect("raise");
    ledger
        .write_blocking(LedgerWrite::Completed {
            raise_key: "v".into(),
            at_ms: 10,
            outcome: Outcome::Void,
        })
        .expect("complete");
    let rows = ledger.list(&HistoryQuery::default()).expect("list");
    let detail = ledger.detail(rows[0].id).expect("detail").expect("present");
    assert_eq!(detail.result, Some(json!({})));
    assert_eq!(detail.row.state, "completed");
}

/// The writer indexes rows for search a few dozen at a time, once their raise is over; searches must
/// find the rows that are waiting exactly as they find indexed ones, alone or mixed on one page.
#[test]
fn search_finds_rows_whether_indexed_yet_or_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("ledger.db");
    let ledger = Ledger::open(&db).expect("open");
    let key = |i: usize| format!("r{i:03}");
    // Even raises complete with a record id; odd ones stay in flight.
    for i in 0..600 {
        let intent = if i % 3 == 0 { "ViewChart" } else { "ViewNews" };
        ledger
            .write_blocking(raise(&key(i), i as i64, intent, instrument("AAPL")))
            .expect("raise");
        if i % 2 == 0 {
            let result = json!({
                "type": "fdc3.transactionResult", "status": "Created",
                "context": {"type": "fdc3.interaction", "id": {"URI": format!("rec{i:03}")}}
            });
            ledger
                .write_blocking(LedgerWrite::Completed {
                    raise_key: key(i),
                    at_ms: i as i64,
                    outcome: Outcome::Context(JsonText::of(&result)),
                })
                .expect("complete");
        }
    }
    let raw =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("raw open");
    let count = |sql: &str| -> i64 { raw.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let waiting = count("SELECT count(*) FROM raises_unindexed");
    let indexed = count("SELECT count(*) FROM raises_fts_docsize");
    assert!(
        waiting > 0 && indexed > 0,
        "{waiting} waiting, {indexed} indexed"
    );
    assert_eq!(waiting + indexed, 600);

    let newest_first = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..600).rev().filter(|&i| keep(i)).map(key).collect()
    };
    let charts = newest_first(&|i| i % 3 == 0);
    assert_eq!(search(&ledger, "ViewChart"), charts);
    assert_eq!(search(&ledger, "crm"), newest_first(&|_| true));
    assert_eq!(search(&ledger, "rec010"), ["r010"]);
    assert_eq!(
        search(&ledger, "rec14"),
        newest_first(&|i| (140..150).contains(&i) && i % 2 == 0)
    );
    assert!(
        search(&ledger, "rec011").is_empty(),
        "odd raises have no record"
    );
    // Pages cross from the waiting rows to the indexed ones and back, with no row twice or missed.
    let mut seen = Vec::new();
    let mut before_id = None;
    loop {
        let page = ledger
            .list(&HistoryQuery {
                search: Some("viewchart".into()),
                limit: 7,
                before_id,
                ..HistoryQuery::default()
            })
            .expect("page");
        let Some(last) = page.last() else { break };
        before_id = Some(last.id);
        seen.extend(page.into_iter().map(|r| r.raise_key));
    }
    assert_eq!(seen, charts);

    // An old raise still in flight was indexed as it stood; when it ends, its index entry follows.
    let stale = key(1);
    ledger
        .write_blocking(LedgerWrite::Completed {
            raise_key: stale.clone(),
            at_ms: 999,
            outcome: Outcome::Context(JsonText::of(&json!({
                "type": "fdc3.transactionResult", "status": "Created",
                "context": {"type": "fdc3.interaction", "id": {"URI": "late001"}}
            }))),
        })
        .expect("late completion");
    assert_eq!(search(&ledger, "late001"), [stale]);

    // A closed ledger has indexed everything, and the index agrees with the rows.
    let before_close: Vec<Vec<String>> = ["viewnews", "rec", "crm"]
        .iter()
        .map(|s| search(&ledger, s))
        .collect();
    ledger.close();
    assert_eq!(count("SELECT count(*) FROM raises_unindexed"), 0);
    rusqlite::Connection::open(&db)
        .expect("raw open")
        .execute(
            "INSERT INTO raises_fts (raises_fts, rank) VALUES ('integrity-check', 1)",
            [],
        )
        .expect("fts integrity-check");
    let after_close: Vec<Vec<String>> = ["viewnews", "rec", "crm"]
        .iter()
        .map(|s| search(&ledger, s))
        .collect();
    assert_eq!(after_close, before_close);
}

/// Searches keep a small index of the rows waiting for the search index from one search to the next;
/// a waiting row must be found by its text as it is now, and once indexed, exactly once.
#[test]
fn a_waiting_row_is_found_by_its_latest_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = open(dir.path());
    let raw = rusqlite::Connection::open_with_flags(
        dir.path().join("ledger.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("raw open");
    let k_waits = || -> bool {
        raw.query_row(
            "SELECT EXISTS (SELECT 1 FROM raises_unindexed u JOIN raises r ON r.id = u.id
                            WHERE r.raise_key = 'k')",
            [],
            |r| r.get(0),
        )
        .expect("query")
    };
    ledger
        .write_blocking(raise("k", 1, "ViewChart", instrument("AAPL")))
        .expect("raise");
    assert!(k_waits());
    assert_eq!(search(&ledger, "viewchart"), ["k"]);
    let resolve = |handler: &str| LedgerWrite::Resolved {
        raise_key: "k".into(),
        at_ms: 2,
        resolution: Resolution::UserChoice,
        handler_app: Some(handler.into()),
        handler_instance: None,
    };
    ledger
        .write_blocking(resolve("alpha-app"))
        .expect("resolve");
    assert_eq!(search(&ledger, "alpha"), ["k"]);
    ledger
        .write_blocking(resolve("beta-app"))
        .expect("resolve again");
    assert!(search(&ledger, "alpha").is_empty(), "old text still found");
    assert_eq!(search(&ledger, "beta"), ["k"]);

    // Enough newer raises that "k", still in flight, is indexed as it stands.
    for i in 0..320 {
        let key = format!("n{i}");
        ledger
            .write_blocking(raise(&key, 10 + i, "ViewNews", instrument("IBM")))
            .expect("raise");
        ledger
            .write_blocking(LedgerWrite::Completed {
                raise_key: key,
                at_ms: 10 + i,
                outcome: Outcome::Void,
            })
            .expect("complete");
    }
    assert!(!k_waits(), "k was not indexed");
    assert_eq!(search(&ledger, "beta"), ["k"]);
    assert_eq!(search(&ledger, "viewchart"), ["k"]);
    assert_eq!(search(&ledger, "viewnews").len(), 320);
    assert_eq!(search(&ledger, "crm").len(), 321);
}

/// `interlog history` reads beside a running writer without writing anything itself.
#[test]
fn history_reader_sees_what_the_writer_committed_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    ledger
        .write_blocking(raise(
            "r1",
            1_000,
            "CreateInteraction",
            interaction_context(),
        ))
        .unwrap();
    let path = dir.path().join("ledger.db");
    let reader = interlog_store::HistoryReader::open(&path).unwrap();
    let rows = reader
        .list(&HistoryQuery {
            search: Some("jane".into()),
            ..HistoryQuery::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].raise_key, "r1");
    assert!(reader.detail(rows[0].id).unwrap().is_some());
    // A later write by the agent is visible to the same reader.
    ledger
        .write_blocking(raise(
            "r2",
            2_000,
            "CreateInteraction",
            interaction_context(),
        ))
        .unwrap();
    assert_eq!(reader.list(&HistoryQuery::default()).unwrap().len(), 2);
    ledger.close();
    // A file that does not exist is an error, not a new empty ledger.
    assert!(interlog_store::HistoryReader::open(&dir.path().join("missing.db")).is_err());
    assert!(!dir.path().join("missing.db").exists());
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_ledger_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");

    // A new ledger in folders that do not exist yet: folders 0700, database and WAL 0600.
    let nested = dir.path().join("home/.local/share/interlog");
    let path = nested.join("interlog.db");
    let ledger = Ledger::open(&path).expect("open");
    ledger
        .write_blocking(raise("k1", 0, "CreateInteraction", interaction_context()))
        .expect("write");
    assert_eq!(mode(&nested), 0o700);
    assert_eq!(mode(&dir.path().join("home")), 0o700);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&nested.join("interlog.db-wal")), 0o600);
    assert_eq!(mode(&nested.join("interlog.db-shm")), 0o600);
    // The journal, where each write is made durable first, likewise.
    assert_eq!(mode(&nested.join("interlog.journal")), 0o600);
    assert_eq!(mode(&nested.join("interlog.journal-wal")), 0o600);
    drop(ledger);

    // A folder that already existed keeps its mode; a database others could read is narrowed,
    // and so are a WAL and shared-memory file left behind, and nothing in it is lost.
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).expect("mkdir");
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let old = shared.join("old.db");
    {
        let conn = rusqlite::Connection::open(&old).expect("create");
        conn.execute_batch("PRAGMA user_version = 0;")
            .expect("touch");
    }
    std::fs::write(shared.join("old.db-shm"), b"").expect("leftover shm");
    for file in ["old.db", "old.db-shm"] {
        std::fs::set_permissions(shared.join(file), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
    }
    let ledger = Ledger::open(&old).expect("open old");
    ledger
        .write_blocking(raise("k2", 0, "CreateInteraction", interaction_context()))
        .expect("write");
    assert_eq!(mode(&shared), 0o755);
    assert_eq!(mode(&old), 0o600);
    assert_eq!(mode(&shared.join("old.db-shm")), 0o600);
    assert_eq!(mode(&shared.join("old.db-wal")), 0o600);
    assert_eq!(
        ledger.list(&HistoryQuery::default()).expect("list").len(),
        1
    );
}

/// Every row of a query, page by page (keyset paging), newest first.
fn all_pages(ledger: &Ledger, query: HistoryQuery) -> Vec<String> {
    let mut seen = Vec::new();
    let mut before_id = None;
    loop {
        let page = ledger
            .list(&HistoryQuery {
                before_id,
                ..query.clone()
            })
            .expect("page");
        let Some(last) = page.last() else { break };
        before_id = Some(last.id);
        seen.extend(page.into_iter().map(|r| r.raise_key));
    }
    seen
}

#[test]
fn a_period_selects_raises_by_time_with_or_without_search_indexed_or_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = open(dir.path());
    let key = |i: usize| format!("p{i:03}");
    let at = |i: usize| 1_000_000 + 10 * i as i64;
    // Even raises complete (and are then indexed in batches); odd ones stay in flight, waiting.
    for i in 0..400 {
        let intent = if i % 3 == 0 { "ViewChart" } else { "ViewNews" };
        ledger
            .write_blocking(raise(&key(i), at(i), intent, instrument("AAPL")))
            .expect("raise");
        if i % 2 == 0 {
            ledger
                .write_blocking(LedgerWrite::Completed {
                    raise_key: key(i),
                    at_ms: at(i),
                    outcome: Outcome::Void,
                })
                .expect("complete");
        }
    }
    let raw = rusqlite::Connection::open_with_flags(
        dir.path().join("ledger.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("raw open");
    let count = |sql: &str| -> i64 { raw.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let (waiting, indexed) = (
        count("SELECT count(*) FROM raises_unindexed"),
        count("SELECT count(*) FROM raises_fts_docsize"),
    );
    assert!(
        waiting > 0 && indexed > 0,
        "{waiting} waiting, {indexed} indexed"
    );
    let expect = |since: Option<i64>, until: Option<i64>, keep: &dyn Fn(usize) -> bool| {
        (0..400)
            .rev()
            .filter(|&i| since.is_none_or(|s| at(i) >= s) && until.is_none_or(|u| at(i) < u))
            .filter(|&i| keep(i))
            .map(key)
            .collect::<Vec<_>>()
    };
    let query = |search: Option<&str>, since: Option<i64>, until: Option<i64>| HistoryQuery {
        search: search.map(str::to_owned),
        limit: 9,
        since_ms: since,
        until_ms: until,
        ..HistoryQuery::default()
    };
    let periods = [
        (Some(at(100)), Some(at(250))),
        (Some(at(100) - 5), Some(at(250) + 5)),
        (None, Some(at(3))),
        (Some(at(395)), None),
        (Some(at(0)), Some(at(1))),
        (None, None),
    ];
    for (since, until) in periods {
        assert_eq!(
            all_pages(&ledger, query(None, since, until)),
            expect(since, until, &|_| true),
            "list {since:?}..{until:?}"
        );
        assert_eq!(
            all_pages(&ledger, query(Some("viewchart"), since, until)),
            expect(since, until, &|i| i % 3 == 0),
            "search {since:?}..{until:?}"
        );
    }
    // Periods holding nothing: after the last raise, before the first, between two raises, and
    // one that ends before it starts.
    for (since, until) in [
        (Some(at(400)), None),
        (None, Some(at(0))),
        (Some(at(7) + 1), Some(at(8))),
        (Some(at(200)), Some(at(100))),
    ] {
        assert!(all_pages(&ledger, query(None, since, until)).is_empty());
        assert!(all_pages(&ledger, query(Some("aapl"), since, until)).is_empty());
    }

    // A raise whose time went backwards (the clock was set back) is never shown outside its time.
    ledger
        .write_blocking(raise("late", at(50), "ViewChart", instrument("AAPL")))
        .expect("raise");
    let recent = all_pages(&ledger, query(None, Some(at(300)), None));
    assert!(!recent.contains(&"late".to_owned()));
    assert_eq!(recent, expect(Some(at(300)), None, &|_| true));
    let recent_charts = all_pages(&ledger, query(Some("viewchart"), Some(at(300)), None));
    assert_eq!(recent_charts, expect(Some(at(300)), None, &|i| i % 3 == 0));
}

#[tokio::test(flavor = "current_thread")]
async fn writes_the_machine_cannot_take_are_held_then_committed_none_lost() {
    use tokio::time::timeout;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let ledger = Ledger::open(&path).expect("open");
    ledger
        .write_blocking(raise("before", 1, "ViewChart", instrument("X")))
        .expect("write");
    let mut health = ledger.health();
    assert_eq!(*health.borrow(), None, "a healthy ledger says so");

    // Another process holds the write lock of the journal, where writes are made durable, past the
    // busy timeout (a backup tool, a stray writer): to the writer that is a failure of the machine,
    // like a full disk, not of its writes. (The ledger file locked holds back only the rows:
    // tests/journal.rs.)
    let blocker =
        rusqlite::Connection::open(path.with_extension("journal")).expect("second connection");
    blocker
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    let durable_before = *ledger.committed().borrow();
    let seqs: Vec<u64> = (0..5)
        .map(|i| {
            ledger.submit(raise(
                &format!("held{i}"),
                10 + i,
                "ViewChart",
                instrument("X"),
            ))
        })
        .collect();
    timeout(Duration::from_secs(20), health.wait_for(Option::is_some))
        .await
        .expect("the ledger reports that it cannot write")
        .expect("writer alive");
    let reason = health.borrow().clone().unwrap_or_default();
    assert!(reason.contains("locked"), "says why: {reason}");
    // Held: nothing counts as durable, so nothing waiting on these writes goes ahead.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(*ledger.committed().borrow(), durable_before);
    assert_eq!(
        ledger.list(&HistoryQuery::default()).expect("list").len(),
        1,
        "reads still work meanwhile"
    );

    blocker.execute_batch("COMMIT").expect("release the lock");
    let last = *seqs.last().expect("submitted");
    let mut committed = ledger.committed();
    timeout(Duration::from_secs(20), committed.wait_for(|s| *s >= last))
        .await
        .expect("the held writes commit once the lock is free")
        .expect("writer alive");
    assert_eq!(*ledger.health().borrow(), None, "healthy again");
    let keys: Vec<String> = ledger
        .list(&HistoryQuery::default())
        .expect("list")
        .into_iter()
        .map(|r| r.raise_key)
        .collect();
    assert_eq!(
        keys,
        ["held4", "held3", "held2", "held1", "held0", "before"]
    );
}
