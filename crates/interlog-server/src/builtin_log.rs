//! The built-in Interaction Log: an app inside Interlog that handles CreateInteraction for
//! `fdc3.interaction` and `fdc3.contactList`, stores the interaction durably, and answers with
//! an `fdc3.transactionResult` carrying the record's id.

use std::time::Duration;

use interlog_core::builtin::LOG_IDENTITY_URL;
use interlog_store::LedgerWrite;
use serde_json::{json, Value};

use crate::local::{LocalConnection, LocalError};
use crate::runtime::{now_ms, AgentHandle};

pub const INTENT: &str = "CreateInteraction";

/// The result for a stored interaction, in the shape of the FDC3 CreateInteraction example.
pub fn transaction_result(interaction: &Value, record_id: &str) -> Value {
    let mut created = interaction.clone();
    if let Some(obj) = created.as_object_mut() {
        let mut id = obj
            .get("id")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        id.insert("URI".into(), json!(record_id));
        obj.insert("id".into(), Value::Object(id));
    }
    json!({
        "type": "fdc3.transactionResult",
        "status": "Created",
        "context": created,
        "message": format!("record with id \"{record_id}\" was created"),
    })
}

/// Runs the log until the agent stops.
pub async fn run(handle: AgentHandle) -> Result<(), LocalError> {
    let mut conn = LocalConnection::connect(&handle, LOG_IDENTITY_URL).await?;
    let listen = conn.request("addIntentListenerRequest", json!({ "intent": INTENT }));
    conn.response(&listen, Duration::from_secs(10)).await?;
    tracing::info!(instance = %conn.instance_id, "built-in interaction log is listening");
    let mut committed = handle.ledger().committed();
    while let Some(msg) = conn.recv().await {
        if conn.answer_heartbeat(&msg) || msg["type"] != "intentEvent" {
            continue;
        }
        let payload = &msg["payload"];
        let context = payload["context"].clone();
        let context_type = context["type"].as_str().unwrap_or_default();
        let result = if matches!(context_type, "fdc3.interaction" | "fdc3.contactList") {
            let record_id = format!("interlog://interactions/{}", uuid::Uuid::new_v4());
            let stored = transaction_result(&context, &record_id);
            let seq = handle.ledger().submit(LedgerWrite::InteractionLogged {
                record_id: record_id.clone(),
                raise_key: None,
                at_ms: now_ms(),
                interaction: stored["context"].clone(),
            });
            // Say "Created" only once it is on disk.
            if committed.wait_for(|s| *s >= seq).await.is_err() {
                break;
            }
            stored
        } else {
            json!({
                "type": "fdc3.transactionResult",
                "status": "Failed",
                "message": format!("the interaction log takes fdc3.interaction or fdc3.contactList, not {context_type:?}"),
            })
        };
        conn.request(
            "intentResultRequest",
            json!({
                "intentEventUuid": msg["meta"]["eventUuid"],
                "raiseIntentRequestUuid": payload["raiseIntentRequestUuid"],
                "intentResult": { "context": result },
            }),
        );
    }
    Ok(())
}
