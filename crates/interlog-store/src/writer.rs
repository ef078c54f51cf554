//! The writer thread: the only owner of the write connection.
//!
//! With `synchronous=FULL` every commit costs an fsync, which dwarfs the cost of the inserts
//! themselves. So the thread blocks for one write, then takes everything else already queued and
//! commits the lot in one transaction (group commit): under load, many raises share one fsync.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};

use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use tokio::sync::watch;

use crate::error::StoreError;
use crate::extract::{completion, summarize_context};
use crate::model::LedgerWrite;

/// Most writes per transaction. Bounds how long a transaction holds the write lock and how much work one
/// bad write costs when a batch has to be replayed one by one.
pub(crate) const MAX_BATCH: usize = 512;

/// A submitted write on its way to the writer.
pub(crate) struct Pending {
    pub seq: u64,
    pub write: LedgerWrite,
    /// Present for `write_blocking`, which wants to hear this write's own fate.
    pub ack: Option<SyncSender<Result<(), StoreError>>>,
}

/// Runs until every sender is gone, writing everything that was queued before that.
pub(crate) fn run(
    mut conn: Connection,
    queue: Receiver<Pending>,
    committed: watch::Sender<u64>,
    commits: &AtomicU64,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // recv() fails only once all senders are dropped *and* the queue is empty, so leaving the loop
    // means everything submitted before close() has been written.
    while let Ok(first) = queue.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let results = commit_batch(&mut conn, &batch, commits);
        // Submitters hold the queue lock while numbering and sending, so the queue is in sequence order:
        // the last write of this batch is the highest number, and every lower one is already done.
        if let Some(last) = batch.last() {
            committed.send_replace(last.seq);
        }
        for (pending, result) in batch.drain(..).zip(results) {
            if let Some(ack) = pending.ack {
                // The caller may have given up waiting; its write is recorded regardless.
                let _ = ack.send(result);
            }
        }
    }
    tracing::debug!("ledger writer stopped");
}

/// Commits `batch` as one transaction or, if that fails, each write in its own transaction so that one
/// bad write cannot take the others down with it. Returns each write's result, in order.
pub(crate) fn commit_batch(
    conn: &mut Connection,
    batch: &[Pending],
    commits: &AtomicU64,
) -> Vec<Result<(), StoreError>> {
    let grouped = apply_in_transaction(conn, batch.iter().map(|p| &p.write));
    let error = match grouped {
        Ok(()) => {
            commits.fetch_add(1, Ordering::Relaxed);
            return batch.iter().map(|_| Ok(())).collect();
        }
        Err(error) => error,
    };
    if let [only] = batch {
        report_failure(only, &error);
        return vec![Err(error)];
    }
    tracing::warn!(%error, writes = batch.len(), "grouped ledger commit failed; retrying writes one by one");
    batch
        .iter()
        .map(|pending| {
            let result = apply_in_transaction(conn, std::iter::once(&pending.write));
            match &result {
                Ok(()) => {
                    commits.fetch_add(1, Ordering::Relaxed);
                }
                Err(error) => report_failure(pending, error),
            }
            result
        })
        .collect()
}

fn report_failure(pending: &Pending, error: &StoreError) {
    tracing::error!(
        seq = pending.seq,
        raise_key = pending.write.raise_key().unwrap_or(""),
        %error,
        "ledger write failed and was not recorded"
    );
}

fn apply_in_transaction<'a>(
    conn: &mut Connection,
    writes: impl IntoIterator<Item = &'a LedgerWrite>,
) -> Result<(), StoreError> {
    // IMMEDIATE so the busy timeout applies to taking the write lock, instead of a deferred transaction
    // failing at its first write if another process holds the lock.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for write in writes {
        apply(&tx, write)?;
    }
    tx.commit()?;
    Ok(())
}

fn apply(tx: &Transaction<'_>, write: &LedgerWrite) -> Result<(), StoreError> {
    match write {
        LedgerWrite::Raised(r) => {
            let summary = summarize_context(&r.context);
            let target = r.target.as_ref().map(serde_json::to_string).transpose()?;
            tx.prepare_cached(
                "INSERT INTO raises (raise_key, raised_at_ms, raiser_app, raiser_instance, request_uuid,
                     intent, context, target, candidates, context_type, interaction_type, description,
                     participants, participant_terms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                r.raise_key,
                r.raised_at_ms,
                r.raiser_app,
                r.raiser_instance,
                r.request_uuid,
                r.intent,
                serde_json::to_string(&r.context)?,
                target,
                serde_json::to_string(&r.candidates)?,
                summary.context_type,
                summary.interaction_type,
                summary.description,
                serde_json::to_string(&summary.participants)?,
                summary.participant_terms,
            ])?;
        }
        LedgerWrite::Resolved {
            raise_key,
            at_ms,
            resolution,
            handler_app,
            handler_instance,
        } => {
            // State only moves forward: if a later stage was somehow recorded first, keep it.
            let changed = tx
                .prepare_cached(
                    "UPDATE raises SET resolution = ?2, handler_app = ?3, handler_instance = ?4,
                         resolved_at_ms = ?5,
                         state = CASE state WHEN 'raised' THEN 'resolved' ELSE state END
                     WHERE raise_key = ?1",
                )?
                .execute(params![
                    raise_key,
                    resolution.as_str(),
                    handler_app,
                    handler_instance,
                    at_ms
                ])?;
            warn_if_unknown(changed, raise_key, "resolved");
        }
        LedgerWrite::Delivered { raise_key, at_ms } => {
            // The handler's result can race the "delivered" note; never let it undo a final state.
            let changed = tx
                .prepare_cached(
                    "UPDATE raises SET delivered_at_ms = ?2,
                         state = CASE WHEN state IN ('raised', 'resolved') THEN 'delivered' ELSE state END
                     WHERE raise_key = ?1",
                )?
                .execute(params![raise_key, at_ms])?;
            warn_if_unknown(changed, raise_key, "delivered");
        }
        LedgerWrite::Completed {
            raise_key,
            at_ms,
            outcome,
        } => {
            let c = completion(outcome)?;
            let changed = tx
                .prepare_cached(
                    "UPDATE raises SET completed_at_ms = ?2, state = ?3, result = ?4, result_status = ?5,
                         result_message = ?6, record_id = ?7, error = ?8
                     WHERE raise_key = ?1",
                )?
                .execute(params![
                    raise_key,
                    at_ms,
                    c.state,
                    c.result,
                    c.result_status,
                    c.result_message,
                    c.record_id,
                    c.error
                ])?;
            warn_if_unknown(changed, raise_key, "completed");
        }
        LedgerWrite::InteractionLogged {
            record_id,
            raise_key,
            at_ms,
            interaction,
        } => {
            // Logging the same record again (an update of the interaction) replaces it: the id is the
            // record's identity, as the transactionResult told the raiser.
            tx.prepare_cached(
                "INSERT INTO interactions (record_id, raise_key, logged_at_ms, interaction)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (record_id) DO UPDATE SET raise_key = excluded.raise_key,
                     logged_at_ms = excluded.logged_at_ms, interaction = excluded.interaction",
            )?
            .execute(params![
                record_id,
                raise_key,
                at_ms,
                serde_json::to_string(interaction)?
            ])?;
        }
    }
    Ok(())
}

/// An update for a raise the ledger never saw is a caller bug or a lost `Raised`; failing the write
/// would not bring the raise back, so it is noted and skipped.
fn warn_if_unknown(changed: usize, raise_key: &str, stage: &str) {
    if changed == 0 {
        tracing::warn!(
            raise_key,
            stage,
            "ledger update for an unknown raise ignored"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::migrate;
    use crate::model::RaiseRecord;
    use serde_json::json;

    fn raise(key: &str) -> Pending {
        Pending {
            seq: 0,
            write: LedgerWrite::Raised(RaiseRecord {
                raise_key: key.to_owned(),
                raised_at_ms: 1,
                raiser_app: "app".into(),
                raiser_instance: "i".into(),
                request_uuid: "r".into(),
                intent: Some("ViewChart".into()),
                context: json!({"type": "fdc3.instrument"}),
                target: None,
                candidates: json!([]),
            }),
            ack: None,
        }
    }

    fn keys(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT raise_key FROM raises ORDER BY id")
            .expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    #[test]
    fn one_bad_write_does_not_lose_its_batch() {
        let mut conn = Connection::open_in_memory().expect("db");
        migrate(&mut conn).expect("migrate");
        let commits = AtomicU64::new(0);
        // The duplicate raise_key violates UNIQUE and so fails the grouped transaction.
        let batch = [raise("a"), raise("b"), raise("a"), raise("c")];
        let results = commit_batch(&mut conn, &batch, &commits);
        let ok: Vec<bool> = results.iter().map(Result::is_ok).collect();
        assert_eq!(ok, [true, true, false, true]);
        assert_eq!(keys(&conn), ["a", "b", "c"]);
        assert_eq!(commits.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn a_good_batch_is_one_commit() {
        let mut conn = Connection::open_in_memory().expect("db");
        migrate(&mut conn).expect("migrate");
        let commits = AtomicU64::new(0);
        let batch = [raise("a"), raise("b"), raise("c")];
        assert!(commit_batch(&mut conn, &batch, &commits)
            .iter()
            .all(Result::is_ok));
        assert_eq!(commits.load(Ordering::Relaxed), 1);
        assert_eq!(keys(&conn), ["a", "b", "c"]);
    }

    #[test]
    fn state_never_moves_backwards() {
        let mut conn = Connection::open_in_memory().expect("db");
        migrate(&mut conn).expect("migrate");
        let commits = AtomicU64::new(0);
        let later = |write| Pending {
            seq: 0,
            write,
            ack: None,
        };
        let batch = [
            raise("a"),
            later(LedgerWrite::Completed {
                raise_key: "a".into(),
                at_ms: 3,
                outcome: crate::model::Outcome::Void,
            }),
            later(LedgerWrite::Delivered {
                raise_key: "a".into(),
                at_ms: 2,
            }),
        ];
        assert!(commit_batch(&mut conn, &batch, &commits)
            .iter()
            .all(Result::is_ok));
        let (state, delivered): (String, Option<i64>) = conn
            .query_row(
                "SELECT state, delivered_at_ms FROM raises WHERE raise_key = 'a'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("row");
        assert_eq!(state, "completed");
        assert_eq!(delivered, Some(2));
    }
}
