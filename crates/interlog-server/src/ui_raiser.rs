//! Raising an intent from Interlog's own window (the "Raise example interaction" button): the
//! window is an app like any other, so the raise goes through the same resolution, resolver
//! and ledger as one from a socket app.

use std::time::Duration;

use interlog_core::builtin::UI_IDENTITY_URL;
use serde_json::{json, Value};

use crate::local::{LocalConnection, LocalError};
use crate::runtime::AgentHandle;

/// The FDC3 documentation's CreateInteraction example (an instant message between Jane Doe and
/// John Doe, raised from Outlook), with today's time.
pub fn example_interaction(start_time: &str) -> Value {
    json!({
        "type": "fdc3.interaction",
        "participants": {
            "type": "fdc3.contactList",
            "contacts": [
                { "type": "fdc3.contact", "name": "Jane Doe", "id": { "email": "jane.doe@mail.com" } },
                { "type": "fdc3.contact", "name": "John Doe", "id": { "email": "john.doe@mail.com" } }
            ]
        },
        "interactionType": "Instant Message",
        "timeRange": { "type": "fdc3.timeRange", "startTime": start_time },
        "description": "Discussed the quarterly review and agreed to follow up on the bond allocation.",
        "initiator": { "type": "fdc3.contact", "name": "Jane Doe", "id": { "email": "jane.doe@mail.com" } },
        "origin": "Interlog"
    })
}

/// Raises `intent` as Interlog's window and returns at once; a task waits for the outcome
/// (which the history shows) and then disconnects.
pub async fn raise(
    handle: &AgentHandle,
    intent: &str,
    context: Value,
) -> Result<String, LocalError> {
    let mut conn = LocalConnection::connect(handle, UI_IDENTITY_URL).await?;
    let request_uuid = conn.request(
        "raiseIntentRequest",
        json!({ "intent": intent, "context": context }),
    );
    let key = request_uuid.clone();
    tokio::spawn(async move {
        // Resolution (the user may take the whole resolver timeout), then the result.
        let resolution = conn.response(&request_uuid, Duration::from_secs(600)).await;
        if let Ok(r) = &resolution {
            if r["payload"].get("error").is_none() {
                let _ = conn.response(&request_uuid, Duration::from_secs(600)).await;
            }
        }
    });
    Ok(key)
}
