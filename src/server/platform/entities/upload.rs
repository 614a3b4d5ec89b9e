use crate::model::chat::FileOrigin;
use crate::model::ids::{ConversationId, DealId, FileId, UserId};
use sea_orm::entity::prelude::*;

/// A resumable upload in progress; its bytes so far are in the staging area.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token: String,
    pub uploader_id: UserId,
    pub conversation_id: ConversationId,
    /// The chat's deal when the upload began; empty in a chat without a deal.
    pub deal_id: Option<DealId>,
    /// `deal_folder` or `chat_share`.
    pub purpose: FileOrigin,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub expected_sha256: Option<String>,
    /// A share's message text, as the sender typed it.
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// Set once the upload completed: the file it became (a retried last chunk finds it here).
    pub file_id: Option<FileId>,
    pub created_at: ChronoDateTimeUtc,
    pub expires_at: ChronoDateTimeUtc,
    // Shared staging only (a store with `shared_staging`); the local store leaves them empty.
    /// Where the file goes once complete (its multipart upload is bound to the key).
    pub storage_key: Option<String>,
    /// Bytes staged for good: the parts and the tail.
    pub staged_bytes: i64,
    /// The last of them, not yet a part, in the tail object (`staging/<token>/<staged_bytes>`).
    pub tail_bytes: i64,
    pub multipart_id: Option<String>,
    /// The parts' tags in order, as a JSON array.
    #[sea_orm(column_type = "Text", nullable)]
    pub parts: Option<String>,
    /// The running SHA-256 of the staged bytes (`RunningHash::encode`).
    #[sea_orm(column_type = "Text", nullable)]
    pub hash_state: Option<String>,
    /// The request writing the upload now, and until when its lease holds.
    pub writer: Option<String>,
    pub writing_until: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
