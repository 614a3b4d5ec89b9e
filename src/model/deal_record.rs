//! A deal's record page (the built-in CRM's view of a deal, for staff): its fields, its stage
//! history, its attachments and notes, and the chats linked to it.

use crate::model::chat::{DealFileView, DealView};
use crate::model::ids::ConversationId;
use serde::{Deserialize, Serialize};

/// A change of the deal's stage or state, worded as the chat words it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    pub at_ms: i64,
    pub text: String,
}

/// A file attached to the CRM's copy of the deal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmAttachmentView {
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub created_at_ms: i64,
}

/// A chat linked to the deal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedChat {
    pub id: ConversationId,
    pub client_name: String,
    /// `open` or `closed`.
    pub status: String,
    pub messages: i64,
    pub last_message_at_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealRecord {
    pub deal: DealView,
    /// Oldest first.
    pub history: Vec<HistoryLine>,
    /// The deal's files (its folder, files shared in its chats, its transcript), newest first.
    pub files: Vec<DealFileView>,
    /// What the CRM holds on its copy of the deal; None when the CRM could not be read (the
    /// page says so and shows the rest).
    pub crm_attachments: Option<Vec<CrmAttachmentView>>,
    pub crm_notes: Option<Vec<String>>,
    pub chats: Vec<LinkedChat>,
}
