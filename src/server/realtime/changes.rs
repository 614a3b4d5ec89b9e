//! The change clock and write transactions that others must hear about.
//!
//! Every such write opens with `begin` (an immediate write transaction on SQLite, so writers queue
//! on the lock instead of failing to upgrade), takes the next tick from the one-row clock, stamps
//! the rows it changes with that tick, and ends with `commit`, which tells the real-time hub who
//! must look again. Holding the clock row until commit hands out ticks in commit order, which is
//! what lets a poller keep "everything after tick N" as its cursor without missing a change.

use crate::server::realtime::{Audience, CHANNEL, Hub};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement, Value,
};

/// A statement written with `?` placeholders, numbered `$1`, `$2`, … for PostgreSQL.
///
/// A `?` inside a quoted string or identifier or a comment is text, not a placeholder, and `??`
/// stands for one literal `?` (PostgreSQL's JSON operators `?`, `?|` and `?&` are written `??`,
/// `??|` and `??&`). SQLite takes `?` as it is.
pub fn stmt(backend: DbBackend, sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => number_placeholders(sql),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The condition that `expr` is one of `values`, and the values it binds.
///
/// PostgreSQL gets `expr = ANY(?)` with the list as one array: a statement of any length is one
/// text, and its cached generic plan reads the array once. The same list as `IN ($1, …, $128)`
/// made the generic plan build the array again for every row it filtered (the woken members of
/// a group, read in one list: 4 to 5.5 ms for one query where the array takes 0.4 ms).
///
/// SQLite gets `expr IN (?, …)`, padded with copies of the last value to the next power of two
/// (the same answer): a list of any length is then one of a few statement texts, each prepared
/// once per pooled connection. An empty list reads `expr IN (NULL)`, which matches nothing.
pub fn one_of(
    backend: DbBackend,
    expr: &str,
    values: impl IntoIterator<Item = Value>,
) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = values.into_iter().collect();
    let Some(last) = values.last().cloned() else {
        return (format!("{expr} IN (NULL)"), values);
    };
    if backend == DbBackend::Postgres {
        let array = Value::Array(last.array_type(), Some(Box::new(values)));
        return (format!("{expr} = ANY(?)"), vec![array]);
    }
    values.resize(values.len().next_power_of_two(), last);
    (
        format!("{expr} IN ({})", vec!["?"; values.len()].join(", ")),
        values,
    )
}

fn number_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '?' if chars.peek() == Some(&'?') => {
                chars.next();
                out.push('?');
            }
            '?' => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            // A string or quoted identifier runs to its closing quote; a doubled quote inside it
            // is an escaped quote, which this reads as closing and reopening: the same text.
            '\'' | '"' => {
                out.push(ch);
                copy_through(&mut chars, &mut out, |_, c| c == ch);
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(ch);
                copy_through(&mut chars, &mut out, |_, c| c == '\n');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                out.push_str("/*");
                copy_through(&mut chars, &mut out, |last, c| last == '*' && c == '/');
            }
            _ => out.push(ch),
        }
    }
    out
}

/// Copies the rest of a quote or comment, up to and including the character that `ends` (given
/// the one before it, `\0` at first) says closes it, or to the end of the text.
fn copy_through(
    chars: &mut impl Iterator<Item = char>,
    out: &mut String,
    ends: impl Fn(char, char) -> bool,
) {
    let mut last = '\0';
    for c in chars {
        out.push(c);
        if ends(last, c) {
            break;
        }
        last = c;
    }
}

/// An open write transaction holding the clock, with the tick its changes carry.
pub struct Write {
    pub txn: DatabaseTransaction,
    pub tick: i64,
    pub audience: Audience,
}

/// Opens a write transaction and takes the next tick.
pub async fn begin(db: &DatabaseConnection) -> Result<Write, DbErr> {
    let txn = crate::server::platform::db::begin_write(db).await?;
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(stmt(
            backend,
            "UPDATE change_clock SET tick = tick + 1 WHERE id = 1 RETURNING tick",
            [],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("change_clock has no row".into()))?;
    let tick: i64 = row.try_get("", "tick")?;
    Ok(Write {
        txn,
        tick,
        audience: Audience::nobody_yet(),
    })
}

impl Write {
    pub fn backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    /// Commits, then wakes the pollers in the audience (on this instance directly, on the
    /// others through `NOTIFY`, which PostgreSQL delivers only if the commit succeeds).
    pub async fn commit(self, hub: &Hub) -> Result<i64, DbErr> {
        if self.backend() == DbBackend::Postgres {
            self.txn
                .execute_raw(stmt(
                    DbBackend::Postgres,
                    "SELECT pg_notify(?, ?)",
                    [CHANNEL.into(), self.audience.encode(self.tick).into()],
                ))
                .await?;
        }
        self.txn.commit().await?;
        hub.publish(self.tick, &self.audience);
        Ok(self.tick)
    }
}

/// The newest committed tick.
pub async fn current(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            "SELECT tick FROM change_clock WHERE id = 1",
            [],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("change_clock has no row".into()))?;
    row.try_get("", "tick")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_lists_come_in_a_few_lengths_and_keep_their_values() {
        let (sql, values) = one_of(DbBackend::Sqlite, "id", (1..=5).map(Value::from));
        assert_eq!(sql, "id IN (?, ?, ?, ?, ?, ?, ?, ?)");
        let ints: Vec<i32> = values
            .iter()
            .map(|v| match v {
                Value::Int(Some(n)) => *n,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ints, [1, 2, 3, 4, 5, 5, 5, 5]);
        for n in [1usize, 2, 3, 100, 500] {
            let (sql, values) = one_of(
                DbBackend::Sqlite,
                "id",
                (0..n).map(|i| Value::from(i as i64)),
            );
            assert_eq!(values.len(), n.next_power_of_two());
            assert_eq!(sql.matches('?').count(), values.len());
        }
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            assert_eq!(
                one_of(backend, "id", Vec::<Value>::new()),
                ("id IN (NULL)".to_owned(), vec![])
            );
        }
    }

    #[test]
    fn postgres_binds_a_list_as_one_array() {
        let (sql, values) = one_of(
            DbBackend::Postgres,
            "LOWER(u.email)",
            ["a".into(), "b".into()],
        );
        assert_eq!(sql, "LOWER(u.email) = ANY(?)");
        assert_eq!(
            values,
            [Value::Array(
                sea_orm::sea_query::ArrayType::String,
                Some(Box::new(vec!["a".into(), "b".into()]))
            )]
        );
        let many = one_of(
            DbBackend::Postgres,
            "id",
            (0..300).map(|i| Value::from(i as i64)),
        );
        assert_eq!(many.0, "id = ANY(?)", "one text for every length");
    }

    #[test]
    fn placeholders_are_numbered_for_postgres_only() {
        let pg = stmt(DbBackend::Postgres, "a = ? AND b = ?", [1.into(), 2.into()]);
        assert_eq!(pg.sql, "a = $1 AND b = $2");
        let lite = stmt(DbBackend::Sqlite, "a = ? AND b = ?", [1.into(), 2.into()]);
        assert_eq!(lite.sql, "a = ? AND b = ?");
    }

    #[test]
    fn question_marks_in_strings_identifiers_and_comments_stay_text() {
        assert_eq!(
            number_placeholders("SELECT 'why?', 'it''s ?', \"odd?col\" FROM t WHERE a = ?"),
            "SELECT 'why?', 'it''s ?', \"odd?col\" FROM t WHERE a = $1"
        );
        assert_eq!(
            number_placeholders("a = ? -- really?\nAND b = ? /* or? */ AND c = ?"),
            "a = $1 -- really?\nAND b = $2 /* or? */ AND c = $3"
        );
        // The comment's own opening star does not close it.
        assert_eq!(
            number_placeholders("a = ? /*/ still? */ AND b = ?"),
            "a = $1 /*/ still? */ AND b = $2"
        );
    }

    #[test]
    fn doubled_question_marks_are_postgres_json_operators() {
        assert_eq!(
            number_placeholders("doc ?? ? AND doc ??| ? AND doc ??& ?"),
            "doc ? $1 AND doc ?| $2 AND doc ?& $3"
        );
    }

    #[test]
    fn an_unclosed_quote_keeps_the_rest_as_text() {
        assert_eq!(
            number_placeholders("a = ? AND b = 'x?"),
            "a = $1 AND b = 'x?"
        );
    }
}
