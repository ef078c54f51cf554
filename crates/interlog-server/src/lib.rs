//! Interlog's runtime around the core: the agent task, the WebSocket server, the discovery file,
//! the app directory sources and the built-in apps.
//!
//! [`start`] brings a whole agent up (ledger, agent task, built-in log, socket, discovery file)
//! and is what the desktop app, `--headless` and the tests all use.

pub mod admission;
pub mod appd_source;
pub mod builtin_history;
pub mod builtin_log;
pub mod client;
pub mod directory_sources;
pub mod discovery;
pub mod disk_guard;
mod fd_limit;
pub mod icons;
mod ledger_map;
pub mod local;
pub mod outbox;
pub mod retention;
pub mod runtime;
pub mod settings;
mod timers;
pub mod ui_raiser;
pub mod ws;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use interlog_core::ids::IdSource;
use interlog_core::{Agent, AgentConfig};
use interlog_store::{Ledger, LedgerOptions};
use rand::RngCore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use runtime::{AgentHandle, AppsSnapshot, UiEvent, WebHost};

/// Everything an agent is started with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    /// Where `agent.json` goes; `None`: the contract's default for `data_dir`.
    pub runtime_dir: Option<PathBuf>,
    pub port: u16,
    pub allowed_origins: Vec<String>,
    pub appd_sources: Vec<String>,
    /// Directory documents the application carries, by source name (`interlog:samples`).
    pub bundled_sources: std::collections::BTreeMap<String, String>,
    pub max_frame_bytes: usize,
    pub handshake_timeout: Duration,
    /// Bounds on connections (all, and not yet identified).
    pub limits: admission::AdmissionLimits,
    /// A connection with more than this waiting to be read is closed (it fell behind).
    pub max_queued_bytes: usize,
    /// How long a directory URL may take to answer before it is skipped.
    pub directory_fetch_timeout: Duration,
    /// Below this much free space on the ledger's disk, new raises are refused.
    pub min_free_disk_bytes: u64,
    /// Records older than this many days are removed (`None`: kept forever).
    pub retention_days: Option<u32>,
    pub agent: AgentConfig,
}

impl ServerConfig {
    pub fn new(data_dir: PathBuf) -> ServerConfig {
        ServerConfig {
            data_dir,
            runtime_dir: None,
            port: 4470,
            allowed_origins: Vec::new(),
            appd_sources: Vec::new(),
            bundled_sources: Default::default(),
            max_frame_bytes: 1024 * 1024,
            handshake_timeout: Duration::from_secs(5),
            limits: admission::AdmissionLimits::default(),
            max_queued_bytes: outbox::DEFAULT_MAX_QUEUED_BYTES,
            directory_fetch_timeout: appd_source::FETCH_TIMEOUT,
            min_free_disk_bytes: disk_guard::DEFAULT_MIN_FREE_BYTES,
            retention_days: None,
            agent: AgentConfig::default(),
        }
    }

    pub fn runtime_dir(&self) -> PathBuf {
        self.runtime_dir
            .clone()
            .unwrap_or_else(|| discovery::runtime_dir(&self.data_dir))
    }

    /// How this agent reads its directory sources.
    pub fn source_reader(&self) -> appd_source::SourceReader {
        appd_source::SourceReader {
            fetch_timeout: self.directory_fetch_timeout,
            bundled: std::sync::Arc::new(self.bundled_sources.clone()),
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("interlog.db")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Discovery(#[from] discovery::DiscoveryError),
    /// The file is named so the user knows which one to check, move aside or restore; it is
    /// never altered or replaced when it cannot be opened.
    #[error("cannot open the ledger {}: {source}", path.display())]
    Store {
        path: std::path::PathBuf,
        #[source]
        source: interlog_store::StoreError,
    },
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Listen {
        port: u16,
        #[source]
        source: std::io::Error,
    },
}

/// Random ids for a real agent.
struct RandomIds;

impl IdSource for RandomIds {
    fn uuid(&mut self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
    fn secret(&mut self) -> String {
        random_hex(32)
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A started agent. Dropping it without [`RunningAgent::shutdown`] also stops the socket.
pub struct RunningAgent {
    pub handle: AgentHandle,
    pub addr: SocketAddr,
    pub discovery: discovery::DiscoveryFile,
    /// App directory problems found at start (reported, not fatal).
    pub directory_problems: Vec<String>,
    /// The directory apps' http(s) icons, for a UI to fetch ([`icons::IconCache`]).
    pub icon_urls: Vec<String>,
    /// How long records are kept, changeable while the agent runs.
    pub retention: retention::Retention,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

impl RunningAgent {
    pub fn url(&self) -> String {
        format!("ws://{}/fdc3", self.addr)
    }

    /// Completes if the agent task ends on its own (a panic: a bug). The caller should then
    /// [`RunningAgent::shutdown`] and end the process, so that it is restarted.
    pub async fn ended(&self) -> runtime::AgentStatus {
        self.handle.ended().await
    }

    /// Stops accepting connections; the discovery file is removed.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.server).await;
        self.handle.ledger().close();
    }
}

/// Brings up a whole agent. Must run inside a tokio runtime.
pub async fn start(config: ServerConfig) -> Result<RunningAgent, StartError> {
    let runtime_dir = config.runtime_dir();
    discovery::DiscoveryFile::claim(&runtime_dir)?;
    let path = config.database_path();
    let ledger = Ledger::open_with(&path, LedgerOptions::agent())
        .map_err(|source| StartError::Store { path, source })?;
    let (directory, directory_problems) = {
        let sources = config.appd_sources.clone();
        let reader = config.source_reader();
        tokio::task::spawn_blocking(move || reader.load(&sources))
            .await
            .unwrap_or_else(|_| {
                (
                    interlog_core::Directory::new(),
                    vec!["loading the app directory failed".into()],
                )
            })
    };
    for problem in &directory_problems {
        tracing::warn!("app directory: {problem}");
    }
    tracing::info!(apps = directory.len(), "app directory loaded");
    let icon_urls = icons::remote_icons(&directory);
    let agent = Agent::new(config.agent.clone(), directory, Box::new(RandomIds));
    let launcher = runtime::Launcher {
        runtime_dir: runtime_dir.clone(),
        web: None,
    };
    let handle = AgentHandle::spawn(agent, ledger, launcher, config.max_queued_bytes);
    let retention = retention::spawn(handle.ledger().clone(), config.retention_days);
    disk_guard::spawn(
        handle.clone(),
        config.data_dir.clone(),
        config.min_free_disk_bytes,
        disk_guard::CHECK_EVERY,
    );

    let listener = TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(|source| StartError::Listen {
            port: config.port,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        port: config.port,
        source,
    })?;
    let token = random_hex(32);
    let settings = ws::WsSettings {
        token: token.clone(),
        allowed_origins: config.allowed_origins.clone(),
        max_frame_bytes: config.max_frame_bytes,
        handshake_timeout: config.handshake_timeout,
        limits: admission::AdmissionLimits {
            max_connections: fd_limit::connections_within(
                fd_limit::raise(),
                config.limits.max_connections,
            ),
            ..config.limits
        },
        max_in_flight: 256,
    };
    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(ws::serve(listener, handle.clone(), settings, async {
        let _ = shutdown_rx.await;
    }));

    let log_handle = handle.clone();
    tokio::spawn(async move {
        if let Err(e) = builtin_log::run(log_handle).await {
            tracing::error!(error = %e, "the built-in interaction log stopped");
        }
    });

    let history_handle = handle.clone();
    tokio::spawn(async move {
        if let Err(e) = builtin_history::run(history_handle).await {
            tracing::error!(error = %e, "the built-in history handler stopped");
        }
    });

    let discovery = discovery::DiscoveryFile::write(
        &runtime_dir,
        &discovery::Discovery {
            url: format!("ws://{addr}/fdc3"),
            token,
            pid: std::process::id(),
            fdc3_version: "2.2".into(),
            provider: config.agent.provider.clone(),
            provider_version: config.agent.provider_version.clone(),
        },
    )?;
    tracing::info!(url = %format!("ws://{addr}/fdc3"), file = %discovery.path().display(), "agent listening");
    Ok(RunningAgent {
        handle,
        addr,
        discovery,
        directory_problems,
        icon_urls,
        retention,
        shutdown: Some(shutdown_tx),
        server,
    })
}
