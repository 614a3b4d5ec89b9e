use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A folder or file of the WorkDrive file store: its store key and WorkDrive's id for it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workdrive_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub store_key: String,
    pub resource_id: String,
    pub is_folder: bool,
    pub size: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
