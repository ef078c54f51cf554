//! The least CPU any agent on this WebSocket stack can spend per round trip: a relay with the
//! agent's message pattern and none of its work (no JSON, no rules, no ledger).
//!
//! Started by `tests/js/bench/transport-floor.mjs`, which prints the figures. Prints `listening PORT`
//! once bound to 127.0.0.1. Each socket first says who it is (`raiser N` or `handler N`); after that,
//! like the agent for a raise, every frame from a raiser is answered with a short frame and passed
//! to handler N, and every frame from handler N is answered likewise and passed back to raiser N:
//! two frames in and four out per round trip, on one thread, as `interlog --headless` runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Stands in for the agent's short responses (raiseIntentResponse, intentResultResponse).
const ACK: &str = r#"{"type":"ack","meta":{"requestUuid":"00000000-0000-0000-0000-000000000000"}}"#;

type Peers = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Message>>>>;

fn main() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        println!("listening {}", listener.local_addr()?.port());
        let peers = Peers::default();
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(relay(stream, peers.clone()));
        }
    })
}

async fn relay(stream: tokio::net::TcpStream, peers: Peers) {
    // Read as the agent reads (`ws::READ_BUFFER_BYTES`), so the floor is the same stack's.
    let mut config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default();
    config.read_buffer_size = interlog_server::ws::READ_BUFFER_BYTES;
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (mut sink, mut frames) = ws.split();
    let Some(Ok(Message::Text(name))) = frames.next().await else {
        return;
    };
    let name = name.to_string();
    let peer = match name.split_once(' ') {
        Some(("raiser", n)) => format!("handler {n}"),
        Some(("handler", n)) => format!("raiser {n}"),
        _ => return,
    };
    // A writer task per socket, fed by a channel, as the agent's connections are.
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    peers
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(name, tx.clone());
    tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(message)) = frames.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let _ = tx.send(Message::text(ACK));
        let to = peers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&peer)
            .cloned();
        if let Some(to) = to {
            let _ = to.send(Message::Text(text));
        }
    }
}
