use crate::model::Role;
use crate::model::ids::UserId;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: ChronoDateTimeUtc,
    /// When the owner proved the address is theirs (the link in the verification mail).
    pub email_verified_at: Option<ChronoDateTimeUtc>,
    /// Whether they want an email when a manager writes while they are away.
    pub notify_by_email: bool,
    /// Whether their browser plays the notification sound.
    pub sound_on: bool,
    /// What the client told us in their account (the CRM connector matches and writes them).
    pub phone: Option<String>,
    pub company: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
