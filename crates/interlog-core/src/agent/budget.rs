//! What one app may put through the agent's raises: a rate (raises a minute, with a burst of a
//! minute's worth) and a context size. A raise over either is refused with an FDC3 error and
//! recorded as refused for that reason, so one app cannot flood the ledger or the handlers.

use std::collections::HashMap;

use serde_json::Value;

use crate::errors::Fdc3Error;
use crate::message::{approx_json_bytes, Millis};

/// An app's budget (`settings.json`: `raiseBudget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RaiseBudget {
    /// Raises a minute; unused ones are saved up to one minute's worth.
    pub per_minute: u32,
    /// The largest context a raise may carry, as JSON text.
    pub max_context_bytes: usize,
}

impl Default for RaiseBudget {
    fn default() -> Self {
        RaiseBudget {
            per_minute: 600,
            max_context_bytes: 256 * 1024,
        }
    }
}

/// Why a raise was over budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverBudget {
    TooLarge { bytes: usize },
    TooFrequent,
}

impl OverBudget {
    /// The FDC3 error the raiser gets.
    pub fn error(self) -> Fdc3Error {
        match self {
            OverBudget::TooLarge { .. } => Fdc3Error::MalformedContext,
            OverBudget::TooFrequent => Fdc3Error::IntentDeliveryFailed,
        }
    }
}

/// Each app's saved-up raises (a token bucket per app id).
#[derive(Debug, Default)]
pub struct Budgets {
    by_app: HashMap<String, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Raises available, in thousandths.
    milli_tokens: u64,
    at_ms: Millis,
}

impl Budgets {
    /// Takes one raise of `context` from `app_id`'s budget, or says why it cannot.
    pub fn spend(
        &mut self,
        budget: RaiseBudget,
        app_id: &str,
        context: &Value,
        now: Millis,
    ) -> Result<(), OverBudget> {
        let bytes = approx_json_bytes(context);
        if bytes > budget.max_context_bytes {
            return Err(OverBudget::TooLarge { bytes });
        }
        let full = u64::from(budget.per_minute) * 1000;
        let bucket = self.by_app.entry(app_id.to_owned()).or_insert(Bucket {
            milli_tokens: full,
            at_ms: now,
        });
        // per_minute tokens a minute = per_minute thousandths a 60 ms.
        let elapsed = u64::try_from(now.saturating_sub(bucket.at_ms)).unwrap_or(0);
        let refill = elapsed.saturating_mul(u64::from(budget.per_minute)) / 60;
        bucket.milli_tokens = bucket.milli_tokens.saturating_add(refill).min(full);
        bucket.at_ms = now;
        if bucket.milli_tokens < 1000 {
            return Err(OverBudget::TooFrequent);
        }
        bucket.milli_tokens -= 1000;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_minutes_worth_then_one_a_rate_interval() {
        let budget = RaiseBudget {
            per_minute: 60,
            max_context_bytes: 1000,
        };
        let mut b = Budgets::default();
        let c = json!({"type": "fdc3.contact"});
        for _ in 0..60 {
            assert_eq!(b.spend(budget, "chat", &c, 0), Ok(()));
        }
        assert_eq!(b.spend(budget, "chat", &c, 0), Err(OverBudget::TooFrequent));
        // Another app has its own budget.
        assert_eq!(b.spend(budget, "crm", &c, 0), Ok(()));
        // One a second comes back.
        assert_eq!(
            b.spend(budget, "chat", &c, 999),
            Err(OverBudget::TooFrequent)
        );
        assert_eq!(b.spend(budget, "chat", &c, 1000), Ok(()));
        // Saved up to a minute's worth only.
        for _ in 0..60 {
            assert_eq!(b.spend(budget, "chat", &c, 10_000_000), Ok(()));
        }
        assert!(b.spend(budget, "chat", &c, 10_000_000).is_err());
    }

    #[test]
    fn a_context_over_the_size_is_refused_without_spending() {
        let budget = RaiseBudget {
            per_minute: 1,
            max_context_bytes: 100,
        };
        let mut b = Budgets::default();
        let big = json!({"type": "fdc3.contact", "name": "x".repeat(200)});
        assert!(matches!(
            b.spend(budget, "chat", &big, 0),
            Err(OverBudget::TooLarge { .. })
        ));
        assert_eq!(b.spend(budget, "chat", &json!({"type": "a"}), 0), Ok(()));
    }
}
