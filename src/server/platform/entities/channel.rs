use crate::model::ids::{ChannelId, QueueId};
use sea_orm::entity::prelude::*;

/// Where clients start chats: its waiting chats go to `queue_id`; who may use and operate it is
/// in `channel_rights`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: ChannelId,
    pub name: String,
    /// Only active channels are offered for new chats; chats already in it go on.
    pub active: bool,
    pub queue_id: QueueId,
    /// The language of its quick replies (a BCP 47 tag).
    pub language: String,
    /// Clients read the operators' replies under the channel's name.
    pub on_behalf: bool,
    /// Ending a chat of this channel needs a wrap-up note.
    pub wrap_up_required: bool,
    /// Used when a client does not pick one.
    pub is_default: bool,
    pub created_at: ChronoDateTimeUtc,
    /// Its picture in the file store, if it has one, and the picture's type.
    pub image_key: Option<String>,
    pub image_type: Option<String>,
    /// Grows with every new picture: part of the picture's address, so browsers may cache it.
    pub image_version: i64,
    /// Its clients may attach files and images in chats without a deal (a deal's chat keeps
    /// the rule that a client's files go into the deal's folder).
    pub client_files: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
