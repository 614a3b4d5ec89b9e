use crate::model::chat::FileOrigin;
use sea_orm::entity::prelude::*;

/// A stored file: in a deal's folder, or shared in its chat.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub deal_id: i64,
    pub conversation_id: Option<i64>,
    pub uploader_id: Option<i64>,
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
