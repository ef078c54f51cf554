//! `interlog history` over a ledger the agent wrote: any `--limit` is honoured (paged), none is
//! silently cut short.

use std::process::Command;

use serde_json::json;

use crate::{example_context, TestAgent, CHAT};

#[tokio::test(flavor = "multi_thread")]
async fn history_limit_above_a_page_returns_every_row_asked_for() {
    // More raises than one app's budget for a minute allows.
    let agent = TestAgent::start_with(|c| c.agent.raise_budget.per_minute = 100_000).await;
    let mut chat = agent.connect(CHAT).await;
    let raises = 1_050;
    // Sent all at once, answered in one go: many raises share a commit.
    let mut ids = Vec::new();
    for _ in 0..raises {
        ids.push(
            chat.request(
                "raiseIntentRequest",
                json!({"intent": "CreateInteraction", "context": example_context(),
                       "app": {"appId": "interlog.log"}}),
            )
            .await,
        );
    }
    for id in &ids {
        let r = chat.response(id, "raiseIntentResponse").await;
        assert!(r["payload"]["intentResolution"].is_object(), "{r}");
    }
    let data = agent.dir.path().join("data");
    let history = |limit: &str| {
        Command::new(env!("CARGO_BIN_EXE_interlog"))
            .args(["history", "--json", "--limit", limit, "--data-dir"])
            .arg(&data)
            .output()
            .expect("interlog history runs")
    };
    let out = history("1040");
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        1040,
        "rows above one page of 1000 were dropped"
    );
    // Newest first, each once.
    let ids: Vec<i64> = lines.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "not newest first, or repeated"
    );
    // More than there is: all of it.
    let out = history("5000");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().count(),
        raises
    );
    // Zero is a mistake, said so.
    let out = history("0");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--limit"),
        "{out:?}"
    );
}

/// `interlog verify` over a ledger the agent wrote: as written it passes; a row edited with the
/// `sqlite3` tool is named, and the command fails.
#[tokio::test(flavor = "multi_thread")]
async fn verify_names_a_row_edited_with_the_sqlite3_tool() {
    let agent = TestAgent::start().await;
    let mut chat = agent.connect(CHAT).await;
    for _ in 0..3 {
        let id = chat
            .request(
                "raiseIntentRequest",
                json!({"intent": "CreateInteraction", "context": example_context(),
                       "app": {"appId": "interlog.log"}}),
            )
            .await;
        chat.response(&id, "raiseIntentResponse").await;
        let result = chat.response(&id, "raiseIntentResultResponse").await;
        assert!(
            result["payload"]["intentResult"]["context"].is_object(),
            "{result}"
        );
    }
    let data = agent.dir.path().join("data");
    let verify = || {
        Command::new(env!("CARGO_BIN_EXE_interlog"))
            .args(["verify", "--data-dir"])
            .arg(&data)
            .output()
            .expect("interlog verify runs")
    };
    let out = verify();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("6 sealed exchanges"),
        "3 raises and 3 records: {stdout}"
    );

    let edited = Command::new("sqlite3")
        .arg(data.join("interlog.db"))
        .arg("UPDATE raises SET description = 'Nothing was discussed.' WHERE id = 2;")
        .output()
        .expect("the sqlite3 tool runs (scripts/setup.sh --test installs it)");
    assert!(edited.status.success(), "{edited:?}");
    let out = verify();
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("raise #2 was altered"), "{stderr}");
}

/// `interlog export` writes what `interlog history --json` lists for the same filter, as JSON
/// Lines and as CSV; into a folder that cannot be written it fails clearly and leaves nothing.
#[tokio::test(flavor = "multi_thread")]
async fn export_matches_history_and_fails_cleanly() {
    let agent = TestAgent::start().await;
    let mut chat = agent.connect(CHAT).await;
    for n in 0..5 {
        let mut context = example_context();
        context["description"] = json!(format!(
            "Call number {n}, about \"bonds\", with commas, and quotes"
        ));
        let id = chat
            .request(
                "raiseIntentRequest",
                json!({"intent": "CreateInteraction", "context": context,
                       "app": {"appId": "interlog.log"}}),
            )
            .await;
        chat.response(&id, "raiseIntentResponse").await;
    }
    let data = agent.dir.path().join("data");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_interlog"))
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .expect("interlog runs")
    };
    let history = run(&["history", "--json", "--limit", "100", "--search", "bonds"]);
    assert!(history.status.success(), "{history:?}");
    let jsonl = run(&["export", "--format", "jsonl", "--search", "bonds"]);
    assert!(jsonl.status.success(), "{jsonl:?}");
    assert_eq!(
        String::from_utf8_lossy(&jsonl.stdout),
        String::from_utf8_lossy(&history.stdout),
        "export and history disagree"
    );
    assert_eq!(String::from_utf8_lossy(&jsonl.stdout).lines().count(), 5);
    // All five were logged (Created): none is unconfirmed.
    let unconfirmed = run(&["history", "--json", "--unconfirmed"]);
    assert!(unconfirmed.status.success(), "{unconfirmed:?}");
    assert_eq!(String::from_utf8_lossy(&unconfirmed.stdout), "");
    let all = run(&["export", "--format", "jsonl", "--unconfirmed"]);
    assert_eq!(String::from_utf8_lossy(&all.stdout), "");

    let file = agent.dir.path().join("out").join("history.csv");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let csv = run(&[
        "export",
        "--search",
        "bonds",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(csv.status.success(), "{csv:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(&reader.headers().unwrap()[0], "id");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5, "{text}");
    assert!(
        rows.iter().all(|r| r[6].contains("\"bonds\", with commas")),
        "{text}"
    );

    // A folder that cannot be written to (it does not exist): a clear error, nothing left behind.
    let locked = agent.dir.path().join("locked");
    std::fs::create_dir_all(&locked).unwrap();
    let target = locked.join("history.csv");
    let out = run(&[
        "export",
        "--output",
        locked.join("missing-dir").join("x.csv").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot write"),
        "{out:?}"
    );
    assert!(!target.exists());
    assert_eq!(
        std::fs::read_dir(&locked).unwrap().count(),
        0,
        "no temporary file left"
    );
}
