//! The sync log: what each CRM delivery did there, and which failed or wait, shown on the CRM
//! page with *Retry*.
//!
//! A delivery runs against a `Recorder` wrapped around the CRM in use: every write it makes
//! (and the contact it finds) is noted as it succeeds, and written as lines when the delivery
//! ends, with one line for the failure if it failed. A delivery failing again updates its failure
//! line instead of adding one per attempt.

use crate::model::AppError;
use crate::model::crm::{SyncEntryView, SyncOutcome};
use crate::model::crm_rules::{CrmFieldView, CrmModule};
use crate::model::ids::{ConversationId, DealId};
use crate::model::{DealOutcome, DealStage};
use crate::server::crm::port::{
    CrmAttachment, CrmContact, CrmDeal, CrmError, CrmPort, CrmRecord, CrmUser, Lookup,
    NewAttachment, RecordWrite, RemoteDeal,
};
use crate::server::jobs::{self, Job};
use crate::server::platform::entities::{crm_sync_entry, deal, outbox_job};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use std::sync::Mutex;

/// Something the CRM did for a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// At most 32 characters (the column's width): details go to `detail`.
    pub action: String,
    pub detail: Option<String>,
    pub module: &'static str,
    pub remote_id: String,
}

/// The CRM in use, noting what it is asked to do.
pub struct Recorder<'a> {
    inner: &'a dyn CrmPort,
    steps: Mutex<Vec<Step>>,
}

impl<'a> Recorder<'a> {
    pub fn new(inner: &'a dyn CrmPort) -> Recorder<'a> {
        Recorder {
            inner,
            steps: Mutex::new(Vec::new()),
        }
    }

    fn note(&self, action: impl Into<String>, module: &'static str, remote_id: &str) {
        self.note_with(action, None, module, remote_id);
    }

    fn note_with(
        &self,
        action: impl Into<String>,
        detail: Option<String>,
        module: &'static str,
        remote_id: &str,
    ) {
        if let Ok(mut steps) = self.steps.lock() {
            steps.push(Step {
                action: action.into(),
                detail,
                module,
                remote_id: remote_id.to_owned(),
            });
        }
    }

    pub fn steps(&self) -> Vec<Step> {
        self.steps.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl CrmPort for Recorder<'_> {
    fn provider(&self) -> &'static str {
        self.inner.provider()
    }

    fn stage_value(&self, stage: DealStage, outcome: Option<DealOutcome>) -> String {
        self.inner.stage_value(stage, outcome)
    }

    fn stage_of(&self, value: &str) -> Option<DealStage> {
        self.inner.stage_of(value)
    }

    async fn stage_choices(&self) -> Result<Option<Vec<String>>, CrmError> {
        self.inner.stage_choices().await
    }

    async fn deals_changed_since(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<RemoteDeal>, CrmError> {
        self.inner.deals_changed_since(since, limit).await
    }

    async fn find_contact_by_email(&self, email: &str) -> Result<Option<String>, CrmError> {
        let found = self.inner.find_contact_by_email(email).await?;
        if let Some(id) = &found {
            self.note("Found the Contact", "Contacts", id);
        }
        Ok(found)
    }

    async fn create_contact(&self, contact: &CrmContact) -> Result<String, CrmError> {
        let id = self.inner.create_contact(contact).await?;
        self.note("Created the Contact", "Contacts", &id);
        Ok(id)
    }

    async fn create_deal(&self, deal: &CrmDeal) -> Result<String, CrmError> {
        let id = self.inner.create_deal(deal).await?;
        self.note("Created the deal", "Deals", &id);
        Ok(id)
    }

    async fn update_deal(&self, id: &str, deal: &CrmDeal) -> Result<(), CrmError> {
        self.inner.update_deal(id, deal).await?;
        self.note("Updated the deal", "Deals", id);
        Ok(())
    }

    async fn get_deal(&self, id: &str) -> Result<Option<CrmDeal>, CrmError> {
        self.inner.get_deal(id).await
    }

    async fn add_deal_note(&self, deal_id: &str, body: &str) -> Result<String, CrmError> {
        let id = self.inner.add_deal_note(deal_id, body).await?;
        self.note("Added a note to the deal", "Notes", &id);
        Ok(id)
    }

    async fn deal_notes(&self, deal_id: &str) -> Result<Vec<String>, CrmError> {
        self.inner.deal_notes(deal_id).await
    }

    async fn attach_to_deal(
        &self,
        deal_id: &str,
        file: &NewAttachment<'_>,
    ) -> Result<String, CrmError> {
        let id = self.inner.attach_to_deal(deal_id, file).await?;
        self.note("Attached the transcript to the deal", "Attachments", &id);
        Ok(id)
    }

    async fn remove_deal_attachment(
        &self,
        deal_id: &str,
        attachment_id: &str,
    ) -> Result<(), CrmError> {
        self.inner
            .remove_deal_attachment(deal_id, attachment_id)
            .await?;
        self.note(
            "Removed the earlier transcript",
            "Attachments",
            attachment_id,
        );
        Ok(())
    }

    async fn deal_attachments(&self, deal_id: &str) -> Result<Vec<CrmAttachment>, CrmError> {
        self.inner.deal_attachments(deal_id).await
    }

    async fn module_fields(&self, module: CrmModule) -> Result<Vec<CrmFieldView>, CrmError> {
        self.inner.module_fields(module).await
    }

    async fn find_record(
        &self,
        module: CrmModule,
        lookup: Lookup<'_>,
    ) -> Result<Option<CrmRecord>, CrmError> {
        let found = self.inner.find_record(module, lookup).await?;
        if let Some(r) = &found {
            self.note(
                format!("Found the {}", module.singular()),
                module.as_str(),
                &r.id,
            );
        }
        Ok(found)
    }

    async fn get_record(&self, module: CrmModule, id: &str) -> Result<Option<CrmRecord>, CrmError> {
        self.inner.get_record(module, id).await
    }

    async fn create_record(
        &self,
        module: CrmModule,
        record: &RecordWrite,
    ) -> Result<String, CrmError> {
        let id = self.inner.create_record(module, record).await?;
        self.note(
            format!("Created the {}", module.singular()),
            module.as_str(),
            &id,
        );
        Ok(id)
    }

    async fn update_record(
        &self,
        module: CrmModule,
        id: &str,
        record: &RecordWrite,
    ) -> Result<(), CrmError> {
        self.inner.update_record(module, id, record).await?;
        let names: Vec<&str> = record.fields.iter().map(|(f, _)| f.as_str()).collect();
        self.note_with(
            format!("Updated the {}", module.singular()),
            Some(names.join(", ")),
            module.as_str(),
            id,
        );
        Ok(())
    }

    async fn attach_to_record(
        &self,
        module: CrmModule,
        id: &str,
        file: &NewAttachment<'_>,
    ) -> Result<String, CrmError> {
        let attached = self.inner.attach_to_record(module, id, file).await?;
        self.note_with(
            format!("Attached a file to the {}", module.singular()),
            Some(file.file_name.to_owned()),
            "Attachments",
            &attached,
        );
        Ok(attached)
    }

    async fn owner_for(&self, agent_email: Option<&str>) -> Result<Option<CrmUser>, CrmError> {
        self.inner.owner_for(agent_email).await
    }

    async fn record_url(&self, module: CrmModule, id: &str) -> Result<Option<String>, CrmError> {
        self.inner.record_url(module, id).await
    }
}

/// What a delivery is about: our deal and chat, where known (the log is shown by either).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct About {
    pub deal_id: Option<DealId>,
    pub conversation_id: Option<ConversationId>,
}

/// What a delivery of `job` is, in words, for its failure line.
fn delivering(job: Job) -> &'static str {
    match job {
        Job::SyncDeal { .. } => "Delivering the deal",
        Job::OfferNote { .. } => "Noting an offer's decision",
        Job::PaymentNote { .. } => "Noting a payment",
        Job::TranscriptToCrm { .. } => "Attaching the transcript",
        Job::CrmPerson { .. } => "Recording the client",
        Job::CrmSession { .. } => "Recording the session",
        Job::CrmManual { .. } => "Making the record asked for in the chat",
        Job::WorkDrivePush { .. } => "Storing the file in WorkDrive",
        _ => "Delivering",
    }
}

/// Writes the lines of one delivery of `job`: its steps, then its failure if it failed (the
/// failure line of an earlier attempt is updated instead of adding another).
pub async fn record(
    db: &DatabaseConnection,
    provider: &str,
    job: Job,
    about: About,
    steps: &[Step],
    failure: Option<(SyncOutcome, String)>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let kind = job.kind().name();
    // A new line of this delivery; its action and outcome are set by the caller.
    let line = || crm_sync_entry::ActiveModel {
        provider: Set(provider.to_owned()),
        at: Set(now),
        job: Set(kind.to_owned()),
        target: Set(job.target()),
        deal_id: Set(about.deal_id),
        conversation_id: Set(about.conversation_id),
        ..Default::default()
    };
    for step in steps {
        crm_sync_entry::ActiveModel {
            action: Set(step.action.clone()),
            module: Set(Some(step.module.to_owned())),
            remote_id: Set(Some(step.remote_id.clone())),
            outcome: Set(SyncOutcome::Done),
            detail: Set(step.detail.clone()),
            ..line()
        }
        .insert(db)
        .await?;
    }
    let Some((outcome, detail)) = failure else {
        return Ok(());
    };
    // The newest line of this job, if it is its failure, is the one to update.
    let last = crm_sync_entry::Entity::find()
        .filter(crm_sync_entry::Column::Job.eq(kind))
        .filter(crm_sync_entry::Column::Target.eq(job.target()))
        .order_by_desc(crm_sync_entry::Column::Id)
        .one(db)
        .await?
        .filter(|l| l.outcome != SyncOutcome::Done && steps.is_empty());
    let detail: String = detail.chars().take(2000).collect();
    match last {
        Some(line) => {
            let mut line: crm_sync_entry::ActiveModel = line.into();
            line.at = Set(now);
            line.outcome = Set(outcome);
            line.detail = Set(Some(detail));
            line.update(db).await?;
        }
        None => {
            crm_sync_entry::ActiveModel {
                action: Set(delivering(job).to_owned()),
                module: Set(None),
                remote_id: Set(None),
                outcome: Set(outcome),
                detail: Set(Some(detail)),
                ..line()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// The newest lines, newest first: all of them, or those about one chat (its own deliveries and
/// its deal's).
pub async fn list(
    db: &DatabaseConnection,
    about: Option<About>,
    limit: u64,
) -> Result<Vec<SyncEntryView>, DbErr> {
    let mut query = crm_sync_entry::Entity::find();
    if let Some(about) = about {
        let mut either = sea_orm::Condition::any();
        if let Some(c) = about.conversation_id {
            either = either.add(crm_sync_entry::Column::ConversationId.eq(c));
        }
        if let Some(d) = about.deal_id {
            either = either.add(crm_sync_entry::Column::DealId.eq(d));
        }
        if either.is_empty() {
            return Ok(Vec::new());
        }
        query = query.filter(either);
    }
    let lines = query
        .order_by_desc(crm_sync_entry::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let deal_ids: Vec<DealId> = lines.iter().filter_map(|l| l.deal_id).collect();
    let titles: HashMap<DealId, String> = deal::Entity::find()
        .filter(deal::Column::Id.is_in(deal_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.title))
        .collect();
    let mut views = Vec::with_capacity(lines.len());
    for line in lines {
        let can_retry =
            line.outcome == SyncOutcome::Failed && pending_job(db, &line).await?.is_some();
        views.push(SyncEntryView {
            id: line.id,
            at: line.at.to_rfc3339(),
            provider: line.provider,
            action: line.action,
            module: line.module,
            remote_id: line.remote_id,
            deal_title: line.deal_id.and_then(|d| titles.get(&d).cloned()),
            deal_id: line.deal_id,
            outcome: line.outcome,
            detail: line.detail,
            can_retry,
        });
    }
    Ok(views)
}

/// The delivery a failure line is about, while it is not done: dead-lettered or still retrying.
async fn pending_job(
    db: &DatabaseConnection,
    line: &crm_sync_entry::Model,
) -> Result<Option<outbox_job::Model>, DbErr> {
    // The newest delivery of the same thing decides: once one is done since, the failure is
    // past (a later change queued a delivery of its own that went through).
    Ok(outbox_job::Entity::find()
        .filter(outbox_job::Column::Job.eq(line.job.clone()))
        .filter(outbox_job::Column::EntityId.eq(line.target))
        .order_by_desc(outbox_job::Column::Id)
        .one(db)
        .await?
        .filter(|job| job.done_at.is_none()))
}

/// *Retry* on a failure line: its delivery runs again now (a failed job is queued again with
/// fresh attempts; one still retrying is brought forward). NotFound when there is nothing to
/// retry (the line is not a failure, or its delivery is done since).
pub async fn retry(db: &DatabaseConnection, line_id: i64) -> Result<(), AppError> {
    retry_where(db, line_id, |_| true).await
}

/// *Retry* on a failure line beside a chat, by the chat's staff: as `retry`, for a line about
/// this chat or its deal only (NotFound for another's).
pub async fn retry_about(
    db: &DatabaseConnection,
    line_id: i64,
    about: About,
) -> Result<(), AppError> {
    retry_where(db, line_id, |l| {
        (l.conversation_id.is_some() && l.conversation_id == about.conversation_id)
            || (l.deal_id.is_some() && l.deal_id == about.deal_id)
    })
    .await
}

async fn retry_where(
    db: &DatabaseConnection,
    line_id: i64,
    allowed: impl Fn(&crm_sync_entry::Model) -> bool,
) -> Result<(), AppError> {
    let line = crm_sync_entry::Entity::find_by_id(line_id)
        .one(db)
        .await?
        .filter(|l| l.outcome == SyncOutcome::Failed && allowed(l))
        .ok_or(AppError::NotFound)?;
    let job = pending_job(db, &line).await?.ok_or(AppError::NotFound)?;
    if job.failed_at.is_some() {
        return jobs::retry(db, job.id).await;
    }
    let mut row: outbox_job::ActiveModel = job.into();
    row.next_attempt_at = Set(Utc::now());
    row.update(db).await?;
    Ok(())
}
