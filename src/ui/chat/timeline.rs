//! The open chat's messages as the window shows them: stored messages in `seq` order, the
//! reader's own messages still on their way (optimistic echoes), where the poll continues, and
//! the rows the list renders (day separators, the "New messages" marker).
//!
//! Every merge is idempotent: a message that arrives as a send answer, through the poll and
//! in a history page is shown once, and its echo disappears when it does.

use crate::model::AppError;
use crate::model::chat::{MessageView, OfferView, SenderSide};
use crate::model::ids::{ConversationId, MessageId, UserId};
use crate::model::local_time::LocalClock;
use crate::model::message::{MessageContent, SystemEvent};

/// Where an own message stands that the server has not confirmed yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    Sending,
    /// Not stored; the text says why. Retrying reuses the message's id.
    Failed(String),
}

/// An own message shown before the server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub client_msg_id: String,
    pub body: String,
    pub created_at_ms: i64,
    pub delivery: Delivery,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// The reader, to recognise their own messages.
    me: UserId,
    conversation_id: ConversationId,
    /// Stored messages, ascending `seq` (unique in a conversation, so it also identifies them).
    messages: Vec<MessageView>,
    outgoing: Vec<Outgoing>,
    /// The poll continues after this: every message up to it came from the open page, the
    /// poll or history. Send answers do not move it, so others' messages sent meanwhile are
    /// still fetched.
    poll_seq: i64,
    has_older: bool,
    /// The first message that was unread when the chat opened; the marker stays put while the
    /// chat is open even after it has been read.
    unread_from_seq: Option<i64>,
    /// How far the other side has read: "Seen" goes under the reader's newest message up to it.
    seen_seq: i64,
}

/// One line of the message list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Day {
        day: i64,
        label: String,
    },
    NewMessages,
    /// The other side has read up to the message above.
    Seen,
    /// Boxed: a message row is far larger than the other rows.
    Message(Box<MessageRow>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRow {
    pub sender: String,
    pub own: bool,
    /// Written on the staff side (the channel's picture goes beside it for a client).
    pub staff_side: bool,
    pub time: String,
    /// Stored messages have an id; echoes have their client id and delivery state instead.
    pub id: Option<MessageId>,
    pub client_msg_id: Option<String>,
    pub delivery: Option<Delivery>,
    /// What it says or shows; offers and payments as they stand now (the newest state any
    /// message of this chat carries). Echoes are text.
    pub content: MessageContent,
}

impl Row {
    /// Identifies the row for keyed rendering; it changes whenever what the row shows changes,
    /// so the view re-renders exactly the rows that differ.
    pub fn key(&self) -> String {
        match self {
            Row::Day { day, label } => format!("d{day}-{label}"),
            Row::NewMessages => "new".to_owned(),
            Row::Seen => "seen".to_owned(),
            Row::Message(m) => match (&m.id, &m.client_msg_id, &m.delivery) {
                (Some(id), _, _) => format!(
                    "m{id}-{}-{}{}",
                    m.time,
                    m.content.offer().map_or("", |o| o.status.as_str()),
                    m.content.payment().map_or("", |p| p.status.as_str())
                ),
                (None, cmid, delivery) => format!(
                    "o{}-{}-{}",
                    cmid.as_deref().unwrap_or_default(),
                    m.time,
                    match delivery {
                        Some(Delivery::Failed(e)) => e.as_str(),
                        _ => "sending",
                    }
                ),
            },
        }
    }
}

/// What a failed send says beside its Retry button: the server's own sentence (too long, too
/// fast), or plainly that the server was not reached.
pub fn send_error_text(err: &AppError) -> String {
    match err {
        AppError::Transport(_) => "Not sent: the server could not be reached.".to_owned(),
        other => other.to_string(),
    }
}

impl Timeline {
    /// The chat as it opened: its newest page and the reader's read marker.
    pub fn open(
        me: UserId,
        conversation_id: ConversationId,
        messages: Vec<MessageView>,
        has_older: bool,
        last_read_seq: i64,
    ) -> Timeline {
        let unread_from_seq = messages
            .iter()
            .find(|m| m.seq > last_read_seq && m.sender_id != Some(me))
            .map(|m| m.seq)
            // When the whole conversation is new, a marker above all of it says nothing.
            .filter(|seq| has_older || messages.first().is_some_and(|m| m.seq < *seq));
        Timeline {
            me,
            conversation_id,
            poll_seq: messages.last().map_or(0, |m| m.seq),
            messages,
            outgoing: Vec::new(),
            has_older,
            unread_from_seq,
            seen_seq: 0,
        }
    }

    /// The other side's read marker, as the live list row has it now.
    pub fn set_seen(&mut self, seq: i64) {
        self.seen_seq = seq;
    }

    pub fn seen_seq(&self) -> i64 {
        self.seen_seq
    }

    /// The message "Seen" goes under: the reader's newest stored message the other side has read,
    /// unless the other side has written since (their reply says they read it).
    pub fn seen_under(&self) -> Option<i64> {
        let mine = self
            .messages
            .iter()
            .rev()
            .find(|m| m.seq <= self.seen_seq && m.sender_id == Some(self.me))?;
        let answered = self
            .messages
            .iter()
            .any(|m| m.seq > mine.seq && m.sender_id.is_some() && m.sender_id != Some(self.me));
        (!answered).then_some(mine.seq)
    }

    pub fn me(&self) -> UserId {
        self.me
    }

    pub fn poll_seq(&self) -> i64 {
        self.poll_seq
    }

    pub fn has_older(&self) -> bool {
        self.has_older
    }

    /// The oldest loaded message: history is fetched before it.
    pub fn first_seq(&self) -> Option<i64> {
        self.messages.first().map(|m| m.seq)
    }

    /// The newest stored message shown: what reading the chat to the end marks as read.
    pub fn last_seq(&self) -> i64 {
        self.messages.last().map_or(0, |m| m.seq)
    }

    /// The seq of the newest stored line of the product's that `pick` chooses (0: none), so a
    /// window can refresh what such a line changed (a group chat's links).
    pub fn newest_event(&self, pick: impl Fn(&SystemEvent) -> bool) -> i64 {
        self.messages
            .iter()
            .rev()
            .find(|m| matches!(&m.content, MessageContent::System { event } if pick(event)))
            .map_or(0, |m| m.seq)
    }

    /// What the newest row is, to notice new arrivals (stored id or own echo id).
    pub fn newest(&self) -> Option<(Option<MessageId>, bool)> {
        match self.outgoing.last() {
            Some(_) => Some((None, true)),
            None => self
                .messages
                .last()
                .map(|m| (Some(m.id), m.sender_id == Some(self.me))),
        }
    }

    /// Adds stored messages from any source; returns how many were not shown before. Messages
    /// of another conversation (a stale answer) are ignored.
    pub fn merge(&mut self, incoming: impl IntoIterator<Item = MessageView>) -> usize {
        let mut added = 0;
        for message in incoming {
            if message.conversation_id != self.conversation_id {
                continue;
            }
            if message.sender_id == Some(self.me)
                && let Some(cmid) = &message.client_msg_id
            {
                self.outgoing.retain(|o| &o.client_msg_id != cmid);
            }
            if let Err(at) = self.messages.binary_search_by_key(&message.seq, |m| m.seq) {
                self.messages.insert(at, message);
                added += 1;
            }
        }
        if added > 0 {
            self.sync_cards();
        }
        added
    }

    /// Every message about an offer or a payment shows it as the newest of them says (a
    /// decision or a payment's result arriving later turns the original card).
    fn sync_cards(&mut self) {
        sync_newest(&mut self.messages, |m| m.content.offer_mut(), |o| o.id);
        sync_newest(&mut self.messages, |m| m.content.payment_mut(), |p| p.id);
    }

    /// An offer's new state, heard from the decision's answer before the poll brings it.
    pub fn update_offer(&mut self, now: &OfferView) {
        for m in &mut self.messages {
            if let Some(offer) = m.content.offer_mut().filter(|o| o.id == now.id) {
                *offer = now.clone();
            }
        }
    }

    /// How many messages show a file: the deal's file list reloads when it grows.
    pub fn file_messages(&self) -> usize {
        self.messages
            .iter()
            .filter(|m| m.content.file().is_some())
            .count()
    }

    /// A poll answer: new messages and where the next poll starts.
    pub fn apply_poll(&mut self, messages: Vec<MessageView>, after_seq: i64) -> usize {
        self.poll_seq = self.poll_seq.max(after_seq);
        self.merge(messages)
    }

    /// A page of older messages (oldest first); an empty or first page means the start.
    pub fn add_older(&mut self, older: Vec<MessageView>) {
        self.has_older = older.first().is_some_and(|m| m.seq > 1);
        self.merge(older);
    }

    /// Shows an own message at once, before the server answers.
    pub fn push_outgoing(&mut self, client_msg_id: String, body: String, now_ms: i64) {
        self.outgoing.push(Outgoing {
            client_msg_id,
            body,
            created_at_ms: now_ms,
            delivery: Delivery::Sending,
        });
    }

    /// The server refused or could not be reached.
    pub fn fail(&mut self, client_msg_id: &str, reason: String) {
        if let Some(o) = self
            .outgoing
            .iter_mut()
            .find(|o| o.client_msg_id == client_msg_id)
        {
            o.delivery = Delivery::Failed(reason);
        }
    }

    /// Marks a failed message as sending again and returns its text to send under the same id.
    pub fn retry(&mut self, client_msg_id: &str) -> Option<String> {
        let o = self
            .outgoing
            .iter_mut()
            .find(|o| o.client_msg_id == client_msg_id)?;
        o.delivery = Delivery::Sending;
        Some(o.body.clone())
    }

    /// The list as shown: a separator before each new local day, the marker before the first
    /// message unread at opening, echoes after the stored messages.
    pub fn rows(&self, clock: LocalClock) -> Vec<Row> {
        let mut rows = Vec::with_capacity(self.messages.len() + self.outgoing.len() + 4);
        let seen_under = self.seen_under();
        let mut last_day = None;
        let mut day_break = |rows: &mut Vec<Row>, ms: i64| {
            let day = clock.day_of(ms);
            if last_day != Some(day) {
                last_day = Some(day);
                rows.push(Row::Day {
                    day,
                    label: clock.day_label(ms),
                });
            }
        };
        for m in &self.messages {
            day_break(&mut rows, m.created_at_ms);
            if self.unread_from_seq == Some(m.seq) {
                rows.push(Row::NewMessages);
            }
            let own = m.sender_id == Some(self.me);
            rows.push(Row::Message(Box::new(MessageRow {
                sender: if own {
                    "You".to_owned()
                } else {
                    m.sender_name.clone()
                },
                own,
                staff_side: m.side == SenderSide::Staff,
                time: clock.time_of_day(m.created_at_ms),
                id: Some(m.id),
                client_msg_id: None,
                delivery: None,
                content: m.content.clone(),
            })));
            if seen_under == Some(m.seq) {
                rows.push(Row::Seen);
            }
        }
        for o in &self.outgoing {
            day_break(&mut rows, o.created_at_ms);
            rows.push(Row::Message(Box::new(MessageRow {
                sender: "You".to_owned(),
                own: true,
                staff_side: false,
                time: clock.time_of_day(o.created_at_ms),
                id: None,
                client_msg_id: Some(o.client_msg_id.clone()),
                delivery: Some(o.delivery.clone()),
                content: MessageContent::Text {
                    body: o.body.clone(),
                },
            })));
        }
        rows
    }
}

/// Makes every copy of a card (found by `card`, told apart by `id`) equal to the newest
/// message's copy; messages are in seq order.
fn sync_newest<T: Clone, K: PartialEq>(
    messages: &mut [MessageView],
    card: impl Fn(&mut MessageView) -> Option<&mut T>,
    id: impl Fn(&T) -> K,
) {
    let mut newest: Vec<T> = Vec::new();
    for m in messages.iter_mut() {
        if let Some(c) = card(m) {
            match newest.iter_mut().find(|n| id(n) == id(c)) {
                Some(known) => *known = c.clone(),
                None => newest.push(c.clone()),
            }
        }
    }
    for m in messages.iter_mut() {
        if let Some(c) = card(m)
            && let Some(now) = newest.iter().find(|n| id(n) == id(c))
        {
            *c = now.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::local_time::TimeZone;

    const ME: UserId = UserId(10);
    const OTHER: UserId = UserId(20);
    const CHAT: ConversationId = ConversationId(5);
    /// 2025-02-03 14:03 UTC.
    const T: i64 = 1_738_591_380_000;
    const DAY: i64 = 86_400_000;

    fn msg(seq: i64, sender: Option<UserId>, at: i64) -> MessageView {
        MessageView {
            id: MessageId(1000 + seq),
            conversation_id: CHAT,
            seq,
            sender_id: sender,
            sender_name: match sender {
                Some(ME) => "Clara".into(),
                Some(_) => "Max".into(),
                None => String::new(),
            },
            side: match sender {
                Some(ME) => SenderSide::Client,
                Some(_) => SenderSide::Staff,
                None => SenderSide::System,
            },
            client_msg_id: sender.map(|s| format!("c{s}-{seq}")),
            created_at_ms: at,
            content: MessageContent::Text {
                body: format!("message {seq}"),
            },
        }
    }

    fn clock() -> LocalClock {
        LocalClock {
            now_ms: T,
            zone: TimeZone::Fixed(0),
        }
    }

    fn seqs(t: &Timeline) -> Vec<i64> {
        t.messages.iter().map(|m| m.seq).collect()
    }

    fn labels(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                Row::Day { label, .. } => format!("[{label}]"),
                Row::NewMessages => "[new]".to_owned(),
                Row::Seen => "[seen]".to_owned(),
                Row::Message(m) => {
                    let body = m.content.describe(&m.sender);
                    match &m.delivery {
                        None => body,
                        Some(Delivery::Sending) => format!("{body} (sending)"),
                        Some(Delivery::Failed(e)) => format!("{body} (failed: {e})"),
                    }
                }
            })
            .collect()
    }

    #[test]
    fn seen_goes_under_my_newest_read_message_until_the_other_side_answers() {
        let mut t = Timeline::open(
            ME,
            CHAT,
            vec![
                msg(1, Some(OTHER), T),
                msg(2, Some(ME), T),
                msg(3, Some(ME), T),
            ],
            false,
            3,
        );
        assert_eq!(t.seen_under(), None, "nothing read yet");
        t.set_seen(2);
        assert_eq!(t.seen_under(), Some(2), "read up to my first reply");
        let rows = labels(&t.rows(clock()));
        assert_eq!(rows[3], "[seen]", "{rows:?}");
        assert_eq!(rows[4], "message 3");
        t.set_seen(3);
        assert_eq!(t.seen_under(), Some(3));
        // A system line after it says nothing about reading; a reply does.
        t.apply_poll(vec![msg(4, None, T)], 4);
        t.set_seen(4);
        assert_eq!(t.seen_under(), Some(3));
        t.apply_poll(vec![msg(5, Some(OTHER), T)], 5);
        t.set_seen(5);
        assert_eq!(t.seen_under(), None);
        assert!(!labels(&t.rows(clock())).contains(&"[seen]".to_owned()));
    }

    #[test]
    fn a_message_arriving_twice_is_shown_once() {
        let mut t = Timeline::open(ME, CHAT, vec![msg(1, Some(ME), T)], false, 1);
        assert_eq!(t.apply_poll(vec![msg(2, Some(OTHER), T)], 2), 1);
        assert_eq!(t.apply_poll(vec![msg(2, Some(OTHER), T)], 2), 0);
        assert_eq!(t.merge([msg(1, Some(ME), T)]), 0);
        assert_eq!(seqs(&t), [1, 2]);
    }

    #[test]
    fn messages_are_kept_in_seq_order_whatever_order_they_arrive_in() {
        let mut t = Timeline::open(ME, CHAT, vec![msg(5, Some(OTHER), T)], true, 5);
        t.merge([msg(7, Some(OTHER), T)]);
        t.apply_poll(vec![msg(6, Some(OTHER), T)], 7);
        t.add_older(vec![msg(3, None, T), msg(4, Some(ME), T)]);
        assert_eq!(seqs(&t), [3, 4, 5, 6, 7]);
        assert_eq!(t.first_seq(), Some(3));
        assert!(t.has_older());
        t.add_older(vec![msg(1, Some(ME), T), msg(2, None, T)]);
        assert!(!t.has_older());
    }

    #[test]
    fn messages_of_another_chat_are_ignored() {
        let mut t = Timeline::open(ME, CHAT, vec![msg(1, Some(ME), T)], false, 1);
        let mut stray = msg(2, Some(OTHER), T);
        stray.conversation_id = ConversationId(6);
        assert_eq!(t.merge([stray]), 0);
    }

    #[test]
    fn an_echo_shows_at_once_and_is_replaced_by_the_stored_message() {
        let mut t = Timeline::open(ME, CHAT, vec![msg(1, Some(ME), T)], false, 1);
        t.push_outgoing("c10-2".into(), "message 2".into(), T);
        assert_eq!(
            labels(&t.rows(clock())),
            ["[Today]", "message 1", "message 2 (sending)"]
        );
        // The poll may deliver it before the send answers; the answer then changes nothing.
        t.apply_poll(vec![msg(2, Some(ME), T)], 2);
        t.merge([msg(2, Some(ME), T)]);
        assert_eq!(
            labels(&t.rows(clock())),
            ["[Today]", "message 1", "message 2"]
        );
    }

    #[test]
    fn a_failed_send_keeps_its_text_and_id_for_the_retry() {
        let mut t = Timeline::open(ME, CHAT, vec![], false, 0);
        t.push_outgoing("abc".into(), "hello".into(), T);
        t.fail("abc", "You are sending too fast.".into());
        assert_eq!(
            labels(&t.rows(clock())),
            ["[Today]", "hello (failed: You are sending too fast.)"]
        );
        assert_eq!(t.retry("abc").as_deref(), Some("hello"));
        assert_eq!(labels(&t.rows(clock())), ["[Today]", "hello (sending)"]);
        assert_eq!(t.retry("unknown"), None);
    }

    #[test]
    fn another_senders_client_id_never_removes_my_echo() {
        let mut t = Timeline::open(ME, CHAT, vec![], false, 0);
        t.push_outgoing("same".into(), "mine".into(), T);
        let mut theirs = msg(1, Some(OTHER), T);
        theirs.client_msg_id = Some("same".into());
        t.merge([theirs]);
        assert_eq!(t.outgoing.len(), 1);
    }

    #[test]
    fn send_answers_do_not_move_the_poll_cursor() {
        let mut t = Timeline::open(ME, CHAT, vec![msg(1, Some(ME), T)], false, 1);
        // Someone else's message 2 is on its way through the poll while mine got seq 3.
        t.merge([msg(3, Some(ME), T)]);
        assert_eq!(t.poll_seq(), 1);
        assert_eq!(t.last_seq(), 3);
        t.apply_poll(vec![msg(2, Some(OTHER), T), msg(3, Some(ME), T)], 3);
        assert_eq!((t.poll_seq(), seqs(&t)), (3, vec![1, 2, 3]));
    }

    #[test]
    fn days_are_separated_and_the_unread_marker_sits_before_the_first_unread() {
        let t = Timeline::open(
            ME,
            CHAT,
            vec![
                msg(1, Some(ME), T - DAY - 60_000),
                msg(2, Some(OTHER), T - DAY),
                msg(3, Some(ME), T - 120_000),
                msg(4, None, T - 60_000),
                msg(5, Some(OTHER), T),
            ],
            false,
            3,
        );
        assert_eq!(
            labels(&t.rows(clock())),
            [
                "[Yesterday]",
                "message 1",
                "message 2",
                "[Today]",
                "message 3",
                "[new]",
                "message 4",
                "message 5"
            ]
        );
    }

    #[test]
    fn no_marker_when_nothing_or_everything_is_unread() {
        let read = Timeline::open(
            ME,
            CHAT,
            vec![msg(1, Some(ME), T), msg(2, Some(OTHER), T)],
            false,
            2,
        );
        assert!(!labels(&read.rows(clock())).contains(&"[new]".to_owned()));
        let fresh = Timeline::open(ME, CHAT, vec![msg(1, Some(OTHER), T)], false, 0);
        assert!(!labels(&fresh.rows(clock())).contains(&"[new]".to_owned()));
        // My own messages after the marker are not "new" to me.
        let own = Timeline::open(
            ME,
            CHAT,
            vec![msg(1, Some(OTHER), T), msg(2, Some(ME), T)],
            false,
            1,
        );
        assert!(!labels(&own.rows(clock())).contains(&"[new]".to_owned()));
    }

    #[test]
    fn keys_change_when_a_row_changes() {
        let mut t = Timeline::open(ME, CHAT, vec![], false, 0);
        t.push_outgoing("abc".into(), "hi".into(), T);
        let sending = t.rows(clock())[1].key();
        t.fail("abc", "offline".into());
        let failed = t.rows(clock())[1].key();
        assert_ne!(sending, failed);
        t.merge([{
            let mut m = msg(1, Some(ME), T);
            m.client_msg_id = Some("abc".into());
            m
        }]);
        assert!(t.rows(clock())[1].key().starts_with('m'));
    }

    #[test]
    fn an_unreachable_server_is_said_plainly_and_refusals_keep_the_servers_words() {
        assert_eq!(
            send_error_text(&AppError::Transport("TypeError: Failed to fetch".into())),
            "Not sent: the server could not be reached."
        );
        assert_eq!(
            send_error_text(&AppError::RateLimited {
                retry_after_ms: 300
            }),
            "You are sending too fast. Wait a moment and try again."
        );
    }

    #[test]
    fn a_decision_turns_the_original_offer_card() {
        use crate::model::chat::OfferStatus;
        let offer = |status| OfferView {
            id: crate::model::ids::OfferId(9),
            title: "quotation v1".into(),
            status,
            reason: None,
        };
        let mut card = msg(1, Some(UserId(2)), T);
        card.content = MessageContent::Offer {
            body: String::new(),
            file: None,
            offer: offer(OfferStatus::Pending),
        };
        let mut t = Timeline::open(ME, CHAT, vec![card], false, 1);
        let mut decision = msg(2, Some(ME), T + 1);
        decision.content = MessageContent::OfferDecision {
            offer: offer(OfferStatus::Accepted),
            file: None,
            reason: None,
        };
        t.apply_poll(vec![decision], 2);
        let statuses: Vec<_> = t
            .rows(clock())
            .into_iter()
            .filter_map(|r| match r {
                Row::Message(m) => m.content.offer().map(|o| o.status),
                _ => None,
            })
            .collect();
        assert_eq!(statuses, vec![OfferStatus::Accepted, OfferStatus::Accepted]);
        // An older page carrying the stale state does not turn it back.
        t.add_older(Vec::new());
        t.update_offer(&offer(OfferStatus::Accepted));
        assert_eq!(t.file_messages(), 0);
    }

    #[test]
    fn a_payment_result_turns_the_pay_card() {
        use crate::model::money::Money;
        use crate::model::payment::{PaymentStatus, PaymentView};
        let pay = |status| PaymentView {
            id: crate::model::ids::PaymentId(4),
            amount: Money::parse("1500", "EUR").unwrap(),
            description: "Deposit".into(),
            status,
            test_mode: true,
        };
        let mut card = msg(1, Some(OTHER), T);
        card.content = MessageContent::Payment {
            body: String::new(),
            payment: pay(PaymentStatus::Pending),
        };
        let mut t = Timeline::open(ME, CHAT, vec![card], false, 1);
        let mut paid = msg(2, None, T + 1);
        paid.content = MessageContent::PaymentStatus {
            payment: pay(PaymentStatus::Paid),
            status: PaymentStatus::Paid,
        };
        t.apply_poll(vec![paid], 2);
        let rows = t.rows(clock());
        let statuses: Vec<_> = rows
            .iter()
            .filter_map(|r| match r {
                Row::Message(m) => m.content.payment().map(|p| p.status),
                _ => None,
            })
            .collect();
        assert_eq!(statuses, vec![PaymentStatus::Paid, PaymentStatus::Paid]);
        // The card's key changes with its status, so the list re-renders it.
        let keys: Vec<String> = rows.iter().map(Row::key).collect();
        assert!(
            keys.iter()
                .any(|k| k.starts_with("m1001-") && k.ends_with("paid")),
            "{keys:?}"
        );
    }
}
