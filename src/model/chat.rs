//! What the browser gets about chats: list rows, messages, deal details, and poll results.
//! Times are milliseconds since the Unix epoch (UTC) so the WASM bundle needs no date library.

use crate::model::DealStage;
use crate::model::ids::{
    ChannelId, ConversationId, DealId, FileId, MessageId, OfferId, QueueId, UserId,
};
use crate::model::message::MessageContent;
use crate::model::money::Money;
use crate::model::names::stored_names;
use serde::{Deserialize, Serialize};

/// How a client starts a chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatTopic {
    /// A new project: creates a deal at Inquiry linked to the chat.
    Project,
    /// A general question: no deal until a manager creates or links one.
    Question,
}

impl ChatTopic {
    pub fn parse(raw: &str) -> Option<ChatTopic> {
        match raw.trim() {
            "project" => Some(ChatTopic::Project),
            "question" => Some(ChatTopic::Question),
            _ => None,
        }
    }
}

/// Who wrote a message, as the reader needs to style it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SenderSide {
    Client,
    Staff,
    /// Written by the product itself (stage changes, assignments).
    System,
}

/// A stored file, as a message or the deal's file list shows it. Download it at
/// `/files/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub id: FileId,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
}

/// Largest picture the chat shows as a preview; a larger one is a download card only.
pub const PREVIEW_MAX_BYTES: i64 = 10 * 1024 * 1024;

impl FileRef {
    pub fn download_url(&self) -> String {
        format!("/files/{}", self.id)
    }

    /// Whether a message shows the file as a picture: a raster type every browser shows (never
    /// SVG, which may carry script) and not so large that the chat should wait for it.
    pub fn previewable(&self) -> bool {
        matches!(
            self.content_type.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        ) && (0..=PREVIEW_MAX_BYTES).contains(&self.size)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "OfferStatus::as_str")
)]
pub enum OfferStatus {
    Pending,
    Accepted,
    Rejected,
    Withdrawn,
}

stored_names!(OfferStatus {
    Pending => "pending",
    Accepted => "accepted",
    Rejected => "rejected",
    Withdrawn => "withdrawn",
});

/// What a conversation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "ConversationKind::as_str")
)]
pub enum ConversationKind {
    /// Between a client and the company (a deal chat), worked by operators.
    Client,
    /// A personal chat between two users (internal chats).
    Direct,
    /// A named group chat with member roles (internal chats).
    Group,
}

stored_names!(ConversationKind {
    Client => "client",
    Direct => "direct",
    Group => "group",
});

impl ConversationKind {
    /// Personal and group chats: only their members read them.
    pub fn is_internal(self) -> bool {
        matches!(self, ConversationKind::Direct | ConversationKind::Group)
    }
}

/// Why an operator session closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "CloseReason::as_str")
)]
pub enum CloseReason {
    /// The operator ended it.
    Ended,
    /// Nobody wrote for the queue's timeout.
    Idle,
    /// Handed to another operator or queue.
    Transferred,
    /// The deal was closed.
    DealClosed,
}

stored_names!(CloseReason {
    Ended => "ended",
    Idle => "idle",
    Transferred => "transferred",
    DealClosed => "deal_closed",
});

/// Whether a conversation takes new messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "ConversationStatus::as_str")
)]
pub enum ConversationStatus {
    Open,
    Closed,
}

stored_names!(ConversationStatus {
    Open => "open",
    Closed => "closed",
});

/// Where a deal's file came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(value_type = "String", to_str = "FileOrigin::as_str")
)]
pub enum FileOrigin {
    /// Uploaded into the deal's folder (by the client or a manager).
    DealFolder,
    /// Shared by a manager in the chat (possibly as an offer).
    ChatShare,
    /// The closed deal's transcript, made by the product (never uploaded).
    Transcript,
}

stored_names!(FileOrigin {
    DealFolder => "deal_folder",
    ChatShare => "chat_share",
    Transcript => "transcript",
});

/// An offer as it stands now (a card shows the newest state it heard of).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    pub id: OfferId,
    pub title: String,
    pub status: OfferStatus,
    pub reason: Option<String>,
}

/// A file in the deal's folder, for the "Deal files" panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealFileView {
    pub file: FileRef,
    pub uploader_name: String,
    /// Shared by a manager in the chat, rather than uploaded to the folder.
    pub shared_in_chat: bool,
    pub created_at_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    /// Position in the conversation, from 1 without gaps: the poll and history cursor.
    pub seq: i64,
    pub sender_id: Option<UserId>,
    pub sender_name: String,
    pub side: SenderSide,
    /// The id the sender's browser gave the message, so it can match its optimistic echo.
    pub client_msg_id: Option<String>,
    pub created_at_ms: i64,
    /// What it says or shows; its `kind` tag sits beside the fields above in the JSON.
    #[serde(flatten)]
    pub content: MessageContent,
}

/// Another client account that may be the same person as a chat's client, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateView {
    pub id: UserId,
    pub name: String,
    pub email: String,
    /// "same name", "same email domain (acme.com)", "same phone".
    pub reasons: Vec<String>,
}

/// One row of the sidebar (clients) or the inbox (managers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatSummary {
    pub id: ConversationId,
    /// The deal's title, or the subject of a general question.
    pub title: String,
    pub deal_id: Option<DealId>,
    pub stage: Option<DealStage>,
    pub client_id: Option<UserId>,
    pub client_name: String,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    /// When it entered the queue, while no manager has accepted it.
    pub waiting_since_ms: Option<i64>,
    pub last_message_preview: Option<String>,
    pub last_activity_ms: i64,
    pub last_seq: i64,
    /// Messages from others after the reader's last read one.
    pub unread: i64,
    /// The reader's last read message, for the "new messages" marker.
    pub last_read_seq: i64,
    /// How far the other side has read (the client's marker for staff, the furthest of the
    /// staff's for the client): "Seen" under the reader's own messages up to it.
    #[serde(default)]
    pub seen_seq: i64,
    /// The queue it waits (or waited) in; staff only.
    pub queue: Option<QueueId>,
    pub queue_name: Option<String>,
    /// The channel it was started in.
    #[serde(default)]
    pub channel: Option<ChannelId>,
    #[serde(default)]
    pub channel_name: Option<String>,
    /// Its deal is closed: the chat is read-only history, listed under "Archived".
    #[serde(default)]
    pub archived: bool,
}

/// The deal behind a chat, as a manager sees it beside the conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealView {
    pub id: DealId,
    pub title: String,
    pub stage: DealStage,
    pub amount: Option<Money>,
    pub client_name: String,
    pub client_email: String,
    pub owner_name: Option<String>,
    pub created_at_ms: i64,
    pub closed_at_ms: Option<i64>,
    /// How a closed deal ended, who closed it and why.
    #[serde(default)]
    pub outcome: Option<crate::model::DealOutcome>,
    #[serde(default)]
    pub closed_by_name: Option<String>,
    #[serde(default)]
    pub close_note: Option<String>,
    /// The closed deal's transcript (PDF), once made.
    #[serde(default)]
    pub transcript: Option<FileRef>,
}

impl DealView {
    /// Whether the deal is closed (won or lost): its chat is read-only history.
    pub fn is_closed(&self) -> bool {
        self.closed_at_ms.is_some()
    }

    /// "Closed as won on 3 Dec 2026 by Ana": what a closed deal's chat shows instead of its
    /// composer. None while the deal is open.
    pub fn closed_line(&self, clock: &crate::model::local_time::LocalClock) -> Option<String> {
        let at = self.closed_at_ms?;
        let mut line = match self.outcome {
            Some(outcome) => format!("Closed as {outcome} on {}", clock.date(at)),
            None => format!("Closed on {}", clock.date(at)),
        };
        if let Some(by) = &self.closed_by_name {
            line.push_str(&format!(" by {by}"));
        }
        line.push('.');
        if let Some(note) = self.close_note.as_deref().filter(|n| !n.is_empty()) {
            line.push_str(&format!(" Reason: {note}"));
        }
        Some(line)
    }
}

/// Everything the chat window needs when it opens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatDetail {
    pub summary: ChatSummary,
    pub deal: Option<DealView>,
    /// The newest page of messages, oldest first.
    pub messages: Vec<MessageView>,
    /// True when older messages exist before the first one here.
    pub has_older: bool,
    /// What the reader may do here.
    pub can_reply: bool,
    pub can_accept: bool,
    pub can_change_stage: bool,
    /// For a client, when replies come in the channel's name: the channel's picture, shown
    /// beside them.
    #[serde(default)]
    pub voice_image: Option<String>,
    /// Files may be attached in the composer: staff who may reply; a client in a chat without a
    /// deal whose channel allows it.
    #[serde(default)]
    pub can_attach: bool,
}

/// Where a poller stands: the change clock for lists, and the open chat's last seen message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollCursor {
    pub tick: i64,
    pub conversation_id: Option<ConversationId>,
    pub after_seq: i64,
}

/// What changed since a cursor; `cursor` is where the next poll starts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollUpdate {
    pub cursor: PollCursor,
    /// List rows that changed (new chats, new messages, stage, assignment, read state).
    pub chats: Vec<ChatSummary>,
    /// Chats that left the reader's list (accepted by another manager).
    pub removed: Vec<ConversationId>,
    /// New messages in the open chat, oldest first.
    pub messages: Vec<MessageView>,
    /// The open chat's deal, when it changed.
    pub deal: Option<DealView>,
    /// More messages are waiting: poll again at once.
    pub more: bool,
    /// The other side started or went on typing in the open chat: their name as the reader
    /// sees it. Sent only with the announcement (at most every few seconds while they type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typing: Option<String>,
    /// Rows of the Chats tab (personal and group chats) that changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub internal: Vec<crate::model::internal_chat::InternalChatSummary>,
    /// Personal and group chats the reader was removed from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub internal_removed: Vec<ConversationId>,
}

/// One line of a streamed poll: an answer, or the error that ended the stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PollLine {
    Update(Box<PollUpdate>),
    Error(crate::model::AppError),
}

impl PollUpdate {
    pub fn is_empty(&self) -> bool {
        self.chats.is_empty()
            && self.internal.is_empty()
            && self.internal_removed.is_empty()
            && self.removed.is_empty()
            && self.messages.is_empty()
            && self.deal.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(content_type: &str, size: i64) -> FileRef {
        FileRef {
            id: crate::model::ids::FileId(1),
            name: "a".into(),
            size,
            content_type: content_type.into(),
            sha256: String::new(),
        }
    }

    #[test]
    fn a_closed_deal_says_how_when_and_by_whom() {
        use crate::model::local_time::{LocalClock, TimeZone};
        let mut deal = DealView {
            id: crate::model::ids::DealId(1),
            title: "Roof".into(),
            stage: crate::model::DealStage::Completion,
            amount: None,
            client_name: String::new(),
            client_email: String::new(),
            owner_name: None,
            created_at_ms: 0,
            closed_at_ms: None,
            outcome: None,
            closed_by_name: None,
            close_note: None,
            transcript: None,
        };
        // 3 Dec 2026, 23:30 UTC: already the 4th an hour east.
        let clock = |offset| LocalClock {
            now_ms: 0,
            zone: TimeZone::Fixed(offset),
        };
        assert_eq!(deal.closed_line(&clock(0)), None);
        deal.closed_at_ms = Some(1_796_340_600_000);
        deal.outcome = Some(crate::model::DealOutcome::Won);
        deal.closed_by_name = Some("Ana".into());
        assert_eq!(
            deal.closed_line(&clock(0)).as_deref(),
            Some("Closed as won on 3 Dec 2026 by Ana.")
        );
        assert_eq!(
            deal.closed_line(&clock(60)).as_deref(),
            Some("Closed as won on 4 Dec 2026 by Ana.")
        );
        deal.outcome = Some(crate::model::DealOutcome::Lost);
        deal.close_note = Some("Went elsewhere".into());
        assert_eq!(
            deal.closed_line(&clock(0)).as_deref(),
            Some("Closed as lost on 3 Dec 2026 by Ana. Reason: Went elsewhere")
        );
    }

    #[test]
    fn only_raster_pictures_of_a_sensible_size_are_previewed() {
        for shown in ["image/png", "image/jpeg", "image/gif", "image/webp"] {
            assert!(file(shown, 1000).previewable(), "{shown}");
        }
        assert!(file("image/png", PREVIEW_MAX_BYTES).previewable());
        assert!(!file("image/png", PREVIEW_MAX_BYTES + 1).previewable());
        for not_shown in [
            "image/svg+xml",
            "application/pdf",
            "text/html",
            "image/tiff",
        ] {
            assert!(!file(not_shown, 1000).previewable(), "{not_shown}");
        }
    }
}
