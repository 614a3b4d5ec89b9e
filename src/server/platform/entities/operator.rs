use crate::model::ids::UserId;
use crate::model::queues::OperatorStatus;
use sea_orm::entity::prelude::*;

/// An employee as an operator. `open_sessions` counts the chats they hold; an automatic
/// assignment claims a place with one conditional update of this row, so two instances never
/// push an operator over `capacity`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operators")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    pub status: OperatorStatus,
    pub capacity: i32,
    pub open_sessions: i32,
    pub last_assigned_at: Option<ChronoDateTimeUtc>,
    /// Their last poll (stamped at most every few seconds): who is really there.
    pub last_seen_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
