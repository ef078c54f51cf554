//! What one durable write costs this machine, with no ledger logic at all: the floor under the
//! ledger's CPU time per round trip.
//!
//! `cargo run -p interlog-store --release --example durability_floor -- [--dir DIR] [--writes N]`
//!
//! DIR (default: a temporary folder in the current directory) should be on the file system the
//! ledger lives on; a tmpfs makes fsync free and the figures meaningless. Measures, per write:
//!   - `append + fdatasync`: 2 KiB appended to a plain file, then `File::sync_data`;
//!   - `sqlite commit`: one 2 KiB row inserted in its own transaction, WAL, `synchronous=FULL` (the
//!     ledger's settings, its cheapest possible durable commit);
//!   - `sqlite commit, synchronous=NORMAL`: the same without the fsync, for contrast.
//!
//! The agent makes a raise durable before delivering it and its result durable before returning it,
//! so one raiser and one handler cost at least two durable writes per round trip.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use rusqlite::Connection;

#[path = "support/proc_stat.rs"]
mod proc_stat;
use proc_stat::{process_ticks, TICKS_PER_SEC};

const ROW: usize = 2048;

fn main() {
    let (dir, writes) = parse_args();
    let scratch = tempfile::tempdir_in(&dir).expect("temporary folder");
    let row = vec![0x5a_u8; ROW];

    let path = scratch.path().join("append.log");
    let mut file = std::fs::File::create(&path).expect("create file");
    report("append + fdatasync", writes, || {
        file.write_all(&row).expect("write");
        file.sync_data().expect("fdatasync");
    });

    let conn = Connection::open(scratch.path().join("floor.db")).expect("open database");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("WAL");
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        .expect("create table");
    let mut insert = conn
        .prepare("INSERT INTO t (body) VALUES (?1)")
        .expect("prepare");
    for synchronous in ["FULL", "NORMAL"] {
        conn.pragma_update(None, "synchronous", synchronous)
            .expect("synchronous");
        report(
            &format!("sqlite commit, synchronous={synchronous}"),
            writes,
            || {
                insert.execute([&row]).expect("insert");
            },
        );
    }
}

fn report(what: &str, writes: u32, mut write: impl FnMut()) {
    let ticks = process_ticks();
    let started = Instant::now();
    for _ in 0..writes {
        write();
    }
    let wall = started.elapsed();
    let cpu_s = (process_ticks() - ticks) as f64 / TICKS_PER_SEC;
    println!(
        "{what:<36} CPU {:>6.1} µs/write   wall {:>6.1} µs/write",
        cpu_s * 1e6 / f64::from(writes),
        wall.as_secs_f64() * 1e6 / f64::from(writes)
    );
    let _ = std::io::stdout().flush();
}

fn parse_args() -> (PathBuf, u32) {
    let mut dir = PathBuf::from(".");
    let mut writes = 5000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--dir", Some(d)) => dir = PathBuf::from(d),
            ("--writes", Some(n)) => match n.parse() {
                Ok(n) if n > 0 => writes = n,
                _ => usage("--writes needs a positive number"),
            },
            _ => usage(&format!("unknown or incomplete argument {arg}")),
        }
    }
    (dir, writes)
}

fn usage(problem: &str) -> ! {
    eprintln!("durability_floor: {problem}\nusage: durability_floor [--dir DIR] [--writes N]");
    std::process::exit(2)
}
