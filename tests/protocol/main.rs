//! Protocol tests: a real agent on 127.0.0.1:0, real WebSocket apps, the contract's messages.
//! Every message an app receives from the agent is validated against the FDC3 2.2 schemas.

mod bad_input;
mod crash_soak;
mod history_cli;
mod intents;
mod launch;
mod resources;
mod schema;

use std::path::PathBuf;
use std::time::Duration;

use interlog_server::client::Client;
use interlog_server::{RunningAgent, ServerConfig};
use serde_json::{json, Value};
use tempfile::TempDir;

pub const CHAT: &str = "https://apps.interlog.example/chat/";
pub const CRM: &str = "https://apps.interlog.example/crm/";
pub const TEST_A: &str = "https://apps.interlog.example/test-a/";
pub const WAIT: Duration = Duration::from_secs(5);

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn example_context() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(fixture("create-interaction.context.json")).unwrap(),
    )
    .unwrap()
}

/// A running agent in its own temporary data and runtime folders.
pub struct TestAgent {
    pub agent: Option<RunningAgent>,
    pub dir: TempDir,
}

impl TestAgent {
    pub async fn start() -> TestAgent {
        TestAgent::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestAgent {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServerConfig::new(dir.path().join("data"));
        config.runtime_dir = Some(dir.path().join("run"));
        config.port = 0;
        config.appd_sources = vec![fixture("sample-appd.json").display().to_string()];
        // Headless by default: an ambiguous raise answers ResolverUnavailable.
        config.agent.resolver_available = false;
        adjust(&mut config);
        let agent = interlog_server::start(config).await.expect("agent starts");
        let test = TestAgent {
            agent: Some(agent),
            dir,
        };
        test.wait_for_builtin_log().await;
        test
    }

    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    pub fn running(&self) -> &RunningAgent {
        self.agent.as_ref().unwrap()
    }

    pub async fn connect(&self, identity_url: &str) -> App {
        let client = Client::connect_via(&self.runtime_dir(), identity_url)
            .await
            .expect("app connects");
        schema::assert_valid(&client.validation);
        App { client }
    }

    /// The built-in log connects in-process at start; wait until it listens.
    async fn wait_for_builtin_log(&self) {
        let mut probe = self.connect(TEST_A).await;
        for _ in 0..50 {
            let id = probe
                .request(
                    "findInstancesRequest",
                    json!({"app": {"appId": "interlog.log"}}),
                )
                .await;
            let r = probe.response(&id, "findInstancesResponse").await;
            if r["payload"]["appIdentifiers"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
            {
                probe.client.goodbye().await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the built-in log never connected");
    }
}

/// An app connected over the socket; every message it receives is schema-checked.
pub struct App {
    pub client: Client,
}

impl App {
    pub fn instance_id(&self) -> String {
        self.client.instance_id.clone()
    }

    pub async fn request(&mut self, kind: &str, payload: Value) -> String {
        self.client
            .request(kind, payload)
            .await
            .expect("request sent")
    }

    pub async fn wait_for(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        let msg = self
            .client
            .wait_for(WAIT, want)
            .await
            .expect("expected message arrives");
        schema::assert_valid(&msg);
        msg
    }

    pub async fn response(&mut self, request_uuid: &str, kind: &str) -> Value {
        let msg = self
            .client
            .response(request_uuid, kind, WAIT)
            .await
            .unwrap_or_else(|e| panic!("no {kind}: {e}"));
        schema::assert_valid(&msg);
        msg
    }

    /// Request and its response in one.
    pub async fn call(&mut self, kind: &str, payload: Value) -> Value {
        let id = self.request(kind, payload).await;
        let response_kind = kind.replace("Request", "Response");
        self.response(&id, &response_kind).await
    }

    pub async fn listen(&mut self, intent: &str) {
        let r = self
            .call("addIntentListenerRequest", json!({ "intent": intent }))
            .await;
        assert!(r["payload"]["listenerUUID"].is_string(), "{r}");
    }
}
