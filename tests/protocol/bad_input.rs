//! Bad input gets a clear answer and the agent stays up.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::{example_context, TestAgent, CHAT};

async fn upgrade_status(agent: &TestAgent, path_and_query: &str, origin: Option<&str>) -> u16 {
    let url = format!("ws://{}{}", agent.running().addr, path_and_query);
    let mut request = url.into_client_request().unwrap();
    if let Some(o) = origin {
        request.headers_mut().insert("Origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
        Err(e) => panic!("unexpected: {e}"),
    }
}

fn token(agent: &TestAgent) -> String {
    interlog_server::discovery::read(&agent.runtime_dir())
        .unwrap()
        .token
}

#[tokio::test(flavor = "multi_thread")]
async fn upgrade_is_checked_for_path_token_and_origin() {
    let agent =
        TestAgent::start_with(|c| c.allowed_origins = vec!["https://allowed.example".into()]).await;
    let t = token(&agent);
    assert_eq!(upgrade_status(&agent, "/fdc3?token=wrong", None).await, 401);
    assert_eq!(upgrade_status(&agent, "/fdc3", None).await, 401);
    assert_eq!(
        upgrade_status(&agent, &format!("/other?token={t}"), None).await,
        404
    );
    assert_eq!(
        upgrade_status(
            &agent,
            &format!("/fdc3?token={t}"),
            Some("https://evil.example")
        )
        .await,
        403
    );
    assert_eq!(
        upgrade_status(
            &agent,
            &format!("/fdc3?token={t}"),
            Some("https://allowed.example")
        )
        .await,
        101
    );
    assert_eq!(
        upgrade_status(&agent, &format!("/fdc3?token={t}"), None).await,
        101
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_identity_is_refused_and_closed() {
    let agent = TestAgent::start().await;
    let err = interlog_server::client::Client::connect_via(
        &agent.runtime_dir(),
        "https://unknown.example/app",
    )
    .await
    .err()
    .expect("refused");
    assert!(err.to_string().contains("matches no app"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_frames_never_stop_the_agent() {
    let agent = TestAgent::start_with(|c| c.max_frame_bytes = 64 * 1024).await;
    let mut chat = agent.connect(CHAT).await;
    // Not JSON, binary, no type: dropped, the connection stays open.
    chat.client.send(&json!("just a string")).await.unwrap();
    chat.client.send(&json!({ "payload": {} })).await.unwrap();
    // An unknown request type is answered MalformedMessage.
    // (No FDC3 schema exists for a made-up type, so this one is checked by hand.)
    let id = chat.request("makeCoffeeRequest", json!({})).await;
    let r = chat
        .client
        .response(&id, "makeCoffeeResponse", crate::WAIT)
        .await
        .unwrap();
    assert_eq!(r["type"], "makeCoffeeResponse");
    assert_eq!(r["payload"]["error"], "MalformedMessage");
    // A context without a type.
    let r = chat
        .call(
            "broadcastRequest",
            json!({ "channelId": "fdc3.channel.1", "context": { "id": {} } }),
        )
        .await;
    assert_eq!(r["payload"]["error"], "MalformedContext");
    // Still answering.
    let r = chat.call("getInfoRequest", json!({})).await;
    assert_eq!(r["payload"]["implementationMetadata"]["fdc3Version"], "2.2");

    // Raw socket: a non-JSON text frame and a binary frame, then a valid request.
    let url = format!("ws://{}/fdc3?token={}", agent.running().addr, token(&agent));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::text("{not json")).await.unwrap();
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    // An oversized frame closes only that connection, with 1009.
    ws.send(Message::text("x".repeat(100 * 1024)))
        .await
        .unwrap();
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(frame) = ws.next().await {
            if let Ok(Message::Close(Some(f))) = frame {
                return Some(u16::from(f.code));
            }
        }
        None
    })
    .await
    .unwrap();
    assert_eq!(close, Some(1009));
    let r = chat.call("getInfoRequest", json!({})).await;
    assert_eq!(
        r["payload"]["implementationMetadata"]["provider"],
        "Interlog"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_socket_is_closed_after_the_handshake_timeout() {
    let agent = TestAgent::start_with(|c| c.handshake_timeout = Duration::from_millis(300)).await;
    let url = format!("ws://{}/fdc3?token={}", agent.running().addr, token(&agent));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(frame) = ws.next().await {
            if matches!(frame, Ok(Message::Close(_)) | Err(_)) {
                return true;
            }
        }
        true
    })
    .await;
    assert_eq!(ended, Ok(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_app_directory_is_reported_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{ this is not json").unwrap();
    let agent = TestAgent::start_with(|c| {
        c.appd_sources.push(broken.display().to_string());
        c.appd_sources
            .push(dir.path().join("missing.json").display().to_string());
    })
    .await;
    let problems = &agent.running().directory_problems;
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("not valid JSON"), "{problems:?}");
    assert!(problems[1].contains("missing.json"), "{problems:?}");
    // The good source still loaded: the chat app can connect and raise.
    let mut chat = agent.connect(CHAT).await;
    let r = chat
        .call(
            "raiseIntentRequest",
            json!({ "intent": "CreateInteraction", "context": example_context(),
            "app": { "appId": "interlog.log" } }),
        )
        .await;
    assert_eq!(
        r["payload"]["intentResolution"]["source"]["appId"],
        "interlog.log"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_discovery_file_is_private_and_a_second_agent_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let agent = TestAgent::start().await;
    let file = agent.runtime_dir().join("agent.json");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&agent.runtime_dir()), 0o700);
    let found = interlog_server::discovery::read(&agent.runtime_dir()).unwrap();
    assert!(found.token.len() >= 64);
    assert_eq!(found.url, agent.running().url());

    let mut second = interlog_server::ServerConfig::new(agent.dir.path().join("data2"));
    second.runtime_dir = Some(agent.runtime_dir());
    second.port = 0;
    let err = interlog_server::start(second).await.err().expect("refused");
    assert!(err.to_string().contains("already running"), "{err}");

    let TestAgent {
        agent: running,
        dir: _dir,
    } = agent;
    running.unwrap().shutdown().await;
    assert!(!file.exists(), "removed on clean shutdown");
}

/// A `/v2/apps` URL is a directory source too: serve one from a tiny HTTP server.
#[tokio::test(flavor = "multi_thread")]
async fn an_app_directory_url_is_loaded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = r#"{"applications": [{"appId": "remote.crm", "title": "Remote CRM", "type": "web",
        "details": {"url": "https://remote.example/crm"},
        "interop": {"intents": {"listensFor": {"CreateInteraction": {"contexts": ["fdc3.interaction"]}}}}}]}"#;
    let server = tokio::spawn(async move {
        // Serve every request the agent makes (it makes one).
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).to_string();
            let (status, text) = if request.starts_with("GET /v2/apps ") {
                ("200 OK", body)
            } else {
                ("404 Not Found", "")
            };
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    let agent = TestAgent::start_with(|c| {
        c.appd_sources.push(format!("http://{addr}/v2/apps"));
        c.appd_sources.push(format!("http://{addr}/missing"));
    })
    .await;
    let problems = &agent.running().directory_problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("/missing"), "{problems:?}");
    let remote = agent.connect("https://remote.example/crm").await;
    assert_eq!(remote.client.app_id, "remote.crm");
    server.abort();
}

/// A bug that panics the agent task must not leave a zombie (a socket accepting apps nobody
/// serves, a discovery file pointing at it): the agent reports that it ended, and shuts down
/// cleanly.
#[tokio::test(flavor = "multi_thread")]
async fn a_panic_in_the_agent_task_ends_the_agent_cleanly() {
    let agent = TestAgent::start().await;
    let running = agent.running();
    assert!(
        tokio::time::timeout(Duration::from_millis(200), running.ended())
            .await
            .is_err(),
        "a healthy agent does not end"
    );
    running.handle.inject_panic();
    let status = tokio::time::timeout(Duration::from_secs(2), running.ended())
        .await
        .expect("the end of the agent task is reported");
    assert_eq!(
        status,
        interlog_server::runtime::AgentStatus::Panicked("fault injected".into())
    );
    let discovery = agent.runtime_dir().join("agent.json");
    assert!(discovery.exists());
    let TestAgent {
        agent: running,
        dir,
    } = agent;
    running.unwrap().shutdown().await;
    assert!(!discovery.exists(), "the discovery file was left behind");
    drop(dir);
}

/// What the app receives when it sends a frame over the limit (while still writing it) or a
/// text frame that is not UTF-8: the close code that says so, not a reset connection (1006).
#[tokio::test(flavor = "multi_thread")]
async fn bad_frames_get_their_close_codes_even_while_the_app_is_still_writing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let agent = TestAgent::start().await;
    let url = format!("ws://{}/fdc3?token={}", agent.running().addr, token(&agent));
    // 8 MB against the 1 MiB limit: the agent stops reading after the frame's header.
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let sending = ws.send(Message::text("x".repeat(8 * 1024 * 1024)));
    let _ = tokio::time::timeout(Duration::from_secs(5), sending).await;
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(Some(f)))) => return Some(u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("the connection failed instead of closing: {e}"),
                None => return None,
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(close, Some(1009));

    // Invalid UTF-8 in a text frame, written by hand (tungstenite would not send it).
    let (ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let mut tcp = match ws.into_inner() {
        tokio_tungstenite::MaybeTlsStream::Plain(tcp) => tcp,
        _ => unreachable!("plain ws"),
    };
    // FIN + text opcode, masked, 2 bytes of payload: 0xC3 0x28 (not UTF-8).
    let mask = [1u8, 2, 3, 4];
    let payload = [0xC3u8 ^ mask[0], 0x28 ^ mask[1]];
    let mut frame = vec![0x81, 0x80 | 2];
    frame.extend_from_slice(&mask);
    frame.extend_from_slice(&payload);
    tcp.write_all(&frame).await.unwrap();
    let mut head = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(5), tcp.read_exact(&mut head))
        .await
        .expect("an answer")
        .expect("a close frame, not a reset");
    assert_eq!(head[0], 0x88, "a close frame");
    assert_eq!(u16::from_be_bytes([head[2], head[3]]), 1007);
}
