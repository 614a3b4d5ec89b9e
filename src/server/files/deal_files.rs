//! A deal's files: who may see them, the list for the "Deal files" panel, and recording a
//! finished upload (with the chat message that announces it) in one transaction.

use crate::model::chat::{DealFileView, FileOrigin, FileRef, OfferStatus};
use crate::model::command::ShareNote;
use crate::model::ids::{ConversationId, DealId, FileId, UserId};
use crate::model::{AppError, Role};
use crate::server::access::{self, Access, Viewer};
use crate::server::messages::{self, NewMessage, kind};
use crate::server::platform::entities::{conversation, deal, file, file_offer};
use crate::server::realtime::Hub;
use crate::server::realtime::changes::{self, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult,
};

/// The chat's deal, for a viewer who may read the chat; a clear refusal when there is none.
pub async fn deal_of_chat(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<(conversation::Model, Access, deal::Model), AppError> {
    let (conv, can) = access::load(db, viewer, conversation_id).await?;
    let deal_id = conv.deal_id.ok_or_else(|| {
        AppError::Conflict("This chat has no deal yet, so it has no deal files.".into())
    })?;
    let deal = deal::Entity::find_by_id(deal_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((conv, can, deal))
}

/// Who may put a file into the deal's folder: the deal's client, and staff who manage it.
pub fn may_upload_to_folder(viewer: Viewer, can: Access, deal: &deal::Model) -> bool {
    match viewer.role {
        Role::Client => deal.client_id == viewer.id && can.read,
        Role::Manager | Role::Admin => can.manage_deal,
    }
}

#[derive(Debug, FromQueryResult)]
struct ListRow {
    id: FileId,
    name: String,
    size: i64,
    content_type: String,
    sha256: String,
    origin: FileOrigin,
    created_at: DateTime<Utc>,
    uploader_name: Option<String>,
}

/// The deal's files, newest first, with the files shared in this chat before it had a deal.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: &DatabaseConnection,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<Vec<DealFileView>, AppError> {
    let (conv, _, deal) = deal_of_chat(db, viewer, conversation_id).await?;
    let rows = ListRow::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT f.id, f.name, f.size, f.content_type, f.sha256, f.origin, f.created_at, \
                u.display_name AS uploader_name \
         FROM files f LEFT JOIN users u ON u.id = f.uploader_id \
         WHERE f.deal_id = ? OR (f.conversation_id = ? AND f.deal_id IS NULL) \
         ORDER BY f.id DESC",
        [deal.id.into(), conv.id.into()],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DealFileView {
            file: FileRef {
                id: r.id,
                name: r.name,
                size: r.size,
                content_type: r.content_type,
                sha256: r.sha256,
            },
            uploader_name: r.uploader_name.unwrap_or_else(|| {
                match r.origin {
                    FileOrigin::Transcript => "Made at the close",
                    _ => "Former user",
                }
                .into()
            }),
            shared_in_chat: r.origin == FileOrigin::ChatShare,
            created_at_ms: r.created_at.timestamp_millis(),
        })
        .collect())
}

/// A file the viewer may download; NotFound otherwise, so strangers learn nothing.
pub async fn readable(
    db: &DatabaseConnection,
    viewer: Viewer,
    file_id: FileId,
) -> Result<file::Model, AppError> {
    let file = file::Entity::find_by_id(file_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let conversation_id = file.conversation_id.ok_or(AppError::NotFound)?;
    let (conv, _) = access::load(db, viewer, conversation_id)
        .await
        .map_err(|_| AppError::NotFound)?;
    // A deal's file is read through its deal's chat; a chat's own file through that chat.
    if file.deal_id.is_some() && conv.deal_id != file.deal_id {
        return Err(AppError::NotFound);
    }
    Ok(file)
}

/// A finished upload, checked and in the store, about to be recorded.
pub struct Finished<'a> {
    /// None in a chat without a deal: the file belongs to the chat alone.
    pub deal_id: Option<DealId>,
    pub conversation_id: ConversationId,
    pub uploader_id: UserId,
    pub name: &'a str,
    pub size: i64,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    /// Some for a share in the chat (its message text and whether it is an offer).
    pub share: Option<ShareNote>,
    pub upload_token: &'a str,
}

/// Records the file, its offer (for a `#q` share) and the chat message about it, and marks the
/// upload done, in one transaction.
pub async fn record(
    db: &DatabaseConnection,
    hub: &Hub,
    done: Finished<'_>,
) -> Result<file::Model, AppError> {
    let mut w = changes::begin(db).await?;
    // A deal closed while the bytes travelled takes no new file: the close holds the change
    // clock too, so this read inside the write is final.
    if let Some(deal_id) = done.deal_id {
        crate::server::deals::service::still_open_in(&w, deal_id).await?;
    }
    let now = Utc::now();
    let row = file::ActiveModel {
        deal_id: Set(done.deal_id),
        conversation_id: Set(Some(done.conversation_id)),
        uploader_id: Set(Some(done.uploader_id)),
        name: Set(done.name.to_owned()),
        size: Set(done.size),
        content_type: Set(done.content_type.to_owned()),
        sha256: Set(done.sha256.to_owned()),
        storage_key: Set(done.storage_key.to_owned()),
        origin: Set(if done.share.is_some() {
            FileOrigin::ChatShare
        } else {
            FileOrigin::DealFolder
        }),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&w.txn)
    .await?;
    let message = match done.share {
        None => NewMessage {
            file_id: Some(row.id),
            ..NewMessage::by(Some(done.uploader_id), kind::FOLDER_FILE, "")
        },
        Some(ShareNote { text, offer: false }) => NewMessage {
            file_id: Some(row.id),
            ..NewMessage::by(Some(done.uploader_id), kind::FILE, text)
        },
        Some(ShareNote { text, offer: true }) => {
            let deal_id = done
                .deal_id
                .ok_or_else(|| AppError::Conflict(super::home::OFFER_NEEDS_DEAL.into()))?;
            let title = if text.is_empty() {
                done.name.to_owned()
            } else {
                text.chars().take(200).collect()
            };
            let offer = file_offer::ActiveModel {
                deal_id: Set(deal_id),
                conversation_id: Set(done.conversation_id),
                file_id: Set(row.id),
                title: Set(title),
                status: Set(OfferStatus::Pending),
                reason: Set(None),
                decided_by: Set(None),
                decided_at: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&w.txn)
            .await?;
            NewMessage {
                file_id: Some(row.id),
                offer_id: Some(offer.id),
                ..NewMessage::by(Some(done.uploader_id), kind::OFFER, text)
            }
        }
    };
    messages::append(&mut w, done.conversation_id, vec![message])
        .await?
        .ok_or(AppError::NotFound)?;
    w.txn
        .execute_raw(stmt(
            w.backend(),
            "UPDATE uploads SET file_id = ? WHERE token = ?",
            [row.id.into(), done.upload_token.into()],
        ))
        .await?;
    w.commit(hub).await?;
    Ok(row)
}
