//! Crash soak: the headless agent under load from several apps is killed with SIGKILL at random
//! moments, several times, and restarted on the same ledger. Everything it acknowledged (a raise
//! answered with its resolution, an interaction answered "Created" with its record id) must be
//! in the ledger afterwards, and the database must pass SQLite's integrity check.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use interlog_server::client::Client;
use serde_json::json;

use crate::{example_context, fixture, CHAT, CRM, TEST_A};

const ROUNDS: usize = 5;
const CLIENTS: [&str; 3] = [CHAT, CRM, TEST_A];

#[derive(Default)]
struct Acknowledged {
    /// requestUuids of raises answered with a resolution (the raise is on record).
    raises: HashSet<String>,
    /// Record ids the interaction log answered "Created" with.
    records: HashSet<String>,
}

/// A tiny deterministic generator (the seed is printed, so a failure can be replayed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn start_agent(data: &Path, run: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_interlog"))
        .args(["--headless", "--port", "0", "--data-dir"])
        .arg(data)
        .arg("--appd")
        .arg(fixture("sample-appd.json"))
        .env("INTERLOG_RUNTIME_DIR", run)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the agent starts")
}

/// Waits until the discovery file names this very process (a killed one leaves its own).
async fn wait_until_listening(run: &Path, child: &Child) {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(found) = interlog_server::discovery::read(run) {
            if found.pid == child.id() {
                return;
            }
        }
        assert!(Instant::now() < until, "the restarted agent never listened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Raises at the interaction log until the agent goes away, noting what was acknowledged.
async fn raise_until_killed(run: PathBuf, identity: &'static str, acks: Arc<Mutex<Acknowledged>>) {
    let Ok(mut app) = Client::connect_via(&run, identity).await else {
        return;
    };
    let wait = Duration::from_secs(10);
    loop {
        let Ok(raise) = app
            .request(
                "raiseIntentRequest",
                json!({"intent": "CreateInteraction", "context": example_context(),
                       "app": {"appId": "interlog.log"}}),
            )
            .await
        else {
            return;
        };
        let Ok(resolution) = app.response(&raise, "raiseIntentResponse", wait).await else {
            return;
        };
        assert!(
            resolution["payload"]["intentResolution"].is_object(),
            "{resolution}"
        );
        acks.lock().unwrap().raises.insert(raise.clone());
        let Ok(result) = app
            .response(&raise, "raiseIntentResultResponse", wait)
            .await
        else {
            return;
        };
        let context = &result["payload"]["intentResult"]["context"];
        assert_eq!(context["status"], "Created", "{result}");
        let record = context["context"]["id"]["URI"]
            .as_str()
            .expect("the record id")
            .to_owned();
        acks.lock().unwrap().records.insert(record);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_acknowledged_is_lost_across_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let (data, run) = (dir.path().join("data"), dir.path().join("run"));
    let seed = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("crash soak: SOAK_SEED={seed}");
    let mut rng = Lcg(seed);
    let acks = Arc::new(Mutex::new(Acknowledged::default()));
    for round in 0..ROUNDS {
        let mut agent = start_agent(&data, &run);
        wait_until_listening(&run, &agent).await;
        let load: Vec<_> = CLIENTS
            .iter()
            .map(|identity| tokio::spawn(raise_until_killed(run.clone(), identity, acks.clone())))
            .collect();
        let after = Duration::from_millis(200 + rng.next(1300));
        tokio::time::sleep(after).await;
        agent.kill().expect("SIGKILL");
        agent.wait().unwrap();
        for task in load {
            task.await.expect("a client task panicked");
        }
        let acks = acks.lock().unwrap();
        eprintln!(
            "crash soak: round {round}: killed after {after:?}; {} raises, {} records acknowledged so far",
            acks.raises.len(),
            acks.records.len()
        );
    }
    // The last start recovers the ledger once more, then stops cleanly.
    let mut agent = start_agent(&data, &run);
    wait_until_listening(&run, &agent).await;
    agent.kill().unwrap();
    agent.wait().unwrap();

    let acks = acks.lock().unwrap();
    assert!(
        acks.raises.len() >= ROUNDS && acks.records.len() >= ROUNDS,
        "too little load to prove anything: {} raises, {} records",
        acks.raises.len(),
        acks.records.len()
    );
    let db = rusqlite::Connection::open(data.join("interlog.db")).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let mut raise = db
        .prepare("SELECT count(*) FROM raises WHERE request_uuid = ?1")
        .unwrap();
    let lost_raises: Vec<&String> = acks
        .raises
        .iter()
        .filter(|uuid| raise.query_row([uuid], |r| r.get::<_, i64>(0)).unwrap() != 1)
        .collect();
    let mut record = db
        .prepare("SELECT count(*) FROM interactions WHERE record_id = ?1")
        .unwrap();
    let lost_records: Vec<&String> = acks
        .records
        .iter()
        .filter(|id| record.query_row([id], |r| r.get::<_, i64>(0)).unwrap() != 1)
        .collect();
    eprintln!(
        "crash soak: {} raises and {} records acknowledged over {ROUNDS} kills; lost {} and {}",
        acks.raises.len(),
        acks.records.len(),
        lost_raises.len(),
        lost_records.len()
    );
    assert!(
        lost_raises.is_empty(),
        "acknowledged raises lost: {lost_raises:?}"
    );
    assert!(
        lost_records.is_empty(),
        "acknowledged records lost: {lost_records:?}"
    );
    // The hash chain survives the kills too: seals are written with what they seal.
    let verified = std::process::Command::new(env!("CARGO_BIN_EXE_interlog"))
        .args(["verify", "--data-dir"])
        .arg(&data)
        .output()
        .expect("interlog verify runs");
    assert!(verified.status.success(), "{verified:?}");
}
