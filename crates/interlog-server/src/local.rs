//! In-process apps (the built-in interaction log, Interlog's own window as a raiser) talk to the
//! agent exactly as socket apps do — the same DACP messages, the same identity handshake — over
//! a channel instead of a socket.

use std::time::Duration;

use crate::outbox::OutboxReceiver;
use interlog_core::agent::Transport;
use interlog_core::message::iso_time;
use interlog_core::ConnId;
use serde_json::{json, Value};

use crate::runtime::{now_ms, AgentHandle, Outgoing};

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("the agent refused the identity: {0}")]
    Refused(String),
    #[error("the agent stopped")]
    AgentGone,
    #[error("no answer from the agent in time")]
    Timeout,
}

pub struct LocalConnection {
    handle: AgentHandle,
    conn: ConnId,
    rx: OutboxReceiver,
    counter: u64,
    pub app_id: String,
    pub instance_id: String,
}

impl LocalConnection {
    /// Connects and completes the WCP4/WCP5 handshake as the app at `identity_url`.
    pub async fn connect(
        handle: &AgentHandle,
        identity_url: &str,
    ) -> Result<LocalConnection, LocalError> {
        let (conn, rx) = handle.register(Transport::InProcess);
        let mut local = LocalConnection {
            handle: handle.clone(),
            conn,
            rx,
            counter: 0,
            app_id: String::new(),
            instance_id: String::new(),
        };
        let attempt = local.next_uuid();
        handle.message(
            conn,
            json!({
                "type": "WCP4ValidateAppIdentity",
                "payload": { "identityUrl": identity_url, "actualUrl": identity_url },
                "meta": { "connectionAttemptUuid": attempt, "timestamp": iso_time(now_ms()) }
            }),
        );
        let reply = local.recv_timeout(Duration::from_secs(10)).await?;
        match reply["type"].as_str() {
            Some("WCP5ValidateAppIdentityResponse") => {
                local.app_id = reply["payload"]["appId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                local.instance_id = reply["payload"]["instanceId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                Ok(local)
            }
            _ => Err(LocalError::Refused(
                reply["payload"]["message"]
                    .as_str()
                    .unwrap_or("unknown")
                    .to_owned(),
            )),
        }
    }

    fn next_uuid(&mut self) -> String {
        self.counter += 1;
        format!("local-{}-{}", self.conn.0, self.counter)
    }

    /// Sends a request; returns its requestUuid.
    pub fn request(&mut self, kind: &str, payload: Value) -> String {
        let request_uuid = self.next_uuid();
        self.handle.message(
            self.conn,
            json!({
                "type": kind,
                "payload": payload,
                "meta": { "requestUuid": request_uuid, "timestamp": iso_time(now_ms()) }
            }),
        );
        request_uuid
    }

    /// The next message from the agent (`None` once the agent or this connection is closed).
    pub async fn recv(&mut self) -> Option<Value> {
        match self.rx.recv().await? {
            Outgoing::Message(m) => Some((*m).clone()),
            Outgoing::Close { .. } => None,
        }
    }

    pub async fn recv_timeout(&mut self, timeout: Duration) -> Result<Value, LocalError> {
        match tokio::time::timeout(timeout, self.recv()).await {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(LocalError::AgentGone),
            Err(_) => Err(LocalError::Timeout),
        }
    }

    /// Waits for the response to `request_uuid`, answering heartbeats on the way.
    pub async fn response(
        &mut self,
        request_uuid: &str,
        timeout: Duration,
    ) -> Result<Value, LocalError> {
        let until = tokio::time::Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            let msg = self.recv_timeout(left).await?;
            if msg["meta"]["requestUuid"].as_str() == Some(request_uuid) {
                return Ok(msg);
            }
            self.answer_heartbeat(&msg);
        }
    }

    /// Heartbeats are answered by whoever reads the messages.
    pub fn answer_heartbeat(&mut self, msg: &Value) -> bool {
        if msg["type"] != "heartbeatEvent" {
            return false;
        }
        let event_uuid = msg["meta"]["eventUuid"].clone();
        self.request(
            "heartbeatAcknowledgementRequest",
            json!({ "heartbeatEventUuid": event_uuid }),
        );
        true
    }
}

impl Drop for LocalConnection {
    fn drop(&mut self) {
        self.handle.closed(self.conn);
    }
}
