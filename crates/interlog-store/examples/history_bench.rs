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
//! can be re-run without the minutes the filling takes.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use interlog_store::{HistoryQuery, Ledger, LedgerWrite, Outcome, RaiseRecord, Resolution};
use serde_json::{json, Value};

const DAY_MS: i64 = 86_400_000;
const SPAN_MS: i64 = 730 * DAY_MS;
const PAGE: u32 = 100;
const RUNS: usize = 30;

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

fn parse_args() -> (usize, Option<PathBuf>) {
    let mut rows = 1_000_000;
    let mut db = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rows" => rows = args.next().and_then(|v| v.parse().ok()).expect("--rows N"),
            "--db" => db = args.next().map(PathBuf::from),
            other => panic!("unknown argument {other}; use --rows N and --db PATH"),
        }
    }
    (rows, db)
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
            let writes = [
                LedgerWrite::Raised(RaiseRecord {
                    raise_key: key.clone(),
                    raised_at_ms: at,
                    raiser_app: "sample-chat".into(),
                    raiser_instance: "chat-1".into(),
                    request_uuid: format!("req-{i}"),
                    intent: Some("CreateInteraction".into()),
                    context,
                    target: None,
                    candidates: json!([{"appId": "interlog.log"}, {"appId": "sample-crm"}]),
                }),
                LedgerWrite::Resolved {
                    raise_key: key.clone(),
                    at_ms: at + 900,
                    resolution: Resolution::UserChoice,
                    handler_app: Some("interlog.log".into()),
                    handler_instance: Some("log-1".into()),
                },
                LedgerWrite::Completed {
                    raise_key: key,
                    at_ms: at + 950,
                    outcome: Outcome::Context(json!({
                        "type": "fdc3.transactionResult", "status": "Created", "context": stored,
                        "message": format!("record with id \"rec{i:08}\" was created")
                    })),
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

/// Median and slowest of `RUNS` runs, and the rows the query gave.
fn time(ledger: &Ledger, query: &HistoryQuery) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(RUNS);
    let mut found = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        found = ledger.list(query).expect("query").len();
        times.push(started.elapsed());
    }
    times.sort();
    (times[RUNS / 2], times[RUNS - 1], found)
}

fn main() {
    let (rows, db) = parse_args();
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
    let queries = [
        ("newest page", page(None, None, None)),
        ("a page half way down (keyset)", deep),
        (
            "search \"ja\" (2 letters typed)",
            page(Some("ja"), None, None),
        ),
        ("search \"jane doe\"", page(Some("jane doe"), None, None)),
        (
            "period: last quarter",
            page(None, Some(q_since), Some(q_until)),
        ),
        (
            "\"jane doe\" last quarter",
            page(Some("jane doe"), Some(q_since), Some(q_until)),
        ),
        (
            "\"jane doe\" call last quarter",
            page(Some("jane doe call"), Some(q_since), Some(q_until)),
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
        "{total} rows, {:.0} MB on disk; page size {PAGE}; median and slowest of {RUNS} runs",
        std::fs::metadata(&path).map_or(0, |m| m.len()) as f64 / 1e6
    );
    println!(
        "{:<34} {:>10} {:>10} {:>6}",
        "query", "median ms", "max ms", "rows"
    );
    for (name, query) in &queries {
        let (median, max, found) = time(&ledger, query);
        println!(
            "{name:<34} {:>10.2} {:>10.2} {found:>6}",
            median.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3
        );
    }
    ledger.close();
}
