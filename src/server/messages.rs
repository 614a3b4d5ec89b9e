//! The append-only message log of a conversation: appending inside a write (which numbers the
//! messages and stamps the conversation), and reading pages of it as views.

use crate::model::Role;
use crate::model::chat::{FileRef, MessageView, OfferStatus, OfferView, SenderSide};
use crate::model::ids::{ConversationId, FileId, MessageId, OfferId, PaymentId, UserId};
use crate::model::message::{MessageContent, SystemEvent};
use crate::model::money::Money;
use crate::model::payment::Provider;
use crate::model::payment::{PaymentStatus, PaymentView};
use crate::server::platform::entities::{conversation, message};
use crate::server::realtime::Audience;
use crate::server::realtime::changes::{Write, one_of, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryResult, Value,
};

/// The kinds a message is stored under (`messages.kind`): the tags of `MessageContent`.
pub mod kind {
    pub const TEXT: &str = "text";
    /// `body` holds the `SystemEvent` as JSON.
    pub const SYSTEM: &str = "system";
    pub const FILE: &str = "file";
    pub const OFFER: &str = "offer";
    /// `body` holds the client's reason, if they gave one.
    pub const OFFER_DECISION: &str = "offer_decision";
    pub const OFFER_WITHDRAWN: &str = "offer_withdrawn";
    pub const FOLDER_FILE: &str = "folder_file";
    pub const PAYMENT: &str = "payment";
    /// `body` holds the status the message reports (`paid`, `failed`, `canceled`).
    pub const PAYMENT_STATUS: &str = "payment_status";
}

pub use kind::TEXT as KIND_TEXT;

/// A message about to be stored.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub sender_id: Option<UserId>,
    pub kind: &'static str,
    pub body: String,
    pub client_msg_id: Option<String>,
    pub file_id: Option<FileId>,
    pub offer_id: Option<OfferId>,
    pub payment_id: Option<PaymentId>,
    /// Only staff read it.
    pub staff_only: bool,
}

/// Who reads a page of messages: staff read everything, a client not what is staff-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reader {
    Staff,
    Client,
}

impl Reader {
    pub fn of(role: Role) -> Reader {
        if role.is_staff() {
            Reader::Staff
        } else {
            Reader::Client
        }
    }

    /// The condition (on messages joined as `m`) a page read adds.
    fn condition(self) -> &'static str {
        match self {
            Reader::Staff => "",
            // `NOT` of a boolean column reads the same on SQLite (0/1) and PostgreSQL.
            Reader::Client => " AND NOT m.staff_only",
        }
    }
}

impl NewMessage {
    /// Something that happened, said by the product.
    pub fn event(event: &SystemEvent) -> NewMessage {
        // A plain enum of strings and numbers always serialises.
        let body = serde_json::to_string(event).unwrap_or_default();
        NewMessage::by(None, kind::SYSTEM, body)
    }

    /// Something that happened that only staff read (a session's boundaries).
    pub fn staff_event(event: &SystemEvent) -> NewMessage {
        NewMessage {
            staff_only: true,
            ..NewMessage::event(event)
        }
    }

    /// A message of `kind` from `sender`, without a file or an offer.
    pub fn by(
        sender_id: Option<UserId>,
        kind: &'static str,
        body: impl Into<String>,
    ) -> NewMessage {
        NewMessage {
            sender_id,
            kind,
            body: body.into(),
            client_msg_id: None,
            file_id: None,
            offer_id: None,
            payment_id: None,
            staff_only: false,
        }
    }
}

/// Who hears about a change to this conversation: its client, its manager, and the whole
/// staff while it waits in the shared inbox.
pub fn audience_of(conv: &conversation::Model) -> Audience {
    // Staff hear of a chat while it waits in a queue; an ended one (nobody's, not waiting)
    // concerns its client and the administrators only.
    let waiting = conv.assignee_id.is_none() && conv.queued_at.is_some();
    Audience::users([conv.client_id, conv.assignee_id]).with_staff(waiting)
}

/// Stamps the conversation with the write's tick (and, with `new_messages`, reserves that many
/// sequence numbers). The row lock this takes orders the conversation's writers. Returns the
/// updated row, or None if the conversation does not exist.
/// `client_visible`: how far into the new messages the last one the client may read is (1 for
/// the first), or 0 when the client may read none of them; `by_people`: how many of them have a
/// sender (they count towards unread counts).
/// `open_only`: a closed conversation is left as it is, and None returned as for a missing one.
async fn stamp(
    w: &mut Write,
    conversation_id: ConversationId,
    new_messages: i64,
    client_visible: i64,
    by_people: i64,
    open_only: bool,
) -> Result<Option<conversation::Model>, DbErr> {
    // The condition is checked on the row as locked: a close that commits first wins.
    let open = if open_only {
        " AND status <> 'closed'"
    } else {
        ""
    };
    let (sql, values): (String, Vec<Value>) = if new_messages > 0 {
        (
            // The right-hand sides read the row as it was, on SQLite as on PostgreSQL.
            format!(
                "UPDATE conversations SET \
             client_seq = CASE WHEN ? > 0 THEN last_seq + ? ELSE client_seq END, \
             last_seq = last_seq + ?, human_count = human_count + ?, last_message_at = ?, \
             tick = ? WHERE id = ?{open} RETURNING *"
            ),
            vec![
                client_visible.into(),
                client_visible.into(),
                new_messages.into(),
                by_people.into(),
                Utc::now().into(),
                w.tick.into(),
                conversation_id.into(),
            ],
        )
    } else {
        (
            format!("UPDATE conversations SET tick = ? WHERE id = ?{open} RETURNING *"),
            vec![w.tick.into(), conversation_id.into()],
        )
    };
    let row = w.txn.query_one_raw(stmt(w.backend(), &sql, values)).await?;
    let conv = row
        .map(|r| conversation::Model::from_query_result(&r, ""))
        .transpose()?;
    if let Some(c) = &conv {
        if c.kind.is_internal() {
            // An internal chat's news is for its members, and by itself changes no deal and no
            // one's right to read (a write that does, such as removing a member, names them
            // with a wide audience of its own).
            let members = active_members(&w.txn, c.id).await?;
            w.audience.merge(&Audience::internal_members(members));
        } else {
            w.audience.merge(&audience_of(c));
        }
    }
    Ok(conv)
}

/// The users who are members of an internal chat now.
async fn active_members(
    txn: &impl ConnectionTrait,
    conversation_id: ConversationId,
) -> Result<Vec<UserId>, DbErr> {
    #[derive(FromQueryResult)]
    struct Member {
        user_id: UserId,
    }
    let rows = Member::find_by_statement(stmt(
        txn.get_database_backend(),
        "SELECT user_id FROM conversation_members WHERE conversation_id = ? AND left_at IS NULL",
        [conversation_id.into()],
    ))
    .all(txn)
    .await?;
    Ok(rows.into_iter().map(|m| m.user_id).collect())
}

/// Marks a conversation changed without adding messages (assignment, deal, read state).
pub async fn touch(
    w: &mut Write,
    conversation_id: ConversationId,
) -> Result<Option<conversation::Model>, DbErr> {
    stamp(w, conversation_id, 0, 0, 0, false).await
}

/// SQL for how many of a chat's messages by people (`conversations.human_count`) a member has
/// seen once their read marker is at a seq: all but the others' after the marker (their own
/// count as seen). Binds `seen_values`. Read after the conversation's row lock is taken (a
/// stamp or a touch in the same write), it counts every message committed before, and a
/// message after it adds to the count (`append`).
pub const SEEN_SQL: &str = "(SELECT human_count FROM conversations WHERE id = ?) \
     - (SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ? \
        AND sender_id IS NOT NULL AND sender_id <> ?)";

/// The values `SEEN_SQL` binds, in order.
pub fn seen_values(conversation_id: ConversationId, user: UserId, read_seq: i64) -> [Value; 4] {
    [
        conversation_id.into(),
        conversation_id.into(),
        read_seq.into(),
        user.into(),
    ]
}

/// Appends messages to a conversation in order; returns the conversation as updated and the
/// stored rows. None when the conversation does not exist.
pub async fn append(
    w: &mut Write,
    conversation_id: ConversationId,
    messages: Vec<NewMessage>,
) -> Result<Option<(conversation::Model, Vec<message::Model>)>, DbErr> {
    append_if(w, conversation_id, messages, false).await
}

/// Why `append_open` wrote nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The conversation is closed.
    Closed,
    Missing,
}

/// Appends as `append` does, unless the conversation is closed: checked in the same statement
/// that stamps it (a send's round trip less than reading the state first).
pub async fn append_open(
    w: &mut Write,
    conversation_id: ConversationId,
    messages: Vec<NewMessage>,
) -> Result<Result<(conversation::Model, Vec<message::Model>), Refused>, DbErr> {
    if let Some(stored) = append_if(w, conversation_id, messages, true).await? {
        return Ok(Ok(stored));
    }
    // Refused or missing: which one is worth a read only now.
    let exists = w
        .txn
        .query_one_raw(stmt(
            w.backend(),
            "SELECT id FROM conversations WHERE id = ?",
            [conversation_id.into()],
        ))
        .await?
        .is_some();
    Ok(Err(if exists {
        Refused::Closed
    } else {
        Refused::Missing
    }))
}

async fn append_if(
    w: &mut Write,
    conversation_id: ConversationId,
    messages: Vec<NewMessage>,
    open_only: bool,
) -> Result<Option<(conversation::Model, Vec<message::Model>)>, DbErr> {
    let count = i64::try_from(messages.len()).unwrap_or(i64::MAX);
    let client_visible = messages
        .iter()
        .rposition(|m| !m.staff_only)
        .map_or(0, |i| i64::try_from(i + 1).unwrap_or(i64::MAX));
    // Each sender's own messages count as seen by them.
    let mut senders: Vec<(UserId, i64)> = Vec::new();
    for sender in messages.iter().filter_map(|m| m.sender_id) {
        match senders.iter_mut().find(|(id, _)| *id == sender) {
            Some((_, n)) => *n += 1,
            None => senders.push((sender, 1)),
        }
    }
    let by_people = senders.iter().map(|(_, n)| n).sum();
    let Some(conv) = stamp(
        w,
        conversation_id,
        count,
        client_visible,
        by_people,
        open_only,
    )
    .await?
    else {
        return Ok(None);
    };
    if messages.is_empty() {
        return Ok(Some((conv, Vec::new())));
    }
    for (sender, n) in senders {
        w.txn
            .execute_raw(stmt(
                w.backend(),
                "UPDATE conversation_members SET seen_count = seen_count + ? \
                 WHERE conversation_id = ? AND user_id = ?",
                [n.into(), conversation_id.into(), sender.into()],
            ))
            .await?;
    }
    let first_seq = conv.last_seq - count + 1;
    let now = conv.last_message_at;
    let rows = messages
        .into_iter()
        .zip(first_seq..)
        .map(|(m, seq)| message::ActiveModel {
            conversation_id: Set(conversation_id),
            seq: Set(seq),
            sender_id: Set(m.sender_id),
            kind: Set(m.kind.to_owned()),
            body: Set(m.body),
            client_msg_id: Set(m.client_msg_id),
            created_at: Set(now),
            file_id: Set(m.file_id),
            offer_id: Set(m.offer_id),
            payment_id: Set(m.payment_id),
            staff_only: Set(m.staff_only),
            ..Default::default()
        });
    let stored = message::Entity::insert_many(rows)
        .exec_with_returning(&w.txn)
        .await?;
    Ok(Some((conv, stored)))
}

#[derive(Debug, FromQueryResult)]
struct MessageRow {
    id: MessageId,
    conversation_id: ConversationId,
    seq: i64,
    sender_id: Option<UserId>,
    kind: String,
    body: String,
    client_msg_id: Option<String>,
    created_at: DateTime<Utc>,
    sender_name: Option<String>,
    sender_role: Option<Role>,
    file_id: Option<FileId>,
    file_name: Option<String>,
    file_size: Option<i64>,
    file_type: Option<String>,
    file_sha256: Option<String>,
    offer_id: Option<OfferId>,
    offer_title: Option<String>,
    offer_status: Option<String>,
    offer_reason: Option<String>,
    payment_id: Option<PaymentId>,
    payment_minor: Option<i64>,
    payment_currency: Option<String>,
    payment_description: Option<String>,
    payment_status: Option<String>,
    payment_provider: Option<String>,
    /// For a client of a channel that answers in its own name: the channel's name.
    voice: Option<String>,
}

/// What a message view reads: (expression, column name). Tables: `m` the message, `u` its
/// sender, `f` its file, `o` its offer, `p` its payment.
const VIEW_COLUMNS: [(&str, &str); 25] = [
    ("m.id", "id"),
    ("m.conversation_id", "conversation_id"),
    ("m.seq", "seq"),
    ("m.sender_id", "sender_id"),
    ("m.kind", "kind"),
    ("m.body", "body"),
    ("m.client_msg_id", "client_msg_id"),
    ("m.created_at", "created_at"),
    ("u.display_name", "sender_name"),
    ("u.role", "sender_role"),
    ("m.file_id", "file_id"),
    ("f.name", "file_name"),
    ("f.size", "file_size"),
    ("f.content_type", "file_type"),
    ("f.sha256", "file_sha256"),
    ("m.offer_id", "offer_id"),
    ("o.title", "offer_title"),
    ("o.status", "offer_status"),
    ("o.reason", "offer_reason"),
    ("m.payment_id", "payment_id"),
    ("p.amount_minor", "payment_minor"),
    ("p.currency", "payment_currency"),
    ("p.description", "payment_description"),
    ("p.status", "payment_status"),
    ("p.provider", "payment_provider"),
];

/// The select list that reads a message as a view for `reader`, for a message joined as
/// `{prefix}m`; every table alias and column name carries `prefix`, so the read can sit inside
/// another query (the chat list reads each chat's last message this way).
pub fn view_columns(prefix: &str, reader: Reader) -> String {
    let voice = match reader {
        Reader::Staff => "NULL".to_owned(),
        Reader::Client => format!("CASE WHEN {prefix}ch.on_behalf THEN {prefix}ch.name END"),
    };
    VIEW_COLUMNS
        .iter()
        .map(|(expr, name)| format!("{prefix}{expr} AS {prefix}{name}"))
        .chain([format!("{voice} AS {prefix}voice")])
        .collect::<Vec<_>>()
        .join(", ")
}

/// The joins `view_columns` reads from, for a message joined as `{prefix}m`: a client's read
/// also joins the conversation's channel, which may answer in its own name.
pub fn view_joins(prefix: &str, reader: Reader) -> String {
    let channel = match reader {
        Reader::Staff => String::new(),
        Reader::Client => format!(
            " LEFT JOIN conversations {prefix}mc ON {prefix}mc.id = {prefix}m.conversation_id \
             LEFT JOIN channels {prefix}ch ON {prefix}ch.id = {prefix}mc.channel_id"
        ),
    };
    format!(
        "LEFT JOIN users {prefix}u ON {prefix}u.id = {prefix}m.sender_id \
         LEFT JOIN files {prefix}f ON {prefix}f.id = {prefix}m.file_id \
         LEFT JOIN file_offers {prefix}o ON {prefix}o.id = {prefix}m.offer_id \
         LEFT JOIN payments {prefix}p ON {prefix}p.id = {prefix}m.payment_id{channel}"
    )
}

/// `SELECT … FROM messages m …` for each reader, to which a query adds its WHERE and ORDER.
static SELECT_VIEW: std::sync::LazyLock<[String; 2]> = std::sync::LazyLock::new(|| {
    [Reader::Staff, Reader::Client].map(|reader| {
        format!(
            "SELECT {} FROM messages m {}",
            view_columns("", reader),
            view_joins("", reader)
        )
    })
});

fn select_view(reader: Reader) -> &'static str {
    match reader {
        Reader::Staff => &SELECT_VIEW[0],
        Reader::Client => &SELECT_VIEW[1],
    }
}

/// The message a row holds under `prefix` (see `view_columns`), if the row has one.
pub fn view_in(row: &QueryResult, prefix: &str) -> Result<Option<MessageView>, DbErr> {
    if row.try_get::<Option<i64>>(prefix, "id")?.is_none() {
        return Ok(None);
    }
    Ok(Some(to_view(MessageRow::from_query_result(row, prefix)?)))
}

/// The view of a text message its sender just stored, built from what the sender's session
/// already says about them instead of reading the row back.
pub fn sent_view(m: message::Model, sender_name: &str, sender_role: Role) -> MessageView {
    MessageView {
        id: m.id,
        conversation_id: m.conversation_id,
        seq: m.seq,
        side: side_of(m.sender_id, Some(sender_role)),
        sender_id: m.sender_id,
        sender_name: sender_name.to_owned(),
        client_msg_id: m.client_msg_id,
        created_at_ms: m.created_at.timestamp_millis(),
        content: MessageContent::Text { body: m.body },
    }
}

fn side_of(sender_id: Option<UserId>, role: Option<Role>) -> SenderSide {
    match (sender_id, role) {
        (None, _) => SenderSide::System,
        (Some(_), Some(Role::Client)) => SenderSide::Client,
        (Some(_), _) => SenderSide::Staff,
    }
}

fn to_view(mut r: MessageRow) -> MessageView {
    let side = side_of(r.sender_id, r.sender_role);
    // The body moves into the content; the row is only read for the rest.
    let body = std::mem::take(&mut r.body);
    let mut content = content_of(&r, body).unwrap_or_else(|why| {
        tracing::error!(message = %r.id, kind = r.kind, %why, "a stored message cannot be read");
        MessageContent::Unreadable
    });
    // A channel that answers in its own name: its client reads the channel, not the operator.
    if let Some(voice) = r.voice.take() {
        if side == SenderSide::Staff {
            r.sender_name = Some(voice);
        } else if let MessageContent::System { event } = content {
            content = MessageContent::System {
                event: event.in_voice_of(&voice),
            };
        }
    }
    MessageView {
        id: r.id,
        conversation_id: r.conversation_id,
        seq: r.seq,
        sender_id: r.sender_id,
        sender_name: r.sender_name.unwrap_or_else(|| match side {
            SenderSide::System => "dealchat".to_owned(),
            _ => "Former user".to_owned(),
        }),
        side,
        client_msg_id: r.client_msg_id,
        created_at_ms: r.created_at.timestamp_millis(),
        content,
    }
}

/// The content of a stored row (its `body` taken out): every kind with the parts it needs, or why
/// it cannot be read.
fn content_of(r: &MessageRow, body: String) -> Result<MessageContent, String> {
    let file = match (r.file_id, &r.file_name) {
        (Some(id), Some(name)) => Some(FileRef {
            id,
            name: name.clone(),
            size: r.file_size.unwrap_or(0),
            content_type: r.file_type.clone().unwrap_or_default(),
            sha256: r.file_sha256.clone().unwrap_or_default(),
        }),
        _ => None,
    };
    let offer = || -> Result<OfferView, String> {
        let (Some(id), Some(title), Some(status)) = (r.offer_id, &r.offer_title, &r.offer_status)
        else {
            return Err("its offer is missing".into());
        };
        Ok(OfferView {
            id,
            title: title.clone(),
            status: OfferStatus::parse(status).ok_or(format!("offer status `{status}`"))?,
            reason: r.offer_reason.clone(),
        })
    };
    let payment = || -> Result<PaymentView, String> {
        payment_view(
            r.payment_id,
            r.payment_minor,
            r.payment_currency.as_deref(),
            r.payment_description.clone(),
            r.payment_status.as_deref(),
            r.payment_provider.as_deref(),
        )
        .ok_or_else(|| "its payment is missing or unreadable".to_owned())
    };
    Ok(match r.kind.as_str() {
        kind::TEXT => MessageContent::Text { body },
        kind::SYSTEM => MessageContent::System {
            event: serde_json::from_str(&body).map_err(|e| format!("event: {e}"))?,
        },
        kind::FILE => MessageContent::File { body, file },
        kind::OFFER => MessageContent::Offer {
            body,
            file,
            offer: offer()?,
        },
        kind::OFFER_DECISION => MessageContent::OfferDecision {
            offer: offer()?,
            file,
            reason: Some(body).filter(|b| !b.is_empty()),
        },
        kind::OFFER_WITHDRAWN => MessageContent::OfferWithdrawn {
            offer: offer()?,
            file,
        },
        kind::FOLDER_FILE => MessageContent::FolderFile { file },
        kind::PAYMENT => MessageContent::Payment {
            body,
            payment: payment()?,
        },
        kind::PAYMENT_STATUS => MessageContent::PaymentStatus {
            payment: payment()?,
            status: PaymentStatus::parse(&body).ok_or(format!("payment status `{body}`"))?,
        },
        other => return Err(format!("unknown kind `{other}`")),
    })
}

/// A payment's view from its columns; None when the message shows no payment or the row is
/// not readable (the caller says which message).
fn payment_view(
    id: Option<PaymentId>,
    minor: Option<i64>,
    currency: Option<&str>,
    description: Option<String>,
    status: Option<&str>,
    provider: Option<&str>,
) -> Option<PaymentView> {
    Some(PaymentView {
        id: id?,
        amount: Money::stored(minor?, currency?)?,
        description: description?,
        status: PaymentStatus::parse(status?)?,
        test_mode: Provider::parse(provider?)? == Provider::Test,
    })
}

async fn query_views(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<MessageView>, DbErr> {
    let rows = MessageRow::find_by_statement(stmt(db.get_database_backend(), sql, values))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_view).collect())
}

/// Up to `limit` messages after `after_seq` that `reader` may read, oldest first.
pub async fn after(
    db: &impl ConnectionTrait,
    reader: Reader,
    conversation_id: ConversationId,
    after_seq: i64,
    limit: u64,
) -> Result<Vec<MessageView>, DbErr> {
    let sql = format!(
        "{} WHERE m.conversation_id = ? AND m.seq > ?{} ORDER BY m.seq LIMIT ?",
        select_view(reader),
        reader.condition()
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    query_views(
        db,
        &sql,
        vec![conversation_id.into(), after_seq.into(), limit.into()],
    )
    .await
}

/// Up to `limit` messages before `before_seq` (or the newest, when None) that `reader` may read,
/// oldest first.
pub async fn before(
    db: &impl ConnectionTrait,
    reader: Reader,
    conversation_id: ConversationId,
    before_seq: Option<i64>,
    limit: u64,
) -> Result<Vec<MessageView>, DbErr> {
    let sql = format!(
        "{} WHERE m.conversation_id = ? AND m.seq < ?{} ORDER BY m.seq DESC LIMIT ?",
        select_view(reader),
        reader.condition()
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let values = vec![
        conversation_id.into(),
        before_seq.unwrap_or(i64::MAX).into(),
        limit.into(),
    ];
    let mut page = query_views(db, &sql, values).await?;
    page.reverse();
    Ok(page)
}

/// The messages with these ids (any conversation), in no particular order.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[MessageId],
) -> Result<Vec<MessageView>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (is_one, values) = one_of(
        db.get_database_backend(),
        "m.id",
        ids.iter().map(|id| (*id).into()),
    );
    let sql = format!("{} WHERE {is_one}", select_view(Reader::Staff));
    query_views(db, &sql, values).await
}

/// A message its sender already stored under `client_msg_id`, if any.
pub async fn find_by_client_id(
    db: &impl ConnectionTrait,
    sender_id: UserId,
    client_msg_id: &str,
) -> Result<Option<message::Model>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    message::Entity::find()
        .filter(message::Column::SenderId.eq(sender_id))
        .filter(message::Column::ClientMsgId.eq(client_msg_id))
        .one(db)
        .await
}
