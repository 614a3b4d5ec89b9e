//! Outgoing mail. A feature queues a mail in the transaction of what it tells (`queue`), the job
//! runner sends it (`MailJobs`), so a mail server that is down delays mail but loses none. The
//! `Mailer` port has two adapters: `smtp` (a real SMTP client) and `folder` (the embedded default:
//! each mail is written as an `.eml` file under the data dir, so the app runs alone).

pub mod folder;
pub mod smtp;

use crate::model::ids::MailId;
use crate::server::jobs::{self, Job, JobError, JobHandler};
use crate::server::platform::entities::mail;
use chrono::Utc;
use lettre::message::{Mailbox, header::ContentType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
};
use std::sync::Arc;

/// One mail, ready to go.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub id: MailId,
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MailError {
    /// The server was unreachable or said "later": tried again with backoff.
    #[error("{0}")]
    Temporary(String),
    /// The mail can never go (a malformed address, a permanent refusal): kept as failed.
    #[error("{0}")]
    Permanent(String),
}

#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &lettre::Message) -> Result<(), MailError>;
}

/// The mail as a message from `from`, plain text in UTF-8, with an id stable across retries.
pub fn message(from: &Mailbox, mail: &Outgoing) -> Result<lettre::Message, MailError> {
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| MailError::Permanent(format!("bad recipient `{}`: {e}", mail.to)))?;
    let domain = from.email.domain().to_owned();
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<mail-{}@{domain}>", mail.id)))
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| MailError::Permanent(format!("cannot build the mail: {e}")))
}

/// Queues a mail inside the caller's transaction.
pub async fn queue(
    txn: &impl ConnectionTrait,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<MailId, DbErr> {
    let row = mail::ActiveModel {
        to_address: Set(to.to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(body.to_owned()),
        created_at: Set(Utc::now()),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    jobs::enqueue(txn, Job::SendMail { mail_id: row.id }).await?;
    Ok(row.id)
}

/// Sends the outbox's mails: the handler of `SendMail` jobs.
pub struct MailJobs {
    mailer: Arc<dyn Mailer>,
    from: Mailbox,
}

impl MailJobs {
    pub fn new(mailer: Arc<dyn Mailer>, from: Mailbox) -> MailJobs {
        MailJobs { mailer, from }
    }
}

#[async_trait::async_trait]
impl JobHandler for MailJobs {
    async fn run(&self, db: &DatabaseConnection, job: Job) -> Result<(), JobError> {
        let Job::SendMail { mail_id } = job else {
            return Err(JobError::Permanent(format!("not a mail job: {job:?}")));
        };
        let Some(row) = mail::Entity::find_by_id(mail_id).one(db).await? else {
            return Ok(());
        };
        if row.sent_at.is_some() {
            return Ok(()); // Sent by an earlier attempt whose answer was lost.
        }
        let outgoing = Outgoing {
            id: row.id,
            to: row.to_address.clone(),
            subject: row.subject.clone(),
            body: row.body.clone(),
        };
        let message = message(&self.from, &outgoing).map_err(job_error)?;
        self.mailer.send(&message).await.map_err(job_error)?;
        let mut sent: mail::ActiveModel = row.into();
        sent.sent_at = Set(Some(Utc::now()));
        sent.update(db).await?;
        tracing::info!(mail = %mail_id, "mail sent");
        Ok(())
    }
}

fn job_error(e: MailError) -> JobError {
    match e {
        MailError::Temporary(m) => JobError::Retry(m),
        MailError::Permanent(m) => JobError::Permanent(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(to: &str) -> Outgoing {
        Outgoing {
            id: MailId(7),
            to: to.to_owned(),
            subject: "Réinitialiser".into(),
            body: "Bonjour,\nvoici le lien.".into(),
        }
    }

    #[test]
    fn a_mail_is_plain_text_with_a_stable_id() {
        let from: Mailbox = "dealchat <no-reply@chat.example.com>"
            .parse()
            .expect("from");
        let m = message(&from, &outgoing("ann@example.com")).expect("builds");
        let text = String::from_utf8(m.formatted()).expect("utf-8");
        assert!(
            text.contains("Message-ID: <mail-7@chat.example.com>"),
            "{text}"
        );
        assert!(
            text.contains("Content-Type: text/plain; charset=utf-8"),
            "{text}"
        );
        assert!(text.contains("To: ann@example.com"), "{text}");
    }

    #[test]
    fn a_malformed_address_fails_for_good() {
        let from: Mailbox = "no-reply@chat.example.com".parse().expect("from");
        assert!(matches!(
            message(&from, &outgoing("not an address")),
            Err(MailError::Permanent(_))
        ));
    }
}
