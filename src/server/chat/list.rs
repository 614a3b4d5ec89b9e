//! Reading chat list rows (sidebar, inbox, poll updates) for a viewer, with the visibility rules
//! of `chat_access` expressed in SQL.

use crate::model::chat::{ChatSummary, MessageView};
use crate::model::ids::{ChannelId, ConversationId, DealId, QueueId, UserId};
use crate::model::message_text::preview;
use crate::model::{DealStage, Role};
use crate::server::access::{OPERATES_CHANNEL, Viewer, WORKS_QUEUE};
use crate::server::messages::{self, Reader};
use crate::server::platform::db::like_contains;
use crate::server::realtime::changes::stmt;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};

/// Longest list answered at once.
pub const LIST_LIMIT: i64 = 200;
const PREVIEW_CHARS: usize = 100;

/// The columns and joins that read each chat's last message (joined as `lm_m`) for staff and
/// for clients, built once: the list is on the poll's path.
static LAST_MESSAGE: std::sync::LazyLock<[(String, String); 2]> = std::sync::LazyLock::new(|| {
    [Reader::Staff, Reader::Client].map(|r| {
        (
            messages::view_columns("lm_", r),
            messages::view_joins("lm_", r),
        )
    })
});

#[derive(Debug, FromQueryResult)]
struct SummaryRow {
    id: ConversationId,
    subject: String,
    client_id: Option<UserId>,
    deal_id: Option<DealId>,
    assignee_id: Option<UserId>,
    queued_at: Option<DateTime<Utc>>,
    last_message_at: DateTime<Utc>,
    last_seq: i64,
    tick: i64,
    deal_title: Option<String>,
    deal_stage: Option<DealStage>,
    deal_tick: Option<i64>,
    client_name: Option<String>,
    assignee_name: Option<String>,
    last_read_seq: i64,
    seen_seq: i64,
    unread: i64,
    queue_id: Option<QueueId>,
    queue_name: Option<String>,
    channel_id: Option<ChannelId>,
    channel_name: Option<String>,
    archived: bool,
}

/// SQL condition for a manager: their own chats, the waiting ones of the queues they work and
/// channels they operate, and those they operated before (one set per query, read through the
/// operator's index, not a probe per chat). Takes the manager's id twice, their role and id,
/// and their id.
static MANAGER_VISIBLE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "(c.assignee_id = ? OR (c.assignee_id IS NULL AND c.queued_at IS NOT NULL \
          AND c.status = 'open' AND (c.queue_id IS NULL OR c.queue_id IN \
              (SELECT q.id FROM queues q WHERE {WORKS_QUEUE})) AND {}) \
          OR c.id IN (SELECT os.conversation_id FROM operator_sessions os \
                      WHERE os.operator_id = ?))",
        *OPERATES_CHANNEL
    )
});

/// SQL condition (and its values) for the conversations `viewer` may read.
fn visible(viewer: Viewer) -> (&'static str, Vec<Value>) {
    match viewer.role {
        Role::Client => ("c.client_id = ?", vec![viewer.id.into()]),
        Role::Manager => (
            MANAGER_VISIBLE.as_str(),
            vec![
                viewer.id.into(),
                viewer.id.into(),
                viewer.role.as_str().into(),
                viewer.id.into(),
                viewer.id.into(),
            ],
        ),
        Role::Admin => ("1 = 1", vec![]),
    }
}

/// A list row with the change-clock ticks a poll compares with its cursor.
#[derive(Debug)]
pub struct ListRow {
    pub summary: ChatSummary,
    /// The conversation's last change.
    pub tick: i64,
    /// The last change of its deal (0 without one).
    pub deal_tick: i64,
}

/// How a list is narrowed.
pub enum Filter<'a> {
    All,
    One(ConversationId),
    /// Title, subject or any message contains the text (case-insensitive).
    Search(&'a str),
    ChangedAfter(i64),
}

/// List rows visible to `viewer`. Staff get waiting chats first (oldest first), then the rest
/// by last activity; clients get theirs by last activity.
pub async fn summaries(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    filter: Filter<'_>,
) -> Result<Vec<ListRow>, DbErr> {
    let (visible_sql, visible_values) = visible(viewer);
    let mut values: Vec<Value> = vec![viewer.id.into(), viewer.id.into()];
    values.extend(visible_values);
    let narrow = match filter {
        Filter::All => String::new(),
        Filter::One(id) => {
            values.push(id.into());
            " AND c.id = ?".to_owned()
        }
        Filter::ChangedAfter(tick) => {
            values.push(tick.into());
            " AND c.tick > ?".to_owned()
        }
        Filter::Search(text) => {
            let pattern = like_contains(text);
            values.extend([
                pattern.clone().into(),
                pattern.clone().into(),
                pattern.into(),
            ]);
            " AND (LOWER(c.subject) LIKE ? ESCAPE '\\' OR LOWER(d.title) LIKE ? ESCAPE '\\' \
               OR EXISTS (SELECT 1 FROM messages s WHERE s.conversation_id = c.id \
                          AND s.kind = 'text' AND LOWER(s.body) LIKE ? ESCAPE '\\'))"
                .to_owned()
        }
    };
    let order = if viewer.role.is_staff() {
        "CASE WHEN c.assignee_id IS NULL AND c.queued_at IS NOT NULL AND c.status = 'open' \
         THEN 0 ELSE 1 END, \
         CASE WHEN c.assignee_id IS NULL THEN c.queued_at END ASC, c.last_message_at DESC, c.id DESC"
    } else {
        "c.last_message_at DESC, c.id DESC"
    };
    // A client reads up to `client_seq`: what comes after it is staff-only. Their thread keeps
    // its manager when a session ends: nothing changes on their side until someone else takes it.
    let (seq_column, client_filter, assignee, assignee_name, queue_columns, reader) =
        if viewer.role.is_staff() {
            (
                "c.last_seq",
                "",
                "c.assignee_id",
                "au.display_name",
                "c.queue_id AS queue_id, lq.name AS queue_name",
                Reader::Staff,
            )
        } else {
            (
                "c.client_seq",
                " AND NOT u.staff_only",
                "COALESCE(c.assignee_id, (SELECT os.operator_id FROM operator_sessions os \
                 WHERE os.conversation_id = c.id AND os.operator_id IS NOT NULL \
                 ORDER BY os.id DESC LIMIT 1))",
                // A channel that answers in its own name is who the client talks to.
                "CASE WHEN lch.on_behalf THEN lch.name ELSE au.display_name END",
                // Queues are the staff's business.
                "CAST(NULL AS BIGINT) AS queue_id, CAST(NULL AS TEXT) AS queue_name",
                Reader::Client,
            )
        };
    // "Seen": staff read the client's marker, the client the furthest of the staff's.
    let seen_by = match reader {
        Reader::Staff => "sm.user_id = c.client_id",
        Reader::Client => "sm.user_id <> c.client_id",
    };
    let (last_columns, last_joins) = match reader {
        Reader::Staff => &LAST_MESSAGE[0],
        Reader::Client => &LAST_MESSAGE[1],
    };
    let sql = format!(
        "SELECT c.id, c.subject, c.client_id, c.deal_id, {assignee} AS assignee_id, c.queued_at, \
                c.last_message_at, {seq_column} AS last_seq, c.tick, \
                d.title AS deal_title, d.stage AS deal_stage, d.tick AS deal_tick, \
                cu.display_name AS client_name, {assignee_name} AS assignee_name, \
                {queue_columns}, lch.id AS channel_id, lch.name AS channel_name, \
                (c.status = 'closed') AS archived, \
                {last_columns}, \
                COALESCE(me.last_read_seq, 0) AS last_read_seq, \
                (SELECT COALESCE(MAX(sm.last_read_seq), 0) FROM conversation_members sm \
                   WHERE sm.conversation_id = c.id AND {seen_by}) AS seen_seq, \
                (SELECT COUNT(*) FROM messages u WHERE u.conversation_id = c.id \
                   AND u.seq > COALESCE(me.last_read_seq, 0) \
                   AND (u.sender_id IS NULL OR u.sender_id <> ?){client_filter}) AS unread \
         FROM conversations c \
         LEFT JOIN deals d ON d.id = c.deal_id \
         LEFT JOIN users cu ON cu.id = c.client_id \
         LEFT JOIN users au ON au.id = {assignee} \
         LEFT JOIN queues lq ON lq.id = c.queue_id \
         LEFT JOIN channels lch ON lch.id = c.channel_id \
         LEFT JOIN messages lm_m ON lm_m.conversation_id = c.id AND lm_m.seq = {seq_column} \
         {last_joins} \
         LEFT JOIN conversation_members me ON me.conversation_id = c.id AND me.user_id = ? \
         WHERE c.kind = 'client' AND {visible_sql}{narrow} \
         ORDER BY {order} LIMIT {LIST_LIMIT}",
    );
    // The first two values are the unread sender and the member join, in that textual order.
    // Each row carries its chat's last message, read as the chat shows it, for the preview.
    let rows = db
        .query_all_raw(stmt(db.get_database_backend(), &sql, values))
        .await?;
    rows.iter()
        .map(|row| {
            let r = SummaryRow::from_query_result(row, "")?;
            let last = messages::view_in(row, "lm_")?;
            Ok(ListRow {
                summary: to_summary(&r, last),
                tick: r.tick,
                deal_tick: r.deal_tick.unwrap_or(0),
            })
        })
        .collect()
}

/// The list's line for a message: the event's own words, or "Sender: text".
fn preview_of(m: &MessageView) -> String {
    let text = preview(&m.content.describe(&m.sender_name), PREVIEW_CHARS);
    if m.content.is_event() {
        text
    } else {
        format!("{}: {text}", m.sender_name)
    }
}

fn to_summary(r: &SummaryRow, last: Option<MessageView>) -> ChatSummary {
    let last_message_preview = last.as_ref().map(preview_of);
    ChatSummary {
        id: r.id,
        title: r.deal_title.clone().unwrap_or_else(|| r.subject.clone()),
        deal_id: r.deal_id,
        stage: r.deal_stage,
        client_id: r.client_id,
        client_name: r
            .client_name
            .clone()
            .unwrap_or_else(|| "Former client".to_owned()),
        assignee_id: r.assignee_id,
        assignee_name: r.assignee_name.clone(),
        waiting_since_ms: if r.assignee_id.is_none() {
            r.queued_at.map(|t| t.timestamp_millis())
        } else {
            None
        },
        last_message_preview,
        last_activity_ms: r.last_message_at.timestamp_millis(),
        last_seq: r.last_seq,
        unread: r.unread,
        last_read_seq: r.last_read_seq,
        seen_seq: r.seen_seq,
        queue: r.queue_id,
        queue_name: r.queue_name.clone(),
        channel: r.channel_id,
        channel_name: r.channel_name.clone(),
        archived: r.archived,
    }
}

/// Chats a manager could see before `tick` that a colleague has taken since.
pub async fn taken_by_others(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    tick: i64,
) -> Result<Vec<ConversationId>, DbErr> {
    if viewer.role != Role::Manager {
        return Ok(Vec::new());
    }
    #[derive(FromQueryResult)]
    struct Id {
        id: ConversationId,
    }
    let rows = Id::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT id FROM conversations WHERE assigned_tick > ? AND assignee_id <> ?",
        [tick.into(), viewer.id.into()],
    ))
    .all(db)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
