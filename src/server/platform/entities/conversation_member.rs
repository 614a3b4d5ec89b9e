use crate::model::ids::{ConversationId, UserId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversation_id: ConversationId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    /// In an internal chat, `model::internal_chat::MemberRole`; in a client chat, a reader's
    /// read marker only (`member` for its client, `viewer` for staff).
    pub role: String,
    pub last_read_seq: i64,
    pub joined_at: ChronoDateTimeUtc,
    /// When an internal chat's admin removed them: they read nothing of it since.
    pub left_at: Option<ChronoDateTimeUtc>,
    /// The change clock's tick of their last membership change (joined, role, removed).
    pub member_tick: i64,
    /// How many of the chat's `human_count` messages they have seen (everyone's up to their
    /// read marker) or written themselves (`messages::seen_sql`).
    pub seen_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
