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
use crate::server::access::{self, Viewer};
use crate::server::chat::list::{self as chat_list, Filter};
use crate::server::deals::service as deals;
use crate::server::messages;
use crate::server::realtime::Hub;
use crate::server::realtime::changes;
use rand::Rng;
use sea_orm::DatabaseConnection;
use std::time::Duration;

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

/// Waits for news after `cursor`, up to the limits.
#[tracing::instrument(skip(db, hub), fields(user = %viewer.id))]
pub async fn poll(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    mut cursor: PollCursor,
    limits: PollLimits,
) -> Result<PollUpdate, AppError> {
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
    if let Some(id) = cursor.conversation_id {
        let (conv, _) = Box::pin(access::load(db, viewer, id)).await?;
        open_chat_ahead = conv.last_seq > cursor.after_seq;
    }
    loop {
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
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    Ok(PollUpdate {
        cursor,
        ..Default::default()
    })
}

/// Everything after `cursor` that `viewer` may see, and the cursor after it.
pub async fn collect(
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
    let seen_tick = rows.iter().map(|r| r.tick).max().unwrap_or(0);
    let open_deal = cursor.conversation_id.and_then(|open| {
        rows.iter()
            .find(|r| r.summary.id == open && r.deal_tick > cursor.tick)
            .and_then(|r| r.summary.deal_id)
    });
    let chats: Vec<_> = rows.into_iter().map(|r| r.summary).collect();

    let mut update = PollUpdate {
        cursor: PollCursor {
            tick: clock.max(seen_tick).max(cursor.tick),
            ..cursor
        },
        chats,
        removed,
        ..Default::default()
    };
    if let Some(open) = cursor
        .conversation_id
        .filter(|id| !update.removed.contains(id))
    {
        let mut messages = messages::after(db, open, cursor.after_seq, page + 1).await?;
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
        if let Some(deal_id) = open_deal {
            update.deal = deals::view(db, deal_id).await?;
        }
    }
    Ok(update)
}

#[cfg(test)]
mod tests {
    use super::*;

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
