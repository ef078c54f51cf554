//! Every timeout and limit of the agent, in one place, with the FDC3 defaults.

use serde::{Deserialize, Serialize};

use crate::message::Millis;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AgentConfig {
    pub provider: String,
    pub provider_version: String,
    /// False with `--headless`: a raise that needs the user answers `ResolverUnavailable`.
    pub resolver_available: bool,
    /// How long the resolver dialog waits for the user before `ResolverTimeout`. It must stay
    /// below the official client's 100 s `appLaunchTimeout` so the raiser hears our answer.
    pub resolver_timeout_ms: Millis,
    /// How long a chosen instance may take to add its intent listener (FDC3: at least 15 s).
    pub listener_timeout_ms: Millis,
    /// How long a handler may take to return a result before `NoResultReturned`. FDC3's
    /// conformance tests need results after 61 s to arrive.
    pub result_timeout_ms: Millis,
    pub heartbeat_interval_ms: Millis,
    pub not_responding_after_ms: Millis,
    pub dead_after_ms: Millis,
    /// How long an ended instance's identity may be reclaimed by a reconnect.
    pub reconnect_window_ms: Millis,
    /// Start `native` apps (AppD `details.path`) for `open` and raises.
    pub launch_native: bool,
    /// Open `web` apps (AppD `details.url`) in Interlog windows. Set by the desktop app, which
    /// has windows to host them; off with `--headless` (such a launch is `ErrorOnLaunch`).
    pub launch_web: bool,
    /// How long a launched app may take to connect (then `AppTimeout` / `IntentDeliveryFailed`).
    pub launch_timeout_ms: Millis,
    /// A launched web app's page that has loaded but added no listener is taken as set up
    /// after this long (one that adds a listener is set up at once).
    pub page_settle_ms: Millis,
    /// What each app may raise (rate and context size); Interlog's own apps are not limited.
    pub raise_budget: crate::agent::RaiseBudget,
    /// Resolver choices the user asked to remember (settings.json `rememberedChoices`).
    pub remembered: Vec<crate::agent::RememberedChoice>,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            provider: "Interlog".into(),
            provider_version: env!("CARGO_PKG_VERSION").into(),
            resolver_available: true,
            resolver_timeout_ms: 60_000,
            listener_timeout_ms: 20_000,
            result_timeout_ms: 300_000,
            heartbeat_interval_ms: 5_000,
            not_responding_after_ms: 15_000,
            dead_after_ms: 45_000,
            reconnect_window_ms: 300_000,
            launch_native: true,
            launch_web: false,
            launch_timeout_ms: 20_000,
            page_settle_ms: 500,
            raise_budget: crate::agent::RaiseBudget::default(),
            remembered: Vec::new(),
        }
    }
}
