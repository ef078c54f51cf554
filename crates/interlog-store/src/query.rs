//! The read side: history list, search and detail. Every function takes a read-only connection.

use rusqlite::types::Type;
use rusqlite::ToSql;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

use crate::error::StoreError;
use crate::model::{HistoryDetail, HistoryQuery, HistoryRow};

/// The columns [`history_row`] reads, in its order. Detail queries append their own after these.
const ROW_COLUMNS: &str = "r.id, r.raise_key, r.raised_at_ms, r.intent, r.context_type,
    r.interaction_type, r.participants, r.description, r.raiser_app, r.raiser_instance, r.handler_app,
    r.handler_instance, r.resolution, r.state, r.result_status, r.error, r.record_id";
const ROW_COLUMN_COUNT: usize = 17;

/// An unconfirmed interaction: a CreateInteraction raise without a `Created` or `Updated` result.
/// The same text as the WHERE clause of the `raises_unconfirmed` partial index (migration 5), so
/// that SQLite can use it.
pub(crate) const UNCONFIRMED: &str = "intent = 'CreateInteraction' AND (result_status IS NULL OR result_status NOT IN ('Created', 'Updated'))";

/// What `unconfirmed` adds to the conditions on `raises r` where another table is joined (the
/// search index has an `intent` column too): [`UNCONFIRMED`] on the alias.
fn unconfirmed_filter(unconfirmed: bool) -> &'static str {
    if unconfirmed {
        "AND r.intent = 'CreateInteraction'
         AND (r.result_status IS NULL OR r.result_status NOT IN ('Created', 'Updated'))"
    } else {
        ""
    }
}

/// A page of the history without a search: a range scan of the primary key (of the unconfirmed
/// rows' partial index, for those only).
fn list_sql(unconfirmed: bool) -> String {
    let (from, filter) = if unconfirmed {
        (
            "raises r INDEXED BY raises_unconfirmed",
            format!("AND {UNCONFIRMED}"),
        )
    } else {
        ("raises r", String::new())
    };
    format!(
        "SELECT {ROW_COLUMNS} FROM {from}
         WHERE r.id >= :low AND r.id < :high
           AND r.raised_at_ms >= :since AND r.raised_at_ms < :until {filter}
         ORDER BY r.id DESC LIMIT :limit"
    )
}

/// A page of search matches: the FTS table drives, walking its rowids downwards.
fn search_sql(unconfirmed: bool) -> String {
    let filter = unconfirmed_filter(unconfirmed);
    format!(
        "SELECT {ROW_COLUMNS} FROM raises_fts JOIN raises r ON r.id = raises_fts.rowid
         WHERE raises_fts MATCH :matcher AND raises_fts.rowid >= :low AND raises_fts.rowid < :high
           AND r.raised_at_ms >= :since AND r.raised_at_ms < :until {filter}
         ORDER BY raises_fts.rowid DESC LIMIT :limit"
    )
}

/// How many unconfirmed interactions the ledger holds (the history's badge): a count of the
/// partial index.
pub(crate) fn count_unconfirmed(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM raises INDEXED BY raises_unconfirmed WHERE {UNCONFIRMED}"
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
    let rows = match q.search.as_deref().and_then(fts_query) {
        Some(matcher) => search(&snapshot, &matcher, &period, limit, q.unconfirmed)?,
        None => {
            let mut stmt = snapshot.prepare_cached(&list_sql(q.unconfirmed))?;
            let rows = stmt.query_map(period.params(&limit).as_slice(), history_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        }
    };
    // Commit, not roll back: that keeps the temp index (see `unindexed_matches`) for the next search.
    snapshot.commit()?;
    Ok(rows)
}

/// What a query asks for, as the range of ids `[low_id, high_id)` to walk and the times each row
/// there must fall in. "No bound" is a full-range number rather than a NULL test, so that every page
/// runs the very same statement, with the bounds pushed into the primary-key (or FTS rowid) range scan.
struct Period {
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
    fn of(conn: &Connection, q: &HistoryQuery) -> Result<Period, StoreError> {
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
    fn params<'a>(&'a self, limit: &'a i64) -> Vec<(&'static str, &'a dyn ToSql)> {
        vec![
            (":low", &self.low_id),
            (":high", &self.high_id),
            (":since", &self.since_ms),
            (":until", &self.until_ms),
            (":limit", limit),
        ]
    }

    fn is_empty(&self) -> bool {
        self.low_id >= self.high_id || self.since_ms >= self.until_ms
    }
}

/// The matches for `matcher` in `period`, newest first: those in the search index, and those among
/// the rows still waiting for it (see `index.rs`). Runs in the caller's snapshot: the writer moves
/// rows from one half to the other, and two snapshots could see a row in neither or in both.
fn search(
    conn: &Connection,
    matcher: &str,
    period: &Period,
    limit: i64,
    unconfirmed: bool,
) -> Result<Vec<HistoryRow>, StoreError> {
    // The FTS table drives the loop, walking its rowids downwards, so a page costs about the same
    // whether the ledger holds a thousand rows or a million.
    let mut params = period.params(&limit);
    params.push((":matcher", &matcher));
    let mut rows = conn
        .prepare_cached(&search_sql(unconfirmed))?
        .query_map(params.as_slice(), history_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let waiting: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM raises_unindexed WHERE id >= ?1 AND id < ?2)",
        )?
        .query_row([period.low_id, period.high_id], |r| r.get(0))?;
    if waiting {
        // A row is in one half or the other, never both. When the page is full, only waiting rows
        // newer than its last row can still make it. Waiting rows are few: all are looked at.
        let full = usize::try_from(limit).unwrap_or(usize::MAX);
        let cutoff = match rows.last() {
            Some(last) if rows.len() >= full => last.id,
            _ => i64::MIN,
        };
        let mut row = conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM raises r
             WHERE r.id = ?1 AND r.raised_at_ms >= ?2 AND r.raised_at_ms < ?3 {}",
            unconfirmed_filter(unconfirmed)
        ))?;
        for id in unindexed_matches(conn, matcher, period.high_id)?
            .into_iter()
            .filter(|&id| id > cutoff && id >= period.low_id)
        {
            if let Some(found) = row
                .query_row(params![id, period.since_ms, period.until_ms], history_row)
                .optional()?
            {
                rows.push(found);
            }
        }
        rows.sort_unstable_by_key(|row| std::cmp::Reverse(row.id));
        rows.truncate(full);
    }
    Ok(rows)
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
        "SELECT {ROW_COLUMNS}, r.context, r.target, r.candidates, r.result, r.result_message,
             r.resolved_at_ms, r.delivered_at_ms, r.completed_at_ms, r.request_uuid
         FROM raises r WHERE r.id = ?1"
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
            })
        })
        .optional()?;
    let Some(mut detail) = detail else {
        return Ok(None);
    };
    detail.seal = crate::seal::raise_seal(conn, id)?;
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

/// Turns what the user typed into an FTS5 query that cannot be a syntax error: each whitespace-separated
/// word becomes a quoted phrase (FTS operators, column filters and quotes inside it lose their meaning)
/// matched as a prefix, and all words must match. Words with nothing the tokenizer would index (pure
/// punctuation) are dropped; `None` means nothing searchable was typed, i.e. no filter. Control
/// characters separate words too: FTS5 parses the query as a C string, so a NUL would cut it short
/// inside a quote.
pub(crate) fn fts_query(search: &str) -> Option<String> {
    let phrases: Vec<String> = search
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .map(|word| format!("\"{}\"*", word.replace('"', "\"\"")))
        .collect();
    if phrases.is_empty() {
        None
    } else {
        Some(phrases.join(" AND "))
    }
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
    use crate::migrations::migrate;

    #[test]
    fn quotes_every_word_and_drops_punctuation() {
        assert_eq!(fts_query("jane"), Some(r#""jane"*"#.to_owned()));
        assert_eq!(
            fts_query(r#"  a"b  -x "#),
            Some(r#""a""b"* AND "-x"*"#.to_owned())
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
        ] {
            let q = HistoryQuery {
                search: Some(search.to_owned()),
                ..HistoryQuery::default()
            };
            if let Err(e) = list(&conn, &q) {
                panic!("search {search:?} failed: {e}");
            }
        }
    }

    #[test]
    fn search_pages_walk_the_fts_index_backwards() {
        let mut conn = Connection::open_in_memory().expect("db");
        migrate(&mut conn).expect("migrate");
        // The very statements `list` and `search` run, bound as they bind them.
        let plan_of = |sql: &str, with_matcher: bool| -> Vec<String> {
            let mut stmt = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("prepare");
            let mut named: Vec<(&str, &dyn rusqlite::ToSql)> = vec![
                (":low", &0i64),
                (":high", &i64::MAX),
                (":since", &i64::MIN),
                (":until", &i64::MAX),
                (":limit", &10i64),
            ];
            if with_matcher {
                named.push((":matcher", &"\"x\"*"));
            }
            stmt.query_map(named.as_slice(), |r| r.get::<_, String>(3))
                .expect("plan")
                .collect::<Result<_, _>>()
                .expect("rows")
        };
        let plan = plan_of(&search_sql(false), true);
        // A temp b-tree would mean sorting every match before the LIMIT applies.
        assert!(
            plan.iter().all(|step| !step.contains("TEMP B-TREE")),
            "{plan:?}"
        );
        assert!(plan[0].contains("VIRTUAL TABLE"), "{plan:?}");
        // The unsearched page walks the primary key backwards, without sorting either.
        let plan = plan_of(&list_sql(false), false);
        assert!(
            plan.iter().all(|step| !step.contains("TEMP B-TREE")),
            "{plan:?}"
        );
        assert!(
            plan.iter().any(|step| step.contains("INTEGER PRIMARY KEY")),
            "{plan:?}"
        );
        // Only the unconfirmed: their partial index, walked backwards, no sort.
        let plan = plan_of(&list_sql(true), false);
        assert!(
            plan.iter().all(|step| !step.contains("TEMP B-TREE")),
            "{plan:?}"
        );
        assert!(
            plan.iter().any(|step| step.contains("raises_unconfirmed")),
            "{plan:?}"
        );
        let plan = plan_of(&search_sql(true), true);
        assert!(plan[0].contains("VIRTUAL TABLE"), "{plan:?}");
    }
}
