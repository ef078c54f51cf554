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

/// Starts the retention task for `days` (none: keep everything, no task).
pub fn spawn(ledger: Ledger, days: Option<u32>) {
    let Some(days) = days else {
        return;
    };
    tokio::spawn(async move {
        loop {
            let cutoff = crate::runtime::now_ms() - i64::from(days) * DAY_MS;
            if let Err(e) = expire(&ledger, cutoff).await {
                tracing::warn!(error = %e, "retention could not remove expired records");
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    });
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
