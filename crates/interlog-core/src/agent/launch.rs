//! Starting apps for `open` and for raises aimed at an app with no suitable running instance.
//!
//! The agent gives each launch an identity up front (instanceId and the secret instanceUuid)
//! and the launcher hands it to what it starts: a native process (which quotes both in its
//! `WCP4ValidateAppIdentity`: it has no URL to be matched by) or an Interlog window for a web
//! app (whose connection the window, never the page, identifies with the same secret). Then
//! the launch completes: `open` is answered (and its context waits for the app's first
//! matching context listener), or the raise is delivered once the app listens for the intent.

use serde::Serialize;
use serde_json::{json, Value};

use super::ledger::Resolution;
use super::state::Transport;
use super::{ConnId, Effect, Parts, Step, Timer};
use crate::config::AgentConfig;
use crate::directory::AppRecord;
use crate::errors::Fdc3Error;
use crate::message::app_identifier;

/// What the runtime must start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchRequest {
    pub launch_id: String,
    pub app_id: String,
    pub target: LaunchTarget,
    /// The identity the new instance's connection must quote in WCP4.
    pub instance_id: String,
    pub instance_uuid: String,
}

/// How an app is started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum LaunchTarget {
    /// A process: the directory's `details.path` and `details.arguments`.
    Native {
        path: String,
        arguments: Vec<String>,
    },
    /// A new Interlog window at the directory's `details.url`, titled with the app's title.
    Web { url: String, title: String },
}

impl LaunchTarget {
    /// The transport the launched instance must connect over to take its identity.
    pub fn transport(&self) -> Transport {
        match self {
            LaunchTarget::Native { .. } => Transport::Socket,
            LaunchTarget::Web { .. } => Transport::Window,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Purpose {
    Open {
        conn: ConnId,
        request_uuid: String,
        response_kind: String,
        context: Option<Value>,
        opener: Value,
    },
    Raise {
        key: String,
        intent: String,
        resolution: Resolution,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct PendingLaunch {
    pub launch_id: String,
    pub app_id: String,
    pub instance_id: String,
    pub instance_uuid: String,
    pub transport: Transport,
    pub purpose: Purpose,
}

/// An `open` with a context, waiting for the new instance's first matching context listener:
/// only then is `open` answered (and the context delivered); no such listener before the launch
/// deadline is `AppTimeout`.
#[derive(Debug, Clone)]
pub(crate) struct OpenContext {
    pub launch_id: String,
    pub app_id: String,
    pub context: Value,
    pub opener: Value,
    pub conn: ConnId,
    pub request_uuid: String,
    pub response_kind: String,
}

#[derive(Debug, Default)]
pub struct Launches {
    pending: Vec<PendingLaunch>,
    /// By the new instance's id.
    open_contexts: std::collections::HashMap<String, OpenContext>,
    /// Window connections whose page has finished loading.
    loaded: std::collections::HashSet<ConnId>,
    /// Launched instances in windows whose page is not yet set up (by connection).
    awaiting_page: std::collections::HashMap<ConnId, AwaitingPage>,
}

/// A launched web app's page on its way to being set up: loading, then (if it has added no
/// listener by then) settling until its first listener or the settle time.
#[derive(Debug, Clone)]
struct AwaitingPage {
    instance_id: String,
    stage: PageStage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageStage {
    Loading,
    Settling,
}

impl Launches {
    /// The pending launch this WCP4 secret belongs to, if any.
    pub(crate) fn by_secret(&self, instance_uuid: &str) -> Option<&PendingLaunch> {
        self.pending
            .iter()
            .find(|l| l.instance_uuid == instance_uuid)
    }

    pub(crate) fn page_loaded(&self, conn: ConnId) -> bool {
        self.loaded.contains(&conn)
    }

    pub(crate) fn await_page(&mut self, conn: ConnId, instance_id: &str) {
        let waiting = AwaitingPage {
            instance_id: instance_id.to_owned(),
            stage: PageStage::Loading,
        };
        self.awaiting_page.insert(conn, waiting);
    }

    /// The instance of a settling page on `conn` (loaded, waiting for its first listener).
    fn take_settling(&mut self, conn: ConnId) -> Option<String> {
        match self.awaiting_page.get(&conn) {
            Some(w) if w.stage == PageStage::Settling => {
                self.awaiting_page.remove(&conn).map(|w| w.instance_id)
            }
            _ => None,
        }
    }

    /// The connection is gone: nothing waits on its page any more.
    pub(crate) fn forget(&mut self, conn: ConnId) {
        self.loaded.remove(&conn);
        self.awaiting_page.remove(&conn);
    }

    fn take(&mut self, pred: impl Fn(&PendingLaunch) -> bool) -> Option<PendingLaunch> {
        let pos = self.pending.iter().position(pred)?;
        Some(self.pending.remove(pos))
    }
}

/// How Interlog would start this app, if it can: native apps when `launchNative` is on, web
/// apps when there are windows to host them (not `--headless`).
pub(crate) fn launch_target(app: &AppRecord, config: &AgentConfig) -> Option<LaunchTarget> {
    match app.app_type.as_str() {
        "native" if config.launch_native => app
            .native_command()
            .map(|(path, arguments)| LaunchTarget::Native { path, arguments }),
        "web" if config.launch_web => app.url().map(|url| LaunchTarget::Web {
            url: url.to_owned(),
            title: app.title.clone(),
        }),
        _ => None,
    }
}

impl Parts<'_> {
    /// Asks the runtime to start `app`; `Err(ErrorOnLaunch)` if Interlog cannot start it.
    pub(crate) fn launch(
        &mut self,
        app_id: &str,
        purpose: Purpose,
        step: &mut Step,
    ) -> Result<(), Fdc3Error> {
        let Some(target) = self
            .directory
            .get(app_id)
            .and_then(|a| launch_target(a, self.config))
        else {
            return Err(Fdc3Error::ErrorOnLaunch);
        };
        let launch = PendingLaunch {
            launch_id: step.ids.uuid(),
            app_id: app_id.to_owned(),
            instance_id: step.ids.uuid(),
            instance_uuid: step.ids.secret(),
            transport: target.transport(),
            purpose,
        };
        tracing::info!(app = app_id, launch = %launch.launch_id, "launching");
        step.effects.push(Effect::Launch(LaunchRequest {
            launch_id: launch.launch_id.clone(),
            app_id: app_id.to_owned(),
            target,
            instance_id: launch.instance_id.clone(),
            instance_uuid: launch.instance_uuid.clone(),
        }));
        step.timer(
            step.now + self.config.launch_timeout_ms,
            Timer::LaunchDeadline {
                launch_id: launch.launch_id.clone(),
            },
        );
        self.launches.pending.push(launch);
        Ok(())
    }

    /// The page of a window connection finished loading. A launch waiting for it completes if
    /// the page has added a listener; otherwise once it adds its first one (the scripts of most
    /// apps set up asynchronously, through the agent, after the load), or after the settle time.
    pub(crate) fn on_page_loaded(&mut self, conn: ConnId, step: &mut Step) {
        self.launches.loaded.insert(conn);
        let Some(waiting) = self.launches.awaiting_page.get_mut(&conn) else {
            return;
        };
        let listening = self
            .state
            .get(&waiting.instance_id)
            .is_some_and(|i| !i.context_listeners.is_empty() || !i.intent_listeners.is_empty());
        if listening {
            let instance_id = waiting.instance_id.clone();
            self.launches.awaiting_page.remove(&conn);
            self.complete_launch(&instance_id, step);
        } else {
            waiting.stage = PageStage::Settling;
            step.timer(
                step.now + self.config.page_settle_ms,
                Timer::PageSettled { conn },
            );
        }
    }

    /// A loaded page added a listener: its launch, if still settling, completes.
    pub(crate) fn on_listener_added(&mut self, conn: ConnId, step: &mut Step) {
        if let Some(instance_id) = self.launches.take_settling(conn) {
            self.complete_launch(&instance_id, step);
        }
    }

    /// A loaded page added no listener within the settle time: its launch completes anyway.
    pub(crate) fn on_page_settled(&mut self, conn: ConnId, step: &mut Step) {
        self.on_listener_added(conn, step);
    }

    /// A launched instance connected: answer its `open`, or go on delivering its raise.
    pub(crate) fn complete_launch(&mut self, instance_id: &str, step: &mut Step) {
        let Some(launch) = self.launches.take(|l| l.instance_id == instance_id) else {
            return;
        };
        match launch.purpose {
            Purpose::Open {
                conn,
                request_uuid,
                response_kind,
                context: Some(context),
                opener,
            } => {
                // Answered when the app listens for the context (or AppTimeout at the deadline).
                let waiting = OpenContext {
                    launch_id: launch.launch_id,
                    app_id: launch.app_id,
                    context,
                    opener,
                    conn,
                    request_uuid,
                    response_kind,
                };
                self.launches
                    .open_contexts
                    .insert(instance_id.to_owned(), waiting);
            }
            Purpose::Open {
                conn,
                request_uuid,
                response_kind,
                context: None,
                ..
            } => step.respond(
                conn,
                &response_kind,
                &request_uuid,
                json!({ "appIdentifier": app_identifier(&launch.app_id, instance_id) }),
            ),
            Purpose::Raise {
                key,
                intent,
                resolution,
            } => self.deliver_to_instance(
                &key,
                &intent,
                &launch.app_id,
                instance_id,
                resolution,
                step,
            ),
        }
    }

    /// The new instance added a context listener: hand it the context it was opened with.
    pub(crate) fn deliver_open_context(
        &mut self,
        instance_id: &str,
        listener_type: Option<&str>,
        step: &mut Step,
    ) {
        let matches = self
            .launches
            .open_contexts
            .get(instance_id)
            .is_some_and(|o| {
                listener_type
                    .is_none_or(|t| o.context.get("type").and_then(Value::as_str) == Some(t))
            });
        if !matches {
            return;
        }
        let (Some(open), Some(conn)) = (
            self.launches.open_contexts.remove(instance_id),
            self.state.get(instance_id).map(|i| i.conn),
        ) else {
            return;
        };
        step.respond(
            open.conn,
            &open.response_kind,
            &open.request_uuid,
            json!({ "appIdentifier": app_identifier(&open.app_id, instance_id) }),
        );
        step.event(
            conn,
            "broadcastEvent",
            json!({ "channelId": null, "context": open.context, "originatingApp": open.opener }),
        );
    }

    pub(crate) fn on_launch_deadline(&mut self, launch_id: &str, step: &mut Step) {
        if let Some(launch) = self.launches.take(|l| l.launch_id == launch_id) {
            tracing::warn!(app = %launch.app_id, "launched app did not connect in time");
            self.launch_ended(launch, Fdc3Error::AppTimeout, step);
            return;
        }
        let waiting = self
            .launches
            .open_contexts
            .iter()
            .find(|(_, o)| o.launch_id == launch_id)
            .map(|(instance, _)| instance.clone());
        if let Some(open) = waiting.and_then(|i| self.launches.open_contexts.remove(&i)) {
            tracing::warn!(app = %open.app_id, "opened app never listened for its context");
            step.respond_error(
                open.conn,
                &open.response_kind,
                &open.request_uuid,
                Fdc3Error::AppTimeout,
            );
        }
    }

    pub(crate) fn on_launch_failed(&mut self, launch_id: &str, reason: &str, step: &mut Step) {
        if let Some(launch) = self.launches.take(|l| l.launch_id == launch_id) {
            tracing::warn!(app = %launch.app_id, reason, "launch failed");
            self.launch_ended(launch, Fdc3Error::ErrorOnLaunch, step);
        }
    }

    /// A launch that will not complete: `open` gets `error`; a raise `IntentDeliveryFailed`.
    fn launch_ended(&mut self, launch: PendingLaunch, error: Fdc3Error, step: &mut Step) {
        match launch.purpose {
            Purpose::Open {
                conn,
                request_uuid,
                response_kind,
                ..
            } => step.respond_error(conn, &response_kind, &request_uuid, error),
            Purpose::Raise { key, .. } => self.fail_launch_raise(&key, step),
        }
    }
}
