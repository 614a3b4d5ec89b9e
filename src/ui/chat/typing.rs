//! "Max is typing…": when the writer's browser announces typing (at most every
//! `ANNOUNCE_EVERY_MS` while they type), and how long the reader's line stays without news.

use crate::model::chat::MessageView;
use crate::model::ids::UserId;

/// The writer's browser announces at most this often while the text changes.
pub const ANNOUNCE_EVERY_MS: i64 = 3_000;
/// The reader's line goes after this long without an announcement.
pub const FADES_AFTER_MS: u64 = 6_000;

/// When the writer last announced.
#[derive(Clone, Copy, Debug, Default)]
pub struct Throttle {
    last_ms: Option<i64>,
}

impl Throttle {
    /// Whether an announcement is due now (and counts it as made).
    pub fn due(&mut self, now_ms: i64) -> bool {
        match self.last_ms {
            Some(last) if now_ms - last < ANNOUNCE_EVERY_MS && now_ms >= last => false,
            _ => {
                self.last_ms = Some(now_ms);
                true
            }
        }
    }

    /// The message went out: typing again is news at once.
    pub fn reset(&mut self) {
        self.last_ms = None;
    }
}

/// Who the reader sees typing, since when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typist {
    pub name: String,
    pub at_ms: i64,
}

impl Typist {
    pub fn line(&self) -> String {
        format!("{} is typing…", self.name)
    }
}

/// Whether new messages end the line at once: one written by someone else (they sent what
/// they were typing); the product's own lines do not.
pub fn ends_typing(messages: &[MessageView], me: UserId) -> bool {
    messages
        .iter()
        .any(|m| m.sender_id.is_some_and(|sender| sender != me))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_go_out_at_most_every_three_seconds_and_again_after_sending() {
        let mut t = Throttle::default();
        assert!(t.due(1_000));
        assert!(!t.due(2_000));
        assert!(!t.due(3_999));
        assert!(t.due(4_000));
        t.reset();
        assert!(t.due(4_100));
        // A clock that went back (a suspended laptop) does not silence the writer.
        assert!(t.due(100));
    }

    #[test]
    fn only_someone_elses_message_ends_the_line() {
        use crate::model::chat::SenderSide;
        use crate::model::ids::{ConversationId, MessageId};
        use crate::model::message::MessageContent;
        let m = |sender: Option<UserId>| MessageView {
            id: MessageId(1),
            conversation_id: ConversationId(1),
            seq: 1,
            sender_id: sender,
            sender_name: String::new(),
            side: SenderSide::Staff,
            client_msg_id: None,
            created_at_ms: 0,
            content: MessageContent::Text { body: "x".into() },
        };
        let me = UserId(1);
        assert!(ends_typing(&[m(Some(UserId(2)))], me));
        assert!(!ends_typing(&[m(Some(me)), m(None)], me));
        assert!(!ends_typing(&[], me));
    }
}
