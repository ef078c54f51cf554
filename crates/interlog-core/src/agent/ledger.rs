//! What the agent asks the ledger to record about each raise. The runtime maps these onto the
//! store; the core only says what happened and when.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json_text::JsonText;
use crate::message::Millis;

/// How the handler of a raise was chosen, or why none was. Serialized as the snake_case text
/// the ledger stores, so the UI sees one spelling whichever way it gets the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    SingleCandidate,
    Targeted,
    UserChoice,
    /// A choice the user asked to remember answered it; no dialog was shown.
    Remembered,
    Cancelled,
    TimedOut,
    Unavailable,
    NoCandidates,
    /// Refused: the raiser was over its budget (too many raises, or too large a context).
    OverBudget,
    /// Refused: the ledger's disk was below its free-space watermark.
    DiskLow,
}

impl Resolution {
    /// The text stored in the ledger's `resolution` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::SingleCandidate => "single_candidate",
            Resolution::Targeted => "targeted",
            Resolution::UserChoice => "user_choice",
            Resolution::Remembered => "remembered",
            Resolution::Cancelled => "cancelled",
            Resolution::TimedOut => "timed_out",
            Resolution::Unavailable => "unavailable",
            Resolution::NoCandidates => "no_candidates",
            Resolution::OverBudget => "over_budget",
            Resolution::DiskLow => "disk_low",
        }
    }
}

/// How a raise ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResultOutcome {
    /// The result context, serialized once as the result is recorded (see [`JsonText`]).
    Context(JsonText),
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
        /// Serialized once, here: the ledger journals and stores this text as it is.
        context: JsonText,
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

/// `context` itself if its JSON text is at most `max` bytes; otherwise an object that says what
/// it was: its `type` (if a short string), its size, and the first `max` bytes of its text.
pub fn bounded_excerpt(context: Value, max: usize) -> Value {
    let text = serde_json::to_string(&context).unwrap_or_default();
    if text.len() <= max {
        return context;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let context_type = context
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| t.len() <= 256);
    serde_json::json!({
        "type": context_type,
        "interlogExcerpt": { "bytes": text.len(), "start": &text[..cut] },
    })
}

#[cfg(test)]
mod excerpt_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_contexts_are_kept_whole_and_large_ones_cut() {
        let small = json!({"type": "fdc3.contact", "name": "Jane"});
        assert_eq!(bounded_excerpt(small.clone(), 1024), small);
        let big = json!({"type": "fdc3.interaction", "description": "é".repeat(100_000)});
        let cut = bounded_excerpt(big, 1000);
        assert_eq!(cut["type"], "fdc3.interaction");
        assert!(cut["interlogExcerpt"]["bytes"].as_u64().unwrap() > 200_000);
        let start = cut["interlogExcerpt"]["start"].as_str().unwrap();
        assert!(start.len() <= 1000 && start.len() >= 998, "{}", start.len());
        assert!(serde_json::to_string(&cut).unwrap().len() < 1200);
        // No usable type: none is made up.
        let untyped = bounded_excerpt(json!({"type": "x".repeat(5000)}), 100);
        assert!(untyped["type"].is_null());
    }
}
