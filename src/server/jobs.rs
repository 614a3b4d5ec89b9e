//! One durable job queue for work that must follow a commit and may fail for a while (today the
//! CRM deliveries, mail, idle sessions, deal transcripts and WorkDrive pushes), and one supervisor
//! for periodic tasks.
//!
//! A feature queues a typed [`Job`] in the same transaction as the change it follows, so neither
//! exists without the other. The [`Runner`] hands each due job to the handler registered for its
//! kind. A retryable failure waits with exponential backoff; a permanent failure, or the last of
//! `max_attempts`, moves the job to the dead letter (`failed_at`, `last_error`), where an
//! administrator sees it and may retry it. Jobs name an entity, not a snapshot: a handler sends
//! the entity's state at delivery time, so repeated or late jobs converge on the truth.
//!
//! A job that reads a file kept on one instance's disk (a WorkDrive push) is queued with
//! [`enqueue_on`] and names the data directory that holds it: only a runner started [`Runner::here`]
//! in that directory takes it. A runner takes only the kinds it has handlers for, so slow kinds
//! (file pushes) run in a runner of their own and never hold up the rest. A claim is renewed
//! while its job runs, so a long job is not taken a second time by another runner.

pub mod supervisor;

use crate::model::AppError;
use crate::model::ids::{
    ConversationId, CrmRequestId, DealId, MailId, MessageId, OfferId, OperatorSessionId,
    WorkDrivePushId,
};
use crate::model::jobs::FailedJobView;
use crate::server::platform::entities::outbox_job;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use std::sync::Arc;

/// A unit of deferred work, named by what it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Create or update the CRM's copy of a deal.
    SyncDeal { deal_id: DealId },
    /// Write an offer's decision as a note on the CRM deal.
    OfferNote { offer_id: OfferId },
    /// Write a payment's new status (its status message) as a note on the CRM deal.
    PaymentNote { message_id: MessageId },
    /// Send a mail from the outbox.
    SendMail { mail_id: MailId },
    /// Tell a chat's client by email of messages they have not read (queued with a delay).
    NotifyUnread { conversation_id: ConversationId },
    /// Close an operator session nobody wrote in for the idle timeout (or look again later).
    IdleClose { session_id: OperatorSessionId },
    /// Make a closed deal's transcript (PDF) and keep it in the deal's folder.
    RenderTranscript { deal_id: DealId },
    /// Attach the deal's current transcript to its CRM deal (replacing the one attached before).
    TranscriptToCrm { deal_id: DealId },
    /// Find or create the chat's client in the CRM by the connector's rules (at chat start).
    CrmPerson { conversation_id: ConversationId },
    /// Record a closed operator session in the CRM (a Task or a Case) by the connector's rules.
    CrmSession { session_id: OperatorSessionId },
    /// Make the CRM record staff asked for from a chat (the connector's manual mode).
    CrmManual { request_id: CrmRequestId },
    /// Carry a finished file from the instance's disk to Zoho WorkDrive.
    WorkDrivePush { push_id: WorkDrivePushId },
}

/// What kind of job a row holds; the name is what the `job` column stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    SyncDeal,
    OfferNote,
    PaymentNote,
    SendMail,
    NotifyUnread,
    IdleClose,
    RenderTranscript,
    TranscriptToCrm,
    CrmPerson,
    CrmSession,
    CrmManual,
    WorkDrivePush,
}

impl JobKind {
    pub const ALL: [JobKind; 12] = [
        JobKind::SyncDeal,
        JobKind::OfferNote,
        JobKind::PaymentNote,
        JobKind::SendMail,
        JobKind::NotifyUnread,
        JobKind::IdleClose,
        JobKind::RenderTranscript,
        JobKind::TranscriptToCrm,
        JobKind::CrmPerson,
        JobKind::CrmSession,
        JobKind::CrmManual,
        JobKind::WorkDrivePush,
    ];

    pub fn name(self) -> &'static str {
        match self {
            JobKind::SyncDeal => "sync_deal",
            JobKind::OfferNote => "offer_note",
            JobKind::PaymentNote => "payment_note",
            JobKind::SendMail => "send_mail",
            JobKind::NotifyUnread => "notify_unread",
            JobKind::IdleClose => "idle_close",
            JobKind::RenderTranscript => "render_transcript",
            JobKind::TranscriptToCrm => "transcript_to_crm",
            JobKind::CrmPerson => "crm_person",
            JobKind::CrmSession => "crm_session",
            JobKind::CrmManual => "crm_manual",
            JobKind::WorkDrivePush => "workdrive_push",
        }
    }

    pub fn named(stored: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.name() == stored)
    }

    /// What the job's target id names, for the failed-jobs page.
    fn target_label(self) -> &'static str {
        match self {
            JobKind::SyncDeal => "deal",
            JobKind::OfferNote => "offer",
            JobKind::PaymentNote => "message",
            JobKind::SendMail => "mail",
            JobKind::NotifyUnread | JobKind::CrmPerson => "chat",
            JobKind::IdleClose | JobKind::CrmSession => "operator session",
            JobKind::RenderTranscript | JobKind::TranscriptToCrm => "deal",
            JobKind::CrmManual => "CRM request",
            JobKind::WorkDrivePush => "WorkDrive upload",
        }
    }
}

impl Job {
    pub fn kind(self) -> JobKind {
        match self {
            Job::SyncDeal { .. } => JobKind::SyncDeal,
            Job::OfferNote { .. } => JobKind::OfferNote,
            Job::PaymentNote { .. } => JobKind::PaymentNote,
            Job::SendMail { .. } => JobKind::SendMail,
            Job::NotifyUnread { .. } => JobKind::NotifyUnread,
            Job::IdleClose { .. } => JobKind::IdleClose,
            Job::RenderTranscript { .. } => JobKind::RenderTranscript,
            Job::TranscriptToCrm { .. } => JobKind::TranscriptToCrm,
            Job::CrmPerson { .. } => JobKind::CrmPerson,
            Job::CrmSession { .. } => JobKind::CrmSession,
            Job::CrmManual { .. } => JobKind::CrmManual,
            Job::WorkDrivePush { .. } => JobKind::WorkDrivePush,
        }
    }

    /// The id of the entity the job is about.
    pub fn target(self) -> i64 {
        match self {
            Job::SyncDeal { deal_id } => deal_id.0,
            Job::OfferNote { offer_id } => offer_id.0,
            Job::PaymentNote { message_id } => message_id.0,
            Job::SendMail { mail_id } => mail_id.0,
            Job::NotifyUnread { conversation_id } | Job::CrmPerson { conversation_id } => {
                conversation_id.0
            }
            Job::IdleClose { session_id } | Job::CrmSession { session_id } => session_id.0,
            Job::RenderTranscript { deal_id } | Job::TranscriptToCrm { deal_id } => deal_id.0,
            Job::CrmManual { request_id } => request_id.0,
            Job::WorkDrivePush { push_id } => push_id.0,
        }
    }

    fn of(kind: JobKind, target: i64) -> Job {
        match kind {
            JobKind::SyncDeal => Job::SyncDeal {
                deal_id: DealId(target),
            },
            JobKind::OfferNote => Job::OfferNote {
                offer_id: OfferId(target),
            },
            JobKind::PaymentNote => Job::PaymentNote {
                message_id: MessageId(target),
            },
            JobKind::SendMail => Job::SendMail {
                mail_id: MailId(target),
            },
            JobKind::NotifyUnread => Job::NotifyUnread {
                conversation_id: ConversationId(target),
            },
            JobKind::IdleClose => Job::IdleClose {
                session_id: OperatorSessionId(target),
            },
            JobKind::RenderTranscript => Job::RenderTranscript {
                deal_id: DealId(target),
            },
            JobKind::TranscriptToCrm => Job::TranscriptToCrm {
                deal_id: DealId(target),
            },
            JobKind::CrmPerson => Job::CrmPerson {
                conversation_id: ConversationId(target),
            },
            JobKind::CrmSession => Job::CrmSession {
                session_id: OperatorSessionId(target),
            },
            JobKind::CrmManual => Job::CrmManual {
                request_id: CrmRequestId(target),
            },
            JobKind::WorkDrivePush => Job::WorkDrivePush {
                push_id: WorkDrivePushId(target),
            },
        }
    }
}

/// How a job failed, which decides whether it is tried again.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum JobError {
    /// Worth another attempt later: the other side was unreachable or busy.
    #[error("{0}")]
    Retry(String),
    /// Will fail the same way every time: the job goes to the dead letter at once.
    #[error("{0}")]
    Permanent(String),
    /// Cannot run until someone acts (an admin reconnects the CRM): the job looks again every
    /// `jobs.wait_recheck_secs` without using up its attempts, so nothing is lost however long
    /// it takes.
    #[error("{0}")]
    Wait(String),
}

impl From<DbErr> for JobError {
    fn from(e: DbErr) -> Self {
        JobError::Retry(format!("database: {e}"))
    }
}

/// Runs the jobs of the kinds it was registered for.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, db: &DatabaseConnection, job: Job) -> Result<(), JobError>;
}

/// Queues `job` inside the caller's transaction, unless the same job is already waiting
/// untouched (two changes before a delivery need one delivery: it sends the latest state).
pub async fn enqueue(txn: &impl ConnectionTrait, job: Job) -> Result<(), DbErr> {
    enqueue_at(txn, job, Utc::now()).await
}

/// `enqueue`, due at `at` rather than at once. A job already waiting keeps its own time, so a
/// delayed job gathers every change until it runs.
pub async fn enqueue_at(
    txn: &impl ConnectionTrait,
    job: Job,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    queue(txn, job, at, None).await
}

/// `enqueue` for a job only the runner of the data directory `here` may take: it reads a file
/// kept on that directory's disk.
pub async fn enqueue_on(
    txn: &impl ConnectionTrait,
    job: Job,
    here: &DataDirId,
) -> Result<(), DbErr> {
    queue(txn, job, Utc::now(), Some(here)).await
}

async fn queue(
    txn: &impl ConnectionTrait,
    job: Job,
    at: DateTime<Utc>,
    runs_on: Option<&DataDirId>,
) -> Result<(), DbErr> {
    let kind = job.kind().name();
    let waiting = outbox_job::Entity::find()
        .filter(outbox_job::Column::Job.eq(kind))
        .filter(outbox_job::Column::EntityId.eq(job.target()))
        .filter(outbox_job::Column::DoneAt.is_null())
        .filter(outbox_job::Column::FailedAt.is_null())
        .filter(outbox_job::Column::Attempts.eq(0))
        .filter(outbox_job::Column::LockedUntil.is_null())
        .one(txn)
        .await?;
    if waiting.is_some() {
        return Ok(());
    }
    let now = Utc::now();
    outbox_job::ActiveModel {
        job: Set(kind.to_owned()),
        entity_id: Set(job.target()),
        attempts: Set(0),
        next_attempt_at: Set(at),
        locked_until: Set(None),
        last_error: Set(None),
        done_at: Set(None),
        failed_at: Set(None),
        created_at: Set(now),
        runs_on: Set(runs_on.map(|d| d.0.clone())),
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

/// What happens to a job after an attempt: a pure rule, tested without a database.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    RetryAt(DateTime<Utc>),
    /// Look again after the runner's recheck interval, without counting the attempt.
    Wait,
    DeadLetter,
}

pub fn outcome(
    result: &Result<(), JobError>,
    attempts_now: i32,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Outcome {
    match result {
        Ok(()) => Outcome::Done,
        Err(JobError::Permanent(_)) => Outcome::DeadLetter,
        Err(JobError::Retry(_)) if attempts_now >= max_attempts => Outcome::DeadLetter,
        Err(JobError::Retry(_)) => Outcome::RetryAt(now + backoff(attempts_now)),
        Err(JobError::Wait(_)) => Outcome::Wait,
    }
}

/// The id of a data directory, made once and kept in it (`data_dir_id`). Instances that share
/// a data directory share its disk, so they share the id too, and a job that reads a file kept
/// there may run on any of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDirId(pub String);

impl DataDirId {
    /// The id of `dir`, made on first use.
    pub fn of(dir: &std::path::Path) -> std::io::Result<DataDirId> {
        let path = dir.join("data_dir_id");
        match std::fs::read_to_string(&path) {
            Ok(id) if !id.trim().is_empty() => Ok(DataDirId(id.trim().to_owned())),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                // Written aside and moved in, so a crash never leaves half an id.
                let aside = dir.join(format!("data_dir_id.{id}"));
                std::fs::write(&aside, &id)?;
                std::fs::rename(&aside, &path)?;
                Ok(DataDirId(std::fs::read_to_string(&path)?.trim().to_owned()))
            }
        }
    }
}

/// A claimed job is left alone by other runners for this long; the claim is renewed every third
/// of it while the job runs.
const CLAIM: std::time::Duration = std::time::Duration::from_secs(60);
const BATCH: u64 = 20;

/// Delivers due jobs to the handlers registered for their kinds.
#[derive(Clone)]
pub struct Runner {
    handlers: HashMap<JobKind, Arc<dyn JobHandler>>,
    max_attempts: i32,
    /// How long a waiting job (`JobError::Wait`) rests before it looks again.
    wait_recheck: Duration,
    /// The data directory this runner's instance keeps files in: it also takes the jobs queued
    /// for it (`enqueue_on`).
    here: Option<DataDirId>,
    claim: std::time::Duration,
}

impl Runner {
    pub fn new(max_attempts: u32, wait_recheck: std::time::Duration) -> Runner {
        Runner {
            handlers: HashMap::new(),
            max_attempts: i32::try_from(max_attempts.max(1)).unwrap_or(i32::MAX),
            wait_recheck: Duration::from_std(wait_recheck).unwrap_or(Duration::seconds(30)),
            here: None,
            claim: CLAIM,
        }
    }

    /// The runner also takes the jobs queued for the data directory `here`.
    #[must_use]
    pub fn here(mut self, here: DataDirId) -> Runner {
        self.here = Some(here);
        self
    }

    /// How long a claim holds without renewal (tests shorten it).
    #[must_use]
    pub fn claim_for(mut self, claim: std::time::Duration) -> Runner {
        self.claim = claim;
        self
    }

    fn claim_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + Duration::from_std(self.claim).unwrap_or(Duration::seconds(60))
    }

    /// `handler` runs every job of `kinds`.
    #[must_use]
    pub fn register(mut self, kinds: &[JobKind], handler: Arc<dyn JobHandler>) -> Runner {
        for kind in kinds {
            self.handlers.insert(*kind, handler.clone());
        }
        self
    }

    /// Runs the jobs due at `now`; returns how many succeeded.
    #[tracing::instrument(skip_all)]
    pub async fn run_due(
        &self,
        db: &DatabaseConnection,
        now: DateTime<Utc>,
    ) -> Result<usize, DbErr> {
        let unlocked = || {
            Condition::any()
                .add(outbox_job::Column::LockedUntil.is_null())
                .add(outbox_job::Column::LockedUntil.lt(now))
        };
        let kinds: Vec<&str> = self.handlers.keys().map(|k| k.name()).collect();
        let mut anywhere = Condition::any().add(outbox_job::Column::RunsOn.is_null());
        if let Some(here) = &self.here {
            anywhere = anywhere.add(outbox_job::Column::RunsOn.eq(here.0.as_str()));
        }
        let due = outbox_job::Entity::find()
            .filter(outbox_job::Column::Job.is_in(kinds))
            .filter(anywhere)
            .filter(outbox_job::Column::DoneAt.is_null())
            .filter(outbox_job::Column::FailedAt.is_null())
            .filter(outbox_job::Column::NextAttemptAt.lte(now))
            .filter(unlocked())
            .order_by_asc(outbox_job::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let mut succeeded = 0;
        for row in due {
            let claimed = outbox_job::Entity::update_many()
                .col_expr(
                    outbox_job::Column::LockedUntil,
                    sea_orm::sea_query::Expr::value(self.claim_until(now)),
                )
                .filter(outbox_job::Column::Id.eq(row.id))
                .filter(unlocked())
                .exec(db)
                .await?;
            if claimed.rows_affected != 1 {
                continue; // Another runner holds it.
            }
            let result = self.attempt_claimed(db, &row).await;
            let attempts = row.attempts + 1;
            let mut update: outbox_job::ActiveModel = row.clone().into();
            update.locked_until = Set(None);
            update.attempts = Set(attempts);
            let finished_at = Utc::now();
            match outcome(&result, attempts, self.max_attempts, finished_at) {
                Outcome::Done => {
                    update.done_at = Set(Some(finished_at));
                    update.last_error = Set(None);
                    succeeded += 1;
                }
                Outcome::RetryAt(at) => {
                    update.next_attempt_at = Set(at);
                    update.last_error = Set(result.err().map(|e| e.to_string()));
                }
                Outcome::Wait => {
                    update.attempts = Set(row.attempts);
                    update.next_attempt_at = Set(finished_at + self.wait_recheck);
                    update.last_error = Set(result.err().map(|e| e.to_string()));
                }
                Outcome::DeadLetter => {
                    let error = result.err().map(|e| e.to_string()).unwrap_or_default();
                    tracing::error!(job = %row.id, kind = row.job, target = %row.entity_id, attempts, %error, "job failed for good");
                    update.failed_at = Set(Some(finished_at));
                    update.last_error = Set(Some(error));
                }
            }
            update.update(db).await?;
        }
        Ok(succeeded)
    }

    /// Runs the claimed job, renewing its claim every third of the claim's length until it ends.
    async fn attempt_claimed(
        &self,
        db: &DatabaseConnection,
        row: &outbox_job::Model,
    ) -> Result<(), JobError> {
        let attempt = self.attempt(db, row);
        tokio::pin!(attempt);
        let mut renew =
            tokio::time::interval((self.claim / 3).max(std::time::Duration::from_millis(10)));
        renew.tick().await; // The first tick is at once; the claim was just taken.
        loop {
            tokio::select! {
                result = &mut attempt => return result,
                _ = renew.tick() => {
                    let renewed = outbox_job::Entity::update_many()
                        .col_expr(
                            outbox_job::Column::LockedUntil,
                            sea_orm::sea_query::Expr::value(self.claim_until(Utc::now())),
                        )
                        .filter(outbox_job::Column::Id.eq(row.id))
                        .exec(db)
                        .await;
                    if let Err(e) = renewed {
                        tracing::warn!(job = %row.id, error = %e, "could not renew a job's claim");
                    }
                }
            }
        }
    }

    async fn attempt(
        &self,
        db: &DatabaseConnection,
        row: &outbox_job::Model,
    ) -> Result<(), JobError> {
        let kind = JobKind::named(&row.job)
            .ok_or_else(|| JobError::Permanent(format!("unknown job kind `{}`", row.job)))?;
        let handler = self
            .handlers
            .get(&kind)
            .ok_or_else(|| JobError::Permanent(format!("no handler for `{}` jobs", row.job)))?;
        let result = handler.run(db, Job::of(kind, row.entity_id)).await;
        if let Err(e) = &result {
            tracing::warn!(job = %row.id, kind = row.job, target = %row.entity_id, error = %e, "job attempt failed");
        }
        result
    }
}

/// The dead letter: jobs that failed for good, newest first.
pub async fn failed(db: &DatabaseConnection, limit: u64) -> Result<Vec<FailedJobView>, DbErr> {
    let rows = outbox_job::Entity::find()
        .filter(outbox_job::Column::FailedAt.is_not_null())
        .order_by_desc(outbox_job::Column::FailedAt)
        .order_by_desc(outbox_job::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| FailedJobView {
            id: r.id,
            target: match JobKind::named(&r.job) {
                Some(kind) => format!("{} {}", kind.target_label(), r.entity_id),
                None => r.entity_id.to_string(),
            },
            job: r.job,
            attempts: r.attempts,
            last_error: r.last_error.unwrap_or_default(),
            failed_at: r
                .failed_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
        })
        .collect())
}

/// Puts a failed job back in the queue with a fresh count of attempts; NotFound for a job that
/// is not in the dead letter (unknown, done or still queued), so a second click does nothing.
pub async fn retry(db: &DatabaseConnection, job_id: i64) -> Result<(), AppError> {
    let res = outbox_job::Entity::update_many()
        .col_expr(
            outbox_job::Column::FailedAt,
            sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox_job::Column::Attempts,
            sea_orm::sea_query::Expr::value(0),
        )
        .col_expr(
            outbox_job::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(outbox_job::Column::Id.eq(job_id))
        .filter(outbox_job::Column::FailedAt.is_not_null())
        .exec(db)
        .await?;
    if res.rows_affected == 1 {
        tracing::info!(job = %job_id, "failed job queued again");
        Ok(())
    } else {
        Err(AppError::NotFound)
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

    #[test]
    fn a_job_is_retried_until_its_last_attempt_then_dead_lettered() {
        let now = Utc::now();
        let busy = Err(JobError::Retry("503".into()));
        assert_eq!(
            outcome(&busy, 1, 3, now),
            Outcome::RetryAt(now + Duration::seconds(2))
        );
        assert_eq!(
            outcome(&busy, 2, 3, now),
            Outcome::RetryAt(now + Duration::seconds(4))
        );
        assert_eq!(outcome(&busy, 3, 3, now), Outcome::DeadLetter);
        assert_eq!(outcome(&Ok(()), 3, 3, now), Outcome::Done);
    }

    #[test]
    fn a_permanent_error_stops_retries_at_once() {
        let refused = Err(JobError::Permanent("INVALID_DATA".into()));
        assert_eq!(outcome(&refused, 1, 10, Utc::now()), Outcome::DeadLetter);
    }

    #[test]
    fn a_waiting_job_looks_again_later_however_many_attempts_it_had() {
        let now = Utc::now();
        let waiting = Err(JobError::Wait("reconnect Zoho".into()));
        assert_eq!(outcome(&waiting, 1, 3, now), Outcome::Wait);
        assert_eq!(outcome(&waiting, 99, 3, now), Outcome::Wait);
    }

    #[test]
    fn every_kind_reads_back_from_its_stored_name() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::named(kind.name()), Some(kind));
            assert_eq!(Job::of(kind, 7).kind(), kind);
            assert_eq!(Job::of(kind, 7).target(), 7);
        }
        assert_eq!(JobKind::named("sync_everything"), None);
    }
}
