//! Long-polling: answer at once when something newer than the cursor is visible to the caller,
//! otherwise wait on the hub until a change for them commits or the time runs out.
//!
//! Two things keep thousands of idle polls cheap. A poll reads the database only when the hub
//! says a change after its cursor may concern the caller (or the open chat has messages past
//! `after_seq`), so a re-poll after a timeout costs no queries beyond the authorisation check.
//! And the reads run in a boxed future that is freed before the wait, so a parked poll holds
//! only its cursor and its hub subscription.

use crate::model::AppError;
use crate::model::chat::{PollCursor, PollUpdate};
use crate::model::ids::{ConversationId, UserId};
use crate::server::access::{self, Viewer};
use crate::server::accounts::session_cache::SessionCache;
use crate::server::accounts::sessions;
use crate::server::chat::list::{self as chat_list, Filter};
use crate::server::chat::typing as typist;
use crate::server::internal_chats::list as internal_list;
use crate::server::messages;
use crate::server::realtime::Hub;
use crate::server::realtime::changes;
use crate::server::realtime::typing::Typing;
use rand::Rng;
use sea_orm::DatabaseConnection;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How a poll is bounded.
#[derive(Clone, Copy, Debug)]
pub struct PollLimits {
    /// The longest wait before answering empty.
    pub timeout: Duration,
    /// The most messages in one answer.
    pub page: u64,
}

/// The wait of one poll: between 70 % and 100 % of the timeout. Polls that started together
/// (every browser reconnecting after a restart) would otherwise time out and return together,
/// as one burst, for as long as the server runs.
pub fn spread(timeout: Duration) -> Duration {
    timeout.mul_f64(rand::thread_rng().gen_range(0.7..=1.0))
}

/// The waiting polls of each user, at most `max` each: a new poll ends the user's oldest, so a
/// client opening poll after poll (a script, a tab storm) holds a bounded number of them.
pub struct PollSeats {
    max: usize,
    waiting: Mutex<HashMap<UserId, VecDeque<Waiting>>>,
    next: AtomicU64,
}

/// A waiting poll: its seat number and how to tell it to end.
type Waiting = (u64, Arc<Notify>);

/// One waiting poll's place; told to end when the user opens too many. Freed when dropped.
pub struct Seat<'a> {
    seats: &'a PollSeats,
    user: UserId,
    id: u64,
    pub ended: Arc<Notify>,
}

impl PollSeats {
    pub fn new(max: usize) -> Self {
        PollSeats {
            max: max.max(1),
            waiting: Mutex::default(),
            next: AtomicU64::new(0),
        }
    }

    /// Takes a seat for `user`, ending their oldest poll when all of theirs are taken.
    pub fn take(&self, user: UserId) -> Seat<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let ended = Arc::new(Notify::new());
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let queue = waiting.entry(user).or_default();
        while queue.len() >= self.max {
            if let Some((_, oldest)) = queue.pop_front() {
                oldest.notify_one();
            }
        }
        queue.push_back((id, ended.clone()));
        Seat {
            seats: self,
            user,
            id,
            ended,
        }
    }
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        let mut waiting = self.seats.waiting.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(queue) = waiting.get_mut(&self.user) {
            queue.retain(|(id, _)| *id != self.id);
            if queue.is_empty() {
                waiting.remove(&self.user);
            }
        }
    }
}

/// Who is polling: the viewer, and the session the poll belongs to (it ends with it).
#[derive(Clone, Copy, Debug)]
pub struct Poller<'a> {
    pub viewer: Viewer,
    pub session_id: &'a str,
    pub sessions: &'a SessionCache,
}

/// Waits for news after `cursor`, up to the limits. The poll ends at once when its session ends
/// (answering `Unauthenticated`) or when the user opens more polls than `seats` allows.
#[tracing::instrument(skip(db, hub, seats, poller), fields(user = %poller.viewer.id))]
pub async fn poll(
    db: &DatabaseConnection,
    hub: &Hub,
    seats: &PollSeats,
    poller: Poller<'_>,
    mut cursor: PollCursor,
    limits: PollLimits,
) -> Result<PollUpdate, AppError> {
    let viewer = poller.viewer;
    if cursor.tick < 0 || cursor.after_seq < 0 {
        return Err(AppError::invalid(
            "tick",
            "Cursor values cannot be negative.",
        ));
    }
    let deadline = tokio::time::Instant::now() + spread(limits.timeout);
    // Listen before reading, so a commit between the read and the wait still wakes us.
    let mut changes_for_me = hub.subscribe(viewer.id, viewer.role);
    let mut open_chat_ahead = false;
    // The open chat's typing announcements; only ones after this point are news.
    let mut typing = cursor.conversation_id.map(|id| hub.typing.watch(id));
    if let Some(id) = cursor.conversation_id {
        let (conv, _) = Box::pin(access::load(db, viewer, id)).await?;
        open_chat_ahead = conv.last_seq > cursor.after_seq;
    }
    let seat = seats.take(viewer.id);
    let mut woken = false;
    loop {
        // A wake may be the end of this session (sign-out elsewhere, a password change, the
        // account disabled): then the poll must not read on.
        if woken && !Box::pin(sessions::alive(db, poller.sessions, poller.session_id)).await? {
            return Err(AppError::Unauthenticated);
        }
        // Nor may it wait on a chat the caller can no longer read (a colleague accepted it),
        // whatever cursor it was given.
        // The answer carries the lists' changes too (the chat leaving the reader's tab), so
        // the next poll starts from a cursor past them.
        if woken
            && let Some(open) = cursor.conversation_id
            && !Box::pin(still_readable(db, viewer, open)).await?
        {
            let without = PollCursor {
                conversation_id: None,
                ..cursor
            };
            let mut update = Box::pin(collect(db, viewer, without, limits.page)).await?;
            if !update.removed.contains(&open) {
                update.removed.push(open);
            }
            return Ok(update);
        }
        if open_chat_ahead || hub.may_have_news(viewer.id, viewer.role, cursor.tick) {
            let update = Box::pin(collect(db, viewer, cursor, limits.page)).await?;
            if !update.is_empty() {
                return Ok(update);
            }
            // Changes we may not see still move the cursor, so they are not read again.
            cursor = update.cursor;
            open_chat_ahead = false;
        }
        tokio::select! {
            running = changes_for_me.changed() => {
                if !running {
                    break;
                }
                woken = true;
            }
            () = seat.ended.notified() => break,
            _ = tokio::time::sleep_until(deadline) => break,
            announced = next_typing(&mut typing) => {
                let Some(name) = announced.as_deref().and_then(|t| typist::shown_to(t, viewer))
                else {
                    continue;
                };
                let Some(open) = cursor.conversation_id else { continue };
                if !Box::pin(still_readable(db, viewer, open)).await? {
                    continue;
                }
                return Ok(PollUpdate {
                    cursor,
                    typing: Some(name),
                    ..Default::default()
                });
            }
        }
    }
    Ok(PollUpdate {
        cursor,
        ..Default::default()
    })
}

/// The next typing announcement in the open chat; never, without an open chat.
async fn next_typing(
    typing: &mut Option<watch::Receiver<Option<Arc<Typing>>>>,
) -> Option<Arc<Typing>> {
    match typing {
        Some(rx) => match rx.changed().await {
            Ok(()) => rx.borrow_and_update().clone(),
            // The board never drops a sender that has receivers; wait out the poll if it did.
            Err(_) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

/// Whether `viewer` may still read the conversation (false for one taken by a colleague).
async fn still_readable(
    db: &DatabaseConnection,
    viewer: Viewer,
    id: ConversationId,
) -> Result<bool, AppError> {
    match access::load(db, viewer, id).await {
        Ok(_) => Ok(true),
        Err(AppError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Everything after `cursor` that `viewer` may see, and the cursor after it.
async fn collect(
    db: &DatabaseConnection,
    viewer: Viewer,
    cursor: PollCursor,
    page: u64,
) -> Result<PollUpdate, AppError> {
    // Read the clock first: every change up to it has committed, so nothing at or below it can
    // appear later, and the lists read next see at least all of it.
    let clock = changes::current(db).await?;
    let rows = chat_list::summaries(db, viewer, Filter::ChangedAfter(cursor.tick)).await?;
    let removed = chat_list::taken_by_others(db, viewer, cursor.tick).await?;
    let internal =
        internal_list::summaries(db, viewer, internal_list::Filter::ChangedAfter(cursor.tick))
            .await?;
    let internal_removed = internal_list::left_after(db, viewer, cursor.tick).await?;
    let seen_tick = rows
        .iter()
        .map(|r| r.tick)
        .chain(internal.iter().map(|r| r.tick))
        .max()
        .unwrap_or(0);
    let open_deal = cursor.conversation_id.and_then(|open| {
        rows.iter()
            .find(|r| r.summary.id == open && r.deal_tick > cursor.tick)
            .and_then(|r| r.summary.deal_id.map(|d| (d, r.summary.channel)))
    });
    let chats: Vec<_> = rows.into_iter().map(|r| r.summary).collect();

    let mut update = PollUpdate {
        cursor: PollCursor {
            tick: clock.max(seen_tick).max(cursor.tick),
            ..cursor
        },
        chats,
        removed,
        internal: internal.into_iter().map(|r| r.summary).collect(),
        internal_removed,
        ..Default::default()
    };
    // `poll` checked that the caller may read the open chat at its start and after every wake,
    // so no wait lies between that check and this read.
    if let Some(open) = cursor
        .conversation_id
        .filter(|id| !update.removed.contains(id))
    {
        let reader = messages::Reader::of(viewer.role);
        let mut messages = messages::after(db, reader, open, cursor.after_seq, page + 1).await?;
        update.more = messages.len() as u64 > page;
        messages.truncate(usize::try_from(page).unwrap_or(usize::MAX));
        if let Some(last) = messages.last() {
            update.cursor.after_seq = last.seq;
        }
        update.messages = messages;
        if update.more {
            // Lists are re-read on the immediate next poll; keep their cursor where it was.
            update.cursor.tick = cursor.tick;
        }
        if let Some((deal_id, channel)) = open_deal {
            update.deal = super::service::deal_as_read(db, viewer, deal_id, channel).await?;
        }
    }
    Ok(update)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_users_newest_poll_ends_their_oldest_beyond_the_cap() {
        let seats = PollSeats::new(2);
        let first = seats.take(UserId(1));
        let _second = seats.take(UserId(1));
        let _other = seats.take(UserId(2));
        let ended = first.ended.clone();
        let _third = seats.take(UserId(1));
        tokio::time::timeout(Duration::from_millis(100), ended.notified())
            .await
            .expect("the oldest poll is told to end");
        drop(first);
        assert_eq!(
            seats
                .waiting
                .lock()
                .expect("lock")
                .get(&UserId(1))
                .map(VecDeque::len),
            Some(2)
        );
        assert_eq!(
            seats
                .waiting
                .lock()
                .expect("lock")
                .get(&UserId(2))
                .map(VecDeque::len),
            Some(1)
        );
    }

    #[test]
    fn waits_are_spread_below_the_timeout() {
        let timeout = Duration::from_secs(25);
        let waits: Vec<Duration> = (0..1000).map(|_| spread(timeout)).collect();
        assert!(
            waits
                .iter()
                .all(|w| *w >= timeout.mul_f64(0.7) && *w <= timeout)
        );
        let shortest = waits.iter().min().copied().unwrap_or_default();
        let longest = waits.iter().max().copied().unwrap_or_default();
        assert!(
            longest - shortest > Duration::from_secs(5),
            "waits are not spread: {shortest:?}..{longest:?}"
        );
    }
}
