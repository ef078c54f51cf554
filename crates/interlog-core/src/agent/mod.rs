//! The desktop agent as a state machine: inputs in, effects out.
//!
//! `Agent::handle` takes one input (a message from a connection, a connection closing, the
//! user's choice in the resolver, a timer) and the current time, updates the agent's state and
//! returns the effects to carry out in order (send this message to that connection, record this
//! in the ledger, show the resolver, wake me at T). It does no I/O and reads no clock, so every
//! scenario is a deterministic unit test; the runtime in `interlog-server` carries effects out.

mod budget;
mod channels;
mod identity;
mod intents;
mod launch;
mod ledger;
mod remembered;
mod resolver;
mod state;

use serde_json::Value;

pub use budget::{OverBudget, RaiseBudget};
pub use launch::LaunchRequest;
pub use launch::LaunchTarget;
pub use ledger::{LedgerEvent, Resolution, ResultOutcome};
pub use remembered::{RememberedChoice, RememberedChoices};
pub use resolver::{RaiserRef, ResolverApp, ResolverChoice, ResolverOption, ResolverView};
pub use state::{Instance, InstanceSummary, Transport};

use crate::config::AgentConfig;
use crate::directory::Directory;
use crate::errors::Fdc3Error;
use crate::ids::IdSource;
use crate::message::{is_wrong_string, response_type_for, Inbound, Millis, Outbox};

/// A connection as the runtime numbers it (a WebSocket, or an in-process app).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Something the agent asked to be woken for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Send heartbeats and check who stopped answering.
    Heartbeat,
    /// The resolver dialog `id` ran out of time.
    ResolverDeadline { id: String },
    /// The handler of raise `key` did not add its listener in time.
    ListenerDeadline { key: String },
    /// The handler of raise `key` did not return a result in time.
    ResultDeadline { key: String },
    /// A launched app did not connect in time.
    LaunchDeadline { launch_id: String },
    /// A launched web app's page loaded and added no listener since: its launch completes.
    PageSettled { conn: ConnId },
}

#[derive(Debug, Clone)]
pub enum Input {
    /// The runtime opened a connection. Unannounced connections count as `Transport::Socket`.
    Connected {
        conn: ConnId,
        transport: Transport,
    },
    /// A message (already parsed as JSON) arrived on a connection.
    Message {
        conn: ConnId,
        msg: Value,
    },
    /// The connection closed (or failed); its instance ends.
    Closed {
        conn: ConnId,
    },
    /// The ledger's disk is (or no longer is) below its free-space watermark: while it is, raises
    /// are refused (and recorded as such, briefly) instead of taking what room is left.
    DiskLow {
        low: bool,
    },
    /// The page of a window connection finished loading (its launch, if any, completes).
    PageLoaded {
        conn: ConnId,
    },
    /// The user answered the resolver dialog.
    Resolver {
        id: String,
        choice: ResolverChoice,
    },
    Timer(Timer),
    /// The runtime could not start a launched app.
    LaunchFailed {
        launch_id: String,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send {
        conn: ConnId,
        msg: Value,
    },
    /// Close a connection with a WebSocket close code.
    Close {
        conn: ConnId,
        code: u16,
        reason: String,
    },
    /// Write to the ledger. Effects after it in the same batch wait until it is durable.
    Record(LedgerEvent),
    /// The resolver dialog should now show this request (or nothing).
    ResolverChanged(Option<ResolverView>),
    /// Start an app (answer with `Input::LaunchFailed` if that fails).
    Launch(LaunchRequest),
    /// Wake the agent with `Input::Timer(timer)` at `at_ms`.
    SetTimer {
        at_ms: Millis,
        timer: Timer,
    },
    /// Forget `Timer` (every time it was set): what it guarded is over.
    CancelTimer(Timer),
    /// The user asked to remember a resolver choice: the remembered choices are now these (for
    /// the runtime to keep across a restart).
    RememberedChanged(Vec<RememberedChoice>),
}

/// Optional request fields the schemas type as string (or null). Read leniently elsewhere, so a
/// value of another type (a `contextType: 5` would read as "any type") is refused here as
/// `MalformedMessage`.
fn optional_string_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "addContextListenerRequest" => &["channelId", "contextType"],
        "getCurrentContextRequest" => &["contextType"],
        "findIntentRequest" | "findIntentsByContextRequest" => &["resultType"],
        "addEventListenerRequest" => &["type"],
        "privateChannelAddEventListenerRequest" => &["listenerType"],
        _ => &[],
    }
}

/// The whole agent state. Only the runtime's agent task owns it.
pub struct Agent {
    config: AgentConfig,
    directory: Directory,
    ids: Box<dyn IdSource>,
    state: state::State,
    intents: intents::Raises,
    resolver: resolver::ResolverQueue,
    channels: channels::Channels,
    launches: launch::Launches,
    directory_revision: u64,
    remembered: RememberedChoices,
}

/// What one call to `handle` produces, plus the helpers to build it.
pub(crate) struct Step<'a> {
    pub now: Millis,
    pub ids: &'a mut dyn IdSource,
    pub effects: Vec<Effect>,
}

impl Step<'_> {
    pub fn outbox(&mut self) -> Outbox<'_> {
        Outbox {
            ids: &mut *self.ids,
            now: self.now,
        }
    }
    pub fn send(&mut self, conn: ConnId, msg: Value) {
        self.effects.push(Effect::Send { conn, msg });
    }
    pub fn respond(&mut self, conn: ConnId, kind: &str, request_uuid: &str, payload: Value) {
        let msg = self.outbox().response(kind, request_uuid, payload);
        self.send(conn, msg);
    }
    pub fn respond_error(&mut self, conn: ConnId, kind: &str, request_uuid: &str, e: Fdc3Error) {
        let msg = self.outbox().error_response(kind, request_uuid, e);
        self.send(conn, msg);
    }
    pub fn event(&mut self, conn: ConnId, kind: &str, payload: Value) -> String {
        let (msg, uuid) = self.outbox().event(kind, payload);
        self.send(conn, msg);
        uuid
    }
    pub fn record(&mut self, event: LedgerEvent) {
        self.effects.push(Effect::Record(event));
    }
    pub fn timer(&mut self, at_ms: Millis, timer: Timer) {
        self.effects.push(Effect::SetTimer { at_ms, timer });
    }
}

/// A request from an identified instance, with what is needed to answer it.
pub(crate) struct Request<'m> {
    pub conn: ConnId,
    pub instance_id: String,
    pub kind: &'m str,
    pub response_kind: String,
    pub request_uuid: &'m str,
    pub payload: &'m Value,
}

impl Request<'_> {
    /// Answers this request with its `…Response` and this payload.
    pub fn reply(&self, step: &mut Step, payload: Value) {
        step.respond(self.conn, &self.response_kind, self.request_uuid, payload);
    }

    /// Answers this request with an FDC3 error.
    pub fn fail(&self, step: &mut Step, error: Fdc3Error) {
        step.respond_error(self.conn, &self.response_kind, self.request_uuid, error);
    }
}

impl Agent {
    pub fn new(config: AgentConfig, directory: Directory, ids: Box<dyn IdSource>) -> Agent {
        let remembered = RememberedChoices::new(config.remembered.clone());
        crate::context_schema::warm_up();
        let channels = channels::Channels::new();
        Agent {
            config,
            directory,
            ids,
            state: state::State::default(),
            intents: intents::Raises::default(),
            resolver: resolver::ResolverQueue::default(),
            channels,
            launches: launch::Launches::default(),
            directory_revision: 0,
            remembered,
        }
    }

    pub fn config(&self) -> &AgentConfig {
        &self.config
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Takes a new directory (the user changed its sources). Running instances keep running;
    /// what is found, offered and launched from now on comes from the new one.
    pub fn set_directory(&mut self, directory: Directory) {
        self.directory = directory;
        self.directory_revision += 1;
    }

    /// The remembered resolver choices.
    pub fn remembered(&self) -> &[RememberedChoice] {
        self.remembered.list()
    }

    /// Replaces the remembered choices (the user removed some).
    pub fn set_remembered(&mut self, list: Vec<RememberedChoice>) {
        self.remembered = RememberedChoices::new(list);
    }

    /// Moves whenever an instance starts, ends or changes, or the directory is replaced.
    pub fn revision(&self) -> u64 {
        self.state.revision() + self.directory_revision
    }

    /// A channel's display metadata (`name`, `color`, `glyph`), as FDC3 defines it.
    pub fn channel_display(&self, channel_id: &str) -> Option<&Value> {
        self.channels.get(channel_id)?.display.as_ref()
    }

    /// The effects to carry out when the runtime starts (the first heartbeat timer).
    pub fn start(&mut self, now: Millis) -> Vec<Effect> {
        vec![Effect::SetTimer {
            at_ms: now + self.config.heartbeat_interval_ms,
            timer: Timer::Heartbeat,
        }]
    }

    /// Running instances, for the UI and diagnostics.
    pub fn instances(&self) -> Vec<InstanceSummary> {
        self.state.summaries()
    }

    /// Has the connection completed the identity handshake?
    pub fn is_identified(&self, conn: ConnId) -> bool {
        self.state.instance_on(conn).is_some()
    }

    /// The resolver request currently shown, if any.
    pub fn resolver_view(&self) -> Option<ResolverView> {
        self.resolver.current_view()
    }

    pub fn handle(&mut self, input: Input, now: Millis) -> Vec<Effect> {
        let mut step = Step {
            now,
            ids: &mut *self.ids,
            effects: Vec::new(),
        };
        let parts = Parts {
            config: &self.config,
            directory: &self.directory,
            state: &mut self.state,
            intents: &mut self.intents,
            resolver: &mut self.resolver,
            channels: &mut self.channels,
            launches: &mut self.launches,
            remembered: &mut self.remembered,
        };
        parts.dispatch(input, &mut step);
        let mut effects = step.effects;
        // An answer owed to an app that has left (a raise that fails because its raiser closed,
        // a result for one gone) goes nowhere: only handshake replies go to connections without
        // an instance.
        effects.retain(|e| match e {
            Effect::Send { conn, msg } => {
                self.state.has_instance_on(*conn)
                    || msg["type"].as_str().is_some_and(|t| t.starts_with("WCP"))
            }
            _ => true,
        });
        effects
    }
}

/// The agent's state split into disjoint borrows so handlers can use several parts at once.
pub(crate) struct Parts<'a> {
    pub config: &'a AgentConfig,
    pub directory: &'a Directory,
    pub state: &'a mut state::State,
    pub intents: &'a mut intents::Raises,
    pub resolver: &'a mut resolver::ResolverQueue,
    pub channels: &'a mut channels::Channels,
    pub launches: &'a mut launch::Launches,
    pub remembered: &'a mut RememberedChoices,
}

impl Parts<'_> {
    fn dispatch(mut self, input: Input, step: &mut Step) {
        match input {
            Input::Message { conn, msg } => self.on_message(conn, msg, step),
            Input::Connected { conn, transport } => self.state.connected(conn, transport),
            Input::Closed { conn } => {
                if let Some(instance_id) = self.state.instance_on(conn) {
                    self.end_instance(&instance_id, step);
                }
                self.state.disconnected(conn);
                self.launches.forget(conn);
            }
            Input::PageLoaded { conn } => self.on_page_loaded(conn, step),
            Input::DiskLow { low } => self.intents.set_disk_low(low),
            Input::Resolver { id, choice } => self.on_resolver_choice(&id, choice, step),
            Input::Timer(Timer::Heartbeat) => self.on_heartbeat(step),
            Input::Timer(Timer::ResolverDeadline { id }) => self.on_resolver_deadline(&id, step),
            Input::Timer(Timer::ListenerDeadline { key }) => self.on_listener_deadline(&key, step),
            Input::Timer(Timer::ResultDeadline { key }) => self.on_result_deadline(&key, step),
            Input::Timer(Timer::PageSettled { conn }) => self.on_page_settled(conn, step),
            Input::Timer(Timer::LaunchDeadline { launch_id }) => {
                self.on_launch_deadline(&launch_id, step)
            }
            Input::LaunchFailed { launch_id, reason } => {
                self.on_launch_failed(&launch_id, &reason, step)
            }
        }
    }

    fn on_message(&mut self, conn: ConnId, msg: Value, step: &mut Step) {
        let inbound = match Inbound::parse(msg) {
            Ok(m) => m,
            Err(problem) => {
                tracing::warn!(conn = conn.0, %problem, "dropped a message");
                return;
            }
        };
        let Some(instance_id) = self.state.instance_on(conn) else {
            // Contract: anything before a successful WCP4/WCP5 is ignored.
            if inbound.kind == "WCP4ValidateAppIdentity" {
                self.on_validate_identity(conn, &inbound, step);
            } else {
                tracing::debug!(conn = conn.0, kind = %inbound.kind, "ignored before identity");
            }
            return;
        };
        match inbound.kind.as_str() {
            "WCP6Goodbye" => {
                self.end_instance(&instance_id, step);
                return;
            }
            "heartbeatAcknowledgementRequest" => {
                self.state.heard_from(&instance_id, step.now);
                return;
            }
            _ => {}
        }
        self.state.heard_from(&instance_id, step.now);
        let Some(response_kind) = response_type_for(&inbound.kind) else {
            tracing::warn!(conn = conn.0, kind = %inbound.kind, "dropped a message that is not a request");
            return;
        };
        let Some(request_uuid) = inbound.request_uuid().map(str::to_owned) else {
            tracing::warn!(conn = conn.0, kind = %inbound.kind, "dropped a request without meta.requestUuid");
            return;
        };
        let wrong_field = optional_string_fields(&inbound.kind)
            .iter()
            .any(|f| is_wrong_string(&inbound.payload, f));
        if !inbound.payload.is_object() || wrong_field {
            step.respond_error(
                conn,
                &response_kind,
                &request_uuid,
                Fdc3Error::MalformedMessage,
            );
            return;
        }
        let request = Request {
            conn,
            instance_id,
            kind: &inbound.kind,
            response_kind,
            request_uuid: &request_uuid,
            payload: &inbound.payload,
        };
        self.on_request(&request, step);
    }

    fn on_request(&mut self, r: &Request, step: &mut Step) {
        match r.kind {
            "getInfoRequest" => self.get_info(r, step),
            "getAppMetadataRequest" => self.get_app_metadata(r, step),
            "findInstancesRequest" => self.find_instances(r, step),
            "openRequest" => self.open(r, step),
            "addIntentListenerRequest" => self.add_intent_listener(r, step),
            "intentListenerUnsubscribeRequest" => self.intent_listener_unsubscribe(r, step),
            "findIntentRequest" => self.find_intent(r, step),
            "findIntentsByContextRequest" => self.find_intents_by_context(r, step),
            "raiseIntentRequest" => self.raise(r, false, step),
            "raiseIntentForContextRequest" => self.raise(r, true, step),
            "intentResultRequest" => self.intent_result(r, step),
            "getUserChannelsRequest" => self.get_user_channels(r, step),
            "getCurrentChannelRequest" => self.get_current_channel(r, step),
            "joinUserChannelRequest" => self.join_user_channel(r, step),
            "leaveCurrentChannelRequest" => self.leave_current_channel(r, step),
            "getOrCreateChannelRequest" => self.get_or_create_channel(r, step),
            "createPrivateChannelRequest" => self.create_private_channel(r, step),
            "addContextListenerRequest" => self.add_context_listener(r, step),
            "contextListenerUnsubscribeRequest" => self.context_listener_unsubscribe(r, step),
            "broadcastRequest" => self.broadcast(r, step),
            "getCurrentContextRequest" => self.get_current_context(r, step),
            "addEventListenerRequest" => self.add_event_listener(r, step),
            "eventListenerUnsubscribeRequest" => self.event_listener_unsubscribe(r, step),
            "privateChannelAddEventListenerRequest" => {
                self.private_channel_add_event_listener(r, step)
            }
            "privateChannelUnsubscribeEventListenerRequest" => {
                self.private_channel_unsubscribe_event_listener(r, step)
            }
            "privateChannelDisconnectRequest" => self.private_channel_disconnect(r, step),
            other => {
                tracing::warn!(kind = other, "unknown request type");
                r.fail(step, Fdc3Error::MalformedMessage);
            }
        }
    }

    /// An instance is gone (goodbye, closed socket, or heartbeats stopped): its listeners go,
    /// results it owed fail for their raisers, its private-channel peers are told.
    pub(crate) fn end_instance(&mut self, instance_id: &str, step: &mut Step) {
        let Some(instance) = self.state.remove(instance_id, step.now) else {
            return;
        };
        tracing::info!(app = %instance.app_id, instance = %instance.instance_id, "instance ended");
        self.channels.instance_ended(&instance, self.state, step);
        self.raises_after_instance_ended(&instance, step);
    }
}

#[cfg(test)]
mod tests;
