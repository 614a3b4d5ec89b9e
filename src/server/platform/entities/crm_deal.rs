use crate::model::{DealOutcome, DealStage};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crm_deals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub contact_id: i64,
    pub owner_email: Option<String>,
    pub stage: DealStage,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub closed_at: Option<ChronoDateTimeUtc>,
    pub outcome: Option<DealOutcome>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
