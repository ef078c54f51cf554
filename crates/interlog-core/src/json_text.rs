//! A JSON value kept as its text: what the agent hands the ledger for a raise's context.
//!
//! The agent serializes a raised context once, as it records the raise. The ledger's journal
//! embeds that text as it is and the ledger's row stores it as it is, where a
//! `serde_json::Value` would be copied for the record, escaped again by the journal, serialized
//! again for the row and taken apart value by value when dropped.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

/// Valid JSON text, serialized as the JSON it holds (not as a string).
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonText(Box<RawValue>);

impl JsonText {
    /// `value` as compact JSON (object keys in order, as `serde_json` writes them).
    pub fn of(value: &Value) -> JsonText {
        JsonText(serde_json::value::to_raw_value(value).unwrap_or_else(|_| {
            // Serializing a `Value` cannot fail (its map keys are strings); kept total anyway.
            RawValue::from_string("null".to_owned()).expect("null is JSON")
        }))
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for JsonText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_text_is_embedded_as_json_not_as_a_string() {
        let context =
            json!({"type": "fdc3.interaction", "description": "say \"hi\"\n", "n": [1, 2.5]});
        let text = JsonText::of(&context);
        assert_eq!(text.as_str(), serde_json::to_string(&context).unwrap());
        let outer = serde_json::to_string(&json!({"context": 1}))
            .unwrap()
            .replace('1', text.as_str());
        assert_eq!(
            serde_json::to_string(&Wrapper {
                context: text.clone()
            })
            .unwrap(),
            outer
        );
        let back: Wrapper = serde_json::from_str(&outer).unwrap();
        assert_eq!(back.context, text);
        assert_eq!(
            serde_json::from_str::<Value>(back.context.as_str()).unwrap(),
            context
        );
    }

    #[derive(Serialize, Deserialize)]
    struct Wrapper {
        context: JsonText,
    }
}
