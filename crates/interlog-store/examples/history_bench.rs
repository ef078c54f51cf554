//! The history's read side on a large ledger, measured: what the window and `interlog history`
//! ask for, on a million interactions.
//!
//! `cargo run -p interlog-store --release --example history_bench -- [--rows N] [--db PATH]`
//!
//! Fills a ledger (default: 1,000,000 completed CreateInteraction raises over the last two years,
//! 2,000 different people, a few thousand words of descriptions) through the ledger's own write
//! path, then times each query the history makes: the newest page, a deep page, a search as the
//! user types, a period ("last quarter"), both together, a record id, and queries that find
//! nothing. With `--db PATH` an existing file is reused (filled only if it is new), so the queries
//! can be re-run without the minutes the filling takes; `--fill-only` stops once it is filled
//! (`scripts/startup.sh` starts the app on such a ledger).

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use interlog_store::{
    ChartStack, HistoryOutcome, HistoryQuery, JsonText, Ledger, LedgerWrite, Outcome, RaiseRecord,
    Resolution,
};
use serde_json::{json, Value};

const DAY_MS: i64 = 86_400_000;
const SPAN_MS: i64 = 730 * DAY_MS;
const PAGE: u32 = 100;
const RUNS: usize = 40;

const FIRST: [&str; 40] = [
    "Jane", "John", "Kenji", "Amara", "Luca", "Sofia", "Mateo", "Ingrid", "Omar", "Priya", "Chen",
    "Fatima", "Lars", "Ana", "Tomasz", "Aiko", "Diego", "Leila", "Pieter", "Nadia", "Hugo", "Mei",
    "Samuel", "Elena", "Rafael", "Yara", "Viktor", "Zoe", "Kwame", "Ines", "Olga", "Ravi", "Clara",
    "Jonas", "Hana", "Felix", "Noor", "Emil", "Lucia", "Arjun",
];
const LAST: [&str; 50] = [
    "Doe",
    "Smith",
    "Tanaka",
    "Okafor",
    "Rossi",
    "Garcia",
    "Lopez",
    "Berg",
    "Haddad",
    "Patel",
    "Wang",
    "Khan",
    "Nilsson",
    "Silva",
    "Nowak",
    "Sato",
    "Fernandez",
    "Amini",
    "Jansen",
    "Petrova",
    "Dubois",
    "Lin",
    "Cohen",
    "Ivanova",
    "Costa",
    "Mensah",
    "Novak",
    "Moreau",
    "Boateng",
    "Santos",
    "Volkova",
    "Iyer",
    "Schmidt",
    "Weber",
    "Kim",
    "Wagner",
    "Aziz",
    "Larsen",
    "Romero",
    "Mehta",
    "Keller",
    "Fischer",
    "Yilmaz",
    "Nakamura",
    "Murphy",
    "Kowalski",
    "Bianchi",
    "Hansen",
    "Ali",
    "Ortiz",
];
const TYPES: [&str; 4] = ["Instant Message", "Call", "Email", "Meeting"];

/// splitmix64: a deterministic stream, so every run fills the same ledger.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A made-up word from syllables: about 4,000 different ones.
fn word(rng: &mut Rng) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ra", "te", "su", "ven", "dor", "pa", "ni", "qua", "sel", "to", "ber",
        "fi", "gan",
    ];
    (0..3).map(|_| SYLLABLES[rng.below(16)]).collect()
}

fn contact(first: &str, last: &str) -> Value {
    let email = format!(
        "{}.{}@example.com",
        first.to_lowercase(),
        last.to_lowercase()
    );
    json!({"type": "fdc3.contact", "name": format!("{first} {last}"), "id": {"email": email}})
}

fn interaction(rng: &mut Rng) -> Value {
    let people: Vec<Value> = (0..2)
        .map(|_| contact(FIRST[rng.below(40)], LAST[rng.below(50)]))
        .collect();
    let description: Vec<String> = (0..12).map(|_| word(rng)).collect();
    json!({
        "type": "fdc3.interaction",
        "participants": {"type": "fdc3.contactList", "contacts": people},
        "interactionType": TYPES[rng.below(4)],
        "timeRange": {"type": "fdc3.timeRange", "startTime": "2026-02-10T15:12:00Z"},
        "description": description.join(" "),
        "initiator": people[0],
        "origin": "Outlook"
    })
}

/// Who handled a raise and how it ended: the built-in log half the time, two CRMs the rest, a few
/// failures, rejections and cancellations (about 4% unconfirmed, as a busy desk might have).
fn ending(rng: &mut Rng, stored: Value) -> (Option<&'static str>, Outcome) {
    let result = |status: &str, stored: Value| {
        Outcome::Context(JsonText::of(
            &json!({"type": "fdc3.transactionResult", "status": status, "context": stored}),
        ))
    };
    match rng.below(1000) {
        0..=499 => (Some("interlog.log"), result("Created", stored)),
        500..=779 => (Some("crm-harbor"), result("Created", stored)),
        780..=939 => (Some("crm-summit"), result("Created", stored)),
        940..=959 => (Some("crm-summit"), result("Updated", stored)),
        960..=974 => (Some("crm-harbor"), result("Failed", stored)),
        975..=984 => (
            Some("crm-summit"),
            Outcome::Error("IntentHandlerRejected".into()),
        ),
        985..=994 => (None, Outcome::Error("UserCancelledResolution".into())),
        _ => (None, Outcome::Error("ResolverTimeout".into())),
    }
}

fn parse_args() -> (usize, Option<PathBuf>, bool) {
    let mut rows = 1_000_000;
    let mut db = None;
    let mut fill_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => rows = args.next().and_then(|v| v.parse().ok()).expect("--rows N"),
            "--db" => db = args.next().map(PathBuf::from),
            "--fill-only" => fill_only = true,
            other => panic!("unknown argument {other}; use --rows N, --db PATH and --fill-only"),
        }
    }
    (rows, db, fill_only)
}

/// Writes `rows` raises, each raised, delivered to the log and completed with a record id, the
/// way the agent does, in chunks that the writer commits in groups.
fn fill(ledger: &Ledger, rows: usize, now: i64) {
    let mut rng = Rng(7);
    let started = Instant::now();
    const CHUNK: usize = 2_000;
    for chunk in 0..rows.div_ceil(CHUNK) {
        let range = chunk * CHUNK..((chunk + 1) * CHUNK).min(rows);
        let last = range.end - 1;
        for i in range {
            let key = format!("h{i:08}");
            let at = now - SPAN_MS + (i as i64 * SPAN_MS / rows as i64);
            let context = interaction(&mut rng);
            let mut stored = context.clone();
            stored["id"] = json!({"URI": format!("interlog://interactions/rec{i:08}")});
            let (handler, outcome) = ending(&mut rng, stored);
            let writes = [
                LedgerWrite::Raised(RaiseRecord {
                    raise_key: key.clone(),
                    raised_at_ms: at,
                    raiser_app: if rng.below(10) < 7 {
                        "sample-chat"
                    } else {
                        "outlook"
                    }
                    .into(),
                    raiser_instance: "chat-1".into(),
                    request_uuid: format!("req-{i}"),
                    intent: Some("CreateInteraction".into()),
                    context: JsonText::of(&context),
                    target: None,
                    candidates: json!([{"appId": "interlog.log"}, {"appId": "sample-crm"}]),
                }),
                LedgerWrite::Resolved {
                    raise_key: key.clone(),
                    at_ms: at + 900,
                    resolution: if handler.is_some() {
                        Resolution::UserChoice
                    } else {
                        Resolution::Cancelled
                    },
                    handler_instance: handler.map(|h| format!("{h}-1")),
                    handler_app: handler.map(str::to_owned),
                },
                LedgerWrite::Completed {
                    raise_key: key,
                    at_ms: at + 950,
                    outcome,
                },
            ];
            for (n, write) in writes.into_iter().enumerate() {
                if i == last && n == 2 {
                    ledger.write_blocking(write).expect("durable");
                } else {
                    ledger.submit(write);
                }
            }
        }
        if chunk % 50 == 49 {
            eprintln!(
                "  {} rows, {:.0} s",
                (chunk + 1) * CHUNK,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "filled {rows} rows in {elapsed:.0} s ({:.0} rows/s)",
        rows as f64 / elapsed
    );
}

/// Median, 95th percentile and slowest of `RUNS` runs of `run`, and the number it gave.
fn time(mut run: impl FnMut() -> usize) -> (Duration, Duration, Duration, usize) {
    let mut times = Vec::with_capacity(RUNS);
    let mut found = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        found = run();
        times.push(started.elapsed());
    }
    times.sort();
    (
        times[RUNS / 2],
        times[RUNS * 95 / 100],
        times[RUNS - 1],
        found,
    )
}

fn main() {
    let (rows, db, fill_only) = parse_args();
    let temp = tempfile::tempdir().expect("temp dir");
    let path = db.unwrap_or_else(|| temp.path().join("history.db"));
    let fresh = !path.exists();
    let ledger = Ledger::open(&path).expect("open ledger");
    // The raise times are spread over the two years before this moment (kept in a side file
    // so a reused ledger is queried with the periods it was filled for).
    let stamp = path.with_extension("filled-at");
    let now = if fresh {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_millis() as i64;
        fill(&ledger, rows, now);
        std::fs::write(&stamp, now.to_string()).expect("write stamp");
        now
    } else {
        std::fs::read_to_string(&stamp)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .expect("a reused --db needs the .filled-at file written beside it when it was filled")
    };
    if fill_only {
        return;
    }
    let total = ledger
        .list(&HistoryQuery {
            limit: 1,
            ..HistoryQuery::default()
        })
        .expect("newest")
        .first()
        .map_or(0, |r| r.id);

    let page = |search: Option<&str>, since: Option<i64>, until: Option<i64>| HistoryQuery {
        search: search.map(str::to_owned),
        limit: PAGE,
        since_ms: since,
        until_ms: until,
        ..HistoryQuery::default()
    };
    // "Last quarter" here: the 91 days that ended 91 days ago.
    let (q_since, q_until) = (now - 182 * DAY_MS, now - 91 * DAY_MS);
    let deep = HistoryQuery {
        before_id: Some(total / 2),
        ..page(None, None, None)
    };
    let record = format!("rec{:08}", total / 2);
    let person = |who: &str| vec![who.to_owned()];
    let queries = [
        ("first page", page(None, None, None)),
        ("a page half way down (keyset)", deep),
        (
            "search \"ja\" (2 letters typed)",
            page(Some("ja"), None, None),
        ),
        ("search: jane doe", page(Some("jane doe"), None, None)),
        (
            "search: \"jane doe\" (phrase)",
            page(Some("\"jane doe\""), None, None),
        ),
        (
            "participant: Jane Doe",
            HistoryQuery {
                participants: person("Jane Doe"),
                ..page(None, None, None)
            },
        ),
        (
            "participant: jane.doe@example.com",
            HistoryQuery {
                participants: person("jane.doe@example.com"),
                ..page(None, None, None)
            },
        ),
        (
            "handler crm-harbor + outcome failed",
            HistoryQuery {
                handlers: person("crm-harbor"),
                outcomes: vec![HistoryOutcome::Failed],
                ..page(None, None, None)
            },
        ),
        (
            "handler crm-summit + created",
            HistoryQuery {
                handlers: person("crm-summit"),
                outcomes: vec![HistoryOutcome::Created],
                ..page(None, None, None)
            },
        ),
        (
            "date range: last quarter",
            page(None, Some(q_since), Some(q_until)),
        ),
        (
            "Jane Doe + Call + last quarter + created",
            HistoryQuery {
                participants: person("Jane Doe"),
                interaction_types: person("Call"),
                outcomes: vec![HistoryOutcome::Created],
                ..page(None, Some(q_since), Some(q_until))
            },
        ),
        (
            "raiser outlook + rejected + search",
            HistoryQuery {
                raisers: person("outlook"),
                outcomes: vec![HistoryOutcome::Rejected],
                ..page(Some("kalo"), None, None)
            },
        ),
        (
            "unconfirmed only",
            HistoryQuery {
                unconfirmed: true,
                ..page(None, None, None)
            },
        ),
        ("a record id", page(Some(&record), None, None)),
        (
            "search that matches nothing",
            page(Some("zzqqxx"), None, None),
        ),
        (
            "period before the first raise",
            page(None, None, Some(now - SPAN_MS - DAY_MS)),
        ),
    ];
    println!(
        "{total} rows, {:.0} MB on disk; page size {PAGE}; {RUNS} runs each",
        std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1e6
    );
    println!(
        "{:<42} {:>8} {:>8} {:>8} {:>7}",
        "query", "p50 ms", "p95 ms", "max ms", "rows"
    );
    let report = |name: &str, (p50, p95, max, found): (Duration, Duration, Duration, usize)| {
        println!(
            "{name:<42} {:>8.2} {:>8.2} {:>8.2} {found:>7}",
            p50.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3
        );
    };
    for (name, query) in &queries {
        report(name, time(|| ledger.list(query).expect("query").len()));
    }
    // What the window asks beside a page: the count line, the badge, the suggestions.
    report(
        "count: jane doe (up to 10,000)",
        time(|| ledger.count(&queries[3].1, 10_000).expect("count") as usize),
    );
    report(
        "count: participant Jane Doe",
        time(|| ledger.count(&queries[5].1, 10_000).expect("count") as usize),
    );
    report(
        "count: unconfirmed badge",
        time(|| ledger.count_unconfirmed().expect("count") as usize),
    );
    report(
        "suggest people: \"jane d\"",
        time(|| ledger.people("jane d", 8).expect("people").len()),
    );
    // The chart beside the list (local days, UTC here; the window asks from a midnight to the end
    // of today): "rows" is the days x stacks returned.
    let today_ends = now - now.rem_euclid(DAY_MS) + DAY_MS;
    let chart = |since: i64, q: &HistoryQuery| HistoryQuery {
        since_ms: Some(since - since.rem_euclid(DAY_MS)),
        until_ms: Some(today_ends),
        ..q.clone()
    };
    let everything = page(None, None, None);
    for (name, query, stack) in [
        (
            "chart: last 90 days by type",
            chart(now - 90 * DAY_MS, &everything),
            ChartStack::InteractionType,
        ),
        (
            "chart: last 90 days by outcome",
            chart(now - 90 * DAY_MS, &everything),
            ChartStack::Outcome,
        ),
        (
            "chart: last year (longest) by outcome",
            chart(now - 366 * DAY_MS, &everything),
            ChartStack::Outcome,
        ),
        (
            "chart: jane doe, last year",
            chart(now - 366 * DAY_MS, &queries[3].1),
            ChartStack::Outcome,
        ),
        (
            "chart: participant Jane Doe, last year",
            chart(now - 366 * DAY_MS, &queries[5].1),
            ChartStack::InteractionType,
        ),
        (
            "chart: handler + failed, last year",
            chart(now - 366 * DAY_MS, &queries[7].1),
            ChartStack::Outcome,
        ),
    ] {
        let exact = ledger.per_day_exact(&query, 0, stack).expect("exact");
        assert_eq!(
            ledger.per_day(&query, 0, stack).expect("chart"),
            exact,
            "{name}: the summary counts what the rows say"
        );
        report(
            name,
            time(|| ledger.per_day(&query, 0, stack).expect("chart").len()),
        );
    }
    // What the summary saves: the same as the first and the longest, counted from the rows.
    report(
        "chart from the rows: last 90 days",
        time(|| {
            ledger
                .per_day_exact(
                    &chart(now - 90 * DAY_MS, &everything),
                    0,
                    ChartStack::Outcome,
                )
                .expect("exact")
                .len()
        }),
    );
    ledger.close();
}
