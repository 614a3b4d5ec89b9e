//! Long-polling: answer at once when something newer than the cursor is visible to the caller,
//! otherwise wait on the hub until a change for them commits or the time runs out.

use crate::model::AppError;
use crate::model::chat::{PollCursor, PollUpdate};
use crate::server::realtime::Hub;
use crate::server::services::chat_access::Viewer;
use crate::server::services::chat_list::{self, Filter};
use crate::server::services::{changes, chats, deals, message_log};
use sea_orm::DatabaseConnection;
use std::time::Duration;

/// Waits up to `timeout` for news after `cursor`; `page` bounds the messages in one answer.
#[tracing::instrument(skip(db, hub), fields(user = viewer.id))]
pub async fn poll(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    mut cursor: PollCursor,
    timeout: Duration,
    page: u64,
) -> Result<PollUpdate, AppError> {
    if cursor.tick < 0 || cursor.after_seq < 0 {
        return Err(AppError::invalid(
            "tick",
            "Cursor values cannot be negative.",
        ));
    }
    if let Some(id) = cursor.conversation_id {
        chats::load(db, viewer, id).await?;
    }
    let deadline = tokio::time::Instant::now() + timeout;
    // Listen before reading, so a commit between the read and the wait still wakes us.
    let mut changes_for_me = hub.subscribe(viewer.id, viewer.role);
    loop {
        let update = collect(db, viewer, cursor, page).await?;
        if !update.is_empty() {
            return Ok(update);
        }
        // Changes we may not see still move the cursor, so they are not read again.
        cursor = update.cursor;
        tokio::select! {
            running = changes_for_me.changed() => {
                if !running {
                    return Ok(update);
                }
            }
            _ = tokio::time::sleep_until(deadline) => return Ok(update),
        }
    }
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
    let seen_tick = rows.iter().map(|(_, t)| *t).max().unwrap_or(0);
    let chats: Vec<_> = rows.into_iter().map(|(s, _)| s).collect();

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
        let mut messages = message_log::after(db, open, cursor.after_seq, page + 1).await?;
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
        if let Some(deal_id) = update
            .chats
            .iter()
            .find(|c| c.id == open)
            .and_then(|c| c.deal_id)
        {
            update.deal = deals::view(db, deal_id).await?;
        }
    }
    Ok(update)
}
