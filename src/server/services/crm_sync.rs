//! Keeping the CRM in step with our deals through a durable outbox.
//!
//! A change that must reach the CRM queues a job in the same transaction as the change, so
//! neither exists without the other. A worker delivers due jobs with exponential backoff and
//! survives restarts (jobs live in the database). Jobs name an entity, not a snapshot: the
//! worker sends the entity's state at delivery time, so repeated or late jobs converge on the
//! truth, and the CRM ids it gets back are recorded so a delivery never creates twice.

use crate::server::entities::{
    crm_ref, deal, file, file_offer, message, outbox_job, payment, user,
};
use crate::server::integrations::crm::{CrmContact, CrmDeal, CrmError, CrmPort};
use crate::server::services::deals::{amount_of, stage_of};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::sync::Arc;

pub const JOB_SYNC_DEAL: &str = "sync_deal";
/// A note on the CRM deal about an offer's decision; the job's entity is the offer.
pub const JOB_OFFER_NOTE: &str = "offer_note";
/// A note on the CRM deal about a payment's status; the job's entity is the status message.
pub const JOB_PAYMENT_NOTE: &str = "payment_note";
/// A claimed job is left alone by other workers for this long.
const CLAIM_SECS: i64 = 60;
const BATCH: u64 = 20;

/// Queues the deal for delivery unless a delivery is already waiting.
pub async fn enqueue_deal(txn: &impl ConnectionTrait, deal_id: i64) -> Result<(), DbErr> {
    enqueue(txn, JOB_SYNC_DEAL, deal_id).await
}

/// Queues a note about the offer's decision for the CRM deal.
pub async fn enqueue_offer_note(txn: &impl ConnectionTrait, offer_id: i64) -> Result<(), DbErr> {
    enqueue(txn, JOB_OFFER_NOTE, offer_id).await
}

/// Queues a note about a payment's new status (its status message) for the CRM deal.
pub async fn enqueue_payment_note(
    txn: &impl ConnectionTrait,
    message_id: i64,
) -> Result<(), DbErr> {
    enqueue(txn, JOB_PAYMENT_NOTE, message_id).await
}

async fn enqueue(txn: &impl ConnectionTrait, job: &str, entity_id: i64) -> Result<(), DbErr> {
    let waiting = outbox_job::Entity::find()
        .filter(outbox_job::Column::Job.eq(job))
        .filter(outbox_job::Column::EntityId.eq(entity_id))
        .filter(outbox_job::Column::DoneAt.is_null())
        .filter(outbox_job::Column::Attempts.eq(0))
        .filter(outbox_job::Column::LockedUntil.is_null())
        .one(txn)
        .await?;
    if waiting.is_some() {
        return Ok(());
    }
    let now = Utc::now();
    outbox_job::ActiveModel {
        job: Set(job.to_owned()),
        entity_id: Set(entity_id),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        done_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Wait before the next attempt: 2 s, 4 s, 8 s … capped at an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 12)).unwrap_or(12);
    Duration::seconds((1i64 << exp).min(3600))
}

/// Runs the worker until the process ends.
pub fn spawn_worker(db: DatabaseConnection, crm: Arc<dyn CrmPort>, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = deliver_due(&db, crm.as_ref(), Utc::now()).await {
                tracing::warn!(error = %e, "outbox pass failed");
            }
        }
    });
}

/// Delivers the jobs due at `now`; returns how many succeeded.
#[tracing::instrument(skip_all)]
pub async fn deliver_due(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let due = outbox_job::Entity::find()
        .filter(outbox_job::Column::DoneAt.is_null())
        .filter(outbox_job::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(outbox_job::Column::LockedUntil.is_null())
                .add(outbox_job::Column::LockedUntil.lt(now)),
        )
        .order_by_asc(outbox_job::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut delivered = 0;
    for job in due {
        if !claim(db, &job, now).await? {
            continue;
        }
        let result = match job.job.as_str() {
            JOB_SYNC_DEAL => sync_deal(db, crm, job.entity_id).await,
            JOB_OFFER_NOTE => offer_note(db, crm, job.entity_id).await,
            JOB_PAYMENT_NOTE => payment_note(db, crm, job.entity_id).await,
            other => Err(CrmError::Rejected(format!("unknown job `{other}`"))),
        };
        let mut row: outbox_job::ActiveModel = job.clone().into();
        row.locked_until = Set(None);
        match result {
            Ok(()) => {
                row.done_at = Set(Some(Utc::now()));
                row.last_error = Set(None);
                delivered += 1;
            }
            Err(e) => {
                let attempts = job.attempts + 1;
                tracing::warn!(job = job.id, attempts, error = %e, "CRM delivery failed");
                row.attempts = Set(attempts);
                row.next_attempt_at = Set(Utc::now() + backoff(attempts));
                row.last_error = Set(Some(e.to_string()));
            }
        }
        row.update(db).await?;
    }
    Ok(delivered)
}

/// Takes the job for this worker; false when another worker holds it.
async fn claim(
    db: &DatabaseConnection,
    job: &outbox_job::Model,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = outbox_job::Entity::update_many()
        .col_expr(
            outbox_job::Column::LockedUntil,
            sea_orm::sea_query::Expr::value(now + Duration::seconds(CLAIM_SECS)),
        )
        .filter(outbox_job::Column::Id.eq(job.id))
        .filter(
            Condition::any()
                .add(outbox_job::Column::LockedUntil.is_null())
                .add(outbox_job::Column::LockedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

async fn remote_id(
    db: &DatabaseConnection,
    provider: &str,
    entity: &str,
    entity_id: i64,
) -> Result<Option<String>, DbErr> {
    Ok(
        crm_ref::Entity::find_by_id((provider.to_owned(), entity.to_owned(), entity_id))
            .one(db)
            .await?
            .map(|r| r.remote_id),
    )
}

async fn remember(
    db: &DatabaseConnection,
    provider: &str,
    entity: &str,
    entity_id: i64,
    remote: &str,
) -> Result<(), DbErr> {
    crm_ref::ActiveModel {
        provider: Set(provider.to_owned()),
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id),
        remote_id: Set(remote.to_owned()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The CRM contact for a client: the one we recorded, else one found by email, else a new one.
async fn contact_for(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    client: &user::Model,
) -> Result<String, CrmError> {
    let provider = crm.provider();
    if let Some(id) = remote_id(db, provider, "user", client.id).await? {
        return Ok(id);
    }
    let id = match crm.find_contact_by_email(&client.email).await? {
        Some(id) => id,
        None => {
            crm.create_contact(&CrmContact {
                name: client.display_name.clone(),
                email: client.email.clone(),
                phone: None,
                company: None,
            })
            .await?
        }
    };
    remember(db, provider, "user", client.id, &id).await?;
    Ok(id)
}

/// Creates or updates the CRM deal to match ours.
pub async fn sync_deal(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    deal_id: i64,
) -> Result<(), CrmError> {
    let Some(deal) = deal::Entity::find_by_id(deal_id).one(db).await? else {
        return Ok(()); // Deleted since: nothing to send.
    };
    let client = user::Entity::find_by_id(deal.client_id)
        .one(db)
        .await?
        .ok_or_else(|| CrmError::Rejected(format!("deal {deal_id} has no client")))?;
    let owner_email = match deal.owner_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.email),
        None => None,
    };
    let contact_id = contact_for(db, crm, &client).await?;
    let record = CrmDeal {
        title: deal.title.clone(),
        contact_id,
        owner_email,
        stage: stage_of(&deal),
        amount: amount_of(&deal),
        created_at: deal.created_at,
        closed_at: deal.closed_at,
    };
    let provider = crm.provider();
    match remote_id(db, provider, "deal", deal.id).await? {
        Some(id) => crm.update_deal(&id, &record).await,
        None => {
            let id = crm.create_deal(&record).await?;
            remember(db, provider, "deal", deal.id, &id).await?;
            Ok(())
        }
    }
}

/// Writes the offer's decision as a note on the CRM deal, once: the note's CRM id is recorded,
/// so a repeated delivery finds it and stops.
pub async fn offer_note(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    offer_id: i64,
) -> Result<(), CrmError> {
    let provider = crm.provider();
    if remote_id(db, provider, JOB_OFFER_NOTE, offer_id)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let Some(offer) = file_offer::Entity::find_by_id(offer_id).one(db).await? else {
        return Ok(());
    };
    let deal_ref = deal_ref(db, crm, offer.deal_id).await?;
    let file = file::Entity::find_by_id(offer.file_id).one(db).await?;
    let decider = match offer.decided_by {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let note_id = crm
        .add_deal_note(
            &deal_ref,
            &offer_note_text(&offer, file.as_ref(), decider.as_ref()),
        )
        .await?;
    remember(db, provider, JOB_OFFER_NOTE, offer_id, &note_id).await?;
    Ok(())
}

/// Writes a payment's status change as a note on the CRM deal, once per status message.
pub async fn payment_note(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    message_id: i64,
) -> Result<(), CrmError> {
    let provider = crm.provider();
    if remote_id(db, provider, JOB_PAYMENT_NOTE, message_id)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let Some(line) = message::Entity::find_by_id(message_id).one(db).await? else {
        return Ok(());
    };
    let Some(payment_id) = line.payment_id else {
        return Ok(());
    };
    let Some(pay) = payment::Entity::find_by_id(payment_id).one(db).await? else {
        return Ok(());
    };
    let deal_ref = deal_ref(db, crm, pay.deal_id).await?;
    let mut text = format!(
        "{} Request \"{}\" via {}",
        line.body, pay.description, pay.provider
    );
    if let Some(r) = &pay.provider_ref {
        text.push_str(&format!(" ({r})"));
    }
    text.push_str(
        &line
            .created_at
            .format(" on %Y-%m-%d %H:%M UTC.")
            .to_string(),
    );
    let note_id = crm.add_deal_note(&deal_ref, &text).await?;
    remember(db, provider, JOB_PAYMENT_NOTE, message_id, &note_id).await?;
    Ok(())
}

/// The CRM's id of our deal, delivering the deal first if its own job is still waiting.
async fn deal_ref(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    deal_id: i64,
) -> Result<String, CrmError> {
    let provider = crm.provider();
    if let Some(id) = remote_id(db, provider, "deal", deal_id).await? {
        return Ok(id);
    }
    sync_deal(db, crm, deal_id).await?;
    remote_id(db, provider, "deal", deal_id)
        .await?
        .ok_or_else(|| CrmError::Rejected(format!("deal {deal_id} is gone")))
}

/// "Jane Client accepted the offer "Quotation v1" (quotation.pdf, 12,345 bytes, SHA-256 …)."
pub fn offer_note_text(
    offer: &file_offer::Model,
    file: Option<&file::Model>,
    decider: Option<&user::Model>,
) -> String {
    let who = decider.map_or("The client", |u| u.display_name.as_str());
    let when = offer
        .decided_at
        .map(|t| t.format(" on %Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let mut text = format!("{who} {} the offer \"{}\"{when}", offer.status, offer.title);
    if let Some(f) = file {
        text.push_str(&format!(
            " (file {}, {} bytes, SHA-256 {})",
            f.name, f.size, f.sha256
        ));
    }
    text.push('.');
    if let Some(reason) = offer.reason.as_deref().filter(|r| !r.is_empty()) {
        text.push_str(&format!(" Reason: {reason}"));
    }
    text
}

/// The CRM's copy of our deal, if it has been delivered.
pub async fn crm_copy(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    deal_id: i64,
) -> Result<Option<CrmDeal>, CrmError> {
    match remote_id(db, crm.provider(), "deal", deal_id).await? {
        Some(id) => crm.get_deal(&id).await,
        None => Ok(None),
    }
}

/// The notes on the CRM's copy of our deal (empty until the deal is delivered).
pub async fn crm_notes(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    deal_id: i64,
) -> Result<Vec<String>, CrmError> {
    match remote_id(db, crm.provider(), "deal", deal_id).await? {
        Some(id) => crm.deal_notes(&id).await,
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::seconds(2));
        assert_eq!(backoff(3), Duration::seconds(8));
        assert_eq!(backoff(40), Duration::seconds(3600));
    }
}
