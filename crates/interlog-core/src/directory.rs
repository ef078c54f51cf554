//! The app directory: AppD v2 records, merged from every source plus the built-in apps.
//!
//! Reading files and URLs is the caller's job; this module parses their text. A broken source
//! is reported with a clear error and loses nothing that was already loaded. The first record
//! with a given `appId` wins, so the built-in apps (loaded first) cannot be replaced.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::url_match::{match_score, parse_url};

/// What an app declares it does with an intent (`interop.intents.listensFor[intent]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentDecl {
    #[serde(default)]
    pub contexts: Vec<String>,
    #[serde(default)]
    pub result_type: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// One application record, with the fields the agent uses pulled out and the rest kept.
#[derive(Debug, Clone)]
pub struct AppRecord {
    pub app_id: String,
    pub title: String,
    pub app_type: String,
    pub description: Option<String>,
    pub details: Value,
    pub listens_for: BTreeMap<String, IntentDecl>,
    /// The whole record as it was read (for `getAppMetadata` and the UI).
    pub raw: Value,
    /// Where the record came from: whether its `details.path` may be run.
    pub provenance: Provenance,
}

/// Where a directory source is read from. A record can name a program to run; only a source
/// nobody else can have written on the way may do so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// A file, or Interlog's own built-in apps.
    Local,
    /// An `https://` URL the user configured.
    Https,
    /// A plain `http://` URL: anyone on the path could have changed it.
    Plain,
}

impl Provenance {
    pub fn of_source(source: &str) -> Provenance {
        if source.starts_with("https://") {
            Provenance::Https
        } else if source.starts_with("http://") {
            Provenance::Plain
        } else {
            Provenance::Local
        }
    }

    pub fn may_start_programs(self) -> bool {
        matches!(self, Provenance::Local | Provenance::Https)
    }
}

impl AppRecord {
    /// The record's `details.url`, the key for identity matching.
    pub fn url(&self) -> Option<&str> {
        self.details.get("url").and_then(Value::as_str)
    }

    /// The program to start for a `native` app (`details.path`) and its arguments; none for a
    /// record from a source that may not start programs.
    pub fn native_command(&self) -> Option<(String, Vec<String>)> {
        if self.app_type != "native" || !self.provenance.may_start_programs() {
            return None;
        }
        let path = self.details.get("path")?.as_str()?.to_owned();
        let arguments = self
            .details
            .get("arguments")
            .and_then(Value::as_str)
            .map(|a| a.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        Some((path, arguments))
    }

    pub fn icon(&self) -> Option<&str> {
        self.raw.pointer("/icons/0/src").and_then(Value::as_str)
    }

    /// Does the app declare `intent` for a context of `context_type`?
    pub fn accepts(&self, intent: &str, context_type: Option<&str>) -> bool {
        match (self.listens_for.get(intent), context_type) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(decl), Some(t)) => decl.contexts.iter().any(|c| c == t),
        }
    }

    /// The public `AppMetadata` of the app (what FDC3 lets other apps see), optionally for one
    /// of its instances.
    pub fn metadata(&self, instance_id: Option<&str>) -> Value {
        let mut meta = serde_json::Map::new();
        meta.insert("appId".into(), json!(self.app_id));
        if let Some(i) = instance_id {
            meta.insert("instanceId".into(), json!(i));
        }
        for key in [
            "name",
            "version",
            "title",
            "tooltip",
            "description",
            "icons",
            "screenshots",
        ] {
            if let Some(v) = self.raw.get(key) {
                if !v.is_null() {
                    meta.insert(key.into(), v.clone());
                }
            }
        }
        Value::Object(meta)
    }
}

/// Why a directory source could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    #[error("{source_name}: not valid JSON: {detail}")]
    NotJson { source_name: String, detail: String },
    #[error("{source_name}: expected {{\"applications\": [...]}} or an array of applications")]
    WrongShape { source_name: String },
}

/// A record that was skipped while loading a source (the rest of the source still loads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRecord {
    pub source_name: String,
    pub index: usize,
    pub reason: String,
}

#[derive(Debug, Default, Clone)]
pub struct Directory {
    apps: Vec<AppRecord>,
    by_id: HashMap<String, usize>,
}

/// The parts of a record that must be there; everything else is optional.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequiredFields {
    app_id: String,
    title: Option<String>,
    name: Option<String>,
    #[serde(rename = "type")]
    app_type: Option<String>,
    description: Option<String>,
    #[serde(default)]
    details: Value,
}

fn parse_record(raw: &Value) -> Result<AppRecord, String> {
    let fields: RequiredFields =
        serde_json::from_value(raw.clone()).map_err(|e| format!("not an application: {e}"))?;
    if fields.app_id.is_empty() {
        return Err("empty appId".into());
    }
    let listens_for = match raw.pointer("/interop/intents/listensFor") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| format!("{}: bad interop.intents.listensFor: {e}", fields.app_id))?,
    };
    Ok(AppRecord {
        title: fields
            .title
            .or(fields.name)
            .unwrap_or_else(|| fields.app_id.clone()),
        app_id: fields.app_id,
        app_type: fields.app_type.unwrap_or_else(|| "other".into()),
        description: fields.description,
        details: fields.details,
        listens_for,
        raw: raw.clone(),
        provenance: Provenance::Local,
    })
}

impl Directory {
    pub fn new() -> Directory {
        Directory::default()
    }

    /// Adds one record; returns false if its appId is already taken (first one wins).
    pub fn add_record(&mut self, record: AppRecord) -> bool {
        if self.by_id.contains_key(&record.app_id) {
            return false;
        }
        self.by_id.insert(record.app_id.clone(), self.apps.len());
        self.apps.push(record);
        true
    }

    /// Parses an AppD v2 document (`{"applications": [...]}` as `/v2/apps` answers, or a bare
    /// array) and adds its records. Bad records are skipped and listed; a document that is not
    /// JSON or not of either shape is an error and adds nothing.
    pub fn add_json(
        &mut self,
        source_name: &str,
        text: &str,
    ) -> Result<Vec<SkippedRecord>, DirectoryError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| DirectoryError::NotJson {
            source_name: source_name.into(),
            detail: e.to_string(),
        })?;
        let records = match &doc {
            Value::Array(a) => a,
            Value::Object(o) => match o.get("applications") {
                Some(Value::Array(a)) => a,
                _ => {
                    return Err(DirectoryError::WrongShape {
                        source_name: source_name.into(),
                    })
                }
            },
            _ => {
                return Err(DirectoryError::WrongShape {
                    source_name: source_name.into(),
                })
            }
        };
        let provenance = Provenance::of_source(source_name);
        let mut skipped = Vec::new();
        for (index, raw) in records.iter().enumerate() {
            let reason = match parse_record(raw) {
                Ok(mut record) => {
                    record.provenance = provenance;
                    let id = record.app_id.clone();
                    let refused_program =
                        record.app_type == "native" && !provenance.may_start_programs();
                    if self.add_record(record) {
                        if refused_program {
                            skipped.push(SkippedRecord {
                                source_name: source_name.into(),
                                index,
                                reason: format!(
                                    "`{id}` kept, but as a native app from a plain http:// source it will never be started (serve the directory over https or from a file)"
                                ),
                            });
                        }
                        continue;
                    }
                    format!("skipped: duplicate appId `{id}` (the first one is kept)")
                }
                Err(reason) => format!("skipped: {reason}"),
            };
            skipped.push(SkippedRecord {
                source_name: source_name.into(),
                index,
                reason,
            });
        }
        Ok(skipped)
    }

    pub fn get(&self, app_id: &str) -> Option<&AppRecord> {
        self.by_id.get(app_id).map(|&i| &self.apps[i])
    }

    pub fn apps(&self) -> impl Iterator<Item = &AppRecord> {
        self.apps.iter()
    }

    pub fn len(&self) -> usize {
        self.apps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.apps.is_empty()
    }

    /// The record whose `details.url` best matches `identity_url` (FDC3 "Validating app
    /// identity": every part present in the record's URL must match; most parts wins).
    pub fn match_identity_url(&self, identity_url: &str) -> Option<&AppRecord> {
        let input = parse_url(identity_url)?;
        let mut best: Option<(&AppRecord, u32)> = None;
        for app in &self.apps {
            let Some(record_url) = app.url().and_then(parse_url) else {
                continue;
            };
            if let Some(score) = match_score(&record_url, &input) {
                if best.is_none_or(|(_, s)| score > s) {
                    best = Some((app, score));
                }
            }
        }
        best.map(|(app, _)| app)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRM: &str = r#"{"applications": [
        {"appId": "crm", "title": "CRM", "type": "web", "details": {"url": "https://crm.example.com/app"},
         "interop": {"intents": {"listensFor": {"CreateInteraction": {"contexts": ["fdc3.interaction"], "resultType": "fdc3.transactionResult"}}}}},
        {"appId": "crm-admin", "title": "CRM admin", "type": "web", "details": {"url": "https://crm.example.com/app?view=admin"}}
    ]}"#;

    #[test]
    fn only_files_and_https_sources_may_start_programs() {
        let native = r#"[{"appId": "dialer", "title": "Dialer", "type": "native", "details": {"path": "/usr/bin/dialer"}}]"#;
        for (source, starts) in [
            ("/etc/interlog/apps.json", true),
            ("https://apps.example.com/v2/apps", true),
            ("http://apps.example.com/v2/apps", false),
        ] {
            let mut d = Directory::new();
            let problems = d.add_json(source, native).unwrap();
            let app = d.get("dialer").expect("the record is listed either way");
            assert_eq!(app.native_command().is_some(), starts, "{source}");
            assert_eq!(
                problems.len(),
                usize::from(!starts),
                "{source}: {problems:?}"
            );
            if !starts {
                assert!(
                    problems[0].reason.contains("never be started"),
                    "{problems:?}"
                );
            }
        }
    }

    #[test]
    fn loads_both_shapes_and_first_wins() {
        let mut d = Directory::new();
        assert!(d.add_json("a", CRM).unwrap().is_empty());
        let skipped = d
            .add_json(
                "b",
                r#"[{"appId": "crm", "title": "Other", "type": "web", "details": {}}]"#,
            )
            .unwrap();
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].reason.contains("duplicate"));
        assert_eq!(d.get("crm").unwrap().title, "CRM");
        assert!(d
            .get("crm")
            .unwrap()
            .accepts("CreateInteraction", Some("fdc3.interaction")));
        assert!(!d
            .get("crm")
            .unwrap()
            .accepts("CreateInteraction", Some("fdc3.contact")));
    }

    #[test]
    fn broken_sources_are_errors_that_add_nothing() {
        let mut d = Directory::new();
        assert!(matches!(
            d.add_json("x", "{not json"),
            Err(DirectoryError::NotJson { .. })
        ));
        assert!(matches!(
            d.add_json("y", r#"{"apps": []}"#),
            Err(DirectoryError::WrongShape { .. })
        ));
        let skipped = d.add_json("z", r#"[{"title": "no id"}, 5]"#).unwrap();
        assert_eq!(skipped.len(), 2);
        assert!(d.is_empty());
    }

    #[test]
    fn identity_matching_prefers_the_most_specific_record() {
        let mut d = Directory::new();
        d.add_json("a", CRM).unwrap();
        let m = |u: &str| d.match_identity_url(u).map(|a| a.app_id.clone());
        assert_eq!(m("https://crm.example.com/app").as_deref(), Some("crm"));
        assert_eq!(m("https://crm.example.com/app/").as_deref(), Some("crm"));
        assert_eq!(
            m("https://crm.example.com/app?view=admin").as_deref(),
            Some("crm-admin")
        );
        assert_eq!(m("https://crm.example.com/other"), None);
        assert_eq!(m("https://evil.example.com/app"), None);
        assert_eq!(m("not a url"), None);
    }
}
