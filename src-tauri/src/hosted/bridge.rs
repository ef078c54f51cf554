//! One app window's connection to the agent: the same DACP messages and identity handshake as
//! any app, with the window doing the handshake. The page never sees its instance's secret
//! (WCP5 stays here) and cannot take part in the handshake: its `WCP*` messages are dropped,
//! and everything it sends is from the window's instance, whatever its `meta.source` says.

use std::sync::Arc;

use interlog_core::agent::{LaunchRequest, Transport};
use interlog_core::message::iso_time;
use interlog_core::ConnId;
use interlog_server::runtime::{now_ms, Outgoing};
use interlog_server::AgentHandle;
use serde_json::{json, Value};
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::Semaphore;

/// A live connection. Dropping it ends the instance's connection (the agent then ends the
/// instance, or keeps its identity for the page's next load to take back).
pub struct Bridge {
    handle: AgentHandle,
    conn: ConnId,
    delivery: JoinHandle<()>,
    /// The page's places in the agent's queue: a page that floods faster than the agent (or the
    /// disk) keeps up is refused beyond them instead of growing the queue.
    places: Arc<Semaphore>,
}

/// Messages of one page the agent may hold unhandled (or waiting for the disk).
const MAX_IN_FLIGHT: usize = 4096;

/// A script of messages for a page stops growing past this: a burst goes in several.
const MAX_SCRIPT_BYTES: usize = 256 * 1024;

enum Deliverable {
    Message(Arc<Value>),
    /// The page has no business with it.
    Skip,
    /// The agent ended the connection.
    Closed,
}

/// What of `out`, from the agent to the window `label`'s instance, goes to the page.
fn deliverable(label: &str, conn: ConnId, out: Outgoing) -> Deliverable {
    let msg = match out {
        Outgoing::Message(m) => m,
        Outgoing::Close { code, reason } => {
            tracing::info!(window = %label, code, %reason, "the agent ended the window's connection");
            return Deliverable::Closed;
        }
    };
    match msg["type"].as_str() {
        // Carries the secret; the page's proxy needs none of it.
        Some("WCP5ValidateAppIdentityResponse") => return Deliverable::Skip,
        Some("WCP5ValidateAppIdentityFailedResponse") => {
            tracing::warn!(window = %label, reason = %msg["payload"]["message"], "the agent refused the window's identity");
            return Deliverable::Skip;
        }
        _ => {}
    }
    tracing::trace!(window = %label, conn = conn.0, kind = %msg["type"], "agent → page");
    Deliverable::Message(msg)
}

impl Bridge {
    /// Connects the window `label` as the instance `launch` was for, the page being at
    /// `page_url` (one of the app's pages: checked by the caller).
    pub fn connect<R: Runtime>(
        app: &AppHandle<R>,
        handle: &AgentHandle,
        label: &str,
        launch: &LaunchRequest,
        app_url: &str,
        page_url: &str,
    ) -> Bridge {
        let (conn, mut rx) = handle.register(Transport::Window);
        handle.message(
            conn,
            json!({
                "type": "WCP4ValidateAppIdentity",
                "payload": {
                    "identityUrl": app_url,
                    "actualUrl": page_url,
                    "instanceId": launch.instance_id,
                    "instanceUuid": launch.instance_uuid,
                },
                "meta": {
                    "connectionAttemptUuid": uuid::Uuid::new_v4().to_string(),
                    "timestamp": iso_time(now_ms()),
                }
            }),
        );
        let app = app.clone();
        let label = label.to_owned();
        let delivery = tauri::async_runtime::spawn(async move {
            // What is queued for the page when the first message comes goes in the same script: one
            // trip to the main thread (which also draws every window) per burst, not per message.
            // The page still handles each message in a task of its own.
            let mut script = String::new();
            while let Some(first) = rx.recv().await {
                let mut next = Some(first);
                let mut closed = false;
                while let Some(out) = next.take() {
                    match deliverable(&label, conn, out) {
                        Deliverable::Message(msg) => {
                            // JSON is a JavaScript expression; the page's deliver function is not writable.
                            script.push_str("window.__interlogDeliver&&window.__interlogDeliver(");
                            script.push_str(&msg.to_string());
                            script.push_str(");");
                        }
                        Deliverable::Skip => {}
                        Deliverable::Closed => {
                            closed = true;
                            break;
                        }
                    }
                    if script.len() < MAX_SCRIPT_BYTES {
                        next = rx.try_recv();
                    }
                }
                if !script.is_empty() {
                    let Some(window) = app.get_webview_window(&label) else {
                        break;
                    };
                    if let Err(e) = window.eval(std::mem::take(&mut script)) {
                        tracing::warn!(window = %label, error = %e, "cannot deliver to the page");
                    }
                }
                if closed {
                    break;
                }
            }
        });
        Bridge {
            handle: handle.clone(),
            conn,
            delivery,
            places: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        }
    }

    /// The page finished loading (a launch of this window completes then).
    pub fn page_loaded(&self) {
        self.handle.page_loaded(self.conn);
    }

    /// A message from the page, from this window's instance.
    pub fn forward(&self, message: Value) -> Result<(), PageMessageError> {
        let kind = message
            .get("type")
            .and_then(Value::as_str)
            .ok_or(PageMessageError::NoType)?;
        if kind.starts_with("WCP") {
            return Err(PageMessageError::Handshake(kind.to_owned()));
        }
        tracing::trace!(conn = self.conn.0, kind, "page → agent");
        let place = self
            .places
            .clone()
            .try_acquire_owned()
            .map_err(|_| PageMessageError::Busy)?;
        self.handle.paced_message(self.conn, message, place);
        Ok(())
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.delivery.abort();
        self.handle.closed(self.conn);
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageMessageError {
    #[error("a message needs a string `type`")]
    NoType,
    #[error("{0} is the window's business, not the page's")]
    Handshake(String),
    #[error("too many messages waiting for the agent: try again")]
    Busy,
}
