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
    /// Open an app through the running agent (a web app in a new Interlog window, a native app
    /// as a process), optionally with a context; prints the new instance's AppIdentifier.
    Open {
        /// The app's id in the directory.
        app: String,
        /// A JSON file holding a context for the app (delivered once it listens for it).
        #[arg(long)]
        context: Option<PathBuf>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Print the interaction history from the ledger.
    History {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[command(flatten)]
        filter: HistoryFilter,
    },
    /// Write the whole history (or the rows matching --search/--since/--until) as CSV or JSON
    /// Lines, newest first, streamed: to FILE (written whole or not at all) or to stdout.
    Export {
        #[arg(long, value_enum, default_value = "csv")]
        format: crate::export::Format,
        /// Where to write it (default: stdout).
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        filter: HistoryFilter,
    },
    /// Check the ledger's hash chain: every finished exchange as it was recorded. Exits 1 and
    /// names the first record altered, removed or inserted; prints the chain's head, which,
    /// noted elsewhere, later proves the chain was not rewritten whole.
    Verify {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Which rows `history` and `export` select.
#[derive(Debug, Args, Clone)]
pub struct HistoryFilter {
    /// Only rows matching these words (participants, type, description, apps, ids).
    #[arg(long)]
    pub search: Option<String>,
    /// Only raises at or after this moment: a date (YYYY-MM-DD, from local midnight) or an
    /// RFC 3339 time (2026-07-01T09:30:00Z).
    #[arg(long, value_parser = parse_moment)]
    pub since: Option<i64>,
    /// Only raises before this moment (exclusive; same forms as --since): `--since 2026-07-01
    /// --until 2026-10-01` is the third quarter.
    #[arg(long, value_parser = parse_moment)]
    pub until: Option<i64>,
    /// Only unconfirmed interactions: CreateInteraction without a Created or Updated result.
    #[arg(long)]
    pub unconfirmed: bool,
    /// Only interactions of this type (interactionType, e.g. "Instant Message"). Repeat for any
    /// of several.
    #[arg(long = "type", value_name = "TYPE")]
    pub interaction_types: Vec<String>,
    /// Only interactions with this participant: a whole name ("Jane Doe") or e-mail address,
    /// any ASCII case. Repeat for any of several.
    #[arg(long = "participant", value_name = "NAME_OR_EMAIL")]
    pub participants: Vec<String>,
    /// Only raises by this app (its app id). Repeat for any of several.
    #[arg(long = "raiser", value_name = "APP_ID")]
    pub raisers: Vec<String>,
    /// Only raises handled by this app (its app id). Repeat for any of several.
    #[arg(long = "handler", value_name = "APP_ID")]
    pub handlers: Vec<String>,
    /// Only raises that ended this way: created, updated, deleted, failed, rejected, no_result,
    /// delivery_failed, cancelled, timed_out or pending. Repeat for any of several.
    #[arg(long = "outcome", value_name = "OUTCOME", value_parser = parse_outcome)]
    pub outcomes: Vec<interlog_store::HistoryOutcome>,
    /// Only interactions whose own timeRange reaches this moment or later (same forms as
    /// --since).
    #[arg(long, value_parser = parse_moment)]
    pub happened_since: Option<i64>,
    /// Only interactions whose own timeRange starts before this moment.
    #[arg(long, value_parser = parse_moment)]
    pub happened_until: Option<i64>,
}

impl HistoryFilter {
    /// The ledger query for this filter, `limit` rows at most (0: the default page).
    pub fn query(self, limit: u32) -> interlog_store::HistoryQuery {
        interlog_store::HistoryQuery {
            search: self.search,
            limit,
            since_ms: self.since,
            until_ms: self.until,
            unconfirmed: self.unconfirmed,
            interaction_types: self.interaction_types,
            participants: self.participants,
            raisers: self.raisers,
            handlers: self.handlers,
            outcomes: self.outcomes,
            happened_since_ms: self.happened_since,
            happened_until_ms: self.happened_until,
            ..Default::default()
        }
    }
}

/// An `--outcome` value that names no outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an outcome; one of created, updated, deleted, failed, rejected, no_result, delivery_failed, cancelled, timed_out, pending")]
pub struct UnknownOutcome(String);

/// An `--outcome` value, by its name (`timed_out`, `timed-out` and `Timed out` alike).
fn parse_outcome(text: &str) -> Result<interlog_store::HistoryOutcome, UnknownOutcome> {
    interlog_store::HistoryOutcome::parse(text).ok_or_else(|| UnknownOutcome(text.to_owned()))
}

#[derive(Debug, Args, Clone)]
pub struct AgentArgs {
    /// No windows: the agent, the store and the socket only.
    #[arg(long, env = "INTERLOG_HEADLESS", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false, global = true)]
    pub headless: bool,
    /// App directory sources (AppD v2 JSON files, /v2/apps URLs, or interlog:samples for the
    /// bundled sample apps), after the built-in apps and those saved in the settings.
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
        // After the saved sources (settings.json), for this session only.
        for source in given(&self.appd) {
            if !config.appd_sources.contains(&source) {
                config.appd_sources.push(source);
            }
        }
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

/// A `--since`/`--until` value that is neither form the CLI takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MomentError {
    #[error("{0:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 time (2026-07-01T09:30:00Z)")]
    Unrecognised(String),
    #[error("{0}: no such local time")]
    NoLocalTime(String),
}

/// A moment on the command line, as milliseconds since the epoch: a date is its local midnight
/// (what a user means by "since 1 July"); a full RFC 3339 time is taken as written.
pub fn parse_moment(text: &str) -> Result<i64, MomentError> {
    use chrono::{DateTime, Local, NaiveDate, TimeZone};
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
        // A midnight skipped by a daylight-saving jump has no local time: take the first moment after.
        return Local
            .from_local_datetime(&midnight)
            .earliest()
            .or_else(|| {
                Local
                    .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.timestamp_millis())
            .ok_or_else(|| MomentError::NoLocalTime(text.to_owned()));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| MomentError::Unrecognised(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::{parse_moment, parse_outcome, MomentError, UnknownOutcome};

    #[test]
    fn outcomes_are_named_and_a_wrong_one_lists_them_all() {
        assert_eq!(
            parse_outcome("Timed out"),
            Ok(interlog_store::HistoryOutcome::TimedOut)
        );
        let err = parse_outcome("lost").expect_err("not an outcome");
        assert_eq!(err, UnknownOutcome("lost".into()));
        for o in interlog_store::HistoryOutcome::ALL {
            assert!(err.to_string().contains(o.as_str()), "{o:?} listed");
        }
    }

    #[test]
    fn moments_are_dates_at_local_midnight_or_rfc3339_times() {
        assert_eq!(parse_moment("2026-07-01T09:30:00Z"), Ok(1_782_898_200_000));
        assert_eq!(
            parse_moment("2026-07-01T11:30:00+02:00"),
            Ok(1_782_898_200_000)
        );
        let midnight = chrono::NaiveDate::from_ymd_opt(2026, 7, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("date");
        let local = chrono::TimeZone::from_local_datetime(&chrono::Local, &midnight)
            .earliest()
            .expect("local midnight");
        assert_eq!(parse_moment("2026-07-01"), Ok(local.timestamp_millis()));
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-07-01 09:30",
            "1782898200000",
        ] {
            let err = parse_moment(bad).expect_err(bad);
            assert_eq!(err, MomentError::Unrecognised(bad.to_owned()));
            assert!(err.to_string().contains("YYYY-MM-DD"), "{bad}: {err}");
        }
    }
}
