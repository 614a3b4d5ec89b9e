use crate::model::ids::{QueueId, TeamId};
use crate::model::queues::Routing;
use sea_orm::entity::prelude::*;

/// Where waiting chats line up: worked by a team (none: every employee), handed out by a
/// routing rule, its sessions closing as idle after its timeout.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "queues")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: QueueId,
    pub name: String,
    pub team_id: Option<TeamId>,
    pub routing: Routing,
    pub timeout_minutes: i32,
    pub is_default: bool,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
