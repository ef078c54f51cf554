//! Launching native apps: `open` and a raise start a real process, which connects with the
//! identity it was given.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{TestAgent, CHAT};

/// The example app cargo builds beside the test binaries.
fn launched_app() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let app = dir.join("examples/launched_app");
    assert!(
        app.exists(),
        "{} is missing (cargo test builds it)",
        app.display()
    );
    app
}

fn appd(dir: &Path, path: &Path, report: &Path) -> PathBuf {
    let file = dir.join("native-appd.json");
    let doc = json!([
        {"appId": "test.dialer", "title": "Dialer", "type": "native",
         "details": {"path": path, "arguments": format!("--report {}", report.display())},
         "interop": {"intents": {"listensFor": {"StartCall": {"contexts": ["fdc3.contact"]}}}}},
        {"appId": "test.broken", "title": "Broken", "type": "native",
         "details": {"path": dir.join("does-not-exist")},
         "interop": {"intents": {"listensFor": {"StartCall": {"contexts": ["fdc3.contact"]}}}}}
    ]);
    std::fs::write(&file, doc.to_string()).unwrap();
    file
}

fn reported(report: &Path, want: impl Fn(&Value) -> bool) -> Value {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(report) {
            if let Some(v) = text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find(|v| want(v))
            {
                return v;
            }
        }
        assert!(
            Instant::now() < until,
            "not reported: {}",
            std::fs::read_to_string(report).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn contact() -> Value {
    json!({"type": "fdc3.contact", "name": "Jane Doe", "id": {"email": "jane.doe@mail.com"}})
}

#[tokio::test(flavor = "multi_thread")]
async fn open_starts_the_app_and_its_context_reaches_it() {
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("report.jsonl");
    let directory = appd(work.path(), &launched_app(), &report);
    let agent =
        TestAgent::start_with(|c| c.appd_sources.push(directory.display().to_string())).await;
    let mut chat = agent.connect(CHAT).await;
    let r = chat
        .call(
            "openRequest",
            json!({"app": {"appId": "test.dialer"}, "context": contact()}),
        )
        .await;
    let opened = &r["payload"]["appIdentifier"];
    assert_eq!(opened["appId"], "test.dialer", "{r}");
    let instance = opened["instanceId"].as_str().unwrap().to_owned();
    assert_eq!(
        reported(&report, |v| v.get("connected").is_some())["connected"],
        instance.as_str()
    );
    let event = reported(&report, |v| v["type"] == "broadcastEvent");
    assert_eq!(event["payload"]["context"], contact());
    assert_eq!(event["payload"]["channelId"], Value::Null);
    assert_eq!(
        event["payload"]["originatingApp"]["appId"],
        "interlog.sample-chat"
    );

    // A raise at the app alone starts another instance, which handles it.
    let raise = chat
        .request(
            "raiseIntentRequest",
            json!({"intent": "StartCall", "context": contact(), "app": {"appId": "test.dialer"}}),
        )
        .await;
    let resolution = chat.response(&raise, "raiseIntentResponse").await;
    let source = &resolution["payload"]["intentResolution"]["source"];
    assert_eq!(source["appId"], "test.dialer");
    assert_ne!(source["instanceId"], instance.as_str(), "a new instance");
    let result = chat.response(&raise, "raiseIntentResultResponse").await;
    assert_eq!(
        result["payload"]["intentResult"]["context"]["message"],
        "call placed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_program_that_cannot_start_is_error_on_launch() {
    let work = tempfile::tempdir().unwrap();
    let directory = appd(work.path(), &launched_app(), &work.path().join("r.jsonl"));
    let agent =
        TestAgent::start_with(|c| c.appd_sources.push(directory.display().to_string())).await;
    let mut chat = agent.connect(CHAT).await;
    let r = chat
        .call("openRequest", json!({"app": {"appId": "test.broken"}}))
        .await;
    assert_eq!(r["payload"]["error"], "ErrorOnLaunch");
    let r = chat
        .call(
            "raiseIntentRequest",
            json!({"intent": "StartCall", "context": contact(), "app": {"appId": "test.broken"}}),
        )
        .await;
    assert_eq!(r["payload"]["error"], "IntentDeliveryFailed");
}

/// Serves `body` as the answer to every HTTP request on a loopback port: the URL.
async fn serve_directory(body: String) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v2/apps", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    url
}

/// A directory fetched over plain http could have been rewritten on the way: its native apps
/// are listed but never run.
#[tokio::test(flavor = "multi_thread")]
async fn a_native_app_from_a_plain_http_directory_is_never_started() {
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("report.jsonl");
    let file = appd(work.path(), &launched_app(), &report);
    let url = serve_directory(std::fs::read_to_string(&file).unwrap()).await;
    let source = url.clone();
    let agent = TestAgent::start_with(move |c| c.appd_sources.push(source)).await;
    let problems = &agent.running().directory_problems;
    assert!(
        problems.iter().any(|p| p.starts_with(&url)
            && p.contains("test.dialer")
            && p.contains("never be started")),
        "{problems:?}"
    );
    let mut chat = agent.connect(CHAT).await;
    let r = chat
        .call("openRequest", json!({"app": {"appId": "test.dialer"}}))
        .await;
    assert_eq!(r["payload"]["error"], "ErrorOnLaunch", "{r}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!report.exists(), "the program ran");
}
