//! Transfer: the chat's operator hands it to a colleague (who must be available, present and
//! under capacity, or the transfer is refused with the reason) or puts it back in a queue (where
//! its routing rule applies at once), with an optional note the next operator reads. Either is
//! one write: the old session closes as `transferred`, a new one opens; the client sees one
//! thread.

use crate::model::AppError;
use crate::model::chat::CloseReason;
use crate::model::ids::{ConversationId, UserId};
use crate::model::message::SystemEvent;
use crate::model::queues::{TransferTargets, TransferTo};
use crate::server::access::{Viewer, operates_channel};
use crate::server::accounts::service::display_name;
use crate::server::channels::service as channels;
use crate::server::chat::routing::{self, Router};
use crate::server::chat::sessions::{self, Closing, close_session, held, parse_wrap_up};
use crate::server::platform::entities::{conversation, queue, user};
use crate::server::queues::service as queues;
use crate::server::realtime::changes::{self, stmt};
use crate::server::realtime::{Audience, Hub};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait};

fn not_yours() -> AppError {
    AppError::Conflict(
        "This chat has no session of yours to hand on: it was already ended, closed as idle or handed on."
            .into(),
    )
}

/// Who the chat's operator may hand it to: every other active employee (with their status and
/// load, so the picker can say why someone cannot take it) and every queue.
#[tracing::instrument(skip(db, router))]
pub async fn targets(
    db: &DatabaseConnection,
    router: &Router,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<TransferTargets, AppError> {
    held(db, viewer, conversation_id, not_yours).await?;
    let mut operators = queues::employees(db, router.gone_before(Utc::now())).await?;
    operators.retain(|o| o.id != viewer.id);
    let queues = queues::waiting_counts(db).await?;
    Ok(TransferTargets { operators, queues })
}

/// Hands the viewer's chat on.
#[tracing::instrument(skip(db, hub, router, note))]
pub async fn transfer(
    db: &DatabaseConnection,
    hub: &Hub,
    router: &Router,
    viewer: Viewer,
    conversation_id: ConversationId,
    to: &str,
    note: &str,
) -> Result<(), AppError> {
    let to = TransferTo::parse(to)
        .ok_or_else(|| AppError::invalid("to", "Choose a colleague or a queue."))?;
    let note = parse_wrap_up(note)?;
    let conv = held(db, viewer, conversation_id, not_yours).await?;
    let from = display_name(db, viewer.id).await?;
    match to {
        TransferTo::Operator(target) => {
            to_operator(db, hub, router, viewer, &conv, target, from, note).await?
        }
        TransferTo::Queue(queue_id) => {
            let queue = queue::Entity::find_by_id(queue_id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::invalid("to", "That queue does not exist."))?;
            if !operated_in(db, &conv, &queue).await? {
                return Err(AppError::Conflict(format!(
                    "Nobody who works the {} queue may operate chats of the {} channel.",
                    queue.name,
                    channels::name_of(db, conv.channel_id).await?
                )));
            }
            to_queue(db, hub, router, viewer, &conv, queue, from, note).await?
        }
    }
    // The viewer's place is free: the oldest chat waiting for them comes next.
    routing::drain_for(db, hub, router, viewer.id).await?;
    Ok(())
}

/// Whether someone who works the queue may operate the chat's channel: a chat moved where
/// nobody may take it would wait for ever.
async fn operated_in(
    db: &DatabaseConnection,
    conv: &conversation::Model,
    queue: &queue::Model,
) -> Result<bool, DbErr> {
    let Some(channel) = conv.channel_id else {
        return Ok(true);
    };
    let mut values = vec![channel.into()];
    let team = match queue.team_id {
        Some(team) => {
            values.push(team.into());
            " AND u.id IN (SELECT tm.user_id FROM team_members tm WHERE tm.team_id = ?)"
        }
        None => "",
    };
    let found = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            &format!(
                "SELECT 1 AS one FROM users u WHERE u.role IN ('manager', 'admin') \
                 AND NOT u.disabled AND {}{team} LIMIT 1",
                routing::operating("?")
            ),
            values,
        ))
        .await?;
    Ok(found.is_some())
}

#[allow(clippy::too_many_arguments)]
async fn to_operator(
    db: &DatabaseConnection,
    hub: &Hub,
    router: &Router,
    viewer: Viewer,
    conv: &conversation::Model,
    target: UserId,
    from: String,
    note: Option<String>,
) -> Result<(), AppError> {
    if target == viewer.id {
        return Err(AppError::invalid("to", "The chat is already yours."));
    }
    let colleague = user::Entity::find_by_id(target)
        .one(db)
        .await?
        .filter(|u| u.role.is_staff() && !u.disabled)
        .ok_or_else(|| AppError::invalid("to", "Choose an active colleague."))?;
    let them = Viewer {
        id: colleague.id,
        role: colleague.role,
    };
    if !operates_channel(db, them, conv.channel_id).await? {
        return Err(AppError::Conflict(format!(
            "{} may not operate chats of the {} channel.",
            colleague.display_name,
            channels::name_of(db, conv.channel_id).await?
        )));
    }
    queues::ensure_operator(db, colleague.id).await?;
    let now = Utc::now();
    let mut w = changes::begin(db).await?;
    // Their place first, claimed as routing claims it.
    let claimed = routing::claim(&w, target, now, router.gone_before(now)).await?;
    if !claimed {
        drop(w);
        let them = queues::operator_view(db, target, router.gone_before(now)).await?;
        return Err(AppError::Conflict(them.refusal().unwrap_or_else(|| {
            format!("{} cannot take the chat right now.", them.name)
        })));
    }
    let moved = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE conversations SET assignee_id = ?, assigned_tick = ? \
             WHERE id = ? AND assignee_id = ? AND status = 'open'",
            [
                target.into(),
                w.tick.into(),
                conv.id.into(),
                viewer.id.into(),
            ],
        ))
        .await?;
    if moved.rows_affected() != 1 {
        return Err(not_yours()); // The write is dropped: their place is not taken.
    }
    routing::release(&w, viewer.id).await?;
    let closing = Closing {
        reason: CloseReason::Transferred,
        by: Some(viewer.id),
        wrap_up: note.clone(),
        event: SystemEvent::Transferred {
            from,
            to: colleague.display_name,
            note,
        },
    };
    close_session(&mut w, conv.id, closing).await?;
    sessions::open(&w, conv.id, now, conv.queue_id).await?;
    routing::seat(&w, conv, target, now).await?;
    w.audience
        .merge(&Audience::users([Some(viewer.id), Some(target)]));
    w.commit(hub).await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn to_queue(
    db: &DatabaseConnection,
    hub: &Hub,
    router: &Router,
    viewer: Viewer,
    conv: &conversation::Model,
    queue: queue::Model,
    by: String,
    note: Option<String>,
) -> Result<(), AppError> {
    let now = Utc::now();
    let mut w = changes::begin(db).await?;
    let moved = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE conversations SET assignee_id = NULL, queued_at = ?, queue_id = ?, \
             assigned_tick = ? WHERE id = ? AND assignee_id = ? AND status = 'open'",
            [
                now.into(),
                queue.id.into(),
                w.tick.into(),
                conv.id.into(),
                viewer.id.into(),
            ],
        ))
        .await?;
    if moved.rows_affected() != 1 {
        return Err(not_yours());
    }
    routing::release(&w, viewer.id).await?;
    let closing = Closing {
        reason: CloseReason::Transferred,
        by: Some(viewer.id),
        wrap_up: note.clone(),
        event: SystemEvent::Requeued {
            by,
            queue: queue.name.clone(),
            note,
        },
    };
    close_session(&mut w, conv.id, closing).await?;
    sessions::open(&w, conv.id, now, Some(queue.id)).await?;
    // Every inbox of the queue must show it waiting; an automatic queue assigns it at once.
    w.audience.staff = true;
    w.audience.merge(&Audience::users([Some(viewer.id)]));
    let waiting = conversation::Model {
        assignee_id: None,
        queued_at: Some(now),
        queue_id: Some(queue.id),
        ..conv.clone()
    };
    routing::route(&mut w, router, &waiting).await?;
    w.commit(hub).await?;
    Ok(())
}
