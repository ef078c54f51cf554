//! The history's picture: how many of the rows a query selects were raised on each day, stacked by
//! interaction type or outcome.
//!
//! Two ways to count, with the same answer:
//! - **exact**: over the very statement the list pages through (the same plan, the same period
//!   bounds, the rows waiting for the search index included), counted in SQL. Used whenever the
//!   query has text, people, apps or the interaction's own time: those drive an index, so the rows
//!   read are the rows counted.
//! - **summary**: the period (and any type and outcome filter) alone would read every row of the
//!   period, wide rows with their contexts: about 150 ms for 90 days at a million rows. So the search
//!   indexer, as it moves raises into the index (`index.rs`, off the hot path), also counts them in
//!   `day_counts`, per half hour of UTC, interaction type and outcome. Triggers keep a counted raise
//!   counted right: one whose outcome changes (one moved before it was over, then answered) moves
//!   to its new outcome, one deleted (retention) leaves. A read adds the raises still waiting for
//!   the index, as they are.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, ToSql};

use crate::error::StoreError;
use crate::filter::{fts_query, outcome_sql, Driver, Plan, OUTCOME_SQL};
use crate::model::{ChartStack, DayCount, HistoryQuery};
use crate::query::{page_sql, waiting_rows, Period};

const DAY_MS: i64 = 86_400_000;

/// The summary's unit: half an hour of UTC, so that a local day (from midnight to midnight in any
/// zone whose offset is whole or half hours) is whole units.
const BUCKET_MS: i64 = 1_800_000;

/// Migration 7: the chart's counts (filled by [`start_counts`] in the same step).
pub(crate) const V7_DAY_COUNTS: &str = r#"
CREATE TABLE day_counts (
    bucket           INTEGER NOT NULL,  -- raised_at_ms / 1800000 (half hours since 1970, UTC)
    interaction_type TEXT NOT NULL,     -- '' for none
    outcome          TEXT NOT NULL,     -- HistoryOutcome, as counted
    n                INTEGER NOT NULL,
    PRIMARY KEY (bucket, interaction_type, outcome)
) WITHOUT ROWID;
"#;

/// What a row is counted under, in SQL, for the row alias `r`.
fn key_sql(r: &str) -> String {
    format!(
        "{r}.raised_at_ms / {BUCKET_MS}, coalesce({r}.interaction_type, ''), {}",
        outcome_sql(r)
    )
}

/// The rest of migration 7: the triggers, and the counts of every raise already indexed.
pub(crate) fn start_counts(conn: &Connection) -> Result<(), StoreError> {
    let (old, new) = (outcome_sql("old"), outcome_sql("new"));
    let counted = "NOT EXISTS (SELECT 1 FROM raises_unindexed WHERE id = old.id)";
    let take = |outcome: &str| {
        format!(
            "UPDATE day_counts SET n = n - 1
             WHERE bucket = old.raised_at_ms / {BUCKET_MS}
               AND interaction_type = coalesce(old.interaction_type, '') AND outcome = {outcome};"
        )
    };
    // Only a raise whose outcome changes is looked up (the outcome is worked out from the values in
    // hand); in flight, that is once, and it is still waiting for the index then.
    conn.execute_batch(&format!(
        "CREATE TRIGGER day_counts_update AFTER UPDATE OF state, result_status, error ON raises
         WHEN ({old}) IS NOT ({new}) AND {counted}
         BEGIN
             {}
             INSERT INTO day_counts (bucket, interaction_type, outcome, n)
             VALUES (new.raised_at_ms / {BUCKET_MS}, coalesce(new.interaction_type, ''), {new}, 1)
             ON CONFLICT (bucket, interaction_type, outcome) DO UPDATE SET n = n + 1;
         END;
         -- BEFORE: the search index's own delete trigger forgets a waiting row after the delete.
         CREATE TRIGGER day_counts_delete BEFORE DELETE ON raises WHEN {counted}
         BEGIN
             {}
         END;",
        take(&old),
        take(&old),
    ))?;
    conn.execute(
        &format!(
            "INSERT INTO day_counts (bucket, interaction_type, outcome, n)
             SELECT {}, count(*) FROM raises r
             WHERE r.id NOT IN (SELECT id FROM raises_unindexed) GROUP BY 1, 2, 3",
            key_sql("r")
        ),
        [],
    )?;
    Ok(())
}

/// Counts the raises `ids`, just moved into the search index. Run by the indexer, in its
/// transaction.
pub(crate) fn count_moved(conn: &Connection, ids: &[i64]) -> Result<(), StoreError> {
    // One statement for the whole batch (the ids as a JSON array): a few counters per batch.
    conn.prepare_cached(&format!(
        "INSERT INTO day_counts (bucket, interaction_type, outcome, n)
         SELECT {}, count(*) FROM raises r WHERE r.id IN (SELECT value FROM json_each(?1))
         GROUP BY 1, 2, 3
         ON CONFLICT (bucket, interaction_type, outcome) DO UPDATE SET n = n + excluded.n",
        key_sql("r")
    ))?
    .execute([crate::index::json_ids(ids.iter().copied())])?;
    Ok(())
}

/// Rows per local day, interaction type and outcome.
type Tally = BTreeMap<(i64, String, String), i64>;

/// Whether the summary answers `q`: only the period, types and outcomes narrow it, and the period's
/// bounds are whole half hours.
fn summary_answers(q: &HistoryQuery) -> bool {
    let aligned = |at: Option<i64>| at.is_none_or(|t| t.rem_euclid(BUCKET_MS) == 0);
    q.search.as_deref().and_then(fts_query).is_none()
        && q.participants.is_empty()
        && q.raisers.is_empty()
        && q.handlers.is_empty()
        && q.happened_since_ms.is_none()
        && q.happened_until_ms.is_none()
        && !q.unconfirmed
        && aligned(q.since_ms)
        && aligned(q.until_ms)
}

/// The summary's answer (see the module's comment), in one snapshot.
fn from_summary(conn: &Connection, q: &HistoryQuery, offset_ms: i64) -> Result<Tally, StoreError> {
    let day_of = |at: i64| (at + offset_ms).div_euclid(DAY_MS);
    let since = q.since_ms.unwrap_or(0).max(0);
    let until = q.until_ms.unwrap_or(i64::MAX);
    let mut tally = Tally::new();
    let mut add = |at: i64, kind: String, outcome: String, n: i64| {
        *tally.entry((day_of(at), kind, outcome)).or_default() += n;
    };
    let mut counted = conn.prepare_cached(
        "SELECT bucket, interaction_type, outcome, n FROM day_counts
         WHERE bucket >= ?1 AND bucket < ?2 AND n != 0",
    )?;
    let mut rows = counted.query(params![since / BUCKET_MS, until / BUCKET_MS])?;
    while let Some(r) = rows.next()? {
        add(
            r.get::<_, i64>(0)? * BUCKET_MS,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
        );
    }
    drop(rows);
    // Raises still waiting for the index: not counted yet. They are few: CROSS JOIN keeps SQLite
    // from walking the period's raises instead.
    let mut waiting = conn.prepare_cached(&format!(
        "SELECT r.raised_at_ms, coalesce(r.interaction_type, ''), {OUTCOME_SQL}
         FROM raises_unindexed u CROSS JOIN raises r ON r.id = u.id
         WHERE r.raised_at_ms >= ?1 AND r.raised_at_ms < ?2"
    ))?;
    let mut rows = waiting.query(params![since, until])?;
    while let Some(r) = rows.next()? {
        add(r.get(0)?, r.get(1)?, r.get(2)?, 1);
    }
    drop(rows);
    tally.retain(|(_, kind, outcome), n| {
        *n != 0
            && (q.interaction_types.is_empty() || q.interaction_types.iter().any(|t| t == kind))
            && (q.outcomes.is_empty() || q.outcomes.iter().any(|o| o.as_str() == outcome))
    });
    Ok(tally)
}

/// How [`per_day`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counting {
    /// From the summary when it can answer, else from the rows.
    Fastest,
    /// Always from the rows (to check the summary against, in tests and the benchmark).
    FromRows,
}

/// The rows `q` selects (its page size and `before_id` aside) per day and stack value. A day is
/// counted in the caller's local time, `utc_offset_minutes` east of UTC (one offset for the whole
/// range: around a change of summer time, raises within an hour of midnight may land on the
/// neighbouring day).
pub(crate) fn per_day(
    conn: &Connection,
    q: &HistoryQuery,
    utc_offset_minutes: i32,
    stack: ChartStack,
    counting: Counting,
) -> Result<Vec<DayCount>, StoreError> {
    let q = HistoryQuery {
        before_id: None,
        ..q.clone()
    };
    let offset_ms = i64::from(utc_offset_minutes) * 60_000;
    let snapshot = conn.unchecked_transaction()?;
    let summary = counting == Counting::Fastest
        && summary_answers(&q)
        && offset_ms.rem_euclid(BUCKET_MS) == 0;
    let tally = if summary {
        from_summary(&snapshot, &q, offset_ms)?
    } else {
        exact(&snapshot, &q, offset_ms)?
    };
    snapshot.commit()?;
    Ok(stacked(tally, stack))
}

/// Counts the rows themselves, as the list would page through them.
fn exact(conn: &Connection, q: &HistoryQuery, offset_ms: i64) -> Result<Tally, StoreError> {
    let mut tally = Tally::new();
    let period = Period::of(conn, q)?;
    if period.is_empty() {
        return Ok(tally);
    }
    let plan = Plan::of(q);
    let day_of = |at: i64| (at + offset_ms).div_euclid(DAY_MS);
    let no_limit = -1i64;
    let mut params: Vec<(&str, &dyn ToSql)> = period.params(&no_limit);
    params.push((":offset", &offset_ms));
    if let Driver::Search(matcher) = &plan.driver {
        params.push((":matcher", matcher));
    }
    for (name, value) in &plan.conditions.params {
        params.push((name.as_str(), value));
    }
    let rows = page_sql(
        &plan.driver,
        &plan.conditions,
        &format!("r.raised_at_ms AS at, coalesce(r.interaction_type, '') AS kind, {OUTCOME_SQL} AS outcome"),
    );
    // SQLite's integer division truncates towards zero: the remainder is taken off first, so
    // that a day is a floor on both sides of 1970, as `day_of` is.
    let sql = format!(
        "SELECT (t - ((t % {DAY_MS}) + {DAY_MS}) % {DAY_MS}) / {DAY_MS} AS day, kind, outcome, count(*)
         FROM (SELECT at + :offset AS t, kind, outcome FROM ({rows})) GROUP BY 1, 2, 3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut found = stmt.query(params.as_slice())?;
    while let Some(r) = found.next()? {
        *tally.entry((r.get(0)?, r.get(1)?, r.get(2)?)).or_default() += r.get::<_, i64>(3)?;
    }
    drop(found);
    drop(stmt);
    if let Driver::Search(matcher) = &plan.driver {
        let columns = format!("r.raised_at_ms, coalesce(r.interaction_type, ''), {OUTCOME_SQL}");
        let waiting = waiting_rows(conn, &plan, matcher, &period, i64::MIN, &columns, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for (at, kind, outcome) in waiting {
            *tally.entry((day_of(at), kind, outcome)).or_default() += 1;
        }
    }
    Ok(tally)
}

fn stacked(tally: Tally, stack: ChartStack) -> Vec<DayCount> {
    let mut counts: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for ((day, kind, outcome), n) in tally {
        let key = match stack {
            ChartStack::InteractionType => kind,
            ChartStack::Outcome => outcome,
        };
        *counts.entry((day, key)).or_default() += n;
    }
    counts
        .into_iter()
        .filter(|&(_, n)| n > 0)
        .map(|((day, key), count)| DayCount {
            day,
            key,
            count: count as u64,
        })
        .collect()
}
