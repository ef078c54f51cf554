//! The agent task: the one owner of the agent state.
//!
//! Connections, the built-in apps and the UI hold an [`AgentHandle`] and send it commands; the
//! task feeds them to the core, and carries the effects out **in order**. A batch of effects
//! that records something in the ledger waits until those writes are durable before any of its
//! messages go out (so a raise is on disk before it is delivered or acknowledged), while the
//! task goes on reading input: many raises share one commit.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use interlog_core::agent::{LaunchRequest, LaunchTarget, ResolverChoice, ResolverView, Transport};
use interlog_core::message::Millis;
use interlog_core::{Agent, ConnId, Effect, Input};
use interlog_store::Ledger;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc, oneshot, OwnedSemaphorePermit};

use crate::ledger_map::to_write;
use crate::outbox::{outbox, OutboxReceiver, OutboxSender, QueueError};
use crate::timers::TimerQueue;

/// What the agent sends down a connection.
#[derive(Debug, Clone)]
pub enum Outgoing {
    Message(Arc<Value>),
    Close { code: u16, reason: String },
}

/// What the UI is told about.
#[derive(Debug, Clone)]
pub enum UiEvent {
    ResolverChanged(Option<ResolverView>),
    /// The ledger changed (a raise was recorded or progressed).
    HistoryChanged,
    /// Instances started, ended or changed channel, or the directory was replaced: read
    /// [`AgentHandle::apps`] again.
    AppsChanged,
    /// The remembered resolver choices changed (the user asked to remember one): keep them.
    RememberedChanged(Vec<interlog_core::agent::RememberedChoice>),
    /// An app asked to see the history of a contact (ViewInteractions, handled by the built-in
    /// `interlog.history`): show the history window searching for `search`.
    ShowHistory {
        search: String,
        title: String,
    },
}

/// The directory's apps and the running instances, as the launcher shows them.
#[derive(Debug, Clone, Default)]
pub struct AppsSnapshot {
    pub apps: Vec<interlog_core::directory::AppRecord>,
    pub instances: Vec<interlog_core::agent::InstanceSummary>,
    /// Display metadata of the user channels the instances are on, by channel id.
    pub channels: HashMap<String, Value>,
}

enum Command {
    Input(Input),
    /// A message from an app, holding one of its connection's places until what it caused
    /// has been carried out (its ledger writes durable): see [`AgentHandle::paced_message`].
    Paced(Input, OwnedSemaphorePermit),
    Register {
        conn: ConnId,
        transport: Transport,
        sender: OutboxSender,
    },
    SetWebHost(Arc<dyn WebHost>),
    IsIdentified {
        conn: ConnId,
        reply: oneshot::Sender<bool>,
    },
    ResolverView {
        reply: oneshot::Sender<Option<ResolverView>>,
    },
    Apps {
        reply: oneshot::Sender<AppsSnapshot>,
    },
    SetDirectory(interlog_core::Directory),
    Remembered {
        reply: oneshot::Sender<Vec<interlog_core::agent::RememberedChoice>>,
    },
    SetRemembered(Vec<interlog_core::agent::RememberedChoice>),
    /// Tests only: the agent task panics, as a bug in it would.
    #[cfg(feature = "fault-injection")]
    Panic,
}

/// The ledger's health and the disk's, as one message for the history window.
pub struct StorageHealth {
    ledger: tokio::sync::watch::Receiver<Option<String>>,
    disk: tokio::sync::watch::Receiver<Option<String>>,
}

impl StorageHealth {
    pub fn current(&self) -> Option<String> {
        self.ledger
            .borrow()
            .clone()
            .or_else(|| self.disk.borrow().clone())
    }

    /// Waits for either to change; false once neither can any more.
    pub async fn changed(&mut self) -> bool {
        tokio::select! {
            r = self.ledger.changed() => r.is_ok(),
            r = self.disk.changed() => r.is_ok(),
        }
    }
}

/// Whether the agent task is still running, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentStatus {
    Running,
    /// It ended as asked (the ledger closed at shutdown).
    Stopped,
    /// A bug: it panicked with this message. The process should end (cleanly) so that it is
    /// restarted, instead of accepting apps it can no longer serve.
    Panicked(String),
}

/// A cloneable handle to the agent task.
#[derive(Clone)]
pub struct AgentHandle {
    tx: mpsc::UnboundedSender<Command>,
    ui: broadcast::Sender<UiEvent>,
    ledger: Ledger,
    next_conn: Arc<AtomicU64>,
    status: tokio::sync::watch::Receiver<AgentStatus>,
    /// Why the disk keeps new raises out, while it does.
    disk: Arc<tokio::sync::watch::Sender<Option<String>>>,
}

pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

impl AgentHandle {
    /// Starts the agent task on the current tokio runtime. A connection with more than
    /// `max_queued_bytes` waiting to be read is closed.
    pub fn spawn(
        agent: Agent,
        ledger: Ledger,
        launcher: Launcher,
        max_queued_bytes: usize,
    ) -> AgentHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        let (ui, _) = broadcast::channel(64);
        let (status_tx, status) = tokio::sync::watch::channel(AgentStatus::Running);
        let handle = AgentHandle {
            tx,
            ui: ui.clone(),
            ledger: ledger.clone(),
            next_conn: Arc::new(AtomicU64::new(1)),
            status,
            disk: Arc::new(tokio::sync::watch::Sender::new(None)),
        };
        let task = AgentTask {
            agent,
            ledger,
            rx,
            ui,
            conns: HashMap::new(),
            timers: TimerQueue::default(),
            pipeline: VecDeque::new(),
            launcher,
            max_queued_bytes,
            fell_behind: Vec::new(),
            apps_revision: 0,
        };
        tokio::spawn(async move {
            use futures_util::FutureExt;
            let ended = std::panic::AssertUnwindSafe(task.run())
                .catch_unwind()
                .await;
            let status = match ended {
                Ok(()) => AgentStatus::Stopped,
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "(no message)".to_owned());
                    tracing::error!(%message, "the agent task panicked");
                    AgentStatus::Panicked(message)
                }
            };
            let _ = status_tx.send(status);
        });
        handle
    }

    /// The ledger's disk went below its watermark (`Some`: why, for the user) or back above it.
    pub fn set_disk_low(&self, why: Option<String>) {
        let low = why.is_some();
        self.disk.send_replace(why);
        let _ = self.tx.send(Command::Input(Input::DiskLow { low }));
    }

    /// What keeps the ledger from taking interactions now, if anything: the ledger's own trouble
    /// (writes held) first, else a low disk. `changed()` on it wakes on either.
    pub fn storage_health(&self) -> StorageHealth {
        StorageHealth {
            ledger: self.ledger.health(),
            disk: self.disk.subscribe(),
        }
    }

    /// Completes when the agent task has ended: how it ended.
    pub async fn ended(&self) -> AgentStatus {
        let mut status = self.status.clone();
        let ended = status
            .wait_for(|s| *s != AgentStatus::Running)
            .await
            .map(|s| s.clone());
        ended.unwrap_or(AgentStatus::Stopped)
    }

    /// Tests only: makes the agent task panic.
    #[cfg(feature = "fault-injection")]
    pub fn inject_panic(&self) {
        let _ = self.tx.send(Command::Panic);
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// A new connection number, and the receiver of what the agent sends to it. The transport
    /// decides which identities the connection may take.
    pub fn register(&self, transport: Transport) -> (ConnId, OutboxReceiver) {
        let conn = ConnId(self.next_conn.fetch_add(1, Ordering::Relaxed));
        let (sender, rx) = outbox();
        let _ = self.tx.send(Command::Register {
            conn,
            transport,
            sender,
        });
        (conn, rx)
    }

    /// From now on web apps are opened by `host` (the desktop app's windows).
    pub fn set_web_host(&self, host: Arc<dyn WebHost>) {
        let _ = self.tx.send(Command::SetWebHost(host));
    }

    /// A launch the agent asked for could not be carried out.
    pub fn launch_failed(&self, launch_id: String, reason: String) {
        let _ = self
            .tx
            .send(Command::Input(Input::LaunchFailed { launch_id, reason }));
    }

    pub fn message(&self, conn: ConnId, msg: Value) {
        let _ = self.tx.send(Command::Input(Input::Message { conn, msg }));
    }

    /// A message from a connection that may send faster than the agent (or the disk) keeps up:
    /// `place` is one of the connection's places in the queue, given back once the message has
    /// been handled and its ledger writes are durable. A connection out of places waits (and
    /// stops reading its socket): back-pressure instead of an ever longer queue.
    pub fn paced_message(&self, conn: ConnId, msg: Value, place: OwnedSemaphorePermit) {
        let _ = self
            .tx
            .send(Command::Paced(Input::Message { conn, msg }, place));
    }

    /// The page of window connection `conn` finished loading.
    pub fn page_loaded(&self, conn: ConnId) {
        let _ = self.tx.send(Command::Input(Input::PageLoaded { conn }));
    }

    pub fn closed(&self, conn: ConnId) {
        let _ = self.tx.send(Command::Input(Input::Closed { conn }));
    }

    pub fn resolver_choice(&self, id: String, choice: ResolverChoice) {
        let _ = self.tx.send(Command::Input(Input::Resolver { id, choice }));
    }

    pub async fn is_identified(&self, conn: ConnId) -> bool {
        let (reply, rx) = oneshot::channel();
        let _ = self.tx.send(Command::IsIdentified { conn, reply });
        rx.await.unwrap_or(false)
    }

    pub async fn resolver_view(&self) -> Option<ResolverView> {
        let (reply, rx) = oneshot::channel();
        let _ = self.tx.send(Command::ResolverView { reply });
        rx.await.ok().flatten()
    }

    /// The directory's apps and what is running, for the launcher.
    pub async fn apps(&self) -> AppsSnapshot {
        let (reply, rx) = oneshot::channel();
        let _ = self.tx.send(Command::Apps { reply });
        rx.await.unwrap_or_default()
    }

    /// Replaces the app directory (its sources changed); running instances keep running.
    pub fn set_directory(&self, directory: interlog_core::Directory) {
        let _ = self.tx.send(Command::SetDirectory(directory));
    }

    /// The resolver choices the user asked to remember.
    pub async fn remembered(&self) -> Vec<interlog_core::agent::RememberedChoice> {
        let (reply, rx) = oneshot::channel();
        let _ = self.tx.send(Command::Remembered { reply });
        rx.await.unwrap_or_default()
    }

    /// Replaces the remembered choices (the user removed one).
    pub fn set_remembered(&self, list: Vec<interlog_core::agent::RememberedChoice>) {
        let _ = self.tx.send(Command::SetRemembered(list));
    }

    /// Tells the UI (the built-in apps use it, e.g. ViewInteractions showing the history).
    pub fn notify_ui(&self, event: UiEvent) {
        let _ = self.ui.send(event);
    }

    pub fn subscribe_ui(&self) -> broadcast::Receiver<UiEvent> {
        self.ui.subscribe()
    }

    /// True once the agent task has stopped.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// Effects waiting for the ledger writes they follow to be durable.
struct Batch {
    /// Highest ledger sequence number this batch waits for (0: none).
    gate: u64,
    effects: Vec<Effect>,
    recorded: bool,
    /// Places of the messages that caused it, given back when it is carried out.
    places: Vec<OwnedSemaphorePermit>,
}

struct AgentTask {
    agent: Agent,
    ledger: Ledger,
    rx: mpsc::UnboundedReceiver<Command>,
    ui: broadcast::Sender<UiEvent>,
    conns: HashMap<ConnId, OutboxSender>,
    timers: TimerQueue,
    pipeline: VecDeque<Batch>,
    launcher: Launcher,
    max_queued_bytes: usize,
    /// Connections dropped for falling behind, whose departure the agent has yet to hear of.
    fell_behind: Vec<ConnId>,
    /// The agent's revision the UI was last told of ([`UiEvent::AppsChanged`]).
    apps_revision: u64,
}

/// Opens web apps in windows: the desktop app's side of [`LaunchTarget::Web`]. A window that
/// cannot be opened is reported with [`AgentHandle::launch_failed`].
pub trait WebHost: Send + Sync + 'static {
    fn open(&self, launch: LaunchRequest);
}

/// Starts apps: native programs from the directory, with the identity they must quote and
/// where to find the agent in their environment; web apps through the [`WebHost`], if any.
#[derive(Clone, Default)]
pub struct Launcher {
    /// `INTERLOG_RUNTIME_DIR` for the launched app, so it finds this agent's `agent.json`.
    pub runtime_dir: std::path::PathBuf,
    pub web: Option<Arc<dyn WebHost>>,
}

impl Launcher {
    fn start(&self, request: &LaunchRequest) -> std::io::Result<()> {
        match &request.target {
            LaunchTarget::Native { path, arguments } => self.spawn(request, path, arguments),
            LaunchTarget::Web { .. } => match &self.web {
                Some(host) => {
                    host.open(request.clone());
                    Ok(())
                }
                None => Err(std::io::Error::other("no window to open a web app in")),
            },
        }
    }

    fn spawn(
        &self,
        request: &LaunchRequest,
        path: &str,
        arguments: &[String],
    ) -> std::io::Result<()> {
        let mut child = tokio::process::Command::new(path)
            .args(arguments)
            .env("INTERLOG_RUNTIME_DIR", &self.runtime_dir)
            .env("INTERLOG_APP_ID", &request.app_id)
            .env("INTERLOG_INSTANCE_ID", &request.instance_id)
            .env("INTERLOG_INSTANCE_UUID", &request.instance_uuid)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(false)
            .spawn()?;
        let app_id = request.app_id.clone();
        // Reap it when it exits, so no zombie is left behind.
        tokio::spawn(async move {
            match child.wait().await {
                Ok(status) => tracing::info!(app = %app_id, %status, "launched app exited"),
                Err(e) => {
                    tracing::warn!(app = %app_id, error = %e, "launched app could not be waited for")
                }
            }
        });
        Ok(())
    }
}

impl AgentTask {
    async fn run(mut self) {
        let mut committed = self.ledger.committed();
        let start = self.agent.start(now_ms());
        self.push(start);
        loop {
            let next_timer = self.timers.next_due();
            let sleep = async {
                match next_timer {
                    Some(at) => {
                        let wait = (at - now_ms()).max(0) as u64;
                        tokio::time::sleep(Duration::from_millis(wait)).await
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                command = self.rx.recv() => {
                    let Some(command) = command else { break };
                    self.on_command(command);
                    // Take whatever else is already queued before waiting again, so a burst
                    // of raises shares one commit.
                    while let Ok(command) = self.rx.try_recv() {
                        self.on_command(command);
                    }
                }
                _ = sleep => self.fire_due_timers(),
                changed = committed.changed() => {
                    if changed.is_err() {
                        // Only `Ledger::close` (shutdown) stops the writer.
                        tracing::info!("the ledger closed; the agent task ends");
                        break;
                    }
                }
            }
            let durable = *committed.borrow_and_update();
            self.flush(durable);
            while !self.fell_behind.is_empty() {
                for conn in std::mem::take(&mut self.fell_behind) {
                    let effects = self.agent.handle(Input::Closed { conn }, now_ms());
                    self.push(effects);
                }
                self.flush(durable);
            }
            let revision = self.agent.revision();
            if revision != self.apps_revision {
                self.apps_revision = revision;
                let _ = self.ui.send(UiEvent::AppsChanged);
            }
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Input(input) => {
                let effects = self.agent.handle(input, now_ms());
                self.push(effects);
            }
            Command::Paced(input, place) => {
                let effects = self.agent.handle(input, now_ms());
                self.push_holding(effects, Some(place));
            }
            Command::Register {
                conn,
                transport,
                sender,
            } => {
                self.conns.insert(conn, sender);
                let effects = self
                    .agent
                    .handle(Input::Connected { conn, transport }, now_ms());
                self.push(effects);
            }
            Command::SetWebHost(host) => self.launcher.web = Some(host),
            Command::IsIdentified { conn, reply } => {
                let _ = reply.send(self.agent.is_identified(conn));
            }
            Command::ResolverView { reply } => {
                let _ = reply.send(self.agent.resolver_view());
            }
            Command::Apps { reply } => {
                let instances = self.agent.instances();
                let channels = instances
                    .iter()
                    .filter_map(|i| i.user_channel.as_deref())
                    .filter_map(|id| {
                        let display = self.agent.channel_display(id)?;
                        Some((id.to_owned(), display.clone()))
                    })
                    .collect();
                let _ = reply.send(AppsSnapshot {
                    apps: self.agent.directory().apps().cloned().collect(),
                    instances,
                    channels,
                });
            }
            Command::SetDirectory(directory) => self.agent.set_directory(directory),
            Command::Remembered { reply } => {
                let _ = reply.send(self.agent.remembered().to_vec());
            }
            Command::SetRemembered(list) => self.agent.set_remembered(list),
            #[cfg(feature = "fault-injection")]
            Command::Panic => panic!("fault injected"),
        }
    }

    fn fire_due_timers(&mut self) {
        let now = now_ms();
        while let Some(timer) = self.timers.pop_due(now) {
            let effects = self.agent.handle(Input::Timer(timer), now);
            self.push(effects);
        }
    }

    /// Submits the batch's ledger writes now (in order) and queues the rest behind them.
    fn push(&mut self, effects: Vec<Effect>) {
        self.push_holding(effects, None);
    }

    /// As `push`; the batch, if it has to wait, keeps `place` until it is carried out.
    fn push_holding(&mut self, effects: Vec<Effect>, place: Option<OwnedSemaphorePermit>) {
        let mut batch = Batch {
            gate: 0,
            effects: Vec::with_capacity(effects.len()),
            recorded: false,
            places: Vec::new(),
        };
        for effect in effects {
            match effect {
                Effect::Record(event) => {
                    batch.gate = self.ledger.submit(to_write(event));
                    batch.recorded = true;
                }
                Effect::SetTimer { at_ms, timer } => self.timers.set(at_ms, timer),
                Effect::CancelTimer(timer) => self.timers.cancel(&timer),
                Effect::RememberedChanged(list) => {
                    let _ = self.ui.send(UiEvent::RememberedChanged(list));
                }
                // Heartbeats say nothing about any raise and need no order among the other
                // messages, so they skip the queue: while the ledger holds writes (a full disk),
                // apps keep answering them and are not declared dead for the ledger's trouble.
                Effect::Send { conn, msg } if msg["type"] == "heartbeatEvent" => {
                    self.execute(Effect::Send { conn, msg });
                }
                other => batch.effects.push(other),
            }
        }
        if batch.recorded || !batch.effects.is_empty() {
            batch.places.extend(place);
            self.pipeline.push_back(batch);
        }
    }

    /// Carries out, in order, every batch whose writes are durable.
    fn flush(&mut self, durable: u64) {
        while self.pipeline.front().is_some_and(|b| b.gate <= durable) {
            let Some(batch) = self.pipeline.pop_front() else {
                break;
            };
            for effect in batch.effects {
                self.execute(effect);
            }
            if batch.recorded {
                let _ = self.ui.send(UiEvent::HistoryChanged);
            }
        }
    }

    fn execute(&mut self, effect: Effect) {
        match effect {
            Effect::Send { conn, msg } => {
                let Some(sender) = self.conns.get(&conn) else {
                    return;
                };
                match sender.send(Outgoing::Message(Arc::new(msg)), self.max_queued_bytes) {
                    Ok(()) => {}
                    Err(QueueError::Closed) => {
                        self.conns.remove(&conn);
                    }
                    Err(e @ QueueError::Behind { .. }) => {
                        tracing::warn!(conn = conn.0, error = %e, "the app stopped reading: closing its connection");
                        let reason = "fell behind: messages not read".to_owned();
                        let _ = sender.send(Outgoing::Close { code: 1008, reason }, 0);
                        sender.kick();
                        self.conns.remove(&conn);
                        self.fell_behind.push(conn);
                    }
                }
            }
            Effect::Close { conn, code, reason } => {
                if let Some(sender) = self.conns.remove(&conn) {
                    let _ = sender.send(Outgoing::Close { code, reason }, 0);
                }
            }
            Effect::ResolverChanged(view) => {
                let _ = self.ui.send(UiEvent::ResolverChanged(view));
            }
            Effect::Launch(request) => {
                if let Err(e) = self.launcher.start(&request) {
                    tracing::warn!(app = %request.app_id, target = ?request.target, error = %e, "cannot start app");
                    let failed = Input::LaunchFailed {
                        launch_id: request.launch_id,
                        reason: e.to_string(),
                    };
                    let effects = self.agent.handle(failed, now_ms());
                    self.push(effects);
                }
            }
            // Handled when the batch was pushed.
            Effect::Record(_)
            | Effect::SetTimer { .. }
            | Effect::CancelTimer(_)
            | Effect::RememberedChanged(_) => {}
        }
    }
}
