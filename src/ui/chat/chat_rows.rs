//! The chat list (client sidebar, operator inbox) as the browser keeps it between polls: rows
//! replaced by newer ones, dropped when a colleague takes a chat, and kept in the server's order.

use crate::model::chat::ChatSummary;
use crate::model::ids::{ChannelId, ConversationId, UserId};
use std::cmp::{Ordering, Reverse};

/// One channel's line in the sidebar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelCount {
    pub channel: ChannelId,
    pub name: String,
    /// Unread messages and, for staff, waiting chats.
    pub attention: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatRows {
    /// Staff see waiting chats first; clients see theirs by last activity.
    staff: bool,
    rows: Vec<ChatSummary>,
}

impl ChatRows {
    pub fn new(staff: bool, rows: Vec<ChatSummary>) -> ChatRows {
        let mut list = ChatRows { staff, rows };
        list.sort();
        list
    }

    pub fn rows(&self) -> &[ChatSummary] {
        &self.rows
    }

    pub fn get(&self, id: ConversationId) -> Option<&ChatSummary> {
        self.rows.iter().find(|r| r.id == id)
    }

    /// Rows still waiting for a manager (the operator's queue), oldest first.
    pub fn waiting(&self) -> impl Iterator<Item = &ChatSummary> {
        self.rows.iter().filter(|r| r.waiting_since_ms.is_some())
    }

    /// Rows a manager has accepted and still holds, newest activity first.
    pub fn accepted(&self) -> impl Iterator<Item = &ChatSummary> {
        self.rows
            .iter()
            .filter(|r| r.waiting_since_ms.is_none() && r.assignee_id.is_some())
    }

    /// Rows whose last operator session ended: held by nobody until the client writes again.
    pub fn ended(&self) -> impl Iterator<Item = &ChatSummary> {
        self.rows
            .iter()
            .filter(|r| r.waiting_since_ms.is_none() && r.assignee_id.is_none() && !r.archived)
    }

    /// Rows whose deal is closed: read-only history, listed apart ("Archived").
    pub fn archived(&self) -> impl Iterator<Item = &ChatSummary> {
        self.rows.iter().filter(|r| r.archived)
    }

    /// Rows that are not archived.
    pub fn current(&self) -> impl Iterator<Item = &ChatSummary> {
        self.rows.iter().filter(|r| !r.archived)
    }

    /// A search result brought up to date: each found chat as the live list knows it now (the
    /// result may be seconds old), in list order. Searches are not repeated on every poll.
    pub fn refresh(&self, found: &[ChatSummary]) -> Vec<ChatSummary> {
        let mut rows: Vec<ChatSummary> = found
            .iter()
            .map(|f| self.get(f.id).unwrap_or(f).clone())
            .collect();
        rows.sort_by(|a, b| order(self.staff, a, b));
        rows
    }

    /// Applies a poll answer: its rows are the newest state of those chats (polls arrive in
    /// change order), except that reading done here since the poll was answered is kept.
    pub fn apply_poll(&mut self, changed: Vec<ChatSummary>, removed: &[ConversationId]) {
        for mut row in changed {
            match self.rows.iter_mut().find(|r| r.id == row.id) {
                Some(old) => {
                    keep_local_reading(old, &mut row);
                    *old = row;
                }
                None => self.rows.push(row),
            }
        }
        self.rows.retain(|r| !removed.contains(&r.id));
        self.sort();
    }

    /// Adds or replaces one row from a direct answer (start, accept). A poll may already have
    /// brought a newer state of the chat; that one is kept.
    pub fn upsert(&mut self, mut row: ChatSummary) {
        match self.rows.iter_mut().find(|r| r.id == row.id) {
            Some(old) if old.last_seq > row.last_seq => {}
            Some(old) => {
                keep_local_reading(old, &mut row);
                *old = row;
            }
            None => self.rows.push(row),
        }
        self.sort();
    }

    pub fn remove(&mut self, id: ConversationId) {
        self.rows.retain(|r| r.id != id);
    }

    /// The reader has seen everything up to `seq`: the badge clears before the server confirms.
    pub fn mark_read(&mut self, id: ConversationId, seq: i64) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.id == id)
            && seq > row.last_read_seq
        {
            row.last_read_seq = seq;
            if seq >= row.last_seq {
                row.unread = 0;
            }
        }
    }

    /// What asks for `me`'s attention, for the page title: unread messages in my chats (staff:
    /// the chats I hold) and, for staff, the chats waiting for someone.
    pub fn attention(&self, me: UserId) -> i64 {
        let unread: i64 = self
            .rows
            .iter()
            .filter(|r| !self.staff || r.assignee_id == Some(me))
            .map(|r| r.unread)
            .sum();
        let waiting = if self.staff {
            self.waiting().count()
        } else {
            0
        };
        unread + i64::try_from(waiting).unwrap_or(i64::MAX)
    }

    /// Per channel of the listed chats (by name): what asks for `me`'s attention there, as
    /// `attention` counts it. Empty when the chats are all of one channel: nothing to tell apart.
    pub fn by_channel(&self, me: UserId) -> Vec<ChannelCount> {
        let mut counts: Vec<ChannelCount> = Vec::new();
        for r in &self.rows {
            let Some(channel) = r.channel else { continue };
            let unread = if !self.staff || r.assignee_id == Some(me) {
                r.unread
            } else {
                0
            };
            let waiting = i64::from(self.staff && r.waiting_since_ms.is_some());
            match counts.iter_mut().find(|c| c.channel == channel) {
                Some(c) => c.attention += unread + waiting,
                None => counts.push(ChannelCount {
                    channel,
                    name: r.channel_name.clone().unwrap_or_default(),
                    attention: unread + waiting,
                }),
            }
        }
        if counts.len() < 2 {
            return Vec::new();
        }
        counts.sort_by(|a, b| a.name.cmp(&b.name));
        counts
    }

    /// Whether going from `before` to `self` deserves the notification sound: a new message in
    /// one of my chats, and for staff a chat that starts waiting or one given to me (by routing
    /// or a colleague: taking a waiting chat myself is no news). The chat I am looking at
    /// (`watching`) never rings: what happens there I see, and much of it I did.
    pub fn rings(&self, before: &ChatRows, me: UserId, watching: Option<ConversationId>) -> bool {
        self.rows
            .iter()
            .filter(|r| Some(r.id) != watching)
            .any(|now| {
                let was = before.get(now.id);
                let mine = !self.staff || now.assignee_id == Some(me);
                let more_unread = mine && now.unread > was.map_or(0, |w| w.unread);
                if !self.staff {
                    return more_unread;
                }
                let starts_waiting = now.waiting_since_ms.is_some()
                    && was.is_none_or(|w| w.waiting_since_ms.is_none());
                let given_to_me = now.assignee_id == Some(me)
                    && was
                        .is_none_or(|w| w.assignee_id != Some(me) && w.waiting_since_ms.is_none());
                more_unread || starts_waiting || given_to_me
            })
    }

    fn sort(&mut self) {
        let staff = self.staff;
        self.rows.sort_by(|a, b| order(staff, a, b));
    }
}

/// A row computed before our own `mark_read` reached the server still counts those messages
/// as unread; the read marker never moves back, so the newer local reading wins.
fn keep_local_reading(old: &ChatSummary, new: &mut ChatSummary) {
    if old.last_read_seq > new.last_read_seq {
        new.last_read_seq = old.last_read_seq;
        if new.last_read_seq >= new.last_seq {
            new.unread = 0;
        }
    }
}

/// The server's list order (`chat_list::summaries`): for staff, waiting chats first, the longest
/// waiting on top; then (and for clients, only) by last activity, newest first.
fn order(staff: bool, a: &ChatSummary, b: &ChatSummary) -> Ordering {
    let by_activity = |x: &ChatSummary| (Reverse(x.last_activity_ms), Reverse(x.id));
    if staff {
        let key = |x: &ChatSummary| {
            (
                x.waiting_since_ms.is_none(),
                x.waiting_since_ms,
                by_activity(x),
            )
        };
        key(a).cmp(&key(b))
    } else {
        by_activity(a).cmp(&by_activity(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, activity: i64, waiting: Option<i64>) -> ChatSummary {
        ChatSummary {
            id: ConversationId(id),
            title: format!("Chat {id}"),
            deal_id: None,
            stage: None,
            client_id: Some(UserId(100)),
            client_name: "Clara".into(),
            assignee_id: waiting.is_none().then_some(UserId(7)),
            assignee_name: None,
            waiting_since_ms: waiting,
            last_message_preview: None,
            last_activity_ms: activity,
            last_seq: 1,
            unread: 0,
            last_read_seq: 0,
            seen_seq: 0,
            queue: None,
            queue_name: None,
            channel: None,
            channel_name: None,
            archived: false,
        }
    }

    #[test]
    fn each_channel_counts_what_asks_for_attention_there() {
        let in_channel = |mut r: ChatSummary, id: i64, name: &str, unread: i64| {
            r.channel = Some(ChannelId(id));
            r.channel_name = Some(name.into());
            r.unread = unread;
            r
        };
        let me = UserId(7);
        let rows = vec![
            in_channel(row(1, 10, None), 2, "Support", 3),
            in_channel(row(2, 10, Some(5)), 2, "Support", 1),
            in_channel(row(3, 10, None), 1, "Sales", 2),
            {
                let mut theirs = in_channel(row(4, 10, None), 1, "Sales", 4);
                theirs.assignee_id = Some(UserId(8));
                theirs
            },
        ];
        let counts = |list: &ChatRows| {
            list.by_channel(me)
                .into_iter()
                .map(|c| (c.name, c.attention))
                .collect::<Vec<_>>()
        };
        // Staff: unread in the chats I hold, plus the waiting ones.
        let staff = ChatRows::new(true, rows.clone());
        assert_eq!(counts(&staff), [("Sales".into(), 2), ("Support".into(), 4)]);
        // A client: every unread message.
        let client = ChatRows::new(false, rows.clone());
        assert_eq!(
            counts(&client),
            [("Sales".into(), 6), ("Support".into(), 4)]
        );
        // One channel only: nothing to tell apart.
        let one = ChatRows::new(true, rows.into_iter().take(2).collect());
        assert!(one.by_channel(me).is_empty());
    }

    fn ids(list: &ChatRows) -> Vec<i64> {
        list.rows().iter().map(|r| r.id.0).collect()
    }

    #[test]
    fn clients_see_the_most_recently_active_chat_first() {
        let list = ChatRows::new(
            false,
            vec![row(1, 10, None), row(2, 30, None), row(3, 20, None)],
        );
        assert_eq!(ids(&list), [2, 3, 1]);
    }

    #[test]
    fn staff_see_waiting_chats_first_longest_waiting_on_top() {
        let list = ChatRows::new(
            true,
            vec![
                row(1, 50, None),
                row(2, 40, Some(20)),
                row(3, 60, Some(10)),
                row(4, 70, None),
            ],
        );
        assert_eq!(ids(&list), [3, 2, 4, 1]);
        assert_eq!(list.waiting().map(|r| r.id.0).collect::<Vec<_>>(), [3, 2]);
        assert_eq!(list.accepted().map(|r| r.id.0).collect::<Vec<_>>(), [4, 1]);
    }

    #[test]
    fn the_title_counts_my_unread_messages_and_for_staff_the_waiting_chats() {
        let me = UserId(7);
        let mut mine = row(1, 10, None);
        mine.unread = 2;
        let mut colleagues = row(2, 10, None);
        colleagues.assignee_id = Some(UserId(8));
        colleagues.unread = 5;
        let staff = ChatRows::new(
            true,
            vec![mine.clone(), colleagues.clone(), row(3, 5, Some(1))],
        );
        assert_eq!(staff.attention(me), 3, "2 unread of mine and 1 waiting");
        let client = ChatRows::new(false, vec![mine, colleagues]);
        assert_eq!(client.attention(me), 7);
    }

    #[test]
    fn the_sound_plays_for_news_not_for_what_i_did() {
        let me = UserId(7);
        let quiet = ChatRows::new(true, vec![row(1, 10, None)]);
        // A chat starts waiting.
        let waiting = ChatRows::new(true, vec![row(1, 10, None), row(2, 20, Some(20))]);
        assert!(waiting.rings(&quiet, me, None));
        assert!(!waiting.rings(&waiting, me, None), "nothing changed");
        // I accepted it myself, in its window: no news, though its unread count grew (the
        // "accepted" line).
        let mut accepted_row = row(2, 20, None);
        accepted_row.unread = 1;
        let accepted = ChatRows::new(true, vec![row(1, 10, None), accepted_row]);
        assert!(!accepted.rings(&waiting, me, Some(ConversationId(2))));
        // Routing or a colleague gave me one I never saw waiting.
        let given = ChatRows::new(true, vec![row(1, 10, None), row(3, 30, None)]);
        assert!(given.rings(&quiet, me, None));
        // A new message in my chat, not in a colleague's.
        let mut message = row(1, 40, None);
        message.unread = 1;
        assert!(ChatRows::new(true, vec![message.clone()]).rings(&quiet, me, None));
        message.assignee_id = Some(UserId(8));
        let theirs_before = ChatRows::new(
            true,
            vec![row(1, 10, None)]
                .into_iter()
                .map(|mut r| {
                    r.assignee_id = Some(UserId(8));
                    r
                })
                .collect(),
        );
        assert!(!ChatRows::new(true, vec![message]).rings(&theirs_before, me, None));
        // A client hears their manager's messages.
        let mut reply = row(1, 40, None);
        reply.unread = 1;
        let client_before = ChatRows::new(false, vec![row(1, 10, None)]);
        assert!(ChatRows::new(false, vec![reply]).rings(&client_before, UserId(100), None));
    }

    #[test]
    fn a_chat_whose_deal_closed_is_archived_and_nothing_else() {
        let mut closed = row(6, 50, None);
        closed.assignee_id = None;
        closed.archived = true;
        let mut ended = row(5, 40, None);
        ended.assignee_id = None;
        let list = ChatRows::new(true, vec![row(1, 30, None), ended, closed]);
        let ids = |rows: Vec<&ChatSummary>| rows.iter().map(|r| r.id.0).collect::<Vec<_>>();
        assert_eq!(ids(list.archived().collect()), [6]);
        assert_eq!(ids(list.ended().collect()), [5]);
        assert_eq!(ids(list.current().collect()), [5, 1]);
        assert!(list.waiting().next().is_none());
        assert_eq!(ids(list.accepted().collect()), [1]);
    }

    #[test]
    fn an_ended_chat_is_neither_waiting_nor_accepted() {
        let mut ended = row(5, 80, None);
        ended.assignee_id = None;
        let list = ChatRows::new(true, vec![row(1, 50, None), ended, row(2, 40, Some(20))]);
        assert_eq!(list.waiting().map(|r| r.id.0).collect::<Vec<_>>(), [2]);
        assert_eq!(list.accepted().map(|r| r.id.0).collect::<Vec<_>>(), [1]);
        assert_eq!(list.ended().map(|r| r.id.0).collect::<Vec<_>>(), [5]);
    }

    #[test]
    fn a_poll_replaces_changed_rows_adds_new_ones_and_resorts() {
        let mut list = ChatRows::new(false, vec![row(1, 10, None), row(2, 20, None)]);
        let mut newer = row(1, 30, None);
        newer.last_seq = 2;
        newer.unread = 1;
        list.apply_poll(vec![newer, row(3, 25, None)], &[]);
        assert_eq!(ids(&list), [1, 3, 2]);
        assert_eq!(list.get(ConversationId(1)).map(|r| r.unread), Some(1));
    }

    #[test]
    fn chats_taken_by_a_colleague_leave_the_list() {
        let mut list = ChatRows::new(true, vec![row(1, 10, Some(5)), row(2, 20, Some(6))]);
        list.apply_poll(Vec::new(), &[ConversationId(1)]);
        assert_eq!(ids(&list), [2]);
    }

    #[test]
    fn reading_clears_the_badge_at_once_and_a_stale_poll_row_does_not_bring_it_back() {
        let mut first = row(1, 10, None);
        first.last_seq = 4;
        first.unread = 3;
        let mut list = ChatRows::new(false, vec![first.clone()]);
        list.mark_read(ConversationId(1), 4);
        assert_eq!(list.get(ConversationId(1)).map(|r| r.unread), Some(0));

        // The poll answered with the row as it was before the read reached the server.
        list.apply_poll(vec![first], &[]);
        assert_eq!(
            list.get(ConversationId(1))
                .map(|r| (r.unread, r.last_read_seq)),
            Some((0, 4))
        );

        // A later message from the other side counts again.
        let mut later = row(1, 20, None);
        later.last_seq = 5;
        later.last_read_seq = 4;
        later.unread = 1;
        list.apply_poll(vec![later], &[]);
        assert_eq!(list.get(ConversationId(1)).map(|r| r.unread), Some(1));
    }

    #[test]
    fn a_direct_answer_older_than_the_polled_row_is_ignored() {
        let mut polled = row(1, 20, None);
        polled.last_seq = 3;
        let mut list = ChatRows::new(true, vec![polled]);
        let mut accepted = row(1, 10, None);
        accepted.last_seq = 2;
        list.upsert(accepted);
        assert_eq!(list.get(ConversationId(1)).map(|r| r.last_seq), Some(3));
        list.upsert(row(2, 5, Some(5)));
        assert_eq!(ids(&list), [2, 1]);
    }

    #[test]
    fn a_search_result_shows_the_live_rows_in_list_order() {
        let mut list = ChatRows::new(
            false,
            vec![row(1, 10, None), row(2, 30, None), row(3, 20, None)],
        );
        let found = [row(1, 10, None), row(2, 30, None)];
        let mut newer = row(1, 40, None);
        newer.unread = 2;
        list.apply_poll(vec![newer], &[]);
        let shown = list.refresh(&found);
        assert_eq!(shown.iter().map(|r| r.id.0).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(shown[0].unread, 2);
    }
}
