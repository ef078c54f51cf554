//! Remembered resolver choices: "always use this app for <intent> with <context type> from
//! <raiser>". A raise that would show the resolver, and whose intent, context type and raiser
//! match a remembered choice, goes to that app at once (a running instance, else a new one) and
//! is recorded as resolved by it. A choice whose app is gone or no longer handles the intent is
//! not among the options, so it is ignored and the dialog is shown.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RememberedChoice {
    pub intent: String,
    pub context_type: String,
    /// The raising app the choice is for.
    pub raiser_app_id: String,
    /// The app that handles it.
    pub app_id: String,
}

impl RememberedChoice {
    fn same_question(&self, other: &RememberedChoice) -> bool {
        self.intent == other.intent
            && self.context_type == other.context_type
            && self.raiser_app_id == other.raiser_app_id
    }
}

#[derive(Debug, Clone, Default)]
pub struct RememberedChoices {
    list: Vec<RememberedChoice>,
}

impl RememberedChoices {
    pub fn new(list: Vec<RememberedChoice>) -> Self {
        let mut choices = RememberedChoices::default();
        for c in list {
            choices.remember(c);
        }
        choices
    }

    pub fn list(&self) -> &[RememberedChoice] {
        &self.list
    }

    /// The app remembered for this question, if any.
    pub fn find(&self, intent: &str, context_type: &str, raiser_app_id: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|c| {
                c.intent == intent
                    && c.context_type == context_type
                    && c.raiser_app_id == raiser_app_id
            })
            .map(|c| c.app_id.as_str())
    }

    /// Remembers `choice`, replacing an earlier answer to the same question.
    pub fn remember(&mut self, choice: RememberedChoice) {
        match self.list.iter_mut().find(|c| c.same_question(&choice)) {
            Some(c) => *c = choice,
            None => self.list.push(choice),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(raiser: &str, app: &str) -> RememberedChoice {
        RememberedChoice {
            intent: "CreateInteraction".into(),
            context_type: "fdc3.interaction".into(),
            raiser_app_id: raiser.into(),
            app_id: app.into(),
        }
    }

    #[test]
    fn one_answer_per_question_the_latest() {
        let mut c = RememberedChoices::new(vec![choice("chat", "crm-a"), choice("chat", "crm-b")]);
        assert_eq!(c.list().len(), 1);
        assert_eq!(
            c.find("CreateInteraction", "fdc3.interaction", "chat"),
            Some("crm-b")
        );
        c.remember(choice("mail", "crm-a"));
        assert_eq!(
            c.find("CreateInteraction", "fdc3.interaction", "mail"),
            Some("crm-a")
        );
        assert_eq!(
            c.find("CreateInteraction", "fdc3.contactList", "chat"),
            None
        );
        assert_eq!(c.find("ViewInteractions", "fdc3.interaction", "chat"), None);
    }
}
