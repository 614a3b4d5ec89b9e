use crate::model::ids::{ConversationId, DealId, PaymentId, UserId};
use crate::model::payment::{PaymentStatus, Provider};
use sea_orm::entity::prelude::*;

/// A payment the manager asked for in a deal chat (`#p`), and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: PaymentId,
    pub deal_id: DealId,
    pub conversation_id: ConversationId,
    /// In the currency's hundredths.
    pub amount_minor: i64,
    pub currency: String,
    pub description: String,
    /// `pending`, `paid`, `failed` or `canceled`.
    pub status: PaymentStatus,
    /// `test` or `stripe`: the provider the payment was asked through.
    pub provider: Provider,
    /// The provider's checkout session, once the client opened one.
    pub provider_ref: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub checkout_url: Option<String>,
    pub requested_by: UserId,
    pub created_at: ChronoDateTimeUtc,
    pub settled_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
