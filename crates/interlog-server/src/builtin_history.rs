//! The built-in `interlog.history` app: handles ViewInteractions by asking the UI to show the
//! history searching for the contact, contacts or organisation it was given, and returns no
//! result (void).

use std::time::Duration;

use interlog_core::builtin::HISTORY_IDENTITY_URL;
use serde_json::{json, Value};

use crate::local::{LocalConnection, LocalError};
use crate::runtime::{AgentHandle, UiEvent};

pub const INTENT: &str = "ViewInteractions";

/// What the history searches for, and a title for the user, for a ViewInteractions context:
/// a contact by its email (the most precise id), else its name; a contact list by its first
/// contact; an organisation by its name. `None` for anything else.
pub fn search_for(context: &Value) -> Option<(String, String)> {
    let text = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let contact = |c: &Value| {
        let name = text(c, "name");
        let email = c.get("id").and_then(|id| text(id, "email"));
        let search = email.clone().or_else(|| name.clone())?;
        let title = match (name, email) {
            (Some(n), Some(e)) => format!("{n} ({e})"),
            (Some(n), None) => n,
            (None, Some(e)) => e,
            (None, None) => return None,
        };
        Some((search, title))
    };
    match context.get("type").and_then(Value::as_str)? {
        "fdc3.contact" => contact(context),
        "fdc3.contactList" => context
            .get("contacts")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find_map(contact)),
        "fdc3.organization" => {
            let name = text(context, "name")?;
            Some((name.clone(), name))
        }
        _ => None,
    }
}

/// Runs the handler until the agent stops.
pub async fn run(handle: AgentHandle) -> Result<(), LocalError> {
    let mut conn = LocalConnection::connect(&handle, HISTORY_IDENTITY_URL).await?;
    let listen = conn.request("addIntentListenerRequest", json!({ "intent": INTENT }));
    conn.response(&listen, Duration::from_secs(10)).await?;
    while let Some(msg) = conn.recv().await {
        if conn.answer_heartbeat(&msg) || msg["type"] != "intentEvent" {
            continue;
        }
        let payload = &msg["payload"];
        match search_for(&payload["context"]) {
            Some((search, title)) => handle.notify_ui(UiEvent::ShowHistory { search, title }),
            // The directory offers it only for contacts and organisations; a raise aimed at it
            // with something else gets an empty answer and nothing is shown.
            None => {
                tracing::info!(context = %payload["context"]["type"], "ViewInteractions without a contact")
            }
        }
        let request = json!({
            "intentEventUuid": msg["meta"]["eventUuid"],
            "raiseIntentRequestUuid": payload["raiseIntentRequestUuid"],
            "intentResult": {},
        });
        conn.request("intentResultRequest", request);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_is_searched_by_email_and_titled_by_name() {
        let c = json!({"type": "fdc3.contact", "name": "Jane Doe", "id": {"email": "jane.doe@mail.com"}});
        assert_eq!(
            search_for(&c),
            Some((
                "jane.doe@mail.com".into(),
                "Jane Doe (jane.doe@mail.com)".into()
            ))
        );
        let named = json!({"type": "fdc3.contact", "name": "Jane Doe", "id": {}});
        assert_eq!(
            search_for(&named),
            Some(("Jane Doe".into(), "Jane Doe".into()))
        );
    }

    #[test]
    fn lists_and_organisations_and_others() {
        let list = json!({"type": "fdc3.contactList", "contacts": [
            {"type": "fdc3.contact", "id": {}},
            {"type": "fdc3.contact", "name": "John Doe", "id": {"email": "john.doe@mail.com"}}
        ]});
        assert_eq!(
            search_for(&list).map(|s| s.0),
            Some("john.doe@mail.com".into())
        );
        let org = json!({"type": "fdc3.organization", "name": "Cargill", "id": {}});
        assert_eq!(search_for(&org).map(|s| s.0), Some("Cargill".into()));
        assert_eq!(
            search_for(&json!({"type": "fdc3.instrument", "id": {"ticker": "X"}})),
            None
        );
    }
}
