use crate::model::ids::WorkDrivePushId;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A file on its way to WorkDrive: kept under `local_name` in the instance's WorkDrive outbox
/// until its `workdrive_push` job has stored it there (the row goes then).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workdrive_pushes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: WorkDrivePushId,
    #[sea_orm(unique)]
    pub store_key: String,
    pub local_name: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
