use crate::model::crm::SyncOutcome;
use crate::model::ids::{ConversationId, DealId};
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// One line of the sync log: a CRM action a delivery took, or a delivery that failed or waits.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crm_sync_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub provider: String,
    pub at: DateTime<Utc>,
    /// The job's kind (`jobs::JobKind::name`) and target: retrying finds the job by them.
    pub job: String,
    pub target: i64,
    pub deal_id: Option<DealId>,
    /// The chat a connector delivery (person, session record) is about.
    pub conversation_id: Option<ConversationId>,
    pub action: String,
    /// The CRM's module (`Contacts`, `Deals`, `Notes`, `Attachments`).
    pub module: Option<String>,
    pub remote_id: Option<String>,
    pub outcome: SyncOutcome,
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
