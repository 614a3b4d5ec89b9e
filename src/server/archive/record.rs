//! A deal's record page for staff: the deal's fields, its stage history (from the chat's own
//! events), its files with the transcript, what the CRM holds on it (attachments, notes), and
//! the chats linked to it. The deals a reader may open are those the Deals page lists for them.

use crate::model::AppError;
use crate::model::chat::ConversationStatus;
use crate::model::deal_record::{CrmAttachmentView, DealRecord, HistoryLine, LinkedChat};
use crate::model::ids::{ConversationId, DealId};
use crate::model::message::SystemEvent;
use crate::server::access::Viewer;
use crate::server::crm::port::CrmPort;
use crate::server::crm::sync::{crm_attachments, crm_notes};
use crate::server::deals::list::visible;
use crate::server::deals::service as deals;
use crate::server::files::deal_files;
use crate::server::messages::kind;
use crate::server::realtime::changes::stmt;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};

/// Events that say how the deal itself changed (the rest are about the conversation).
pub fn is_deal_history(event: &SystemEvent) -> bool {
    matches!(
        event,
        SystemEvent::StageMoved { .. }
            | SystemEvent::AmountSet { .. }
            | SystemEvent::DealLinked { .. }
            | SystemEvent::DealClosed { .. }
            | SystemEvent::DealReopened { .. }
    )
}

#[derive(Debug, FromQueryResult)]
struct EventRow {
    body: String,
    created_at: DateTime<Utc>,
}

#[derive(Debug, FromQueryResult)]
struct ChatRow {
    id: ConversationId,
    client_name: Option<String>,
    status: ConversationStatus,
    last_seq: i64,
    last_message_at: Option<DateTime<Utc>>,
}

/// The record of `deal_id` for `viewer`: 404 for a deal they may not see (and for clients, who
/// read their deals in their chats).
#[tracing::instrument(skip(db, crm))]
pub async fn record(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    viewer: Viewer,
    deal_id: DealId,
) -> Result<DealRecord, AppError> {
    let (visible_sql, mut values) = visible(viewer).map_err(|_| AppError::NotFound)?;
    values.insert(0, deal_id.into());
    let backend = db.get_database_backend();
    let seen = db
        .query_one_raw(stmt(
            backend,
            &format!(
                "SELECT d.id FROM deals d LEFT JOIN conversations c ON c.deal_id = d.id \
                 WHERE d.id = ? AND {visible_sql}"
            ),
            values,
        ))
        .await?;
    if seen.is_none() {
        return Err(AppError::NotFound);
    }
    let deal = deals::view(db, deal_id).await?.ok_or(AppError::NotFound)?;

    let events = EventRow::find_by_statement(stmt(
        backend,
        "SELECT m.body, m.created_at FROM messages m \
         JOIN conversations c ON c.id = m.conversation_id \
         WHERE c.deal_id = ? AND m.kind = ? ORDER BY m.created_at, m.id",
        [deal_id.into(), kind::SYSTEM.into()],
    ))
    .all(db)
    .await?;
    let opened = HistoryLine {
        at_ms: deal.created_at_ms,
        text: format!("Deal opened at {}.", crate::model::DealStage::Inquiry),
    };
    let history = std::iter::once(opened)
        .chain(events.into_iter().filter_map(|r| {
            let event: SystemEvent = serde_json::from_str(&r.body).ok()?;
            is_deal_history(&event).then(|| HistoryLine {
                at_ms: r.created_at.timestamp_millis(),
                text: event.describe(),
            })
        }))
        .collect();

    let chats: Vec<LinkedChat> = ChatRow::find_by_statement(stmt(
        backend,
        "SELECT c.id, u.display_name AS client_name, c.status, c.last_seq, c.last_message_at \
         FROM conversations c LEFT JOIN users u ON u.id = c.client_id \
         WHERE c.deal_id = ? ORDER BY c.id",
        [deal_id.into()],
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|r| LinkedChat {
        id: r.id,
        client_name: r.client_name.unwrap_or_else(|| "Former client".into()),
        status: r.status.as_str().to_owned(),
        messages: r.last_seq,
        last_message_at_ms: r.last_message_at.map(|t| t.timestamp_millis()),
    })
    .collect();
    let files = match chats.first() {
        Some(chat) => deal_files::list(db, viewer, chat.id).await?,
        None => Vec::new(),
    };

    // The CRM may be away: the page shows what we hold and says the CRM's part is missing.
    let crm_attachments = match crm_attachments(db, crm, deal_id).await {
        Ok(list) => Some(
            list.into_iter()
                .map(|a| CrmAttachmentView {
                    name: a.file_name,
                    size: a.size,
                    sha256: a.sha256,
                    created_at_ms: a.created_at.timestamp_millis(),
                })
                .collect(),
        ),
        Err(e) => {
            tracing::warn!(deal = %deal_id, error = %e, "the CRM's attachments could not be read");
            None
        }
    };
    let crm_notes = match crm_notes(db, crm, deal_id).await {
        Ok(notes) => Some(notes),
        Err(e) => {
            tracing::warn!(deal = %deal_id, error = %e, "the CRM's notes could not be read");
            None
        }
    };
    Ok(DealRecord {
        deal,
        history,
        files,
        crm_attachments,
        crm_notes,
        chats,
    })
}
