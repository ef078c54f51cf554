//! The agent task: the one owner of the agent state.
//!
//! Connections, the built-in apps and the UI hold an [`AgentHandle`] and send it commands; the
//! task feeds them to the core, and carries the effects out **in order**. A batch of effects
//! that records something in the ledger waits until those writes are durable before any of its
//! messages go out (so a raise is on disk before it is delivered or acknowledged), while the
//! task goes on reading input: many raises share one commit.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use interlog_core::agent::{LaunchRequest, LaunchTarget, ResolverChoice, ResolverView, Transport};
use interlog_core::message::Millis;
use interlog_core::{Agent, ConnId, Effect, Input, Timer};
use interlog_store::Ledger;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::ledger_map::to_write;

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
}

enum Command {
    Input(Input),
    Register {
        conn: ConnId,
        transport: Transport,
        sender: mpsc::UnboundedSender<Outgoing>,
    },
    SetWebHost(Arc<dyn WebHost>),
    IsIdentified {
        conn: ConnId,
        reply: oneshot::Sender<bool>,
    },
    ResolverView {
        reply: oneshot::Sender<Option<ResolverView>>,
    },
}

/// A cloneable handle to the agent task.
#[derive(Clone)]
pub struct AgentHandle {
    tx: mpsc::UnboundedSender<Command>,
    ui: broadcast::Sender<UiEvent>,
    ledger: Ledger,
    next_conn: Arc<AtomicU64>,
}

pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

impl AgentHandle {
    /// Starts the agent task on the current tokio runtime.
    pub fn spawn(agent: Agent, ledger: Ledger, launcher: Launcher) -> AgentHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        let (ui, _) = broadcast::channel(64);
        let handle = AgentHandle {
            tx,
            ui: ui.clone(),
            ledger: ledger.clone(),
            next_conn: Arc::new(AtomicU64::new(1)),
        };
        let task = AgentTask {
            agent,
            ledger,
            rx,
            ui,
            conns: HashMap::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            pipeline: VecDeque::new(),
            launcher,
        };
        tokio::spawn(task.run());
        handle
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// A new connection number, and the receiver of what the agent sends to it. The transport
    /// decides which identities the connection may take.
    pub fn register(&self, transport: Transport) -> (ConnId, mpsc::UnboundedReceiver<Outgoing>) {
        let conn = ConnId(self.next_conn.fetch_add(1, Ordering::Relaxed));
        let (sender, rx) = mpsc::unbounded_channel();
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
}

struct AgentTask {
    agent: Agent,
    ledger: Ledger,
    rx: mpsc::UnboundedReceiver<Command>,
    ui: broadcast::Sender<UiEvent>,
    conns: HashMap<ConnId, mpsc::UnboundedSender<Outgoing>>,
    timers: BinaryHeap<Reverse<(Millis, u64, TimerEntry)>>,
    timer_seq: u64,
    pipeline: VecDeque<Batch>,
    launcher: Launcher,
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

/// `Timer` wrapped so it can sit in the heap (ordered by deadline, then insertion).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TimerEntry(Timer);
impl PartialOrd for TimerEntry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for TimerEntry {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl AgentTask {
    async fn run(mut self) {
        let mut committed = self.ledger.committed();
        let start = self.agent.start(now_ms());
        self.push(start);
        loop {
            let next_timer = self.timers.peek().map(|Reverse((at, _, _))| *at);
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
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Input(input) => {
                let effects = self.agent.handle(input, now_ms());
                self.push(effects);
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
        }
    }

    fn fire_due_timers(&mut self) {
        let now = now_ms();
        while let Some(Reverse((at, _, _))) = self.timers.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((_, _, TimerEntry(timer)))) = self.timers.pop() else {
                break;
            };
            let effects = self.agent.handle(Input::Timer(timer), now);
            self.push(effects);
        }
    }

    /// Submits the batch's ledger writes now (in order) and queues the rest behind them.
    fn push(&mut self, effects: Vec<Effect>) {
        let mut batch = Batch {
            gate: 0,
            effects: Vec::with_capacity(effects.len()),
            recorded: false,
        };
        for effect in effects {
            match effect {
                Effect::Record(event) => {
                    batch.gate = self.ledger.submit(to_write(event));
                    batch.recorded = true;
                }
                Effect::SetTimer { at_ms, timer } => {
                    self.timer_seq += 1;
                    self.timers
                        .push(Reverse((at_ms, self.timer_seq, TimerEntry(timer))));
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
                if let Some(sender) = self.conns.get(&conn) {
                    if sender.send(Outgoing::Message(Arc::new(msg))).is_err() {
                        self.conns.remove(&conn);
                    }
                }
            }
            Effect::Close { conn, code, reason } => {
                if let Some(sender) = self.conns.remove(&conn) {
                    let _ = sender.send(Outgoing::Close { code, reason });
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
            Effect::Record(_) | Effect::SetTimer { .. } => {}
        }
    }
}
