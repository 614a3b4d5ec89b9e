use crate::model::chat::{ConversationKind, ConversationStatus};
use crate::model::ids::{ChannelId, ConversationId, DealId, QueueId, UserId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub subject: String,
    pub client_id: Option<UserId>,
    pub deal_id: Option<DealId>,
    pub assignee_id: Option<UserId>,
    pub status: ConversationStatus,
    pub last_seq: i64,
    /// The last message its client may read (staff-only messages come after it).
    pub client_seq: i64,
    pub last_message_at: ChronoDateTimeUtc,
    pub queued_at: Option<ChronoDateTimeUtc>,
    pub tick: i64,
    /// The tick of the last change of assignee: lets pollers drop chats a colleague took.
    pub assigned_tick: i64,
    pub created_at: ChronoDateTimeUtc,
    /// The queue it waits in (or last waited in).
    pub queue_id: Option<QueueId>,
    /// The channel its client started it in.
    pub channel_id: Option<ChannelId>,
    /// Who started an internal chat.
    pub created_by: Option<UserId>,
    /// A personal chat's pair of users (`internal_chats::rules::direct_key`): one chat per pair.
    pub direct_key: Option<String>,
    /// How many of its messages people wrote (those with a sender): with a member's
    /// `seen_count`, their unread count.
    pub human_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
