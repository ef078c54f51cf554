//! The read side: history list, search and detail. Every function takes a read-only connection.

use rusqlite::types::Type;
use rusqlite::ToSql;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

use crate::error::StoreError;
use crate::filter::{Conditions, Driver, Plan, OUTCOME_SQL, UNSETTLED};
use crate::model::{HistoryDetail, HistoryOutcome, HistoryQuery, HistoryRow};

/// The columns [`history_row`] reads, in its order. Detail queries append their own after these.
fn row_columns() -> String {
    format!(
        "r.id, r.raise_key, r.raised_at_ms, r.intent, r.context_type,
    r.interaction_type, r.participants, r.description, r.raiser_app, r.raiser_instance, r.handler_app,
    r.handler_instance, r.resolution, r.state, r.result_status, r.error, r.record_id, {OUTCOME_SQL},
    EXISTS (SELECT 1 FROM resends s WHERE s.original_id = r.id)"
    )
}
const ROW_COLUMN_COUNT: usize = 19;

/// The statement for one page: `columns` of the rows `driver` walks that meet `conditions` in the
/// period (see [`Period::params`]), newest first.
pub(crate) fn page_sql(driver: &Driver, conditions: &Conditions, columns: &str) -> String {
    let conditions = match driver {
        // On the index's rowid, so that the test is made before the row is sought (on `r.id` it
        // came after: twice the time); the `+` keeps it a test, never a constraint handed to FTS5
        // (which would run the whole query once per id).
        Driver::Search(_) => conditions.sql_for("+raises_fts.rowid"),
        _ => conditions.sql_for("r.id"),
    };
    match driver {
        Driver::Newest => format!(
            "SELECT {columns} FROM raises r
             WHERE r.id >= :low AND r.id < :high
               AND r.raised_at_ms >= :since AND r.raised_at_ms < :until {conditions}
             ORDER BY r.id DESC LIMIT :limit"
        ),
        // The index's WHERE is among `conditions` (`Plan::of` adds it): INDEXED BY makes a
        // statement that could not use it fail to prepare rather than walk the whole table.
        Driver::Unsettled => format!(
            "SELECT {columns} FROM raises r INDEXED BY raises_unsettled
             WHERE r.id >= :low AND r.id < :high
               AND r.raised_at_ms >= :since AND r.raised_at_ms < :until {conditions}
             ORDER BY r.id DESC LIMIT :limit"
        ),
        // The FTS table drives, walking its rowids downwards.
        Driver::Search(_) => format!(
            "SELECT {columns} FROM raises_fts JOIN raises r ON r.id = raises_fts.rowid
             WHERE raises_fts MATCH :matcher AND raises_fts.rowid >= :low AND raises_fts.rowid < :high
               AND r.raised_at_ms >= :since AND r.raised_at_ms < :until {conditions}
             ORDER BY raises_fts.rowid DESC LIMIT :limit"
        ),
    }
}

/// The production statement for `q`'s first page and its parameters, for plan tests and the benchmark.
#[doc(hidden)]
pub fn explain(conn: &Connection, q: &HistoryQuery) -> Result<Vec<String>, StoreError> {
    let plan = Plan::of(q);
    let sql = page_sql(&plan.driver, &plan.conditions, &row_columns());
    let period = Period::of(conn, q)?;
    let limit = i64::from(q.effective_limit());
    let mut params = period.params(&limit);
    let matcher = match &plan.driver {
        Driver::Search(m) => Some(m.clone()),
        _ => None,
    };
    if let Some(m) = &matcher {
        params.push((":matcher", m));
    }
    for (name, value) in &plan.conditions.params {
        params.push((name.as_str(), value));
    }
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let steps = stmt
        .query_map(params.as_slice(), |r| r.get::<_, String>(3))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(steps)
}

/// How many unconfirmed interactions the ledger holds (the history's badge): a walk of the
/// partial index of unsettled raises (few, in a healthy ledger).
pub(crate) fn count_unconfirmed(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM raises INDEXED BY raises_unsettled
             WHERE intent = 'CreateInteraction' AND {UNSETTLED}"
        ))?
        .query_row([], |r| r.get(0))?;
    Ok(n as u64)
}

/// One page of history, newest first.
pub(crate) fn list(conn: &Connection, q: &HistoryQuery) -> Result<Vec<HistoryRow>, StoreError> {
    let limit = i64::from(q.effective_limit());
    // One snapshot for the period's bounds and the rows they bound.
    let snapshot = conn.unchecked_transaction()?;
    let period = Period::of(&snapshot, q)?;
    if period.is_empty() {
        return Ok(Vec::new());
    }
    let plan = Plan::of(q);
    let rows = select(
        &snapshot,
        &plan,
        &period,
        limit,
        &row_columns(),
        history_row,
    )?;
    // Commit, not roll back: that keeps the temp index (see `unindexed_matches`) for the next search.
    snapshot.commit()?;
    Ok(rows)
}

/// How many rows `q` selects (its page size and `before_id` aside), counting up to `cap`: the
/// count is exact below it, and `cap` means "at least".
pub(crate) fn count(conn: &Connection, q: &HistoryQuery, cap: u32) -> Result<u64, StoreError> {
    let q = HistoryQuery {
        before_id: None,
        ..q.clone()
    };
    let snapshot = conn.unchecked_transaction()?;
    let period = Period::of(&snapshot, &q)?;
    if period.is_empty() {
        return Ok(0);
    }
    let plan = Plan::of(&q);
    let ids = select(&snapshot, &plan, &period, i64::from(cap), "r.id", |r| {
        r.get::<_, i64>(0)
    })?;
    snapshot.commit()?;
    Ok(ids.len() as u64)
}

/// The rows of one page: `columns` read by `read`, `limit` at most, newest first. For a search,
/// the rows still waiting for the search index are looked at too (see `index.rs`), in the same
/// snapshot: the writer moves rows from one half to the other, and two snapshots could see a row
/// in neither or in both.
fn select<T>(
    conn: &Connection,
    plan: &Plan,
    period: &Period,
    limit: i64,
    columns: &str,
    read: impl Fn(&Row<'_>) -> rusqlite::Result<T> + Copy,
) -> Result<Vec<T>, StoreError>
where
    T: HasId,
{
    let conditions = &plan.conditions;
    let mut params = period.params(&limit);
    if let Driver::Search(matcher) = &plan.driver {
        params.push((":matcher", matcher));
    }
    for (name, value) in &conditions.params {
        params.push((name.as_str(), value));
    }
    let mut rows = conn
        .prepare_cached(&page_sql(&plan.driver, conditions, columns))?
        .query_map(params.as_slice(), read)?
        .collect::<Result<Vec<_>, _>>()?;
    let Driver::Search(matcher) = &plan.driver else {
        return Ok(rows);
    };
    // A row is in one half or the other, never both. When the page is full, only waiting rows
    // newer than its last row can still make it.
    let full = usize::try_from(limit).unwrap_or(usize::MAX);
    let cutoff = match rows.last() {
        Some(last) if rows.len() >= full => last.id(),
        _ => i64::MIN,
    };
    let waiting = waiting_rows(conn, plan, matcher, period, cutoff, columns, read)?;
    if waiting.is_empty() {
        return Ok(rows);
    }
    rows.extend(waiting);
    rows.sort_unstable_by_key(|row| std::cmp::Reverse(row.id()));
    rows.truncate(full);
    Ok(rows)
}

/// `columns` (read by `read`) of the rows above id `above` in `period` that wait for the search
/// index and match `matcher` and the plan's conditions. They are few: all are looked at.
pub(crate) fn waiting_rows<T>(
    conn: &Connection,
    plan: &Plan,
    matcher: &str,
    period: &Period,
    above: i64,
    columns: &str,
    read: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let any: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM raises_unindexed WHERE id >= ?1 AND id < ?2)",
        )?
        .query_row([period.low_id, period.high_id], |r| r.get(0))?;
    if !any {
        return Ok(Vec::new());
    }
    let conditions = &plan.conditions;
    let mut one = conn.prepare_cached(&format!(
        "SELECT {columns} FROM raises r
         WHERE r.id = :id AND r.raised_at_ms >= :since AND r.raised_at_ms < :until {}",
        conditions.sql_for("r.id")
    ))?;
    let mut found = Vec::new();
    for id in unindexed_matches(conn, matcher, period.high_id)?
        .into_iter()
        .filter(|&id| id > above && id >= period.low_id)
    {
        let mut params: Vec<(&str, &dyn ToSql)> = vec![
            (":id", &id),
            (":since", &period.since_ms),
            (":until", &period.until_ms),
        ];
        for (name, value) in &conditions.params {
            params.push((name.as_str(), value));
        }
        if let Some(row) = one.query_row(params.as_slice(), &read).optional()? {
            found.push(row);
        }
    }
    Ok(found)
}

/// What a page is ordered by: its rows' history ids.
trait HasId {
    fn id(&self) -> i64;
}

impl HasId for HistoryRow {
    fn id(&self) -> i64 {
        self.id
    }
}

impl HasId for i64 {
    fn id(&self) -> i64 {
        *self
    }
}

/// What a query asks for, as the range of ids `[low_id, high_id)` to walk and the times each row
/// there must fall in. "No bound" is a full-range number rather than a NULL test, so that every page
/// runs the very same statement, with the bounds pushed into the primary-key (or FTS rowid) range scan.
pub(crate) struct Period {
    low_id: i64,
    high_id: i64,
    since_ms: i64,
    until_ms: i64,
}

impl Period {
    /// Ids are given in raise order and raise times are taken in that same order, so the first
    /// raise at or after a time bounds the ids on that side: one seek in `raises_raised_at` per bound,
    /// however many rows the ledger holds. Each row is still checked against the times, so a clock
    /// set back between two raises can at worst hide a raise at a period's edge, never show one from
    /// outside it.
    pub(crate) fn of(conn: &Connection, q: &HistoryQuery) -> Result<Period, StoreError> {
        let mut first_at_or_after = conn.prepare_cached(
            "SELECT id FROM raises WHERE raised_at_ms >= ?1 ORDER BY raised_at_ms, id LIMIT 1",
        )?;
        let mut first_id = |at: i64| -> Result<i64, StoreError> {
            // Nothing at or after `at`: the bound lies past every id.
            Ok(first_at_or_after
                .query_row([at], |r| r.get(0))
                .optional()?
                .unwrap_or(i64::MAX))
        };
        let low_id = match q.since_ms {
            Some(at) => first_id(at)?,
            None => i64::MIN,
        };
        let high_id = match q.until_ms {
            Some(at) => first_id(at)?,
            None => i64::MAX,
        };
        Ok(Period {
            low_id,
            high_id: high_id.min(q.before_id.unwrap_or(i64::MAX)),
            since_ms: q.since_ms.unwrap_or(i64::MIN),
            until_ms: q.until_ms.unwrap_or(i64::MAX),
        })
    }

    /// The bounds as the named parameters the list statements use, with the page size.
    pub(crate) fn params<'a>(&'a self, limit: &'a i64) -> Vec<(&'a str, &'a dyn ToSql)> {
        vec![
            (":low", &self.low_id),
            (":high", &self.high_id),
            (":since", &self.since_ms),
            (":until", &self.until_ms),
            (":limit", limit),
        ]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.low_id >= self.high_id || self.since_ms >= self.until_ms
    }
}

/// The searchable columns, in `raises_fts` order.
const FTS_COLUMNS: &str = "intent, context_type, interaction_type, participant_terms, description,
    raiser_app, handler_app, record_id";

/// The ids, newest first, of the rows below `before` that wait for the search index and match.
///
/// They are few, so this connection indexes them itself, in an index of the same make in its temp
/// schema (in memory): the very same tokenizer and query, hence the very same matches as in
/// `raises_fts`. That index is kept from one search to the next (`unindexed_seen` holds the text it
/// indexed), and only brought up to date: rows the writer has indexed since, or whose text changed,
/// leave it; rows that started waiting come in. Successive searches as the user types touch only a row
/// or two.
fn unindexed_matches(
    conn: &Connection,
    matcher: &str,
    before: i64,
) -> Result<Vec<i64>, StoreError> {
    let ready: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM temp.sqlite_schema WHERE name = 'unindexed_seen')",
        )?
        .query_row([], |r| r.get(0))?;
    if !ready {
        // Contentless and without column sizes: only the tokens, all MATCH needs to give rowids.
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE temp.unindexed_fts USING fts5({FTS_COLUMNS},
                 content = '', columnsize = 0,
                 tokenize = 'unicode61 remove_diacritics 2'
             );
             CREATE TABLE temp.unindexed_seen (id INTEGER PRIMARY KEY, {FTS_COLUMNS});"
        ))?;
    }
    // CROSS JOIN keeps the short list of waiting ids as the outer loop: left to itself, the planner
    // may walk all of `raises` instead.
    let gone: Vec<i64> = conn
        .prepare_cached(
            "SELECT s.id FROM temp.unindexed_seen s WHERE NOT EXISTS (
                 SELECT 1 FROM main.raises_unindexed u CROSS JOIN main.raises r ON r.id = u.id
                 WHERE u.id = s.id
                   AND r.intent IS s.intent AND r.context_type IS s.context_type
                   AND r.interaction_type IS s.interaction_type
                   AND r.participant_terms IS s.participant_terms
                   AND r.description IS s.description AND r.raiser_app IS s.raiser_app
                   AND r.handler_app IS s.handler_app AND r.record_id IS s.record_id)",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in gone {
        conn.prepare_cached(&format!(
            "INSERT INTO temp.unindexed_fts (unindexed_fts, rowid, {FTS_COLUMNS})
             SELECT 'delete', id, {FTS_COLUMNS} FROM temp.unindexed_seen WHERE id = ?1"
        ))?
        .execute([id])?;
        conn.prepare_cached("DELETE FROM temp.unindexed_seen WHERE id = ?1")?
            .execute([id])?;
    }
    for table in ["unindexed_fts", "unindexed_seen"] {
        let column = if table == "unindexed_fts" {
            "rowid"
        } else {
            "id"
        };
        conn.prepare_cached(&format!(
            "INSERT INTO temp.{table} ({column}, {FTS_COLUMNS})
             SELECT r.id, r.intent, r.context_type, r.interaction_type, r.participant_terms,
                 r.description, r.raiser_app, r.handler_app, r.record_id
             FROM main.raises_unindexed u CROSS JOIN main.raises r ON r.id = u.id
             WHERE u.id NOT IN (SELECT id FROM temp.unindexed_seen)"
        ))?
        .execute([])?;
    }
    let ids = conn
        .prepare_cached(
            "SELECT rowid FROM temp.unindexed_fts WHERE unindexed_fts MATCH ?1 AND rowid < ?2
             ORDER BY rowid DESC",
        )?
        .query_map(params![matcher, before], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(ids)
}

/// Everything stored about the raise with history id `id`.
pub(crate) fn detail(conn: &Connection, id: i64) -> Result<Option<HistoryDetail>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {}, r.context, r.target, r.candidates, r.result, r.result_message,
             r.resolved_at_ms, r.delivered_at_ms, r.completed_at_ms, r.request_uuid
         FROM raises r WHERE r.id = ?1",
        row_columns()
    ))?;
    let detail = stmt
        .query_row([id], |r| {
            let n = ROW_COLUMN_COUNT;
            Ok(HistoryDetail {
                row: history_row(r)?,
                context: json_column(r, n)?,
                target: optional_json_column(r, n + 1)?,
                candidates: json_column(r, n + 2)?,
                result: optional_json_column(r, n + 3)?,
                result_message: r.get(n + 4)?,
                resolved_at_ms: r.get(n + 5)?,
                delivered_at_ms: r.get(n + 6)?,
                completed_at_ms: r.get(n + 7)?,
                request_uuid: r.get(n + 8)?,
                seal: None,
                resent_from: None,
                resent_as: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut detail) = detail else {
        return Ok(None);
    };
    detail.seal = crate::seal::raise_seal(conn, id)?;
    detail.resent_from = conn
        .prepare_cached("SELECT original_id FROM resends WHERE request_uuid = ?1")?
        .query_row([&detail.request_uuid], |r| r.get(0))
        .optional()?;
    // The re-sending raise came within the resolver's time of the click (`at_ms`): a short range
    // of `raises_raised_at`, not a scan for its request.
    detail.resent_as = conn
        .prepare_cached(
            "SELECT (SELECT r.id FROM raises r
                     WHERE r.raised_at_ms >= s.at_ms - 60000 AND r.raised_at_ms <= s.at_ms + 3600000
                       AND r.request_uuid = s.request_uuid)
             FROM resends s WHERE s.original_id = ?1 ORDER BY s.at_ms",
        )?
        .query_map([id], |r| r.get::<_, Option<i64>>(0))?
        .filter_map(|r| r.transpose())
        .collect::<Result<_, _>>()?;
    Ok(Some(detail))
}

/// An interaction stored by the Interaction Log, by the record id its transactionResult quoted.
pub(crate) fn interaction(conn: &Connection, record_id: &str) -> Result<Option<Value>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT interaction FROM interactions WHERE record_id = ?1")?;
    Ok(stmt
        .query_row([record_id], |r| json_column(r, 0))
        .optional()?)
}

fn history_row(r: &Row<'_>) -> rusqlite::Result<HistoryRow> {
    let participants: String = r.get(6)?;
    let participants = serde_json::from_str(&participants)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(6, Type::Text, Box::new(e)))?;
    Ok(HistoryRow {
        id: r.get(0)?,
        raise_key: r.get(1)?,
        raised_at_ms: r.get(2)?,
        intent: r.get(3)?,
        context_type: r.get(4)?,
        interaction_type: r.get(5)?,
        participants,
        description: r.get(7)?,
        raiser_app: r.get(8)?,
        raiser_instance: r.get(9)?,
        handler_app: r.get(10)?,
        handler_instance: r.get(11)?,
        resolution: r.get(12)?,
        state: r.get(13)?,
        result_status: r.get(14)?,
        error: r.get(15)?,
        record_id: r.get(16)?,
        outcome: {
            let text: String = r.get(17)?;
            HistoryOutcome::parse(&text).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(17, Type::Text, text.into())
            })?
        },
        resent: r.get(18)?,
    })
}

fn json_column(r: &Row<'_>, idx: usize) -> rusqlite::Result<Value> {
    let text: String = r.get(idx)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

fn optional_json_column(r: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Value>> {
    let text: Option<String> = r.get(idx)?;
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::fts_query;
    use crate::migrations::migrate;

    #[test]
    fn quotes_every_word_and_drops_punctuation() {
        assert_eq!(fts_query("jane"), Some(r#""jane"*"#.to_owned()));
        // A quote opens a phrase (here unclosed: it runs to the end).
        assert_eq!(
            fts_query(r#"  a"b  -x "#),
            Some(r#""a"* AND "b  -x ""#.to_owned())
        );
        assert_eq!(
            fts_query(r#"call "jane doe" q3"#),
            Some(r#""call"* AND "jane doe" AND "q3"*"#.to_owned())
        );
        assert_eq!(fts_query(r#" " * ) - "#), None);
        assert_eq!(fts_query(""), None);
        assert_eq!(fts_query("a\0b"), Some(r#""a"* AND "b"*"#.to_owned()));
    }

    #[test]
    fn hostile_searches_are_valid_fts() {
        let mut conn = Connection::open_in_memory().expect("db");
        migrate(&mut conn).expect("migrate");
        for search in [
            "\"",
            "a\"b",
            "-x",
            "col:val",
            "*",
            ")",
            "(",
            "NEAR(a b)",
            "a OR b",
            "NOT",
            "^x",
            "x AND",
            "{a b}:c",
            "'",
            "\u{345}",
            "\u{300}x",
            "--",
            "a\0b",
            "\u{fe0f}",
            "\"a\0b\"",
            "\"\"\"",
        ] {
            let q = HistoryQuery {
                search: Some(search.to_owned()),
                participants: vec![search.to_owned()],
                handlers: vec![search.to_owned()],
                ..HistoryQuery::default()
            };
            if let Err(e) = list(&conn, &q) {
                panic!("search {search:?} failed: {e}");
            }
        }
    }

    /// The plan of the statement `list` runs for `q` (the production one: `explain` builds it the
    /// same way).
    fn plan(conn: &Connection, q: HistoryQuery) -> Vec<String> {
        explain(conn, &q).expect("plan")
    }

    fn no_sort(plan: &[String]) {
        // A temp b-tree would mean sorting every match before the LIMIT applies.
        assert!(plan.iter().all(|s| !s.contains("TEMP B-TREE")), "{plan:?}");
    }

    #[test]
    fn each_filter_runs_on_its_intended_index() {
        let mut conn = Connection::open_in_memory().expect("db");
        migrate(&mut conn).expect("migrate");
        let words = |s: &str| vec![s.to_owned()];

        // Nothing asked: the primary key, backwards.
        let p = plan(&conn, HistoryQuery::default());
        no_sort(&p);
        assert!(p.iter().any(|s| s.contains("INTEGER PRIMARY KEY")), "{p:?}");

        // Text, participants, apps and types: the search index drives.
        for q in [
            HistoryQuery {
                search: Some("jane doe".into()),
                ..Default::default()
            },
            HistoryQuery {
                participants: words("Jane Doe"),
                ..Default::default()
            },
            HistoryQuery {
                handlers: words("sample-crm"),
                outcomes: vec![HistoryOutcome::Created],
                ..Default::default()
            },
            HistoryQuery {
                raisers: words("chat"),
                interaction_types: words("Call"),
                ..Default::default()
            },
            HistoryQuery {
                search: Some("q3".into()),
                outcomes: vec![HistoryOutcome::Failed],
                ..Default::default()
            },
        ] {
            let p = plan(&conn, q);
            no_sort(&p);
            assert!(p[0].contains("VIRTUAL TABLE"), "{p:?}");
        }

        // Outcomes that are few, and the unconfirmed: the partial index of unsettled raises, also
        // with exact filters beside them.
        for q in [
            HistoryQuery {
                unconfirmed: true,
                ..Default::default()
            },
            HistoryQuery {
                outcomes: vec![HistoryOutcome::Failed, HistoryOutcome::TimedOut],
                ..Default::default()
            },
            HistoryQuery {
                outcomes: vec![HistoryOutcome::Pending],
                handlers: words("crm"),
                ..Default::default()
            },
        ] {
            let p = plan(&conn, q);
            no_sort(&p);
            assert!(p.iter().any(|s| s.contains("raises_unsettled")), "{p:?}");
        }

        // The badge's count walks the same index.
        let steps: Vec<String> = conn
            .prepare(&format!(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM raises INDEXED BY raises_unsettled
                 WHERE intent = 'CreateInteraction' AND {UNSETTLED}"
            ))
            .expect("prepare")
            .query_map([], |r| r.get::<_, String>(3))
            .expect("plan")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(
            steps.iter().any(|s| s.contains("raises_unsettled")),
            "{steps:?}"
        );
    }
}
