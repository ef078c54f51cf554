//! The history's filters as SQL: the access path that drives a page (the search index, the partial
//! index of unsettled raises, or the primary key) and the conditions every row must meet.
//!
//! Exact conditions are always checked on the row itself. Where a filter's value can also be looked
//! up in the search index (a participant, an app, an interaction type), it is added to the index
//! query as a column phrase, so a rare value makes the index drive instead of a walk of the whole
//! ledger; the exact check then removes the near misses a phrase allows ("sample-chat-2" for
//! "sample-chat").

use rusqlite::types::Value as SqlValue;

use crate::model::HistoryQuery;

/// The raises that are not `Created` or `Updated`: the WHERE clause of the `raises_unsettled`
/// partial index (migration 6), spelled the same here so that SQLite can use the index.
pub(crate) const UNSETTLED: &str =
    "(result_status IS NULL OR result_status NOT IN ('Created', 'Updated'))";

/// A row's [`HistoryOutcome`](crate::model::HistoryOutcome), in SQL: the one place it is decided. The history reads it as a
/// column and the outcome filter compares it.
pub(crate) const OUTCOME_SQL: &str = "CASE
    WHEN r.result_status IN ('Created', 'Updated', 'Deleted', 'Failed') THEN lower(r.result_status)
    WHEN r.error = 'IntentHandlerRejected' THEN 'rejected'
    WHEN r.error = 'NoResultReturned' THEN 'no_result'
    WHEN r.error = 'UserCancelledResolution' THEN 'cancelled'
    WHEN r.error IN ('ResolverTimeout', 'ApiTimeout', 'AppTimeout') THEN 'timed_out'
    WHEN r.state = 'completed' THEN 'no_result'
    WHEN r.state = 'failed' THEN 'delivery_failed'
    ELSE 'pending' END";

/// [`OUTCOME_SQL`] for the row alias `alias` (`old` in a trigger).
pub(crate) fn outcome_sql(alias: &str) -> String {
    OUTCOME_SQL.replace("r.", &format!("{alias}."))
}

/// What walks the rows of a page, newest first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Driver {
    /// The primary key, backwards.
    Newest,
    /// The `raises_unsettled` partial index, backwards: for outcomes that are few.
    Unsettled,
    /// The search index with this FTS5 query, its rowids backwards.
    Search(String),
}

/// The conditions on `raises r` beyond the period, as SQL (each starting with `AND`) and the values
/// of its named parameters.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    pub sql: String,
    pub params: Vec<(String, SqlValue)>,
    /// Test each row's id against the unsettled ids before anything else (see `Plan::of`).
    pub unsettled_ids_first: bool,
}

impl Conditions {
    /// The conditions as SQL, for a statement whose rows' ids are `id` (a column).
    pub(crate) fn sql_for(&self, id: &str) -> String {
        if !self.unsettled_ids_first {
            return self.sql.clone();
        }
        format!(
            " AND {id} IN (SELECT id FROM raises INDEXED BY raises_unsettled WHERE {UNSETTLED}){}",
            self.sql
        )
    }

    fn bind(&mut self, value: impl Into<SqlValue>) -> String {
        let name = format!(":f{}", self.params.len());
        self.params.push((name.clone(), value.into()));
        name
    }

    /// `AND <column> IN (...)` over `values`, if any.
    fn any_of(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let names: Vec<String> = values.iter().map(|v| self.bind(v.clone())).collect();
        self.sql += &format!(" AND {column} IN ({})", names.join(", "));
    }
}

/// How a query is run: its driver and its conditions.
#[derive(Debug)]
pub(crate) struct Plan {
    pub driver: Driver,
    pub conditions: Conditions,
}

impl Plan {
    pub(crate) fn of(q: &HistoryQuery) -> Plan {
        let mut c = Conditions::default();
        c.any_of("r.interaction_type", &q.interaction_types);
        c.any_of("r.raiser_app", &q.raisers);
        c.any_of("r.handler_app", &q.handlers);
        if !q.participants.is_empty() {
            let mut any = Vec::new();
            for person in &q.participants {
                let p = c.bind(person.trim().to_owned());
                // A name is one of the row's display names; an address (no spaces) may also be
                // one of the id values of a contact in the context (its `id` map).
                let mut one = format!(
                    "EXISTS (SELECT 1 FROM json_each(r.participants) WHERE lower(json_each.value) = lower({p}))"
                );
                if !person.trim().contains(char::is_whitespace) {
                    one += &format!(
                        " OR EXISTS (SELECT 1 FROM json_tree(r.context) t
                             WHERE t.path LIKE '%.id' AND t.type = 'text' AND lower(t.value) = lower({p}))"
                    );
                }
                any.push(format!("({one})"));
            }
            c.sql += &format!(" AND ({})", any.join(" OR "));
        }
        if !q.outcomes.is_empty() {
            let names: Vec<String> = q
                .outcomes
                .iter()
                .map(|o| c.bind(o.as_str().to_owned()))
                .collect();
            c.sql += &format!(" AND ({OUTCOME_SQL}) IN ({})", names.join(", "));
        }
        if q.unconfirmed {
            c.sql += " AND r.intent = 'CreateInteraction'";
        }
        // The interaction's own time range: it reaches `since` and starts before `until`.
        let start = "unixepoch(json_extract(r.context, '$.timeRange.startTime'), 'subsec') * 1000";
        let end = "unixepoch(json_extract(r.context, '$.timeRange.endTime'), 'subsec') * 1000";
        if let Some(since) = q.happened_since_ms {
            let p = c.bind(since);
            c.sql += &format!(" AND coalesce({end}, {start}) >= {p}");
        }
        if let Some(until) = q.happened_until_ms {
            let p = c.bind(until);
            c.sql += &format!(" AND {start} < {p}");
        }

        let unsettled_only =
            q.unconfirmed || (!q.outcomes.is_empty() && q.outcomes.iter().all(|o| !o.is_settled()));
        let typed = q.search.as_deref().and_then(fts_query);
        let driver = match (typed, unsettled_only) {
            (Some(typed), _) => Driver::Search(with_columns(Some(typed), q)),
            (None, true) => Driver::Unsettled,
            (None, false) => {
                let columns = with_columns(None, q);
                if columns.is_empty() {
                    Driver::Newest
                } else {
                    Driver::Search(columns)
                }
            }
        };
        // The unconfirmed are unsettled; the partial index needs its WHERE among the conditions.
        if q.unconfirmed || driver == Driver::Unsettled {
            c.sql += &format!(" AND {UNSETTLED}");
        }
        // Text searched for and outcomes that are few: each match of the text is first looked up
        // among the unsettled ids (one pass over that small index, kept in memory), so the many
        // matches that are settled cost no read of their row. On the index's rowid, so that the
        // test is made before the row is sought (on `r.id` it came after: twice the time); the `+`
        // keeps it a test, never a constraint handed to FTS5 (which would run the query per id).
        if unsettled_only && matches!(driver, Driver::Search(_)) {
            c.unsettled_ids_first = true;
        }
        Plan {
            driver,
            conditions: c,
        }
    }
}

/// The search text's query and the column phrases of the filters that the index holds, all of which
/// must match. Empty when there is nothing for the index.
fn with_columns(typed: Option<String>, q: &HistoryQuery) -> String {
    let mut parts: Vec<String> = typed.into_iter().collect();
    for (column, values) in [
        ("interaction_type", &q.interaction_types),
        ("participant_terms", &q.participants),
        ("raiser_app", &q.raisers),
        ("handler_app", &q.handlers),
    ] {
        // A value with nothing the tokenizer indexes cannot be a phrase: its exact check alone
        // decides, and the group is left out of the index query.
        if values.is_empty() || values.iter().any(|v| !v.chars().any(char::is_alphanumeric)) {
            continue;
        }
        let phrases: Vec<String> = values
            .iter()
            .map(|v| format!("{column} : {}", quote(v)))
            .collect();
        parts.push(format!("({})", phrases.join(" OR ")));
    }
    parts.join(" AND ")
}

/// A string as one FTS5 phrase: within double quotes, its own double quotes doubled. Control
/// characters become spaces (FTS5 reads the query as a C string: a NUL would end it).
fn quote(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("\"{}\"", clean.replace('"', "\"\""))
}

/// Turns what the user typed into an FTS5 query that cannot be a syntax error. Text in double
/// quotes is a phrase (its words in that order); every other whitespace-separated word is matched
/// as a prefix; all must match. FTS operators and column filters lose their meaning. Words with
/// nothing the tokenizer would index (pure punctuation) are dropped; `None` means nothing
/// searchable was typed, i.e. no filter. An unclosed quote runs to the end.
pub(crate) fn fts_query(search: &str) -> Option<String> {
    let mut parts = Vec::new();
    for (i, piece) in search.split('"').enumerate() {
        if i % 2 == 1 {
            // Inside quotes: one phrase.
            if piece.chars().any(char::is_alphanumeric) {
                parts.push(quote(piece));
            }
            continue;
        }
        parts.extend(
            piece
                .split(|c: char| c.is_whitespace() || c.is_control())
                .filter(|word| word.chars().any(char::is_alphanumeric))
                .map(|word| format!("{}*", quote(word))),
        );
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(" AND "))
    }
}
