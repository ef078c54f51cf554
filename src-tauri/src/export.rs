//! `interlog export`: the history, filtered as `interlog history` filters it, written out whole as
//! CSV or JSON Lines. Streamed a page at a time (keyset paging), so memory stays flat at a
//! million rows; to a file it goes through a temporary file renamed at the end, so a failed
//! export never leaves a partial file behind under the name asked for.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use interlog_store::{HistoryQuery, HistoryReader, HistoryRow, Ledger, StoreError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "ExportFormat")]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// The file name extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// Where an export reads its pages: the command line's read-only file, or the running agent's ledger.
pub trait Pages {
    fn page(&self, q: &HistoryQuery) -> Result<Vec<HistoryRow>, StoreError>;
}

impl Pages for HistoryReader {
    fn page(&self, q: &HistoryQuery) -> Result<Vec<HistoryRow>, StoreError> {
        self.list(q)
    }
}

impl Pages for Ledger {
    fn page(&self, q: &HistoryQuery) -> Result<Vec<HistoryRow>, StoreError> {
        self.list(q)
    }
}

/// Told the count written so far after each page; `Break` stops the export (`Cancelled`).
pub type Progress<'a> = &'a mut dyn FnMut(u64) -> ControlFlow<()>;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the export: {0}")]
    Output(#[from] std::io::Error),
    #[error("cannot write a CSV row: {0}")]
    Csv(#[from] csv::Error),
    #[error("the export was cancelled; nothing was written")]
    Cancelled,
}

const CSV_HEADER: [&str; 17] = [
    "id",
    "raised_at",
    "intent",
    "context_type",
    "interaction_type",
    "participants",
    "description",
    "raiser_app",
    "raiser_instance",
    "handler_app",
    "handler_instance",
    "resolution",
    "state",
    "result_status",
    "error",
    "record_id",
    "raise_key",
];

fn csv_record(row: &HistoryRow) -> [String; 17] {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        row.id.to_string(),
        interlog_core::message::iso_time(row.raised_at_ms),
        o(&row.intent),
        row.context_type.clone(),
        o(&row.interaction_type),
        row.participants.join("; "),
        o(&row.description),
        row.raiser_app.clone(),
        row.raiser_instance.clone(),
        o(&row.handler_app),
        o(&row.handler_instance),
        o(&row.resolution),
        row.state.clone(),
        o(&row.result_status),
        o(&row.error),
        o(&row.record_id),
        row.raise_key.clone(),
    ]
}

/// Writes every row `query` selects (its limit is ignored), newest first; returns how many.
pub fn write_all(
    ledger: &impl Pages,
    query: &HistoryQuery,
    format: Format,
    out: impl Write,
    progress: Progress<'_>,
) -> Result<u64, ExportError> {
    let mut page = query.clone();
    page.limit = HistoryQuery::MAX_LIMIT;
    page.before_id = None;
    let mut count = 0u64;
    let mut csv_out = None;
    let mut plain = None;
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(CSV_HEADER)?;
            csv_out = Some(w);
        }
        Format::Jsonl => plain = Some(std::io::BufWriter::new(out)),
    }
    loop {
        let rows = ledger.page(&page)?;
        for row in &rows {
            if let Some(w) = csv_out.as_mut() {
                w.write_record(csv_record(row))?;
            }
            if let Some(w) = plain.as_mut() {
                serde_json::to_writer(&mut *w, row).map_err(std::io::Error::other)?;
                w.write_all(b"\n")?;
            }
        }
        count += rows.len() as u64;
        if progress(count).is_break() {
            return Err(ExportError::Cancelled);
        }
        if rows.len() < HistoryQuery::MAX_LIMIT as usize {
            break;
        }
        page.before_id = rows.last().map(|r| r.id);
    }
    if let Some(mut w) = csv_out {
        w.flush()?;
    }
    if let Some(mut w) = plain {
        w.flush()?;
    }
    Ok(count)
}

/// Exports to `path` through a temporary file beside it, renamed into place once complete.
pub fn to_file(
    ledger: &impl Pages,
    query: &HistoryQuery,
    format: Format,
    path: &Path,
    progress: Progress<'_>,
) -> Result<u64, ExportError> {
    let write_error = |source| ExportError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::NamedTempFile::new_in(&dir).map_err(write_error)?;
    // Cancelled or failed, the temporary file is removed as `tmp` is dropped.
    let count = write_all(ledger, query, format, tmp.as_file(), progress)?;
    tmp.as_file().sync_all().map_err(write_error)?;
    tmp.persist(path).map_err(|e| write_error(e.error))?;
    Ok(count)
}
