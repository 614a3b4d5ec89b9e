//! Group commit for chat messages: sends queue here and one task writes them in batches, one
//! transaction (and one disk flush) per batch. Under load a batch collects every send that
//! arrived while the previous one was committing; alone, a send is written at once.
//!
//! A send is answered only after its transaction committed, so an accepted message survives a
//! crash. Retries are recognised by (sender, client message id), within a batch and across
//! batches (by the unique index, which sends the batch back to look them up), and answered with
//! the message already stored.

use crate::model::AppError;
use crate::model::ids::{ConversationId, UserId};
use crate::server::chat::routing::Router;
use crate::server::chat::sessions;
use crate::server::jobs;
use crate::server::messages::{self, KIND_TEXT, NewMessage, Refused};
use crate::server::platform::db::is_unique_violation;
use crate::server::platform::entities::message;
use crate::server::realtime::Hub;
use crate::server::realtime::changes;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

/// A validated, authorised message to store.
#[derive(Clone, Debug)]
pub struct Submit {
    pub conversation_id: ConversationId,
    pub sender_id: UserId,
    pub body: String,
    pub client_msg_id: String,
}

struct Job {
    submit: Submit,
    reply: oneshot::Sender<Result<message::Model, AppError>>,
}

#[derive(Clone)]
pub struct MessageWriter {
    queue: mpsc::Sender<Job>,
}

/// How many sends may wait for the writer before new ones wait for room.
const QUEUE_DEPTH: usize = 16_384;

impl MessageWriter {
    /// `notify_after`: how long a message from the staff side waits for the client to read it
    /// before the client is told by email (a `NotifyUnread` job queued with the message).
    pub fn spawn(
        db: DatabaseConnection,
        hub: Arc<Hub>,
        router: Arc<Router>,
        batch_max: usize,
        notify_after: chrono::Duration,
    ) -> MessageWriter {
        let (queue, rx) = mpsc::channel(QUEUE_DEPTH);
        let deps = Deps {
            db,
            hub,
            router,
            notify_after,
        };
        tokio::spawn(run(deps, rx, batch_max.max(1)));
        MessageWriter { queue }
    }

    /// Stores the message (or finds its earlier copy) and returns the stored row.
    pub async fn submit(&self, submit: Submit) -> Result<message::Model, AppError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { submit, reply })
            .await
            .map_err(|_| AppError::Internal)?;
        answer.await.map_err(|_| AppError::Internal)?
    }
}

/// What the writing task holds.
struct Deps {
    db: DatabaseConnection,
    hub: Arc<Hub>,
    /// A client's message into a closed chat queues it again, routed at once.
    router: Arc<Router>,
    notify_after: chrono::Duration,
}

async fn run(deps: Deps, mut rx: mpsc::Receiver<Job>, batch_max: usize) {
    let mut jobs = Vec::with_capacity(batch_max);
    while rx.recv_many(&mut jobs, batch_max).await > 0 {
        let batch: Vec<Job> = std::mem::take(&mut jobs);
        let submits: Vec<&Submit> = batch.iter().map(|j| &j.submit).collect();
        let span = tracing::debug_span!("message_batch", size = batch.len());
        match write_batch(&deps, &submits).instrument(span).await {
            Ok(results) => {
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) if batch.len() > 1 => {
                // One bad send must not sink the others: write them one by one.
                tracing::warn!(error = %e, size = batch.len(), "batch failed; writing singly");
                for job in batch {
                    let result = match write_batch(&deps, &[&job.submit]).await {
                        Ok(mut r) => r.pop().unwrap_or(Err(AppError::Internal)),
                        Err(e) => Err(e.into()),
                    };
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                let result = Err(e.into());
                for job in batch {
                    let _ = job.reply.send(result.clone());
                }
            }
        }
    }
}

/// The answer for each send of a batch, in order.
type Answers = Vec<Result<message::Model, AppError>>;

/// Whether a batch looks up stored copies of its sends before writing them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Retries {
    /// Assumed: none of them is a retry of a send stored before. The unique index on (sender,
    /// client message id) refuses the insert if one is, and the batch is written again.
    NoneStored,
    /// Looked up first, and answered with the stored copy.
    LookedUp,
}

/// Writes one batch in one transaction; the answer for each send, in order. Retries of a send
/// already stored are rare (a client that lost an answer), so the batch is first written
/// without looking them up: a round trip less on every send. When one is among them, the
/// transaction rolls back and the batch is written again with the lookup.
async fn write_batch(deps: &Deps, submits: &[&Submit]) -> Result<Answers, DbErr> {
    match write_batch_with(deps, submits, Retries::NoneStored).await {
        Err(e) if is_retry_of_stored(&e) => {
            tracing::debug!("a retried send in the batch: written again with the lookup");
            write_batch_with(deps, submits, Retries::LookedUp).await
        }
        written => written,
    }
}

/// The insert broke the unique index on (sender, client message id): a retry of a stored send.
fn is_retry_of_stored(e: &DbErr) -> bool {
    is_unique_violation(
        e,
        "ux_messages_sender_client_msg",
        "messages.sender_id, messages.client_msg_id",
    )
}

async fn write_batch_with(
    deps: &Deps,
    submits: &[&Submit],
    retries: Retries,
) -> Result<Answers, DbErr> {
    let mut w = changes::begin(&deps.db).await?;
    match fill(deps, &mut w, submits, retries).await {
        Ok(answers) => {
            w.commit(&deps.hub).await?;
            Ok(answers)
        }
        Err(e) => {
            // Rolled back now: a dropped transaction's rollback is only queued, and on
            // PostgreSQL sent with the connection's next query, so its lock on the change
            // clock's row would hold up the batch written again (or singly) right after.
            if let Err(rollback) = w.txn.rollback().await {
                tracing::warn!(error = %rollback, "a failed batch's rollback failed");
            }
            Err(e)
        }
    }
}

/// The batch's messages and what follows them, written in `w`; the answer for each send.
async fn fill(
    deps: &Deps,
    w: &mut changes::Write,
    submits: &[&Submit],
    retries: Retries,
) -> Result<Answers, DbErr> {
    let Deps {
        router,
        notify_after,
        ..
    } = deps;
    let mut results: Vec<Option<Result<message::Model, AppError>>> = vec![None; submits.len()];

    // Earlier copies of retried sends, looked up as (sender, client id) pairs, each one probe
    // of the unique index. (`sender IN … AND client id IN …` read every message of the batch's
    // senders on PostgreSQL: a busy manager's whole history, on every batch.)
    let mut stored: HashMap<(UserId, String), message::Model> = HashMap::new();
    let look_up = if retries == Retries::LookedUp {
        submits
    } else {
        &[]
    };
    for chunk in look_up.chunks(200) {
        let pairs = chunk.iter().fold(Condition::any(), |any, s| {
            any.add(
                Condition::all()
                    .add(message::Column::SenderId.eq(s.sender_id))
                    .add(message::Column::ClientMsgId.eq(s.client_msg_id.as_str())),
            )
        });
        let found = message::Entity::find().filter(pairs).all(&w.txn).await?;
        for m in found {
            if let (Some(sender), Some(cid)) = (m.sender_id, m.client_msg_id.clone()) {
                stored.insert((sender, cid), m);
            }
        }
    }

    // New messages grouped per conversation, in arrival order; duplicates within the batch
    // wait for the first copy.
    let mut groups: BTreeMap<ConversationId, Vec<usize>> = BTreeMap::new();
    let mut first_copy: HashMap<(UserId, &str), usize> = HashMap::new();
    let mut repeats: Vec<(usize, usize)> = Vec::new();
    for (i, s) in submits.iter().enumerate() {
        let key = (s.sender_id, s.client_msg_id.clone());
        if let Some(m) = stored.get(&key) {
            results[i] = Some(Ok(m.clone()));
        } else if let Some(&first) = first_copy.get(&(s.sender_id, s.client_msg_id.as_str())) {
            repeats.push((i, first));
        } else {
            first_copy.insert((s.sender_id, s.client_msg_id.as_str()), i);
            groups.entry(s.conversation_id).or_default().push(i);
        }
    }

    for (conversation_id, idxs) in groups {
        let messages = idxs
            .iter()
            .map(|&i| NewMessage {
                client_msg_id: Some(submits[i].client_msg_id.clone()),
                ..NewMessage::by(
                    Some(submits[i].sender_id),
                    KIND_TEXT,
                    submits[i].body.clone(),
                )
            })
            .collect();
        // A chat closed with its deal takes no more messages: the stamp that appends them is
        // refused on a closed chat's row, as it stands once locked.
        match messages::append_open(w, conversation_id, messages).await? {
            Ok((conv, rows)) => {
                let (client_wrote, others_wrote) = conv.client_id.map_or((false, false), |c| {
                    let from_client = |&i: &usize| submits[i].sender_id == c;
                    (idxs.iter().any(from_client), !idxs.iter().all(from_client))
                });
                // The client wrote into a chat whose last session closed: it waits again.
                if client_wrote {
                    sessions::reopen_if_closed(w, router, &conv).await?;
                }
                // Someone other than the client wrote: the client may need telling by email,
                // and the session may have its first response.
                if others_wrote {
                    jobs::enqueue_at(
                        &w.txn,
                        jobs::Job::NotifyUnread { conversation_id },
                        chrono::Utc::now() + *notify_after,
                    )
                    .await?;
                    sessions::responded(w, conversation_id).await?;
                }
                for (i, row) in idxs.into_iter().zip(rows) {
                    results[i] = Some(Ok(row));
                }
            }
            Err(Refused::Closed) => {
                for i in idxs {
                    results[i] = Some(Err(AppError::Conflict(
                        crate::server::deals::service::CLOSED.into(),
                    )));
                }
            }
            Err(Refused::Missing) => {
                for i in idxs {
                    results[i] = Some(Err(AppError::NotFound));
                }
            }
        }
    }
    for (i, first) in repeats {
        results[i] = results[first].clone();
    }
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or(Err(AppError::Internal)))
        .collect())
}
