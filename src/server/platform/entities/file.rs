use crate::model::chat::FileOrigin;
use crate::model::ids::{ConversationId, DealId, FileId, UserId};
use sea_orm::entity::prelude::*;

/// A stored file: in a deal's folder, shared in its chat, or shared in a chat without a deal
/// (`deal_id` empty: it belongs to that chat alone).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: FileId,
    pub deal_id: Option<DealId>,
    pub conversation_id: Option<ConversationId>,
    pub uploader_id: Option<UserId>,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    /// Lower-case hex of the content's SHA-256, computed while it streamed in.
    pub sha256: String,
    pub storage_key: String,
    /// `deal_folder` or `chat_share`.
    pub origin: FileOrigin,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
