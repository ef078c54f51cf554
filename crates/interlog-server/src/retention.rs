//! Retention: with `retentionDays` set in the settings, records older than that are removed in
//! small batches (see the store's `retention.rs`), each in one of the writer's ordinary commits,
//! so raises go on between them. Unset (the default), records are kept forever.

use std::time::Duration;

use interlog_store::{Ledger, LedgerWrite};

/// Rows removed per commit: a short addition to one commit, not a pause.
pub const BATCH: u32 = 200;
/// How often the ledger is looked at for expired records.
pub const CHECK_EVERY: Duration = Duration::from_secs(600);
/// Between two batches while expired records remain.
const BETWEEN_BATCHES: Duration = Duration::from_millis(250);
const DAY_MS: i64 = 86_400_000;

/// How long records are kept, as the running agent applies it: read and changed (the settings
/// window) while it runs.
#[derive(Clone)]
pub struct Retention {
    days: tokio::sync::watch::Sender<Option<u32>>,
}

impl Retention {
    /// Days records are kept (none: forever).
    pub fn days(&self) -> Option<u32> {
        *self.days.borrow()
    }

    /// Keeps records `days` (none: forever) from now on; expired ones go at once. Zero is refused
    /// by the caller (it would remove everything).
    pub fn set(&self, days: Option<u32>) {
        self.days.send_replace(days);
    }
}

/// Starts the retention task, keeping records `days` (none: forever) until told otherwise.
pub fn spawn(ledger: Ledger, days: Option<u32>) -> Retention {
    let (tx, mut rx) = tokio::sync::watch::channel(days);
    tokio::spawn(async move {
        loop {
            let days = *rx.borrow_and_update();
            if let Some(days) = days {
                let cutoff = crate::runtime::now_ms() - i64::from(days) * DAY_MS;
                if let Err(e) = expire(&ledger, cutoff).await {
                    tracing::warn!(error = %e, "retention could not remove expired records");
                }
            }
            tokio::select! {
                changed = rx.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    tracing::info!(days = ?*rx.borrow(), "retention changed");
                }
                _ = tokio::time::sleep(CHECK_EVERY) => {}
            }
        }
    });
    Retention { days: tx }
}

/// Removes everything older than `cutoff_ms`, a batch at a time.
pub async fn expire(ledger: &Ledger, cutoff_ms: i64) -> Result<(), interlog_store::StoreError> {
    loop {
        let check = ledger.clone();
        let due = tokio::task::spawn_blocking(move || check.expiry_due(cutoff_ms))
            .await
            .map_err(|_| interlog_store::StoreError::Closed)??;
        if !due {
            return Ok(());
        }
        let write = ledger.clone();
        tokio::task::spawn_blocking(move || {
            write.write_blocking(LedgerWrite::Expire {
                before_ms: cutoff_ms,
                max_rows: BATCH,
                at_ms: crate::runtime::now_ms(),
            })
        })
        .await
        .map_err(|_| interlog_store::StoreError::Closed)??;
        tokio::time::sleep(BETWEEN_BATCHES).await;
    }
}
