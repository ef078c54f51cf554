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
