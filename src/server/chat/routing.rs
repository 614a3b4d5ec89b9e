//! Routing: handing a queue's waiting chats to operators. A queue "to all agents" waits for
//! someone to accept; round robin and least busy assign at once to an available operator under
//! their capacity, and when an operator frees up the queue's oldest waiting chat goes first.
//!
//! An assignment is two conditional updates in one write: the operator's row claims a place
//! (`open_sessions < capacity`, so two instances can never push anyone over), then the chat
//! (`assignee_id IS NULL`, so it is taken once). Either failing undoes nothing but itself: the
//! write then tries the next operator, or leaves the chat waiting.

use crate::model::AppError;
use crate::model::ids::{ChannelId, QueueId, UserId};
use crate::model::message::SystemEvent;
use crate::model::queues::{OperatorStatus, Routing};
use crate::server::access::{Viewer, WORKS_QUEUE, operates_sql};
use crate::server::chat::service::upsert_member;
use crate::server::chat::sessions;
use crate::server::deals::service as deals;
use crate::server::messages::{self, NewMessage};
use crate::server::platform::entities::{conversation, queue};
use crate::server::queues::service as queues;
use crate::server::realtime::Hub;
use crate::server::realtime::changes::{self, Write, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A queue's (`?`) waiting chats, as SQL over conversations `c`.
const WAITING_IN_QUEUE: &str = "c.queue_id = ? AND c.assignee_id IS NULL \
     AND c.queued_at IS NOT NULL AND c.status = 'open' AND c.kind = 'client'";

/// Most chats one drain assigns before it lets others write.
const DRAIN_BATCH: usize = 200;
/// Candidates read per assignment: a claim that loses a race tries the next.
const CANDIDATES: i64 = 4;

/// Routing's settings and its memory of who was seen lately (per instance: it only saves
/// writes, the database holds the truth).
pub struct Router {
    /// An operator whose last poll is older than this gets no new chats.
    pub gone_after: chrono::Duration,
    /// How often a seen operator's `last_seen_at` is written again.
    stamp_every: Duration,
    stamped: Mutex<HashMap<UserId, Instant>>,
}

impl Router {
    pub fn new(gone_after: chrono::Duration) -> Router {
        // Stamped well inside the gone window, so a polling operator never looks gone.
        let stamp_every = (gone_after / 3)
            .to_std()
            .unwrap_or(Duration::from_secs(10))
            .max(Duration::from_millis(200));
        Router {
            gone_after,
            stamp_every,
            stamped: Mutex::new(HashMap::new()),
        }
    }

    /// Before this, an operator's last poll means they are gone.
    pub fn gone_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.gone_after
    }

    fn due_stamp(&self, user: UserId) -> bool {
        let mut stamped = self.stamped.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match stamped.get(&user) {
            Some(at) if now.duration_since(*at) < self.stamp_every => false,
            _ => {
                if stamped.len() > 100_000 {
                    stamped.clear();
                }
                stamped.insert(user, now);
                true
            }
        }
    }
}

/// The order a rule hands chats out in, as SQL over operators `o`.
pub fn order_of(rule: Routing) -> &'static str {
    match rule {
        // Nobody assigned yet first, then whoever was assigned longest ago.
        Routing::All | Routing::RoundRobin => {
            "o.last_assigned_at IS NOT NULL, o.last_assigned_at, o.user_id"
        }
        Routing::LeastBusy => {
            "o.open_sessions, o.last_assigned_at IS NOT NULL, o.last_assigned_at, o.user_id"
        }
    }
}

#[derive(FromQueryResult)]
struct Candidate {
    user_id: UserId,
    name: String,
}

/// SQL over operators `o` joined with their users `u`: free to take a chat of the queue now
/// (available, seen since `?`, under capacity, in the queue's team `?` when it has one).
fn free_in_queue(queue: &queue::Model) -> &'static str {
    if queue.team_id.is_some() {
        "o.status = 'available' AND o.last_seen_at >= ? AND o.open_sessions < o.capacity \
         AND u.role IN ('manager', 'admin') AND NOT u.disabled \
         AND o.user_id IN (SELECT tm.user_id FROM team_members tm WHERE tm.team_id = ?)"
    } else {
        "o.status = 'available' AND o.last_seen_at >= ? AND o.open_sessions < o.capacity \
         AND u.role IN ('manager', 'admin') AND NOT u.disabled"
    }
}

/// The values `free_in_queue` takes.
fn free_values(queue: &queue::Model, gone_before: DateTime<Utc>) -> Vec<sea_orm::Value> {
    let mut values = vec![gone_before.into()];
    values.extend(queue.team_id.map(Into::into));
    values
}

/// SQL over users `u`: may operate the channel `channel` (an SQL expression).
pub(super) fn operating(channel: &str) -> String {
    format!(
        "(u.role = 'admin' OR {})",
        operates_sql(channel, "u.role", "u.id")
    )
}

/// Operators free to take a chat of the queue (of `channel`, when given), in the rule's order.
async fn candidates(
    w: &Write,
    queue: &queue::Model,
    channel: Option<ChannelId>,
    gone_before: DateTime<Utc>,
) -> Result<Vec<Candidate>, DbErr> {
    let mut values = free_values(queue, gone_before);
    let operates = match channel {
        Some(channel) => {
            values.push(channel.into());
            format!(" AND {}", operating("?"))
        }
        None => String::new(),
    };
    Candidate::find_by_statement(stmt(
        w.backend(),
        &format!(
            "SELECT o.user_id, u.display_name AS name FROM operators o \
             JOIN users u ON u.id = o.user_id \
             WHERE {}{operates} ORDER BY {} LIMIT {CANDIDATES}",
            free_in_queue(queue),
            order_of(queue.routing)
        ),
        values,
    ))
    .all(&w.txn)
    .await
}

/// The operator now holds one more session (a manual accept: no capacity check, they chose).
pub async fn hold(w: &Write, operator: UserId, at: DateTime<Utc>) -> Result<(), DbErr> {
    queues::ensure_operator(&w.txn, operator).await?;
    w.txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE operators SET open_sessions = open_sessions + 1, last_assigned_at = ? \
             WHERE user_id = ?",
            [at.into(), operator.into()],
        ))
        .await?;
    Ok(())
}

/// Claims a place for one more chat with the operator: one conditional update, true only if
/// they are available, seen since `gone_before` and under their capacity. Two writers can never
/// both take their last place.
pub async fn claim(
    w: &Write,
    operator: UserId,
    now: DateTime<Utc>,
    gone_before: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let claimed = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE operators SET open_sessions = open_sessions + 1, last_assigned_at = ? \
             WHERE user_id = ? AND status = 'available' AND open_sessions < capacity \
             AND last_seen_at >= ?",
            [now.into(), operator.into(), gone_before.into()],
        ))
        .await?;
    Ok(claimed.rows_affected() == 1)
}

/// The operator's side of holding a chat, inside `w`: a member of it, a session assigned to
/// them (with its idle look), and the deal's owner if it has none.
pub async fn seat(
    w: &Write,
    conv: &conversation::Model,
    operator: UserId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    upsert_member(&w.txn, conv.id, operator, "member", 0).await?;
    sessions::assign(w, conv.id, operator, now).await?;
    if let Some(deal_id) = conv.deal_id {
        deals::claim_owner(w, deal_id, operator).await?;
    }
    Ok(())
}

/// The operator holds one session fewer (it closed or moved on).
pub async fn release(w: &Write, operator: UserId) -> Result<(), DbErr> {
    w.txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE operators SET open_sessions = CASE WHEN open_sessions > 0 \
             THEN open_sessions - 1 ELSE 0 END WHERE user_id = ?",
            [operator.into()],
        ))
        .await?;
    Ok(())
}

/// How an operator came to take a chat.
pub enum Taking {
    /// They accepted it from the queue.
    Accepted,
    /// The queue's routing gave it to them.
    Assigned,
}

/// Gives the waiting chat to `operator` inside `w`: the chat (if still waiting), its session,
/// its deal's owner if it has none, and the line everyone sees. False when someone else took
/// it first.
pub async fn take(
    w: &mut Write,
    conv: &conversation::Model,
    operator: UserId,
    name: String,
    how: Taking,
) -> Result<bool, DbErr> {
    let taken = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE conversations SET assignee_id = ?, queued_at = NULL, assigned_tick = ? \
             WHERE id = ? AND assignee_id IS NULL AND status = 'open'",
            [operator.into(), w.tick.into(), conv.id.into()],
        ))
        .await?;
    if taken.rows_affected() != 1 {
        return Ok(false);
    }
    seat(w, conv, operator, Utc::now()).await?;
    let event = match how {
        Taking::Accepted => SystemEvent::Accepted { by: name },
        Taking::Assigned => SystemEvent::Assigned { to: name },
    };
    messages::append(w, conv.id, vec![NewMessage::event(&event)]).await?;
    // Every inbox must drop the chat, not only the people on it.
    w.audience.staff = true;
    Ok(true)
}

/// What routing did with a waiting chat.
#[derive(Debug, PartialEq, Eq)]
pub enum Routed {
    Assigned(UserId),
    /// A manual queue, or nobody available under capacity: it waits.
    Waits,
    /// Someone took it meanwhile (another instance's drain, a manual accept).
    TakenMeanwhile,
}

/// Assigns the waiting chat by its queue's rule, inside the write that made it wait.
pub async fn route(
    w: &mut Write,
    router: &Router,
    conv: &conversation::Model,
) -> Result<Routed, DbErr> {
    let Some(queue_id) = conv.queue_id else {
        return Ok(Routed::Waits);
    };
    let Some(queue) = queue::Entity::find_by_id(queue_id).one(&w.txn).await? else {
        return Ok(Routed::Waits);
    };
    route_in(w, router, conv, &queue).await
}

/// `route` with the chat's queue already read (a drain reads it once for all its chats).
async fn route_in(
    w: &mut Write,
    router: &Router,
    conv: &conversation::Model,
    queue: &queue::Model,
) -> Result<Routed, DbErr> {
    if !queue.routing.is_automatic() {
        return Ok(Routed::Waits);
    }
    let now = Utc::now();
    let gone_before = router.gone_before(now);
    for candidate in candidates(w, queue, conv.channel_id, gone_before).await? {
        if !claim(w, candidate.user_id, now, gone_before).await? {
            continue; // Someone else filled their last place: the next one.
        }
        if take(w, conv, candidate.user_id, candidate.name, Taking::Assigned).await? {
            return Ok(Routed::Assigned(candidate.user_id));
        }
        // The chat was taken meanwhile: give the place back.
        release(w, candidate.user_id).await?;
        return Ok(Routed::TakenMeanwhile);
    }
    Ok(Routed::Waits)
}

#[derive(FromQueryResult)]
struct QueueRow {
    id: QueueId,
}

/// Assigns the queue's waiting chats, oldest first, while operators are free: each in its own
/// write. Returns how many were assigned.
#[tracing::instrument(skip(db, hub, router))]
pub async fn drain(
    db: &DatabaseConnection,
    hub: &Hub,
    router: &Router,
    queue_id: QueueId,
) -> Result<usize, DbErr> {
    let (mut assigned, mut looked) = (0, 0);
    while looked < DRAIN_BATCH {
        looked += 1;
        // A read first: most drains find nothing waiting, and a write for nothing would queue
        // behind every other writer.
        let waits = db
            .query_one_raw(stmt(
                db.get_database_backend(),
                &format!("SELECT 1 AS one FROM conversations c WHERE {WAITING_IN_QUEUE} LIMIT 1"),
                [queue_id.into()],
            ))
            .await?
            .is_some();
        if !waits {
            break;
        }
        let mut w = changes::begin(db).await?;
        let Some(queue) = queue::Entity::find_by_id(queue_id).one(&w.txn).await? else {
            break;
        };
        let gone_before = router.gone_before(Utc::now());
        if !queue.routing.is_automatic()
            || candidates(&w, &queue, None, gone_before).await?.is_empty()
        {
            break; // Nobody free: nothing to look for.
        }
        // The oldest chat someone free may operate: a chat of a channel nobody free operates
        // waits without holding up the rest.
        let mut values = vec![queue_id.into()];
        values.extend(free_values(&queue, gone_before));
        let oldest = conversation::Entity::find()
            .from_raw_sql(stmt(
                w.backend(),
                &format!(
                    "SELECT * FROM conversations c WHERE {WAITING_IN_QUEUE} \
                     AND (c.channel_id IS NULL OR EXISTS (SELECT 1 FROM operators o \
                          JOIN users u ON u.id = o.user_id WHERE {} AND {})) \
                     ORDER BY c.queued_at, c.id LIMIT 1",
                    free_in_queue(&queue),
                    operating("c.channel_id")
                ),
                values,
            ))
            .one(&w.txn)
            .await?;
        let Some(conv) = oldest else { break };
        match route_in(&mut w, router, &conv, &queue).await? {
            Routed::Assigned(_) => {
                w.commit(hub).await?;
                assigned += 1;
            }
            // Another drain got it first: the next oldest (this write is dropped, undone).
            Routed::TakenMeanwhile => {}
            Routed::Waits => break,
        }
    }
    Ok(assigned)
}

/// Drains every automatic queue the operator works: they just got room.
pub async fn drain_for(
    db: &DatabaseConnection,
    hub: &Hub,
    router: &Router,
    operator: UserId,
) -> Result<usize, DbErr> {
    drain_queues(db, hub, router, Some(operator)).await
}

/// Drains every automatic queue: the periodic sweep that catches what no event started (a
/// queue's rule or team changed, an instance stopped between a close and its drain).
pub async fn drain_all(
    db: &DatabaseConnection,
    hub: &Hub,
    router: &Router,
) -> Result<usize, DbErr> {
    drain_queues(db, hub, router, None).await
}

/// Drains the automatic queues `operator` works (all of them for None), in id order.
async fn drain_queues(
    db: &DatabaseConnection,
    hub: &Hub,
    router: &Router,
    operator: Option<UserId>,
) -> Result<usize, DbErr> {
    let (works, values) = match operator {
        Some(operator) => (format!(" AND {WORKS_QUEUE}"), vec![operator.into()]),
        None => (String::new(), vec![]),
    };
    let queues = QueueRow::find_by_statement(stmt(
        db.get_database_backend(),
        &format!("SELECT q.id FROM queues q WHERE q.routing <> 'all'{works} ORDER BY q.id"),
        values,
    ))
    .all(db)
    .await?;
    let mut assigned = 0;
    for q in queues {
        assigned += drain(db, hub, router, q.id).await?;
    }
    Ok(assigned)
}

/// An employee polled: remember they are here (a write at most every few seconds), and if they
/// had been gone, give them the chats waiting for someone like them.
pub async fn seen(
    db: &DatabaseConnection,
    hub: &Hub,
    router: &Router,
    viewer: Viewer,
) -> Result<(), DbErr> {
    if !viewer.role.is_staff() || !router.due_stamp(viewer.id) {
        return Ok(());
    }
    let now = Utc::now();
    queues::ensure_operator(db, viewer.id).await?;
    let was_gone = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            "SELECT 1 AS one FROM operators WHERE user_id = ? AND status = 'available' \
             AND (last_seen_at IS NULL OR last_seen_at < ?)",
            [viewer.id.into(), router.gone_before(now).into()],
        ))
        .await?
        .is_some();
    db.execute_raw(stmt(
        db.get_database_backend(),
        "UPDATE operators SET last_seen_at = ? WHERE user_id = ?",
        [now.into(), viewer.id.into()],
    ))
    .await?;
    if was_gone {
        drain_for(db, hub, router, viewer.id).await?;
    }
    Ok(())
}

/// An employee sets their status; becoming available takes waiting chats at once.
pub async fn set_status(
    db: &DatabaseConnection,
    hub: &Hub,
    router: &Router,
    viewer: Viewer,
    status: &str,
) -> Result<(), AppError> {
    let status = queues::set_status(db, viewer, status).await?;
    if status == OperatorStatus::Available {
        drain_for(db, hub, router, viewer.id).await?;
    }
    Ok(())
}

/// An admin sets an employee's capacity; room they gain takes waiting chats at once.
pub async fn set_capacity(
    db: &DatabaseConnection,
    hub: &Hub,
    router: &Router,
    viewer: Viewer,
    user_id: UserId,
    capacity: i32,
) -> Result<(), AppError> {
    queues::set_capacity(db, viewer, user_id, capacity).await?;
    drain_for(db, hub, router, user_id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_polling_operator_is_stamped_well_inside_the_gone_window() {
        let router = Router::new(chrono::Duration::seconds(90));
        assert_eq!(router.stamp_every, Duration::from_secs(30));
        assert!(router.due_stamp(UserId(1)));
        assert!(
            !router.due_stamp(UserId(1)),
            "the second poll is not stamped"
        );
        assert!(router.due_stamp(UserId(2)));
    }
}
