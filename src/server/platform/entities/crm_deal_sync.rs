use crate::model::ids::DealId;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// What we last sent to a CRM for one of our deals, in the CRM's own terms (its stage value).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crm_deal_syncs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub deal_id: DealId,
    pub sent_stage: Option<String>,
    pub sent_amount_minor: Option<i64>,
    pub sent_owner_email: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
