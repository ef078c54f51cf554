//! FDC3's rule for matching an app's identity URL to a directory record's `details.url`
//! (browser-resident desktop agents, "Validating app identity"): the origin must be equal, and
//! each further part the record's URL has (path, ignoring a trailing `/`; fragment; query
//! parameters) must be present and equal in the identity URL. More matching parts score higher.

use url::Url;

pub fn parse_url(text: &str) -> Option<Url> {
    Url::parse(text).ok()
}

/// Same origin (scheme, host, port), compared as tuples: opaque origins never match.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    let (oa, ob) = (a.origin(), b.origin());
    oa.is_tuple() && oa == ob
}

fn trimmed_path(url: &Url) -> &str {
    let p = url.path();
    let p = p.strip_suffix('/').unwrap_or(p);
    p
}

/// `Some(score)` if `record` matches `input`, else `None`.
pub fn match_score(record: &Url, input: &Url) -> Option<u32> {
    if !same_origin(record, input) {
        return None;
    }
    let mut score = 1;
    let record_path = trimmed_path(record);
    if !record_path.is_empty() {
        if trimmed_path(input) != record_path {
            return None;
        }
        score += 1;
    }
    if let Some(fragment) = record.fragment().filter(|f| !f.is_empty()) {
        if input.fragment() != Some(fragment) {
            return None;
        }
        score += 1;
    }
    if record.query().is_some_and(|q| !q.is_empty()) {
        let input_pairs: Vec<(String, String)> = input.query_pairs().into_owned().collect();
        for (k, v) in record.query_pairs() {
            let found = input_pairs.iter().find(|(ik, _)| *ik == k);
            if found.map(|(_, iv)| iv.as_str()) != Some(v.as_ref()) {
                return None;
            }
            score += 1;
        }
    }
    Some(score)
}
