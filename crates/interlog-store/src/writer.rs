//! Applying writes: what each write does to the rows, the seals and the search index.
//!
//! The applying thread (`writer_thread.rs`) applies journaled writes in batches, each batch one
//! transaction. Within it, the stages of one raise are folded into one statement (see [`plan`]), and
//! every few hundred raises the transaction also moves finished rows into the search index
//! (`index.rs`). A batch that fails is applied again write by write, so one bad write cannot lose
//! the others.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, params_from_iter, Connection, ToSql, Transaction, TransactionBehavior};
use serde_json::Value;
use tokio::sync::watch;

use crate::error::StoreError;
use crate::extract::{completion, summarize_context_text, Completion};
use crate::index;
use crate::journal;
use crate::model::{LedgerWrite, RaiseRecord, Resolution};
use crate::seal;

/// Most writes per transaction. Bounds how long a transaction holds the write lock and how much work one
/// bad write costs when a batch has to be replayed one by one.
pub(crate) const MAX_BATCH: usize = 512;

/// A submitted write on its way to the writer.
pub(crate) struct Pending {
    pub seq: u64,
    pub write: LedgerWrite,
    /// Present for `write_blocking`, which wants to hear this write's own fate.
    pub ack: Option<SyncSender<Result<(), StoreError>>>,
    /// Its entry in the journal, once journaled: the transaction that applies it moves the ledger's
    /// applied mark past it.
    pub journal_id: Option<i64>,
}

/// How the writer waits out a failing machine (see [`StoreError::is_environmental`]): the writes
/// are held, in order, and tried again with a growing pause, and the ledger's health says what is
/// wrong. Nothing waiting on them goes ahead meanwhile (a raise is durable before it is delivered),
/// and nothing is dropped: once the disk has room again, or the lock is released, they commit.
pub(crate) struct Hold {
    /// Shared by the journal's thread and the applying thread: each clears only what it reported.
    health: Arc<watch::Sender<Option<String>>>,
    reported: Option<String>,
    closing: Arc<AtomicBool>,
    pause: Duration,
    tries_while_closing: u32,
}

impl Hold {
    const FIRST_PAUSE: Duration = Duration::from_millis(50);
    const LONGEST_PAUSE: Duration = Duration::from_secs(2);
    /// Once the ledger is closing, a write still failing after this many more tries is given up
    /// (and logged), so that shutting down cannot hang on a full disk.
    const TRIES_WHILE_CLOSING: u32 = 2;

    pub(crate) fn new(
        health: Arc<watch::Sender<Option<String>>>,
        closing: Arc<AtomicBool>,
    ) -> Hold {
        Hold {
            health,
            reported: None,
            closing,
            pause: Self::FIRST_PAUSE,
            tries_while_closing: 0,
        }
    }

    /// After an environmental failure of `writes` writes: reports it, pauses, and says whether to
    /// try the same writes again.
    pub(crate) fn wait(&mut self, error: &StoreError, writes: usize) -> bool {
        let message = error.to_string();
        if self.health.borrow().as_deref() != Some(message.as_str()) {
            tracing::error!(
                %error,
                writes,
                "the ledger cannot write; holding these writes, and what waits for them, until it can"
            );
            self.health.send_replace(Some(message.clone()));
        }
        self.reported = Some(message);
        if self.closing.load(Ordering::Acquire) {
            self.tries_while_closing += 1;
            if self.tries_while_closing > Self::TRIES_WHILE_CLOSING {
                return false;
            }
        }
        std::thread::sleep(self.pause);
        self.pause = (self.pause * 2).min(Self::LONGEST_PAUSE);
        true
    }

    pub(crate) fn recovered(&mut self) {
        self.pause = Self::FIRST_PAUSE;
        self.tries_while_closing = 0;
        if let Some(reported) = self.reported.take() {
            if self.health.borrow().as_deref() == Some(reported.as_str()) {
                tracing::info!("the ledger writes again; held writes committed");
                self.health.send_replace(None);
            }
        }
    }
}

/// Commits `batch` as one transaction or, if that fails, each write in its own transaction so that one
/// bad write cannot take the others down with it. Returns each write's result, in order. A failure of
/// the machine rather than of a write is waited out (see [`Hold`]), not counted against the writes.
pub(crate) fn commit_batch(
    conn: &mut Connection,
    batch: &[Pending],
    commits: &AtomicU64,
    hold: &mut Hold,
) -> Vec<Result<(), StoreError>> {
    let error = loop {
        match apply_in_transaction(conn, batch, true) {
            Ok(()) => {
                commits.fetch_add(1, Ordering::Relaxed);
                hold.recovered();
                return batch.iter().map(|_| Ok(())).collect();
            }
            Err(error) if error.is_environmental() && hold.wait(&error, batch.len()) => {}
            Err(error) => break error,
        }
    };
    if let [only] = batch {
        report_failure(only, &error);
        return vec![Err(error)];
    }
    tracing::warn!(%error, writes = batch.len(), "grouped ledger commit failed; retrying writes one by one");
    batch
        .iter()
        .map(|pending| {
            let result = loop {
                match apply_in_transaction(conn, std::slice::from_ref(pending), false) {
                    Err(error) if error.is_environmental() && hold.wait(&error, 1) => {}
                    other => break other,
                }
            };
            match &result {
                Ok(()) => {
                    commits.fetch_add(1, Ordering::Relaxed);
                    hold.recovered();
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

/// Applies `writes` in one transaction, moving the journal's applied mark past them; a journaled write
/// at or below the mark was applied already (by another process, after a crash) and is skipped. With `index_rows`, the search index also
/// takes in the rows waiting for it, if enough are (riding on a commit that happens anyway).
fn apply_in_transaction(
    conn: &mut Connection,
    writes: &[Pending],
    index_rows: bool,
) -> Result<(), StoreError> {
    // IMMEDIATE so the busy timeout applies to taking the write lock, instead of a deferred transaction
    // failing at its first write if another process holds the lock.
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let through = journal::applied_through(&tx)?;
    let mut ours = Vec::with_capacity(writes.len());
    let mut newest = None;
    for pending in writes {
        match pending.journal_id {
            Some(id) if id <= through => {}
            Some(id) => {
                newest = newest.max(Some(id));
                ours.push(&pending.write);
            }
            None => ours.push(&pending.write),
        }
    }
    if let Some(id) = newest {
        journal::mark_applied(&tx, id)?;
    }
    let ops = plan(ours)?;
    for op in &ops {
        execute(&tx, op)?;
    }
    if index_rows && index::due(&tx)? {
        // The writes must not fail for the index's sake: if indexing fails, only it is undone, and the
        // rows wait (and stay searchable) for the next try.
        let savepoint = tx.savepoint()?;
        match index::index_some(&savepoint) {
            Ok(_) => savepoint.commit()?,
            Err(error) => tracing::error!(%error, "indexing ledger rows for search failed"),
        }
    }
    tx.commit()?;
    Ok(())
}

/// Indexes every row still waiting, in a transaction of its own: when the ledger opens (rows a crash
/// left waiting) and when the writer stops, so that a closed ledger's search index covers all its rows.
pub(crate) fn index_all(conn: &mut Connection) -> Result<(), StoreError> {
    if !index::any_waiting(conn)? {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    index::index_all(&tx)?;
    tx.commit()?;
    Ok(())
}

/// What a group of writes does to the database, in statements rather than in writes.
///
/// The agent submits a raise and its first stages back to back (`Raised`, `Resolved`, `Delivered`), so
/// they nearly always reach the writer together; applied one by one they would insert the row and then
/// rewrite it, and its search index entry, once per stage. Instead every stage of a raise is folded into
/// the statement that first touches it: the insert when the batch holds its `Raised`, else one update.
/// The result is the same rows the writes would give applied one by one, in order.
enum Op<'a> {
    Insert {
        record: &'a RaiseRecord,
        progress: Progress<'a>,
    },
    Update {
        raise_key: &'a str,
        progress: Progress<'a>,
    },
    Interaction {
        record_id: &'a str,
        raise_key: Option<&'a str>,
        at_ms: i64,
        interaction: &'a Value,
    },
    Resend {
        request_uuid: &'a str,
        original_id: i64,
        at_ms: i64,
    },
    Expire {
        before_ms: i64,
        max_rows: u32,
        at_ms: i64,
    },
}

/// Folds `writes` into statements. Statements run in the order of their first write. Moving a later
/// stage up to its raise's first statement reorders only writes to different rows (and the
/// interactions table is keyed apart from raises), so nothing can observe the difference.
fn plan<'a>(writes: impl IntoIterator<Item = &'a LedgerWrite>) -> Result<Vec<Op<'a>>, StoreError> {
    let mut ops: Vec<Op<'a>> = Vec::new();
    // The statement still collecting each raise's stages.
    let mut open: HashMap<&'a str, usize> = HashMap::new();
    for write in writes {
        let (raise_key, stage) = match write {
            LedgerWrite::Raised(record) => {
                // A stage for this raise seen earlier in the batch stays before the insert, where it
                // would have run (and found no row); a second `Raised` for one key gets an insert of
                // its own, to fail on the unique key as it would have alone.
                open.insert(&record.raise_key, ops.len());
                ops.push(Op::Insert {
                    record,
                    progress: Progress::default(),
                });
                continue;
            }
            LedgerWrite::InteractionLogged {
                record_id,
                raise_key,
                at_ms,
                interaction,
            } => {
                ops.push(Op::Interaction {
                    record_id,
                    raise_key: raise_key.as_deref(),
                    at_ms: *at_ms,
                    interaction,
                });
                continue;
            }
            LedgerWrite::Resent {
                request_uuid,
                original_id,
                at_ms,
            } => {
                ops.push(Op::Resend {
                    request_uuid,
                    original_id: *original_id,
                    at_ms: *at_ms,
                });
                continue;
            }
            LedgerWrite::Expire {
                before_ms,
                max_rows,
                at_ms,
            } => {
                ops.push(Op::Expire {
                    before_ms: *before_ms,
                    max_rows: *max_rows,
                    at_ms: *at_ms,
                });
                continue;
            }
            LedgerWrite::Resolved {
                raise_key,
                at_ms,
                resolution,
                handler_app,
                handler_instance,
            } => (
                raise_key,
                Stage::Resolved(Resolved {
                    at_ms: *at_ms,
                    resolution: *resolution,
                    handler_app: handler_app.as_deref(),
                    handler_instance: handler_instance.as_deref(),
                }),
            ),
            LedgerWrite::Delivered { raise_key, at_ms } => (raise_key, Stage::Delivered(*at_ms)),
            LedgerWrite::Completed {
                raise_key,
                at_ms,
                outcome,
            } => (raise_key, Stage::Completed(*at_ms, completion(outcome)?)),
        };
        let index = *open.entry(raise_key).or_insert_with(|| {
            ops.push(Op::Update {
                raise_key,
                progress: Progress::default(),
            });
            ops.len() - 1
        });
        match &mut ops[index] {
            Op::Insert { progress, .. } | Op::Update { progress, .. } => progress.add(stage),
            Op::Interaction { .. } | Op::Resend { .. } | Op::Expire { .. } => {
                unreachable!("only raise statements are open")
            }
        }
    }
    Ok(ops)
}

/// The columns `Resolved` sets.
struct Resolved<'a> {
    at_ms: i64,
    resolution: Resolution,
    handler_app: Option<&'a str>,
    handler_instance: Option<&'a str>,
}

enum Stage<'a> {
    Resolved(Resolved<'a>),
    Delivered(i64),
    Completed(i64, Completion),
}

/// The states a raise can be in: the `state` column's CHECK list.
const STATES: [&str; 5] = ["raised", "resolved", "delivered", "completed", "failed"];

/// A raise's stages folded together: each stage's columns as last written, and what the stages
/// together do to each state the row might be in.
struct Progress<'a> {
    resolved: Option<Resolved<'a>>,
    delivered_at_ms: Option<i64>,
    completed: Option<(i64, Completion)>,
    /// `next_state[i]` is the state a row in `STATES[i]` ends up in.
    next_state: [&'static str; 5],
    stages: Vec<&'static str>,
}

impl Default for Progress<'_> {
    fn default() -> Self {
        Progress {
            resolved: None,
            delivered_at_ms: None,
            completed: None,
            next_state: STATES,
            stages: Vec::new(),
        }
    }
}

impl<'a> Progress<'a> {
    fn add(&mut self, stage: Stage<'a>) {
        // State only moves forward: a stage that arrives after a later one (the handler's result can
        // race the "delivered" note) records its columns but leaves the state alone. A completion sets
        // the final state whatever came before.
        let step: &dyn Fn(&'static str) -> &'static str = match &stage {
            Stage::Resolved(_) => &|s| if s == "raised" { "resolved" } else { s },
            Stage::Delivered(_) => &|s| match s {
                "raised" | "resolved" => "delivered",
                other => other,
            },
            Stage::Completed(_, c) => {
                let state = c.state;
                &move |_| state
            }
        };
        for state in &mut self.next_state {
            *state = step(state);
        }
        match stage {
            Stage::Resolved(r) => {
                self.stages.push("resolved");
                self.resolved = Some(r);
            }
            Stage::Delivered(at) => {
                self.stages.push("delivered");
                self.delivered_at_ms = Some(at);
            }
            Stage::Completed(at, c) => {
                self.stages.push("completed");
                self.completed = Some((at, c));
            }
        }
    }
}

fn execute(tx: &Transaction<'_>, op: &Op<'_>) -> Result<(), StoreError> {
    match op {
        Op::Insert { record, progress } => {
            insert(tx, record, progress)?;
            if let Some((at, _)) = &progress.completed {
                seal::seal_finished_raise(tx, &record.raise_key, *at)?;
            }
            Ok(())
        }
        Op::Update {
            raise_key,
            progress,
        } => {
            update(tx, raise_key, progress)?;
            let at = progress
                .completed
                .as_ref()
                .map(|(at, _)| *at)
                .or(progress.delivered_at_ms)
                .or(progress.resolved.as_ref().map(|r| r.at_ms))
                .unwrap_or_default();
            seal::seal_finished_raise(tx, raise_key, at)
        }
        Op::Interaction {
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
            seal::seal(tx, seal::SealKind::Interaction, record_id, *at_ms)
        }
        Op::Resend {
            request_uuid,
            original_id,
            at_ms,
        } => {
            let added = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO resends (request_uuid, original_id, at_ms) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![request_uuid, original_id, at_ms])?;
            // The link is part of the record: sealed as it is written (once: a repeat is ignored).
            if added == 1 {
                crate::seal::seal(tx, crate::seal::SealKind::Resend, request_uuid, *at_ms)?;
            }
            Ok(())
        }
        Op::Expire {
            before_ms,
            max_rows,
            at_ms,
        } => {
            let removed = crate::retention::expire_some(tx, *before_ms, *max_rows, *at_ms)?;
            if removed > 0 {
                tracing::info!(removed, "retention removed expired records");
            }
            Ok(())
        }
    }
}

/// The raise's row as its stages in this batch leave it, written once.
fn insert(tx: &Transaction<'_>, r: &RaiseRecord, p: &Progress<'_>) -> Result<(), StoreError> {
    let summary = summarize_context_text(r.context.as_str());
    let target = r.target.as_ref().map(serde_json::to_string).transpose()?;
    let resolved = p.resolved.as_ref();
    let completed = p.completed.as_ref().map(|(_, c)| c);
    tx.prepare_cached(
        "INSERT INTO raises (raise_key, raised_at_ms, raiser_app, raiser_instance, request_uuid,
             intent, context, target, candidates, context_type, interaction_type, description,
             participants, participant_terms, state, resolution, handler_app, handler_instance,
             resolved_at_ms, delivered_at_ms, completed_at_ms, result, result_status,
             result_message, record_id, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
             ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
    )?
    .execute(params![
        r.raise_key,
        r.raised_at_ms,
        r.raiser_app,
        r.raiser_instance,
        r.request_uuid,
        r.intent,
        r.context.as_str(),
        target,
        serde_json::to_string(&r.candidates)?,
        summary.context_type,
        summary.interaction_type,
        summary.description,
        serde_json::to_string(&summary.participants)?,
        summary.participant_terms,
        p.next_state[0],
        resolved.map(|r| r.resolution.as_str()),
        resolved.and_then(|r| r.handler_app),
        resolved.and_then(|r| r.handler_instance),
        resolved.map(|r| r.at_ms),
        p.delivered_at_ms,
        p.completed.as_ref().map(|(at, _)| at),
        completed.and_then(|c| c.result.as_deref()),
        completed.and_then(|c| c.result_status.as_deref()),
        completed.and_then(|c| c.result_message.as_deref()),
        completed.and_then(|c| c.record_id.as_deref()),
        completed.and_then(|c| c.error.as_deref()),
    ])?;
    Ok(())
}

/// One statement for all of a raise's stages in this batch: each stage's columns, and the state moved
/// the way the stages in order would have moved it from whichever state the row is in.
fn update(tx: &Transaction<'_>, raise_key: &str, p: &Progress<'_>) -> Result<(), StoreError> {
    let mut sql = String::from(
        "UPDATE raises SET state = CASE state WHEN 'raised' THEN ? WHEN 'resolved' THEN ?
             WHEN 'delivered' THEN ? WHEN 'completed' THEN ? WHEN 'failed' THEN ? ELSE state END",
    );
    let mut values: Vec<&dyn ToSql> = p.next_state.iter().map(|s| s as &dyn ToSql).collect();
    let resolution = p.resolved.as_ref().map(|r| r.resolution.as_str());
    if let (Some(r), Some(resolution)) = (&p.resolved, &resolution) {
        sql.push_str(", resolution = ?, handler_app = ?, handler_instance = ?, resolved_at_ms = ?");
        values.extend([
            resolution as &dyn ToSql,
            &r.handler_app,
            &r.handler_instance,
            &r.at_ms,
        ]);
    }
    if let Some(at) = &p.delivered_at_ms {
        sql.push_str(", delivered_at_ms = ?");
        values.push(at);
    }
    if let Some((at, c)) = &p.completed {
        sql.push_str(
            ", completed_at_ms = ?, result = ?, result_status = ?, result_message = ?,
             record_id = ?, error = ?",
        );
        values.extend([
            at as &dyn ToSql,
            &c.result,
            &c.result_status,
            &c.result_message,
            &c.record_id,
            &c.error,
        ]);
    }
    sql.push_str(" WHERE raise_key = ?");
    values.push(&raise_key);
    let changed = tx.prepare_cached(&sql)?.execute(params_from_iter(values))?;
    if changed == 0 {
        // An update for a raise the ledger never saw is a caller bug or a lost `Raised`; failing the
        // write would not bring the raise back, so it is noted and skipped.
        tracing::warn!(
            raise_key,
            stage = p.stages.join("+"),
            "ledger update for an unknown raise ignored"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::migrate;
    use crate::model::JsonText;
    use serde_json::json;

    /// A hold whose health nobody watches.
    fn detached_hold() -> Hold {
        Hold::new(
            Arc::new(watch::channel(None).0),
            Arc::new(AtomicBool::new(false)),
        )
    }

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
                context: JsonText::of(&json!({"type": "fdc3.instrument"})),
                target: None,
                candidates: json!([]),
            }),
            ack: None,
            journal_id: None,
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
        let results = commit_batch(&mut conn, &batch, &commits, &mut detached_hold());
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
        assert!(
            commit_batch(&mut conn, &batch, &commits, &mut detached_hold())
                .iter()
                .all(Result::is_ok)
        );
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
            journal_id: None,
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
        assert!(
            commit_batch(&mut conn, &batch, &commits, &mut detached_hold())
                .iter()
                .all(Result::is_ok)
        );
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

    /// Each write applied alone, with the statements the writer used before it folded a raise's stages
    /// together: the reference the folded statements must agree with.
    fn apply_one_by_one(conn: &mut Connection, write: &LedgerWrite) -> Result<(), StoreError> {
        let tx = conn.transaction()?;
        match write {
            LedgerWrite::Raised(_)
            | LedgerWrite::InteractionLogged { .. }
            | LedgerWrite::Resent { .. }
            | LedgerWrite::Expire { .. } => {
                execute(&tx, &plan(std::iter::once(write))?[0])?;
            }
            LedgerWrite::Resolved {
                raise_key,
                at_ms,
                resolution,
                handler_app,
                handler_instance,
            } => {
                tx.execute(
                    "UPDATE raises SET resolution = ?2, handler_app = ?3, handler_instance = ?4,
                         resolved_at_ms = ?5,
                         state = CASE state WHEN 'raised' THEN 'resolved' ELSE state END
                     WHERE raise_key = ?1",
                    params![
                        raise_key,
                        resolution.as_str(),
                        handler_app,
                        handler_instance,
                        at_ms
                    ],
                )?;
            }
            LedgerWrite::Delivered { raise_key, at_ms } => {
                tx.execute(
                    "UPDATE raises SET delivered_at_ms = ?2,
                         state = CASE WHEN state IN ('raised', 'resolved') THEN 'delivered' ELSE state END
                     WHERE raise_key = ?1",
                    params![raise_key, at_ms],
                )?;
            }
            LedgerWrite::Completed {
                raise_key,
                at_ms,
                outcome,
            } => {
                let c = completion(outcome)?;
                tx.execute(
                    "UPDATE raises SET completed_at_ms = ?2, state = ?3, result = ?4,
                         result_status = ?5, result_message = ?6, record_id = ?7, error = ?8
                     WHERE raise_key = ?1",
                    params![
                        raise_key,
                        at_ms,
                        c.state,
                        c.result,
                        c.result_status,
                        c.result_message,
                        c.record_id,
                        c.error
                    ],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// xorshift64: a fixed, dependency-free stream of choices.
    struct Dice(u64);

    impl Dice {
        fn roll(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn random_write(dice: &mut Dice, at_ms: i64) -> LedgerWrite {
        let raise_key = ["a", "b", "c", "d"][dice.roll(4) as usize].to_owned();
        match dice.roll(6) {
            0 | 1 => {
                let context = if dice.roll(2) == 0 {
                    json!({"type": "fdc3.instrument", "id": {"ticker": "AAPL"}})
                } else {
                    json!({"type": "fdc3.contact", "name": "Jane Doe", "id": {"email": "jane@x.com"}})
                };
                LedgerWrite::Raised(RaiseRecord {
                    raise_key,
                    raised_at_ms: at_ms,
                    raiser_app: "crm".into(),
                    raiser_instance: "crm-1".into(),
                    request_uuid: format!("req-{at_ms}"),
                    intent: Some(["ViewChart", "StartChat"][dice.roll(2) as usize].into()),
                    context: JsonText::of(&context),
                    target: (dice.roll(2) == 0).then(|| json!({"appId": "chart"})),
                    candidates: json!([{"appId": "chart"}]),
                })
            }
            2 => LedgerWrite::Resolved {
                raise_key,
                at_ms,
                resolution: [Resolution::UserChoice, Resolution::Cancelled][dice.roll(2) as usize],
                handler_app: ["chart", "chat"]
                    .get(dice.roll(3) as usize)
                    .map(|&s| s.into()),
                handler_instance: (dice.roll(2) == 0).then(|| format!("h-{at_ms}")),
            },
            3 => LedgerWrite::Delivered { raise_key, at_ms },
            4 => LedgerWrite::Completed {
                raise_key,
                at_ms,
                outcome: match dice.roll(4) {
                    0 => crate::model::Outcome::Void,
                    1 => crate::model::Outcome::Error("NoAppsFound".into()),
                    2 => crate::model::Outcome::Channel(json!({"id": "red"})),
                    _ => crate::model::Outcome::Context(JsonText::of(&json!({
                        "type": "fdc3.transactionResult", "status": "Created",
                        "context": {"type": "fdc3.interaction", "id": {"URI": format!("rec{at_ms}")}}
                    }))),
                },
            },
            _ => LedgerWrite::InteractionLogged {
                record_id: ["r1", "r2"][dice.roll(2) as usize].into(),
                raise_key: Some(raise_key),
                at_ms,
                interaction: json!({"type": "fdc3.interaction", "n": at_ms}),
            },
        }
    }

    /// Every row of both tables, every column, and what a few searches find.
    fn contents(conn: &Connection) -> (Vec<Vec<rusqlite::types::Value>>, Vec<String>) {
        let mut rows = Vec::new();
        for sql in [
            "SELECT * FROM raises ORDER BY id",
            "SELECT * FROM interactions ORDER BY record_id",
        ] {
            let mut stmt = conn.prepare(sql).expect("prepare");
            let n = stmt.column_count();
            let mut q = stmt.query([]).expect("query");
            while let Some(row) = q.next().expect("row") {
                rows.push((0..n).map(|i| row.get(i).expect("value")).collect());
            }
        }
        let found = [
            "chart",
            "chat",
            "rec",
            "jane",
            "viewchart",
            "startchat",
            "crm",
        ]
        .iter()
        .map(|word| {
            let q = crate::model::HistoryQuery {
                search: Some((*word).to_owned()),
                ..crate::model::HistoryQuery::default()
            };
            let ids: Vec<i64> = crate::query::list(conn, &q)
                .expect("search")
                .iter()
                .map(|r| r.id)
                .collect();
            format!("{word}: {ids:?}")
        })
        .collect();
        (rows, found)
    }

    fn fts_agrees_with_rows(conn: &mut Connection) {
        index_all(conn).expect("index the rest");
        conn.execute(
            "INSERT INTO raises_fts (raises_fts, rank) VALUES ('integrity-check', 1)",
            [],
        )
        .expect("search index matches the rows");
    }

    #[test]
    fn folded_batches_leave_what_writes_one_by_one_would() {
        let mut dice = Dice(0x2545_f491_4f6c_dd1d);
        let mut folded_groups = 0;
        for round in 0..300 {
            let mut folded = Connection::open_in_memory().expect("db");
            let mut reference = Connection::open_in_memory().expect("db");
            migrate(&mut folded).expect("migrate");
            migrate(&mut reference).expect("migrate");
            // Some history first, already in the search index in half the rounds, so that later stages
            // meet indexed rows as well as waiting ones.
            let history: Vec<LedgerWrite> = (0..dice.roll(6))
                .map(|i| random_write(&mut dice, i as i64))
                .collect();
            for write in &history {
                let _ = apply_one_by_one(&mut folded, write);
                let _ = apply_one_by_one(&mut reference, write);
            }
            if round % 2 == 0 {
                index_all(&mut folded).expect("index");
                index_all(&mut reference).expect("index");
            }
            let batch: Vec<Pending> = (0..1 + dice.roll(10))
                .map(|i| Pending {
                    seq: i,
                    write: random_write(&mut dice, 100 + i as i64),
                    ack: None,
                    journal_id: None,
                })
                .collect();

            let commits = AtomicU64::new(0);
            let results = commit_batch(&mut folded, &batch, &commits, &mut detached_hold());
            if batch.len() > 1 && commits.load(Ordering::Relaxed) == 1 {
                folded_groups += 1;
            }
            let expected: Vec<bool> = batch
                .iter()
                .map(|p| apply_one_by_one(&mut reference, &p.write).is_ok())
                .collect();
            let got: Vec<bool> = results.iter().map(Result::is_ok).collect();
            let writes: Vec<&LedgerWrite> = batch.iter().map(|p| &p.write).collect();
            assert_eq!(got, expected, "round {round}: {writes:#?}");
            assert_eq!(
                contents(&folded),
                contents(&reference),
                "round {round}: {writes:#?}"
            );
            fts_agrees_with_rows(&mut folded);
            fts_agrees_with_rows(&mut reference);
            assert_eq!(contents(&folded), contents(&reference), "round {round}");
        }
        // Most rounds must really have gone through the folded path, not the one-by-one retry.
        assert!(
            folded_groups > 100,
            "only {folded_groups} batches were folded"
        );
    }

    #[test]
    fn a_raise_and_its_stages_are_one_insert() {
        let batch = [
            raise("a"),
            Pending {
                seq: 0,
                write: LedgerWrite::Delivered {
                    raise_key: "a".into(),
                    at_ms: 2,
                },
                ack: None,
                journal_id: None,
            },
            raise("b"),
            Pending {
                seq: 0,
                write: LedgerWrite::Delivered {
                    raise_key: "c".into(),
                    at_ms: 2,
                },
                ack: None,
                journal_id: None,
            },
        ];
        let ops = plan(batch.iter().map(|p| &p.write)).expect("plan");
        let shape: Vec<String> = ops
            .iter()
            .map(|op| match op {
                Op::Insert { record, progress } => {
                    format!("insert {} {:?}", record.raise_key, progress.stages)
                }
                Op::Update {
                    raise_key,
                    progress,
                } => format!("update {raise_key} {:?}", progress.stages),
                Op::Interaction { record_id, .. } => format!("interaction {record_id}"),
                Op::Resend { request_uuid, .. } => format!("resend {request_uuid}"),
                Op::Expire { before_ms, .. } => format!("expire {before_ms}"),
            })
            .collect();
        assert_eq!(
            shape,
            [
                r#"insert a ["delivered"]"#,
                "insert b []",
                r#"update c ["delivered"]"#
            ]
        );
    }
}
