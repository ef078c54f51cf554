//! DACP/WCP envelopes: reading what apps send and building what the agent sends.
//!
//! Incoming messages are read leniently (unknown fields are ignored, the official client sends
//! whole `AppMetadata` objects where an `AppIdentifier` is expected); outgoing ones are built to
//! the FDC3 2.2 schemas, which the protocol tests check message by message.

use serde_json::{json, Map, Value};

use crate::errors::Fdc3Error;
use crate::ids::IdSource;

/// Milliseconds since the Unix epoch: the agent is handed the time, it never reads a clock.
pub type Millis = i64;

/// ISO-8601 with milliseconds and `Z`, as JavaScript's `Date.toISOString()` writes it.
pub fn iso_time(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A message from an app, split into its three parts.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub kind: String,
    pub payload: Value,
    pub meta: Value,
}

/// Why a frame could not be read as a message at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeProblem {
    #[error("the message is not a JSON object")]
    NotAnObject,
    #[error("the message has no string `type`")]
    NoType,
}

impl Inbound {
    pub fn parse(msg: Value) -> Result<Inbound, EnvelopeProblem> {
        let Value::Object(mut map) = msg else {
            return Err(EnvelopeProblem::NotAnObject);
        };
        let kind = match map.remove("type") {
            Some(Value::String(t)) => t,
            _ => return Err(EnvelopeProblem::NoType),
        };
        Ok(Inbound {
            kind,
            payload: map.remove("payload").unwrap_or(Value::Null),
            meta: map.remove("meta").unwrap_or(Value::Null),
        })
    }

    /// `meta.requestUuid`, needed to answer at all.
    pub fn request_uuid(&self) -> Option<&str> {
        self.meta.get("requestUuid").and_then(Value::as_str)
    }
}

/// Builds outgoing messages; owns nothing but borrowed id source and the current time.
pub struct Outbox<'a> {
    pub ids: &'a mut dyn IdSource,
    pub now: Millis,
}

// The envelopes are built by moving the payload in (`object`), never through `json!`, which
// would copy the payload (a context, often) value by value through its serializer.
impl Outbox<'_> {
    /// A `…Response` quoting the request's `requestUuid`.
    pub fn response(&mut self, kind: &str, request_uuid: &str, payload: Value) -> Value {
        let meta = object([
            ("requestUuid", Value::from(request_uuid)),
            ("responseUuid", Value::from(self.ids.uuid())),
            ("timestamp", Value::from(iso_time(self.now))),
        ]);
        envelope(kind, payload, meta)
    }

    pub fn error_response(&mut self, kind: &str, request_uuid: &str, error: Fdc3Error) -> Value {
        self.response(kind, request_uuid, json!({ "error": error.as_str() }))
    }

    /// An `…Event`; returns the message and its `eventUuid`.
    pub fn event(&mut self, kind: &str, payload: Value) -> (Value, String) {
        let event_uuid = self.ids.uuid();
        let meta = object([
            ("eventUuid", Value::from(event_uuid.as_str())),
            ("timestamp", Value::from(iso_time(self.now))),
        ]);
        (envelope(kind, payload, meta), event_uuid)
    }

    /// A WCP message (`meta.connectionAttemptUuid` + `timestamp`).
    pub fn wcp(&mut self, kind: &str, connection_attempt_uuid: &Value, payload: Value) -> Value {
        let meta = object([
            ("connectionAttemptUuid", connection_attempt_uuid.clone()),
            ("timestamp", Value::from(iso_time(self.now))),
        ]);
        envelope(kind, payload, meta)
    }
}

fn envelope(kind: &str, payload: Value, meta: Value) -> Value {
    object([
        ("type", Value::from(kind)),
        ("payload", payload),
        ("meta", meta),
    ])
}

/// The response type for a request type: `fooRequest` → `fooResponse`.
pub fn response_type_for(request_type: &str) -> Option<String> {
    request_type
        .strip_suffix("Request")
        .map(|stem| format!("{stem}Response"))
}

/// An `AppIdentifier` read leniently from a payload field (`app`, `source`, …). Anything other
/// than an object with a string `appId` is `None` (the caller decides which error that is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppTarget {
    pub app_id: String,
    pub instance_id: Option<String>,
}

impl AppTarget {
    pub fn read(value: &Value) -> Option<AppTarget> {
        let app_id = value.get("appId")?.as_str()?.to_owned();
        let instance_id = value
            .get("instanceId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Some(AppTarget {
            app_id,
            instance_id,
        })
    }
}

/// `{appId, instanceId}` as the wire wants it.
pub fn app_identifier(app_id: &str, instance_id: &str) -> Value {
    json!({ "appId": app_id, "instanceId": instance_id })
}

/// Reads an optional string field; `null` and absence are both `None`.
pub fn opt_str<'a>(payload: &'a Value, field: &str) -> Option<&'a str> {
    payload.get(field).and_then(Value::as_str)
}

/// Is `field` present with a value that is neither a string nor null?
pub fn is_wrong_string(payload: &Value, field: &str) -> bool {
    matches!(payload.get(field), Some(v) if !v.is_string() && !v.is_null())
}

pub fn object(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k.to_owned(), v);
    }
    Value::Object(map)
}

/// About how many bytes `v` takes as JSON text, without writing it: exact for the structure
/// and for strings without escapes, numbers counted at their usual width.
pub fn approx_json_bytes(v: &Value) -> usize {
    match v {
        Value::Null => 4,
        Value::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => {
            2 + items
                .iter()
                .map(|i| approx_json_bytes(i) + 1)
                .sum::<usize>()
        }
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() + 4 + approx_json_bytes(v))
                .sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_time_matches_javascript() {
        assert_eq!(iso_time(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn response_types() {
        assert_eq!(
            response_type_for("raiseIntentRequest").as_deref(),
            Some("raiseIntentResponse")
        );
        assert_eq!(response_type_for("fooEvent"), None);
    }

    #[test]
    fn lenient_app_target() {
        let t = AppTarget::read(&json!({"appId": "a", "title": "A", "state": 1})).unwrap();
        assert_eq!(t.app_id, "a");
        assert_eq!(t.instance_id, None);
        assert!(AppTarget::read(&json!("a")).is_none());
    }
}
