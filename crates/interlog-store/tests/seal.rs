//! Tamper evidence: the ledger's hash chain, on real files edited behind the ledger's back with a
//! plain SQLite connection (as the `sqlite3` tool would).

use std::path::{Path, PathBuf};

use interlog_store::{
    HistoryReader, JsonText, Ledger, LedgerWrite, Outcome, RaiseRecord, Resolution, Tampering,
};
use rusqlite::Connection;
use serde_json::json;

fn raise(key: &str, at: i64) -> LedgerWrite {
    LedgerWrite::Raised(RaiseRecord {
        raise_key: key.to_owned(),
        raised_at_ms: at,
        raiser_app: "chat".into(),
        raiser_instance: "chat-1".into(),
        request_uuid: format!("req-{key}"),
        intent: Some("CreateInteraction".into()),
        context: JsonText::of(
            &json!({"type": "fdc3.interaction", "description": format!("call {key}"),
            "participants": {"type": "fdc3.contactList", "contacts": []}}),
        ),
        target: None,
        candidates: json!([{"appId": "crm"}]),
    })
}

fn done(key: &str, at: i64, outcome: Outcome) -> Vec<LedgerWrite> {
    vec![
        LedgerWrite::Resolved {
            raise_key: key.into(),
            at_ms: at,
            resolution: Resolution::SingleCandidate,
            handler_app: Some("crm".into()),
            handler_instance: Some("crm-1".into()),
        },
        LedgerWrite::Completed {
            raise_key: key.into(),
            at_ms: at + 1,
            outcome,
        },
    ]
}

fn created() -> Outcome {
    Outcome::Context(JsonText::of(
        &json!({"type": "fdc3.transactionResult", "status": "Created"}),
    ))
}

/// A ledger with two finished raises, one failed, one under way and one logged interaction.
fn ledger(dir: &Path) -> PathBuf {
    let path = dir.join("ledger.db");
    let ledger = Ledger::open(&path).expect("open");
    for (key, at) in [("a", 10), ("b", 20), ("c", 30), ("d", 40)] {
        ledger.write_blocking(raise(key, at)).expect("raise");
    }
    for w in done("a", 11, created())
        .into_iter()
        .chain(done("b", 21, created()))
        .chain(done("c", 31, Outcome::Error("IntentDeliveryFailed".into())))
    {
        ledger.write_blocking(w).expect("stage");
    }
    ledger
        .write_blocking(LedgerWrite::InteractionLogged {
            record_id: "interlog://interactions/1".into(),
            raise_key: Some("a".into()),
            at_ms: 12,
            interaction: json!({"type": "fdc3.interaction", "description": "call a"}),
        })
        .expect("interaction");
    ledger.close();
    path
}

fn verify(path: &Path) -> interlog_store::Verification {
    HistoryReader::open(path)
        .expect("reader")
        .verify()
        .expect("verify")
}

fn edit(path: &Path, sql: &str) {
    Connection::open(path)
        .expect("plain connection")
        .execute_batch(sql)
        .expect("edit");
}

#[test]
fn a_ledger_as_written_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = ledger(dir.path());
    let v = verify(&path);
    assert_eq!(v.problem, None);
    assert_eq!(v.seals, 4, "three finished raises and one interaction");
    assert_eq!(v.unfinished, 1);
    assert_eq!(v.head.len(), 64);
    // The detail view shows a finished raise's seal, none for one under way.
    let reader = HistoryReader::open(&path).expect("reader");
    assert!(reader
        .detail(1)
        .expect("detail")
        .expect("row")
        .seal
        .is_some());
    assert!(reader
        .detail(4)
        .expect("detail")
        .expect("row")
        .seal
        .is_none());
}

#[test]
fn an_altered_row_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = ledger(dir.path());
    edit(
        &path,
        "UPDATE raises SET description = 'nothing to see' WHERE id = 2",
    );
    let v = verify(&path);
    assert!(
        matches!(&v.problem, Some(Tampering::Altered { what, .. }) if what == "raise #2"),
        "{v:?}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = ledger(dir.path());
    edit(&path, "UPDATE interactions SET interaction = '{}'");
    assert!(matches!(
        verify(&path).problem,
        Some(Tampering::Altered { what, .. }) if what == "interaction record interlog://interactions/1"
    ));
}

#[test]
fn a_removed_row_an_inserted_row_and_a_removed_seal_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = ledger(dir.path());
    edit(&path, "DELETE FROM raises WHERE id = 1");
    assert!(matches!(
        verify(&path).problem,
        Some(Tampering::Removed { what, .. }) if what == "raise #1"
    ));

    let dir = tempfile::tempdir().expect("tempdir");
    let path = ledger(dir.path());
    edit(
        &path,
        "INSERT INTO raises (raise_key, raised_at_ms, raiser_app, raiser_instance, request_uuid,
             intent, context, candidates, context_type, state)
         VALUES ('forged', 15, 'chat', 'chat-1', 'req', 'CreateInteraction', '{}', '[]',
             'fdc3.interaction', 'completed')",
    );
    assert!(matches!(
        verify(&path).problem,
        Some(Tampering::Inserted { what }) if what == "raise #5"
    ));

    let dir = tempfile::tempdir().expect("tempdir");
    let path = ledger(dir.path());
    edit(&path, "DELETE FROM seals WHERE seq = 2");
    assert!(matches!(
        verify(&path).problem,
        Some(Tampering::ChainBroken { seal: 3 })
    ));
}

#[test]
fn a_late_stage_of_a_finished_raise_is_sealed_again_not_taken_for_tampering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let ledger = Ledger::open(&path).expect("open");
    ledger.write_blocking(raise("x", 1)).expect("raise");
    for w in done("x", 2, created()) {
        ledger.write_blocking(w).expect("stage");
    }
    // The "delivered" note lost the race with the result: it lands on a finished row.
    ledger
        .write_blocking(LedgerWrite::Delivered {
            raise_key: "x".into(),
            at_ms: 2,
        })
        .expect("late delivered");
    ledger.close();
    let v = verify(&path);
    assert_eq!(v.problem, None, "{v:?}");
    assert_eq!(v.seals, 2);
}

#[test]
fn rows_finished_before_the_chain_existed_are_sealed_once_by_the_migration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = ledger(dir.path());
    // The file as the previous version left it: no chain.
    edit(
        &path,
        "DROP TABLE seals; DROP TABLE people; DROP TABLE resends; DROP TABLE chain_start;
         DROP INDEX raises_unsettled; DROP TRIGGER day_counts_delete;
         DROP TRIGGER day_counts_update; DROP TABLE day_counts; DROP TABLE journal_applied; DROP TABLE journal_unreadable;
         PRAGMA user_version = 3;",
    );
    // `interlog history` run before the agent ran this build brings the file up to date first.
    let reader = HistoryReader::open(&path).expect("reader");
    assert!(reader
        .detail(1)
        .expect("detail of a file the reader migrated")
        .expect("row")
        .seal
        .is_some());
    drop(reader);
    Ledger::open(&path).expect("opens").close();
    let v = verify(&path);
    assert_eq!(v.problem, None, "{v:?}");
    assert_eq!(v.seals, 4);
}

#[test]
fn unconfirmed_interactions_are_counted_and_listed_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = ledger(dir.path());
    // a, b: Created; c: failed; d: under way. All CreateInteraction.
    let ledger = Ledger::open(&path).expect("open");
    assert_eq!(ledger.count_unconfirmed().expect("count"), 2);
    let only = interlog_store::HistoryQuery {
        unconfirmed: true,
        ..Default::default()
    };
    let keys: Vec<String> = ledger
        .list(&only)
        .expect("list")
        .into_iter()
        .map(|r| r.raise_key)
        .collect();
    assert_eq!(keys, ["d", "c"]);
    // With a search (the index drives) and once d finishes with Created, it is confirmed.
    let searched = interlog_store::HistoryQuery {
        search: Some("call".into()),
        ..only.clone()
    };
    assert_eq!(ledger.list(&searched).expect("search").len(), 2);
    for w in done("d", 41, created()) {
        ledger.write_blocking(w).expect("stage");
    }
    assert_eq!(ledger.count_unconfirmed().expect("count"), 1);
    assert_eq!(ledger.list(&searched).expect("search").len(), 1);
    // A Failed transaction result (a CRM that rejected it) is unconfirmed too.
    ledger.write_blocking(raise("e", 50)).expect("raise");
    for w in done(
        "e",
        51,
        Outcome::Context(JsonText::of(
            &json!({"type": "fdc3.transactionResult", "status": "Failed"}),
        )),
    ) {
        ledger.write_blocking(w).expect("stage");
    }
    assert_eq!(ledger.count_unconfirmed().expect("count"), 2);
    ledger.close();
}

#[test]
fn retention_removes_the_oldest_records_and_the_chain_still_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");
    let ledger = Ledger::open(&path).expect("open");
    // Ten finished raises at 100, 200, ... 1000; one still under way at 50 (a crash long ago).
    ledger.write_blocking(raise("stuck", 50)).expect("raise");
    for i in 1..=10i64 {
        let key = format!("k{i}");
        ledger.write_blocking(raise(&key, i * 100)).expect("raise");
        for w in done(&key, i * 100 + 1, created()) {
            ledger.write_blocking(w).expect("stage");
        }
    }
    assert!(ledger.expiry_due(450).expect("due"));
    // Small batches: two seals at a time, until nothing older than 450 is left.
    let mut steps = 0;
    while ledger.expiry_due(450).expect("due") {
        ledger
            .write_blocking(LedgerWrite::Expire {
                before_ms: 450,
                max_rows: 2,
                at_ms: 5_000,
            })
            .expect("expire");
        steps += 1;
        assert!(steps < 10, "retention does not finish");
    }
    ledger.close();
    let reader = HistoryReader::open(&path).expect("reader");
    let keys: Vec<String> = reader
        .list(&interlog_store::HistoryQuery::default())
        .expect("list")
        .into_iter()
        .map(|r| r.raise_key)
        .collect();
    assert_eq!(
        keys,
        ["k10", "k9", "k8", "k7", "k6", "k5"],
        "k1..k4 and the stuck raise are gone"
    );
    let v = reader.verify().expect("verify");
    assert_eq!(v.problem, None, "{v:?}");
    assert_eq!(v.seals, 6);
    // The rest is still guarded: an edit, or a removal past the chain's new start, is found.
    edit(
        &path,
        "UPDATE raises SET description = 'edited' WHERE raise_key = 'k7'",
    );
    assert!(matches!(
        verify(&path).problem,
        Some(Tampering::Altered { .. })
    ));
    edit(
        &path,
        "UPDATE raises SET description = 'call k7' WHERE raise_key = 'k7'",
    );
    assert_eq!(verify(&path).problem, None);
    edit(
        &path,
        "DELETE FROM seals WHERE seq = (SELECT min(seq) FROM seals)",
    );
    assert!(matches!(
        verify(&path).problem,
        Some(Tampering::ChainBroken { .. })
    ));
    // A search still finds what is left, and the people counted keep working.
    let found = reader
        .list(&interlog_store::HistoryQuery {
            search: Some("k9".into()),
            ..Default::default()
        })
        .expect("search");
    assert_eq!(found.len(), 1);
}

/// The link from a re-sent raise to the first is sealed as it is written: changing which raise it
/// links to, removing it or adding one behind the ledger's back is found.
#[test]
fn re_send_links_are_sealed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = ledger(dir.path());
    let ledger = Ledger::open(&path).expect("open");
    ledger
        .write_blocking(LedgerWrite::Resent {
            request_uuid: "req-e".into(),
            original_id: 3,
            at_ms: 50,
        })
        .expect("link");
    ledger.write_blocking(raise("e", 51)).expect("the re-send");
    ledger.close();
    let v = verify(&path);
    assert_eq!(v.problem, None, "{v:?}");
    assert_eq!(v.seals, 5, "four as before and the link");

    let copy = dir.path().join("copy.db");
    let reset = || {
        std::fs::copy(&path, &copy).expect("copy");
    };
    reset();
    edit(
        &copy,
        "UPDATE resends SET original_id = 1 WHERE request_uuid = 'req-e';",
    );
    assert!(matches!(
        &verify(&copy).problem,
        Some(Tampering::Altered { what, .. }) if what == "re-send link of request req-e"
    ));
    reset();
    edit(&copy, "DELETE FROM resends;");
    assert!(matches!(
        &verify(&copy).problem,
        Some(Tampering::Removed { what, .. }) if what == "re-send link of request req-e"
    ));
    reset();
    edit(
        &copy,
        "INSERT INTO resends (request_uuid, original_id, at_ms) VALUES ('req-x', 2, 60);",
    );
    assert!(matches!(
        &verify(&copy).problem,
        Some(Tampering::Inserted { what }) if what == "re-send link of request req-x"
    ));

    // A file from the build before links were sealed: its links are sealed once, by the migration.
    reset();
    edit(
        &copy,
        "DELETE FROM seals WHERE kind = 'resend'; DROP TABLE journal_applied; DROP TABLE journal_unreadable; PRAGMA user_version = 7;",
    );
    Ledger::open(&copy).expect("migrates").close();
    let v = verify(&copy);
    assert_eq!(v.problem, None, "{v:?}");
    assert_eq!(v.seals, 5);
}
