//! The real-time hub: long-polls wait here until a change that concerns their user commits.
//!
//! Changes are announced to an *audience* (some users, and whether every employee's inbox is
//! affected); administrators hear every change. Each waiting poll holds a `watch` receiver per
//! key it listens on, so an idle poller costs a few small allocations and no work. With
//! PostgreSQL, every commit also sends `NOTIFY` and each instance's listener republishes it
//! locally, so pollers on any instance wake (see `pg_listener`).
//!
//! The hub also remembers the newest tick announced to each key. A poll whose cursor is at or
//! past that for all its keys has nothing new to read, so it waits without touching the database.
//! This only holds for changes the hub has heard of: before it is sure to hear of every commit
//! (at start-up, until the `LISTEN` connection stands, after that connection was lost) its
//! *floor* makes every older cursor look at the database.

pub mod changes;
pub mod pg_listener;
pub mod typing;

use crate::model::Role;
use crate::model::ids::UserId;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Mutex;
use tokio::sync::watch;

/// The `NOTIFY` channel every instance listens on.
pub const CHANNEL: &str = "dealchat_changes";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    User(UserId),
    /// Every manager and administrator: the shared inbox changed.
    Staff,
    /// Every administrator: they see all chats.
    Admins,
}

/// Who must hear about a change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Audience {
    pub users: Vec<UserId>,
    /// The shared inbox changed (a waiting chat appeared, moved or was taken).
    pub staff: bool,
    /// Users whose account or sessions changed: every instance reads their sessions from the
    /// database again instead of from memory (`accounts::session_cache`).
    pub accounts: Vec<UserId>,
    /// The change only added messages to internal chats or moved their read marks: no deal
    /// chat, deal list or anyone's right to read changed. Polls woken by such changes alone
    /// skip those reads (`Hub::only_internal_after`). False unless every part of the write said
    /// so: any other audience merged in makes the whole change a wide one.
    pub internal_only: bool,
}

impl Audience {
    pub fn users(users: impl IntoIterator<Item = Option<UserId>>) -> Audience {
        let mut users: Vec<UserId> = users.into_iter().flatten().collect();
        users.sort_unstable();
        users.dedup();
        Audience {
            users,
            staff: false,
            accounts: Vec::new(),
            internal_only: false,
        }
    }

    /// The audience a write starts with: nobody yet. Merging the first part of the write
    /// decides whether it stays internal-only.
    pub fn nobody_yet() -> Audience {
        Audience {
            internal_only: true,
            ..Audience::default()
        }
    }

    /// The members of internal chats, for a change that only added messages there or moved
    /// read marks.
    pub fn internal_members(users: impl IntoIterator<Item = UserId>) -> Audience {
        Audience {
            internal_only: true,
            ..Audience::users(users.into_iter().map(Some))
        }
    }

    /// Whether a change heard by this audience is internal-only: a write that named nobody
    /// (which wakes the administrators only) counts as a wide one.
    fn is_internal_only(&self) -> bool {
        self.internal_only && !self.users.is_empty() && !self.staff && self.accounts.is_empty()
    }

    /// The same audience, also telling every instance that `user`'s account or sessions changed.
    pub fn with_account(mut self, user: UserId) -> Audience {
        if !self.accounts.contains(&user) {
            self.accounts.push(user);
        }
        self
    }

    pub fn with_staff(mut self, staff: bool) -> Audience {
        self.staff |= staff;
        self
    }

    pub fn merge(&mut self, other: &Audience) {
        self.internal_only &= other.internal_only;
        self.users.extend_from_slice(&other.users);
        self.users.sort_unstable();
        self.users.dedup();
        self.staff |= other.staff;
        self.accounts.extend_from_slice(&other.accounts);
        self.accounts.sort_unstable();
        self.accounts.dedup();
    }

    /// The hub keys that hear of a change for this audience: its users, the shared inbox if it
    /// changed, and the administrators always.
    fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        self.users
            .iter()
            .map(|user| Key::User(*user))
            .chain(self.staff.then_some(Key::Staff))
            .chain([Key::Admins])
    }

    /// Compact wire form for `NOTIFY` payloads: `tick;staff;u1,u2;a1,a2;i` (the accounts part is
    /// left out when empty and nothing follows it; `;i` ends an internal-only change's).
    pub fn encode(&self, tick: i64) -> String {
        let list = |ids: &[UserId]| {
            ids.iter()
                .map(UserId::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut text = format!("{tick};{};{}", u8::from(self.staff), list(&self.users));
        let internal_only = self.is_internal_only();
        if !self.accounts.is_empty() || internal_only {
            text.push(';');
            text.push_str(&list(&self.accounts));
        }
        if internal_only {
            text.push_str(";i");
        }
        text
    }

    pub fn decode(payload: &str) -> Option<(i64, Audience)> {
        let ids = |text: &str| {
            text.split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().ok())
                .collect::<Option<Vec<UserId>>>()
        };
        let mut parts = payload.splitn(5, ';');
        let tick = parts.next()?.parse().ok()?;
        let staff = match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        let users = ids(parts.next()?)?;
        let accounts = ids(parts.next().unwrap_or(""))?;
        let internal_only = match parts.next() {
            None => false,
            Some("i") => true,
            Some(_) => return None,
        };
        Some((
            tick,
            Audience {
                users,
                staff,
                accounts,
                internal_only,
            },
        ))
    }
}

pub struct Hub {
    keys: Mutex<HashMap<Key, watch::Sender<i64>>>,
    heard: Mutex<Heard>,
    stopping: watch::Sender<bool>,
    /// Who is typing where: not a change of the clock, so it has its own signal.
    pub typing: typing::TypingBoard,
}

/// When accounts changed, as stamps of one counter: what a session read from the database at
/// stamp S may have missed is any change stamped S or later.
#[derive(Default)]
struct AccountChanges {
    /// The stamp the next change gets.
    next: u64,
    /// Each user's latest change.
    changed: HashMap<UserId, u64>,
    /// Every account counts as changed at this stamp: notices may have been missed.
    all: u64,
}

impl AccountChanges {
    fn stamp(&mut self) -> u64 {
        let s = self.next;
        self.next += 1;
        s
    }
}

/// The floor while the hub cannot tell what it missed: above every cursor, so every poll reads
/// the database.
const UNKNOWN_FLOOR: i64 = i64::MAX;

/// What the hub knows of past changes.
struct Heard {
    /// Every change after this tick has been announced here (`UNKNOWN_FLOOR`: not known yet).
    floor: i64,
    /// The newest tick announced to each key since the floor was set.
    newest: HashMap<Key, i64>,
    /// The newest tick of a change that was not internal-only (the floor when none since).
    newest_wide: i64,
    /// The newest tick of any change (the floor when none since).
    newest_any: i64,
    /// Every tick up to this one has been heard (the floor when none since). Ticks are taken in
    /// commit order, one after another, but each write announces its own after its commit, so
    /// a later tick can be heard first: an internal-only one while a wide one before it is
    /// still on its way. Until that one is heard, the hub cannot tell that nothing wide came
    /// after a cursor below it (`only_internal_after`).
    heard_through: i64,
    /// The ticks heard above `heard_through`.
    heard_above: BTreeSet<i64>,
    /// Which users' accounts or sessions changed; while the floor is not known, every one may have.
    accounts: AccountChanges,
}

/// The most ticks the hub keeps above one not yet heard. A tick whose announcement never comes
/// (its writer's request was dropped between the commit and the announcement) is then counted
/// as a wide change, so every cursor below it reads everything once.
const MAX_HEARD_ABOVE: usize = 4096;

impl Heard {
    /// Notes that `tick` was heard. One heard already (on PostgreSQL an instance hears its own
    /// commits twice), or at or below what was heard through, changes nothing.
    fn note(&mut self, tick: i64) {
        if tick <= self.heard_through || !self.heard_above.insert(tick) {
            return;
        }
        self.advance();
        if self.heard_above.len() > MAX_HEARD_ABOVE
            && let Some(&lowest) = self.heard_above.first()
        {
            // Give up on the ticks below `lowest`: counted as wide, they make the cursors
            // below them read everything.
            self.newest_wide = self.newest_wide.max(lowest - 1);
            self.heard_through = lowest - 1;
            self.advance();
        }
    }

    /// Moves `heard_through` up over the ticks heard right above it.
    fn advance(&mut self) {
        while self.heard_above.remove(&(self.heard_through + 1)) {
            self.heard_through += 1;
        }
    }

    /// Whether some tick after `tick` (up to the newest heard) has not been heard yet.
    fn unheard_after(&self, tick: i64) -> bool {
        let from = tick.max(self.heard_through);
        if from >= self.newest_any {
            return false;
        }
        let heard = self.heard_above.range(from + 1..).count();
        usize::try_from(self.newest_any - from).unwrap_or(usize::MAX) > heard
    }
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            keys: Mutex::default(),
            heard: Mutex::new(Heard {
                floor: UNKNOWN_FLOOR,
                newest: HashMap::new(),
                newest_wide: UNKNOWN_FLOOR,
                newest_any: UNKNOWN_FLOOR,
                heard_through: UNKNOWN_FLOOR,
                heard_above: BTreeSet::new(),
                accounts: AccountChanges::default(),
            }),
            stopping: watch::Sender::default(),
            typing: typing::TypingBoard::default(),
        }
    }
}

/// A poller's ears: resolves when a change for its user, its inbox or the shutdown arrives.
pub struct Subscription {
    receivers: Vec<watch::Receiver<i64>>,
    stopping: watch::Receiver<bool>,
}

impl Subscription {
    /// Waits for the next change announced after this subscription was made (or since the last
    /// call). Returns false when the server is shutting down.
    pub async fn changed(&mut self) -> bool {
        if *self.stopping.borrow() {
            return false;
        }
        let mut waits: Vec<_> = self
            .receivers
            .iter_mut()
            .map(|rx| Box::pin(rx.changed()))
            .collect();
        let any = std::future::poll_fn(|cx| {
            for w in waits.iter_mut() {
                if w.as_mut().poll(cx).is_ready() {
                    return std::task::Poll::Ready(());
                }
            }
            std::task::Poll::Pending
        });
        tokio::select! {
            _ = any => true,
            _ = self.stopping.changed() => false,
        }
    }
}

impl Hub {
    pub fn new() -> Hub {
        Hub::default()
    }

    fn keys_for(user_id: UserId, role: Role) -> Vec<Key> {
        match role {
            Role::Client => vec![Key::User(user_id)],
            Role::Manager => vec![Key::User(user_id), Key::Staff],
            Role::Admin => vec![Key::User(user_id), Key::Staff, Key::Admins],
        }
    }

    /// Start listening before reading the database, so no change can slip between the read and
    /// the wait.
    pub fn subscribe(&self, user_id: UserId, role: Role) -> Subscription {
        let mut keys = self.keys.lock().expect("hub lock");
        let receivers = Hub::keys_for(user_id, role)
            .into_iter()
            .map(|key| {
                keys.entry(key)
                    .or_insert_with(|| watch::channel(0).0)
                    .subscribe()
            })
            .collect();
        Subscription {
            receivers,
            stopping: self.stopping.subscribe(),
        }
    }

    /// From now on every commit after `tick` is announced to this hub: the caller has just read
    /// the clock (at start-up on SQLite, once `LISTEN` stands on PostgreSQL).
    pub fn hear_everything_after(&self, tick: i64) {
        let mut heard = self.heard.lock().expect("hub lock");
        heard.floor = tick;
        heard.newest.clear();
        heard.newest_wide = tick;
        heard.newest_any = tick;
        heard.heard_through = tick;
        heard.heard_above.clear();
        heard.accounts.all = heard.accounts.stamp();
    }

    /// The stamp to keep with an account read from the database now, for `account_changed_since`.
    pub fn account_stamp(&self) -> u64 {
        self.heard.lock().expect("hub lock").accounts.next
    }

    /// Whether `user`'s account or sessions may have changed since `stamp` (always, while the
    /// hub cannot be sure to hear every change).
    pub fn account_changed_since(&self, user: UserId, stamp: u64) -> bool {
        let heard = self.heard.lock().expect("hub lock");
        let accounts = &heard.accounts;
        heard.floor == UNKNOWN_FLOOR
            || accounts.all >= stamp
            || accounts.changed.get(&user).is_some_and(|c| *c >= stamp)
    }

    /// Forgets what was heard, so every poll reads the database again (notices may be lost).
    pub fn forget(&self) {
        self.hear_everything_after(UNKNOWN_FLOOR);
    }

    /// True when a change after `tick` may concern this user: one was announced to one of their
    /// keys, or the hub cannot tell.
    pub fn may_have_news(&self, user_id: UserId, role: Role, tick: i64) -> bool {
        let heard = self.heard.lock().expect("hub lock");
        if tick < heard.floor {
            return true;
        }
        Hub::keys_for(user_id, role)
            .iter()
            .any(|key| heard.newest.get(key).is_some_and(|t| *t > tick))
    }

    /// True when every change after `tick` (anyone's, not only this user's) was internal-only:
    /// no deal chat, deal list or right to read changed since, so a poll at that cursor need not
    /// read the deal lists, and an access check made at that tick still holds. False whenever
    /// the hub cannot tell, also while a tick after `tick` has not been heard yet: a read then
    /// reads everything, and its cursor may move past that tick.
    pub fn only_internal_after(&self, tick: i64) -> bool {
        let heard = self.heard.lock().expect("hub lock");
        heard.floor != UNKNOWN_FLOOR
            && tick >= heard.floor
            && heard.newest_wide <= tick
            && !heard.unheard_after(tick)
    }

    /// The newest tick this hub has heard of (None while it cannot be sure to hear every
    /// change). Every change at or below it has committed, because a tick is taken only after
    /// the one before it committed; so a read that starts after this call sees all of them.
    pub fn newest_heard(&self) -> Option<i64> {
        let heard = self.heard.lock().expect("hub lock");
        (heard.floor != UNKNOWN_FLOOR).then_some(heard.newest_any)
    }

    /// Wakes everyone in `audience` (and every administrator). Called after the commit.
    pub fn publish(&self, tick: i64, audience: &Audience) {
        {
            let mut heard = self.heard.lock().expect("hub lock");
            // Before any poll wakes: a woken poll asks whether its session is still alive.
            for user in &audience.accounts {
                let s = heard.accounts.stamp();
                heard.accounts.changed.insert(*user, s);
            }
            for key in audience.keys() {
                let newest = heard.newest.entry(key).or_insert(tick);
                *newest = (*newest).max(tick);
            }
            if heard.floor != UNKNOWN_FLOOR {
                heard.newest_any = heard.newest_any.max(tick);
                if !audience.is_internal_only() {
                    heard.newest_wide = heard.newest_wide.max(tick);
                }
                heard.note(tick);
            }
        }
        let mut keys = self.keys.lock().expect("hub lock");
        for key in audience.keys() {
            if let Some(tx) = keys.get(&key) {
                if tx.receiver_count() == 0 {
                    keys.remove(&key);
                } else {
                    // Only a newer tick wakes. On PostgreSQL this instance hears its own commits
                    // twice, published here and again from `LISTEN` a moment later: the second
                    // wake (of all 500 members of a group, for each message) found nothing to
                    // read. A key at or past `tick` woke for a commit at least as new, and every
                    // commit up to that one had committed before the poll it woke read.
                    tx.send_if_modified(|t| {
                        let newer = tick > *t;
                        *t = (*t).max(tick);
                        newer
                    });
                }
            }
        }
    }

    /// Wakes every waiting poll, so each re-reads the database. Used after a lost `LISTEN`
    /// connection, when notifications may have been missed.
    pub fn publish_all(&self) {
        let mut keys = self.keys.lock().expect("hub lock");
        keys.retain(|_, tx| tx.receiver_count() > 0);
        for tx in keys.values() {
            tx.send_modify(|_| {});
        }
    }

    /// Answers every waiting poll now; used by graceful shutdown.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::timeout;

    const SHORT: Duration = Duration::from_millis(50);

    #[tokio::test]
    async fn a_client_wakes_only_for_their_own_changes() {
        let hub = Hub::new();
        let mut sub = hub.subscribe(UserId(7), Role::Client);
        hub.publish(1, &Audience::users([Some(UserId(8))]).with_staff(true));
        assert!(
            timeout(SHORT, sub.changed()).await.is_err(),
            "woke for someone else"
        );
        hub.publish(2, &Audience::users([Some(UserId(7))]));
        assert_eq!(timeout(SHORT, sub.changed()).await, Ok(true));
    }

    #[tokio::test]
    async fn a_change_before_the_wait_is_not_missed() {
        let hub = Hub::new();
        let mut sub = hub.subscribe(UserId(3), Role::Manager);
        hub.publish(1, &Audience::default().with_staff(true));
        assert_eq!(timeout(SHORT, sub.changed()).await, Ok(true));
    }

    #[tokio::test]
    async fn a_commit_heard_twice_wakes_a_poll_once() {
        // Published by the instance that committed, then again from PostgreSQL's `NOTIFY`.
        let hub = Hub::new();
        let mut sub = hub.subscribe(UserId(7), Role::Client);
        let change = Audience::internal_members([UserId(7)]);
        hub.publish(5, &change);
        assert_eq!(timeout(SHORT, sub.changed()).await, Ok(true));
        hub.publish(5, &change);
        assert!(
            timeout(SHORT, sub.changed()).await.is_err(),
            "woke again for the same commit"
        );
        hub.publish(4, &Audience::users([Some(UserId(7))]));
        assert!(
            timeout(SHORT, sub.changed()).await.is_err(),
            "woke for an older commit, heard late"
        );
        hub.publish(6, &change);
        assert_eq!(timeout(SHORT, sub.changed()).await, Ok(true));
        // After a lost `LISTEN` connection every poll wakes, whatever it heard.
        hub.publish_all();
        assert_eq!(timeout(SHORT, sub.changed()).await, Ok(true));
    }

    #[tokio::test]
    async fn admins_hear_every_change_and_managers_only_the_inbox() {
        let hub = Hub::new();
        let mut admin = hub.subscribe(UserId(1), Role::Admin);
        let mut manager = hub.subscribe(UserId(2), Role::Manager);
        hub.publish(1, &Audience::users([Some(UserId(9))]));
        assert_eq!(timeout(SHORT, admin.changed()).await, Ok(true));
        assert!(timeout(SHORT, manager.changed()).await.is_err());
    }

    #[tokio::test]
    async fn stopping_releases_waiting_polls() {
        let hub = Hub::new();
        let mut sub = hub.subscribe(UserId(1), Role::Client);
        hub.stop();
        assert_eq!(timeout(SHORT, sub.changed()).await, Ok(false));
    }

    #[test]
    fn before_its_floor_is_known_the_hub_sends_every_poll_to_the_database() {
        let hub = Hub::new();
        assert!(hub.may_have_news(UserId(7), Role::Client, 1_000_000));
        hub.hear_everything_after(10);
        assert!(
            hub.may_have_news(UserId(7), Role::Client, 9),
            "older cursor"
        );
        assert!(!hub.may_have_news(UserId(7), Role::Client, 10));
        hub.forget();
        assert!(hub.may_have_news(UserId(7), Role::Client, 10));
    }

    #[test]
    fn news_is_counted_per_key_after_the_cursor() {
        let hub = Hub::new();
        hub.hear_everything_after(10);
        hub.publish(11, &Audience::users([Some(UserId(7))]));
        hub.publish(12, &Audience::default().with_staff(true));
        assert!(hub.may_have_news(UserId(7), Role::Client, 10));
        assert!(
            !hub.may_have_news(UserId(7), Role::Client, 11),
            "already read"
        );
        assert!(
            !hub.may_have_news(UserId(8), Role::Client, 10),
            "someone else's"
        );
        assert!(
            hub.may_have_news(UserId(8), Role::Manager, 11),
            "the inbox changed"
        );
        assert!(!hub.may_have_news(UserId(8), Role::Manager, 12));
        // Administrators hear every change.
        assert!(hub.may_have_news(UserId(9), Role::Admin, 11));
    }

    #[test]
    fn keys_without_listeners_are_dropped_on_publish() {
        let hub = Hub::new();
        drop(hub.subscribe(UserId(5), Role::Client));
        hub.publish(1, &Audience::users([Some(UserId(5))]));
        assert_eq!(hub.keys.lock().unwrap().len(), 0);
    }

    #[test]
    fn audiences_survive_the_notify_payload() {
        let a = Audience::users([Some(UserId(3)), Some(UserId(1)), None, Some(UserId(3))])
            .with_staff(true);
        assert_eq!(a.users, vec![UserId(1), UserId(3)]);
        assert_eq!(Audience::decode(&a.encode(42)), Some((42, a)));
        assert_eq!(Audience::decode("x;0;"), None);
        assert_eq!(Audience::decode("5;0;"), Some((5, Audience::default())));
        let changed = Audience::users([Some(UserId(3))]).with_account(UserId(3));
        assert_eq!(changed.encode(7), "7;0;3;3");
        assert_eq!(Audience::decode("7;0;3;3"), Some((7, changed)));
        assert_eq!(Audience::decode("7;0;3;x"), None);
        let internal = Audience::internal_members([UserId(4), UserId(2)]);
        assert_eq!(internal.encode(9), "9;0;2,4;;i");
        assert_eq!(Audience::decode("9;0;2,4;;i"), Some((9, internal)));
        assert_eq!(Audience::decode("9;0;2,4;;x"), None);
    }

    #[test]
    fn a_write_is_internal_only_while_every_part_of_it_is() {
        let mut w = Audience::nobody_yet();
        assert!(
            !w.is_internal_only(),
            "a write that names nobody is a wide one"
        );
        w.merge(&Audience::internal_members([UserId(1), UserId(2)]));
        assert!(w.is_internal_only());
        w.merge(&Audience::internal_members([UserId(3)]));
        assert!(w.is_internal_only());
        w.merge(&Audience::users([Some(UserId(9))]));
        assert!(!w.is_internal_only(), "a deal chat's part makes it wide");
        let mut w = Audience::nobody_yet();
        w.merge(&Audience::internal_members([UserId(1)]));
        w.merge(&Audience::default().with_staff(true));
        assert!(!w.is_internal_only(), "the inbox changed");
        // Once decoded on another instance, the same.
        let wide = Audience::users([Some(UserId(1))]);
        assert!(
            !Audience::decode(&wide.encode(3))
                .unwrap()
                .1
                .is_internal_only()
        );
    }

    #[test]
    fn internal_only_changes_leave_deal_lists_and_access_as_they_were() {
        let hub = Hub::new();
        assert!(!hub.only_internal_after(100), "the hub cannot tell yet");
        assert_eq!(hub.newest_heard(), None);
        hub.hear_everything_after(10);
        assert_eq!(hub.newest_heard(), Some(10));
        assert!(hub.only_internal_after(10));
        assert!(!hub.only_internal_after(9), "before the floor");
        hub.publish(11, &Audience::internal_members([UserId(1)]));
        assert!(hub.only_internal_after(10));
        assert_eq!(hub.newest_heard(), Some(11));
        // Anyone's wide change counts, not only the reader's.
        hub.publish(12, &Audience::users([Some(UserId(2))]));
        assert!(!hub.only_internal_after(11));
        assert!(hub.only_internal_after(12));
        hub.publish(13, &Audience::internal_members([UserId(1)]));
        assert!(!hub.only_internal_after(11));
        assert!(hub.only_internal_after(12));
        assert_eq!(hub.newest_heard(), Some(13));
        hub.forget();
        assert!(!hub.only_internal_after(13));
        assert_eq!(hub.newest_heard(), None);
    }

    #[test]
    fn a_wide_change_heard_after_a_later_one_is_not_taken_as_seen() {
        // Ticks are taken in commit order, but each write announces its own after its commit:
        // the internal-only 12 can be heard while the wide 11 is still on its way. A poll woken
        // by 12 must then read the deal lists, or 11 is never read: its cursor moves past it.
        let hub = Hub::new();
        hub.hear_everything_after(10);
        hub.publish(12, &Audience::internal_members([UserId(1)]));
        assert!(!hub.only_internal_after(10), "11 is not heard yet");
        assert!(hub.only_internal_after(11), "only 12 came after 11");
        hub.publish(11, &Audience::users([Some(UserId(2))]));
        assert!(!hub.only_internal_after(10), "11 was wide");
        assert!(hub.only_internal_after(11));
        // Heard again (`LISTEN`'s echo of this instance's own commit): nothing changes.
        hub.publish(11, &Audience::users([Some(UserId(2))]));
        hub.publish(12, &Audience::internal_members([UserId(1)]));
        assert!(hub.only_internal_after(11));
        assert!(hub.heard.lock().unwrap().heard_above.is_empty());
    }

    #[test]
    fn internal_changes_heard_out_of_order_count_once_every_tick_is_heard() {
        let hub = Hub::new();
        hub.hear_everything_after(10);
        hub.publish(13, &Audience::internal_members([UserId(1)]));
        hub.publish(12, &Audience::internal_members([UserId(1)]));
        assert!(!hub.only_internal_after(10), "11 is not heard yet");
        assert!(hub.only_internal_after(11), "12 and 13 were internal-only");
        hub.publish(11, &Audience::internal_members([UserId(2)]));
        assert!(hub.only_internal_after(10));
        // A tick at or below the floor (committed before the clock was read) changes nothing.
        hub.publish(9, &Audience::internal_members([UserId(2)]));
        assert!(hub.only_internal_after(10));
    }

    #[test]
    fn a_tick_never_heard_is_given_up_as_a_wide_change() {
        // Its writer's request was dropped between its commit and its announcement.
        let hub = Hub::new();
        hub.hear_everything_after(10);
        let last = 12 + i64::try_from(MAX_HEARD_ABOVE).unwrap();
        for tick in 12..=last {
            hub.publish(tick, &Audience::internal_members([UserId(1)]));
            if tick < last {
                assert!(!hub.only_internal_after(10), "11 may still come");
            }
        }
        assert!(!hub.only_internal_after(10), "11 is counted as wide");
        assert!(hub.only_internal_after(11));
        assert!(hub.only_internal_after(last));
        assert!(hub.heard.lock().unwrap().heard_above.is_empty());
    }
}
