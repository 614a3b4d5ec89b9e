use crate::model::chat::OfferStatus;
use crate::model::ids::{ConversationId, DealId, FileId, OfferId, UserId};
use sea_orm::entity::prelude::*;

/// A shared file the client is asked to accept or reject (a quotation, an invoice).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "file_offers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: OfferId,
    pub deal_id: DealId,
    pub conversation_id: ConversationId,
    pub file_id: FileId,
    pub title: String,
    /// `pending`, `accepted`, `rejected` or `withdrawn`.
    pub status: OfferStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
