//! Interlog's agent logic, apart from every kind of I/O.
//!
//! - [`agent`]: the desktop agent as a state machine (inputs in, effects out).
//! - [`directory`]: AppD v2 records and identity URL matching.
//! - [`context_schema`]: contexts checked against the official FDC3 2.2 schemas.
//! - [`message`]: DACP/WCP envelopes.
//! - [`errors`]: the FDC3 error strings.
//!
//! **Invariant:** nothing in this crate does I/O or reads the clock; time comes in as an
//! argument and randomness through [`ids::IdSource`].

pub mod agent;
pub mod builtin;
pub mod config;
pub mod context_schema;
pub mod directory;
pub mod errors;
pub mod ids;
pub mod json_text;
pub mod message;
pub mod url_match;

pub use agent::{Agent, ConnId, Effect, Input, Timer};
pub use config::AgentConfig;
pub use directory::Directory;
pub use errors::Fdc3Error;
pub use json_text::JsonText;
