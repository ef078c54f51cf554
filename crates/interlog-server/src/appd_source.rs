//! Reading app directory sources: AppD v2 files, `/v2/apps` URLs, and documents the
//! application carries under a name (the bundled sample apps, `interlog:samples`).
//!
//! A source that cannot be read or parsed is reported and skipped; the agent starts with the
//! rest (and always with the built-in apps).

use std::collections::BTreeMap;
use std::sync::Arc;

use interlog_core::directory::{Directory, DirectoryError};

/// How sources are read: the fetch timeout for URLs, and the named documents.
#[derive(Debug, Clone)]
pub struct SourceReader {
    pub fetch_timeout: std::time::Duration,
    /// AppD documents by source name (`interlog:samples`).
    pub bundled: Arc<BTreeMap<String, String>>,
}

impl SourceReader {
    pub fn new(fetch_timeout: std::time::Duration) -> SourceReader {
        SourceReader {
            fetch_timeout,
            bundled: Arc::default(),
        }
    }

    /// The text of one source.
    pub fn read(&self, source: &str) -> Result<String, SourceError> {
        if let Some(text) = self.bundled.get(source) {
            return Ok(text.clone());
        }
        if source.starts_with("interlog:") {
            return Err(SourceError::Unreadable {
                source_name: source.to_owned(),
                detail: "no such bundled directory in this Interlog".into(),
            });
        }
        read_source(source, self.fetch_timeout)
    }

    /// Builds the directory: the built-in apps first, then each source in order. Returns the
    /// problems found (whole sources or single records skipped) for the caller to report.
    pub fn load(&self, sources: &[String]) -> (Directory, Vec<String>) {
        let mut directory = Directory::new();
        let mut problems = Vec::new();
        if let Err(e) = directory.add_json("built-in apps", interlog_core::builtin::BUILTIN_APPD) {
            problems.push(e.to_string());
        }
        for source in sources {
            problems.extend(self.add_to(&mut directory, source));
        }
        (directory, problems)
    }

    /// Adds one source's apps to `directory`; what was wrong, if anything.
    pub fn add_to(&self, directory: &mut Directory, source: &str) -> Vec<String> {
        let result = self
            .read(source)
            .and_then(|text| Ok(directory.add_json(source, &text)?));
        match result {
            Ok(skipped) => skipped
                .into_iter()
                .map(|s| format!("{}: application #{}: {}", s.source_name, s.index, s.reason))
                .collect(),
            Err(e) => vec![e.to_string()],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{source_name}: {detail}")]
    Unreadable { source_name: String, detail: String },
    #[error(transparent)]
    Directory(#[from] DirectoryError),
}

/// The longest a directory fetch may take by default, from connecting to the last byte.
pub const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn read_source(source: &str, timeout: std::time::Duration) -> Result<String, SourceError> {
    let unreadable = |detail: String| SourceError::Unreadable {
        source_name: source.to_owned(),
        detail,
    };
    if source.starts_with("http://") || source.starts_with("https://") {
        // A server that does not answer must not hold up the agent's start.
        let mut response = ureq::get(source)
            .header("Accept", "application/json")
            .config()
            .timeout_global(Some(timeout))
            .build()
            .call()
            .map_err(|e| unreadable(e.to_string()))?;
        response
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| unreadable(e.to_string()))
    } else {
        std::fs::read_to_string(source).map_err(|e| unreadable(e.to_string()))
    }
}

/// [`SourceReader::load`] with no named documents.
pub fn load_directory(
    sources: &[String],
    fetch_timeout: std::time::Duration,
) -> (Directory, Vec<String>) {
    SourceReader::new(fetch_timeout).load(sources)
}
