//! Reading app directory sources: AppD v2 files and `/v2/apps` URLs.
//!
//! A source that cannot be read or parsed is reported and skipped; the agent starts with the
//! rest (and always with the built-in apps).

use interlog_core::directory::{Directory, DirectoryError};

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

/// Builds the directory: the built-in apps first, then each source in order. Returns the
/// problems found (whole sources or single records skipped) for the caller to report.
/// A URL source that has not answered within `fetch_timeout` is reported and skipped.
pub fn load_directory(
    sources: &[String],
    fetch_timeout: std::time::Duration,
) -> (Directory, Vec<String>) {
    let mut directory = Directory::new();
    let mut problems = Vec::new();
    if let Err(e) = directory.add_json("built-in apps", interlog_core::builtin::BUILTIN_APPD) {
        problems.push(e.to_string());
    }
    for source in sources {
        let result = read_source(source, fetch_timeout)
            .and_then(|text| Ok(directory.add_json(source, &text)?));
        match result {
            Ok(skipped) => problems.extend(
                skipped
                    .into_iter()
                    .map(|s| format!("{}: application #{}: {}", s.source_name, s.index, s.reason)),
            ),
            Err(e) => problems.push(e.to_string()),
        }
    }
    (directory, problems)
}
