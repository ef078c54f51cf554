//! One connection's outgoing queue, bounded in bytes.
//!
//! The agent never waits for a connection: it queues and goes on. A connection whose app stops
//! reading (while its socket still answers heartbeats) would make that queue grow without end,
//! so the queue counts the bytes it holds, and a message that would take it over the bound is
//! refused: the agent then closes the connection ("fell behind") and ends its instance as for
//! any departure, and the connection's task, told through [`Kicked`], drops what is queued.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, Notify};

use interlog_core::message::approx_json_bytes;

use crate::runtime::Outgoing;

/// What a connection may have queued and not yet written, by default.
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 16 * 1024 * 1024;

#[derive(Default)]
struct Shared {
    queued: AtomicUsize,
    kicked: AtomicBool,
    kick: Notify,
}

/// The agent's end.
pub struct OutboxSender {
    tx: mpsc::UnboundedSender<(Outgoing, usize)>,
    shared: Arc<Shared>,
}

/// The connection's end.
pub struct OutboxReceiver {
    rx: mpsc::UnboundedReceiver<(Outgoing, usize)>,
    shared: Arc<Shared>,
}

/// Why a message was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("the connection is gone")]
    Closed,
    #[error("{queued} bytes are waiting to be read; the bound is {limit}")]
    Behind { queued: usize, limit: usize },
}

pub fn outbox() -> (OutboxSender, OutboxReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared::default());
    (
        OutboxSender {
            tx,
            shared: shared.clone(),
        },
        OutboxReceiver { rx, shared },
    )
}

impl OutboxSender {
    /// Queues `out` unless the connection would then hold more than `limit` bytes (a close is
    /// always queued).
    pub fn send(&self, out: Outgoing, limit: usize) -> Result<(), QueueError> {
        let size = match &out {
            Outgoing::Message(m) => approx_json_bytes(m),
            Outgoing::Close { .. } => 0,
        };
        let queued = self.shared.queued.load(Ordering::Acquire);
        if size > 0 && queued + size > limit {
            return Err(QueueError::Behind { queued, limit });
        }
        self.shared.queued.fetch_add(size, Ordering::AcqRel);
        self.tx.send((out, size)).map_err(|_| {
            self.shared.queued.fetch_sub(size, Ordering::AcqRel);
            QueueError::Closed
        })
    }

    /// Tells the connection to give up: it fell too far behind.
    pub fn kick(&self) {
        self.shared.kicked.store(true, Ordering::Release);
        self.shared.kick.notify_one();
    }

    /// Bytes queued and not yet taken by the connection.
    pub fn queued(&self) -> usize {
        self.shared.queued.load(Ordering::Acquire)
    }
}

impl OutboxReceiver {
    /// The next thing to send (`None`: the agent dropped this connection).
    pub async fn recv(&mut self) -> Option<Outgoing> {
        let (out, size) = self.rx.recv().await?;
        self.shared.queued.fetch_sub(size, Ordering::AcqRel);
        Some(out)
    }

    /// The next thing to send if one is queued already, without waiting (to send a burst at once).
    pub fn try_recv(&mut self) -> Option<Outgoing> {
        let (out, size) = self.rx.try_recv().ok()?;
        self.shared.queued.fetch_sub(size, Ordering::AcqRel);
        Some(out)
    }

    /// A handle that completes once the agent has given up on this connection.
    pub fn kicked(&self) -> Kicked {
        Kicked(self.shared.clone())
    }
}

/// Completes once the agent has given up on the connection (see [`OutboxSender::kick`]).
#[derive(Clone)]
pub struct Kicked(Arc<Shared>);

impl Kicked {
    pub async fn wait(&self) {
        loop {
            if self.0.kicked.load(Ordering::Acquire) {
                return;
            }
            self.0.kick.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_estimate_is_close_to_the_text() {
        let v = json!({"type": "broadcastEvent", "payload": {"context": {"type": "fdc3.instrument",
            "name": "Apple", "id": {"ticker": "AAPL"}, "tags": ["a", "b", true, null, 12.5]}}});
        let text = serde_json::to_string(&v).unwrap().len();
        let estimate = approx_json_bytes(&v);
        assert!(estimate.abs_diff(text) * 10 <= text, "{estimate} vs {text}");
    }

    #[tokio::test]
    async fn a_queue_over_its_bound_refuses_and_frees_what_is_read() {
        let (tx, mut rx) = outbox();
        let msg = || Outgoing::Message(Arc::new(json!({"payload": "x".repeat(1000)})));
        let limit = 5000;
        let mut sent = 0;
        while tx.send(msg(), limit).is_ok() {
            sent += 1;
        }
        assert_eq!(sent, 4);
        assert!(matches!(
            tx.send(msg(), limit),
            Err(QueueError::Behind { .. })
        ));
        // A close always goes in.
        assert!(tx
            .send(
                Outgoing::Close {
                    code: 1000,
                    reason: String::new()
                },
                limit
            )
            .is_ok());
        rx.recv().await.unwrap();
        assert!(tx.send(msg(), limit).is_ok());
        assert!(tx.queued() <= limit);
    }

    #[tokio::test]
    async fn kicked_completes_after_the_kick_even_if_nobody_waited_yet() {
        let (tx, rx) = outbox();
        let kicked = rx.kicked();
        tx.kick();
        tokio::time::timeout(std::time::Duration::from_secs(1), kicked.wait())
            .await
            .expect("kicked");
    }
}
