//! Interlog's ledger: every intent raise the agent handles, recorded in SQLite for compliance and for
//! the history UI.
//!
//! A raise is written *before* it is delivered and each later stage (resolved, delivered, completed) as
//! it happens, so after a crash the ledger says where every raise stopped. A write is durable once it
//! is in the journal: one thread appends whatever is queued to it in one transaction (group commit)
//! with `synchronous=FULL`; callers get a sequence number at once and can wait for it on
//! [`Ledger::committed`]. Another thread applies the journal to the rows in batches (`journal.rs`,
//! `writer_thread.rs`). Reads use their own read-only connections (WAL), once what is durable is
//! applied. Search is an FTS5 index that the applying thread fills a few hundred rows at a time;
//! searches also look at the rows still waiting for it, in the same snapshot, so they always see
//! every row.
//!
//! The crate never reads the clock: every timestamp is milliseconds since the epoch, given by the caller.

mod chart;
mod error;
mod extract;
mod filter;
mod index;
mod journal;
mod ledger;
mod migrations;
mod model;
mod people;
mod query;
mod retention;
mod seal;
mod writer;
mod writer_thread;

pub use error::StoreError;
pub use ledger::{HistoryReader, Ledger, LedgerOptions};
pub use migrations::SCHEMA_VERSION;
pub use model::{
    ChartStack, DayCount, HistoryDetail, HistoryOutcome, HistoryQuery, HistoryRow, JsonText,
    LedgerWrite, Outcome, Person, RaiseRecord, Resolution,
};
pub use query::explain;
pub use seal::{Tampering, Verification};
