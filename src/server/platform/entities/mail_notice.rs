use crate::model::ids::{ConversationId, UserId};
use sea_orm::entity::prelude::*;

/// When a user was last emailed about unread messages in a chat (at most one per interval).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversation_id: ConversationId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    pub last_sent_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
