//! Offers: a file a manager shares with `#q` in its text, which the client accepts or rejects.
//! A decision is taken once: the status moves away from `pending` by a conditional update, so
//! a second click or a racing decision finds it taken and is refused.

use crate::model::AppError;
use crate::model::Role;
use crate::model::chat::{OfferStatus, OfferView};
use crate::model::ids::{DealId, OfferId, UserId};
use crate::server::access::{self, Access, Viewer};
use crate::server::deals::service as deals;
use crate::server::jobs::{self, Job};
use crate::server::messages::{self, NewMessage, kind};
use crate::server::platform::entities::{conversation, deal, file_offer};
use crate::server::realtime::Hub;
use crate::server::realtime::changes::{self, stmt};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait};

/// The client's answer to an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Reject,
}

impl Decision {
    pub fn parse(raw: &str) -> Result<Decision, AppError> {
        match raw.trim() {
            "accept" => Ok(Decision::Accept),
            "reject" => Ok(Decision::Reject),
            _ => Err(AppError::invalid("decision", "Choose accept or reject.")),
        }
    }

    fn status(self) -> OfferStatus {
        match self {
            Decision::Accept => OfferStatus::Accepted,
            Decision::Reject => OfferStatus::Rejected,
        }
    }
}

/// The longest reason a client may give for a rejection.
pub const MAX_REASON_CHARS: usize = 1000;

fn parse_reason(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::invalid(
            "reason",
            format!("Keep the reason within {MAX_REASON_CHARS} characters."),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Why an offer can no longer be decided, in words for the person who tried.
fn already(status: OfferStatus) -> AppError {
    AppError::Conflict(match status {
        OfferStatus::Accepted => "This offer was already accepted.".into(),
        OfferStatus::Rejected => "This offer was already rejected.".into(),
        OfferStatus::Withdrawn => "The manager withdrew this offer.".into(),
        OfferStatus::Pending => "This offer can no longer be decided.".into(),
    })
}

async fn offer_in_reach(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    offer_id: OfferId,
) -> Result<(file_offer::Model, Access, conversation::Model), AppError> {
    let offer = file_offer::Entity::find_by_id(offer_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let (conv, can) = access::load(db, viewer, offer.conversation_id).await?;
    Ok((offer, can, conv))
}

fn view(offer: &file_offer::Model, status: OfferStatus, reason: Option<String>) -> OfferView {
    OfferView {
        id: offer.id,
        title: offer.title.clone(),
        status,
        reason,
    }
}

/// Moves a pending offer to `to`, writes the message about it and, for a decision, queues the
/// CRM note; all in one transaction. Refused when the offer is no longer pending.
async fn settle(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    offer: &file_offer::Model,
    to: OfferStatus,
    reason: Option<String>,
) -> Result<OfferView, AppError> {
    let mut w = changes::begin(db).await?;
    if !settle_in(&mut w, viewer.id, offer, to, reason.clone()).await? {
        drop(w);
        let now = file_offer::Entity::find_by_id(offer.id)
            .one(db)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(already(now.status));
    }
    w.commit(hub).await?;
    Ok(view(offer, to, reason))
}

/// Inside a write: moves the offer from pending to `to` (by `by`), writes the message about it
/// and, for a decision, queues the CRM note. False when it was no longer pending.
async fn settle_in(
    w: &mut changes::Write,
    by: UserId,
    offer: &file_offer::Model,
    to: OfferStatus,
    reason: Option<String>,
) -> Result<bool, DbErr> {
    let moved = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE file_offers SET status = ?, reason = ?, decided_by = ?, decided_at = ? \
             WHERE id = ? AND status = 'pending'",
            [
                to.as_str().into(),
                reason.clone().into(),
                by.into(),
                Utc::now().into(),
                offer.id.into(),
            ],
        ))
        .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    let message_kind = if to == OfferStatus::Withdrawn {
        kind::OFFER_WITHDRAWN
    } else {
        jobs::enqueue(&w.txn, Job::OfferNote { offer_id: offer.id }).await?;
        kind::OFFER_DECISION
    };
    messages::append(
        w,
        offer.conversation_id,
        vec![NewMessage {
            file_id: Some(offer.file_id),
            offer_id: Some(offer.id),
            ..NewMessage::by(Some(by), message_kind, reason.unwrap_or_default())
        }],
    )
    .await?
    .ok_or_else(|| DbErr::RecordNotFound("conversation".into()))?;
    Ok(true)
}

/// The deal's client accepts or rejects an offer (a reason is kept only with a rejection).
#[tracing::instrument(skip(db, hub, reason))]
pub async fn decide(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    offer_id: OfferId,
    decision: &str,
    reason: Option<&str>,
) -> Result<OfferView, AppError> {
    let decision = Decision::parse(decision)?;
    let reason = match decision {
        Decision::Reject => parse_reason(reason)?,
        Decision::Accept => None,
    };
    let (offer, _, conv) = offer_in_reach(db, viewer, offer_id).await?;
    if viewer.role != Role::Client || conv.client_id != Some(viewer.id) {
        return Err(AppError::Forbidden);
    }
    if let Some(deal) = deal::Entity::find_by_id(offer.deal_id).one(db).await? {
        deals::still_open(&deal)?;
    }
    if offer.status != OfferStatus::Pending {
        return Err(already(offer.status));
    }
    settle(db, hub, viewer, &offer, decision.status(), reason).await
}

/// The deal is closing (inside that write): every offer still pending is withdrawn by `by`,
/// each with its own line in the chat. How many were.
pub async fn withdraw_pending_in(
    w: &mut changes::Write,
    deal_id: DealId,
    by: UserId,
) -> Result<usize, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let pending = file_offer::Entity::find()
        .filter(file_offer::Column::DealId.eq(deal_id))
        .filter(file_offer::Column::Status.eq(OfferStatus::Pending))
        .order_by_asc(file_offer::Column::Id)
        .all(&w.txn)
        .await?;
    let mut withdrawn = 0;
    for offer in pending {
        if settle_in(w, by, &offer, OfferStatus::Withdrawn, None).await? {
            withdrawn += 1;
        }
    }
    Ok(withdrawn)
}

/// A manager of the deal withdraws an offer the client has not decided yet.
#[tracing::instrument(skip(db, hub))]
pub async fn withdraw(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    offer_id: OfferId,
) -> Result<OfferView, AppError> {
    let (offer, can, _) = offer_in_reach(db, viewer, offer_id).await?;
    if !can.manage_deal {
        return Err(AppError::Forbidden);
    }
    if offer.status != OfferStatus::Pending {
        return Err(already(offer.status));
    }
    settle(db, hub, viewer, &offer, OfferStatus::Withdrawn, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_and_reasons_are_checked() {
        assert_eq!(Decision::parse("accept"), Ok(Decision::Accept));
        assert!(Decision::parse("maybe").is_err());
        assert_eq!(parse_reason(Some("  ")), Ok(None));
        assert!(parse_reason(Some(&"x".repeat(MAX_REASON_CHARS + 1))).is_err());
    }
}
