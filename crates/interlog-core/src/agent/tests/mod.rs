//! Scenario tests for the agent: a small harness around [`Agent`] (a directory built from AppD
//! text after the built-in apps, a fake clock, WCP4 connections, DACP requests), and one file
//! per area.
//!
//! A test drives the agent through `Scenario`, then asserts on the effects of the last input:
//! `outline` gives every effect in order as one short line (easy to compare as a whole), and
//! `check` matches the messages sent, in order, by connection, type and JSON-pointer values.
//! Both print the full effect list when they fail.

mod channels;
mod identity;
mod intents;
mod launch;
mod liveness;
mod resolver;
mod windows;

use serde_json::{json, Value};

use super::*;
use crate::builtin::{BUILTIN_APPD, LOG_IDENTITY_URL};
use crate::ids::CountingIds;
use crate::message::{iso_time, Millis};

/// The test directory (loaded after the built-in apps, as the runtime does).
pub const APPD: &str = r#"{"applications": [
  {"appId": "crm", "title": "CRM", "type": "web", "description": "Customer records",
   "details": {"url": "https://crm.example.com/app"},
   "interop": {"intents": {"listensFor": {
     "CreateInteraction": {"contexts": ["fdc3.interaction", "fdc3.contactList"], "resultType": "fdc3.transactionResult"}}}}},
  {"appId": "chat", "title": "Chat", "type": "web",
   "details": {"url": "https://chat.example.com/"},
   "interop": {"intents": {"raises": {"CreateInteraction": ["fdc3.interaction"]}}}},
  {"appId": "viewer", "title": "Chart viewer", "type": "web",
   "details": {"url": "https://viewer.example.com/charts"},
   "interop": {"intents": {"listensFor": {
     "ViewChart": {"contexts": ["fdc3.instrument"], "resultType": "channel<fdc3.chart>"}}}}},
  {"appId": "dyn", "title": "Dynamic", "type": "web", "details": {"url": "https://dyn.example.com/"}},
  {"appId": "dialer", "title": "Dialer", "type": "native",
   "details": {"path": "/opt/dialer/bin/dialer", "arguments": "--quiet --profile desk"},
   "interop": {"intents": {"listensFor": {"StartCall": {"contexts": ["fdc3.contact"]}}}}}
]}"#;

pub const CRM_URL: &str = "https://crm.example.com/app";
pub const CHAT_URL: &str = "https://chat.example.com/";
pub const VIEWER_URL: &str = "https://viewer.example.com/charts";
pub const DYN_URL: &str = "https://dyn.example.com/";
pub const LOG_URL: &str = LOG_IDENTITY_URL;

/// Where the fake clock starts (any fixed time will do).
pub const T0: Millis = 1_700_000_000_000;

pub struct Scenario {
    pub agent: Agent,
    /// The fake clock, passed to every `handle` call.
    pub now: Millis,
    last: Vec<Effect>,
    next_conn: u64,
    next_request: u64,
}

impl Scenario {
    pub fn new() -> Scenario {
        Scenario::with_config(AgentConfig::default())
    }

    pub fn with_config(config: AgentConfig) -> Scenario {
        let mut directory = Directory::new();
        for (name, text) in [("builtin", BUILTIN_APPD), ("test", APPD)] {
            let skipped = directory.add_json(name, text).expect("test AppD parses");
            assert!(skipped.is_empty(), "{name}: skipped {skipped:?}");
        }
        Scenario {
            agent: Agent::new(config, directory, Box::new(CountingIds::default())),
            now: T0,
            last: Vec::new(),
            next_conn: 0,
            next_request: 0,
        }
    }

    pub fn config(&self) -> AgentConfig {
        self.agent.config().clone()
    }

    pub fn advance(&mut self, ms: Millis) {
        self.now += ms;
    }

    /// Hands one input to the agent at `now`; its effects are returned and kept for `take`.
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        self.last = self.agent.handle(input, self.now);
        self.last.clone()
    }

    /// The effects of the last input.
    pub fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.last)
    }

    /// The messages the last input sent to `conn`.
    pub fn sent_to(&self, conn: ConnId) -> Vec<Value> {
        sent(&self.last, conn)
    }

    pub fn message(&mut self, conn: ConnId, msg: Value) -> Vec<Effect> {
        self.handle(Input::Message { conn, msg })
    }

    pub fn close(&mut self, conn: ConnId) -> Vec<Effect> {
        self.handle(Input::Closed { conn })
    }

    pub fn timer(&mut self, timer: Timer) -> Vec<Effect> {
        self.handle(Input::Timer(timer))
    }

    pub fn resolve(&mut self, id: &str, choice: ResolverChoice) -> Vec<Effect> {
        self.handle(Input::Resolver {
            id: id.to_owned(),
            choice,
        })
    }

    pub fn new_conn(&mut self) -> ConnId {
        self.next_conn += 1;
        ConnId(self.next_conn)
    }

    /// Sends `WCP4ValidateAppIdentity` with this payload; the attempt id is `attempt-<conn>`.
    pub fn wcp4(&mut self, conn: ConnId, payload: Value) -> Vec<Effect> {
        let msg = json!({
            "type": "WCP4ValidateAppIdentity",
            "payload": payload,
            "meta": {"connectionAttemptUuid": format!("attempt-{}", conn.0), "timestamp": iso_time(self.now)},
        });
        self.message(conn, msg)
    }

    /// A new connection that completes the handshake with this WCP4 payload; returns the
    /// connection and the WCP5 payload.
    pub fn connect_with(&mut self, payload: Value) -> (ConnId, Value) {
        let conn = self.new_conn();
        let fx = self.wcp4(conn, payload);
        let sent = sent(&fx, conn);
        let ok = sent.len() == 1 && sent[0]["type"] == "WCP5ValidateAppIdentityResponse";
        assert!(ok, "handshake failed:\n{}", dump(&fx));
        (conn, sent[0]["payload"].clone())
    }

    /// Announces a connection with its transport (unannounced ones are socket connections).
    pub fn new_conn_over(&mut self, transport: Transport) -> ConnId {
        let conn = self.new_conn();
        self.handle(Input::Connected { conn, transport });
        conn
    }

    /// Connects Interlog's own code (the built-in log) in process.
    pub fn connect_in_process(&mut self, identity_url: &str) -> (ConnId, String) {
        let conn = self.new_conn_over(Transport::InProcess);
        let fx = self.wcp4(
            conn,
            json!({"identityUrl": identity_url, "actualUrl": identity_url}),
        );
        let sent = sent(&fx, conn);
        assert_eq!(sent.len(), 1, "handshake failed:\n{}", dump(&fx));
        let id = sent[0]["payload"]["instanceId"]
            .as_str()
            .expect("instanceId");
        (conn, id.to_owned())
    }

    /// Connects an app from `identity_url` (also its `actualUrl`); returns the connection and
    /// the instanceId.
    pub fn connect(&mut self, identity_url: &str) -> (ConnId, String) {
        let (conn, wcp5) =
            self.connect_with(json!({"identityUrl": identity_url, "actualUrl": identity_url}));
        (
            conn,
            wcp5["instanceId"].as_str().expect("instanceId").to_owned(),
        )
    }

    /// Sends a DACP request; returns its `requestUuid` (`req-1`, `req-2`, …).
    pub fn request(&mut self, conn: ConnId, kind: &str, payload: Value) -> String {
        self.next_request += 1;
        let uuid = format!("req-{}", self.next_request);
        let msg = json!({
            "type": kind,
            "payload": payload,
            "meta": {"requestUuid": uuid, "timestamp": iso_time(self.now)},
        });
        self.message(conn, msg);
        uuid
    }

    /// `addIntentListener(intent)` from `conn`, asserting the answer; returns the listenerUUID.
    pub fn listen(&mut self, conn: ConnId, intent: &str) -> String {
        let req = self.request(
            conn,
            "addIntentListenerRequest",
            json!({ "intent": intent }),
        );
        let m = one(&self.last, conn, "addIntentListenerResponse");
        assert_eq!(m["meta"]["requestUuid"], req.as_str());
        m["payload"]["listenerUUID"]
            .as_str()
            .expect("listenerUUID")
            .to_owned()
    }
}

impl Scenario {
    /// `raiseIntent(intent, context, app?)` from `conn`; returns the requestUuid.
    pub fn raise(
        &mut self,
        conn: ConnId,
        intent: &str,
        context: Value,
        app: Option<Value>,
    ) -> String {
        let mut payload = json!({ "intent": intent, "context": context });
        if let Some(app) = app {
            payload["app"] = app;
        }
        self.request(conn, "raiseIntentRequest", payload)
    }

    /// The handler's `intentResultRequest` for `intent_event`, with `meta.requestUuid` set to the
    /// event's uuid as the 2.2 client does.
    pub fn answer(
        &mut self,
        conn: ConnId,
        intent_event: &Value,
        intent_result: Value,
    ) -> Vec<Effect> {
        let event_uuid = intent_event["meta"]["eventUuid"].clone();
        let msg = json!({
            "type": "intentResultRequest",
            "payload": {
                "intentEventUuid": event_uuid,
                "raiseIntentRequestUuid": intent_event["payload"]["raiseIntentRequestUuid"],
                "intentResult": intent_result,
            },
            "meta": {"requestUuid": event_uuid, "timestamp": iso_time(self.now)},
        });
        self.message(conn, msg)
    }
}

/// A raiser (chat) and a handler (crm) that listens for CreateInteraction.
pub struct ChatAndCrm {
    pub s: Scenario,
    pub chat: ConnId,
    pub chat_id: String,
    pub crm: ConnId,
    pub crm_id: String,
}

impl ChatAndCrm {
    pub fn new() -> ChatAndCrm {
        ChatAndCrm::with_config(AgentConfig::default())
    }

    pub fn with_config(config: AgentConfig) -> ChatAndCrm {
        let mut s = Scenario::with_config(config);
        let (chat, chat_id) = s.connect(CHAT_URL);
        let (crm, crm_id) = s.connect(CRM_URL);
        s.listen(crm, "CreateInteraction");
        ChatAndCrm {
            s,
            chat,
            chat_id,
            crm,
            crm_id,
        }
    }

    /// chat raises CreateInteraction and it reaches crm; returns the raise's requestUuid and
    /// the intentEvent.
    pub fn delivered(&mut self) -> (String, Value) {
        let req = self
            .s
            .raise(self.chat, "CreateInteraction", interaction(), None);
        let fx = self.s.take();
        let event = one(&fx, self.crm, "intentEvent");
        one(&fx, self.chat, "raiseIntentResponse");
        (req, event)
    }
}

/// Every effect, one per line, for failure messages.
pub fn dump(effects: &[Effect]) -> String {
    if effects.is_empty() {
        return "  (no effects)".to_owned();
    }
    effects
        .iter()
        .enumerate()
        .map(|(n, e)| match e {
            Effect::Send { conn, msg } => format!("  {n}: Send to {}: {msg}", conn.0),
            other => format!("  {n}: {other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One short line per effect, in order: `send 2 intentEvent`, `record Delivered`,
/// `record Completed(Error NoAppsFound)`, `timer ResultDeadline`, `resolver shown`, `close 1 1008`.
/// The effects in short, but for cancelled timers (see `cancelled`).
pub fn outline(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter(|e| !matches!(e, Effect::CancelTimer(_)))
        .map(|e| match e {
            Effect::Send { conn, msg } => {
                format!(
                    "send {} {}",
                    conn.0,
                    msg["type"].as_str().unwrap_or("<no type>")
                )
            }
            Effect::Close { conn, code, .. } => format!("close {} {code}", conn.0),
            Effect::Record(event) => format!("record {}", ledger_line(event)),
            Effect::ResolverChanged(Some(_)) => "resolver shown".to_owned(),
            Effect::ResolverChanged(None) => "resolver hidden".to_owned(),
            Effect::Launch(l) => format!("launch {}", l.app_id),
            Effect::SetTimer { timer, .. } => {
                let name = match timer {
                    Timer::Heartbeat => "Heartbeat",
                    Timer::ResolverDeadline { .. } => "ResolverDeadline",
                    Timer::ListenerDeadline { .. } => "ListenerDeadline",
                    Timer::ResultDeadline { .. } => "ResultDeadline",
                    Timer::LaunchDeadline { .. } => "LaunchDeadline",
                    Timer::PageSettled { .. } => "PageSettled",
                };
                format!("timer {name}")
            }
            Effect::CancelTimer(_) => unreachable!("filtered out"),
            Effect::RememberedChanged(list) => format!("remembered {}", list.len()),
        })
        .collect()
}

fn ledger_line(event: &LedgerEvent) -> String {
    match event {
        LedgerEvent::Raised { .. } => "Raised".to_owned(),
        LedgerEvent::Resolved { resolution, .. } => format!("Resolved({resolution:?})"),
        LedgerEvent::Delivered { .. } => "Delivered".to_owned(),
        LedgerEvent::Completed { outcome, .. } => match outcome {
            ResultOutcome::Context(_) => "Completed(Context)".to_owned(),
            ResultOutcome::Channel(_) => "Completed(Channel)".to_owned(),
            ResultOutcome::Void => "Completed(Void)".to_owned(),
            ResultOutcome::Error(e) => format!("Completed(Error {e})"),
        },
    }
}

/// The messages sent to `conn`, in order.
pub fn sent(effects: &[Effect], conn: ConnId) -> Vec<Value> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { conn: c, msg } if *c == conn => Some(msg.clone()),
            _ => None,
        })
        .collect()
}

/// The only message of type `kind` sent to `conn`.
pub fn one(effects: &[Effect], conn: ConnId, kind: &str) -> Value {
    let found: Vec<Value> = sent(effects, conn)
        .into_iter()
        .filter(|m| m["type"] == kind)
        .collect();
    assert!(
        found.len() == 1,
        "expected one {kind} to conn {}, found {}:\n{}",
        conn.0,
        found.len(),
        dump(effects)
    );
    found.into_iter().next().unwrap_or_default()
}

pub fn records(effects: &[Effect]) -> Vec<&LedgerEvent> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Record(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// The raise key all the records of these effects share.
pub fn raise_key(effects: &[Effect]) -> String {
    let keys: Vec<&str> = records(effects)
        .into_iter()
        .map(|r| match r {
            LedgerEvent::Raised { key, .. }
            | LedgerEvent::Resolved { key, .. }
            | LedgerEvent::Delivered { key, .. }
            | LedgerEvent::Completed { key, .. } => key.as_str(),
        })
        .collect();
    assert!(!keys.is_empty(), "no records:\n{}", dump(effects));
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "records of several raises:\n{}",
        dump(effects)
    );
    keys[0].to_owned()
}

/// The timers these effects cancel.
pub fn cancelled(effects: &[Effect]) -> Vec<Timer> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::CancelTimer(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

pub fn timers(effects: &[Effect]) -> Vec<(Millis, Timer)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::SetTimer { at_ms, timer } => Some((*at_ms, timer.clone())),
            _ => None,
        })
        .collect()
}

/// The last resolver view these effects show (`None`: hidden); panics if they do not change it.
pub fn resolver_change(effects: &[Effect]) -> Option<ResolverView> {
    let changes: Vec<&Option<ResolverView>> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::ResolverChanged(v) => Some(v),
            _ => None,
        })
        .collect();
    match changes.last() {
        Some(v) => (*v).clone(),
        None => panic!("the resolver did not change:\n{}", dump(effects)),
    }
}

/// An expected message: who gets it, its type, and values at JSON pointers.
pub struct Expect {
    conn: ConnId,
    kind: String,
    at: Vec<(String, Value)>,
}

pub fn msg(conn: ConnId, kind: &str) -> Expect {
    Expect {
        conn,
        kind: kind.to_owned(),
        at: Vec::new(),
    }
}

impl Expect {
    /// The value at `pointer` (RFC 6901, e.g. `/payload/error`) must equal `value`.
    pub fn at(mut self, pointer: &str, value: impl Into<Value>) -> Expect {
        self.at.push((pointer.to_owned(), value.into()));
        self
    }

    /// A response to request `request_uuid`.
    pub fn answers(self, request_uuid: &str) -> Expect {
        self.at("/meta/requestUuid", request_uuid)
    }

    /// An error response with this exact wire string.
    pub fn error(self, wire: &str) -> Expect {
        self.at("/payload/error", wire)
    }

    fn problems(&self, conn: ConnId, m: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        if conn != self.conn || m["type"] != self.kind.as_str() {
            problems.push(format!(
                "expected {} to conn {}, got {} to conn {}",
                self.kind, self.conn.0, m["type"], conn.0
            ));
            return problems;
        }
        for (pointer, want) in &self.at {
            match m.pointer(pointer) {
                Some(got) if got == want => {}
                Some(got) => problems.push(format!(
                    "{} {pointer}: expected {want}, got {got}",
                    self.kind
                )),
                None => problems.push(format!("{} {pointer}: expected {want}, missing", self.kind)),
            }
        }
        problems
    }
}

/// The messages in `effects` must be exactly `expected`, in order (other effects are ignored
/// here; compare them with `outline`).
#[track_caller]
pub fn check(effects: &[Effect], expected: &[Expect]) {
    let sends: Vec<(ConnId, &Value)> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { conn, msg } => Some((*conn, msg)),
            _ => None,
        })
        .collect();
    let mut problems = Vec::new();
    if sends.len() != expected.len() {
        problems.push(format!(
            "expected {} messages, got {}",
            expected.len(),
            sends.len()
        ));
    }
    for (n, (exp, (conn, m))) in expected.iter().zip(&sends).enumerate() {
        problems.extend(
            exp.problems(*conn, m)
                .into_iter()
                .map(|p| format!("message {n}: {p}")),
        );
    }
    assert!(
        problems.is_empty(),
        "{}\neffects:\n{}",
        problems.join("\n"),
        dump(effects)
    );
}

// Contexts used across the scenarios (each valid against its FDC3 2.2 schema).

pub fn interaction() -> Value {
    json!({
        "type": "fdc3.interaction",
        "participants": {"type": "fdc3.contactList", "contacts": [contact()]},
        "interactionType": "Call",
        "timeRange": {"type": "fdc3.timeRange", "startTime": "2025-05-01T08:30:00Z"},
        "description": "Quarterly review call"
    })
}

pub fn contact() -> Value {
    json!({"type": "fdc3.contact", "name": "Jane Doe", "id": {"email": "jane.doe@mail.com"}})
}

pub fn instrument(ticker: &str) -> Value {
    json!({"type": "fdc3.instrument", "id": {"ticker": ticker}})
}

pub fn transaction_result() -> Value {
    json!({
        "type": "fdc3.transactionResult",
        "status": "Created",
        "context": {"type": "fdc3.contact", "name": "Jane Doe", "id": {"email": "jane.doe@mail.com"}},
        "message": "interaction created"
    })
}

#[test]
fn harness_check_reports_mismatches() {
    let mut s = Scenario::new();
    let (conn, _) = s.connect(CHAT_URL);
    let req = s.request(conn, "fooRequest", json!({}));
    let fx = s.take();
    check(
        &fx,
        &[msg(conn, "fooResponse")
            .answers(&req)
            .error("MalformedMessage")],
    );
    let wrong =
        std::panic::catch_unwind(|| check(&fx, &[msg(conn, "fooResponse").error("NoAppsFound")]));
    assert!(wrong.is_err(), "check must fail on a wrong value");
    let missing = std::panic::catch_unwind(|| check(&fx, &[]));
    assert!(missing.is_err(), "check must fail on an unexpected message");
}

/// The built-in log's icons, as its directory record has them.
pub fn builtin_log_icons() -> Value {
    let appd: Value = serde_json::from_str(crate::builtin::BUILTIN_APPD).expect("built-in AppD");
    appd["applications"][0]["icons"].clone()
}
