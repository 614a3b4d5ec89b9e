//! Teams, queues and operators: the admin page's changes and the reads routing and the console
//! need. Names are cleaned like every shown name; every number has its range.

use crate::model::ids::{QueueId, TeamId, UserId};
use crate::model::label::clean;
use crate::model::queues::{
    ConsoleState, MAX_CAPACITY, Member, OperatorStatus, OperatorView, QueueCount, QueueView,
    QueuesAdmin, Routing, TIMEOUT_MINUTES, TeamView,
};
use crate::model::{AppError, Role};
use crate::server::access::{OPERATES_CHANNEL, Viewer, WORKS_QUEUE};
use crate::server::platform::db::is_unique_violation;
use crate::server::platform::entities::{operator, queue, team, team_member, user};
use crate::server::realtime::changes::stmt;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
};

/// Longest team or queue name.
pub const MAX_NAME_CHARS: usize = 60;

/// A team's or queue's name: cleaned, 1–60 characters.
pub fn parse_name(raw: &str) -> Result<String, AppError> {
    let name = clean(raw);
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            "name",
            format!("Give a name of 1 to {MAX_NAME_CHARS} characters."),
        ));
    }
    Ok(name)
}

/// A queue's chat timeout in minutes: 60 to 180.
pub fn parse_timeout(minutes: i32) -> Result<i32, AppError> {
    if TIMEOUT_MINUTES.contains(&minutes) {
        Ok(minutes)
    } else {
        Err(AppError::invalid(
            "timeout_minutes",
            format!(
                "The chat timeout must be between {} and {} minutes.",
                TIMEOUT_MINUTES.start(),
                TIMEOUT_MINUTES.end()
            ),
        ))
    }
}

/// An operator's capacity: 1 to `MAX_CAPACITY` chats at once.
pub fn parse_capacity(capacity: i32) -> Result<i32, AppError> {
    if (1..=MAX_CAPACITY).contains(&capacity) {
        Ok(capacity)
    } else {
        Err(AppError::invalid(
            "capacity",
            format!("Capacity must be between 1 and {MAX_CAPACITY} chats."),
        ))
    }
}

fn name_taken(e: &DbErr, pg: &str, sqlite: &str) -> Option<AppError> {
    is_unique_violation(e, pg, sqlite)
        .then(|| AppError::invalid("name", "That name is taken: choose another."))
}

/// The queue's idle timeout.
pub async fn timeout_of(
    db: &impl ConnectionTrait,
    queue_id: Option<QueueId>,
) -> Result<chrono::Duration, DbErr> {
    let minutes = match queue_id {
        Some(id) => queue::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|q| q.timeout_minutes),
        None => None,
    };
    Ok(chrono::Duration::minutes(i64::from(minutes.unwrap_or(120))))
}

/// Makes sure the employee has an operator row (new employees get theirs on first use).
pub async fn ensure_operator(db: &impl ConnectionTrait, user_id: UserId) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        db.get_database_backend(),
        "INSERT INTO operators (user_id, status, capacity, open_sessions) \
         VALUES (?, 'available', 5, 0) ON CONFLICT (user_id) DO NOTHING",
        [user_id.into()],
    ))
    .await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct OperatorRow {
    id: UserId,
    name: String,
    status: Option<OperatorStatus>,
    capacity: Option<i32>,
    open_sessions: Option<i32>,
    last_seen_at: Option<DateTime<Utc>>,
}

impl OperatorRow {
    fn view(self, gone_before: DateTime<Utc>) -> OperatorView {
        let status = self.status.unwrap_or(OperatorStatus::Available);
        OperatorView {
            id: self.id,
            name: self.name,
            status,
            gone: status == OperatorStatus::Available
                && self.last_seen_at.is_none_or(|at| at < gone_before),
            capacity: self.capacity.unwrap_or(5),
            open_sessions: self.open_sessions.unwrap_or(0),
        }
    }
}

const OPERATOR_COLUMNS: &str = "SELECT u.id, u.display_name AS name, o.status, o.capacity, \
     o.open_sessions, o.last_seen_at FROM users u LEFT JOIN operators o ON o.user_id = u.id";

/// The employee as an operator.
pub async fn operator_view(
    db: &impl ConnectionTrait,
    user_id: UserId,
    gone_before: DateTime<Utc>,
) -> Result<OperatorView, AppError> {
    let row = OperatorRow::find_by_statement(stmt(
        db.get_database_backend(),
        &format!("{OPERATOR_COLUMNS} WHERE u.id = ?"),
        [user_id.into()],
    ))
    .one(db)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(row.view(gone_before))
}

/// Every active employee as an operator, by name.
pub async fn employees(
    db: &impl ConnectionTrait,
    gone_before: DateTime<Utc>,
) -> Result<Vec<OperatorView>, DbErr> {
    Ok(OperatorRow::find_by_statement(stmt(
        db.get_database_backend(),
        &format!(
            "{OPERATOR_COLUMNS} WHERE u.role IN ('manager', 'admin') AND NOT u.disabled \
             ORDER BY u.display_name, u.id"
        ),
        [],
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|r| r.view(gone_before))
    .collect())
}

#[derive(FromQueryResult)]
struct QueueCountRow {
    id: QueueId,
    name: String,
    routing: Routing,
    waiting: i64,
}

/// Queues `q` with how many chats wait in each, counting only the chats that also meet
/// `chats` (a condition on conversations `c`).
fn queue_counts(chats: &str) -> String {
    format!(
        "SELECT q.id, q.name, q.routing, (SELECT COUNT(*) FROM conversations c \
           WHERE c.queue_id = q.id AND c.assignee_id IS NULL AND c.queued_at IS NOT NULL \
           AND c.status = 'open' AND {chats}) AS waiting FROM queues q"
    )
}

fn counts(rows: Vec<QueueCountRow>) -> Vec<QueueCount> {
    rows.into_iter()
        .map(|q| QueueCount {
            id: q.id,
            name: q.name,
            routing: q.routing,
            waiting: q.waiting,
        })
        .collect()
}

/// Every queue with how many chats wait in it, the default first.
pub async fn waiting_counts(db: &impl ConnectionTrait) -> Result<Vec<QueueCount>, DbErr> {
    let rows = QueueCountRow::find_by_statement(stmt(
        db.get_database_backend(),
        &format!(
            "{} ORDER BY q.is_default DESC, q.name",
            queue_counts("1 = 1")
        ),
        [],
    ))
    .all(db)
    .await?;
    Ok(counts(rows))
}

/// The console's head: the employee as an operator, and the queues they work with how many
/// chats wait in each.
#[tracing::instrument(skip(db))]
pub async fn console(
    db: &DatabaseConnection,
    viewer: Viewer,
    gone_before: DateTime<Utc>,
) -> Result<ConsoleState, AppError> {
    if !viewer.role.is_staff() {
        return Err(AppError::NotFound);
    }
    // Read with the defaults of an employee who has no operator row yet: no write here.
    let me = operator_view(db, viewer.id, gone_before).await?;
    // A manager counts the chats they could take: of queues they work, channels they operate.
    let (chats, works, values) = if viewer.role == Role::Admin {
        ("1 = 1", "1 = 1", vec![])
    } else {
        let values = vec![
            viewer.role.as_str().into(),
            viewer.id.into(),
            viewer.id.into(),
        ];
        (OPERATES_CHANNEL.as_str(), WORKS_QUEUE, values)
    };
    let rows = QueueCountRow::find_by_statement(stmt(
        db.get_database_backend(),
        &format!(
            "{} WHERE {works} ORDER BY q.is_default DESC, q.name",
            queue_counts(chats)
        ),
        values,
    ))
    .all(db)
    .await?;
    let queues = counts(rows);
    Ok(ConsoleState { me, queues })
}

/// Everything the admin page shows: teams with members, queues, every employee as an operator.
#[tracing::instrument(skip(db))]
pub async fn admin_view(
    db: &DatabaseConnection,
    viewer: Viewer,
    gone_before: DateTime<Utc>,
) -> Result<QueuesAdmin, AppError> {
    viewer.admin_only()?;
    let operators = employees(db, gone_before).await?;
    let members = team_member::Entity::find().all(db).await?;
    let teams: Vec<TeamView> = team::Entity::find()
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| TeamView {
            members: members
                .iter()
                .filter(|m| m.team_id == t.id)
                .map(|m| Member {
                    id: m.user_id,
                    name: operators
                        .iter()
                        .find(|o| o.id == m.user_id)
                        .map_or_else(|| "Former employee".to_owned(), |o| o.name.clone()),
                })
                .collect(),
            id: t.id,
            name: t.name,
        })
        .collect();
    let queues = queue::Entity::find()
        .order_by_desc(queue::Column::IsDefault)
        .order_by_asc(queue::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|q| QueueView {
            team_name: q
                .team_id
                .and_then(|id| teams.iter().find(|t| t.id == id))
                .map(|t| t.name.clone()),
            id: q.id,
            name: q.name,
            team: q.team_id,
            routing: q.routing,
            timeout_minutes: q.timeout_minutes,
            is_default: q.is_default,
        })
        .collect();
    Ok(QueuesAdmin {
        teams,
        queues,
        operators,
    })
}

/// An admin creates a team.
#[tracing::instrument(skip(db))]
pub async fn create_team(
    db: &DatabaseConnection,
    viewer: Viewer,
    name: &str,
) -> Result<TeamId, AppError> {
    viewer.admin_only()?;
    let name = parse_name(name)?;
    let created = team::ActiveModel {
        name: Set(name),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| name_taken(&e, "teams_name_key", "teams.name").unwrap_or_else(|| e.into()))?;
    Ok(created.id)
}

/// An admin adds an employee to a team, or takes them out.
#[tracing::instrument(skip(db))]
pub async fn set_member(
    db: &DatabaseConnection,
    viewer: Viewer,
    team_id: TeamId,
    user_id: UserId,
    member: bool,
) -> Result<(), AppError> {
    viewer.admin_only()?;
    team::Entity::find_by_id(team_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if member {
        let employee = user::Entity::find_by_id(user_id)
            .one(db)
            .await?
            .filter(|u| u.role.is_staff() && !u.disabled)
            .ok_or_else(|| AppError::invalid("user", "Only active employees join teams."))?;
        db.execute_raw(stmt(
            db.get_database_backend(),
            "INSERT INTO team_members (team_id, user_id) VALUES (?, ?) \
             ON CONFLICT (team_id, user_id) DO NOTHING",
            [team_id.into(), employee.id.into()],
        ))
        .await?;
        ensure_operator(db, employee.id).await?;
    } else {
        team_member::Entity::delete_by_id((team_id, user_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// What an admin submits for a queue.
#[derive(Debug)]
pub struct QueueInput<'a> {
    pub name: &'a str,
    pub team: Option<TeamId>,
    pub routing: &'a str,
    pub timeout_minutes: i32,
    /// New chats go to this queue from now on (the one default is moved here).
    pub make_default: bool,
}

struct ParsedQueue {
    name: String,
    team: Option<TeamId>,
    routing: Routing,
    timeout_minutes: i32,
}

async fn parse_queue(
    db: &DatabaseConnection,
    input: QueueInput<'_>,
) -> Result<ParsedQueue, AppError> {
    let name = parse_name(input.name)?;
    let routing = Routing::parse(input.routing)
        .ok_or_else(|| AppError::invalid("routing", "Choose a routing rule."))?;
    let timeout_minutes = parse_timeout(input.timeout_minutes)?;
    if let Some(team) = input.team
        && team::Entity::find_by_id(team).one(db).await?.is_none()
    {
        return Err(AppError::invalid("team", "That team does not exist."));
    }
    Ok(ParsedQueue {
        name,
        team: input.team,
        routing,
        timeout_minutes,
    })
}

/// An admin creates a queue.
#[tracing::instrument(skip(db))]
pub async fn create_queue(
    db: &DatabaseConnection,
    viewer: Viewer,
    input: QueueInput<'_>,
) -> Result<QueueId, AppError> {
    viewer.admin_only()?;
    let make_default = input.make_default;
    let q = parse_queue(db, input).await?;
    let created = queue::ActiveModel {
        name: Set(q.name),
        team_id: Set(q.team),
        routing: Set(q.routing),
        timeout_minutes: Set(q.timeout_minutes),
        is_default: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| name_taken(&e, "queues_name_key", "queues.name").unwrap_or_else(|| e.into()))?;
    if make_default {
        make_default_queue(db, created.id).await?;
    }
    Ok(created.id)
}

/// Moves the one default to `queue_id`, in one statement: there is never none or two.
async fn make_default_queue(db: &DatabaseConnection, queue_id: QueueId) -> Result<(), DbErr> {
    db.execute_raw(stmt(
        db.get_database_backend(),
        "UPDATE queues SET is_default = CASE WHEN id = ? THEN TRUE ELSE FALSE END",
        [queue_id.into()],
    ))
    .await?;
    Ok(())
}

/// An admin changes a queue. Its waiting chats stay; a new rule applies to them at once.
#[tracing::instrument(skip(db))]
pub async fn update_queue(
    db: &DatabaseConnection,
    viewer: Viewer,
    queue_id: QueueId,
    input: QueueInput<'_>,
) -> Result<(), AppError> {
    viewer.admin_only()?;
    let existing = queue::Entity::find_by_id(queue_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let make_default = input.make_default;
    let q = parse_queue(db, input).await?;
    let mut row: queue::ActiveModel = existing.into();
    row.name = Set(q.name);
    row.team_id = Set(q.team);
    row.routing = Set(q.routing);
    row.timeout_minutes = Set(q.timeout_minutes);
    row.update(db).await.map_err(|e| {
        name_taken(&e, "queues_name_key", "queues.name").unwrap_or_else(|| e.into())
    })?;
    if make_default {
        make_default_queue(db, queue_id).await?;
    }
    Ok(())
}

/// An admin sets an employee's capacity.
#[tracing::instrument(skip(db))]
pub async fn set_capacity(
    db: &DatabaseConnection,
    viewer: Viewer,
    user_id: UserId,
    capacity: i32,
) -> Result<(), AppError> {
    viewer.admin_only()?;
    let capacity = parse_capacity(capacity)?;
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.role.is_staff())
        .ok_or(AppError::NotFound)?;
    ensure_operator(db, user_id).await?;
    operator::Entity::update_many()
        .col_expr(operator::Column::Capacity, capacity.into())
        .filter(operator::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// An employee says whether they take chats.
#[tracing::instrument(skip(db))]
pub async fn set_status(
    db: &DatabaseConnection,
    viewer: Viewer,
    status: &str,
) -> Result<OperatorStatus, AppError> {
    if !viewer.role.is_staff() {
        return Err(AppError::Forbidden);
    }
    let status = OperatorStatus::parse(status)
        .ok_or_else(|| AppError::invalid("status", "Choose available, away or offline."))?;
    ensure_operator(db, viewer.id).await?;
    operator::Entity::update_many()
        .col_expr(operator::Column::Status, status.as_str().into())
        .col_expr(operator::Column::LastSeenAt, Some(Utc::now()).into())
        .filter(operator::Column::UserId.eq(viewer.id))
        .exec(db)
        .await?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_outside_an_hour_to_three_is_refused() {
        assert!(parse_timeout(59).is_err());
        assert_eq!(parse_timeout(60).ok(), Some(60));
        assert_eq!(parse_timeout(180).ok(), Some(180));
        assert!(parse_timeout(181).is_err());
    }

    #[test]
    fn capacity_is_one_to_the_limit() {
        assert!(parse_capacity(0).is_err());
        assert_eq!(parse_capacity(5).ok(), Some(5));
        assert!(parse_capacity(MAX_CAPACITY + 1).is_err());
    }

    #[test]
    fn names_are_cleaned_and_bounded() {
        assert_eq!(
            parse_name("  Sales\u{202E} ").ok().as_deref(),
            Some("Sales")
        );
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"q".repeat(MAX_NAME_CHARS + 1)).is_err());
    }
}
