//! Sessions remembered in memory, so a poll or a send does not read its session from the database.
//!
//! An entry holds what `sessions::resolve` read: the user, the session's expiry and when it was
//! last written. Every write that ends a session or changes a user names that user in its
//! audience's `accounts`; the hub hears of it (on this instance at once, on the others through
//! `NOTIFY`) and from then on the entries read before it are stale and read again. The hub also
//! makes every entry stale when it may have missed notices (before `LISTEN` stands, after it was
//! lost). An entry is never used longer than `max_age` after it was read, whatever happened.

use super::sessions::SessionUser;
use crate::server::realtime::Hub;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The cache of one instance.
pub struct SessionCache {
    hub: Arc<Hub>,
    entries: Mutex<HashMap<String, Entry>>,
    max_age: Duration,
    capacity: usize,
}

/// A session as the database had it.
#[derive(Clone, Debug)]
pub struct Cached {
    pub user: SessionUser,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(Debug)]
struct Entry {
    session: Cached,
    /// The hub's account stamp taken before the database was read.
    stamp: u64,
    read_at: Instant,
}

impl SessionCache {
    /// `max_age` zero: nothing is remembered. At most `capacity` sessions are held.
    pub fn new(hub: Arc<Hub>, max_age: Duration, capacity: usize) -> SessionCache {
        SessionCache {
            hub,
            entries: Mutex::default(),
            max_age,
            capacity,
        }
    }

    pub fn enabled(&self) -> bool {
        !self.max_age.is_zero() && self.capacity > 0
    }

    /// The session `id` as last read, unless that read may be out of date.
    pub fn get(&self, id: &str) -> Option<Cached> {
        self.read(id, Cached::clone)
    }

    /// When the session `id` expires, as `get` would tell it, without copying the session:
    /// every poll a message wakes asks it.
    pub fn expires_at(&self, id: &str) -> Option<DateTime<Utc>> {
        self.read(id, |session| session.expires_at)
    }

    fn read<T>(&self, id: &str, take: impl FnOnce(&Cached) -> T) -> Option<T> {
        if !self.enabled() {
            return None;
        }
        let mut entries = self.entries.lock().expect("session cache lock");
        let entry = entries.get(id)?;
        if entry.read_at.elapsed() < self.max_age
            && !self
                .hub
                .account_changed_since(entry.session.user.user.id, entry.stamp)
        {
            return Some(take(&entry.session));
        }
        entries.remove(id);
        None
    }

    /// Take before reading a session from the database; `put` it with what was read.
    pub fn stamp(&self) -> u64 {
        self.hub.account_stamp()
    }

    /// Remembers a session read from the database after `stamp` was taken.
    pub fn put(&self, id: String, session: Cached, stamp: u64) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.entries.lock().expect("session cache lock");
        if entries.len() >= self.capacity && !entries.contains_key(&id) {
            let max_age = self.max_age;
            entries.retain(|_, e| e.read_at.elapsed() < max_age);
            if entries.len() >= self.capacity {
                // Full of live entries: start over rather than track use order on every hit.
                entries.clear();
            }
        }
        entries.insert(
            id,
            Entry {
                session,
                stamp,
                read_at: Instant::now(),
            },
        );
    }

    /// Forgets a session this instance changed or found gone.
    pub fn remove(&self, id: &str) {
        self.entries.lock().expect("session cache lock").remove(id);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().expect("session cache lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("sessions", &self.len())
            .field("max_age", &self.max_age)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;
    use crate::model::UserView;
    use crate::model::ids::UserId;
    use crate::server::realtime::Audience;

    fn session(user: i64) -> Cached {
        let now = Utc::now();
        Cached {
            user: SessionUser {
                user: UserView {
                    id: UserId(user),
                    email: format!("u{user}@example.com"),
                    display_name: format!("User {user}"),
                    role: Role::Client,
                    disabled: false,
                    sound_on: true,
                },
                session_id: format!("s{user}"),
            },
            created_at: now,
            expires_at: now + chrono::Duration::hours(1),
            last_seen_at: now,
        }
    }

    fn hearing_hub() -> Arc<Hub> {
        let hub = Arc::new(Hub::new());
        hub.hear_everything_after(0);
        hub
    }

    #[test]
    fn a_session_read_before_its_users_change_is_read_again() {
        let hub = hearing_hub();
        let cache = SessionCache::new(hub.clone(), Duration::from_secs(60), 10);
        let (mine, other) = (cache.stamp(), cache.stamp());
        cache.put("s1".into(), session(1), mine);
        cache.put("s2".into(), session(2), other);
        assert!(cache.get("s1").is_some());
        hub.publish(
            5,
            &Audience::users([Some(UserId(1))]).with_account(UserId(1)),
        );
        assert!(cache.get("s1").is_none(), "user 1 changed after the read");
        assert!(cache.get("s2").is_some(), "user 2 did not change");
        // Read again after the change: good until the next one.
        cache.put("s1".into(), session(1), cache.stamp());
        assert!(cache.get("s1").is_some());
    }

    #[test]
    fn a_message_to_a_user_does_not_drop_their_session() {
        let hub = hearing_hub();
        let cache = SessionCache::new(hub.clone(), Duration::from_secs(60), 10);
        cache.put("s1".into(), session(1), cache.stamp());
        hub.publish(5, &Audience::users([Some(UserId(1))]));
        assert!(cache.get("s1").is_some());
    }

    #[test]
    fn nothing_is_trusted_while_the_hub_may_miss_changes() {
        let hub = Arc::new(Hub::new());
        let cache = SessionCache::new(hub.clone(), Duration::from_secs(60), 10);
        cache.put("s1".into(), session(1), cache.stamp());
        assert!(
            cache.get("s1").is_none(),
            "before the hub hears every commit"
        );
        hub.hear_everything_after(0);
        cache.put("s1".into(), session(1), cache.stamp());
        assert!(cache.get("s1").is_some());
        hub.forget();
        assert!(cache.get("s1").is_none(), "after LISTEN was lost");
        hub.hear_everything_after(9);
        assert!(cache.get("s1").is_none(), "read before the loss");
    }

    #[test]
    fn entries_age_out_and_the_size_is_bounded() {
        let hub = hearing_hub();
        let off = SessionCache::new(hub.clone(), Duration::ZERO, 10);
        off.put("s1".into(), session(1), off.stamp());
        assert!(off.get("s1").is_none(), "max_age 0 turns the cache off");
        let small = SessionCache::new(hub, Duration::from_secs(60), 2);
        for n in 1..=3 {
            small.put(format!("s{n}"), session(n), small.stamp());
        }
        assert!(small.len() <= 2, "{} entries", small.len());
        assert!(small.get("s3").is_some(), "the newest is kept");
    }
}
