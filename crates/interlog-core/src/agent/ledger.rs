//! What the agent asks the ledger to record about each raise. The runtime maps these onto the
//! store; the core only says what happened and when.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::message::Millis;

/// How the handler of a raise was chosen, or why none was. Serialized as the snake_case text
/// the ledger stores, so the UI sees one spelling whichever way it gets the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    SingleCandidate,
    Targeted,
    UserChoice,
    Cancelled,
    TimedOut,
    Unavailable,
    NoCandidates,
}

impl Resolution {
    /// The text stored in the ledger's `resolution` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::SingleCandidate => "single_candidate",
            Resolution::Targeted => "targeted",
            Resolution::UserChoice => "user_choice",
            Resolution::Cancelled => "cancelled",
            Resolution::TimedOut => "timed_out",
            Resolution::Unavailable => "unavailable",
            Resolution::NoCandidates => "no_candidates",
        }
    }
}

/// How a raise ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResultOutcome {
    Context(Value),
    Channel(Value),
    Void,
    /// An FDC3 error string, or a description of why the raise ended without one.
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LedgerEvent {
    /// Written before anything is delivered.
    Raised {
        key: String,
        at_ms: Millis,
        raiser_app: String,
        raiser_instance: String,
        request_uuid: String,
        intent: Option<String>,
        context: Value,
        target: Option<Value>,
        candidates: Value,
    },
    Resolved {
        key: String,
        at_ms: Millis,
        resolution: Resolution,
        handler_app: Option<String>,
        handler_instance: Option<String>,
    },
    Delivered {
        key: String,
        at_ms: Millis,
    },
    Completed {
        key: String,
        at_ms: Millis,
        outcome: ResultOutcome,
    },
}
