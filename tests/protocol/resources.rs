//! Resource probes: what a careless or hostile local process can hold of the agent's, and that
//! the apps keep being served while it tries.

use std::time::{Duration, Instant};

use interlog_server::admission::AdmissionLimits;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{TestAgent, CHAT, CRM};

/// Waits until the peer closes `stream` (or `limit` passes): how long that took.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return start.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

async fn assert_serves(agent: &TestAgent, app: &mut crate::App) {
    let r = app.call("getInfoRequest", json!({})).await;
    assert_eq!(
        r["payload"]["implementationMetadata"]["provider"], "Interlog",
        "{r}"
    );
    let _ = agent;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_that_never_finishes_its_upgrade_is_closed() {
    let agent = TestAgent::start_with(|c| c.handshake_timeout = Duration::from_millis(300)).await;
    let addr = agent.running().addr;
    // Idle: not a byte.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let took = closed_within(&mut idle, Duration::from_secs(3)).await;
    assert!(took.is_some(), "an idle connection was kept open");
    // Slow: one byte of the request every 50 ms, never the whole of it.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let start = Instant::now();
    let request = b"GET /fdc3?token=x HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n";
    let mut closed = false;
    for byte in request.iter().cycle().take(200) {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        if start.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    if !closed {
        closed = closed_within(&mut slow, Duration::from_millis(500))
            .await
            .is_some();
    }
    assert!(closed, "a trickling upgrade was kept open");
    assert!(start.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_idle_connections_does_not_keep_apps_out() {
    let agent = TestAgent::start_with(|c| {
        c.limits = AdmissionLimits {
            max_connections: 1000,
            max_unidentified: 16,
        }
    })
    .await;
    let addr = agent.running().addr;
    let mut before = agent.connect(CHAT).await;
    let mut flood = Vec::new();
    for _ in 0..300 {
        flood.push(TcpStream::connect(addr).await.unwrap());
    }
    // Only the newest 16 are still held; the oldest were closed to make room.
    let first = closed_within(&mut flood[0], Duration::from_secs(2)).await;
    assert!(first.is_some(), "the oldest idle connection is still open");
    // A new app connects at once, and the app that was there is still served.
    let start = Instant::now();
    let mut fresh = agent.connect(CRM).await;
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "connecting took {:?}",
        start.elapsed()
    );
    assert_serves(&agent, &mut fresh).await;
    assert_serves(&agent, &mut before).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn at_the_connection_limit_newcomers_are_refused_and_apps_in_are_served() {
    let agent = TestAgent::start_with(|c| {
        c.limits = AdmissionLimits {
            max_connections: 8,
            max_unidentified: 8,
        }
    })
    .await;
    let addr = agent.running().addr;
    let mut inside = agent.connect(CHAT).await;
    let mut held = Vec::new();
    for _ in 0..40 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    // The connections over the limit are closed at once.
    let mut refused = 0;
    for stream in held.iter_mut().rev().take(20) {
        if closed_within(stream, Duration::from_millis(200))
            .await
            .is_some()
        {
            refused += 1;
        }
    }
    assert_eq!(refused, 20, "connections over the limit were kept");
    assert_serves(&agent, &mut inside).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listener_that_stops_reading_is_closed_and_its_instance_ended() {
    let agent = TestAgent::start_with(|c| c.max_queued_bytes = 1024 * 1024).await;
    let channel = "fdc3.channel.1";
    let mut quiet = agent.connect(crate::TEST_A).await;
    quiet
        .call("joinUserChannelRequest", json!({ "channelId": channel }))
        .await;
    quiet
        .call(
            "addContextListenerRequest",
            json!({ "channelId": null, "contextType": null }),
        )
        .await;
    // From here on `quiet` reads nothing.
    let mut loud = agent.connect(CHAT).await;
    loud.call("joinUserChannelRequest", json!({ "channelId": channel }))
        .await;
    let big =
        json!({"type": "fdc3.instrument", "id": {"ticker": "AAPL"}, "name": "x".repeat(200_000)});
    let mut ended = false;
    for _ in 0..150 {
        let r = loud
            .call(
                "broadcastRequest",
                json!({ "channelId": channel, "context": big }),
            )
            .await;
        assert!(r["payload"].get("error").is_none(), "{r}");
        let r = loud
            .call(
                "findInstancesRequest",
                json!({"app": {"appId": "test.app-a"}}),
            )
            .await;
        if r["payload"]["appIdentifiers"]
            .as_array()
            .is_some_and(|a| a.is_empty())
        {
            ended = true;
            break;
        }
    }
    assert!(
        ended,
        "the instance that stopped reading was kept (30 MB broadcast to it)"
    );
    // The broadcaster is served as before.
    assert_serves(&agent, &mut loud).await;
    drop(quiet);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_directory_server_that_never_answers_does_not_hold_up_the_start() {
    // Accepts, then says nothing.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v2/apps", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut kept = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            kept.push(stream);
        }
    });
    let start = Instant::now();
    let source = url.clone();
    let agent = TestAgent::start_with(move |c| {
        c.directory_fetch_timeout = Duration::from_millis(500);
        c.appd_sources.push(source);
    })
    .await;
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "start took {:?}",
        start.elapsed()
    );
    let problems = &agent.running().directory_problems;
    assert!(problems.iter().any(|p| p.starts_with(&url)), "{problems:?}");
    held.abort();
}

/// Sum of the sizes of the ledger's files (database, write-ahead log).
fn ledger_bytes(agent: &TestAgent) -> u64 {
    std::fs::read_dir(agent.dir.path().join("data"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name().to_string_lossy().contains(".db")
                || e.file_name().to_string_lossy().contains("sqlite")
        })
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_raises_do_not_fill_the_ledger_with_their_payloads() {
    let agent = TestAgent::start().await;
    let mut chat = agent.connect(CHAT).await;
    let before = ledger_bytes(&agent);
    // An fdc3.interaction without its required fields, with 800 KB of description.
    let huge = json!({"type": "fdc3.interaction", "description": "x".repeat(800_000)});
    for _ in 0..20 {
        let r = chat
            .call(
                "raiseIntentRequest",
                json!({"intent": "CreateInteraction", "context": huge}),
            )
            .await;
        assert_eq!(r["payload"]["error"], "MalformedContext", "{r}");
    }
    let grown = ledger_bytes(&agent).saturating_sub(before);
    assert!(
        grown < 2 * 1024 * 1024,
        "20 refused raises of 800 KB grew the ledger by {grown} bytes"
    );
    // Each is still on record, with its reason and what it was.
    let rows = agent
        .running()
        .handle
        .ledger()
        .list(&interlog_store::HistoryQuery::default())
        .unwrap();
    assert_eq!(rows.len(), 20);
    assert!(rows
        .iter()
        .all(|r| r.error.as_deref() == Some("MalformedContext")));
}

#[tokio::test(flavor = "multi_thread")]
async fn below_the_free_space_watermark_raises_are_refused_and_the_window_told_why() {
    // A watermark no disk can meet: the disk is "low" from the start.
    let agent = TestAgent::start_with(|c| c.min_free_disk_bytes = u64::MAX).await;
    let mut chat = agent.connect(CHAT).await;
    let health = agent.running().handle.storage_health();
    let until = Instant::now() + Duration::from_secs(5);
    while health.current().is_none() {
        assert!(Instant::now() < until, "the low disk was never reported");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let said = health.current().unwrap();
    assert!(said.contains("free on the disk"), "{said}");
    let r = chat
        .call(
            "raiseIntentRequest",
            json!({"intent": "CreateInteraction", "context": crate::example_context(),
                   "app": {"appId": "interlog.log"}}),
        )
        .await;
    assert_eq!(r["payload"]["error"], "IntentDeliveryFailed", "{r}");
    let rows = agent
        .running()
        .handle
        .ledger()
        .list(&interlog_store::HistoryQuery::default())
        .unwrap();
    assert_eq!(
        rows[0].resolution.as_deref(),
        Some("disk_low"),
        "{:?}",
        rows[0]
    );
}
