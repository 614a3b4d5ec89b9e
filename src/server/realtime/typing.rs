//! "Someone is typing": a signal that is never stored. A writer's browser announces it at most
//! every few seconds while they type; the board wakes the long-polls that have the chat open, on
//! this instance directly and on the others through `NOTIFY` on `TYPING_CHANNEL` (heard by
//! `pg_listener`). A lost announcement costs nothing: the next one comes seconds later, and the
//! reader's browser lets the line fade after a silence.

use crate::model::ids::{ConversationId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The `NOTIFY` channel typing announcements travel on between instances.
pub const TYPING_CHANNEL: &str = "dealchat_typing";

/// The shortest gap between two announcements of one writer in one chat that are passed on; the
/// browser sends one every 3 s, so this only holds back a script or a second tab.
pub const MIN_GAP: Duration = Duration::from_secs(2);

/// One announcement: who is typing where, and the name each side shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    pub conversation_id: ConversationId,
    pub user: UserId,
    /// Written on the staff side (shown to the client), else by the client (shown to staff).
    pub staff: bool,
    /// The writer's name as staff read it.
    pub name_for_staff: String,
    /// The writer's name as the client reads it (the channel's, when it answers in its name).
    pub name_for_client: String,
    /// The instance that announced it; its own listener skips it (it was published already).
    #[serde(default)]
    pub origin: u64,
}

/// The latest announcement per chat, watched by the polls that have the chat open.
pub struct TypingBoard {
    chats: Mutex<HashMap<ConversationId, watch::Sender<Option<Arc<Typing>>>>>,
    /// When each writer's last announcement per chat was passed on.
    last: Mutex<HashMap<(ConversationId, UserId), Instant>>,
    origin: u64,
}

impl Default for TypingBoard {
    fn default() -> TypingBoard {
        TypingBoard {
            chats: Mutex::default(),
            last: Mutex::default(),
            origin: rand::random(),
        }
    }
}

impl TypingBoard {
    /// Subscribes to a chat's announcements; only ones made after this call wake the receiver.
    pub fn watch(&self, chat: ConversationId) -> watch::Receiver<Option<Arc<Typing>>> {
        let mut chats = self.chats.lock().unwrap_or_else(|p| p.into_inner());
        chats
            .entry(chat)
            .or_insert_with(|| watch::channel(None).0)
            .subscribe()
    }

    /// Whether this writer's announcement is due (none passed on in the last `MIN_GAP`); if so
    /// it counts as passed on from now.
    pub fn due(&self, chat: ConversationId, user: UserId, now: Instant) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        // Forget writers who went quiet, so the map holds only the last few seconds' writers.
        if last.len() > 1024 {
            last.retain(|_, at| now.duration_since(*at) < MIN_GAP);
        }
        match last.get(&(chat, user)) {
            Some(at) if now.duration_since(*at) < MIN_GAP => false,
            _ => {
                last.insert((chat, user), now);
                true
            }
        }
    }

    /// Stamps the announcement as this instance's (for `NOTIFY`) and wakes the local watchers.
    pub fn publish(&self, mut typing: Typing) -> Typing {
        typing.origin = self.origin;
        self.wake(typing.clone());
        typing
    }

    /// An announcement heard from `NOTIFY`: passed to the local watchers unless it came from
    /// this instance. Unreadable payloads are logged and dropped.
    pub fn hear(&self, payload: &str) {
        match serde_json::from_str::<Typing>(payload) {
            Ok(t) if t.origin == self.origin => {}
            Ok(t) => self.wake(t),
            Err(e) => tracing::warn!(error = %e, "unreadable typing notice"),
        }
    }

    fn wake(&self, typing: Typing) {
        let mut chats = self.chats.lock().unwrap_or_else(|p| p.into_inner());
        let chat = typing.conversation_id;
        if let Some(tx) = chats.get(&chat) {
            if tx.receiver_count() == 0 {
                chats.remove(&chat);
            } else {
                tx.send_replace(Some(Arc::new(typing)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typing(chat: i64, user: i64) -> Typing {
        Typing {
            conversation_id: ConversationId(chat),
            user: UserId(user),
            staff: true,
            name_for_staff: "Max".into(),
            name_for_client: "Sales".into(),
            origin: 0,
        }
    }

    #[tokio::test]
    async fn watchers_of_the_chat_hear_it_and_others_do_not() {
        let board = TypingBoard::default();
        let mut mine = board.watch(ConversationId(1));
        let other = board.watch(ConversationId(2));
        board.publish(typing(1, 5));
        assert!(mine.has_changed().unwrap());
        let heard = mine.borrow_and_update().clone().expect("an announcement");
        assert_eq!(heard.user, UserId(5));
        assert!(!other.has_changed().unwrap());
    }

    #[test]
    fn a_writer_is_passed_on_at_most_once_per_gap() {
        let board = TypingBoard::default();
        let t0 = Instant::now();
        assert!(board.due(ConversationId(1), UserId(5), t0));
        assert!(!board.due(
            ConversationId(1),
            UserId(5),
            t0 + Duration::from_millis(500)
        ));
        assert!(board.due(ConversationId(2), UserId(5), t0), "another chat");
        assert!(
            board.due(ConversationId(1), UserId(6), t0),
            "another writer"
        );
        assert!(board.due(ConversationId(1), UserId(5), t0 + MIN_GAP));
    }

    #[test]
    fn its_own_notices_are_skipped_and_others_are_heard() {
        let board = TypingBoard::default();
        let mut rx = board.watch(ConversationId(1));
        let own = board.publish(typing(1, 5));
        rx.mark_unchanged();
        board.hear(&serde_json::to_string(&own).unwrap());
        assert!(!rx.has_changed().unwrap(), "its own notice came back");
        let mut foreign = typing(1, 6);
        foreign.origin = own.origin.wrapping_add(1);
        board.hear(&serde_json::to_string(&foreign).unwrap());
        assert!(rx.has_changed().unwrap());
        board.hear("not json");
    }
}
