//! The people the ledger has seen among interactions' participants, for the participant filter's
//! suggestions ("jane d" offers Jane Doe, jane.doe@mail.com, 412 raises).
//!
//! The `people` table is filled by the search indexer (`index.rs`), in the same bulk step that moves
//! raises into the search index, so it costs the hot path nothing: a raise waiting for the index is
//! not counted yet. Migration 6 counts every raise already indexed.

use rusqlite::{params, Connection};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::error::StoreError;
use crate::extract::people_of;
use crate::model::Person;

/// Part of migration 6.
pub(crate) const PEOPLE_TABLE: &str = r#"
CREATE TABLE people (
    key            TEXT PRIMARY KEY,   -- the folded e-mail address, else the folded name
    name           TEXT,
    email          TEXT,
    folded_name    TEXT NOT NULL,      -- what suggestions match (see `fold`), '' when unknown
    folded_email   TEXT NOT NULL,
    raises         INTEGER NOT NULL,
    last_raised_ms INTEGER NOT NULL
) WITHOUT ROWID;
"#;

/// Lower case, accents off (as the search index's `remove_diacritics`), spaces collapsed.
pub(crate) fn fold(text: &str) -> String {
    // Most names and addresses are ASCII, which decomposes to itself: lower case is all it needs.
    if text.is_ascii() {
        return text
            .to_ascii_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
    }
    let stripped: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Counts the people each of these raises names (by id).
pub(crate) fn count_raises(conn: &Connection, ids: &[i64]) -> Result<(), StoreError> {
    let mut read = conn.prepare_cached(
        "SELECT context, raised_at_ms FROM raises WHERE id IN (SELECT value FROM json_each(?1))",
    )?;
    let mut rows = read.query([crate::index::json_ids(ids.iter().copied())])?;
    while let Some(row) = rows.next()? {
        // A context that is not text (never written by the writer) names nobody.
        if let Ok(context) = row.get_ref(0)?.as_str() {
            count_context(conn, context, row.get(1)?)?;
        }
    }
    Ok(())
}

/// Counts every raise of the ledger that is already in the search index (migration 6).
pub(crate) fn count_indexed(conn: &Connection) -> Result<(), StoreError> {
    let mut read = conn.prepare(
        "SELECT context, raised_at_ms FROM raises
         WHERE id NOT IN (SELECT id FROM raises_unindexed)
           AND context_type IN ('fdc3.interaction', 'fdc3.contactList', 'fdc3.contact')",
    )?;
    let mut rows = read.query([])?;
    while let Some(row) = rows.next()? {
        let context: String = row.get(0)?;
        count_context(conn, &context, row.get(1)?)?;
    }
    Ok(())
}

/// Takes the raise `id`, about to be deleted (retention), out of the counts, if it was counted
/// (it is in the search index); a person no raise names any more is no longer suggested.
pub(crate) fn uncount_raise(conn: &Connection, id: i64) -> Result<(), StoreError> {
    use rusqlite::OptionalExtension;
    let context: Option<String> = conn
        .prepare_cached(
            "SELECT context FROM raises
             WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM raises_unindexed WHERE id = ?1)",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(Some(context)) = context.map(|c| crate::extract::context_fields(&c)) else {
        return Ok(());
    };
    let mut take = conn.prepare_cached("UPDATE people SET raises = raises - 1 WHERE key = ?1")?;
    let mut gone = conn.prepare_cached("DELETE FROM people WHERE key = ?1 AND raises <= 0")?;
    for key in people_of(&context).iter().filter_map(person_key) {
        take.execute([&key])?;
        gone.execute([&key])?;
    }
    Ok(())
}

/// The key a person is counted under: the folded address, else the folded name.
fn person_key(person: &crate::extract::NamedPerson) -> Option<String> {
    match (
        person.email.as_deref().map(str::trim),
        person.name.as_deref().map(str::trim),
    ) {
        (Some(e), _) => Some(fold(e)),
        (None, Some(n)) => Some(fold(n)),
        (None, None) => None,
    }
}

fn count_context(conn: &Connection, context: &str, at_ms: i64) -> Result<(), StoreError> {
    // A context that is not JSON (never written by the writer) names nobody.
    let Some(context) = crate::extract::context_fields(context) else {
        return Ok(());
    };
    let mut upsert = conn.prepare_cached(
        "INSERT INTO people (key, name, email, folded_name, folded_email, raises, last_raised_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6)
         ON CONFLICT (key) DO UPDATE SET
             raises = raises + 1,
             last_raised_ms = max(last_raised_ms, excluded.last_raised_ms),
             -- The newest name given for an address wins; a raise without one keeps the old.
             name = CASE WHEN excluded.name IS NOT NULL AND excluded.last_raised_ms >= last_raised_ms
                         THEN excluded.name ELSE coalesce(name, excluded.name) END,
             folded_name = CASE WHEN excluded.name IS NOT NULL AND excluded.last_raised_ms >= last_raised_ms
                                THEN excluded.folded_name
                                ELSE CASE WHEN name IS NULL THEN excluded.folded_name ELSE folded_name END END",
    )?;
    for person in people_of(&context) {
        let name = person.name.as_deref().map(str::trim);
        let email = person.email.as_deref().map(str::trim);
        let Some(key) = person_key(&person) else {
            continue;
        };
        let folded_name = name.map(fold).unwrap_or_default();
        let folded_email = email.map(fold).unwrap_or_default();
        upsert.execute(params![key, name, email, folded_name, folded_email, at_ms])?;
    }
    Ok(())
}

/// People whose name or address starts with `typed` (or has a word that does), most often named
/// first; a person whose whole name or address is `typed` comes first of all and is `exact`.
pub(crate) fn suggest(
    conn: &Connection,
    typed: &str,
    limit: u32,
) -> Result<Vec<Person>, StoreError> {
    let wanted = fold(typed.trim_matches(|c: char| c == '"' || c.is_whitespace()));
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let escaped = wanted
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    // The table holds one row per person: a scan of it stays small beside the raises.
    let mut stmt = conn.prepare_cached(
        "SELECT name, email, raises, (folded_name = ?3 OR folded_email = ?3) AS exact
         FROM people
         WHERE folded_name LIKE ?1 ESCAPE '\\' OR folded_name LIKE ?2 ESCAPE '\\'
            OR folded_email LIKE ?1 ESCAPE '\\'
         ORDER BY exact DESC, raises DESC, last_raised_ms DESC
         LIMIT ?4",
    )?;
    let people = stmt
        .query_map(
            params![
                format!("{escaped}%"),
                format!("% {escaped}%"),
                wanted,
                limit.clamp(1, 50)
            ],
            |r| {
                Ok(Person {
                    name: r.get(0)?,
                    email: r.get(1)?,
                    raises: r.get(2)?,
                    exact: r.get(3)?,
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    with_waiting(conn, people, &wanted, limit)
}

/// Adds the people named by raises still waiting for the indexer (not counted in the table yet):
/// few, read as they are.
fn with_waiting(
    conn: &Connection,
    mut people: Vec<Person>,
    wanted: &str,
    limit: u32,
) -> Result<Vec<Person>, StoreError> {
    let contexts: Vec<String> = conn
        .prepare_cached(
            "SELECT r.context FROM raises_unindexed u CROSS JOIN raises r ON r.id = u.id
             WHERE r.context_type IN ('fdc3.interaction', 'fdc3.contactList', 'fdc3.contact')",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for context in contexts {
        let Some(context) = crate::extract::context_fields(&context) else {
            continue;
        };
        for person in people_of(&context) {
            let name = person.name.as_deref().map(fold).unwrap_or_default();
            let email = person.email.as_deref().map(fold).unwrap_or_default();
            let matches = name.starts_with(wanted)
                || name.contains(&format!(" {wanted}"))
                || (!email.is_empty() && email.starts_with(wanted));
            if !matches {
                continue;
            }
            let same = |p: &Person| {
                if !email.is_empty() {
                    p.email.as_deref().map(fold).as_deref() == Some(email.as_str())
                } else {
                    p.email.is_none()
                        && p.name.as_deref().map(fold).as_deref() == Some(name.as_str())
                }
            };
            match people.iter_mut().find(|p| same(p)) {
                Some(known) => known.raises += 1,
                None => people.push(Person {
                    exact: name == wanted || email == wanted,
                    name: person.name,
                    email: person.email,
                    raises: 1,
                }),
            }
        }
    }
    people.sort_by(|a, b| b.exact.cmp(&a.exact).then(b.raises.cmp(&a.raises)));
    people.truncate(limit.clamp(1, 50) as usize);
    Ok(people)
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folding_drops_case_accents_and_extra_space() {
        assert_eq!(fold("  Zoë   ÅNGSTRÖM "), "zoe angstrom");
        assert_eq!(fold("Jane\u{b}\t DOE\r\n"), "jane doe");
        assert_eq!(fold("Jane.Doe@Mail.COM"), "jane.doe@mail.com");
        assert_eq!(fold("José\u{a0}Núñez"), "jose nunez");
    }
}
