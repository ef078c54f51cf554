//! The ledger's write path under the agent's load, measured.
//!
//! `cargo run -p interlog-store --release --example ledger_bench -- [--round-trips N] [--pairs P]`
//!
//! Opens a fresh ledger in a temporary directory and runs P closed-loop raiser/handler pairs, one thread
//! each, N round trips in all. A round trip is what the agent writes for one raise delivered to a handler
//! and its result coming back: `[Raised, Resolved, Delivered]` submitted back to back, wait until
//! durable, then `[Completed]` with a ~1.2 KB transactionResult, wait until durable.
//!
//! Reports round trips per second, process CPU time per round trip (utime + stime of every thread, from
//! /proc/self/stat), the journal's and the applying thread's shares, commits (fsyncs of the journal) and bytes written per
//! round trip, and then how long a history search takes on the result.
//! CPU times come in clock ticks (10 ms), so runs should last a few seconds at least.

use std::time::{Duration, Instant};

use interlog_store::{
    HistoryQuery, JsonText, Ledger, LedgerOptions, LedgerWrite, Outcome, RaiseRecord, Resolution,
};
use serde_json::{json, Value};

#[path = "support/proc_stat.rs"]
mod proc_stat;
use proc_stat::{cpu_ticks, process_ticks, TICKS_PER_SEC};

/// The names the ledger's threads show in /proc (thread names are cut to 15 bytes there): the
/// journal's, on the hot path, and the one applying it to the rows.
const JOURNAL_COMM: &str = "ledger-journal";
const APPLY_COMM: &str = "ledger-apply";

fn main() {
    let (round_trips, pairs) = parse_args();
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = Ledger::open_with(&dir.path().join("bench.db"), LedgerOptions::agent())
        .expect("open ledger");
    let journal_thread = task(JOURNAL_COMM).expect("journal thread in /proc/self/task");
    let apply_thread = task(APPLY_COMM).expect("applying thread in /proc/self/task");

    let per_pair = round_trips.div_ceil(pairs);
    let total = per_pair * pairs;
    let context = interaction_context();
    let result = transaction_result();
    let commits_before = ledger.commit_count();
    let applies_before = ledger.apply_count();
    let cpu_before = process_ticks();
    let journal_before = cpu_ticks(&journal_thread);
    let apply_before = cpu_ticks(&apply_thread);
    let written_before = bytes_written();
    let started = Instant::now();

    let threads: Vec<_> = (0..pairs)
        .map(|pair| {
            let ledger = ledger.clone();
            let context = context.clone();
            let result = result.clone();
            std::thread::spawn(move || run_pair(&ledger, pair, per_pair, &context, &result))
        })
        .collect();
    let mut worst = Duration::ZERO;
    for thread in threads {
        worst = worst.max(thread.join().expect("pair thread"));
    }

    let elapsed = started.elapsed();
    // The rows are applied from the journal in batches: the last batch is part of the cost. A read
    // waits for it.
    ledger.count_unconfirmed().expect("read");
    let cpu = process_ticks() - cpu_before;
    let journal_cpu = cpu_ticks(&journal_thread) - journal_before;
    let apply_cpu = cpu_ticks(&apply_thread) - apply_before;
    let commits = ledger.commit_count() - commits_before;
    let applies = ledger.apply_count() - applies_before;
    let written = bytes_written() - written_before;

    // What was written is what the history shows and finds.
    let found = ledger
        .list(&HistoryQuery {
            search: Some("a0S8d000000uO05EAE interaction-log kenji".into()),
            limit: 1,
            ..HistoryQuery::default()
        })
        .expect("search");
    assert_eq!(found.len(), 1, "the raises are findable");
    assert_eq!(found[0].state, "completed");
    assert_eq!(found[0].result_status.as_deref(), Some("Created"));
    // The read side of the history: a search as the user types it, a page of 50 rows.
    let search = HistoryQuery {
        search: Some("jane do".into()),
        limit: 50,
        ..HistoryQuery::default()
    };
    const SEARCHES: u32 = 100;
    let search_started = Instant::now();
    for _ in 0..SEARCHES {
        assert_eq!(ledger.list(&search).expect("search").len(), 50);
    }
    let search_time = search_started.elapsed() / SEARCHES;
    ledger.close();

    let us_per_rt = |ticks: u64| ticks as f64 / TICKS_PER_SEC * 1e6 / total as f64;
    let db_bytes: u64 = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "pairs={pairs} round_trips={total} wall={:.2}s\n\
         round trips/s:          {:.0}\n\
         CPU/round trip:         {:.0} µs (process)\n\
         journal thread CPU/rt:  {:.0} µs (the durable step)\n\
         apply thread CPU/rt:    {:.0} µs (rows, seals, search index)\n\
         commits/round trip:     {:.2} durable (fsync), {:.3} applying the journal\n\
         written/round trip:     {:.1} KB (write syscalls: WAL frames and checkpoints)\n\
         slowest round trip:     {:.2} ms\n\
         search (page of 50):    {:.0} µs\n\
         files on disk:          {:.1} KB/round trip",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        us_per_rt(cpu),
        us_per_rt(journal_cpu),
        us_per_rt(apply_cpu),
        commits as f64 / total as f64,
        applies as f64 / total as f64,
        written as f64 / 1024.0 / total as f64,
        worst.as_secs_f64() * 1e3,
        search_time.as_secs_f64() * 1e6,
        db_bytes as f64 / 1024.0 / total as f64,
    );
}

/// One raiser/handler pair, closed loop: each round trip waits for its writes before the next.
/// Returns the slowest round trip.
fn run_pair(
    ledger: &Ledger,
    pair: usize,
    round_trips: usize,
    context: &Value,
    result: &Value,
) -> Duration {
    // The agent waits on `committed()` from async code; so does this.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut committed = ledger.committed();
    let mut wait = |seq: u64| {
        rt.block_on(committed.wait_for(|s| *s >= seq))
            .expect("writer alive");
    };
    let mut worst = Duration::ZERO;
    for i in 0..round_trips {
        let started = Instant::now();
        let key = format!("bench-{pair}-{i}");
        let at = i as i64 * 10;
        ledger.submit(LedgerWrite::Raised(RaiseRecord {
            raise_key: key.clone(),
            raised_at_ms: at,
            raiser_app: "crm-app".into(),
            raiser_instance: format!("crm-app-{pair}"),
            request_uuid: format!("req-{pair}-{i}"),
            intent: Some("CreateInteraction".into()),
            context: JsonText::of(context),
            target: None,
            candidates: json!([{"appId": "interaction-log", "instanceId": format!("log-{pair}")}]),
        }));
        ledger.submit(LedgerWrite::Resolved {
            raise_key: key.clone(),
            at_ms: at + 1,
            resolution: Resolution::SingleCandidate,
            handler_app: Some("interaction-log".into()),
            handler_instance: Some(format!("log-{pair}")),
        });
        let seq = ledger.submit(LedgerWrite::Delivered {
            raise_key: key.clone(),
            at_ms: at + 2,
        });
        wait(seq);
        let seq = ledger.submit(LedgerWrite::Completed {
            raise_key: key,
            at_ms: at + 5,
            outcome: Outcome::Context(JsonText::of(&result.clone())),
        });
        wait(seq);
        worst = worst.max(started.elapsed());
    }
    worst
}

/// A CreateInteraction context of about 1 KB, like the ones CRM apps raise.
fn interaction_context() -> Value {
    let contact = |name: &str, email: &str| json!({"type": "fdc3.contact", "name": name, "id": {"email": email}});
    json!({
        "type": "fdc3.interaction",
        "participants": {"type": "fdc3.contactList", "contacts": [
            contact("Jane Doe", "jane.doe@mail.com"),
            contact("John Doe", "john.doe@mail.com"),
            contact("Maria Rossi", "maria.rossi@example.org"),
            contact("Kenji Sato", "kenji.sato@example.co.jp"),
        ]},
        "interactionType": "Instant Message",
        "timeRange": {"type": "fdc3.timeRange", "startTime": "2022-02-10T15:12:00Z",
                      "endTime": "2022-02-10T15:45:00Z"},
        "description": "Laboris libero dapibus fusce, quarterly review of the portfolio \
                        allocation and the follow-up on the new issue pipeline",
        "initiator": contact("Jane Doe", "jane.doe@mail.com"),
        "origin": "Outlook"
    })
}

/// The Interaction Log's answer: the stored interaction with its new id, about 1.2 KB.
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

/// Bytes this process handed to write(2) and friends so far.
fn bytes_written() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .expect("read /proc/self/io")
        .lines()
        .find_map(|line| line.strip_prefix("wchar:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("wchar in /proc/self/io")
}

/// /proc/self/task/<tid>/stat of the thread named `wanted`.
fn task(wanted: &str) -> Option<std::path::PathBuf> {
    // The thread names itself once it runs, which may be a moment after `open()` returned.
    for _ in 0..100 {
        let found = std::fs::read_dir("/proc/self/task")
            .ok()?
            .filter_map(Result::ok)
            .find(|task| {
                std::fs::read_to_string(task.path().join("comm"))
                    .is_ok_and(|comm| comm.trim_end() == wanted)
            });
        if let Some(task) = found {
            return Some(task.path().join("stat"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn parse_args() -> (usize, usize) {
    let mut round_trips = 4000;
    let mut pairs = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| usage(&format!("{arg} needs a positive number")))
        };
        match arg.as_str() {
            "--round-trips" => round_trips = value(),
            "--pairs" => pairs = value(),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    (round_trips, pairs)
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("{problem}");
    }
    eprintln!("usage: ledger_bench [--round-trips N] [--pairs P]");
    std::process::exit(if problem.is_empty() { 0 } else { 2 });
}
