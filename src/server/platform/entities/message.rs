use crate::model::ids::{ConversationId, FileId, MessageId, OfferId, PaymentId, UserId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub seq: i64,
    pub sender_id: Option<UserId>,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub client_msg_id: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    /// The file a file message shows.
    pub file_id: Option<FileId>,
    /// The offer an offer card (or a decision on it) shows.
    pub offer_id: Option<OfferId>,
    /// The payment request a payment card (or its status line) shows.
    pub payment_id: Option<PaymentId>,
    /// Only staff read it (session boundaries).
    pub staff_only: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
