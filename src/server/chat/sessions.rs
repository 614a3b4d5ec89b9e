//! Operator sessions: the staff side of a client's one continuous thread. A session opens when
//! the chat starts waiting, gets its operator on accept, and closes when the operator ends it
//! (idle close, transfer and deal close follow). The client's next message opens a new session,
//! back in the queue; staff see the boundaries as staff-only lines, the client sees nothing.

use crate::model::AppError;
use crate::model::chat::CloseReason;
use crate::model::ids::{ConversationId, OperatorSessionId, QueueId, UserId};
use crate::model::message::SystemEvent;
use crate::server::access::{Viewer, load};
use crate::server::accounts::service::display_name;
use crate::server::channels::service as channels;
use crate::server::chat::routing::{self, Router};
use crate::server::jobs::{self, Job, JobError, JobHandler};
use crate::server::messages::{self, NewMessage};
use crate::server::platform::entities::{conversation, operator_session};
use crate::server::queues::service as queues;
use crate::server::realtime::changes::{self, Write, stmt};
use crate::server::realtime::{Audience, Hub};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait};
use std::sync::Arc;

/// Longest wrap-up note an operator may leave when ending a chat.
pub const MAX_WRAP_UP_CHARS: usize = 2_000;

/// Opens a waiting session for the conversation in its queue (inside the write that queues it).
pub async fn open(
    w: &Write,
    conversation_id: ConversationId,
    at: DateTime<Utc>,
    queue_id: Option<QueueId>,
) -> Result<(), DbErr> {
    w.txn
        .execute_raw(stmt(
            w.backend(),
            "INSERT INTO operator_sessions (conversation_id, opened_at, queue_id) VALUES (?, ?, ?)",
            [conversation_id.into(), at.into(), queue_id.into()],
        ))
        .await?;
    Ok(())
}

/// Gives the conversation's open session its operator (inside the write that assigns the chat),
/// and queues the look for idleness that closes it when nobody writes.
pub async fn assign(
    w: &Write,
    conversation_id: ConversationId,
    operator: UserId,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let updated = w
        .txn
        .query_one_raw(stmt(
            w.backend(),
            "UPDATE operator_sessions SET operator_id = ?, assigned_at = ? \
             WHERE conversation_id = ? AND closed_at IS NULL RETURNING id",
            [operator.into(), at.into(), conversation_id.into()],
        ))
        .await?;
    let row = match updated {
        Some(row) => row,
        // A chat queued before sessions existed: its session starts now.
        None => w
            .txn
            .query_one_raw(stmt(
                w.backend(),
                "INSERT INTO operator_sessions (conversation_id, operator_id, opened_at, assigned_at, queue_id) \
                 SELECT id, ?, ?, ?, queue_id FROM conversations WHERE id = ? RETURNING id",
                [operator.into(), at.into(), at.into(), conversation_id.into()],
            ))
            .await?
            .ok_or_else(|| DbErr::RecordNotInserted)?,
    };
    let session_id = OperatorSessionId(row.try_get::<i64>("", "id")?);
    // Due at once: the job knows the timeout and moves itself to the moment the chat turns idle.
    jobs::enqueue(&w.txn, Job::IdleClose { session_id }).await
}

/// Staff wrote in the conversation: its open session has its first response (once).
pub async fn responded(w: &Write, conversation_id: ConversationId) -> Result<(), DbErr> {
    w.txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE operator_sessions SET first_response_at = ? WHERE conversation_id = ? \
             AND closed_at IS NULL AND operator_id IS NOT NULL AND first_response_at IS NULL",
            [Utc::now().into(), conversation_id.into()],
        ))
        .await?;
    Ok(())
}

/// The client wrote into a chat whose last session closed: it waits in the queue again, in a
/// new session, and staff are told so; an automatic queue assigns it at once. Returns whether it
/// did (the chat was not waiting and had no operator). Runs inside the write that stores the
/// client's message.
pub async fn reopen_if_closed(
    w: &mut Write,
    router: &Router,
    conv: &conversation::Model,
) -> Result<bool, DbErr> {
    if conv.assignee_id.is_some() || conv.queued_at.is_some() {
        return Ok(false);
    }
    let now = Utc::now();
    // Back into the channel's queue as it is now (an admin may have moved the channel).
    let queue_id = channels::queue_of(&w.txn, conv.channel_id)
        .await?
        .or(conv.queue_id);
    let queued = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE conversations SET queued_at = ?, queue_id = ? \
             WHERE id = ? AND assignee_id IS NULL AND queued_at IS NULL AND status = 'open'",
            [now.into(), queue_id.into(), conv.id.into()],
        ))
        .await?;
    if queued.rows_affected() != 1 {
        return Ok(false);
    }
    open(w, conv.id, now, queue_id).await?;
    messages::append(
        w,
        conv.id,
        vec![NewMessage::staff_event(&SystemEvent::SessionReopened)],
    )
    .await?;
    // Every inbox must show the waiting chat.
    w.audience.staff = true;
    let waiting = conversation::Model {
        assignee_id: None,
        queued_at: Some(now),
        queue_id,
        ..conv.clone()
    };
    routing::route(w, router, &waiting).await?;
    Ok(true)
}

/// What an operator types when ending a chat: trimmed, at most `MAX_WRAP_UP_CHARS`.
pub fn parse_wrap_up(raw: &str) -> Result<Option<String>, AppError> {
    let note = raw.trim();
    if note.chars().count() > MAX_WRAP_UP_CHARS {
        return Err(AppError::invalid(
            "note",
            format!("The note may be at most {MAX_WRAP_UP_CHARS} characters."),
        ));
    }
    Ok((!note.is_empty()).then(|| note.to_owned()))
}

/// The chat's deal is closing (inside that write): its open session closes as `deal_closed`,
/// the chat is nobody's and waits for nobody, and it takes no more messages (`status` closed).
/// Read again inside the write, so a transfer or accept a moment before is seen. The operator
/// whose place this frees, if any: the caller drains their queue after the commit
/// (`routing::drain_for`).
pub async fn close_for_deal(
    w: &mut Write,
    conversation_id: ConversationId,
    by: UserId,
) -> Result<Option<UserId>, DbErr> {
    let Some(conv) = conversation::Entity::find_by_id(conversation_id)
        .one(&w.txn)
        .await?
    else {
        return Ok(None);
    };
    w.txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE conversations SET assignee_id = NULL, queued_at = NULL, assigned_tick = ?, \
             status = 'closed' WHERE id = ?",
            [w.tick.into(), conv.id.into()],
        ))
        .await?;
    if let Some(operator) = conv.assignee_id {
        routing::release(w, operator).await?;
    }
    close_session_row(w, conv.id, CloseReason::DealClosed, Some(by), None).await?;
    // Its operator's lists change, and every inbox that showed it waiting.
    w.audience.merge(&messages::audience_of(&conv));
    Ok(conv.assignee_id)
}

/// An administrator reopened the chat's deal (inside that write): the chat takes messages
/// again; the client's next one puts it back in its queue, as after an ended session.
pub async fn reopen_for_deal(w: &mut Write, conversation_id: ConversationId) -> Result<(), DbErr> {
    w.txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE conversations SET status = 'open' WHERE id = ?",
            [conversation_id.into()],
        ))
        .await?;
    Ok(())
}

/// The chat's operator ends their session, with an optional wrap-up note. The chat leaves their
/// "assigned" list and waits for nobody until the client writes again.
#[tracing::instrument(skip(db, hub, router, note))]
pub async fn end(
    db: &DatabaseConnection,
    hub: &Hub,
    router: &Router,
    viewer: Viewer,
    conversation_id: ConversationId,
    note: &str,
) -> Result<(), AppError> {
    let note = parse_wrap_up(note)?;
    let conv = held(db, viewer, conversation_id, nothing_to_end).await?;
    if note.is_none() && channels::wrap_up_required(db, conv.channel_id).await? {
        return Err(AppError::invalid(
            "note",
            format!(
                "The {} channel asks for a wrap-up note when a chat ends.",
                channels::name_of(db, conv.channel_id).await?
            ),
        ));
    }
    let by = display_name(db, viewer.id).await?;
    let closing = Closing {
        reason: CloseReason::Ended,
        by: Some(viewer.id),
        wrap_up: note.clone(),
        event: SystemEvent::SessionEnded { by, note },
    };
    if !close_held(db, hub, conv.id, viewer.id, None, closing).await? {
        return Err(nothing_to_end());
    }
    // Their place is free: the oldest chat waiting for them comes next.
    routing::drain_for(db, hub, router, viewer.id).await?;
    Ok(())
}

/// The chat the viewer holds as its operator, or why not: 404 for who may not read it, 403 for
/// a client, `not_held` (a 409) for an employee who does not hold it.
pub(super) async fn held(
    db: &DatabaseConnection,
    viewer: Viewer,
    conversation_id: ConversationId,
    not_held: fn() -> AppError,
) -> Result<conversation::Model, AppError> {
    let (conv, _) = load(db, viewer, conversation_id).await?;
    if !viewer.role.is_staff() {
        return Err(AppError::Forbidden);
    }
    if conv.assignee_id != Some(viewer.id) {
        return Err(not_held());
    }
    Ok(conv)
}

fn nothing_to_end() -> AppError {
    AppError::Conflict(
        "This chat has no session of yours to end: it was already ended, closed as idle or handed on."
            .into(),
    )
}

/// How a held session closes: its reason, who closed it, the note, and the staff-only line.
pub(super) struct Closing {
    pub reason: CloseReason,
    pub by: Option<UserId>,
    pub wrap_up: Option<String>,
    pub event: SystemEvent,
}

/// Closes the conversation's open session row (if any) inside `w`: when, why, by whom, the note.
async fn close_session_row(
    w: &Write,
    conversation_id: ConversationId,
    reason: CloseReason,
    by: Option<UserId>,
    wrap_up: Option<String>,
) -> Result<(), DbErr> {
    let closed = w
        .txn
        .query_all_raw(stmt(
            w.backend(),
            "UPDATE operator_sessions SET closed_at = ?, close_reason = ?, closed_by = ?, wrap_up = ? \
             WHERE conversation_id = ? AND closed_at IS NULL RETURNING id",
            [
                Utc::now().into(),
                reason.as_str().into(),
                by.map(|u| u.0).into(),
                wrap_up.into(),
                conversation_id.into(),
            ],
        ))
        .await?;
    // Each closed session becomes a CRM task or case by the connector's rules.
    for row in closed {
        let session_id = OperatorSessionId(row.try_get::<i64>("", "id")?);
        jobs::enqueue(&w.txn, Job::CrmSession { session_id }).await?;
    }
    Ok(())
}

/// Closes the conversation's open session inside `w` and appends its staff-only line.
pub(super) async fn close_session(
    w: &mut Write,
    conversation_id: ConversationId,
    closing: Closing,
) -> Result<(), DbErr> {
    close_session_row(
        w,
        conversation_id,
        closing.reason,
        closing.by,
        closing.wrap_up,
    )
    .await?;
    messages::append(
        w,
        conversation_id,
        vec![NewMessage::staff_event(&closing.event)],
    )
    .await?;
    Ok(())
}

/// Closes the session `operator` holds in the conversation, in one write: the chat is released
/// to nobody (only if it is still theirs and, with `quiet_since`, nobody wrote after it), the
/// session row is closed and the staff-only line appended. False when the chat was no longer
/// theirs (or no longer quiet): nothing is written.
async fn close_held(
    db: &DatabaseConnection,
    hub: &Hub,
    conversation_id: ConversationId,
    operator: UserId,
    quiet_since: Option<DateTime<Utc>>,
    closing: Closing,
) -> Result<bool, DbErr> {
    let mut w = changes::begin(db).await?;
    let mut values = vec![w.tick.into(), conversation_id.into(), operator.into()];
    let quiet = quiet_since.map_or("", |at| {
        values.push(at.into());
        " AND last_message_at <= ?"
    });
    let released = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            &format!(
                "UPDATE conversations SET assignee_id = NULL, queued_at = NULL, assigned_tick = ? \
                 WHERE id = ? AND assignee_id = ?{quiet}"
            ),
            values,
        ))
        .await?;
    if released.rows_affected() != 1 {
        return Ok(false);
    }
    routing::release(&w, operator).await?;
    close_session(&mut w, conversation_id, closing).await?;
    // The operator's own lists change; nobody else's (the chat waits for nobody).
    w.audience.merge(&Audience::users([Some(operator)]));
    w.commit(hub).await?;
    Ok(true)
}

/// What the idle look decides for an open session with an operator.
#[derive(Debug, PartialEq, Eq)]
pub enum IdleCheck {
    /// Nobody wrote for the whole timeout.
    CloseNow,
    /// Someone wrote lately: look again then.
    LookAgainAt(DateTime<Utc>),
}

/// A session turns idle `timeout` after the later of its chat's last message and its
/// assignment (an operator who just took an old chat gets the whole timeout).
pub fn idle_check(
    last_message_at: DateTime<Utc>,
    assigned_at: DateTime<Utc>,
    timeout: chrono::Duration,
    now: DateTime<Utc>,
) -> IdleCheck {
    let idle_at = last_message_at.max(assigned_at) + timeout;
    if now >= idle_at {
        IdleCheck::CloseNow
    } else {
        IdleCheck::LookAgainAt(idle_at)
    }
}

/// The handler of `IdleClose` jobs: closes a session nobody wrote in for its queue's timeout,
/// or moves the job to the moment it would turn idle. The job lives in the database, so a
/// restart loses no pending close.
pub struct IdleClose {
    pub hub: Arc<Hub>,
    pub router: Arc<Router>,
    /// Replaces every queue's timeout (`chat.idle_close_secs`: tests use seconds).
    pub timeout_override: Option<chrono::Duration>,
}

#[async_trait::async_trait]
impl JobHandler for IdleClose {
    async fn run(&self, db: &DatabaseConnection, job: Job) -> Result<(), JobError> {
        let Job::IdleClose { session_id } = job else {
            return Err(JobError::Permanent(format!(
                "not an idle-close job: {job:?}"
            )));
        };
        let Some(session) = operator_session::Entity::find_by_id(session_id)
            .one(db)
            .await?
        else {
            return Ok(());
        };
        let (None, Some(operator), Some(assigned_at)) =
            (session.closed_at, session.operator_id, session.assigned_at)
        else {
            return Ok(()); // Closed already, or waiting (a waiting chat never closes as idle).
        };
        let Some(conv) = conversation::Entity::find_by_id(session.conversation_id)
            .one(db)
            .await?
        else {
            return Ok(());
        };
        let now = Utc::now();
        let timeout = match self.timeout_override {
            Some(timeout) => timeout,
            None => queues::timeout_of(db, session.queue_id.or(conv.queue_id)).await?,
        };
        match idle_check(conv.last_message_at, assigned_at, timeout, now) {
            IdleCheck::LookAgainAt(at) => {
                jobs::enqueue_at(db, job, at).await?;
            }
            IdleCheck::CloseNow => {
                let closing = Closing {
                    reason: CloseReason::Idle,
                    by: None,
                    wrap_up: None,
                    event: SystemEvent::IdleClosed {
                        after_secs: timeout.num_seconds(),
                    },
                };
                let quiet_since = Some(now - timeout);
                if close_held(db, &self.hub, conv.id, operator, quiet_since, closing).await? {
                    tracing::info!(conversation = %conv.id, %operator, "operator session closed as idle");
                    routing::drain_for(db, &self.hub, &self.router, operator).await?;
                } else {
                    // A message arrived in between: look again from the new last message.
                    jobs::enqueue(db, job).await?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_session_closes_a_whole_timeout_after_the_last_message() {
        let t0 = Utc::now();
        let timeout = Duration::minutes(120);
        assert_eq!(
            idle_check(
                t0,
                t0 - Duration::hours(5),
                timeout,
                t0 + Duration::minutes(119)
            ),
            IdleCheck::LookAgainAt(t0 + timeout)
        );
        assert_eq!(
            idle_check(t0, t0 - Duration::hours(5), timeout, t0 + timeout),
            IdleCheck::CloseNow
        );
    }

    #[test]
    fn an_operator_who_takes_an_old_chat_gets_the_whole_timeout() {
        let t0 = Utc::now();
        let timeout = Duration::minutes(60);
        let taken = t0 + Duration::hours(3);
        assert_eq!(
            idle_check(t0, taken, timeout, taken + Duration::minutes(1)),
            IdleCheck::LookAgainAt(taken + timeout)
        );
    }

    #[test]
    fn a_wrap_up_note_is_trimmed_and_an_empty_one_is_none() {
        assert_eq!(
            parse_wrap_up("  sent the price list \n")
                .unwrap()
                .as_deref(),
            Some("sent the price list")
        );
        assert_eq!(parse_wrap_up("   ").unwrap(), None);
    }

    #[test]
    fn a_wrap_up_note_over_the_limit_is_refused() {
        assert!(parse_wrap_up(&"x".repeat(MAX_WRAP_UP_CHARS)).is_ok());
        assert!(parse_wrap_up(&"x".repeat(MAX_WRAP_UP_CHARS + 1)).is_err());
    }
}
