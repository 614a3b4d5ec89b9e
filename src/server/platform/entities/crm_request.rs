use crate::model::crm_rules::CrmModule;
use crate::model::ids::{ConversationId, CrmRequestId, UserId};
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A CRM record staff asked for from a chat (manual mode); `session_id` is 0 for the client's
/// lead or contact.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crm_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: CrmRequestId,
    pub conversation_id: ConversationId,
    pub module: CrmModule,
    pub session_id: i64,
    pub requested_by: UserId,
    pub requested_at: DateTime<Utc>,
    pub record_id: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
