use sea_orm::entity::prelude::*;

/// A note on a built-in CRM deal.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crm_notes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub deal_id: i64,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
