use crate::model::chat::CloseReason;
use crate::model::ids::{ConversationId, OperatorSessionId, QueueId, UserId};
use sea_orm::entity::prelude::*;

/// The staff side of a client chat for a while: it opens when the chat starts waiting, gets an
/// operator when someone takes it, and closes (ended, idle, transferred, deal closed). The client
/// sees one thread throughout.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operator_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: OperatorSessionId,
    pub conversation_id: ConversationId,
    pub operator_id: Option<UserId>,
    pub opened_at: ChronoDateTimeUtc,
    pub assigned_at: Option<ChronoDateTimeUtc>,
    pub closed_at: Option<ChronoDateTimeUtc>,
    pub close_reason: Option<CloseReason>,
    pub closed_by: Option<UserId>,
    pub wrap_up: Option<String>,
    pub queue_id: Option<QueueId>,
    /// The operator's first message in the session.
    pub first_response_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
