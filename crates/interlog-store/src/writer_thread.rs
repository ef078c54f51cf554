//! The ledger's two threads: the journal's, on the hot path, and the one that applies it.
//!
//! The **journal thread** blocks for one job, takes everything else already queued, and makes the
//! lot durable in one commit of the journal file (`journal.rs`; group commit): that is what
//! `committed()` reports, and all the agent waits for. It holds the journaled writes and hands them,
//! in order, to the **applying thread**, the only one that writes the ledger's own file, which
//! applies them (rows, seals, the search index; `writer.rs`) in large batches: once enough wait,
//! once the oldest has waited [`APPLY_AFTER`], or at once when someone needs them applied (a read of
//! the ledger, through [`Job::Settle`]; a write whose caller waits for its own fate). Holding them
//! on the journal thread, not in the applying thread's queue, wakes that thread once per batch
//! instead of once per commit. Each batch
//! moves the journal's applied mark in its own transaction; the journal thread deletes the entries
//! up to the mark as it next commits. A raise never waits behind applying: the two threads write
//! different files.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::watch;

use crate::error::StoreError;
use crate::journal;
use crate::writer::{self, Hold, Pending, MAX_BATCH};

/// Something for the journal thread to do.
#[allow(clippy::large_enum_variant)] // nearly every job is a write: boxing it would cost each one
pub(crate) enum Job {
    Write(Pending),
    /// Apply every write journaled before this, then answer: what a read does first, so that it
    /// sees every durable write.
    Settle(SyncSender<()>),
}

/// What the journal thread hands the applying thread, in order.
#[allow(clippy::large_enum_variant)] // see `Job`
enum ToApply {
    /// Journaled (durable), in order, and due to be applied: the journal thread holds what it
    /// journals until enough waits or the oldest has waited long enough (see
    /// [`JournalThread::held`]), so the applying thread is woken once per batch, not once per
    /// commit.
    Journaled(Vec<Pending>),
    Settle(SyncSender<()>),
    /// Writes the journal could not take: applied durably at once, then `done` is answered (the
    /// journal thread publishes them as durable only after that).
    Direct(Vec<Pending>, SyncSender<()>),
}

/// Applying starts once this many writes wait (about a hundred round trips): the larger the batch,
/// the fewer times each index page of `raises` is written.
const APPLY_AT: usize = 384;

/// ... or once the oldest has waited this long, so the rows are never far behind when it is quiet.
const APPLY_AFTER: Duration = Duration::from_millis(100);

/// The counters and watches the threads keep up to date for the `Ledger` handle.
pub(crate) struct Shared {
    /// The highest sequence number durable (journaled, or failed for its own sake).
    pub committed: watch::Sender<u64>,
    /// The highest sequence number applied: reads need not settle when it has caught up.
    pub applied: Arc<AtomicU64>,
    /// Durable commits of the journal (each one an fsync).
    pub commits: Arc<AtomicU64>,
    /// Transactions that applied journaled writes to the ledger.
    pub applies: Arc<AtomicU64>,
    /// Journaled writes the applying thread may hold before new ones wait (see [`BACKLOG_LIMIT`]).
    pub backlog_limit: i64,
    /// The applying thread's niceness, if it is to run below the hot path (see [`lower_priority`]).
    pub apply_niceness: Option<i32>,
}

/// Journaled writes not yet applied, at most, before new writes are held. The applying thread
/// keeps them in memory (about 3 KB each) while the ledger file cannot be written (another program
/// holding its lock, say): past this many, raises are held as on a full disk, and health says why,
/// rather than memory growing for as long as that lasts. About 150 MB.
pub(crate) const BACKLOG_LIMIT: i64 = 50_000;

/// Applies whatever the journal holds past the ledger's applied mark (what a crash left): before
/// the threads start, and from `interlog history`. An entry this build cannot read is kept in the
/// ledger's `journal_unreadable` and reported.
pub(crate) fn recover(
    ledger: &mut Connection,
    journal: &Connection,
    hold: &mut Hold,
) -> Result<usize, StoreError> {
    let applies = AtomicU64::new(0);
    let mut after = journal::applied_through(ledger)?;
    let mut applied = 0;
    loop {
        let entries = journal::read(journal, after, MAX_BATCH)?;
        let Some(last) = entries.last() else { break };
        after = last.id;
        let mut batch = Vec::with_capacity(entries.len());
        for entry in &entries {
            match entry.write() {
                Ok(write) => batch.push(Pending {
                    seq: 0,
                    write,
                    ack: None,
                    journal_id: Some(entry.id),
                }),
                Err(error) => {
                    tracing::error!(
                        id = entry.id,
                        %error,
                        "a journaled ledger write cannot be read by this build; kept in journal_unreadable"
                    );
                    // The entries before it first: the mark only moves forward.
                    applied += batch.len();
                    writer::commit_batch(ledger, &batch, &applies, hold);
                    batch.clear();
                    let tx = ledger.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    journal::keep_unreadable(&tx, entry)?;
                    journal::mark_applied(&tx, entry.id)?;
                    tx.commit()?;
                }
            }
        }
        applied += batch.len();
        writer::commit_batch(ledger, &batch, &applies, hold);
    }
    if applied > 0 {
        tracing::info!(writes = applied, "journaled ledger writes applied");
    }
    Ok(applied)
}

/// Starts both threads. The journal thread runs until every sender of `queue` is gone; then the
/// applying thread applies and indexes everything, and the journal is emptied of what it applied.
pub(crate) fn start(
    ledger: Connection,
    mut journal: Connection,
    queue: Receiver<Job>,
    shared: Shared,
    journal_hold: Hold,
    apply_hold: Hold,
) -> std::io::Result<JoinHandle<()>> {
    let through = Arc::new(AtomicI64::new(
        journal::applied_through(&ledger).map_err(std::io::Error::other)?,
    ));
    let next_id = journal::last_id(&journal)
        .map_err(std::io::Error::other)?
        .max(through.load(Ordering::Acquire))
        + 1;
    // Entries applied before (at open, by recovery) need not stay.
    if let Ok(tx) = journal.transaction() {
        let pruned = journal::prune(&tx, through.load(Ordering::Acquire)).and_then(|()| {
            tx.commit()?;
            Ok(())
        });
        if let Err(error) = pruned {
            tracing::warn!(%error, "the ledger's journal could not be pruned");
        }
    }
    let (to_apply, applying) = mpsc::channel();
    let applier = Applier {
        niceness: shared.apply_niceness,
        through: Arc::clone(&through),
        applied: Arc::clone(&shared.applied),
        applies: Arc::clone(&shared.applies),
        commits: Arc::clone(&shared.commits),
        hold: apply_hold,
    };
    let apply_thread = std::thread::Builder::new()
        .name("ledger-apply".into())
        .spawn(move || applier.run(ledger, applying))?;
    let journal_thread = JournalThread {
        journal,
        next_id,
        through,
        shared,
        hold: journal_hold,
        to_apply,
        stalled: false,
        held: Vec::new(),
        held_since: None,
    };
    std::thread::Builder::new()
        .name("ledger-journal".into())
        .spawn(move || journal_thread.run(queue, apply_thread))
}

struct JournalThread {
    journal: Connection,
    next_id: i64,
    /// The ledger's applied mark, as the applying thread last committed it.
    through: Arc<AtomicI64>,
    shared: Shared,
    hold: Hold,
    to_apply: Sender<ToApply>,
    /// Set once a write could be made durable neither in the journal nor in the ledger: nothing
    /// is published as durable after that.
    stalled: bool,
    /// Journaled writes not yet handed to the applying thread, oldest first, and when the oldest
    /// was journaled. Handed over once [`APPLY_AT`] wait, once the oldest has waited
    /// [`APPLY_AFTER`], at once for a write whose caller waits for its own fate, and before a
    /// settle, a direct write or the end.
    held: Vec<Pending>,
    held_since: Option<Instant>,
}

impl JournalThread {
    fn run(mut self, queue: Receiver<Job>, apply_thread: JoinHandle<()>) {
        let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
        // recv() fails only once all senders are dropped *and* the queue is empty, so leaving the
        // loop means everything submitted before close() has been journaled.
        loop {
            let first = match self.held_since {
                None => match queue.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                },
                Some(since) => {
                    let left = (since + APPLY_AFTER).saturating_duration_since(Instant::now());
                    match queue.recv_timeout(left) {
                        Ok(job) => job,
                        Err(RecvTimeoutError::Timeout) => {
                            self.hand_over_held();
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            };
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            self.make_durable(&mut batch);
        }
        self.hand_over_held();
        let JournalThread {
            mut journal,
            through,
            to_apply,
            ..
        } = self;
        drop(to_apply);
        if apply_thread.join().is_err() {
            tracing::error!("the ledger's applying thread panicked");
        }
        let emptied = journal
            .transaction()
            .map_err(StoreError::from)
            .and_then(|tx| {
                journal::prune(&tx, through.load(Ordering::Acquire))?;
                Ok(tx.commit()?)
            });
        if let Err(error) = emptied {
            tracing::warn!(%error, "the ledger's journal could not be emptied; it is applied at the next start");
        }
        tracing::debug!("ledger writer stopped");
    }

    /// What is held, as one item for the applying thread (`None` when nothing is).
    fn take_held(&mut self) -> Option<ToApply> {
        self.held_since = None;
        (!self.held.is_empty()).then(|| ToApply::Journaled(std::mem::take(&mut self.held)))
    }

    /// Hands what is held to the applying thread.
    fn hand_over_held(&mut self) {
        if let Some(item) = self.take_held() {
            let _ = self.to_apply.send(item);
        }
    }

    /// Holds `writes` new writes while the applying thread has [`Shared::backlog_limit`] or more
    /// journaled writes still to apply (reported as the ledger's health, as any hold is).
    fn wait_for_backlog(&mut self, writes: usize) {
        loop {
            let waiting = self.next_id - 1 - self.through.load(Ordering::Acquire);
            if waiting < self.shared.backlog_limit {
                return;
            }
            // Only the applying thread can make room, and only with what it has been handed.
            self.hand_over_held();
            if !self
                .hold
                .wait(&StoreError::ApplyBacklog { waiting }, writes)
            {
                // Closing: what is held is journaled anyway, and applied on the way out.
                return;
            }
        }
    }

    /// Journals the writes of `batch` in one durable commit, publishes them as durable and hands
    /// them on. Writes the journal cannot take (a write that cannot be serialized, a journal file
    /// that fails other than by the machine) are applied durably, directly, before that: nothing
    /// is published as durable that is not on disk, and nothing is lost.
    fn make_durable(&mut self, batch: &mut Vec<Job>) {
        let mut texts = Vec::with_capacity(batch.len());
        let mut direct = Vec::new();
        let mut highest = 0;
        for job in batch.iter() {
            if let Job::Write(pending) = job {
                highest = highest.max(pending.seq);
                match serde_json::to_string(&pending.write) {
                    Ok(text) => texts.push(text),
                    Err(error) => {
                        tracing::warn!(%error, "a ledger write cannot be journaled; applied directly");
                        texts.push(String::new());
                    }
                }
            }
        }
        let journaled: Vec<&str> = texts
            .iter()
            .map(String::as_str)
            .filter(|t| !t.is_empty())
            .collect();
        let result = if journaled.is_empty() {
            Ok(())
        } else {
            self.wait_for_backlog(journaled.len());
            loop {
                let through = self.through.load(Ordering::Acquire);
                match journal::append(&mut self.journal, &journaled, self.next_id, through) {
                    Err(error) if error.is_environmental() => {
                        // What is already journaled goes into the rows while the journal waits.
                        self.hand_over_held();
                        if !self.hold.wait(&error, journaled.len()) {
                            break Err(error);
                        }
                    }
                    other => break other,
                }
            }
        };
        let journal_ok = match result {
            Ok(()) => {
                if !journaled.is_empty() {
                    self.shared.commits.fetch_add(1, Ordering::Relaxed);
                }
                self.hold.recovered();
                true
            }
            Err(error) => {
                tracing::error!(%error, "the ledger's journal failed; these writes are applied directly");
                false
            }
        };
        let mut texts = texts.into_iter();
        let mut handed = Vec::new();
        let mut waited_for = false;
        for job in batch.drain(..) {
            match job {
                Job::Write(mut pending) => {
                    let text = texts.next().unwrap_or_default();
                    if journal_ok && !text.is_empty() {
                        pending.journal_id = Some(self.next_id);
                        self.next_id += 1;
                        waited_for |= pending.ack.is_some();
                        self.held_since.get_or_insert_with(Instant::now);
                        self.held.push(pending);
                    } else {
                        direct.push(pending);
                    }
                }
                Job::Settle(ack) => {
                    // After every write journaled before it.
                    handed.extend(self.take_held());
                    handed.push(ToApply::Settle(ack));
                }
            }
        }
        if waited_for || !direct.is_empty() || self.held.len() >= APPLY_AT {
            handed.extend(self.take_held());
        }
        if !direct.is_empty() {
            let (done_tx, done_rx) = mpsc::sync_channel(1);
            // After the journaled writes of this batch (they are older or unrelated), before
            // anything is published.
            handed.push(ToApply::Direct(direct, done_tx));
            for item in handed.drain(..) {
                let _ = self.to_apply.send(item);
            }
            if done_rx.recv().is_err() {
                // The applying thread is gone (it panicked): these writes are on disk nowhere, so
                // nothing from here on is published as durable. The gate stays shut.
                tracing::error!("the ledger can no longer make writes durable; holding everything");
                let stopped = std::io::Error::other("the ledger's applying thread stopped");
                self.hold.wait(&StoreError::Io(stopped), 0);
                self.stalled = true;
            }
        }
        if self.stalled {
            return;
        }
        if highest > *self.shared.committed.borrow() {
            self.shared.committed.send_replace(highest);
        }
        for item in handed {
            let _ = self.to_apply.send(item);
        }
    }
}

struct Applier {
    /// Applied to this thread as it starts (see [`lower_priority`]).
    niceness: Option<i32>,
    through: Arc<AtomicI64>,
    applied: Arc<AtomicU64>,
    applies: Arc<AtomicU64>,
    commits: Arc<AtomicU64>,
    hold: Hold,
}

impl Applier {
    fn run(mut self, mut ledger: Connection, incoming: Receiver<ToApply>) {
        if let Some(niceness) = self.niceness {
            lower_priority(niceness);
        }
        let mut backlog = Backlog::default();
        // Reads waiting for the writes handed over before them: answered once that many are applied.
        let mut settles: Vec<(u64, SyncSender<()>)> = Vec::new();
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
            match next(&incoming, wait) {
                Next::Item(first) => {
                    let mut item = Some(first);
                    while let Some(next) = item.take() {
                        match next {
                            ToApply::Journaled(writes) => backlog.push_due(writes),
                            ToApply::Settle(ack) => settles.push((backlog.received, ack)),
                            ToApply::Direct(writes, done) => {
                                // Older writes first, so that the rows see them in order.
                                while !backlog.writes.is_empty() {
                                    self.apply_some(&mut ledger, &mut backlog);
                                }
                                let results = writer::commit_batch(
                                    &mut ledger,
                                    &writes,
                                    &self.commits,
                                    &mut self.hold,
                                );
                                for (pending, result) in writes.into_iter().zip(results) {
                                    self.applied.fetch_max(pending.seq, Ordering::AcqRel);
                                    if let Some(ack) = pending.ack {
                                        let _ = ack.send(result);
                                    }
                                }
                                let _ = done.send(());
                            }
                        }
                        if backlog.writes.len() < MAX_BATCH {
                            item = incoming.try_recv().ok();
                        }
                    }
                    let needed = !settles.is_empty() || backlog.waiters > 0;
                    if !needed && !backlog.is_due() {
                        continue;
                    }
                }
                Next::Closed => open = false,
                Next::Idle => {}
            }
            let needed = !settles.is_empty() || backlog.waiters > 0;
            if needed || !open || backlog.is_due() {
                self.apply_some(&mut ledger, &mut backlog);
            }
            settles.retain(|(upto, ack)| {
                let done = *upto <= backlog.done;
                if done {
                    let _ = ack.send(());
                }
                !done
            });
        }
        for (_, ack) in settles.drain(..) {
            let _ = ack.send(());
        }
        if let Err(error) = writer::index_all(&mut ledger) {
            tracing::error!(%error, "indexing the last ledger rows for search failed");
        }
    }

    /// Applies the oldest batch in one transaction (with an fsync: once per few hundred writes,
    /// after which the journal may forget them).
    fn apply_some(&mut self, ledger: &mut Connection, backlog: &mut Backlog) {
        let n = backlog.writes.len().min(MAX_BATCH);
        if n == 0 {
            return;
        }
        let batch: Vec<Pending> = backlog.writes.drain(..n).collect();
        backlog.since = (!backlog.writes.is_empty()).then(Instant::now);
        let results = writer::commit_batch(ledger, &batch, &self.applies, &mut self.hold);
        let mut highest_seq = 0;
        let mut highest_id = 0;
        for (pending, result) in batch.into_iter().zip(results) {
            highest_seq = highest_seq.max(pending.seq);
            highest_id = highest_id.max(pending.journal_id.unwrap_or(0));
            if let Some(ack) = pending.ack {
                backlog.waiters -= 1;
                let _ = ack.send(result);
            }
        }
        backlog.done += n as u64;
        self.through.fetch_max(highest_id, Ordering::AcqRel);
        self.applied.fetch_max(highest_seq, Ordering::AcqRel);
    }
}

/// Lowers the calling thread's scheduling priority to `niceness` (Linux: a thread's own nice
/// value). The applying thread's batches are off the hot path but long (a few hundred writes at
/// once): at the same priority they preempt the connection and journal threads that a waiting
/// raise needs, on a machine with few cores. Below them, they fill the gaps instead. Not being
/// able to lower it (another OS) is logged and harmless; a thread already below that (the agent
/// was started niced) stays where it is.
fn lower_priority(niceness: i32) {
    let thread = rustix::thread::gettid();
    if rustix::process::getpriority_process(Some(thread)).is_ok_and(|now| now >= niceness) {
        return;
    }
    if let Err(error) = rustix::process::setpriority_process(Some(thread), niceness) {
        tracing::debug!(%error, niceness, "the ledger's applying thread keeps its priority");
    }
}

enum Wait {
    No,
    Forever,
    Until(Instant),
}

#[allow(clippy::large_enum_variant)] // see `Job`
enum Next {
    Item(ToApply),
    /// Nothing came (before the deadline).
    Idle,
    /// The journal thread is gone and everything it sent was received.
    Closed,
}

fn next(incoming: &Receiver<ToApply>, wait: Wait) -> Next {
    match wait {
        Wait::Forever => incoming.recv().map_or(Next::Closed, Next::Item),
        Wait::No => match incoming.try_recv() {
            Ok(item) => Next::Item(item),
            Err(TryRecvError::Empty) => Next::Idle,
            Err(TryRecvError::Disconnected) => Next::Closed,
        },
        Wait::Until(at) => {
            match incoming.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(item) => Next::Item(item),
                Err(RecvTimeoutError::Timeout) => Next::Idle,
                Err(RecvTimeoutError::Disconnected) => Next::Closed,
            }
        }
    }
}

/// Journaled writes not applied yet, oldest first.
#[derive(Default)]
struct Backlog {
    writes: Vec<Pending>,
    since: Option<Instant>,
    /// Writes whose caller waits to hear their own fate (`write_blocking`).
    waiters: usize,
    /// Writes received, and applied, since the start.
    received: u64,
    done: u64,
}

impl Backlog {
    /// Writes the journal thread hands over once they are due: applied without waiting more.
    fn push_due(&mut self, writes: Vec<Pending>) {
        for pending in writes {
            self.push(pending);
        }
        self.since = Some(
            Instant::now()
                .checked_sub(APPLY_AFTER)
                .unwrap_or_else(Instant::now),
        );
    }

    fn push(&mut self, pending: Pending) {
        if self.writes.is_empty() {
            self.since = Some(Instant::now());
        }
        self.waiters += usize::from(pending.ack.is_some());
        self.received += 1;
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
}
