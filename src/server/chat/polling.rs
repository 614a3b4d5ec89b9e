//! Long-polling: answer at once when something newer than the cursor is visible to the caller,
//! otherwise wait on the hub until a change for them commits or the time runs out. A `Watch`
//! gives one answer to a long-poll and every answer, one after another, to a streamed poll.
//!
//! Two things keep thousands of idle polls cheap. A poll reads the database only when the hub
//! says a change after its cursor may concern the caller (or the open chat has messages past
//! `after_seq`), so a re-poll after a timeout costs no queries beyond the authorisation check.
//! And the reads run in a boxed future that is freed before the wait, so a parked poll holds
//! only its cursor and its hub subscription.
//!
//! Polls woken by the same change read together (`poll_reads`), so one message to a group of
//! 500 costs a handful of queries, not thousands.

use crate::model::AppError;
use crate::model::chat::{PollCursor, PollUpdate};
use crate::model::ids::{ConversationId, UserId};
use crate::server::access::{self, Viewer};
use crate::server::accounts::session_cache::SessionCache;
use crate::server::accounts::sessions;
use crate::server::chat::poll_reads::{self, Ask, PollReads};
use crate::server::chat::typing as typist;
use crate::server::realtime::typing::Typing;
use crate::server::realtime::{Hub, Subscription};
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
pub struct Seat {
    seats: Arc<PollSeats>,
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
    pub fn take(seats: &Arc<PollSeats>, user: UserId) -> Seat {
        let id = seats.next.fetch_add(1, Ordering::Relaxed);
        let ended = Arc::new(Notify::new());
        let mut waiting = seats.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let queue = waiting.entry(user).or_default();
        while queue.len() >= seats.max {
            if let Some((_, oldest)) = queue.pop_front() {
                oldest.notify_one();
            }
        }
        queue.push_back((id, ended.clone()));
        drop(waiting);
        Seat {
            seats: seats.clone(),
            user,
            id,
            ended,
        }
    }
}

impl Drop for Seat {
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
#[derive(Clone, Debug)]
pub struct Poller {
    pub viewer: Viewer,
    pub session_id: String,
}

/// What a watch reads and waits on: the application's shared parts, owned, so that a streamed
/// answer (which outlives its handler) can keep them.
#[derive(Clone)]
pub struct Sources {
    pub db: DatabaseConnection,
    pub hub: Arc<Hub>,
    pub seats: Arc<PollSeats>,
    pub reads: Arc<PollReads>,
    pub sessions: Arc<SessionCache>,
}

/// One client's wait for news: a long-poll asks it for one answer, a streamed poll for every
/// answer until the time runs out. Between answers it keeps its hub subscription, its seat and
/// its cursor, so a streamed member costs no new request per message.
pub struct Watch {
    src: Sources,
    poller: Poller,
    cursor: PollCursor,
    limits: PollLimits,
    deadline: tokio::time::Instant,
    changes_for_me: Subscription,
    /// The open chat's typing announcements; only ones after the start are news.
    typing: Option<watch::Receiver<Option<Arc<Typing>>>>,
    /// The hub's tick before the open chat's access was read: while only internal-only changes
    /// (new messages in internal chats) come after it, that access still holds.
    access_mark: Option<i64>,
    open_chat_ahead: bool,
    /// A change woke the watch since its session and its access to the open chat were checked.
    woken: bool,
    /// The open chat left the caller's reach: the answer that said so was the last.
    finished: bool,
    seat: Seat,
}

impl Watch {
    /// Checks the cursor and the open chat, and starts listening.
    #[tracing::instrument(skip(src, poller), fields(user = %poller.viewer.id))]
    pub async fn start(
        src: Sources,
        poller: Poller,
        cursor: PollCursor,
        limits: PollLimits,
    ) -> Result<Watch, AppError> {
        let viewer = poller.viewer;
        if cursor.tick < 0 || cursor.after_seq < 0 {
            return Err(AppError::invalid(
                "tick",
                "Cursor values cannot be negative.",
            ));
        }
        let deadline = tokio::time::Instant::now() + spread(limits.timeout);
        // Listen before reading, so a commit between the read and the wait still wakes us.
        let changes_for_me = src.hub.subscribe(viewer.id, viewer.role);
        let mut open_chat_ahead = false;
        let typing = cursor.conversation_id.map(|id| src.hub.typing.watch(id));
        let access_mark = src.hub.newest_heard();
        if let Some(id) = cursor.conversation_id {
            // A member re-polling an internal chat after each message: what this instance knows
            // may answer without the database (`PollReads::known_start`).
            match src.reads.known_start(&src.hub, viewer.id, cursor) {
                Some(ahead) => open_chat_ahead = ahead,
                None => {
                    let (conv, _) = Box::pin(access::load(&src.db, viewer, id)).await?;
                    open_chat_ahead = conv.last_seq > cursor.after_seq;
                    if let Some(mark) = access_mark
                        && conv.kind.is_internal()
                    {
                        src.reads
                            .remember(viewer.id, (id, conv.kind), mark, conv.last_seq);
                    }
                }
            }
        }
        let seat = PollSeats::take(&src.seats, viewer.id);
        Ok(Watch {
            src,
            poller,
            cursor,
            limits,
            deadline,
            changes_for_me,
            typing,
            access_mark,
            open_chat_ahead,
            woken: false,
            finished: false,
            seat,
        })
    }

    /// Where the next answer starts.
    pub fn cursor(&self) -> PollCursor {
        self.cursor
    }

    /// The next answer: news after the cursor, or None when the time ran out, the user opened
    /// more polls than their seats allow, or the server is stopping. Ends with
    /// `Unauthenticated` when the session ends.
    pub async fn next(&mut self) -> Result<Option<PollUpdate>, AppError> {
        if self.finished {
            return Ok(None);
        }
        let viewer = self.poller.viewer;
        let src = self.src.clone();
        loop {
            // A wake may be the end of this session (sign-out elsewhere, a password change,
            // the account disabled): then the poll must not read on.
            if self.woken
                && !Box::pin(sessions::alive(
                    &src.db,
                    &src.sessions,
                    &self.poller.session_id,
                ))
                .await?
            {
                return Err(AppError::Unauthenticated);
            }
            // Nor may it wait on a chat the caller can no longer read (a colleague accepted it,
            // an admin removed them), whatever cursor it was given. Only a change that is not
            // internal-only can take that right away, so a wake by a group's message alone
            // (every member's poll, at once) does not ask again.
            // The answer carries the lists' changes too (the chat leaving the reader's tab), so
            // the next poll starts from a cursor past them.
            if self.woken
                && let Some(open) = self.cursor.conversation_id
                && !self
                    .access_mark
                    .is_some_and(|mark| src.hub.only_internal_after(mark))
            {
                self.access_mark = src.hub.newest_heard();
                if !Box::pin(still_readable(&src.db, viewer, open)).await? {
                    let without = Ask {
                        viewer,
                        cursor: PollCursor {
                            conversation_id: None,
                            ..self.cursor
                        },
                        page: self.limits.page,
                    };
                    let mut update = poll_reads::alone(&src.db, &src.hub, without).await?;
                    if !update.removed.contains(&open) {
                        update.removed.push(open);
                    }
                    self.finished = true;
                    return Ok(Some(update));
                }
            }
            // Both checks stand until the next wake. A streamed poll asks for its next answer
            // as soon as it has sent one: without a new wake there is nothing to check again
            // (it was a second session check per member for every message).
            self.woken = false;
            if self.open_chat_ahead
                || src
                    .hub
                    .may_have_news(viewer.id, viewer.role, self.cursor.tick)
            {
                let ask = Ask {
                    viewer,
                    cursor: self.cursor,
                    page: self.limits.page,
                };
                let update = Box::pin(src.reads.collect(&src.db, &src.hub, ask)).await?;
                // Changes we may not see still move the cursor, so they are not read again.
                self.cursor = update.cursor;
                // A full page: the rest follows at once.
                self.open_chat_ahead = update.more;
                if !update.is_empty() {
                    return Ok(Some(update));
                }
            }
            tokio::select! {
                running = self.changes_for_me.changed() => {
                    if !running {
                        return Ok(None);
                    }
                    self.woken = true;
                }
                () = self.seat.ended.notified() => return Ok(None),
                _ = tokio::time::sleep_until(self.deadline) => return Ok(None),
                announced = next_typing(&mut self.typing) => {
                    let Some(name) = announced
                        .as_deref()
                        .and_then(|t| typist::shown_to(t, viewer))
                    else {
                        continue;
                    };
                    let Some(open) = self.cursor.conversation_id else { continue };
                    if !Box::pin(still_readable(&src.db, viewer, open)).await? {
                        continue;
                    }
                    return Ok(Some(PollUpdate {
                        cursor: self.cursor,
                        typing: Some(name),
                        ..Default::default()
                    }));
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_users_newest_poll_ends_their_oldest_beyond_the_cap() {
        let seats = Arc::new(PollSeats::new(2));
        let first = PollSeats::take(&seats, UserId(1));
        let _second = PollSeats::take(&seats, UserId(1));
        let _other = PollSeats::take(&seats, UserId(2));
        let ended = first.ended.clone();
        let _third = PollSeats::take(&seats, UserId(1));
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
