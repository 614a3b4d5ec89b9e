//! Telling a client by email that a manager wrote while they were away. A message from the staff
//! side queues a `NotifyUnread` job, due after a delay; when it runs, the client gets one mail if
//! they still have unread messages there, at most one per chat in each interval, only at an
//! address they verified, and never after they followed the mail's "stop" link.

use crate::model::ids::UserId;
use crate::model::message_text::preview;
use crate::server::accounts::email::unsubscribe_link;
use crate::server::accounts::sessions::SessionKey;
use crate::server::jobs::{self, Job, JobError, JobHandler};
use crate::server::mail;
use crate::server::platform::db::begin_write;
use crate::server::platform::entities::{
    conversation, conversation_member, mail_notice, message, user,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

pub struct UnreadMail {
    pub key: SessionKey,
    /// The public URL without a trailing slash.
    pub base: String,
    pub interval: Duration,
}

/// When the next mail about a chat may go, given the last one.
pub fn next_allowed(last_sent: Option<DateTime<Utc>>, interval: Duration) -> Option<DateTime<Utc>> {
    last_sent.map(|at| at + interval)
}

#[async_trait::async_trait]
impl JobHandler for UnreadMail {
    async fn run(&self, db: &DatabaseConnection, job: Job) -> Result<(), JobError> {
        let Job::NotifyUnread { conversation_id } = job else {
            return Err(JobError::Permanent(format!(
                "not an unread-mail job: {job:?}"
            )));
        };
        let Some(conv) = conversation::Entity::find_by_id(conversation_id)
            .one(db)
            .await?
        else {
            return Ok(());
        };
        let Some(client_id) = conv.client_id else {
            return Ok(());
        };
        let Some(client) = user::Entity::find_by_id(client_id).one(db).await? else {
            return Ok(());
        };
        if client.disabled || !client.notify_by_email || client.email_verified_at.is_none() {
            return Ok(());
        }
        let read = conversation_member::Entity::find_by_id((conversation_id, client_id))
            .one(db)
            .await?
            .map_or(0, |m| m.last_read_seq);
        let unread = message::Entity::find()
            .filter(message::Column::ConversationId.eq(conversation_id))
            .filter(message::Column::Seq.gt(read))
            .filter(message::Column::SenderId.is_not_null())
            .filter(message::Column::SenderId.ne(client_id))
            // What people wrote or shared, not events ("Max accepted the chat").
            .filter(message::Column::Kind.ne(crate::server::messages::kind::SYSTEM))
            .order_by_desc(message::Column::Seq);
        let count = unread.clone().count(db).await?;
        if count == 0 {
            return Ok(()); // Read in time: no mail.
        }
        let now = Utc::now();
        let last = mail_notice::Entity::find_by_id((conversation_id, client_id))
            .one(db)
            .await?
            .map(|n| n.last_sent_at);
        if let Some(allowed) = next_allowed(last, self.interval)
            && allowed > now
        {
            // Told recently: look again when the interval is over.
            let txn = begin_write(db).await?;
            jobs::enqueue_at(&txn, job, allowed).await?;
            txn.commit().await?;
            return Ok(());
        }
        let newest = unread.one(db).await?;
        let body = self.body(&conv, &client, count, newest.as_ref(), client_id);
        let txn = begin_write(db).await?;
        mail_notice::Entity::insert(mail_notice::ActiveModel {
            conversation_id: Set(conversation_id),
            user_id: Set(client_id),
            last_sent_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                mail_notice::Column::ConversationId,
                mail_notice::Column::UserId,
            ])
            .update_column(mail_notice::Column::LastSentAt)
            .to_owned(),
        )
        .exec(&txn)
        .await?;
        let subject = format!("New messages about {}", conv.subject);
        mail::queue(&txn, &client.email, &subject, &body).await?;
        txn.commit().await?;
        tracing::info!(conversation = %conversation_id, unread = count, "unread-messages mail queued");
        Ok(())
    }
}

impl UnreadMail {
    fn body(
        &self,
        conv: &conversation::Model,
        client: &user::Model,
        count: u64,
        newest: Option<&message::Model>,
        client_id: UserId,
    ) -> String {
        let what = if count == 1 {
            "a new message".to_owned()
        } else {
            format!("{count} new messages")
        };
        let quote = newest
            .filter(|m| m.kind == crate::server::messages::KIND_TEXT)
            .map(|m| format!("\n    \u{201c}{}\u{201d}\n", preview(&m.body, 200)))
            .unwrap_or_default();
        format!(
            "Hello {name},\n\n\
             you have {what} in your chat \u{201c}{subject}\u{201d}.\n{quote}\n\
             Read and answer: {base}/chats/{id}\n\n\
             --\nYou get this mail because a message waited for you. To stop these mails: {stop}\n",
            name = client.display_name,
            subject = conv.subject,
            base = self.base,
            id = conv.id,
            stop = unsubscribe_link(&self.base, &self.key, client_id),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mail_per_interval() {
        let t = Utc::now();
        assert_eq!(next_allowed(None, Duration::minutes(30)), None);
        assert_eq!(
            next_allowed(Some(t), Duration::minutes(30)),
            Some(t + Duration::minutes(30))
        );
    }
}
