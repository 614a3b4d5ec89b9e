//! What a woken poll reads, and polls woken together reading it together.
//!
//! One message in a group chat of 500 wakes 500 polls at once. Each wants the same things: the
//! clock, its Chats tab rows that changed, the chats it left, and the new messages of the chat it
//! has open. Read one poll at a time, that is thousands of queries for one message; read for the
//! whole batch, it is a handful: the rows of every woken reader in one query, each page of
//! messages once for all who wait on it. The batches one message forms (a few, for 500) share the
//! reads that are not the readers' own: each page and each chat's facts are read once at a clock.
//!
//! A batch forms while its first poll yields once to the runtime: the polls woken by the same
//! publish run in that moment and join it. Its reads start after every member woke, so they see
//! at least what each member was woken for. A member whose batch fails (or whose leader's request
//! was dropped) reads alone.

use crate::model::AppError;
use crate::model::chat::{ConversationKind, MessageView};
use crate::model::chat::{PollCursor, PollUpdate};
use crate::model::ids::{ConversationId, UserId};
use crate::server::access::Viewer;
use crate::server::chat::list::{self as chat_list, Filter};
use crate::server::internal_chats::list::{self as internal_list, ChatFacts};
use crate::server::messages::{self, Reader};
use crate::server::realtime::Hub;
use crate::server::realtime::changes;
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, oneshot};

/// One woken poll's question: everything after `cursor` that `viewer` may see.
#[derive(Clone, Copy, Debug)]
pub struct Ask {
    pub viewer: Viewer,
    pub cursor: PollCursor,
    /// The most messages in one answer.
    pub page: u64,
}

type Reply = oneshot::Sender<Option<PollUpdate>>;

/// The batch now forming, if any, and what reads taught this instance about internal chats.
#[derive(Default)]
pub struct PollReads {
    forming: Mutex<Option<Vec<(Ask, Reply)>>>,
    known: Mutex<Known>,
    shared: Mutex<Shared>,
}

/// What the batches reading at the same clock read once between them: one message to a group of
/// 500 wakes four batches (`BATCH_ENOUGH`), which wait on the same page of messages and the same
/// chat's facts. Each is read by the first batch that needs it; the others wait for that read.
/// Any read that began after the clock was heard sees everything at or below it, which is all a
/// batch at that clock needs (`collect_many`).
#[derive(Default)]
struct Shared {
    clock: i64,
    pages: Shares<PageKey, Vec<MessageView>>,
    /// By the chats whose facts a batch reads beside its rows (`open_internal`). Which of them
    /// may be personal chats needs no place in the key: a chat known as a group is one (a kind
    /// never changes), so its facts have no pair of people however the batch knew it.
    facts: Shares<Vec<ConversationId>, Arc<ChatFacts>>,
}

/// Each read, by what it reads: made once, by whoever gets there first.
type Shares<K, V> = HashMap<K, Arc<OnceCell<V>>>;

/// What this instance learnt of internal chats from its reads, so that a member re-polling after
/// each message need not ask the database again. Every entry holds a *mark*: the hub's newest
/// tick before the read it came from.
#[derive(Default)]
struct Known {
    /// (reader, chat): the reader was a member when the read began. That holds while every
    /// change after the mark is internal-only (only a wide change removes a member).
    members: HashMap<(UserId, ConversationId), i64>,
    /// chat → (mark, seq): every message committed at or before the mark has a seq ≤ seq.
    newest: HashMap<ConversationId, (i64, i64)>,
    /// Group chats among them (a chat's kind never changes): a batch reads the two people of
    /// the others only.
    groups: HashSet<ConversationId>,
}

/// Beyond this many entries the memory starts over (it only saves reads).
const KNOWN_MAX: usize = 100_000;

/// The most times a batch's leader lets the runtime run others before it reads: a bound on what
/// a steady stream of joiners can make the batch wait.
const MAX_YIELDS: usize = 32;

/// A batch this big reads without waiting for more: the next one forms while it reads, and its
/// members hear sooner. One message to 500 members (README, group fan-out), p50 over three runs
/// each: one batch of all 500, 10.0 to 10.9 ms (the first line 5.1 to 5.5 ms after the send);
/// up to 255, 8.9 to 10.8 ms; up to 128, 9.2 to 10.1 ms.
const BATCH_ENOUGH: usize = 128;

impl Known {
    /// Keeps the newer of what was known and what a read at `mark` found.
    fn note_newest(&mut self, id: ConversationId, mark: i64, seq: i64) {
        if self.newest.len() >= KNOWN_MAX {
            self.newest.clear();
        }
        let entry = self.newest.entry(id).or_insert((mark, seq));
        if mark >= entry.0 {
            *entry = (mark, seq.max(entry.1));
        }
    }
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
    /// Notes that `user` was a member of internal chat `id` (of `kind`) in a read that began
    /// after the hub's tick `mark`, and that the chat's newest message then was `last_seq`.
    pub fn remember(
        &self,
        user: UserId,
        (id, kind): (ConversationId, ConversationKind),
        mark: i64,
        last_seq: i64,
    ) {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.members.len() >= KNOWN_MAX {
            known.members.clear();
        }
        if known.groups.len() >= KNOWN_MAX {
            known.groups.clear();
        }
        if kind == ConversationKind::Group {
            known.groups.insert(id);
        }
        known.members.insert((user, id), mark);
        known.note_newest(id, mark, last_seq);
    }

    /// The start of a poll on an internal chat without the database, when this instance knows
    /// enough: `Some(ahead)` (whether the chat has messages past the cursor's `after_seq`), or
    /// None to read the chat. Enough is: the reader was a member at a mark after which only
    /// internal-only changes came (so still is), and either the chat is known to have a newer
    /// message, or its newest message is known as of a mark at or after the cursor's tick, so
    /// anything newer has a later tick, which the hub tells this member's poll of.
    pub fn known_start(&self, hub: &Hub, user: UserId, cursor: PollCursor) -> Option<bool> {
        let id = cursor.conversation_id?;
        let (member_mark, newest) = {
            let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
            (
                *known.members.get(&(user, id))?,
                known.newest.get(&id).copied()?,
            )
        };
        if !hub.only_internal_after(member_mark) {
            return None;
        }
        let (mark, seq) = newest;
        if seq > cursor.after_seq {
            Some(true)
        } else if mark >= cursor.tick {
            Some(false)
        } else {
            None
        }
    }

    /// The chats among the asks' open ones that are internal chats their readers are known to
    /// be members of (`remember`), each once; and those of them that may be personal chats.
    fn open_internal(&self, asks: &[Ask]) -> (Vec<ConversationId>, Vec<ConversationId>) {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let mut ids: Vec<ConversationId> = asks
            .iter()
            .filter_map(|a| {
                let open = a.cursor.conversation_id?;
                known
                    .members
                    .contains_key(&(a.viewer.id, open))
                    .then_some(open)
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let personal = ids
            .iter()
            .copied()
            .filter(|id| !known.groups.contains(id))
            .collect();
        (ids, personal)
    }

    /// The shared read of `key` at `clock`, or None for a clock older than the newest one
    /// shared (its batch reads alone).
    fn shared<K: Eq + std::hash::Hash, V>(
        &self,
        clock: i64,
        pick: impl FnOnce(&mut Shared) -> &mut Shares<K, V>,
        key: K,
    ) -> Option<Arc<OnceCell<V>>> {
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        if clock > shared.clock {
            *shared = Shared {
                clock,
                ..Shared::default()
            };
        }
        (clock == shared.clock).then(|| pick(&mut shared).entry(key).or_default().clone())
    }

    /// How many polls joined the batch now forming.
    fn forming_len(&self) -> usize {
        self.forming
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map_or(0, Vec::len)
    }

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
        // The polls woken with this one are ready to run: let them join. The runtime comes back
        // to a yielded task after a few dozen others (batches of 60 when this yielded once: 5 to
        // 10 batches, each with all its reads, for one message to 500 members), so it yields
        // again while the batch still grows, up to `BATCH_ENOUGH`.
        let mut joined = 0;
        for _ in 0..MAX_YIELDS {
            tokio::task::yield_now().await;
            let now = self.forming_len();
            if now == joined || now + 1 >= BATCH_ENOUGH {
                break;
            }
            joined = now;
        }
        let others = self.take();
        leading.armed = false;
        let mut asks = Vec::with_capacity(others.len() + 1);
        asks.push(ask);
        asks.extend(others.iter().map(|(a, _)| *a));
        tracing::debug!(polls = asks.len(), "woken polls read together");
        match Box::pin(collect_many(db, hub, Some(self), &asks)).await {
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
    let mut updates = Box::pin(collect_many(db, hub, None, &[ask])).await?;
    Ok(updates.remove(0))
}

/// The read `cell` holds, made by the first batch that gets there (the others wait for it; one
/// that fails leaves the cell to the next), or made alone without a cell.
async fn read_shared<V: Clone, F: Future<Output = Result<V, DbErr>>>(
    cell: Option<Arc<OnceCell<V>>>,
    read: impl FnOnce() -> F,
) -> Result<V, DbErr> {
    match cell {
        Some(cell) => cell.get_or_try_init(read).await.cloned(),
        None => read().await,
    }
}

/// A page of an open chat's messages: the chat, as whom, after which seq, how many at most.
type PageKey = (ConversationId, Reader, i64, u64);

/// The page `ask` waits on, if it has a chat open.
fn page_of(ask: &Ask) -> Option<PageKey> {
    let open = ask.cursor.conversation_id?;
    Some((
        open,
        Reader::of(ask.viewer.role),
        ask.cursor.after_seq,
        ask.page,
    ))
}

/// Each page the asks wait on, read once for all of them.
async fn open_pages(
    db: &DatabaseConnection,
    reads: Option<&PollReads>,
    heard: Option<i64>,
    asks: &[Ask],
) -> Result<HashMap<PageKey, Vec<MessageView>>, DbErr> {
    let mut pages = HashMap::new();
    for key in asks.iter().filter_map(page_of) {
        if let Entry::Vacant(slot) = pages.entry(key) {
            let cell = reads
                .zip(heard)
                .and_then(|(r, clock)| r.shared(clock, |s| &mut s.pages, key));
            let page = read_shared(cell, || read_page(db, reads, heard, key)).await?;
            slot.insert(page);
        }
    }
    Ok(pages)
}

/// One page, with one message more than the page holds (to tell whether more follow). A whole
/// page as staff read it (a client's may leave lines out) holds the chat's newest message as of
/// the clock `heard`: remembered for `known_start`.
async fn read_page(
    db: &DatabaseConnection,
    reads: Option<&PollReads>,
    heard: Option<i64>,
    (open, reader, after_seq, page): PageKey,
) -> Result<Vec<MessageView>, DbErr> {
    let messages = messages::after(db, reader, open, after_seq, page + 1).await?;
    if let (Some(reads), Some(mark), Some(last)) = (reads, heard, messages.last())
        && reader == Reader::Staff
        && messages.len() as u64 <= page
    {
        reads
            .known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .note_newest(open, mark, last.seq);
    }
    Ok(messages)
}

/// For each ask, everything after its cursor that its viewer may see, and the cursor after it.
/// With `reads`, the newest message of each page read is remembered for `known_start`.
async fn collect_many(
    db: &DatabaseConnection,
    hub: &Hub,
    reads: Option<&PollReads>,
    asks: &[Ask],
) -> Result<Vec<PollUpdate>, AppError> {
    // The clock first: every change up to it has committed, so nothing at or below it can
    // appear later, and every read after it sees at least all of it, in whatever order the
    // reads run. The answer's cursor moves to the clock and no further: a row a read found
    // newer than the clock may have committed after another read ran (the page of messages
    // read beside the lists, a removal read beside the rows), so what it brought comes again
    // in the next answer rather than never. The hub knows the clock without a query while it
    // hears every change.
    let heard = hub.newest_heard();
    let clock = match heard {
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
    // The internal chats the woken readers have open, as far as this instance knows them: the
    // Chats rows a group's message changes, whose names and counts are read beside the rows.
    let (likely, likely_personal) = reads.map(|r| r.open_internal(asks)).unwrap_or_default();
    let facts_cell = reads
        .zip(heard)
        .and_then(|(r, clock)| r.shared(clock, |s| &mut s.facts, likely.clone()));
    let facts = read_shared(facts_cell, || async {
        let facts = internal_list::facts_of(db, &likely, &likely_personal).await?;
        Ok(Arc::new(facts))
    });
    // Only a wide change removes a member (`Audience::internal_only`): a reader after whose
    // cursor none came (`Hub::only_internal_after`) left no chat since.
    let wide: Vec<(UserId, i64)> = readers
        .iter()
        .copied()
        .filter(|(_, tick)| !hub.only_internal_after(*tick))
        .collect();
    // The lists and the open chats' pages go together: on PostgreSQL each read is a round trip,
    // and every member of the batch waits for all of them.
    let (internal, left, mut pages) = tokio::try_join!(
        internal_list::changed_for(db, &readers, facts),
        internal_list::left_for(db, &wide),
        open_pages(db, reads, heard, asks),
    )?;
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
        let open_deal = cursor.conversation_id.and_then(|open| {
            rows.iter()
                .find(|r| r.summary.id == open && r.deal_tick > cursor.tick)
                .and_then(|r| r.summary.deal_id.map(|d| (d, r.summary.channel)))
        });
        let mut update = PollUpdate {
            cursor: PollCursor {
                tick: clock.max(cursor.tick),
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
        if let Some(key) = page_of(a).filter(|(open, ..)| {
            !update.removed.contains(open) && !update.internal_removed.contains(open)
        }) {
            // `open_pages` read every ask's page; a page missing all the same is read here.
            let mut messages = match pages.entry(key) {
                Entry::Occupied(page) => page.get().clone(),
                Entry::Vacant(slot) => slot.insert(read_page(db, reads, heard, key).await?).clone(),
            };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::realtime::Audience;

    fn at(tick: i64, after_seq: i64) -> PollCursor {
        PollCursor {
            tick,
            conversation_id: Some(ConversationId(7)),
            after_seq,
        }
    }

    #[test]
    fn batches_at_one_clock_share_a_read_and_a_newer_clock_starts_over() {
        let reads = PollReads::default();
        let page = |after_seq| (ConversationId(7), Reader::Staff, after_seq, 50);
        let at = |clock, after_seq| reads.shared(clock, |s| &mut s.pages, page(after_seq));
        let first = at(10, 5).expect("the newest clock shares");
        assert!(Arc::ptr_eq(&first, &at(10, 5).expect("shared")));
        assert!(
            !Arc::ptr_eq(&first, &at(10, 6).expect("shared")),
            "another page is another read"
        );
        let newer = at(11, 5).expect("a newer clock shares");
        assert!(!Arc::ptr_eq(&first, &newer), "a newer clock reads again");
        assert!(at(10, 5).is_none(), "a batch at an older clock reads alone");
    }

    #[tokio::test]
    async fn a_shared_read_runs_once_for_all_who_wait_and_again_after_a_failure() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let runs = AtomicUsize::new(0);
        let cell = Some(Arc::new(OnceCell::new()));
        let failing = read_shared(cell.clone(), || async {
            runs.fetch_add(1, Ordering::SeqCst);
            Err::<u32, _>(DbErr::Custom("down".into()))
        })
        .await;
        assert!(failing.is_err());
        let read = || async {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok::<u32, DbErr>(42)
        };
        let (a, b, c) = tokio::join!(
            read_shared(cell.clone(), read),
            read_shared(cell.clone(), read),
            read_shared(cell, read)
        );
        assert_eq!((a.ok(), b.ok(), c.ok()), (Some(42), Some(42), Some(42)));
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "one failed read, then one for all three"
        );
        let alone = read_shared(None, read).await;
        assert_eq!(alone.ok(), Some(42));
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "without a cell a read is its own"
        );
    }

    #[test]
    fn a_member_re_polls_from_memory_only_while_it_is_sure() {
        let (hub, reads, ana) = (Hub::new(), PollReads::default(), UserId(1));
        hub.hear_everything_after(10);
        assert_eq!(
            reads.known_start(&hub, ana, at(10, 5)),
            None,
            "nothing known"
        );
        reads.remember(ana, (ConversationId(7), ConversationKind::Group), 10, 5);
        assert_eq!(reads.known_start(&hub, ana, at(10, 5)), Some(false));
        assert_eq!(
            reads.known_start(&hub, ana, at(10, 4)),
            Some(true),
            "behind"
        );
        assert_eq!(
            reads.known_start(&hub, ana, at(11, 5)),
            None,
            "a cursor past what is known"
        );
        assert_eq!(
            reads.known_start(&hub, UserId(2), at(10, 5)),
            None,
            "someone else"
        );
        // A message (internal-only) leaves the membership standing; a page read later moves
        // what is known of the newest message.
        hub.publish(11, &Audience::internal_members([ana]));
        reads
            .known
            .lock()
            .unwrap()
            .note_newest(ConversationId(7), 11, 6);
        assert_eq!(reads.known_start(&hub, ana, at(11, 6)), Some(false));
        // An older read does not move it back.
        reads
            .known
            .lock()
            .unwrap()
            .note_newest(ConversationId(7), 9, 5);
        assert_eq!(reads.known_start(&hub, ana, at(11, 6)), Some(false));
        // Any wide change (a removal, say) sends the poll to the database.
        hub.publish(12, &Audience::users([Some(UserId(3))]));
        assert_eq!(reads.known_start(&hub, ana, at(11, 6)), None);
    }

    #[test]
    fn a_batch_reads_ahead_only_the_internal_chats_its_readers_are_known_in() {
        let reads = PollReads::default();
        let ask = |user: i64, open: Option<i64>| Ask {
            viewer: Viewer {
                id: UserId(user),
                role: crate::model::Role::Manager,
            },
            cursor: PollCursor {
                tick: 10,
                conversation_id: open.map(ConversationId),
                after_seq: 0,
            },
            page: 50,
        };
        reads.remember(
            UserId(1),
            (ConversationId(7), ConversationKind::Group),
            10,
            5,
        );
        reads.remember(
            UserId(2),
            (ConversationId(7), ConversationKind::Group),
            10,
            5,
        );
        reads.remember(
            UserId(2),
            (ConversationId(3), ConversationKind::Direct),
            10,
            5,
        );
        let asks = [
            ask(1, Some(7)),
            ask(2, Some(7)),
            // Known in 3, but has 9 open (a deal chat, say): not read ahead.
            ask(2, Some(9)),
            // Someone else with 3 open: not known as a member there.
            ask(4, Some(3)),
            ask(1, None),
        ];
        assert_eq!(
            reads.open_internal(&asks),
            (vec![ConversationId(7)], Vec::new())
        );
        assert_eq!(
            reads.open_internal(&asks[3..]),
            (Vec::new(), Vec::new()),
            "nothing to read beside"
        );
        // A personal chat among them: its two people are read beside too.
        let mut with_direct = asks.to_vec();
        with_direct.push(ask(2, Some(3)));
        assert_eq!(
            reads.open_internal(&with_direct),
            (
                vec![ConversationId(3), ConversationId(7)],
                vec![ConversationId(3)]
            )
        );
    }
}
