use crate::model::ids::{QuickReplyId, TeamId};
use sea_orm::entity::prelude::*;

/// An admin's template for the composer, in a language, for every operator or one team.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quick_replies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: QuickReplyId,
    pub title: String,
    pub body: String,
    pub language: String,
    pub team_id: Option<TeamId>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
