use crate::model::channels::ChannelRight;
use crate::model::ids::{ChannelId, TeamId};
use crate::model::role::Role;
use sea_orm::entity::prelude::*;

/// One grant: a role or a team (exactly one is set) may use or operate a channel.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_rights")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: ChannelId,
    pub right_kind: ChannelRight,
    pub role: Option<Role>,
    pub team_id: Option<TeamId>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
