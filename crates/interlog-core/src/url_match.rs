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

/// Is `page` one of the app's own pages, for a window opened at the app's `record` URL? The
/// origin must be the same and the path the record's or below it (`/crm/app` holds
/// `/crm/app/`, `/crm/app/index.html` and `/crm/app/contacts/7`, not `/crm/admin`). An app
/// moves between its pages without losing its instance; anywhere else it has none.
pub fn within_app(record: &Url, page: &Url) -> bool {
    if !same_origin(record, page) {
        return false;
    }
    let base = trimmed_path(record);
    let path = page.path();
    base.is_empty()
        || path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_apps_pages_are_its_url_and_below() {
        let record = parse_url("http://localhost:3001/apps/channels").unwrap();
        let within = |u: &str| within_app(&record, &parse_url(u).unwrap());
        assert!(within("http://localhost:3001/apps/channels"));
        assert!(within("http://localhost:3001/apps/channels/"));
        assert!(within(
            "http://localhost:3001/apps/channels/index.html?x=1#y"
        ));
        assert!(!within("http://localhost:3001/apps/channelsX"));
        assert!(!within("http://localhost:3001/apps/other"));
        assert!(!within("http://localhost:3002/apps/channels"));
        assert!(!within("https://localhost:3001/apps/channels"));
        let root = parse_url("https://crm.example.com/").unwrap();
        assert!(within_app(
            &root,
            &parse_url("https://crm.example.com/any/page").unwrap()
        ));
    }
}
