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
