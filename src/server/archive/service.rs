//! Closing and reopening a deal. A close is one write of the change clock: the deal's outcome,
//! its pending offers withdrawn, its unpaid requests canceled (their checkouts closed at the
//! provider first), its chat's operator session closed as `deal_closed` and the chat made
//! read-only, a line both sides read, and the CRM's copy queued. Every write that could race it
//! checks the deal (or the chat's status) inside its own write, so it lands before the close or
//! is refused.

use crate::model::chat::DealView;
use crate::model::ids::ConversationId;
use crate::model::message::SystemEvent;
use crate::model::{AppError, DealOutcome, Role};
use crate::server::access::{self, Viewer};
use crate::server::accounts::service::display_name;
use crate::server::chat::routing::{self, Router};
use crate::server::chat::sessions;
use crate::server::deals::service as deals;
use crate::server::files::offers;
use crate::server::jobs::{self, Job};
use crate::server::messages::{self, NewMessage};
use crate::server::payments::providers::PaymentProvider;
use crate::server::payments::service as payments;
use crate::server::platform::entities::{conversation, deal};
use crate::server::realtime::Hub;
use crate::server::realtime::changes::{self, stmt};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

/// The longest reason given with a close.
pub const MAX_NOTE_CHARS: usize = 2000;

/// What closing needs besides the database.
#[derive(Clone, Copy)]
pub struct CloseDeps<'a> {
    pub db: &'a DatabaseConnection,
    pub hub: &'a Hub,
    pub router: &'a Router,
    pub provider: &'a dyn PaymentProvider,
}

/// The outcome as a form names it.
pub fn parse_outcome(raw: &str) -> Result<DealOutcome, AppError> {
    DealOutcome::parse(raw).ok_or_else(|| AppError::invalid("outcome", "Choose won or lost."))
}

/// The reason given with a close: trimmed, at most `MAX_NOTE_CHARS`; empty is none.
pub fn parse_note(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let note = raw.unwrap_or("").trim();
    let chars = note.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(AppError::invalid(
            "note",
            format!("The reason is limited to {MAX_NOTE_CHARS} characters; this one has {chars}."),
        ));
    }
    Ok((!note.is_empty()).then(|| note.to_owned()))
}

fn already_closed(deal: &deal::Model) -> AppError {
    AppError::Conflict(match deal.outcome {
        Some(outcome) => format!("This deal was already closed as {outcome}."),
        None => "This deal was already closed.".into(),
    })
}

/// The chat and its deal, for someone who may manage the deal (404 for who may not read the
/// chat, 403 for who reads but may not manage it).
async fn deal_in_reach(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<(conversation::Model, deal::Model), AppError> {
    let (conv, can) = access::load(db, viewer, conversation_id).await?;
    let deal_id = conv
        .deal_id
        .ok_or_else(|| AppError::Conflict("This chat has no deal to close.".into()))?;
    if !can.manage_deal {
        return Err(AppError::Forbidden);
    }
    let deal = deal::Entity::find_by_id(deal_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((conv, deal))
}

/// Closes the chat's deal as won (its stage becomes Completion) or lost, with an optional reason.
#[tracing::instrument(skip(deps, note))]
pub async fn close(
    deps: CloseDeps<'_>,
    viewer: Viewer,
    conversation_id: ConversationId,
    outcome: &str,
    note: Option<&str>,
) -> Result<DealView, AppError> {
    let CloseDeps {
        db,
        hub,
        router,
        provider,
    } = deps;
    let outcome = parse_outcome(outcome)?;
    let note = parse_note(note)?;
    let (conv, deal) = deal_in_reach(db, viewer, conversation_id).await?;
    if deal.closed_at.is_some() {
        return Err(already_closed(&deal));
    }
    // Checkouts close at the provider before anything here changes: a payment made meanwhile
    // stays pending and is recorded as paid when its event comes.
    let cancelable = payments::cancelable_for_close(db, provider, deal.id).await?;
    let by = display_name(db, viewer.id).await?;

    let mut w = changes::begin(db).await?;
    let closed = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE deals SET closed_at = ?, outcome = ?, close_note = ?, closed_by = ?, \
             reopen_stage = stage, stage = CASE WHEN ? THEN 'completion' ELSE stage END, tick = ? \
             WHERE id = ? AND closed_at IS NULL",
            [
                Utc::now().into(),
                outcome.as_str().into(),
                note.clone().into(),
                viewer.id.into(),
                (outcome == DealOutcome::Won).into(),
                w.tick.into(),
                deal.id.into(),
            ],
        ))
        .await?;
    if closed.rows_affected() != 1 {
        drop(w);
        let now = deal::Entity::find_by_id(deal.id)
            .one(db)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(already_closed(&now));
    }
    offers::withdraw_pending_in(&mut w, deal.id, viewer.id).await?;
    for pay in &cancelable {
        payments::cancel_in(&mut w, pay, viewer.id).await?;
    }
    let released = sessions::close_for_deal(&mut w, conv.id, viewer.id).await?;
    messages::append(
        &mut w,
        conv.id,
        vec![NewMessage::event(&SystemEvent::DealClosed {
            by,
            outcome,
            note,
        })],
    )
    .await?;
    jobs::enqueue(&w.txn, Job::SyncDeal { deal_id: deal.id }).await?;
    jobs::enqueue(&w.txn, Job::RenderTranscript { deal_id: deal.id }).await?;
    w.commit(hub).await?;
    tracing::info!(deal = %deal.id, %outcome, "deal closed");
    // The operator's place is free: the oldest chat waiting for them comes next.
    if let Some(operator) = released {
        routing::drain_for(db, hub, router, operator).await?;
    }
    deals::view(db, deal.id).await?.ok_or(AppError::NotFound)
}

/// An administrator reopens a closed deal: back to the stage it had, its chat open again (the
/// client's next message puts it in its queue). Offers and payments stay as the close left them.
#[tracing::instrument(skip(db, hub))]
pub async fn reopen(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<DealView, AppError> {
    let (conv, deal) = deal_in_reach(db, viewer, conversation_id).await?;
    if viewer.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    if deal.closed_at.is_none() {
        return Err(AppError::Conflict("This deal is open.".into()));
    }
    let by = display_name(db, viewer.id).await?;
    let stage = deal.reopen_stage.unwrap_or(deal.stage);
    let mut w = changes::begin(db).await?;
    let reopened = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE deals SET closed_at = NULL, outcome = NULL, close_note = NULL, \
             closed_by = NULL, reopen_stage = NULL, stage = ?, tick = ? \
             WHERE id = ? AND closed_at IS NOT NULL",
            [stage.as_str().into(), w.tick.into(), deal.id.into()],
        ))
        .await?;
    if reopened.rows_affected() != 1 {
        return Err(AppError::Conflict("This deal is open.".into()));
    }
    sessions::reopen_for_deal(&mut w, conv.id).await?;
    messages::append(
        &mut w,
        conv.id,
        vec![NewMessage::event(&SystemEvent::DealReopened { by, stage })],
    )
    .await?;
    jobs::enqueue(&w.txn, Job::SyncDeal { deal_id: deal.id }).await?;
    w.commit(hub).await?;
    tracing::info!(deal = %deal.id, "deal reopened");
    deals::view(db, deal.id).await?.ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_and_reasons_are_checked() {
        assert_eq!(parse_outcome("won"), Ok(DealOutcome::Won));
        assert_eq!(parse_outcome("lost"), Ok(DealOutcome::Lost));
        assert!(
            parse_outcome("maybe")
                .unwrap_err()
                .for_field("outcome")
                .is_some()
        );
        assert_eq!(parse_note(Some("  ")), Ok(None));
        assert_eq!(parse_note(None), Ok(None));
        assert_eq!(parse_note(Some(" Price ")), Ok(Some("Price".into())));
        assert!(parse_note(Some(&"x".repeat(MAX_NOTE_CHARS + 1))).is_err());
        assert!(parse_note(Some(&"é".repeat(MAX_NOTE_CHARS))).is_ok());
    }
}
