//! The WebSocket server apps connect to (the app-connection contract).
//!
//! The caller binds the listener (tests bind `127.0.0.1:0`) and passes a shutdown future.
//! Upgrade rules: path `/fdc3` only (404), the right `token` (401), an `Origin` header only if
//! allow-listed (403). Each accepted socket is one connection of the agent; a frame that is not
//! JSON or is binary is logged and dropped; a frame over the size limit closes that socket with
//! 1009; no valid identity within the handshake timeout closes it. The upgrade itself must
//! finish within the same time, and the number of connections is bounded ([`crate::admission`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use interlog_core::agent::Transport;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::admission::{Admission, AdmissionLimits, Slot};
use crate::runtime::{AgentHandle, Outgoing};

#[derive(Debug, Clone)]
pub struct WsSettings {
    pub token: String,
    pub allowed_origins: Vec<String>,
    pub max_frame_bytes: usize,
    /// Both for the HTTP upgrade and, after it, for a valid identity.
    pub handshake_timeout: Duration,
    pub limits: AdmissionLimits,
    /// Messages of one connection the agent may hold unhandled (or waiting for the disk).
    pub max_in_flight: usize,
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
fn token_matches(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn reject(status: StatusCode, text: &str) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(text.to_owned()));
    *response.status_mut() = status;
    response
}

/// The upgrade checks, in the contract's order: the refusal's status and text.
fn check_upgrade(
    request: &Request,
    settings: &WsSettings,
) -> Result<(), (StatusCode, &'static str)> {
    let uri = request.uri();
    if uri.path() != "/fdc3" {
        return Err((StatusCode::NOT_FOUND, "not found"));
    }
    let token = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v)
        .unwrap_or_default();
    if !token_matches(token, &settings.token) {
        return Err((StatusCode::UNAUTHORIZED, "missing or wrong token"));
    }
    if let Some(origin) = request.headers().get("origin") {
        let allowed = origin
            .to_str()
            .is_ok_and(|o| settings.allowed_origins.iter().any(|a| a == o));
        if !allowed {
            return Err((StatusCode::FORBIDDEN, "origin not allowed"));
        }
    }
    Ok(())
}

/// Accepts connections until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    handle: AgentHandle,
    settings: WsSettings,
    shutdown: impl Future<Output = ()>,
) {
    let admission = Admission::new(settings.limits);
    let settings = Arc::new(settings);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Refused: the stream is dropped (closed) at once.
                    let Ok(slot) = admission.admit() else { continue };
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(stream, slot, handle.clone(), settings.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// How much of a socket is read at a time. tungstenite zero-fills its read buffer up to this before
/// every read (128 KiB by default): DACP messages are a few KiB, so that was most of the cost of
/// reading one. A larger frame takes several reads.
pub const READ_BUFFER_BYTES: usize = 16 * 1024;

async fn connection(stream: TcpStream, slot: Slot, handle: AgentHandle, settings: Arc<WsSettings>) {
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(settings.max_frame_bytes);
    config.max_frame_size = Some(settings.max_frame_bytes);
    config.read_buffer_size = READ_BUFFER_BYTES;
    // tungstenite's callback type fixes the (large) error type.
    #[allow(clippy::result_large_err)]
    let check = |request: &Request, response: Response| {
        check_upgrade(request, &settings)
            .map(|()| response)
            .map_err(|(status, text)| reject(status, text))
    };
    let upgrade = tokio::time::timeout(
        settings.handshake_timeout,
        tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(config)),
    );
    let ws = tokio::select! {
        upgraded = upgrade => match upgraded {
            Ok(Ok(ws)) => ws,
            Ok(Err(e)) => {
                tracing::info!(error = %e, "WebSocket upgrade refused");
                return;
            }
            Err(_) => {
                tracing::info!("WebSocket upgrade not finished in time; closing");
                return;
            }
        },
        () = slot.evicted() => return,
    };
    let slot = Arc::new(slot);
    let (mut sink, mut stream) = ws.split();
    let (conn, mut outgoing) = handle.register(Transport::Socket);
    let kicked = outgoing.kicked();
    let places = Arc::new(tokio::sync::Semaphore::new(settings.max_in_flight));
    tracing::debug!(conn = conn.0, "socket open");
    // Closes this connection decides on itself (oversized frame, no identity in time).
    let (local_tx, mut local_rx) = tokio::sync::mpsc::unbounded_channel::<Outgoing>();

    // Writer: serialises on this connection's task, not the agent's.
    let writer_slot = slot.clone();
    let writer = tokio::spawn(async move {
        loop {
            let out = tokio::select! {
                out = outgoing.recv() => out,
                out = local_rx.recv() => out,
            };
            let Some(out) = out else { break };
            match out {
                Outgoing::Message(msg) => {
                    // The agent accepted the identity: the connection keeps its place.
                    if !writer_slot.is_identified()
                        && msg["type"] == "WCP5ValidateAppIdentityResponse"
                    {
                        writer_slot.identified();
                    }
                    // serde_json's writer straight into a buffer, not `Display` (which goes
                    // through fmt::Formatter a few bytes at a time).
                    let text = match serde_json::to_string(&*msg) {
                        Ok(text) => text,
                        Err(e) => {
                            tracing::error!(conn = conn.0, error = %e, "message not serialisable; dropped");
                            continue;
                        }
                    };
                    if sink.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                Outgoing::Close { code, reason } => {
                    let frame = CloseFrame {
                        code: CloseCode::from(code),
                        reason: reason.into(),
                    };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    break;
                }
            }
        }
        let _ = sink.close().await;
        sink
    });

    let deadline = tokio::time::sleep(settings.handshake_timeout);
    tokio::pin!(deadline);
    let mut identity_checked = false;
    // Closed for what the app sent: the rest of its frame is still on the way, and must be read
    // (and dropped) so that the app gets the close code rather than a reset connection.
    let mut unread_input = false;
    loop {
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => match serde_json::from_str(text.as_str()) {
                    Ok(msg) => {
                        // Out of places: stop reading until the agent has caught up.
                        let place = tokio::select! {
                            place = places.clone().acquire_owned() => place,
                            () = kicked.wait() => break,
                        };
                        let Ok(place) = place else { break };
                        handle.paced_message(conn, msg, place);
                    }
                    Err(e) => tracing::warn!(conn = conn.0, error = %e, "dropped a frame that is not JSON"),
                },
                Some(Ok(Message::Binary(b))) => {
                    tracing::warn!(conn = conn.0, bytes = b.len(), "dropped a binary frame");
                }
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => {} // ping/pong are answered by tungstenite
                Some(Err(WsError::Capacity(e))) => {
                    tracing::warn!(conn = conn.0, error = %e, "frame over the size limit; closing");
                    let _ = local_tx.send(Outgoing::Close { code: 1009, reason: "frame too large".into() });
                    unread_input = true;
                    break;
                }
                Some(Err(WsError::Utf8(e))) => {
                    tracing::warn!(conn = conn.0, error = %e, "text frame that is not UTF-8; closing");
                    let _ = local_tx.send(Outgoing::Close { code: 1007, reason: "text frame not UTF-8".into() });
                    unread_input = true;
                    break;
                }
                Some(Err(e)) => {
                    tracing::debug!(conn = conn.0, error = %e, "socket error");
                    break;
                }
            },
            () = kicked.wait() => {
                tracing::info!(conn = conn.0, "the agent gave up on this connection (it fell behind)");
                break;
            }
            () = slot.evicted(), if !slot.is_identified() => {
                tracing::info!(conn = conn.0, "too many unidentified connections: closing this, the oldest");
                let _ = local_tx.send(Outgoing::Close { code: 1008, reason: "too many unidentified connections".into() });
                break;
            }
            _ = &mut deadline, if !identity_checked => {
                identity_checked = true;
                if !handle.is_identified(conn).await {
                    tracing::info!(conn = conn.0, "no valid identity in time; closing");
                    let _ = local_tx.send(Outgoing::Close { code: 1008, reason: "no identity".into() });
                    break;
                }
            }
        }
    }
    handle.closed(conn);
    drop(local_tx);
    // A writer stuck on an app that does not read is not waited for long.
    let writer_abort = writer.abort_handle();
    match tokio::time::timeout(Duration::from_secs(2), writer).await {
        Ok(Ok(sink)) if unread_input => {
            if let Ok(ws) = stream.reunite(sink) {
                drain(ws.into_inner()).await;
            }
        }
        Ok(_) => {}
        Err(_) => writer_abort.abort(),
    }
}

/// Reads and drops what the app still sends (for at most a second) after the close frame went
/// out, so that closing does not reset the connection under a frame it is still writing.
async fn drain(mut tcp: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = tcp.shutdown().await;
    let mut buf = vec![0u8; 64 * 1024];
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await;
}
