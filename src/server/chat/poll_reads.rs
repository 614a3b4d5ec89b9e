//! What a woken poll reads, and polls woken together reading it together.
//!
//! One message in a group chat of 500 wakes 500 polls at once. Each wants the same things: the
//! clock, its Chats tab rows that changed, the chats it left, and the new messages of the chat it
//! has open. Read one poll at a time, that is thousands of queries for one message; read for the
//! whole batch, it is a handful: the rows of every woken reader in one query, each page of
//! messages once for all who wait on it.
//!
//! A batch forms while its first poll yields once to the runtime: the polls woken by the same
//! publish run in that moment and join it. Its reads start after every member woke, so they see
//! at least what each member was woken for. A member whose batch fails (or whose leader's request
//! was dropped) reads alone.

use crate::model::AppError;
use crate::model::chat::MessageView;
use crate::model::chat::{PollCursor, PollUpdate};
use crate::model::ids::{ConversationId, UserId};
use crate::server::access::Viewer;
use crate::server::chat::list::{self as chat_list, Filter};
use crate::server::internal_chats::list as internal_list;
use crate::server::messages::{self, Reader};
use crate::server::realtime::Hub;
use crate::server::realtime::changes;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// One woken poll's question: everything after `cursor` that `viewer` may see.
#[derive(Clone, Copy, Debug)]
pub struct Ask {
    pub viewer: Viewer,
    pub cursor: PollCursor,
    /// The most messages in one answer.
    pub page: u64,
}

type Reply = oneshot::Sender<Option<PollUpdate>>;

/// The batch now forming, if any.
#[derive(Default)]
pub struct PollReads {
    forming: Mutex<Option<Vec<(Ask, Reply)>>>,
}

/// Takes the forming batch away if its leader is dropped before reading (the client went
/// away): its members are told to read alone instead of waiting for nobody.
struct Leading<'a> {
    reads: &'a PollReads,
    armed: bool,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.reads.take();
        }
    }
}

impl PollReads {
    fn take(&self) -> Vec<(Ask, Reply)> {
        self.forming
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_default()
    }

    /// Everything after the ask's cursor that its viewer may see, and the cursor after it;
    /// read together with the polls woken at the same moment.
    pub async fn collect(
        &self,
        db: &DatabaseConnection,
        hub: &Hub,
        ask: Ask,
    ) -> Result<PollUpdate, AppError> {
        let joined = {
            let mut forming = self.forming.lock().unwrap_or_else(|p| p.into_inner());
            match forming.as_mut() {
                Some(batch) => {
                    let (tx, rx) = oneshot::channel();
                    batch.push((ask, tx));
                    Some(rx)
                }
                None => {
                    *forming = Some(Vec::new());
                    None
                }
            }
        };
        if let Some(answer) = joined {
            if let Ok(Some(update)) = answer.await {
                return Ok(update);
            }
            return alone(db, hub, ask).await;
        }
        let mut leading = Leading {
            reads: self,
            armed: true,
        };
        // The polls woken with this one are ready to run: let them join.
        tokio::task::yield_now().await;
        let others = self.take();
        leading.armed = false;
        let mut asks = Vec::with_capacity(others.len() + 1);
        asks.push(ask);
        asks.extend(others.iter().map(|(a, _)| *a));
        match Box::pin(collect_many(db, hub, &asks)).await {
            Ok(mut updates) => {
                let mine = updates.remove(0);
                for ((_, reply), update) in others.into_iter().zip(updates) {
                    // A member that went away meanwhile does not need its answer.
                    let _ = reply.send(Some(update));
                }
                Ok(mine)
            }
            Err(e) => {
                for (_, reply) in others {
                    let _ = reply.send(None);
                }
                Err(e)
            }
        }
    }
}

/// One poll's reads, on its own.
pub async fn alone(db: &DatabaseConnection, hub: &Hub, ask: Ask) -> Result<PollUpdate, AppError> {
    let mut updates = Box::pin(collect_many(db, hub, &[ask])).await?;
    Ok(updates.remove(0))
}

/// For each ask, everything after its cursor that its viewer may see, and the cursor after it.
async fn collect_many(
    db: &DatabaseConnection,
    hub: &Hub,
    asks: &[Ask],
) -> Result<Vec<PollUpdate>, AppError> {
    // The clock first: every change up to it has committed, so nothing at or below it can
    // appear later, and the lists read next see at least all of it. The hub knows it without a
    // query while it hears every change.
    let clock = match hub.newest_heard() {
        Some(tick) => tick,
        None => changes::current(db).await?,
    };
    // Each reader once, from the oldest of their cursors (a user may poll from several tabs).
    let mut oldest: HashMap<UserId, i64> = HashMap::new();
    for a in asks {
        let t = oldest.entry(a.viewer.id).or_insert(a.cursor.tick);
        *t = (*t).min(a.cursor.tick);
    }
    let readers: Vec<(UserId, i64)> = oldest.into_iter().collect();
    let internal = internal_list::changed_for(db, &readers).await?;
    let left = internal_list::left_for(db, &readers).await?;
    // Each page of messages once for everyone waiting on it.
    let mut pages: HashMap<(ConversationId, Reader, i64, u64), Vec<MessageView>> = HashMap::new();
    let mut updates = Vec::with_capacity(asks.len());
    for a in asks {
        let (viewer, cursor) = (a.viewer, a.cursor);
        // The deal lists change only with changes that are not internal-only; when none came
        // after the cursor (anyone's), they have nothing to say.
        let deals = !hub.only_internal_after(cursor.tick);
        let rows = if deals {
            chat_list::summaries(db, viewer, Filter::ChangedAfter(cursor.tick)).await?
        } else {
            Vec::new()
        };
        let removed = if deals {
            chat_list::taken_by_others(db, viewer, cursor.tick).await?
        } else {
            Vec::new()
        };
        let mine: Vec<internal_list::InternalRow> = internal
            .get(&viewer.id)
            .map(|rows| {
                rows.iter()
                    .filter(|r| r.tick > cursor.tick)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let internal_removed: Vec<ConversationId> =
            left.get(&viewer.id).cloned().unwrap_or_default();
        let seen_tick = rows
            .iter()
            .map(|r| r.tick)
            .chain(mine.iter().map(|r| r.tick))
            .max()
            .unwrap_or(0);
        let open_deal = cursor.conversation_id.and_then(|open| {
            rows.iter()
                .find(|r| r.summary.id == open && r.deal_tick > cursor.tick)
                .and_then(|r| r.summary.deal_id.map(|d| (d, r.summary.channel)))
        });
        let mut update = PollUpdate {
            cursor: PollCursor {
                tick: clock.max(seen_tick).max(cursor.tick),
                ..cursor
            },
            chats: rows.into_iter().map(|r| r.summary).collect(),
            removed,
            internal: mine.into_iter().map(|r| r.summary).collect(),
            internal_removed,
            ..Default::default()
        };
        // `poll` checked that the caller may read the open chat at its start and after every
        // wake that could have changed it, so no wait lies between that check and this read.
        if let Some(open) = cursor
            .conversation_id
            .filter(|id| !update.removed.contains(id) && !update.internal_removed.contains(id))
        {
            let reader = Reader::of(viewer.role);
            let key = (open, reader, cursor.after_seq, a.page);
            let page = match pages.get(&key) {
                Some(page) => page.clone(),
                None => {
                    let page =
                        messages::after(db, reader, open, cursor.after_seq, a.page + 1).await?;
                    pages.insert(key, page.clone());
                    page
                }
            };
            let mut messages = page;
            update.more = messages.len() as u64 > a.page;
            messages.truncate(usize::try_from(a.page).unwrap_or(usize::MAX));
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
        updates.push(update);
    }
    Ok(updates)
}
