//! The `Ledger` handle: submission and durability tracking on the caller's side, the journal's and
//! the applying threads on the other (`writer_thread.rs`), and a small pool of read-only connections
//! beside them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use tokio::sync::watch;

use crate::chart::Counting;
use crate::error::StoreError;
use crate::model::{
    ChartStack, DayCount, HistoryDetail, HistoryQuery, HistoryRow, LedgerWrite, Person,
};
use crate::writer::Pending;
use crate::writer_thread::{Job, Shared};
use crate::{journal, migrations, query, writer, writer_thread};

/// How long a connection waits for a lock held by another connection (a checkpoint, a second process)
/// before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a read waits for the writes durable before it to be applied to the rows.
const SETTLE_WAIT: Duration = Duration::from_secs(2);

/// Read connections kept open between calls; more may be opened for a burst, and are closed after.
const MAX_IDLE_READERS: usize = 4;

/// A handle on the ledger. Cheap to clone; the writer stops when `close()` is called or the last handle
/// is dropped, after writing everything submitted before that.
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
}

struct Inner {
    submitter: Mutex<Submitter>,
    committed: watch::Receiver<u64>,
    /// The highest sequence number applied to the rows (see `writer_thread.rs`).
    applied: Arc<AtomicU64>,
    health: watch::Receiver<Option<String>>,
    /// Set by `close()`: the writer stops waiting out a failing disk (see `writer::Hold`).
    closing: Arc<AtomicBool>,
    commits: Arc<AtomicU64>,
    applies: Arc<AtomicU64>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: ReadPool,
}

struct Submitter {
    next_seq: u64,
    /// `None` once closed.
    queue: Option<Sender<Job>>,
}

/// The ledger holds names, e-mail addresses and what was said in each interaction: only its owner
/// may read it. Folders created for it are 0700 and a new file 0600 (SQLite gives its `-wal` and
/// `-shm` files the database file's mode, so they follow). Folders that already existed are left
/// as they are: they may be shared on purpose, e.g. a `--data-dir` the user chose.
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)?;
    }
    // An empty file is a new database to SQLite; creating it here is what fixes its mode.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

/// A database file that other users could read (made by an older build, or copied in) is
/// narrowed to its owner before its WAL and shared-memory files are created from its mode; the
/// ones a crash left behind are narrowed the same way.
fn narrow_to_owner(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let mode = match std::fs::metadata(&file) {
            Ok(meta) => meta.permissions().mode(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    Ok(())
}

/// How a ledger is opened. [`Default`] is what a program that only keeps a ledger wants;
/// [`LedgerOptions::agent`] is what the agent opens its own with.
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    /// Journaled writes that may wait to be applied before new writes are held (tests use a
    /// small number).
    pub backlog_limit: i64,
    /// The niceness the applying thread lowers itself to (Linux), or `None` to keep the
    /// process's. Applying is off the hot path: below the threads a raise waits for, its long
    /// batches fill idle time instead of preempting them.
    pub apply_niceness: Option<i32>,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            backlog_limit: writer_thread::BACKLOG_LIMIT,
            apply_niceness: None,
        }
    }
}

impl LedgerOptions {
    /// The agent's: the applying thread at niceness 10, a tenth of a normal thread's share of a
    /// busy core (19 measured a little faster still, but would leave a history read that waits
    /// for the rows almost nothing on a machine busy with other programs).
    pub fn agent() -> Self {
        LedgerOptions {
            apply_niceness: Some(10),
            ..LedgerOptions::default()
        }
    }
}

impl Ledger {
    /// Opens (creating if needed, with parent dirs) the database file; runs migrations; starts the writer
    /// thread. A database whose user_version is newer than this build knows is refused with
    /// `StoreError::TooNew`, never altered (likewise a negative one, with `StoreError::UnknownVersion`).
    pub fn open(path: &Path) -> Result<Ledger, StoreError> {
        Ledger::open_with(path, LedgerOptions::default())
    }

    /// [`Ledger::open`] with `options`.
    pub fn open_with(path: &Path, options: LedgerOptions) -> Result<Ledger, StoreError> {
        let limit = options.backlog_limit;
        create_private(path)?;
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Before anything else: even the switch to WAL rewrites the file header, and a file from a newer
        // build must come out of this exactly as it went in.
        migrations::check_supported(&conn)?;
        narrow_to_owner(path)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::JournalMode(mode));
        }
        // FULL: the WAL is fsync'd at every commit, so a raise acknowledged as durable survives power
        // loss, not just a process crash. Group commit is what keeps that affordable.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Statement journals (an insert firing its triggers) stay in memory instead of temp files.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoint every 16 MB of WAL rather than 4 MB: a page rewritten by many commits (an index's
        // rightmost leaf, the search index's structure record) is copied into the database once per
        // checkpoint, so rarer checkpoints copy less. The WAL is cut back to 64 MB after one.
        conn.pragma_update(None, "wal_autocheckpoint", 4096)?;
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        // 16 MB of page cache (from 2 MB): search index merges read back the segments they merge.
        conn.pragma_update(None, "cache_size", -16 * 1024)?;
        // Room for every statement the writer runs (the update has a variant per mix of stages).
        conn.set_prepared_statement_cache_capacity(32);
        migrations::migrate(&mut conn)?;

        let (queue_tx, queue_rx) = mpsc::channel();
        let (committed_tx, committed_rx) = watch::channel(0);
        let (health_tx, health_rx) = watch::channel(None);
        let health_tx = Arc::new(health_tx);
        let closing = Arc::new(AtomicBool::new(false));
        let mut apply_hold = writer::Hold::new(Arc::clone(&health_tx), Arc::clone(&closing));
        let journal_hold = writer::Hold::new(health_tx, Arc::clone(&closing));
        let journal_path = journal::path_for(path);
        create_private(&journal_path)?;
        narrow_to_owner(&journal_path)?;
        let journal = journal::open_for_writing(&journal_path)?;
        // Writes a crash left in the journal become rows before anything else is read or written.
        writer_thread::recover(&mut conn, &journal, &mut apply_hold)?;
        // Rows a crash left waiting for the search index are indexed now, the way close() does. Not
        // fatal: rows that wait are still found by searches, and the writer will index them later.
        if let Err(error) = writer::index_all(&mut conn) {
            tracing::error!(%error, "indexing ledger rows left waiting for search failed");
        }

        // Readers reopen the file by name, possibly after the process changed directory.
        let readers = ReadPool::new(std::fs::canonicalize(path)?)?;

        let shared = Shared {
            committed: committed_tx,
            applied: Arc::new(AtomicU64::new(0)),
            commits: Arc::new(AtomicU64::new(0)),
            applies: Arc::new(AtomicU64::new(0)),
            backlog_limit: limit,
            apply_niceness: options.apply_niceness,
        };
        let (applied, commits, applies) = (
            Arc::clone(&shared.applied),
            Arc::clone(&shared.commits),
            Arc::clone(&shared.applies),
        );
        let handle =
            writer_thread::start(conn, journal, queue_rx, shared, journal_hold, apply_hold)?;

        Ok(Ledger {
            inner: Arc::new(Inner {
                submitter: Mutex::new(Submitter {
                    next_seq: 1,
                    queue: Some(queue_tx),
                }),
                committed: committed_rx,
                applied,
                health: health_rx,
                closing,
                commits,
                applies,
                writer: Mutex::new(Some(handle)),
                readers,
            }),
        })
    }

    /// Submits a write and returns its sequence number at once (no I/O on the caller's thread).
    ///
    /// After `close()` the write is dropped (and logged); its number will never be committed, and
    /// `committed()` receivers see the channel closed instead.
    pub fn submit(&self, write: LedgerWrite) -> u64 {
        self.inner.enqueue(write, None)
    }

    /// Watches the highest sequence number that is durably committed (fsync'd). Lets an async caller wait
    /// for "my write is durable" without blocking: `rx.wait_for(|s| *s >= seq).await`. A write that
    /// failed for its own sake (logged as an error) also counts as done, so waiting never hangs on it;
    /// one the machine could not take (see [`Ledger::health`]) is held and tried again instead.
    pub fn committed(&self) -> watch::Receiver<u64> {
        self.inner.committed.clone()
    }

    /// Watches whether the ledger can write: `None` while it can, else why not (a full disk, an I/O
    /// error, a lock held elsewhere). Meanwhile the writes are held, not dropped, and `committed()`
    /// stands still, so nothing that waits for them goes ahead unrecorded.
    pub fn health(&self) -> watch::Receiver<Option<String>> {
        self.inner.health.clone()
    }

    /// Submits and blocks until durable; reports this write's own failure, or `Closed`.
    pub fn write_blocking(&self, write: LedgerWrite) -> Result<(), StoreError> {
        let (ack_tx, ack_rx) = mpsc::sync_channel(1);
        self.inner.enqueue(write, Some(ack_tx));
        // The ack sender is dropped unanswered only if the write never reached a running writer.
        ack_rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// One page of history, newest first (see [`HistoryQuery`]).
    pub fn list(&self, q: &HistoryQuery) -> Result<Vec<HistoryRow>, StoreError> {
        self.inner.read(|conn| query::list(conn, q))
    }

    /// Everything stored about the raise with history id `id`.
    pub fn detail(&self, id: i64) -> Result<Option<HistoryDetail>, StoreError> {
        self.inner.read(|conn| query::detail(conn, id))
    }

    /// How many unconfirmed interactions there are (see [`HistoryQuery::unconfirmed`]).
    pub fn count_unconfirmed(&self) -> Result<u64, StoreError> {
        self.inner.read(query::count_unconfirmed)
    }

    /// How many rows `q` selects, counted up to `cap` (`cap` means "at least that many").
    pub fn count(&self, q: &HistoryQuery, cap: u32) -> Result<u64, StoreError> {
        self.inner.read(|conn| query::count(conn, q, cap))
    }

    /// How many rows `q` selects per day (local days, `utc_offset_minutes` east of UTC) and
    /// `stack` value: the history's chart.
    pub fn per_day(
        &self,
        q: &HistoryQuery,
        utc_offset_minutes: i32,
        stack: ChartStack,
    ) -> Result<Vec<DayCount>, StoreError> {
        self.inner.read(|conn| {
            crate::chart::per_day(conn, q, utc_offset_minutes, stack, Counting::Fastest)
        })
    }

    /// [`Ledger::per_day`] counted from the rows themselves, never from the chart's summary: to
    /// check the summary against, in tests and the benchmark.
    #[doc(hidden)]
    pub fn per_day_exact(
        &self,
        q: &HistoryQuery,
        utc_offset_minutes: i32,
        stack: ChartStack,
    ) -> Result<Vec<DayCount>, StoreError> {
        self.inner.read(|conn| {
            crate::chart::per_day(conn, q, utc_offset_minutes, stack, Counting::FromRows)
        })
    }

    /// Whether retention has anything older than `cutoff_ms` to remove (see `retention.rs`).
    pub fn expiry_due(&self, cutoff_ms: i64) -> Result<bool, StoreError> {
        self.inner
            .read(|conn| crate::retention::anything_due(conn, cutoff_ms))
    }

    /// People named in the ledger whose name or address starts with `typed` (see `people.rs`).
    pub fn people(&self, typed: &str, limit: u32) -> Result<Vec<Person>, StoreError> {
        self.inner
            .read(|conn| crate::people::suggest(conn, typed, limit))
    }

    /// The interaction the Interaction Log stored under `record_id`.
    pub fn interaction(&self, record_id: &str) -> Result<Option<Value>, StoreError> {
        self.inner.read(|conn| query::interaction(conn, record_id))
    }

    /// Stops the writer after draining what was submitted (also done on drop of the last handle) and
    /// indexing for search every row not indexed yet. Reads keep working.
    pub fn close(&self) {
        self.inner.close();
    }

    /// Durable commits so far (each one an fsync): lets tests check that writes really are grouped.
    #[doc(hidden)]
    pub fn commit_count(&self) -> u64 {
        self.inner.commits.load(Ordering::Relaxed)
    }

    /// Transactions that applied journaled writes to the rows so far (no fsync of their own).
    #[doc(hidden)]
    pub fn apply_count(&self) -> u64 {
        self.inner.applies.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("path", &self.inner.readers.path)
            .field("committed", &*self.inner.committed.borrow())
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn enqueue(
        &self,
        write: LedgerWrite,
        ack: Option<mpsc::SyncSender<Result<(), StoreError>>>,
    ) -> u64 {
        // Numbering and sending under one lock keeps the queue in sequence order, which is what lets the
        // writer publish "everything up to N is durable" from the last write of a batch.
        let mut submitter = lock(&self.submitter);
        let seq = submitter.next_seq;
        submitter.next_seq += 1;
        let pending = Pending {
            seq,
            write,
            ack,
            journal_id: None,
        };
        let sent = match &submitter.queue {
            Some(queue) => queue.send(Job::Write(pending)).map_err(|e| match e.0 {
                Job::Write(pending) => pending,
                Job::Settle(_) => unreachable!("a write was sent"),
            }),
            None => Err(pending),
        };
        if let Err(lost) = sent {
            tracing::error!(
                seq,
                raise_key = lost.write.raise_key().unwrap_or(""),
                "ledger is closed; write dropped"
            );
        }
        seq
    }

    /// Reads the rows once every write durable now is applied to them (see `writer_thread.rs`), so a
    /// read sees what the agent has been told is recorded.
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.applied.load(Ordering::Acquire) < *self.committed.borrow() {
            let (ack_tx, ack_rx) = mpsc::sync_channel(1);
            let sent = lock(&self.submitter)
                .queue
                .as_ref()
                .is_some_and(|queue| queue.send(Job::Settle(ack_tx)).is_ok());
            // Closed: the writer applies everything before it stops, and close() waits for that.
            // A ledger file the machine cannot write (see `health`) holds the rows back: the read
            // then shows what is applied rather than hang.
            if sent && ack_rx.recv_timeout(SETTLE_WAIT).is_err() {
                tracing::warn!("reading the ledger before its latest writes are applied");
            }
        }
        self.readers.with(f)
    }

    fn close(&self) {
        self.closing.store(true, Ordering::Release);
        // Dropping the only sender lets the writer finish the queue and then see the end of it.
        drop(lock(&self.submitter).queue.take());
        // Held while joining so that a concurrent close() also returns only once the queue is drained.
        let mut writer = lock(&self.writer);
        if let Some(handle) = writer.take() {
            if handle.join().is_err() {
                tracing::error!("ledger writer thread panicked");
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.close();
    }
}

/// Read-only connections. WAL lets them read a consistent snapshot while the writer commits.
struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    fn new(path: PathBuf) -> Result<ReadPool, StoreError> {
        // Open one now so that a file readers cannot open fails `open()`, not the first history request.
        let first = open_reader(&path)?;
        Ok(ReadPool {
            path,
            idle: Mutex::new(vec![first]),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = lock(&self.idle).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        let result = f(&conn);
        let mut idle = lock(&self.idle);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

/// Read access to a ledger that another process (the running agent) may be writing: for
/// `interlog history`, `export` and `verify`. It reads on a read-only connection and never indexes,
/// so it cannot get in the writer's way. It writes in two cases only, at open: a file an older build
/// left is brought up to this build's schema (as the agent would at its start), since the queries
/// read what the later steps add; and durable writes still in the journal (a crash, or the agent a
/// moment ago) are applied, so that what it shows, exports or verifies holds every one of them.
pub struct HistoryReader {
    conn: Connection,
}

impl HistoryReader {
    /// Opens an existing ledger read-only; a file from a newer build is refused (`TooNew`).
    pub fn open(path: &Path) -> Result<HistoryReader, StoreError> {
        let conn = open_reader(path)?;
        if migrations::check_supported(&conn)? < migrations::SCHEMA_VERSION {
            drop(conn);
            let mut writer = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            writer.busy_timeout(BUSY_TIMEOUT)?;
            migrations::migrate(&mut writer)?;
            drop(writer);
            return HistoryReader::open(path);
        }
        // Durable writes not yet applied (a crash, or the running agent a moment ago): applied now,
        // so that what is read, exported or verified holds every one of them.
        if let Err(error) = apply_journal(path) {
            tracing::warn!(
                %error,
                "the ledger's latest writes are still in its journal and are not shown: {error}"
            );
        }
        Ok(HistoryReader { conn })
    }

    pub fn list(&self, q: &HistoryQuery) -> Result<Vec<HistoryRow>, StoreError> {
        query::list(&self.conn, q)
    }

    pub fn detail(&self, id: i64) -> Result<Option<HistoryDetail>, StoreError> {
        query::detail(&self.conn, id)
    }

    /// How many unconfirmed interactions there are (see [`HistoryQuery::unconfirmed`]).
    pub fn count_unconfirmed(&self) -> Result<u64, StoreError> {
        query::count_unconfirmed(&self.conn)
    }

    /// How many rows `q` selects, counted up to `cap`.
    pub fn count(&self, q: &HistoryQuery, cap: u32) -> Result<u64, StoreError> {
        query::count(&self.conn, q, cap)
    }

    /// Checks the ledger's hash chain and every finished row against it (`interlog verify`).
    pub fn verify(&self) -> Result<crate::Verification, StoreError> {
        crate::seal::verify(&self.conn)
    }
}

/// Applies what waits in the journal of the ledger at `path`, from outside the agent (nothing to do
/// when there is no journal, or nothing in it past the ledger's applied mark).
fn apply_journal(path: &Path) -> Result<(), StoreError> {
    let Some(journal) = journal::open_for_reading(&journal::path_for(path))? else {
        return Ok(());
    };
    let pending = journal::last_id(&journal)?;
    let mut writer = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    writer.busy_timeout(BUSY_TIMEOUT)?;
    if pending <= journal::applied_through(&writer)? {
        return Ok(());
    }
    writer.pragma_update(None, "synchronous", "FULL")?;
    writer.pragma_update(None, "foreign_keys", true)?;
    writer.pragma_update(None, "temp_store", "MEMORY")?;
    // Closing already: a disk that cannot take the writes is reported, not waited out.
    let mut hold = writer::Hold::new(
        Arc::new(watch::channel(None).0),
        Arc::new(AtomicBool::new(true)),
    );
    writer_thread::recover(&mut writer, &journal, &mut hold)?;
    Ok(())
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Searches build a small index of their own in the temp schema (see `query.rs`): in memory.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

/// The data behind these locks (a counter and a sender, a thread handle, idle connections) stay valid
/// even if a holder panicked, so a poisoned lock is no reason to stop recording.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_is_send_sync_clone() {
        fn assert_traits<T: Send + Sync + Clone + 'static>() {}
        assert_traits::<Ledger>();
    }
}
