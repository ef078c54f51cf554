//! The history's filters, their combinations and the search's tokenisation, on a real ledger file:
//! rows waiting for the search index and rows in it must answer alike.

use interlog_store::{
    ChartStack, DayCount, HistoryOutcome, HistoryQuery, JsonText, Ledger, LedgerWrite, Outcome,
    RaiseRecord, Resolution,
};
use serde_json::{json, Value};

struct Spec {
    key: &'static str,
    raiser: &'static str,
    kind: &'static str,
    people: &'static [(&'static str, &'static str)],
    started: &'static str,
    handler: Option<&'static str>,
    end: End,
}

#[derive(Clone)]
enum End {
    Status(&'static str),
    Error(&'static str),
    Void,
    Pending,
}

const DAY: i64 = 86_400_000;

fn specs() -> Vec<Spec> {
    use End::*;
    let s = |key, raiser, kind, people, started, handler, end| Spec {
        key,
        raiser,
        kind,
        people,
        started,
        handler,
        end,
    };
    vec![
        s(
            "r1",
            "chat",
            "Call",
            &[
                ("Jane Doe", "jane.doe@mail.com"),
                ("John Smith", "john.smith@mail.com"),
            ],
            "2026-07-10T09:00:00Z",
            Some("crm-harbor"),
            Status("Created"),
        ),
        s(
            "r2",
            "chat",
            "Instant Message",
            &[
                ("Jane Haddad", "jane.haddad@mail.com"),
                ("Yara Doe", "yara.doe@mail.com"),
            ],
            "2026-07-11T09:00:00Z",
            Some("crm-summit"),
            Status("Failed"),
        ),
        s(
            "r3",
            "outlook",
            "Email",
            &[("Jane Doe", "jane.doe@mail.com")],
            "2026-08-01T09:00:00Z",
            Some("interlog.log"),
            Status("Created"),
        ),
        s(
            "r4",
            "outlook",
            "Meeting",
            &[("Zoë Åberg", "zoe.aberg@mail.se")],
            "2026-09-30T23:30:00+02:00",
            Some("crm-harbor"),
            Error("IntentHandlerRejected"),
        ),
        s(
            "r5",
            "chat",
            "Call",
            &[("田中太郎", "")],
            "2026-10-02T01:00:00Z",
            None,
            Error("UserCancelledResolution"),
        ),
        s(
            "r6",
            "chat-2",
            "Call",
            &[("Seán O'Brien", "sean.obrien@x.ie")],
            "2026-10-03T10:00:00Z",
            None,
            Pending,
        ),
        s(
            "r7",
            "chat",
            "Call",
            &[("Jane Doe", "jane.doe@mail.com")],
            "2026-10-04T10:00:00Z",
            None,
            Error("ResolverTimeout"),
        ),
        s(
            "r8",
            "chat",
            "Email",
            &[("John Smith", "john.smith@mail.com")],
            "2026-10-05T10:00:00Z",
            Some("crm-summit"),
            Void,
        ),
        s(
            "r9",
            "chat",
            "Email",
            &[("", "nobody@mail.com")],
            "2026-10-06T10:00:00Z",
            Some("crm-summit"),
            Error("IntentDeliveryFailed"),
        ),
        s(
            "r10",
            "chat",
            "Meeting",
            &[("Jane Doe", "jane.doe@mail.com")],
            "2026-10-07T10:00:00Z",
            Some("crm-harbor"),
            Status("Updated"),
        ),
        s(
            "r11",
            "outlook",
            "Meeting",
            &[("John Smith", "john.smith@mail.com")],
            "2026-10-08T10:00:00Z",
            Some("crm-harbor"),
            Status("Deleted"),
        ),
    ]
}

fn context(spec: &Spec) -> Value {
    let contacts: Vec<Value> = spec
        .people
        .iter()
        .map(|(name, email)| {
            let mut c = json!({"type": "fdc3.contact"});
            if !name.is_empty() {
                c["name"] = json!(name);
            }
            if !email.is_empty() {
                c["id"] = json!({ "email": email });
            }
            c
        })
        .collect();
    json!({
        "type": "fdc3.interaction",
        "interactionType": spec.kind,
        "participants": {"type": "fdc3.contactList", "contacts": contacts},
        "timeRange": {"type": "fdc3.timeRange", "startTime": spec.started},
        "description": format!("about the {} deal", spec.key),
        "initiator": {"type": "fdc3.contact", "name": "Me"},
    })
}

fn write(ledger: &Ledger, index: usize, spec: &Spec) {
    let at = 1_000 + index as i64 * DAY;
    let key = spec.key.to_owned();
    let mut writes = vec![LedgerWrite::Raised(RaiseRecord {
        raise_key: key.clone(),
        raised_at_ms: at,
        raiser_app: spec.raiser.into(),
        raiser_instance: format!("{}-1", spec.raiser),
        request_uuid: format!("req-{key}"),
        intent: Some("CreateInteraction".into()),
        context: JsonText::of(&context(spec)),
        target: None,
        candidates: json!([]),
    })];
    if !matches!(spec.end, End::Pending) {
        writes.push(LedgerWrite::Resolved {
            raise_key: key.clone(),
            at_ms: at + 1,
            resolution: Resolution::UserChoice,
            handler_app: spec.handler.map(str::to_owned),
            handler_instance: spec.handler.map(|h| format!("{h}-1")),
        });
        let outcome = match spec.end.clone() {
            End::Status(s) => Outcome::Context(JsonText::of(
                &json!({"type": "fdc3.transactionResult", "status": s}),
            )),
            End::Error(e) => Outcome::Error(e.into()),
            End::Void => Outcome::Void,
            End::Pending => unreachable!(),
        };
        writes.push(LedgerWrite::Completed {
            raise_key: key,
            at_ms: at + 2,
            outcome,
        });
    }
    for w in writes {
        ledger.write_blocking(w).expect("durable");
    }
}

/// The same ledger twice: once with every row waiting for the search index, once with all in it.
fn ledgers(dir: &std::path::Path) -> [Ledger; 2] {
    let waiting = Ledger::open(&dir.join("waiting.db")).expect("open");
    let indexed_path = dir.join("indexed.db");
    let indexed = Ledger::open(&indexed_path).expect("open");
    for (i, spec) in specs().iter().enumerate() {
        write(&waiting, i, spec);
        write(&indexed, i, spec);
    }
    // Closing indexes every row; reopened, the rows are all in the index.
    indexed.close();
    drop(indexed);
    [waiting, Ledger::open(&indexed_path).expect("reopen")]
}

fn keys(ledger: &Ledger, q: &HistoryQuery) -> Vec<String> {
    let rows = ledger.list(q).expect("list");
    let n = ledger.count(q, 1000).expect("count");
    assert_eq!(
        n as usize,
        rows.len(),
        "count agrees with the rows for {q:?}"
    );
    let mut keys: Vec<String> = rows.into_iter().map(|r| r.raise_key).collect();
    keys.sort_by_key(|k| k[1..].parse::<u32>().unwrap_or(0));
    keys
}

fn q() -> HistoryQuery {
    HistoryQuery::default()
}

fn v(s: &str) -> Vec<String> {
    vec![s.to_owned()]
}

#[test]
fn every_outcome_is_named_and_selected_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    for ledger in ledgers(dir.path()) {
        use HistoryOutcome::*;
        let expected = [
            (Created, vec!["r1", "r3"]),
            (Updated, vec!["r10"]),
            (Deleted, vec!["r11"]),
            (Failed, vec!["r2"]),
            (Rejected, vec!["r4"]),
            (NoResult, vec!["r8"]),
            (DeliveryFailed, vec!["r9"]),
            (Cancelled, vec!["r5"]),
            (TimedOut, vec!["r7"]),
            (Pending, vec!["r6"]),
        ];
        assert_eq!(expected.len(), HistoryOutcome::ALL.len());
        for (outcome, want) in expected {
            let query = HistoryQuery {
                outcomes: vec![outcome],
                ..q()
            };
            assert_eq!(keys(&ledger, &query), want, "{outcome:?}");
            for row in ledger.list(&query).expect("list") {
                assert_eq!(row.outcome, outcome);
            }
            assert_eq!(HistoryOutcome::parse(outcome.as_str()), Some(outcome));
        }
        let several = HistoryQuery {
            outcomes: vec![Failed, Rejected, Pending],
            ..q()
        };
        assert_eq!(keys(&ledger, &several), ["r2", "r4", "r6"]);
        // The unconfirmed: every CreateInteraction without Created/Updated.
        let unconfirmed = HistoryQuery {
            unconfirmed: true,
            ..q()
        };
        assert_eq!(
            keys(&ledger, &unconfirmed),
            ["r2", "r4", "r5", "r6", "r7", "r8", "r9", "r11"]
        );
        assert_eq!(ledger.count_unconfirmed().expect("badge"), 8);
    }
}

#[test]
fn participants_are_people_not_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    for ledger in ledgers(dir.path()) {
        // Every word anywhere: Jane Haddad with Yara Doe too.
        let words = HistoryQuery {
            search: Some("jane doe".into()),
            ..q()
        };
        assert_eq!(keys(&ledger, &words), ["r1", "r2", "r3", "r7", "r10"]);
        // Quoted: a phrase.
        let phrase = HistoryQuery {
            search: Some("\"jane doe\"".into()),
            ..q()
        };
        assert_eq!(keys(&ledger, &phrase), ["r1", "r3", "r7", "r10"]);
        // The participant filter: the person, by name (any ASCII case) or address.
        for who in ["Jane Doe", "jane doe", "JANE.DOE@MAIL.COM"] {
            let person = HistoryQuery {
                participants: v(who),
                ..q()
            };
            assert_eq!(keys(&ledger, &person), ["r1", "r3", "r7", "r10"], "{who}");
        }
        // A part of a name is not the person.
        assert!(keys(
            &ledger,
            &HistoryQuery {
                participants: v("Jane"),
                ..q()
            }
        )
        .is_empty());
        assert!(keys(
            &ledger,
            &HistoryQuery {
                participants: v("Doe"),
                ..q()
            }
        )
        .is_empty());
        // A contact with an address only; two people (either).
        assert_eq!(
            keys(
                &ledger,
                &HistoryQuery {
                    participants: v("nobody@mail.com"),
                    ..q()
                }
            ),
            ["r9"]
        );
        let either = HistoryQuery {
            participants: vec!["Yara Doe".into(), "John Smith".into()],
            ..q()
        };
        assert_eq!(keys(&ledger, &either), ["r1", "r2", "r8", "r11"]);
    }
}

#[test]
fn filters_combine_with_each_other_and_the_search() {
    let dir = tempfile::tempdir().expect("tempdir");
    for ledger in ledgers(dir.path()) {
        let calls = HistoryQuery {
            interaction_types: v("Call"),
            ..q()
        };
        assert_eq!(keys(&ledger, &calls), ["r1", "r5", "r6", "r7"]);
        // App ids are exact: "chat" is not "chat-2".
        let chat = HistoryQuery {
            raisers: v("chat"),
            interaction_types: v("Call"),
            ..q()
        };
        assert_eq!(keys(&ledger, &chat), ["r1", "r5", "r7"]);
        assert_eq!(
            keys(
                &ledger,
                &HistoryQuery {
                    raisers: v("chat-2"),
                    ..q()
                }
            ),
            ["r6"]
        );
        let harbor_ok = HistoryQuery {
            handlers: v("crm-harbor"),
            outcomes: vec![HistoryOutcome::Created, HistoryOutcome::Updated],
            ..q()
        };
        assert_eq!(keys(&ledger, &harbor_ok), ["r1", "r10"]);
        let harbor_bad = HistoryQuery {
            handlers: v("crm-harbor"),
            outcomes: vec![HistoryOutcome::Rejected, HistoryOutcome::Deleted],
            ..q()
        };
        assert_eq!(keys(&ledger, &harbor_bad), ["r4", "r11"]);
        let jane_calls = HistoryQuery {
            participants: v("Jane Doe"),
            interaction_types: vec!["Call".into(), "Meeting".into()],
            search: Some("deal".into()),
            ..q()
        };
        assert_eq!(keys(&ledger, &jane_calls), ["r1", "r7", "r10"]);
        // When it was raised (r1 at day 0 ... r11 at day 10) and when it happened.
        let raised = HistoryQuery {
            since_ms: Some(1_000 + 2 * DAY),
            until_ms: Some(1_000 + 5 * DAY),
            participants: v("Jane Doe"),
            ..q()
        };
        assert_eq!(keys(&ledger, &raised), ["r3"]);
        let ms = |t: &str| chrono_ms(t);
        let q3 = HistoryQuery {
            happened_since_ms: Some(ms("2026-07-01T00:00:00Z")),
            happened_until_ms: Some(ms("2026-10-01T00:00:00Z")),
            ..q()
        };
        // r4 started 2026-09-30T23:30+02:00, i.e. 21:30Z: in Q3.
        assert_eq!(keys(&ledger, &q3), ["r1", "r2", "r3", "r4"]);
        let q3_failed = HistoryQuery {
            outcomes: vec![HistoryOutcome::Failed, HistoryOutcome::Rejected],
            ..q3.clone()
        };
        assert_eq!(keys(&ledger, &q3_failed), ["r2", "r4"]);
        // A filter that matches nothing, and values the index cannot hold.
        assert!(keys(
            &ledger,
            &HistoryQuery {
                handlers: v("crm-nowhere"),
                ..q()
            }
        )
        .is_empty());
        assert!(keys(
            &ledger,
            &HistoryQuery {
                raisers: v("--"),
                ..q()
            }
        )
        .is_empty());
    }
}

#[test]
fn search_tokenises_names_addresses_accents_cjk_and_punctuation() {
    let dir = tempfile::tempdir().expect("tempdir");
    for ledger in ledgers(dir.path()) {
        let found = |text: &str| {
            keys(
                &ledger,
                &HistoryQuery {
                    search: Some(text.into()),
                    ..q()
                },
            )
        };
        // Accents either way.
        assert_eq!(found("zoe aberg"), ["r4"]);
        assert_eq!(found("Zoë Åberg"), ["r4"]);
        assert_eq!(found("sean"), ["r6"]);
        // Punctuation inside a name or an address.
        assert_eq!(found("o'brien"), ["r6"]);
        assert_eq!(found("sean.obrien@x.ie"), ["r6"]);
        assert_eq!(found("yara.doe@mail"), ["r2"]);
        // CJK: a run of ideographs is one token; its beginning finds it.
        assert_eq!(found("田中太郎"), ["r5"]);
        assert_eq!(found("田中"), ["r5"]);
        // Case, and a word that starts another.
        assert_eq!(found("HADDAD"), ["r2"]);
        assert_eq!(found("smi"), ["r1", "r8", "r11"]);
        // Record types and apps are words too.
        assert_eq!(found("harbor"), ["r1", "r4", "r10", "r11"]);
    }
}

#[test]
fn people_are_suggested_from_the_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let [_, ledger] = ledgers(dir.path());
    let names = |typed: &str| -> Vec<(String, bool)> {
        ledger
            .people(typed, 10)
            .expect("people")
            .into_iter()
            .map(|p| (p.name.or(p.email).unwrap_or_default(), p.exact))
            .collect()
    };
    // Jane Doe is named 4 times, Jane Haddad once: most named first.
    assert_eq!(
        names("jane"),
        [("Jane Doe".into(), false), ("Jane Haddad".into(), false)]
    );
    assert_eq!(names("jane doe"), [("Jane Doe".into(), true)]);
    assert_eq!(names("jane.doe@mail.com"), [("Jane Doe".into(), true)]);
    // A word of the name; accents and case off.
    assert_eq!(
        names("doe"),
        [("Jane Doe".into(), false), ("Yara Doe".into(), false)]
    );
    assert_eq!(names("ZOE"), [("Zoë Åberg".into(), false)]);
    assert_eq!(names("田中"), [("田中太郎".into(), false)]);
    assert_eq!(names("nobody"), [("nobody@mail.com".into(), false)]);
    let jane = ledger.people("jane doe", 1).expect("people").remove(0);
    assert_eq!(jane.raises, 4);
    assert_eq!(jane.email.as_deref(), Some("jane.doe@mail.com"));
    // LIKE's wildcards are text here.
    assert!(names("%").is_empty());
    assert!(names("_").is_empty());

    // Retention takes the first three raises (Jane Doe twice, Jane Haddad, Yara Doe) out of the
    // suggestions too: nobody is offered whom no raise names any more.
    while ledger.expiry_due(3 * DAY).expect("due") {
        ledger
            .write_blocking(LedgerWrite::Expire {
                before_ms: 3 * DAY,
                max_rows: 10,
                at_ms: 20 * DAY,
            })
            .expect("expire");
    }
    assert_eq!(names("jane"), [("Jane Doe".into(), false)]);
    assert!(names("yara").is_empty());
    let jane = ledger.people("jane doe", 1).expect("people").remove(0);
    assert_eq!(jane.raises, 2);
    let left = HistoryQuery {
        participants: v("Jane Doe"),
        ..q()
    };
    assert_eq!(keys(&ledger, &left), ["r7", "r10"]);
}

/// Milliseconds since the epoch of an RFC 3339 UTC time (`YYYY-MM-DDTHH:MM:SSZ`).
fn chrono_ms(t: &str) -> i64 {
    let conn = rusqlite::Connection::open_in_memory().expect("db");
    conn.query_row("SELECT unixepoch(?1) * 1000", [t], |r| r.get(0))
        .expect("time")
}

#[test]
fn people_waiting_for_the_index_are_suggested_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let [waiting, _] = ledgers(dir.path());
    let jane = waiting.people("jane doe", 5).expect("people");
    assert_eq!(jane.len(), 1, "{jane:?}");
    assert!(jane[0].exact);
    assert_eq!(jane[0].raises, 4);
    assert_eq!(
        waiting.people("zoë", 5).expect("people")[0].name.as_deref(),
        Some("Zoë Åberg")
    );
}

#[test]
fn the_chart_counts_per_day_the_rows_the_list_selects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let day = |day: i64, key: &str| DayCount {
        day,
        key: key.to_owned(),
        count: 1,
    };
    for ledger in ledgers(dir.path()) {
        // Raise i is at 00:00:01 UTC on day i.
        let all = ledger.per_day(&q(), 0, ChartStack::Outcome).expect("chart");
        let outcomes = [
            "created",
            "failed",
            "created",
            "rejected",
            "cancelled",
            "pending",
            "timed_out",
            "no_result",
            "delivery_failed",
            "updated",
            "deleted",
        ];
        let expected: Vec<DayCount> = outcomes
            .iter()
            .enumerate()
            .map(|(i, k)| day(i as i64, k))
            .collect();
        assert_eq!(all, expected);

        // An hour west of UTC, each raise is on the day before (the first before 1970).
        let west = ledger
            .per_day(&q(), -60, ChartStack::Outcome)
            .expect("chart");
        assert_eq!(
            west.iter().map(|d| d.day).collect::<Vec<_>>(),
            (-1..10).collect::<Vec<_>>()
        );

        let jane = HistoryQuery {
            participants: v("Jane Doe"),
            ..q()
        };
        assert_eq!(
            ledger
                .per_day(&jane, 0, ChartStack::InteractionType)
                .expect("chart"),
            vec![
                day(0, "Call"),
                day(2, "Email"),
                day(6, "Call"),
                day(9, "Meeting")
            ]
        );

        // Text, filters and the period: the chart's total is the list's count.
        for query in [
            HistoryQuery {
                search: Some("doe".into()),
                ..q()
            },
            HistoryQuery {
                search: Some("call".into()),
                raisers: v("chat"),
                ..q()
            },
            HistoryQuery {
                since_ms: Some(2 * DAY),
                until_ms: Some(8 * DAY),
                outcomes: vec![HistoryOutcome::Created, HistoryOutcome::TimedOut],
                ..q()
            },
        ] {
            let chart = ledger
                .per_day(&query, 0, ChartStack::InteractionType)
                .expect("chart");
            let total: u64 = chart.iter().map(|d| d.count).sum();
            assert_eq!(
                total,
                ledger.count(&query, 1000).expect("count"),
                "{query:?}"
            );
            assert!(total > 0, "{query:?} selects something");
        }
    }
}

/// The chart's summary (kept by the indexer) against the rows themselves: raises indexed while in
/// flight and finished later, raises still waiting, local days east and west of UTC (whole and
/// half hours), type and outcome filters, and retention taking raises out.
#[test]
fn the_charts_summary_counts_what_the_rows_say() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("chart.db");
    let ledger = Ledger::open(&path).expect("open");
    const HOUR: i64 = 3_600_000;
    let kinds = ["Call", "Email", "Meeting", "Instant Message"];
    let start = 20_000 * DAY; // 2024-10-04
    let raise = |i: i64| {
        let key = format!("c{i}");
        // Every 7 hours and a bit: all hours of the day, over about 4 months.
        let at = start + i * (7 * HOUR + 1_234);
        let mut context = json!({"type": "fdc3.interaction", "participants": {"type": "fdc3.contactList", "contacts": []},
            "timeRange": {"type": "fdc3.timeRange", "startTime": "2024-10-04T09:00:00Z"}, "description": key});
        if i % 9 != 0 {
            context["interactionType"] = json!(kinds[(i % 4) as usize]);
        }
        LedgerWrite::Raised(RaiseRecord {
            raise_key: key.clone(),
            raised_at_ms: at,
            raiser_app: "chat".into(),
            raiser_instance: "chat-1".into(),
            request_uuid: format!("req-{key}"),
            intent: Some("CreateInteraction".into()),
            context: JsonText::of(&context),
            target: None,
            candidates: json!([]),
        })
    };
    let finish = |i: i64| -> Vec<LedgerWrite> {
        let key = format!("c{i}");
        let at = start + i * (7 * HOUR + 1_234) + 5;
        let outcome = match i % 5 {
            0 => Outcome::Error("IntentDeliveryFailed".into()),
            1 => Outcome::Context(JsonText::of(
                &json!({"type": "fdc3.transactionResult", "status": "Created"}),
            )),
            2 => Outcome::Context(JsonText::of(
                &json!({"type": "fdc3.transactionResult", "status": "Failed"}),
            )),
            3 => Outcome::Error("UserCancelledResolution".into()),
            _ => Outcome::Void,
        };
        vec![
            LedgerWrite::Resolved {
                raise_key: key.clone(),
                at_ms: at,
                resolution: Resolution::UserChoice,
                handler_app: Some("crm".into()),
                handler_instance: Some("crm-1".into()),
            },
            LedgerWrite::Completed {
                raise_key: key,
                at_ms: at + 1,
                outcome,
            },
        ]
    };
    // 400 raises; every third one is left in flight, so the indexer moves many of them unfinished.
    for i in 0..400 {
        ledger.write_blocking(raise(i)).expect("raise");
        if i % 3 != 0 {
            for w in finish(i) {
                ledger.write_blocking(w).expect("finish");
            }
        }
    }
    let queries = || {
        let d = |days: i64| Some(start + days * DAY);
        vec![
            q(),
            HistoryQuery {
                since_ms: d(10),
                until_ms: d(40),
                ..q()
            },
            HistoryQuery {
                since_ms: d(3).map(|t| t - 330 * 60_000),
                interaction_types: vec!["Call".into(), "Meeting".into()],
                ..q()
            },
            HistoryQuery {
                outcomes: vec![HistoryOutcome::Created, HistoryOutcome::Pending],
                until_ms: d(90),
                ..q()
            },
        ]
    };
    let check = |ledger: &Ledger, when: &str| {
        for query in queries() {
            for offset in [0, 60, -300, 330, -570] {
                for stack in [ChartStack::InteractionType, ChartStack::Outcome] {
                    let summary = ledger.per_day(&query, offset, stack).expect("chart");
                    let exact = ledger.per_day_exact(&query, offset, stack).expect("exact");
                    assert!(!exact.is_empty(), "{when}: {query:?} selects something");
                    assert_eq!(
                        summary, exact,
                        "{when}: {query:?}, offset {offset}, {stack:?}"
                    );
                }
            }
        }
    };
    check(&ledger, "some in flight");
    // The ones in flight end: those the indexer counted as pending move to their outcome.
    for i in (0..400).filter(|i| i % 3 == 0 && i % 2 == 0) {
        for w in finish(i) {
            ledger.write_blocking(w).expect("finish");
        }
    }
    check(&ledger, "most finished");
    // Closed and opened: every raise indexed, the open ones re-counted.
    ledger.close();
    drop(ledger);
    let ledger = Ledger::open(&path).expect("reopen");
    check(&ledger, "reopened");
    let total = |ledger: &Ledger| -> u64 {
        ledger
            .per_day(&q(), 0, ChartStack::Outcome)
            .expect("chart")
            .iter()
            .map(|d| d.count)
            .sum()
    };
    assert_eq!(total(&ledger), 400);
    // Retention takes out what was sealed in the first 60 days (the chain is cut from its start).
    while ledger.expiry_due(start + 60 * DAY).expect("due") {
        ledger
            .write_blocking(LedgerWrite::Expire {
                before_ms: start + 60 * DAY,
                max_rows: 50,
                at_ms: start + 200 * DAY,
            })
            .expect("expire");
    }
    check(&ledger, "after retention");
    let left = total(&ledger);
    assert!(left < 300, "retention removed raises: {left} left");
}
