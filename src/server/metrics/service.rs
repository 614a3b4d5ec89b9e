//! Operator metrics for a range of days, computed in SQL on SQLite and PostgreSQL alike: each
//! operator session's wait, first response, handle time and messages, and per queue, per operator
//! and in total their median and 90th percentile (nearest rank, with window functions).

use crate::model::AppError;
use crate::model::chat::CloseReason;
use crate::model::ids::ConversationId;
use crate::model::metrics::{Figures, FiguresRow, MetricsReport, SESSIONS_SHOWN, SessionFigures};
use crate::server::access::Viewer;
use crate::server::realtime::changes::stmt;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Value};

/// The longest range one report covers.
pub const MAX_DAYS: i64 = 366;
/// The range when none is asked for: the last week, today included.
const DEFAULT_DAYS: i64 = 7;

/// Days from `from` to `to` (both included) in the admin's time zone, and the instants they span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub from_day: NaiveDate,
    pub to_day: NaiveDate,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Reads the range the admin asked for: days as `YYYY-MM-DD` (blank: the last week up to today),
/// `offset_min` their time zone's offset from UTC (east positive).
pub fn parse_range(
    from: Option<&str>,
    to: Option<&str>,
    offset_min: i32,
    now: DateTime<Utc>,
) -> Result<Range, AppError> {
    let zone = FixedOffset::east_opt(offset_min * 60)
        .filter(|_| offset_min.abs() <= 14 * 60)
        .ok_or_else(|| AppError::invalid("offset", "A time zone offset is at most 14 hours."))?;
    let day = |raw: Option<&str>, field: &'static str| -> Result<Option<NaiveDate>, AppError> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::invalid(field, "Give a day as YYYY-MM-DD.")),
        }
    };
    let today = now.with_timezone(&zone).date_naive();
    let to_day = day(to, "to")?.unwrap_or(today);
    let from_day = day(from, "from")?.unwrap_or(to_day - Duration::days(DEFAULT_DAYS - 1));
    if from_day > to_day {
        return Err(AppError::invalid(
            "from",
            "The first day must not be after the last.",
        ));
    }
    if (to_day - from_day).num_days() >= MAX_DAYS {
        return Err(AppError::invalid(
            "from",
            format!("A report covers at most {MAX_DAYS} days."),
        ));
    }
    let midnight = |d: NaiveDate| {
        zone.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| AppError::invalid("from", "That day is out of range."))
    };
    let next = to_day
        .succ_opt()
        .ok_or_else(|| AppError::invalid("to", "That day is out of range."))?;
    Ok(Range {
        from_day,
        to_day,
        start: midnight(from_day)?,
        end: midnight(next)?,
    })
}

/// Milliseconds from `earlier` to `later`, two timestamp columns, in the backend's SQL.
fn ms_between(backend: DbBackend, later: &str, earlier: &str) -> String {
    match backend {
        DbBackend::Postgres => {
            format!("CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) * 1000 AS BIGINT)")
        }
        _ => format!(
            "CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400000.0) AS INTEGER)"
        ),
    }
}

/// The sessions opened in the range, one row each with its figures. Takes the range's start and
/// end twice. A session's messages are those written after the previous session of its chat
/// closed (a transfer or a reopening starts the next one) up to its own close.
fn sessions_sql(backend: DbBackend) -> String {
    let wait = ms_between(backend, "os.assigned_at", "os.opened_at");
    let first = ms_between(backend, "os.first_response_at", "os.opened_at");
    let handle = ms_between(backend, "os.closed_at", "os.assigned_at");
    format!(
        "SELECT os.id, os.conversation_id, os.operator_id, os.queue_id, os.opened_at, \
                os.close_reason, \
                CASE WHEN os.assigned_at IS NOT NULL THEN {wait} END AS wait_ms, \
                CASE WHEN os.first_response_at IS NOT NULL THEN {first} END AS first_ms, \
                CASE WHEN os.closed_at IS NOT NULL AND os.assigned_at IS NOT NULL \
                     THEN {handle} END AS handle_ms, \
                (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = os.conversation_id \
                   AND m.sender_id IS NOT NULL \
                   AND (os.prev_closed IS NULL OR m.created_at > os.prev_closed) \
                   AND (os.closed_at IS NULL OR m.created_at <= os.closed_at)) AS messages \
         FROM (SELECT x.*, LAG(x.closed_at) OVER \
                 (PARTITION BY x.conversation_id ORDER BY x.id) AS prev_closed \
               FROM operator_sessions x WHERE x.conversation_id IN \
                 (SELECT conversation_id FROM operator_sessions \
                  WHERE opened_at >= ? AND opened_at < ?)) os \
         WHERE os.opened_at >= ? AND os.opened_at < ?"
    )
}

/// How the figures are grouped: the key column of the sessions and how a key is named.
#[derive(Clone, Copy)]
enum Grouping {
    Total,
    Queue,
    Operator,
}

impl Grouping {
    fn key(self) -> &'static str {
        match self {
            Grouping::Total => "CAST(0 AS BIGINT)",
            Grouping::Queue => "s.queue_id",
            Grouping::Operator => "s.operator_id",
        }
    }

    fn label(self) -> (&'static str, &'static str) {
        match self {
            Grouping::Total => ("CAST(NULL AS TEXT)", ""),
            Grouping::Queue => ("n.name", "LEFT JOIN queues n ON n.id = a.k"),
            Grouping::Operator => ("n.display_name", "LEFT JOIN users n ON n.id = a.k"),
        }
    }
}

#[derive(FromQueryResult)]
struct FiguresRowSql {
    label: Option<String>,
    k: Option<i64>,
    sessions: i64,
    answered: i64,
    messages: Option<i64>,
    wait_p50: Option<i64>,
    wait_p90: Option<i64>,
    first_p50: Option<i64>,
    first_p90: Option<i64>,
    handle_p50: Option<i64>,
}

/// One grouping's figures, biggest groups first.
async fn figures(
    db: &impl ConnectionTrait,
    range: &Range,
    grouping: Grouping,
) -> Result<Vec<(Option<i64>, Option<String>, Figures)>, AppError> {
    let backend = db.get_database_backend();
    let key = grouping.key();
    // Each measure is ranked within its group among the sessions that have it (the others sit in
    // their own partition); the nearest rank of percentile p among n is ceil(n·p/100).
    let ranked = |col: &str| {
        format!(
            "CASE WHEN {col} IS NOT NULL THEN ROW_NUMBER() OVER \
               (PARTITION BY {key}, {col} IS NULL ORDER BY {col}) END AS {col}_rn, \
             COUNT({col}) OVER (PARTITION BY {key}) AS {col}_n"
        )
    };
    let pick = |col: &str, p: u32, name: &str| {
        format!("MAX(CASE WHEN {col}_rn = ({col}_n * {p} + 99) / 100 THEN {col} END) AS {name}")
    };
    let (label, label_join) = grouping.label();
    let sql = format!(
        "WITH s AS ({sessions}), \
         r AS (SELECT {key} AS k, s.wait_ms, s.first_ms, s.handle_ms, s.messages, \
                      s.operator_id, {wait_rank}, {first_rank}, {handle_rank} FROM s), \
         a AS (SELECT k, COUNT(*) AS sessions, COUNT(operator_id) AS answered, \
                      CAST(SUM(messages) AS BIGINT) AS messages, {wait_p50}, {wait_p90}, {first_p50}, \
                      {first_p90}, {handle_p50} FROM r GROUP BY k) \
         SELECT a.*, {label} AS label FROM a {label_join} \
         ORDER BY a.sessions DESC, label",
        sessions = sessions_sql(backend),
        wait_rank = ranked("wait_ms"),
        first_rank = ranked("first_ms"),
        handle_rank = ranked("handle_ms"),
        wait_p50 = pick("wait_ms", 50, "wait_p50"),
        wait_p90 = pick("wait_ms", 90, "wait_p90"),
        first_p50 = pick("first_ms", 50, "first_p50"),
        first_p90 = pick("first_ms", 90, "first_p90"),
        handle_p50 = pick("handle_ms", 50, "handle_p50"),
    );
    let values: [Value; 4] = [
        range.start.into(),
        range.end.into(),
        range.start.into(),
        range.end.into(),
    ];
    let rows = FiguresRowSql::find_by_statement(stmt(backend, &sql, values))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.k,
                r.label,
                Figures {
                    sessions: r.sessions,
                    answered: r.answered,
                    messages: r.messages.unwrap_or(0),
                    wait_p50_ms: r.wait_p50,
                    wait_p90_ms: r.wait_p90,
                    first_response_p50_ms: r.first_p50,
                    first_response_p90_ms: r.first_p90,
                    handle_p50_ms: r.handle_p50,
                },
            )
        })
        .collect())
}

#[derive(FromQueryResult)]
struct SessionRowSql {
    conversation_id: ConversationId,
    title: String,
    client: Option<String>,
    operator: Option<String>,
    queue: Option<String>,
    opened_at: DateTime<Utc>,
    wait_ms: Option<i64>,
    first_ms: Option<i64>,
    handle_ms: Option<i64>,
    messages: i64,
    close_reason: Option<CloseReason>,
}

async fn newest_sessions(
    db: &impl ConnectionTrait,
    range: &Range,
) -> Result<Vec<SessionFigures>, AppError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "WITH s AS ({}) \
         SELECT s.conversation_id, COALESCE(d.title, c.subject) AS title, \
                cu.display_name AS client, ou.display_name AS operator, q.name AS queue, \
                s.opened_at, s.wait_ms, s.first_ms, s.handle_ms, s.messages, s.close_reason \
         FROM s JOIN conversations c ON c.id = s.conversation_id \
         LEFT JOIN deals d ON d.id = c.deal_id \
         LEFT JOIN users cu ON cu.id = c.client_id \
         LEFT JOIN users ou ON ou.id = s.operator_id \
         LEFT JOIN queues q ON q.id = s.queue_id \
         ORDER BY s.opened_at DESC, s.id DESC LIMIT {SESSIONS_SHOWN}",
        sessions_sql(backend)
    );
    let values: [Value; 4] = [
        range.start.into(),
        range.end.into(),
        range.start.into(),
        range.end.into(),
    ];
    let rows = SessionRowSql::find_by_statement(stmt(backend, &sql, values))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionFigures {
            conversation_id: r.conversation_id,
            title: r.title,
            client: r.client.unwrap_or_else(|| "Former client".to_owned()),
            operator: r.operator,
            queue: r.queue,
            opened_at_ms: r.opened_at.timestamp_millis(),
            wait_ms: r.wait_ms,
            first_response_ms: r.first_ms,
            handle_ms: r.handle_ms,
            messages: r.messages,
            close_reason: r.close_reason,
        })
        .collect())
}

/// The metrics page (administrators only).
#[tracing::instrument(skip(db))]
pub async fn report(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    range: Range,
) -> Result<MetricsReport, AppError> {
    viewer.admin_only()?;
    let total = figures(db, &range, Grouping::Total)
        .await?
        .pop()
        .map(|(_, _, f)| f)
        .unwrap_or_default();
    let named = |rows: Vec<(Option<i64>, Option<String>, Figures)>, missing: &str| {
        rows.into_iter()
            .map(|(k, label, figures)| FiguresRow {
                label: match (k, label) {
                    (None, _) => missing.to_owned(),
                    (Some(_), Some(name)) => name,
                    (Some(id), None) => format!("#{id} (deleted)"),
                },
                figures,
            })
            .collect()
    };
    Ok(MetricsReport {
        from: range.from_day.format("%Y-%m-%d").to_string(),
        to: range.to_day.format("%Y-%m-%d").to_string(),
        total,
        by_queue: named(figures(db, &range, Grouping::Queue).await?, "No queue"),
        by_operator: named(figures(db, &range, Grouping::Operator).await?, "Not taken"),
        sessions: newest_sessions(db, &range).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_blank_range_is_the_last_week_of_the_admins_calendar() {
        // 23:30 UTC on 4 Dec is already 5 Dec in Berlin (UTC+1).
        let now = at("2026-12-04T23:30:00Z");
        let r = parse_range(None, Some(""), 60, now).unwrap();
        assert_eq!(r.to_day.to_string(), "2026-12-05");
        assert_eq!(r.from_day.to_string(), "2026-11-29");
        assert_eq!(r.start, at("2026-11-28T23:00:00Z"));
        assert_eq!(r.end, at("2026-12-05T23:00:00Z"));
    }

    #[test]
    fn days_are_checked_and_the_range_is_bounded() {
        let now = at("2026-12-04T12:00:00Z");
        let one = parse_range(Some("2026-12-01"), Some("2026-12-01"), 0, now).unwrap();
        assert_eq!(one.end - one.start, Duration::days(1));
        let field = |r: Result<Range, AppError>| match r {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(field(parse_range(Some("1.12.2026"), None, 0, now)), "from");
        assert_eq!(field(parse_range(None, Some("2026-13-01"), 0, now)), "to");
        assert_eq!(
            field(parse_range(Some("2026-12-03"), Some("2026-12-01"), 0, now)),
            "from"
        );
        assert_eq!(
            field(parse_range(Some("2025-01-01"), Some("2026-12-01"), 0, now)),
            "from"
        );
        assert_eq!(field(parse_range(None, None, 15 * 60, now)), "offset");
        assert!(parse_range(Some("2025-12-02"), Some("2026-12-01"), 0, now).is_ok());
    }
}
