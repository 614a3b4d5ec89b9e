//! The Chats tab: the reader's personal and group chats, newest activity first, with unread
//! counts, as one SQL query; and the chats a poll must tell them they left.

use crate::model::chat::{ConversationKind, ConversationStatus};
use crate::model::ids::{ConversationId, UserId};
use crate::model::internal_chat::{InternalChatSummary, MemberRole};
use crate::server::access::Viewer;
use crate::server::platform::db::like_contains;
use crate::server::realtime::changes::stmt;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};

/// The most chats the tab lists (search finds the others).
const LIST_LIMIT: usize = 200;

/// How the list is narrowed.
pub enum Filter<'a> {
    All,
    One(ConversationId),
    /// The group's name or the other person's name contains the text (any case).
    Search(&'a str),
    /// Chats that changed, or whose membership of the reader changed, after the tick.
    ChangedAfter(i64),
    /// Chats linked to the record of this kind and id.
    LinkedTo(&'a str, &'a str),
}

/// A row with the change-clock tick a poll compares with its cursor.
#[derive(Debug)]
pub struct InternalRow {
    pub summary: InternalChatSummary,
    pub tick: i64,
}

#[derive(Debug, FromQueryResult)]
struct Row {
    id: ConversationId,
    kind: ConversationKind,
    subject: String,
    status: ConversationStatus,
    last_message_at: DateTime<Utc>,
    tick: i64,
    role: String,
    member_tick: i64,
    unread: i64,
    members: i64,
    other_id: Option<UserId>,
    other_name: Option<String>,
}

/// The reader's internal chats, narrowed by `filter`.
pub async fn summaries(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    filter: Filter<'_>,
) -> Result<Vec<InternalRow>, DbErr> {
    let mut values: Vec<Value> = vec![viewer.id.into(), viewer.id.into()];
    let narrow = match filter {
        Filter::All => "",
        Filter::One(id) => {
            values.push(id.into());
            " AND c.id = ?"
        }
        Filter::ChangedAfter(tick) => {
            values.extend([tick.into(), tick.into()]);
            " AND (c.tick > ? OR me.member_tick > ?)"
        }
        Filter::LinkedTo(kind, id) => {
            values.extend([kind.into(), id.into()]);
            " AND EXISTS (SELECT 1 FROM chat_record_links l \
               WHERE l.conversation_id = c.id AND l.record_type = ? AND l.record_id = ?)"
        }
        Filter::Search(text) => {
            let pattern = like_contains(text);
            values.extend([pattern.clone().into(), pattern.into()]);
            " AND (LOWER(c.subject) LIKE ? ESCAPE '\\' \
               OR LOWER(ou.display_name) LIKE ? ESCAPE '\\')"
        }
    };
    // Unread: what others wrote after the reader's marker (the product's own lines, such as
    // "Ana added Bo", are not counted).
    let sql = format!(
        "SELECT c.id, c.kind, c.subject, c.status, c.last_message_at, c.tick, \
                me.role, me.member_tick, \
                (SELECT COUNT(*) FROM messages u WHERE u.conversation_id = c.id \
                   AND u.seq > me.last_read_seq AND u.sender_id IS NOT NULL \
                   AND u.sender_id <> ?) AS unread, \
                (SELECT COUNT(*) FROM conversation_members cm \
                   WHERE cm.conversation_id = c.id AND cm.left_at IS NULL) AS members, \
                o.user_id AS other_id, ou.display_name AS other_name \
         FROM conversation_members me \
         JOIN conversations c ON c.id = me.conversation_id \
         LEFT JOIN conversation_members o ON c.kind = 'direct' \
              AND o.conversation_id = c.id AND o.user_id <> me.user_id \
         LEFT JOIN users ou ON ou.id = o.user_id \
         WHERE me.user_id = ? AND me.left_at IS NULL AND c.kind IN ('direct', 'group'){narrow} \
         ORDER BY c.last_message_at DESC, c.id DESC LIMIT {LIST_LIMIT}"
    );
    let rows = Row::find_by_statement(stmt(db.get_database_backend(), &sql, values))
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(to_row).collect())
}

fn to_row(r: Row) -> Option<InternalRow> {
    let Some(my_role) = MemberRole::parse(&r.role) else {
        tracing::error!(conversation = %r.id, role = r.role, "a member's stored role is not a role");
        return None;
    };
    let title = match r.kind {
        ConversationKind::Direct => r.other_name.unwrap_or_else(|| "Former user".to_owned()),
        _ => r.subject,
    };
    Some(InternalRow {
        tick: r.tick.max(r.member_tick),
        summary: InternalChatSummary {
            id: r.id,
            kind: r.kind,
            title,
            other_id: r.other_id,
            my_role,
            closed: r.status == ConversationStatus::Closed,
            last_message_at_ms: r.last_message_at.timestamp_millis(),
            unread: r.unread,
            members: r.members,
        },
    })
}

/// The internal chats the reader was removed from after `tick`: a poll drops them from the tab.
pub async fn left_after(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    tick: i64,
) -> Result<Vec<ConversationId>, DbErr> {
    #[derive(FromQueryResult)]
    struct Id {
        conversation_id: ConversationId,
    }
    let rows = Id::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT conversation_id FROM conversation_members \
         WHERE user_id = ? AND left_at IS NOT NULL AND member_tick > ?",
        [viewer.id.into(), tick.into()],
    ))
    .all(db)
    .await?;
    Ok(rows.into_iter().map(|r| r.conversation_id).collect())
}
