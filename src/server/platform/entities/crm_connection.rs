use crate::model::crm::ConnectionStatus;
use crate::model::ids::UserId;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// Sealed columns hold `platform::secret_box` text, never a secret in the clear.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crm_connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    pub status: ConnectionStatus,
    pub status_reason: Option<String>,
    /// Sealed.
    pub client_id: String,
    /// Sealed.
    pub client_secret: String,
    pub accounts_server: String,
    pub api_domain: String,
    pub location: String,
    /// Sealed.
    pub refresh_token: String,
    /// Sealed.
    pub access_token: Option<String>,
    pub access_expires_at: Option<DateTime<Utc>>,
    pub account_email: Option<String>,
    pub account_name: Option<String>,
    pub account_user_id: Option<String>,
    pub org_id: Option<String>,
    pub org_name: Option<String>,
    pub connected_by: UserId,
    pub connected_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
