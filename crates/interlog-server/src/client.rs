//! A minimal app-side client of the socket contract: find the agent, connect, identify, then
//! send and receive DACP messages. Used by `interlog raise` and by the protocol tests.

use std::path::Path;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use interlog_core::message::iso_time;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::discovery::{self, Discovery, DiscoveryError};
use crate::runtime::now_ms;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error("cannot connect to the agent: {0}")]
    Connect(String),
    #[error("the agent refused this app's identity: {0}")]
    Refused(String),
    #[error("the connection closed")]
    Closed,
    #[error("no answer in time")]
    Timeout,
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    counter: u64,
    pub app_id: String,
    pub instance_id: String,
    pub instance_uuid: String,
    /// The WCP5 response, as received.
    pub validation: Value,
}

impl Client {
    /// Connects through the discovery file in `runtime_dir`.
    pub async fn connect_via(
        runtime_dir: &Path,
        identity_url: &str,
    ) -> Result<Client, ClientError> {
        let found = discovery::read(runtime_dir)?;
        Client::connect(&found, identity_url).await
    }

    pub async fn connect(found: &Discovery, identity_url: &str) -> Result<Client, ClientError> {
        Client::connect_as(found, identity_url, None).await
    }

    /// Connects an app that Interlog launched: it quotes the identity it was given in
    /// `INTERLOG_INSTANCE_ID` / `INTERLOG_INSTANCE_UUID`.
    pub async fn connect_launched(identity_url: &str) -> Result<Client, ClientError> {
        let runtime_dir = std::env::var_os("INTERLOG_RUNTIME_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| discovery::runtime_dir(&discovery::default_data_dir()));
        let found = discovery::read(&runtime_dir)?;
        let identity = match (
            std::env::var("INTERLOG_INSTANCE_ID"),
            std::env::var("INTERLOG_INSTANCE_UUID"),
        ) {
            (Ok(id), Ok(secret)) => Some((id, secret)),
            _ => None,
        };
        Client::connect_as(&found, identity_url, identity).await
    }

    /// Connects, optionally quoting an identity (`instanceId`, `instanceUuid`) to reclaim.
    pub async fn connect_as(
        found: &Discovery,
        identity_url: &str,
        identity: Option<(String, String)>,
    ) -> Result<Client, ClientError> {
        let url = format!("{}?token={}", found.url, found.token);
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        let mut client = Client {
            ws,
            counter: 0,
            app_id: String::new(),
            instance_id: String::new(),
            instance_uuid: String::new(),
            validation: Value::Null,
        };
        let mut payload = json!({ "identityUrl": identity_url, "actualUrl": identity_url });
        if let Some((instance_id, instance_uuid)) = identity {
            payload["instanceId"] = json!(instance_id);
            payload["instanceUuid"] = json!(instance_uuid);
        }
        client
            .send(&json!({
                "type": "WCP4ValidateAppIdentity",
                "payload": payload,
                "meta": { "connectionAttemptUuid": uuid::Uuid::new_v4().to_string(), "timestamp": iso_time(now_ms()) }
            }))
            .await?;
        let reply = client.recv(Duration::from_secs(10)).await?;
        if reply["type"] != "WCP5ValidateAppIdentityResponse" {
            return Err(ClientError::Refused(
                reply["payload"]["message"]
                    .as_str()
                    .unwrap_or("unknown reason")
                    .to_owned(),
            ));
        }
        client.app_id = reply["payload"]["appId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        client.instance_id = reply["payload"]["instanceId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        client.instance_uuid = reply["payload"]["instanceUuid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        client.validation = reply;
        Ok(client)
    }

    pub async fn send(&mut self, msg: &Value) -> Result<(), ClientError> {
        self.ws
            .send(Message::text(msg.to_string()))
            .await
            .map_err(|_| ClientError::Closed)
    }

    /// Sends a request; returns its requestUuid.
    pub async fn request(&mut self, kind: &str, payload: Value) -> Result<String, ClientError> {
        self.counter += 1;
        let request_uuid = format!("{}-{}", uuid::Uuid::new_v4(), self.counter);
        self.send(&json!({
            "type": kind,
            "payload": payload,
            "meta": { "requestUuid": request_uuid, "timestamp": iso_time(now_ms()) }
        }))
        .await?;
        Ok(request_uuid)
    }

    /// The next message (heartbeats included).
    pub async fn recv(&mut self, timeout: Duration) -> Result<Value, ClientError> {
        let next = async {
            while let Some(frame) = self.ws.next().await {
                match frame {
                    Ok(Message::Text(t)) => {
                        if let Ok(v) = serde_json::from_str(t.as_str()) {
                            return Ok(v);
                        }
                    }
                    Ok(Message::Close(_)) | Err(_) => return Err(ClientError::Closed),
                    Ok(_) => {}
                }
            }
            Err(ClientError::Closed)
        };
        tokio::time::timeout(timeout, next)
            .await
            .map_err(|_| ClientError::Timeout)?
    }

    /// Waits for a message matching `want`, answering heartbeats and skipping others.
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        want: impl Fn(&Value) -> bool,
    ) -> Result<Value, ClientError> {
        let until = tokio::time::Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            let msg = self.recv(left).await?;
            if want(&msg) {
                return Ok(msg);
            }
            if msg["type"] == "heartbeatEvent" {
                let uuid = msg["meta"]["eventUuid"].clone();
                self.request(
                    "heartbeatAcknowledgementRequest",
                    json!({ "heartbeatEventUuid": uuid }),
                )
                .await?;
            }
        }
    }

    /// Waits for the message answering `request_uuid` with type `kind`.
    pub async fn response(
        &mut self,
        request_uuid: &str,
        kind: &str,
        timeout: Duration,
    ) -> Result<Value, ClientError> {
        self.wait_for(timeout, |m| {
            m["type"] == kind && m["meta"]["requestUuid"] == request_uuid
        })
        .await
    }

    /// Says goodbye and closes.
    pub async fn goodbye(mut self) {
        let _ = self
            .send(&json!({ "type": "WCP6Goodbye", "payload": {}, "meta": { "timestamp": iso_time(now_ms()) } }))
            .await;
        let _ = self.ws.close(None).await;
    }
}
