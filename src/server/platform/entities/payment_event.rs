use crate::model::ids::PaymentId;
use crate::model::payment::Provider;
use sea_orm::entity::prelude::*;

/// A provider event already applied; its (provider, event id) is unique, so a repeat is seen.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub payment_id: Option<PaymentId>,
    pub provider: Provider,
    pub event_id: String,
    pub event_type: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
