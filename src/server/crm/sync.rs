//! Keeping the CRM in step with our deals: the handlers of the CRM's jobs.
//!
//! Features queue `SyncDeal`, `OfferNote` and `PaymentNote` jobs (`server::jobs`) in the same
//! transaction as their change; these handlers deliver them. A job names an entity, not a
//! snapshot: the handler sends the entity's state at delivery time, so repeated or late jobs
//! converge on the truth, and the CRM ids it gets back are recorded so a delivery never
//! creates twice.

use crate::model::chat::OfferView;
use crate::model::crm::SyncOutcome;
use crate::model::ids::{ConversationId, DealId, MessageId, OfferId};
use crate::model::message::MessageContent;
use crate::server::crm::connector;
use crate::server::crm::port::{
    CrmAttachment, CrmContact, CrmDeal, CrmError, CrmPort, NewAttachment,
};
use crate::server::crm::switch::Crms;
use crate::server::crm::sync_log::{self, About, Recorder};
use crate::server::deals::service::amount_of;
use crate::server::jobs::{Job, JobError, JobHandler};
use crate::server::messages;
use crate::server::platform::entities::{
    conversation, crm_deal_sync, crm_ref, crm_request, deal, file, file_offer, message,
    operator_session, payment, user,
};
use crate::server::storage::{FileStore, StoreKey};
use futures::StreamExt;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The CRM ids of our notes are kept under these names (with the offer's or message's id).
const REF_OFFER_NOTE: &str = "offer_note";
const REF_PAYMENT_NOTE: &str = "payment_note";

/// The CRM id of the transcript attached to a deal is kept under this name (with our deal's id).
const REF_TRANSCRIPT: &str = "transcript";

/// The largest transcript sent to a CRM.
const MAX_ATTACHMENT_BYTES: usize = 64 << 20;

/// Runs the CRM's jobs against the CRM in use.
pub struct CrmJobs {
    crms: Arc<Crms>,
    /// Where the files attached to CRM records are read from.
    store: Arc<dyn FileStore>,
    /// The largest session file attached to a CRM record, in bytes.
    max_attachment: usize,
}

impl CrmJobs {
    pub fn new(crms: Arc<Crms>, store: Arc<dyn FileStore>, max_attachment: usize) -> CrmJobs {
        CrmJobs {
            crms,
            store,
            max_attachment,
        }
    }
}

#[async_trait::async_trait]
impl JobHandler for CrmJobs {
    async fn run(&self, db: &DatabaseConnection, job: Job) -> Result<(), JobError> {
        let current = self.crms.current().await?;
        let recorder = Recorder::new(current.as_ref());
        let crm: &dyn CrmPort = &recorder;
        let files = connector::Files {
            store: self.store.as_ref(),
            max_bytes: self.max_attachment,
        };
        let done = match job {
            Job::SyncDeal { deal_id } => sync_deal(db, crm, deal_id).await,
            Job::OfferNote { offer_id } => offer_note(db, crm, offer_id).await,
            Job::PaymentNote { message_id } => payment_note(db, crm, message_id).await,
            Job::TranscriptToCrm { deal_id } => {
                transcript_to_crm(db, crm, self.store.as_ref(), deal_id).await
            }
            Job::CrmPerson { conversation_id } => {
                connector::record_person(db, crm, conversation_id).await
            }
            Job::CrmSession { session_id } => {
                connector::record_session(db, crm, files, session_id).await
            }
            Job::CrmManual { request_id } => {
                connector::record_requested(db, crm, files, request_id).await
            }
            other @ (Job::SendMail { .. }
            | Job::NotifyUnread { .. }
            | Job::IdleClose { .. }
            | Job::RenderTranscript { .. }
            | Job::WorkDrivePush { .. }) => {
                return Err(JobError::Permanent(format!("not a CRM job: {other:?}")));
            }
        };
        let failure = done.as_ref().err().map(|e| {
            let outcome = match e {
                CrmError::Waiting(_) => SyncOutcome::Waiting,
                _ => SyncOutcome::Failed,
            };
            (outcome, e.to_string())
        });
        let about = about(db, job).await?;
        sync_log::record(db, crm.provider(), job, about, &recorder.steps(), failure).await?;
        done.map_err(|e| match e {
            // The CRM refused the request as it is: sending it again cannot help.
            CrmError::Rejected(_) => JobError::Permanent(e.to_string()),
            CrmError::Waiting(_) => JobError::Wait(e.to_string()),
            CrmError::Unavailable(_) | CrmError::Database(_) => JobError::Retry(e.to_string()),
        })
    }
}

/// Our deal and chat a CRM job is about, for its lines in the sync log.
async fn about(db: &DatabaseConnection, job: Job) -> Result<About, DbErr> {
    let of_chat = |conversation_id: ConversationId| async move {
        let deal_id = conversation::Entity::find_by_id(conversation_id)
            .one(db)
            .await?
            .and_then(|c| c.deal_id);
        Ok::<_, DbErr>(About {
            deal_id,
            conversation_id: Some(conversation_id),
        })
    };
    let deal = |deal_id: Option<DealId>| About {
        deal_id,
        conversation_id: None,
    };
    Ok(match job {
        Job::SyncDeal { deal_id } | Job::TranscriptToCrm { deal_id } => deal(Some(deal_id)),
        Job::OfferNote { offer_id } => deal(
            file_offer::Entity::find_by_id(offer_id)
                .one(db)
                .await?
                .map(|o| o.deal_id),
        ),
        Job::PaymentNote { message_id } => {
            match message::Entity::find_by_id(message_id).one(db).await? {
                Some(line) => of_chat(line.conversation_id).await?,
                None => About::default(),
            }
        }
        Job::CrmPerson { conversation_id } => of_chat(conversation_id).await?,
        Job::CrmManual { request_id } => {
            match crm_request::Entity::find_by_id(request_id).one(db).await? {
                Some(r) => of_chat(r.conversation_id).await?,
                None => About::default(),
            }
        }
        Job::CrmSession { session_id } => {
            match operator_session::Entity::find_by_id(session_id)
                .one(db)
                .await?
            {
                Some(s) => of_chat(s.conversation_id).await?,
                None => About::default(),
            }
        }
        _ => About::default(),
    })
}

pub(super) async fn remote_id(
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

pub(super) async fn remember(
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

/// Notes `remote` as the CRM id of (`entity`, `entity_id`) in place of the one noted before.
pub(super) async fn replace_ref(
    db: &DatabaseConnection,
    provider: &str,
    entity: &str,
    entity_id: i64,
    remote: &str,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::OnConflict;
    crm_ref::Entity::insert(crm_ref::ActiveModel {
        provider: Set(provider.to_owned()),
        entity: Set(entity.to_owned()),
        entity_id: Set(entity_id),
        remote_id: Set(remote.to_owned()),
    })
    .on_conflict(
        OnConflict::columns([
            crm_ref::Column::Provider,
            crm_ref::Column::Entity,
            crm_ref::Column::EntityId,
        ])
        .update_column(crm_ref::Column::RemoteId)
        .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// The CRM contact for a client: the one we recorded, else one found by their verified email,
/// else a new one.
async fn contact_for(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    client: &user::Model,
) -> Result<String, CrmError> {
    let provider = crm.provider();
    if let Some(id) = remote_id(db, provider, "user", client.id.0).await? {
        return Ok(id);
    }
    let id = match crm.find_contact_by_email(&client.email).await? {
        // An address nobody proved is theirs must not attach them to someone else's CRM
        // contact: the delivery waits, and verifying the address queues it again.
        Some(_) if client.email_verified_at.is_none() => {
            return Err(CrmError::Unavailable(format!(
                "waiting for the client to verify {}: a CRM contact already has that address",
                client.email
            )));
        }
        Some(id) => id,
        None => {
            crm.create_contact(&CrmContact {
                name: client.display_name.clone(),
                email: client.email.clone(),
                phone: client.phone.clone(),
                company: client.company.clone(),
            })
            .await?
        }
    };
    remember(db, provider, "user", client.id.0, &id).await?;
    Ok(id)
}

/// Attaches the deal's current transcript to the CRM deal and removes the one attached before.
/// Once per transcript: the attachment is found again by name and content when a delivery is
/// repeated after a crash, and the reference we keep names the current one.
pub async fn transcript_to_crm(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    store: &dyn FileStore,
    deal_id: DealId,
) -> Result<(), CrmError> {
    let Some(deal) = deal::Entity::find_by_id(deal_id).one(db).await? else {
        return Ok(());
    };
    let Some(file_id) = deal.transcript_file_id else {
        return Ok(());
    };
    let Some(file) = file::Entity::find_by_id(file_id).one(db).await? else {
        return Ok(());
    };
    let deal_ref = deal_ref(db, crm, deal_id).await?;
    let Some(bytes) = read_file(store, &file, MAX_ATTACHMENT_BYTES).await? else {
        return Err(CrmError::Rejected(format!(
            "the transcript is larger than {} MiB",
            MAX_ATTACHMENT_BYTES >> 20
        )));
    };
    let attached = crm
        .attach_to_deal(
            &deal_ref,
            &NewAttachment {
                file_name: &file.name,
                content_type: &file.content_type,
                sha256: &file.sha256,
                bytes: &bytes,
            },
        )
        .await?;
    let provider = crm.provider();
    let before = remote_id(db, provider, REF_TRANSCRIPT, deal_id.0).await?;
    if before.as_deref() == Some(attached.as_str()) {
        return Ok(());
    }
    if let Some(old) = &before {
        crm.remove_deal_attachment(&deal_ref, old).await?;
    }
    replace_ref(db, provider, REF_TRANSCRIPT, deal_id.0, &attached).await?;
    Ok(())
}

/// A file's bytes from the store, to attach to a CRM record; None when it is larger than
/// `max` bytes. A file whose bytes no longer match its digest (replaced while read) is worth
/// another attempt: the replacement is read then.
pub(super) async fn read_file(
    store: &dyn FileStore,
    file: &file::Model,
    max: usize,
) -> Result<Option<Vec<u8>>, CrmError> {
    if usize::try_from(file.size).map_or(true, |size| size > max) {
        return Ok(None);
    }
    let key = StoreKey::parse(&file.storage_key).map_err(|e| CrmError::Rejected(e.to_string()))?;
    let object = store
        .get(&key)
        .await
        .map_err(|e| CrmError::Unavailable(format!("file store: {e}")))?;
    let mut bytes = Vec::with_capacity(usize::try_from(object.size).unwrap_or(0).min(max));
    let mut body = object.body;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| CrmError::Unavailable(format!("file store: {e}")))?;
        if bytes.len() + chunk.len() > max {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    if hex::encode(Sha256::digest(&bytes)) != file.sha256 {
        return Err(CrmError::Unavailable(format!(
            "{} changed while it was read",
            file.name
        )));
    }
    Ok(Some(bytes))
}

/// The attachments of the CRM's copy of our deal (empty until the deal is delivered).
pub async fn crm_attachments(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    deal_id: DealId,
) -> Result<Vec<CrmAttachment>, CrmError> {
    match delivered(db, crm, deal_id).await? {
        Some(id) => crm.deal_attachments(&id).await,
        None => Ok(Vec::new()),
    }
}

/// Creates or updates the CRM deal to match ours.
pub async fn sync_deal(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    deal_id: DealId,
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
    let contact_id = match connector::contact_for_deal(db, crm, deal_id).await? {
        Some(id) => id,
        None => contact_for(db, crm, &client).await?,
    };
    let record = CrmDeal {
        title: deal.title.clone(),
        contact_id,
        owner_email,
        stage: deal.stage,
        amount: amount_of(&deal),
        created_at: deal.created_at,
        closed_at: deal.closed_at,
        outcome: deal.outcome,
    };
    let provider = crm.provider();
    match remote_id(db, provider, "deal", deal.id.0).await? {
        Some(id) => crm.update_deal(&id, &record).await?,
        None => {
            let id = crm.create_deal(&record).await?;
            remember(db, provider, "deal", deal.id.0, &id).await?;
        }
    }
    // What the CRM now holds, so the poller tells our own write from someone's change there.
    // The owner is the CRM's choice (ours, or its default when it has no such user): the next
    // poll reads it.
    sent(
        db,
        provider,
        deal.id,
        Sent {
            stage: Some(crm.stage_value(deal.stage, deal.outcome)),
            amount_minor: record.amount.map(|m| m.minor),
            owner_email: None,
        },
    )
    .await?;
    Ok(())
}

/// What we last sent for a deal, in the CRM's terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    pub stage: Option<String>,
    pub amount_minor: Option<i64>,
    /// None: not known yet (the next poll takes the CRM's as it is).
    pub owner_email: Option<String>,
}

/// Records what the CRM holds for our deal now.
pub async fn sent(
    db: &impl sea_orm::ConnectionTrait,
    provider: &str,
    deal_id: DealId,
    values: Sent,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::OnConflict;
    crm_deal_sync::Entity::insert(crm_deal_sync::ActiveModel {
        provider: Set(provider.to_owned()),
        deal_id: Set(deal_id),
        sent_stage: Set(values.stage),
        sent_amount_minor: Set(values.amount_minor),
        sent_owner_email: Set(values.owner_email),
        updated_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            crm_deal_sync::Column::Provider,
            crm_deal_sync::Column::DealId,
        ])
        .update_columns([
            crm_deal_sync::Column::SentStage,
            crm_deal_sync::Column::SentAmountMinor,
            crm_deal_sync::Column::SentOwnerEmail,
            crm_deal_sync::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// What we last sent for a deal.
pub async fn last_sent(
    db: &impl sea_orm::ConnectionTrait,
    provider: &str,
    deal_id: DealId,
) -> Result<Option<Sent>, DbErr> {
    Ok(
        crm_deal_sync::Entity::find_by_id((provider.to_owned(), deal_id))
            .one(db)
            .await?
            .map(|r| Sent {
                stage: r.sent_stage,
                amount_minor: r.sent_amount_minor,
                owner_email: r.sent_owner_email,
            }),
    )
}

/// What a note on a CRM deal says, and which of our deals it belongs to.
struct Note {
    deal_id: DealId,
    text: String,
}

/// Writes a note on the CRM deal once per (`kind`, `id`): the note's CRM id is recorded, so a
/// repeated delivery finds it and stops. `compose` reads what the note says (None when what it
/// is about is gone).
async fn note_once<Fut>(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    kind: &str,
    id: i64,
    compose: impl FnOnce() -> Fut,
) -> Result<(), CrmError>
where
    Fut: std::future::Future<Output = Result<Option<Note>, CrmError>>,
{
    let provider = crm.provider();
    if remote_id(db, provider, kind, id).await?.is_some() {
        return Ok(());
    }
    let Some(note) = compose().await? else {
        return Ok(());
    };
    let deal_ref = deal_ref(db, crm, note.deal_id).await?;
    let note_id = crm.add_deal_note(&deal_ref, &note.text).await?;
    remember(db, provider, kind, id, &note_id).await?;
    Ok(())
}

/// Writes the offer's decision as a note on the CRM deal, once.
pub async fn offer_note(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    offer_id: OfferId,
) -> Result<(), CrmError> {
    note_once(db, crm, REF_OFFER_NOTE, offer_id.0, || async move {
        let Some(offer) = file_offer::Entity::find_by_id(offer_id).one(db).await? else {
            return Ok(None);
        };
        let file = file::Entity::find_by_id(offer.file_id).one(db).await?;
        let decider = match offer.decided_by {
            Some(id) => user::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        Ok(Some(Note {
            deal_id: offer.deal_id,
            text: offer_note_text(&offer, file.as_ref(), decider.as_ref()),
        }))
    })
    .await
}

/// Writes a payment's status change as a note on the CRM deal, once per status message.
pub async fn payment_note(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    message_id: MessageId,
) -> Result<(), CrmError> {
    note_once(db, crm, REF_PAYMENT_NOTE, message_id.0, || async move {
        let Some(line) = messages::by_ids(db, &[message_id]).await?.pop() else {
            return Ok(None);
        };
        let Some(payment_id) = line.content.payment().map(|p| p.id) else {
            return Err(CrmError::Rejected(format!(
                "message {message_id} is not a payment's status"
            )));
        };
        let Some(pay) = payment::Entity::find_by_id(payment_id).one(db).await? else {
            return Ok(None);
        };
        // The chat's own words for the event, then what only the CRM's reader needs.
        let mut text = format!(
            "{} Request \"{}\" via {}",
            line.content.describe(&line.sender_name),
            pay.description,
            pay.provider.as_str()
        );
        if let Some(r) = &pay.provider_ref {
            text.push_str(&format!(" ({r})"));
        }
        if let Some(at) = chrono::DateTime::from_timestamp_millis(line.created_at_ms) {
            text.push_str(&at.format(" on %Y-%m-%d %H:%M UTC.").to_string());
        }
        Ok(Some(Note {
            deal_id: pay.deal_id,
            text,
        }))
    })
    .await
}

/// The CRM's id of our deal, delivering the deal first if its own job is still waiting.
pub(super) async fn deal_ref(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    deal_id: DealId,
) -> Result<String, CrmError> {
    let provider = crm.provider();
    if let Some(id) = remote_id(db, provider, "deal", deal_id.0).await? {
        return Ok(id);
    }
    sync_deal(db, crm, deal_id).await?;
    remote_id(db, provider, "deal", deal_id.0)
        .await?
        .ok_or_else(|| CrmError::Rejected(format!("deal {deal_id} is gone")))
}

/// The chat's own line for the decision ("Jane Client accepted “Quotation v1”."), then the file
/// and the time, which the CRM's reader has no other way to see.
pub fn offer_note_text(
    offer: &file_offer::Model,
    file: Option<&file::Model>,
    decider: Option<&user::Model>,
) -> String {
    let decision = MessageContent::OfferDecision {
        offer: OfferView {
            id: offer.id,
            title: offer.title.clone(),
            status: offer.status,
            reason: offer.reason.clone(),
        },
        file: None,
        reason: offer.reason.clone(),
    };
    let mut text = decision.describe(decider.map_or("The client", |u| u.display_name.as_str()));
    if let Some(f) = file {
        text.push_str(&format!(
            " File {}, {} bytes, SHA-256 {}.",
            f.name, f.size, f.sha256
        ));
    }
    if let Some(at) = offer.decided_at {
        text.push_str(&at.format(" Decided on %Y-%m-%d %H:%M UTC.").to_string());
    }
    text
}

/// The CRM's id of our deal, once it has been delivered.
pub(super) async fn delivered(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    deal_id: DealId,
) -> Result<Option<String>, DbErr> {
    remote_id(db, crm.provider(), "deal", deal_id.0).await
}

/// The CRM's copy of our deal, if it has been delivered.
pub async fn crm_copy(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    deal_id: DealId,
) -> Result<Option<CrmDeal>, CrmError> {
    match delivered(db, crm, deal_id).await? {
        Some(id) => crm.get_deal(&id).await,
        None => Ok(None),
    }
}

/// The notes on the CRM's copy of our deal (empty until the deal is delivered).
pub async fn crm_notes(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    deal_id: DealId,
) -> Result<Vec<String>, CrmError> {
    match delivered(db, crm, deal_id).await? {
        Some(id) => crm.deal_notes(&id).await,
        None => Ok(Vec::new()),
    }
}
