//! Columns derived from the context and result JSON, computed once at write time so the history list
//! and its search never have to parse JSON per row.

use serde_json::Value;

use crate::model::Outcome;

/// What the history shows and searches for a raised context.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ContextSummary {
    pub context_type: String,
    pub interaction_type: Option<String>,
    pub description: Option<String>,
    /// Display names (falling back to an id value when a contact has no name).
    pub participants: Vec<String>,
    /// Names and every id value (emails, CRM ids...) joined by spaces: what the search index sees, so a
    /// user can find a raise by a colleague's email as well as by name.
    pub participant_terms: String,
}

/// The fields of a context (JSON text, as the agent records it and the row stores it) that
/// [`summarize_context`] and [`people_of`] read; the rest (a long `notes`, say) is skipped, not
/// built. `None` for text that is not a JSON object.
pub(crate) fn context_fields(text: &str) -> Option<Value> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Fields {
        #[serde(rename = "type")]
        kind: Option<Value>,
        interaction_type: Option<Value>,
        description: Option<Value>,
        participants: Option<Value>,
        contacts: Option<Value>,
        name: Option<Value>,
        id: Option<Value>,
    }
    // A struct would also accept an array (its fields in order): contexts are objects.
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let f: Fields = serde_json::from_str(text).ok()?;
    let fields = [
        ("type", f.kind),
        ("interactionType", f.interaction_type),
        ("description", f.description),
        ("participants", f.participants),
        ("contacts", f.contacts),
        ("name", f.name),
        ("id", f.id),
    ];
    Some(Value::Object(
        fields
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_owned(), v?)))
            .collect(),
    ))
}

/// [`summarize_context`] of a context's JSON text (what is not an object summarizes as nothing).
pub(crate) fn summarize_context_text(text: &str) -> ContextSummary {
    context_fields(text).map_or_else(ContextSummary::default, |c| summarize_context(&c))
}

pub(crate) fn summarize_context(context: &Value) -> ContextSummary {
    let context_type = str_field(context, "type").unwrap_or_default();
    let mut summary = ContextSummary {
        context_type,
        ..ContextSummary::default()
    };
    if summary.context_type == "fdc3.interaction" {
        summary.interaction_type = str_field(context, "interactionType");
        summary.description = str_field(context, "description");
    }
    let mut terms = Vec::new();
    for contact in contacts(context) {
        let ids = id_strings(contact.get("id"));
        let name = str_field(contact, "name").filter(|n| !n.trim().is_empty());
        if let Some(label) = name
            .clone()
            .or_else(|| ids.first().map(|s| (*s).to_owned()))
        {
            summary.participants.push(label);
        }
        terms.extend(name);
        terms.extend(ids.into_iter().map(str::to_owned));
    }
    summary.participant_terms = terms.join(" ");
    summary
}

/// The contacts a context names: an interaction's participants, a contact list's contacts, a
/// contact.
fn contacts(context: &Value) -> Vec<&Value> {
    match context.get("type").and_then(Value::as_str) {
        Some("fdc3.interaction") => contacts_of(context.get("participants")),
        Some("fdc3.contactList") => contacts_of(Some(context)),
        Some("fdc3.contact") => vec![context],
        _ => Vec::new(),
    }
}

/// A person named in a context, for the participant filter's suggestions.
#[derive(Debug, PartialEq)]
pub(crate) struct NamedPerson {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// The people a context names that have a name or an e-mail address (`id.email`).
pub(crate) fn people_of(context: &Value) -> Vec<NamedPerson> {
    contacts(context)
        .into_iter()
        .filter_map(|contact| {
            let name = str_field(contact, "name").filter(|n| !n.trim().is_empty());
            let email = contact
                .get("id")
                .and_then(|id| id.get("email"))
                .and_then(Value::as_str)
                .filter(|e| !e.trim().is_empty())
                .map(str::to_owned);
            (name.is_some() || email.is_some()).then_some(NamedPerson { name, email })
        })
        .collect()
}

/// What the history reads of an `fdc3.transactionResult`.
struct TransactionResultFields {
    status: Option<String>,
    message: Option<String>,
    /// The first string of the record's id map: keyed by the system that holds it
    /// ("Singletrack", "URI", "interlog"...), which the ledger cannot know in advance.
    record_id: Option<String>,
}

/// The fields of a result context's JSON text that the history reads, when it is an
/// `fdc3.transactionResult` object (else `None`). Only those fields are built: the rest, and the
/// record's context but for its `id`, are skipped.
fn transaction_result_fields(text: &str) -> Option<TransactionResultFields> {
    #[derive(serde::Deserialize)]
    struct Fields<'a> {
        #[serde(rename = "type")]
        kind: Option<Value>,
        status: Option<Value>,
        message: Option<Value>,
        #[serde(borrow)]
        context: Option<&'a serde_json::value::RawValue>,
    }
    #[derive(serde::Deserialize)]
    struct Record {
        id: Option<Value>,
    }
    let is_object = |t: &str| t.trim_start().starts_with('{');
    if !is_object(text) {
        return None;
    }
    let f: Fields<'_> = serde_json::from_str(text).ok()?;
    if f.kind.as_ref().and_then(Value::as_str) != Some("fdc3.transactionResult") {
        return None;
    }
    let as_string = |v: Option<Value>| match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let record_id = f
        .context
        .map(|raw| raw.get())
        .filter(|t| is_object(t))
        .and_then(|t| serde_json::from_str::<Record>(t).ok())
        .and_then(|r| id_strings(r.id.as_ref()).first().map(|s| (*s).to_owned()));
    Some(TransactionResultFields {
        status: as_string(f.status),
        message: as_string(f.message),
        record_id,
    })
}

/// The columns written when a raise completes.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Completion {
    pub state: &'static str,
    /// JSON text: `{"context":..}`, `{"channel":..}` or `{}`.
    pub result: Option<String>,
    pub result_status: Option<String>,
    pub result_message: Option<String>,
    pub record_id: Option<String>,
    pub error: Option<String>,
}

pub(crate) fn completion(outcome: &Outcome) -> Result<Completion, serde_json::Error> {
    // `{"<key>":<v>}`, written straight from `v` (a `json!` object would copy the whole result first).
    let wrap = |key: &str, v: &Value| -> Result<String, serde_json::Error> {
        Ok(format!(
            "{{{}:{}}}",
            serde_json::to_string(key)?,
            serde_json::to_string(v)?
        ))
    };
    Ok(match outcome {
        Outcome::Error(e) => Completion {
            state: "failed",
            error: Some(e.clone()),
            ..Completion::default()
        },
        Outcome::Void => Completion {
            state: "completed",
            result: Some("{}".to_owned()),
            ..Completion::default()
        },
        Outcome::Channel(channel) => Completion {
            state: "completed",
            result: Some(wrap("channel", channel)?),
            ..Completion::default()
        },
        Outcome::Context(ctx) => {
            let text = ctx.as_str();
            let mut c = Completion {
                state: "completed",
                result: Some(format!("{{\"context\":{text}}}")),
                ..Completion::default()
            };
            if let Some(fields) = transaction_result_fields(text) {
                c.result_status = fields.status;
                c.result_message = fields.message;
                c.record_id = fields.record_id;
            }
            c
        }
    })
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn contacts_of(list: Option<&Value>) -> Vec<&Value> {
    list.and_then(|l| l.get("contacts"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter(|c| c.is_object()).collect())
        .unwrap_or_default()
}

/// String values of an FDC3 `id` map, in the map's order (tolerating a bare string id too).
fn id_strings(id: Option<&Value>) -> Vec<&str> {
    match id {
        Some(Value::String(s)) if !s.is_empty() => vec![s.as_str()],
        Some(Value::Object(map)) => map
            .values()
            .filter_map(Value::as_str)
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JsonText;
    use serde_json::json;

    #[test]
    fn interaction_participants_fall_back_to_id_values() {
        let ctx = json!({
            "type": "fdc3.interaction",
            "interactionType": "Call",
            "description": "Quarterly",
            "participants": {"type": "fdc3.contactList", "contacts": [
                {"type": "fdc3.contact", "name": "Jane Doe", "id": {"email": "jane@x.com"}},
                {"type": "fdc3.contact", "id": {"FDS_ID": "ABC-1"}},
                {"type": "fdc3.contact"},
                "not a contact"
            ]}
        });
        let s = summarize_context(&ctx);
        assert_eq!(s.context_type, "fdc3.interaction");
        assert_eq!(s.interaction_type.as_deref(), Some("Call"));
        assert_eq!(s.description.as_deref(), Some("Quarterly"));
        assert_eq!(s.participants, vec!["Jane Doe", "ABC-1"]);
        assert_eq!(s.participant_terms, "Jane Doe jane@x.com ABC-1");
    }

    #[test]
    fn the_text_summarizes_as_the_value_does() {
        let fixture: Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/create-interaction.context.json"
        ))
        .expect("fixture");
        let contexts = [
            fixture,
            json!({"type": "fdc3.contactList", "contacts": [{"name": "A", "id": {"email": "a@x"}}, 7]}),
            json!({"type": "fdc3.contact", "name": "Ann", "id": "solo"}),
            json!({"type": "fdc3.interaction", "description": 5, "interactionType": null,
                   "notes": {"deep": ["skipped", {"x": 1}]}, "participants": []}),
            json!({"type": "fdc3.instrument", "id": {"ticker": "AAPL"}}),
            json!({"id": {"email": "no type"}}),
        ];
        for context in contexts {
            let text = serde_json::to_string(&context).expect("json");
            assert_eq!(
                summarize_context_text(&text),
                summarize_context(&context),
                "{text}"
            );
        }
        // Text that is not an object names nothing, and is no error.
        for text in ["[]", "\"fdc3.contact\"", "null", "{not json"] {
            assert_eq!(
                summarize_context_text(text),
                ContextSummary::default(),
                "{text}"
            );
        }
    }

    #[test]
    fn contact_list_and_plain_contexts() {
        let list = json!({"type": "fdc3.contactList", "contacts": [{"name": "A"}, {"name": "B"}]});
        assert_eq!(summarize_context(&list).participants, vec!["A", "B"]);
        // An interaction-looking field on another type must not leak into the interaction columns.
        let other =
            json!({"type": "fdc3.instrument", "description": "x", "id": {"ticker": "AAPL"}});
        let s = summarize_context(&other);
        assert_eq!(s.context_type, "fdc3.instrument");
        assert_eq!(s.description, None);
        assert!(s.participants.is_empty());
        assert_eq!(summarize_context(&json!(42)).context_type, "");
    }

    #[test]
    fn transaction_result_yields_status_and_record_id() {
        let result = json!({
            "type": "fdc3.transactionResult", "status": "Updated", "message": "ok",
            "context": {"type": "fdc3.interaction", "id": {"URI": "rec-9"}}
        });
        let c = completion(&Outcome::Context(JsonText::of(&result))).expect("serializable");
        assert_eq!(c.state, "completed");
        assert_eq!(c.result_status.as_deref(), Some("Updated"));
        assert_eq!(c.result_message.as_deref(), Some("ok"));
        assert_eq!(c.record_id.as_deref(), Some("rec-9"));

        let plain = completion(&Outcome::Context(JsonText::of(
            &json!({"type": "fdc3.nothing"}),
        )))
        .expect("ok");
        assert_eq!(plain.record_id, None);
        assert_eq!(
            plain.result.as_deref(),
            Some(r#"{"context":{"type":"fdc3.nothing"}}"#)
        );

        // What is odd is stored, and only what is well-formed is read.
        for (odd, status, record) in [
            (
                json!({"type": "fdc3.transactionResult", "status": 3, "context": "rec"}),
                None,
                None,
            ),
            (
                json!({"type": "fdc3.transactionResult", "context": {"id": "bare"}}),
                None,
                Some("bare"),
            ),
            (
                json!({"type": "fdc3.transactionResult", "status": "Failed", "context": {"id": {"a": 1, "b": "x"}}}),
                Some("Failed"),
                Some("x"),
            ),
            (
                json!({"status": "Created", "context": {"id": {"URI": "r"}}}),
                None,
                None,
            ),
        ] {
            let c = completion(&Outcome::Context(JsonText::of(&odd))).expect("ok");
            assert_eq!(c.result_status.as_deref(), status, "{odd}");
            assert_eq!(c.record_id.as_deref(), record, "{odd}");
            assert_eq!(c.result, Some(json!({"context": odd}).to_string()));
        }

        let void = completion(&Outcome::Void).expect("ok");
        assert_eq!(void.result.as_deref(), Some("{}"));

        let failed = completion(&Outcome::Error("NoAppsFound".into())).expect("ok");
        assert_eq!(failed.state, "failed");
        assert_eq!(failed.result, None);
        assert_eq!(failed.error.as_deref(), Some("NoAppsFound"));
    }
}
