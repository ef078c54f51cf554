//! The writer thread: the only owner of the write connection. Journal first, rows later.
//!
//! The thread blocks for one job, takes everything else already queued, and makes the lot durable in
//! one transaction that only appends to the journal (`journal.rs`) and fsyncs (group commit): that is
//! what `committed()` reports, and all the agent waits for. The journaled writes then wait in a
//! backlog and are applied (rows, seals, the search index; `writer.rs`) in large batches, in
//! transactions without an fsync: once enough wait, once the oldest has waited [`APPLY_AFTER`], or at
//! once when someone needs them applied (a read of the ledger through [`Job::Settle`], a write whose
//! caller waits for its own fate). New writes to journal go first: an apply runs only when the queue
//! is empty, a batch at a time, so a raise never waits behind more than one apply.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::watch;

use crate::error::StoreError;
use crate::journal;
use crate::writer::{self, Hold, Pending, MAX_BATCH};

/// Something for the writer thread to do.
#[allow(clippy::large_enum_variant)] // nearly every job is a write: boxing it would cost each one
pub(crate) enum Job {
    Write(Pending),
    /// Apply every write journaled so far, then answer: what a read does first, so that it sees
    /// every durable write.
    Settle(SyncSender<()>),
}

/// Applying starts once this many writes wait in the backlog (about a hundred round trips): the
/// larger the batch, the fewer times each index page of `raises` is written.
const APPLY_AT: usize = 384;

/// ... or once the oldest has waited this long, so the rows are never far behind when it is quiet.
const APPLY_AFTER: Duration = Duration::from_millis(100);

/// ... and however busy the queue is, once this many wait (the queue never empties under a steady
/// load of many apps; the backlog must not grow without end).
const BACKLOG_LIMIT: usize = 2 * MAX_BATCH;

/// The counters and watches the thread keeps up to date for the `Ledger` handle.
pub(crate) struct Shared {
    /// The highest sequence number durable (journaled, or failed for its own sake).
    pub committed: watch::Sender<u64>,
    /// The highest sequence number applied (or failed for its own sake): reads need not settle.
    pub applied: Arc<AtomicU64>,
    /// Durable commits (each one an fsync).
    pub commits: Arc<AtomicU64>,
    /// Apply transactions.
    pub applies: Arc<AtomicU64>,
}

/// Applies whatever a crash (or another process) left in the journal: before the writer starts, and
/// from `interlog history`. Entries this build cannot read are left in place and reported.
pub(crate) fn recover(conn: &mut Connection, hold: &mut Hold) -> Result<usize, StoreError> {
    if !journal::any(conn)? {
        return Ok(0);
    }
    let applies = AtomicU64::new(0);
    let mut after = 0;
    let mut applied = 0;
    loop {
        let entries = journal::read(conn, after, MAX_BATCH)?;
        let Some(last) = entries.last() else { break };
        after = last.id;
        let mut batch = Vec::with_capacity(entries.len());
        for entry in entries {
            match entry.write {
                Ok(write) => batch.push(Pending {
                    seq: 0,
                    write,
                    ack: None,
                    journal_id: Some(entry.id),
                }),
                Err(error) => tracing::error!(
                    id = entry.id,
                    %error,
                    "a journaled ledger write cannot be read; it stays in the journal"
                ),
            }
        }
        applied += batch.len();
        writer::commit_batch(conn, &batch, &applies, hold);
    }
    if applied > 0 {
        tracing::info!(writes = applied, "journaled ledger writes applied");
    }
    Ok(applied)
}

/// Runs until every sender is gone, then applies and indexes everything that was queued before that.
pub(crate) fn run(mut conn: Connection, queue: Receiver<Job>, shared: Shared, mut hold: Hold) {
    let mut next_id = match journal::next_id(&conn) {
        Ok(id) => id,
        Err(error) => {
            tracing::error!(%error, "the ledger's journal cannot be read; writing rows directly");
            i64::MIN
        }
    };
    let mut backlog = Backlog::default();
    // Reads waiting for the writes journaled before them (up to that sequence number) to be applied.
    let mut settles: Vec<(u64, SyncSender<()>)> = Vec::new();
    let mut seen_seq = 0;
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    let mut open = true;
    while open || !backlog.writes.is_empty() {
        let needed = !settles.is_empty() || backlog.waiters > 0;
        let wait = if !open || needed {
            Wait::No
        } else {
            match backlog.due_at() {
                None => Wait::Forever,
                Some(at) => Wait::Until(at),
            }
        };
        match next_job(&queue, wait) {
            Next::Job(first) => {
                let mut job = Some(first);
                while let Some(next) = job.take() {
                    match next {
                        Job::Write(pending) => {
                            seen_seq = seen_seq.max(pending.seq);
                            batch.push(pending);
                        }
                        Job::Settle(ack) => settles.push((seen_seq, ack)),
                    }
                    if batch.len() < MAX_BATCH {
                        job = queue.try_recv().ok();
                    }
                }
                if !batch.is_empty() {
                    make_durable(
                        &mut conn,
                        &mut batch,
                        &mut next_id,
                        &mut backlog,
                        &shared,
                        &mut hold,
                    );
                }
                // Back for more before applying (whatever came in meanwhile is journaled first),
                // unless someone waits for the backlog or it has grown too long.
                let needed = !settles.is_empty() || backlog.waiters > 0;
                if !needed && backlog.writes.len() < BACKLOG_LIMIT {
                    continue;
                }
            }
            Next::Closed => open = false,
            Next::Idle => {}
        }
        let needed = !settles.is_empty() || backlog.waiters > 0;
        if needed || !open || backlog.is_due() || backlog.writes.len() >= BACKLOG_LIMIT {
            backlog.apply_some(&mut conn, &shared, &mut hold);
        }
        if backlog.writes.is_empty() {
            shared
                .applied
                .fetch_max(*shared.committed.borrow(), Ordering::AcqRel);
        }
        let oldest = backlog.writes.first().map_or(u64::MAX, |p| p.seq);
        settles.retain(|(upto, ack)| {
            let done = *upto < oldest;
            if done {
                let _ = ack.send(());
            }
            !done
        });
    }
    for (_, ack) in settles.drain(..) {
        let _ = ack.send(());
    }
    if let Err(error) = writer::index_all(&mut conn) {
        tracing::error!(%error, "indexing the last ledger rows for search failed");
    }
    tracing::debug!("ledger writer stopped");
}

enum Wait {
    No,
    Forever,
    Until(Instant),
}

#[allow(clippy::large_enum_variant)] // see `Job`
enum Next {
    Job(Job),
    /// Nothing queued (or nothing before the deadline).
    Idle,
    /// Every sender is gone and the queue is empty.
    Closed,
}

fn next_job(queue: &Receiver<Job>, wait: Wait) -> Next {
    match wait {
        Wait::Forever => queue.recv().map_or(Next::Closed, Next::Job),
        Wait::No => match queue.try_recv() {
            Ok(job) => Next::Job(job),
            Err(TryRecvError::Empty) => Next::Idle,
            Err(TryRecvError::Disconnected) => Next::Closed,
        },
        Wait::Until(at) => match queue.recv_timeout(at.saturating_duration_since(Instant::now())) {
            Ok(job) => Next::Job(job),
            Err(RecvTimeoutError::Timeout) => Next::Idle,
            Err(RecvTimeoutError::Disconnected) => Next::Closed,
        },
    }
}

/// Journals `batch` in one durable commit and moves it into the backlog. If the journal cannot take
/// it (a write that cannot be serialized, or a journal this build cannot use), those writes are
/// applied directly instead, durably, as before the journal: nothing waits on a write that is not
/// on disk, and nothing is lost.
fn make_durable(
    conn: &mut Connection,
    batch: &mut Vec<Pending>,
    next_id: &mut i64,
    backlog: &mut Backlog,
    shared: &Shared,
    hold: &mut Hold,
) {
    let mut direct = Vec::new();
    let journaled = if *next_id == i64::MIN {
        std::mem::swap(batch, &mut direct);
        false
    } else {
        let mut texts = Vec::with_capacity(batch.len());
        for pending in batch.drain(..) {
            match serde_json::to_string(&pending.write) {
                Ok(text) => texts.push((pending, text)),
                Err(error) => {
                    tracing::warn!(%error, "a ledger write cannot be journaled; written directly");
                    direct.push(pending);
                }
            }
        }
        let result = loop {
            match append_all(conn, &texts, *next_id) {
                Err(error) if error.is_environmental() && hold.wait(&error, texts.len()) => {}
                other => break other,
            }
        };
        match result {
            Ok(()) => {
                shared.commits.fetch_add(1, Ordering::Relaxed);
                hold.recovered();
                for (mut pending, _) in texts {
                    pending.journal_id = Some(*next_id);
                    *next_id += 1;
                    backlog.push(pending);
                }
                true
            }
            Err(error) => {
                tracing::error!(%error, "the ledger's journal failed; writing rows directly");
                direct.extend(texts.into_iter().map(|(pending, _)| pending));
                false
            }
        }
    };
    if !direct.is_empty() {
        let results = writer::commit_batch(conn, &direct, &shared.commits, hold);
        for (pending, result) in direct.into_iter().zip(results) {
            if let Some(ack) = pending.ack {
                let _ = ack.send(result);
            }
        }
    }
    // Submitters number and send under one lock, so the queue is in sequence order: the highest
    // number handled is the last one, and everything below it is done.
    let last = backlog.last_seq.max(*shared.committed.borrow());
    if journaled || last > *shared.committed.borrow() {
        shared.committed.send_replace(last);
    }
}

fn append_all(
    conn: &mut Connection,
    texts: &[(Pending, String)],
    first_id: i64,
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for (offset, (_, text)) in texts.iter().enumerate() {
        journal::append(&tx, first_id + offset as i64, text)?;
    }
    tx.commit()?;
    Ok(())
}

/// Journaled writes not applied yet, oldest first.
#[derive(Default)]
struct Backlog {
    writes: Vec<Pending>,
    since: Option<Instant>,
    /// Writes whose caller waits to hear their own fate (`write_blocking`).
    waiters: usize,
    /// The highest sequence number ever journaled.
    last_seq: u64,
}

impl Backlog {
    fn push(&mut self, pending: Pending) {
        if self.writes.is_empty() {
            self.since = Some(Instant::now());
        }
        self.waiters += usize::from(pending.ack.is_some());
        self.last_seq = self.last_seq.max(pending.seq);
        self.writes.push(pending);
    }

    fn due_at(&self) -> Option<Instant> {
        if self.writes.len() >= APPLY_AT {
            return Some(Instant::now());
        }
        self.since.map(|since| since + APPLY_AFTER)
    }

    fn is_due(&self) -> bool {
        self.due_at().is_some_and(|at| at <= Instant::now())
    }

    /// Applies the oldest batch, without an fsync: the journal is already durable, and the entries
    /// are deleted in the same transaction, so a crash undoes both or neither.
    fn apply_some(&mut self, conn: &mut Connection, shared: &Shared, hold: &mut Hold) {
        let n = self.writes.len().min(MAX_BATCH);
        if n == 0 {
            return;
        }
        let batch: Vec<Pending> = self.writes.drain(..n).collect();
        self.since = (!self.writes.is_empty()).then(Instant::now);
        let results = with_synchronous_normal(conn, |conn| {
            writer::commit_batch(conn, &batch, &shared.applies, hold)
        });
        let mut highest = 0;
        for (pending, result) in batch.into_iter().zip(results) {
            highest = highest.max(pending.seq);
            if let Some(ack) = pending.ack {
                self.waiters -= 1;
                let _ = ack.send(result);
            }
        }
        shared.applied.fetch_max(highest, Ordering::AcqRel);
    }
}

/// Runs `f` with the connection's commits not waiting for the disk (WAL, `synchronous=NORMAL`): still
/// atomic, and made durable by the next durable commit's fsync of the WAL, which holds them.
fn with_synchronous_normal<T>(conn: &mut Connection, f: impl FnOnce(&mut Connection) -> T) -> T {
    let relaxed = conn.pragma_update(None, "synchronous", "NORMAL");
    if let Err(error) = &relaxed {
        tracing::warn!(%error, "cannot relax synchronous for applying the journal");
    }
    let result = f(conn);
    if relaxed.is_ok() {
        if let Err(error) = conn.pragma_update(None, "synchronous", "FULL") {
            // Durable commits would no longer be durable: nothing may go on as if they were.
            panic!("cannot restore synchronous=FULL on the ledger: {error}");
        }
    }
    result
}
