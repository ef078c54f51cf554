//! The command line: one binary is the desktop app, the headless agent and the CLI.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "interlog",
    version,
    about = "FDC3 2.2 desktop agent with an interaction history"
)]
pub struct Cli {
    #[command(flatten)]
    pub agent: AgentArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Raise an intent through the running agent, as the `interlog.cli` app; prints the result.
    Raise {
        /// The intent, e.g. CreateInteraction.
        intent: String,
        /// A JSON file holding the context.
        #[arg(long)]
        context: PathBuf,
        /// Target app id (optionally with --instance).
        #[arg(long)]
        app: Option<String>,
        #[arg(long, requires = "app")]
        instance: Option<String>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Print the interaction history from the ledger.
    History {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Only rows matching these words (participants, type, description, apps, ids).
        #[arg(long)]
        search: Option<String>,
    },
}

#[derive(Debug, Args, Clone)]
pub struct AgentArgs {
    /// No windows: the agent, the store and the socket only.
    #[arg(long, env = "INTERLOG_HEADLESS", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false, global = true)]
    pub headless: bool,
    /// App directory sources (AppD v2 JSON files or /v2/apps URLs), merged with the built-in apps.
    #[arg(
        long = "appd",
        env = "INTERLOG_APPD",
        value_delimiter = ' ',
        global = true
    )]
    pub appd: Vec<String>,
    /// Where the SQLite ledger lives (default: $XDG_DATA_HOME/interlog).
    #[arg(long, env = "INTERLOG_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// WebSocket port on 127.0.0.1 (0: a free one).
    #[arg(long, env = "INTERLOG_PORT", default_value_t = 4470, global = true)]
    pub port: u16,
    /// Origins allowed to connect (browsers always send one; none are allowed by default).
    #[arg(
        long = "allow-origin",
        env = "INTERLOG_ALLOWED_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub allow_origin: Vec<String>,
    /// Seconds the resolver dialog waits for the user before ResolverTimeout (default 60).
    #[arg(long, global = true)]
    pub resolver_timeout: Option<u64>,
    /// Seconds a handler may take to return a result before NoResultReturned (default 300).
    #[arg(long, global = true)]
    pub result_timeout: Option<u64>,
    /// Largest accepted frame in bytes (default 1 MiB).
    #[arg(long, global = true)]
    pub max_frame: Option<usize>,
}

impl AgentArgs {
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(interlog_server::discovery::default_data_dir)
    }

    /// The configuration without reading the settings file (for the CLI commands).
    pub fn server_config(&self) -> interlog_server::ServerConfig {
        let mut config = interlog_server::ServerConfig::new(self.data_dir());
        self.apply_switches(&mut config);
        config
    }

    /// Defaults, then `settings.json` in the data folder, then these switches; with whatever
    /// was wrong in the settings (reported, never fatal).
    pub fn agent_config(&self) -> (interlog_server::ServerConfig, Vec<String>) {
        let mut config = interlog_server::ServerConfig::new(self.data_dir());
        let (settings, mut problems) = interlog_server::settings::load(&config.data_dir);
        problems.extend(settings.apply(&mut config));
        self.apply_switches(&mut config);
        (config, problems)
    }

    fn apply_switches(&self, config: &mut interlog_server::ServerConfig) {
        let given = |list: &[String]| list.iter().filter(|s| !s.is_empty()).cloned().collect();
        config.port = self.port;
        config.appd_sources = given(&self.appd);
        config.allowed_origins = given(&self.allow_origin);
        config.agent.resolver_available = !self.headless;
        if let Some(bytes) = self.max_frame {
            config.max_frame_bytes = bytes;
        }
        if let Some(secs) = self.resolver_timeout {
            config.agent.resolver_timeout_ms = (secs * 1000) as i64;
        }
        if let Some(secs) = self.result_timeout {
            config.agent.result_timeout_ms = (secs * 1000) as i64;
        }
    }
}
