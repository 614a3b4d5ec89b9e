use crate::model::ids::UserId;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// An OAuth `state` handed to an admin's browser: only its SHA-256 is kept, bound to the
/// SHA-256 of the admin's session id, with the client credentials (sealed) to use at the callback.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crm_oauth_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: String,
    pub session_hash: String,
    pub user_id: UserId,
    /// Sealed.
    pub client_id: String,
    /// Sealed.
    pub client_secret: String,
    pub accounts_server: String,
    pub created_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
