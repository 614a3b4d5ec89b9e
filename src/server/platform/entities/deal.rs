use crate::model::ids::{DealId, FileId, UserId};
use crate::model::{DealOutcome, DealStage};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: DealId,
    pub title: String,
    pub client_id: UserId,
    pub owner_id: Option<UserId>,
    pub stage: DealStage,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub closed_at: Option<ChronoDateTimeUtc>,
    /// How it ended, once closed; why, and who closed it.
    pub outcome: Option<DealOutcome>,
    pub close_note: Option<String>,
    pub closed_by: Option<UserId>,
    /// The stage it had when it was closed: where a reopening takes it back.
    pub reopen_stage: Option<DealStage>,
    /// The change-clock tick of the last change (see `realtime::changes`).
    pub tick: i64,
    /// The deal's folder in the file store (a directory or a key prefix).
    pub folder_ref: Option<String>,
    /// The closed deal's transcript (a file of its folder), once made.
    pub transcript_file_id: Option<FileId>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
