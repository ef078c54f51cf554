//! A native app for the launcher tests. Interlog starts it with its identity in the
//! environment; it connects, listens for `StartCall` and for contexts, answers each intent with a
//! transactionResult, and appends every intent and context it receives to the `--report` file
//! (one JSON line each) so the test can see what arrived.

use std::io::Write as _;
use std::time::Duration;

use interlog_server::client::Client;
use serde_json::{json, Value};

fn report(path: &str, line: &Value) {
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let report_path = args
        .iter()
        .position(|a| a == "--report")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "/dev/null".into());
    let mut client = match Client::connect_launched("https://native.invalid/launched-app").await {
        Ok(c) => c,
        Err(e) => {
            report(&report_path, &json!({ "error": e.to_string() }));
            std::process::exit(1);
        }
    };
    report(&report_path, &json!({ "connected": client.instance_id }));
    // Both listeners at once, then one loop: an `open` context may arrive right after the
    // context listener is added, before any other answer.
    for (kind, payload) in [
        (
            "addContextListenerRequest",
            json!({ "channelId": null, "contextType": null }),
        ),
        ("addIntentListenerRequest", json!({ "intent": "StartCall" })),
    ] {
        if client.request(kind, payload).await.is_err() {
            return;
        }
    }
    loop {
        let Ok(msg) = client
            .wait_for(Duration::from_secs(60), |m| {
                m["type"] == "intentEvent" || m["type"] == "broadcastEvent"
            })
            .await
        else {
            return;
        };
        report(&report_path, &msg);
        if msg["type"] == "intentEvent" {
            let result = json!({ "type": "fdc3.transactionResult", "status": "Created", "message": "call placed" });
            let _ = client
                .request(
                    "intentResultRequest",
                    json!({
                        "intentEventUuid": msg["meta"]["eventUuid"],
                        "raiseIntentRequestUuid": msg["payload"]["raiseIntentRequestUuid"],
                        "intentResult": { "context": result },
                    }),
                )
                .await;
        }
    }
}
