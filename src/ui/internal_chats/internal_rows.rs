//! The Chats tab's rows as the poll loop keeps them: newest activity first, unread counts, what
//! rings the notification sound. Plain data, tested without a browser.

use crate::model::ids::ConversationId;
use crate::model::internal_chat::InternalChatSummary;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct InternalRows {
    rows: Vec<InternalChatSummary>,
}

impl InternalRows {
    /// Newest activity first.
    pub fn rows(&self) -> &[InternalChatSummary] {
        &self.rows
    }

    pub fn get(&self, id: ConversationId) -> Option<&InternalChatSummary> {
        self.rows.iter().find(|r| r.id == id)
    }

    /// A poll's rows are the newest state of those chats; `removed` left the reader's tab.
    pub fn apply_poll(&mut self, changed: Vec<InternalChatSummary>, removed: &[ConversationId]) {
        for row in changed {
            self.upsert(row);
        }
        self.rows.retain(|r| !removed.contains(&r.id));
    }

    /// Adds or replaces one row (a chat just started here, or a poll's).
    pub fn upsert(&mut self, row: InternalChatSummary) {
        match self.rows.iter_mut().find(|r| r.id == row.id) {
            Some(old) => *old = row,
            None => self.rows.push(row),
        }
        self.rows.sort_by(|a, b| {
            b.last_message_at_ms
                .cmp(&a.last_message_at_ms)
                .then(b.id.0.cmp(&a.id.0))
        });
    }

    /// The reader has read the chat on screen: its badge clears before the server confirms.
    pub fn mark_read(&mut self, id: ConversationId) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.id == id) {
            row.unread = 0;
        }
    }

    /// Unread messages in all of them, for the page title.
    pub fn unread_total(&self) -> i64 {
        self.rows.iter().map(|r| r.unread.max(0)).sum()
    }

    /// Whether news since `before` should ring: a chat not on screen has more unread than it had.
    pub fn rings(&self, before: &InternalRows, watching: Option<ConversationId>) -> bool {
        self.rows.iter().any(|r| {
            Some(r.id) != watching && r.unread > before.get(r.id).map_or(0, |old| old.unread)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::chat::ConversationKind;
    use crate::model::internal_chat::MemberRole;

    fn row(id: i64, at: i64, unread: i64) -> InternalChatSummary {
        InternalChatSummary {
            id: ConversationId(id),
            kind: ConversationKind::Group,
            title: format!("chat {id}"),
            other_id: None,
            my_role: MemberRole::Member,
            closed: false,
            last_message_at_ms: at,
            unread,
            members: 3,
        }
    }

    fn ids(rows: &InternalRows) -> Vec<i64> {
        rows.rows().iter().map(|r| r.id.0).collect()
    }

    #[test]
    fn newest_activity_comes_first_and_removed_chats_go() {
        let mut rows = InternalRows::default();
        rows.apply_poll(vec![row(1, 10, 0), row(2, 30, 1), row(3, 20, 0)], &[]);
        assert_eq!(ids(&rows), vec![2, 3, 1]);
        rows.apply_poll(vec![row(1, 40, 2)], &[ConversationId(3)]);
        assert_eq!(ids(&rows), vec![1, 2]);
        assert_eq!(rows.unread_total(), 3);
    }

    #[test]
    fn reading_clears_a_badge_and_only_new_unread_elsewhere_rings() {
        let mut before = InternalRows::default();
        before.apply_poll(vec![row(1, 10, 1), row(2, 20, 0)], &[]);
        let mut after = before.clone();
        after.apply_poll(vec![row(2, 30, 1)], &[]);
        assert!(after.rings(&before, None));
        assert!(
            !after.rings(&before, Some(ConversationId(2))),
            "the chat on screen"
        );
        assert!(!before.rings(&before, None), "nothing new");
        after.mark_read(ConversationId(1));
        assert_eq!(after.unread_total(), 1);
    }
}
