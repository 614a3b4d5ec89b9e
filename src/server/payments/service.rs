//! Payment requests: a manager's `#p` message asks the deal's client for money, the client pays
//! through the configured provider, and only a provider event (a verified webhook, or the
//! test provider's own checkout page) settles it. Every status change is one conditional
//! update, written with its chat message and its CRM job in one transaction.

use crate::model::chat::MessageView;
use crate::model::command::PaymentAsk;
use crate::model::ids::{ConversationId, DealId, PaymentId, UserId};
use crate::model::money::Money;
use crate::model::payment::PaymentStatus;
use crate::model::{AppError, Role};
use crate::server::access::{self, Viewer};
use crate::server::deals::service as deals;
use crate::server::jobs::{self, Job};
use crate::server::messages::{self, NewMessage, Reader, kind};
use crate::server::payments::providers::{
    CheckoutRequest, Outcome, PaymentError, PaymentProvider, Provider, ProviderEvent,
};
use crate::server::platform::db::is_unique_violation;
use crate::server::platform::entities::{conversation, deal, message, payment, user};
use crate::server::realtime::Hub;
use crate::server::realtime::changes::{self, Write, stmt};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
};

/// The amount to ask for: as written, or the deal's; an error the manager can act on otherwise.
pub fn resolve_amount(ask: &PaymentAsk, deal_amount: Option<Money>) -> Result<Money, AppError> {
    match (ask.amount.as_deref(), ask.currency.as_deref(), deal_amount) {
        (Some(amount), Some(currency), _) => Money::parse(amount, currency),
        (Some(amount), None, Some(deal)) => Money::parse(amount, deal.currency.as_str()),
        (Some(_), None, None) => Err(AppError::invalid(
            "body",
            "Add the currency after the amount, such as #p 1500 EUR.",
        )),
        (None, _, Some(deal)) => Ok(deal),
        (None, _, None) => Err(AppError::invalid(
            "body",
            "This deal has no amount yet: write one, such as #p 1500 EUR, or set the deal's amount first.",
        )),
    }
}

/// Longest description kept with a payment (the provider shows it on its checkout page).
const MAX_DESCRIPTION_CHARS: usize = 200;

fn description(text: &str, deal_title: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let chosen = if line.is_empty() {
        format!("Payment for {deal_title}")
    } else {
        line.to_owned()
    };
    chosen.chars().take(MAX_DESCRIPTION_CHARS).collect()
}

/// The request's amount. Rows hold only codes `Money::parse` accepted; one that no longer
/// parses is an error (logged), never a made-up currency.
pub fn amount_of(p: &payment::Model) -> Result<Money, AppError> {
    Money::stored(p.amount_minor, &p.currency).ok_or_else(|| {
        tracing::error!(
            payment = %p.id,
            currency = p.currency,
            "a stored payment's amount cannot be read"
        );
        AppError::Internal
    })
}

/// Why a request can no longer be paid or canceled, in words for the person who tried.
fn already(status: PaymentStatus) -> AppError {
    AppError::Conflict(match status {
        PaymentStatus::Paid => "This payment was already made.".into(),
        PaymentStatus::Failed => {
            "This payment failed. Ask your manager for a new payment request.".into()
        }
        PaymentStatus::Canceled => "The manager canceled this payment request.".into(),
        PaymentStatus::Pending => "This payment request can no longer be paid.".into(),
    })
}

fn closed() -> AppError {
    AppError::Conflict("This deal is closed: it no longer takes payments.".into())
}

/// The message as both sides see it, with its payment.
async fn view_of(db: &impl ConnectionTrait, m: &message::Model) -> Result<MessageView, AppError> {
    messages::after(db, Reader::Client, m.conversation_id, m.seq - 1, 1)
        .await?
        .pop()
        .ok_or(AppError::Internal)
}

/// A manager's `#p` message: stores the payment request and its Pay card together, once per
/// client message id. `provider` is the provider's name the request is made under.
#[tracing::instrument(skip(db, hub, ask), fields(conversation_id = %conv.id))]
pub async fn request(
    db: &DatabaseConnection,
    hub: &Hub,
    provider: Provider,
    viewer: Viewer,
    conv: &conversation::Model,
    client_msg_id: String,
    ask: PaymentAsk,
) -> Result<MessageView, AppError> {
    if let Some(done) = messages::find_by_client_id(db, viewer.id, &client_msg_id).await? {
        return view_of(db, &done).await;
    }
    let deal_id = conv.deal_id.ok_or_else(|| {
        AppError::Conflict(
            "This chat has no deal to ask a payment for: create or link one first.".into(),
        )
    })?;
    let deal = deal::Entity::find_by_id(deal_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if deal.closed_at.is_some() {
        return Err(closed());
    }
    let amount = resolve_amount(&ask, deals::amount_of(&deal))?;
    match store_request(
        db,
        hub,
        provider,
        viewer,
        conv.id,
        &deal,
        amount,
        &ask,
        &client_msg_id,
    )
    .await
    {
        Ok(Some(stored)) => view_of(db, &stored).await,
        Ok(None) => Err(closed()),
        // A retry that raced its first copy: answer with the copy.
        Err(e) if is_unique_violation(&e, "ux_messages_sender_client_msg", "client_msg_id") => {
            let done = messages::find_by_client_id(db, viewer.id, &client_msg_id)
                .await?
                .ok_or(AppError::Internal)?;
            view_of(db, &done).await
        }
        Err(e) => Err(e.into()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn store_request(
    db: &DatabaseConnection,
    hub: &Hub,
    provider: Provider,
    viewer: Viewer,
    conversation_id: ConversationId,
    deal: &deal::Model,
    amount: Money,
    ask: &PaymentAsk,
    client_msg_id: &str,
) -> Result<Option<message::Model>, DbErr> {
    let mut w = changes::begin(db).await?;
    // Closed since it was read: a close holds the change clock too, so this read is final.
    if !deals::is_open_in(&w, deal.id).await? {
        return Ok(None);
    }
    let now = Utc::now();
    let row = payment::ActiveModel {
        deal_id: Set(deal.id),
        conversation_id: Set(conversation_id),
        amount_minor: Set(amount.minor),
        currency: Set(amount.currency.as_str().to_owned()),
        description: Set(description(&ask.text, &deal.title)),
        status: Set(PaymentStatus::Pending),
        provider: Set(provider),
        provider_ref: Set(None),
        checkout_url: Set(None),
        requested_by: Set(viewer.id),
        created_at: Set(now),
        settled_at: Set(None),
        ..Default::default()
    }
    .insert(&w.txn)
    .await?;
    let (_, mut stored) = messages::append(
        &mut w,
        conversation_id,
        vec![NewMessage {
            client_msg_id: Some(client_msg_id.to_owned()),
            payment_id: Some(row.id),
            ..NewMessage::by(Some(viewer.id), kind::PAYMENT, ask.text.clone())
        }],
    )
    .await?
    .ok_or_else(|| DbErr::RecordNotFound("conversation".into()))?;
    w.commit(hub).await?;
    stored
        .pop()
        .map(Some)
        .ok_or_else(|| DbErr::RecordNotFound("message".into()))
}

/// The deal's client asks to pay: opens (or reopens) the provider's checkout and gives its
/// address. Paying happens there; this changes no status.
#[tracing::instrument(skip(db, provider, public_base))]
pub async fn checkout(
    db: &DatabaseConnection,
    provider: &dyn PaymentProvider,
    // The public URL without a trailing slash (`Settings::public_base`).
    public_base: &str,
    viewer: Viewer,
    payment_id: PaymentId,
) -> Result<String, AppError> {
    let pay = payment::Entity::find_by_id(payment_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let (conv, _) = access::load(db, viewer, pay.conversation_id).await?;
    if viewer.role != Role::Client || conv.client_id != Some(viewer.id) {
        return Err(AppError::Conflict(
            "Only the deal's client can pay this request.".into(),
        ));
    }
    if pay.status != PaymentStatus::Pending {
        return Err(already(pay.status));
    }
    let deal = deal::Entity::find_by_id(pay.deal_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if deal.closed_at.is_some() {
        return Err(closed());
    }
    if pay.provider == provider.name()
        && let (Some(_), Some(url)) = (&pay.provider_ref, &pay.checkout_url)
    {
        return Ok(url.clone());
    }
    let email = user::Entity::find_by_id(viewer.id)
        .one(db)
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    let opened = provider
        .create_checkout(&CheckoutRequest {
            payment_id: pay.id,
            amount: amount_of(&pay)?,
            description: &pay.description,
            customer_email: &email,
            return_url: format!("{public_base}/chats/{}", conv.id),
        })
        .await
        .map_err(|e| unreachable_provider(&e))?;
    let backend = db.get_database_backend();
    let taken = db
        .execute_raw(stmt(
            backend,
            "UPDATE payments SET provider = ?, provider_ref = ?, checkout_url = ? \
             WHERE id = ? AND status = 'pending' AND (provider_ref IS NULL OR provider <> ?)",
            [
                provider.name().into(),
                opened.provider_ref.clone().into(),
                opened.url.clone().into(),
                pay.id.into(),
                provider.name().into(),
            ],
        ))
        .await?;
    if taken.rows_affected() == 1 {
        return Ok(opened.url);
    }
    // A second click opened its checkout first (or the request settled meanwhile).
    let now = payment::Entity::find_by_id(pay.id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    match (now.status, now.checkout_url) {
        (PaymentStatus::Pending, Some(url)) => Ok(url),
        (status, _) => Err(already(status)),
    }
}

fn unreachable_provider(e: &PaymentError) -> AppError {
    tracing::warn!(error = %e, "payment provider failed");
    match e {
        PaymentError::Rejected(_) => AppError::Conflict(
            "The payment provider refused this payment request; please tell your manager.".into(),
        ),
        _ => AppError::Unavailable(
            "The payment provider could not be reached. Try again in a moment.".into(),
        ),
    }
}

/// Moves a request to `to` if it may (`paid` from any other status, since money moved;
/// `failed` and `canceled` only from pending), with its status line and CRM note.
async fn settle(
    w: &mut Write,
    pay: &payment::Model,
    to: PaymentStatus,
    actor: Option<UserId>,
) -> Result<bool, DbErr> {
    let guard = if to == PaymentStatus::Paid {
        "status <> 'paid'"
    } else {
        "status = 'pending'"
    };
    let moved = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            &format!("UPDATE payments SET status = ?, settled_at = ? WHERE id = ? AND {guard}"),
            [to.as_str().into(), Utc::now().into(), pay.id.into()],
        ))
        .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    let (_, stored) = messages::append(
        w,
        pay.conversation_id,
        vec![NewMessage {
            payment_id: Some(pay.id),
            ..NewMessage::by(actor, kind::PAYMENT_STATUS, to.as_str())
        }],
    )
    .await?
    .ok_or_else(|| DbErr::RecordNotFound("conversation".into()))?;
    for m in stored {
        jobs::enqueue(&w.txn, Job::PaymentNote { message_id: m.id }).await?;
    }
    Ok(true)
}

/// What applying a provider event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Changed,
    Unchanged,
    /// The event was applied before: nothing was done again.
    Repeat,
}

/// Applies a verified provider event once: its id is recorded in the same transaction as the
/// change it makes, so a repeated delivery changes nothing.
#[tracing::instrument(skip(db, hub, event), fields(event = %event.id, event_type = %event.event_type))]
pub async fn apply_event(
    db: &DatabaseConnection,
    hub: &Hub,
    provider: Provider,
    event: &ProviderEvent,
) -> Result<Applied, AppError> {
    let pay = find_for_event(db, provider, event).await?;
    let mut w = changes::begin(db).await?;
    let fresh = w
        .txn
        .execute_raw(stmt(
            w.backend(),
            "INSERT INTO payment_events (payment_id, provider, event_id, event_type, created_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider, event_id) DO NOTHING",
            [
                pay.as_ref().map(|p| p.id).into(),
                provider.into(),
                event.id.clone().into(),
                event.event_type.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    if fresh.rows_affected() == 0 {
        return Ok(Applied::Repeat);
    }
    let Some(pay) = pay else {
        tracing::warn!("provider event for no payment of ours");
        w.commit(hub).await?;
        return Ok(Applied::Unchanged);
    };
    let changed = match event.outcome {
        Outcome::Paid => {
            if let Some((minor, currency)) = &event.charged
                && (*minor != pay.amount_minor || *currency != pay.currency)
            {
                tracing::error!(
                    payment = %pay.id,
                    charged_minor = minor,
                    charged_currency = %currency,
                    "provider charged a different amount than requested; left for a person to check"
                );
                false
            } else {
                settle(&mut w, &pay, PaymentStatus::Paid, None).await?
            }
        }
        Outcome::Failed => settle(&mut w, &pay, PaymentStatus::Failed, None).await?,
        Outcome::CheckoutExpired => {
            // The next Pay opens a new checkout.
            w.txn
                .execute_raw(stmt(
                    w.backend(),
                    "UPDATE payments SET provider_ref = NULL, checkout_url = NULL \
                     WHERE id = ? AND status = 'pending' AND provider = ? AND provider_ref = ?",
                    [
                        pay.id.into(),
                        provider.into(),
                        event.provider_ref.clone().into(),
                    ],
                ))
                .await?
                .rows_affected()
                == 1
        }
        Outcome::Nothing => false,
    };
    w.commit(hub).await?;
    Ok(if changed {
        Applied::Changed
    } else {
        Applied::Unchanged
    })
}

/// The payment an event is about: by its checkout, else by the id we gave the provider.
async fn find_for_event(
    db: &DatabaseConnection,
    provider: Provider,
    event: &ProviderEvent,
) -> Result<Option<payment::Model>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    // Only the checkout we created names the payment: an id the event carries in its metadata
    // could be any payment's.
    let Some(r) = &event.provider_ref else {
        return Ok(None);
    };
    payment::Entity::find()
        .filter(payment::Column::Provider.eq(provider))
        .filter(payment::Column::ProviderRef.eq(r.as_str()))
        .one(db)
        .await
}

/// The payment behind a test checkout page, for the deal's client only.
pub async fn for_test_checkout(
    db: &DatabaseConnection,
    viewer: Viewer,
    provider_ref: &str,
) -> Result<payment::Model, AppError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let pay = payment::Entity::find()
        .filter(payment::Column::Provider.eq(Provider::Test))
        .filter(payment::Column::ProviderRef.eq(provider_ref))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let (conv, _) = access::load(db, viewer, pay.conversation_id).await?;
    if conv.client_id != Some(viewer.id) {
        return Err(AppError::NotFound);
    }
    Ok(pay)
}

/// A manager of the deal cancels a request the client has not paid. An open checkout is
/// closed at the provider first, so it cannot be paid after the cancel.
#[tracing::instrument(skip(db, hub, provider))]
pub async fn cancel(
    db: &DatabaseConnection,
    hub: &Hub,
    provider: &dyn PaymentProvider,
    viewer: Viewer,
    payment_id: PaymentId,
) -> Result<(), AppError> {
    let pay = payment::Entity::find_by_id(payment_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let (_, can) = access::load(db, viewer, pay.conversation_id).await?;
    if !can.manage_deal {
        return Err(AppError::Forbidden);
    }
    if pay.status != PaymentStatus::Pending {
        return Err(already(pay.status));
    }
    if let Some(r) = pay
        .provider_ref
        .as_deref()
        .filter(|_| pay.provider == provider.name())
    {
        provider.expire_checkout(r).await.map_err(|e| match e {
            PaymentError::Rejected(_) => AppError::Conflict(
                "The client has already paid at checkout; the payment's result is on its way."
                    .into(),
            ),
            other => unreachable_provider(&other),
        })?;
    }
    let mut w = changes::begin(db).await?;
    if !settle(&mut w, &pay, PaymentStatus::Canceled, Some(viewer.id)).await? {
        drop(w);
        let now = payment::Entity::find_by_id(pay.id)
            .one(db)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(already(now.status));
    }
    w.commit(hub).await?;
    Ok(())
}

/// Before a deal closes: its unpaid requests, each with its open checkout closed at the
/// provider first (as `cancel` does), so none can be paid after the close. A request whose
/// checkout the provider says is already paid is left out: it stays pending, and its paid event,
/// on its way, is recorded when it comes (also after the close).
pub async fn cancelable_for_close(
    db: &DatabaseConnection,
    provider: &dyn PaymentProvider,
    deal_id: DealId,
) -> Result<Vec<payment::Model>, AppError> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let pending = payment::Entity::find()
        .filter(payment::Column::DealId.eq(deal_id))
        .filter(payment::Column::Status.eq(PaymentStatus::Pending))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?;
    let mut cancelable = Vec::with_capacity(pending.len());
    for pay in pending {
        if let Some(r) = pay
            .provider_ref
            .as_deref()
            .filter(|_| pay.provider == provider.name())
        {
            match provider.expire_checkout(r).await {
                Ok(()) => {}
                Err(PaymentError::Rejected(_)) => {
                    tracing::info!(payment = %pay.id, "paid at checkout while the deal closed; its event will record it");
                    continue;
                }
                Err(other) => return Err(unreachable_provider(&other)),
            }
        }
        cancelable.push(pay);
    }
    Ok(cancelable)
}

/// Cancels an unpaid request inside the write that closes its deal, with its status line and
/// CRM note as `cancel` writes them. False when it was no longer pending.
pub async fn cancel_in(w: &mut Write, pay: &payment::Model, by: UserId) -> Result<bool, DbErr> {
    settle(w, pay, PaymentStatus::Canceled, Some(by)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(raw: &str) -> PaymentAsk {
        PaymentAsk::parse(raw).expect("has a marker")
    }

    #[test]
    fn amounts_resolve_or_say_what_is_missing() {
        let eur = Money::parse("900", "EUR").ok();
        assert_eq!(resolve_amount(&ask("#p"), eur), Ok(eur.unwrap()));
        assert_eq!(
            resolve_amount(&ask("#p 1500"), eur).unwrap().to_string(),
            "1,500 EUR"
        );
        assert_eq!(
            resolve_amount(&ask("#p 10 USD"), eur).unwrap().to_string(),
            "10 USD"
        );
        for bad in ["#p", "#p 1500"] {
            assert!(resolve_amount(&ask(bad), None).is_err(), "{bad}");
        }
        for bad in [
            "#p 0 EUR",
            "#p -5 EUR",
            "#p 1.234 EUR",
            "#p 12abc EUR",
            "#p 10 EURO",
        ] {
            assert!(resolve_amount(&ask(bad), eur).is_err(), "{bad}");
        }
    }

    #[test]
    fn descriptions_default_to_the_deal() {
        assert_eq!(description("", "Website"), "Payment for Website");
        assert_eq!(description("Deposit\nmore", "Website"), "Deposit");
        assert_eq!(description(&"x".repeat(500), "W").chars().count(), 200);
    }
}
