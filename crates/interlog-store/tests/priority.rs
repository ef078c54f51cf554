//! The agent's ledger applies its rows below the hot path: its applying thread runs at a lower
//! priority, its journal thread (which every raise waits for) does not. A test binary of its own,
//! so that no other test's ledger threads are in the process.

use std::time::{Duration, Instant};

use interlog_store::{Ledger, LedgerOptions};

/// The nice value of each of this process's threads named `name` (Linux, `/proc`).
fn niceness_of(name: &str) -> Vec<i64> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let stat =
            std::fs::read_to_string(task.expect("task").path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid ...: the fields after the name, whatever it holds.
        let Some((head, tail)) = stat.rsplit_once(") ") else {
            continue;
        };
        let comm = head.split_once(" (").map_or("", |(_, c)| c);
        if comm == name {
            // The nice value is field 19 of stat; `tail` starts at field 3.
            let nice = tail.split(' ').nth(16).expect("nice field");
            found.push(nice.parse().expect("a number"));
        }
    }
    found
}

/// The nice value of the calling thread.
fn niceness_of_this_thread() -> i64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("/proc/thread-self/stat");
    let (_, tail) = stat.rsplit_once(") ").expect("stat");
    tail.split(' ')
        .nth(16)
        .expect("nice field")
        .parse()
        .expect("a number")
}

/// Waits (at most 5 s) for the threads named `name` to have these nice values: a thread names
/// itself, and sets its priority, as it starts; a closed ledger's threads end a moment later.
fn wait_for(name: &str, expected: &[i64]) {
    let end = Instant::now() + Duration::from_secs(5);
    while niceness_of(name) != expected && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(niceness_of(name), expected, "threads named {name}");
}

#[test]
fn the_agents_ledger_applies_below_the_hot_path_a_plain_one_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ledger.db");

    // Threads start at their creator's niceness: this test's (0, unless it was started niced).
    let own = niceness_of_this_thread();

    let plain = Ledger::open(&path).expect("open");
    wait_for("ledger-apply", &[own]);
    plain.close();
    wait_for("ledger-apply", &[]);

    let agents = Ledger::open_with(&path, LedgerOptions::agent()).expect("open");
    // Lowered to 10; never raised (a process started at 15 stays at 15).
    wait_for("ledger-apply", &[own.max(10)]);
    wait_for("ledger-journal", &[own]);
    agents.close();
}
