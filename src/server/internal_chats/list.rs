//! The Chats tab: the reader's personal and group chats, newest activity first, with unread
//! counts and member counts; for polls, the rows that changed and the chats left after a cursor,
//! read for many readers at once.

use crate::model::chat::{ConversationKind, ConversationStatus};
use crate::model::ids::{ConversationId, UserId};
use crate::model::internal_chat::{InternalChatSummary, MemberRole};
use crate::server::access::Viewer;
use crate::server::platform::db::like_contains;
use crate::server::realtime::changes::{one_of, stmt};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Value};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// The most chats the tab lists (search finds the others).
const LIST_LIMIT: usize = 200;

/// How the list is narrowed.
pub enum Filter<'a> {
    All,
    One(ConversationId),
    /// The group's name or the other person's name contains the text (any case).
    Search(&'a str),
    /// Chats linked to the record of this kind and id.
    LinkedTo(&'a str, &'a str),
}

/// A row with the change-clock tick a poll compares with its cursor.
#[derive(Clone, Debug)]
pub struct InternalRow {
    /// Whose list the row is of.
    pub reader: UserId,
    pub summary: InternalChatSummary,
    pub tick: i64,
}

/// A reader's row as the list's query gives it: what is the reader's own. What is the chat's
/// (`Chat`) is read once per chat (`complete`): the 500 rows of one group's members would
/// otherwise carry, and decode, its name and times 500 times.
#[derive(Debug, FromQueryResult)]
struct Row {
    reader_id: UserId,
    id: ConversationId,
    tick: i64,
    role: String,
    member_tick: i64,
    unread: i64,
}

/// What a row shows of the chat itself.
#[derive(Debug, FromQueryResult)]
struct Chat {
    id: ConversationId,
    kind: ConversationKind,
    subject: String,
    status: ConversationStatus,
    last_message_at: DateTime<Utc>,
    /// Members now (counted once per chat, not per member row).
    members: i64,
}

/// The list's query for the readers the condition `who` (on `me.user_id`) matches, narrowed by
/// `narrow`.
/// Unread: what others wrote after the reader's marker (the product's own lines, such as "Ana
/// added Bo", are not counted), the chat's `human_count` less the member's `seen_count`
/// (`messages::SEEN_SQL`): counted here, a member with 100 unread messages cost 100 steps of
/// every poll a new message woke. Member counts are read once per chat (`chats_of`): counted per
/// row, a group of 500 read by its 500 members at once would count 250,000 rows. So is the
/// other person of a personal chat (`complete`): joined here, each member row of a group would
/// scan the group's members (measured: 21 of the 26 ms such a read took).
fn list_sql(who: &str, narrow: &str, limit: &str) -> String {
    format!(
        "SELECT me.user_id AS reader_id, c.id, c.tick, me.role, me.member_tick, \
                CASE WHEN c.human_count > me.seen_count \
                  THEN c.human_count - me.seen_count ELSE 0 END AS unread \
         FROM conversation_members me \
         JOIN conversations c ON c.id = me.conversation_id \
         WHERE {who} AND me.left_at IS NULL AND c.kind IN ('direct', 'group'){narrow} \
         ORDER BY c.last_message_at DESC, c.id DESC{limit}"
    )
}

/// The reader's internal chats, narrowed by `filter`.
pub async fn summaries(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    filter: Filter<'_>,
) -> Result<Vec<InternalRow>, DbErr> {
    let mut values: Vec<Value> = vec![viewer.id.into()];
    let narrow = match filter {
        Filter::All => "",
        Filter::One(id) => {
            values.push(id.into());
            " AND c.id = ?"
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
               OR (c.kind = 'direct' AND EXISTS (SELECT 1 FROM conversation_members o \
                   JOIN users ou ON ou.id = o.user_id \
                   WHERE o.conversation_id = c.id AND o.user_id <> me.user_id \
                   AND LOWER(ou.display_name) LIKE ? ESCAPE '\\')))"
        }
    };
    let sql = list_sql("me.user_id = ?", narrow, &format!(" LIMIT {LIST_LIMIT}"));
    let rows = Row::find_by_statement(stmt(db.get_database_backend(), &sql, values))
        .all(db)
        .await?;
    complete(db, rows, &ChatFacts::default()).await
}

/// The most readers one query of `changed_for` or `left_for` names (bound parameters are
/// limited: SQLite's default allows 32,766).
const READERS_PER_QUERY: usize = 500;

/// For each reader and their cursor, the chats of their tab that changed, or whose membership
/// of the reader changed, after it; read for all of them together: polls woken by one message in a
/// group read its members' rows in one query.
///
/// `likely`: the facts (`facts_of`) of the chats whose rows are expected (the woken polls' open
/// chats), read beside the rows instead of after: on PostgreSQL a round trip less for every
/// batch of woken members. A chat not among them is read after.
pub async fn changed_for(
    db: &impl ConnectionTrait,
    readers: &[(UserId, i64)],
    likely: impl Future<Output = Result<Arc<ChatFacts>, DbErr>>,
) -> Result<HashMap<UserId, Vec<InternalRow>>, DbErr> {
    let (mut rows, facts) = tokio::try_join!(changed_rows(db, readers), likely)?;
    let cursors: HashMap<UserId, i64> = readers.iter().copied().collect();
    // Each reader's own cursor, which may be later than the oldest one the query used.
    rows.retain(|r| {
        cursors
            .get(&r.reader_id)
            .is_some_and(|t| r.tick.max(r.member_tick) > *t)
    });
    let mut out: HashMap<UserId, Vec<InternalRow>> = HashMap::new();
    for row in complete(db, rows, &facts).await? {
        let list = out.entry(row.reader).or_default();
        if list.len() < LIST_LIMIT {
            list.push(row);
        }
    }
    Ok(out)
}

/// The readers' rows changed after the oldest of their cursors.
async fn changed_rows(
    db: &impl ConnectionTrait,
    readers: &[(UserId, i64)],
) -> Result<Vec<Row>, DbErr> {
    let backend = db.get_database_backend();
    let mut rows = Vec::new();
    for part in readers.chunks(READERS_PER_QUERY) {
        let (who, mut values, since) = readers_in(backend, "me.user_id", part);
        values.extend([since.into(), since.into()]);
        let sql = list_sql(&who, " AND (c.tick > ? OR me.member_tick > ?)", "");
        rows.extend(
            Row::find_by_statement(stmt(backend, &sql, values))
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// The condition that `column` is one of the readers of `part`, its values, and the oldest of
/// their cursors.
fn readers_in(
    backend: DbBackend,
    column: &str,
    part: &[(UserId, i64)],
) -> (String, Vec<Value>, i64) {
    let (who, values) = one_of(
        backend,
        column,
        part.iter().map(|(user, _)| Value::from(*user)),
    );
    let since = part.iter().map(|(_, tick)| *tick).min().unwrap_or(0);
    (who, values, since)
}

/// What a row shows of its chat beyond the reader's own part: the chat itself (name, state,
/// times, member count), and for a personal chat its two people. Read once per chat.
#[derive(Default)]
pub struct ChatFacts {
    chats: HashMap<ConversationId, Chat>,
    pairs: HashMap<ConversationId, Vec<(UserId, Option<String>)>>,
}

/// The facts of the chats `ids`, and the two people of those of `personal` that are personal
/// chats (none read for none). The two reads go together: on
/// PostgreSQL each is a round trip, and a poll's answer waits for the slowest, not for their
/// sum.
///
/// Read beside the rows rather than after them, a fact may be older than its row: the chat
/// renamed in between. The row's tick is then newer than the clock the batch read first, so
/// the poll's cursor stays below it and the row comes again, with the new name, in the next
/// answer (`poll_reads::collect_many`). A change at or below that clock committed before
/// either read began, and both see it.
pub async fn facts_of(
    db: &impl ConnectionTrait,
    ids: &[ConversationId],
    personal: &[ConversationId],
) -> Result<ChatFacts, DbErr> {
    let (chats, pairs) = tokio::try_join!(chats_of(db, ids), pairs_of(db, personal))?;
    Ok(ChatFacts { chats, pairs })
}

/// The rows with their chats' facts: those in `known`, the others read now.
async fn complete(
    db: &impl ConnectionTrait,
    rows: Vec<Row>,
    known: &ChatFacts,
) -> Result<Vec<InternalRow>, DbErr> {
    let mut missing: Vec<ConversationId> = rows
        .iter()
        .map(|r| r.id)
        .filter(|id| !known.chats.contains_key(id))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    let more = facts_of(db, &missing, &missing).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            // A chat deleted between the two reads is left out, as if read after.
            let chat = known.chats.get(&r.id).or_else(|| more.chats.get(&r.id))?;
            // The personal chat's other person: whoever of the pair is not the reader (a former
            // member too, as the chat keeps their name).
            let other = known
                .pairs
                .get(&r.id)
                .or_else(|| more.pairs.get(&r.id))
                .and_then(|pair| pair.iter().find(|(id, _)| *id != r.reader_id))
                .cloned();
            to_row(r, chat, other)
        })
        .collect())
}

/// The chats `ids` themselves with their member counts, by id.
async fn chats_of(
    db: &impl ConnectionTrait,
    ids: &[ConversationId],
) -> Result<HashMap<ConversationId, Chat>, DbErr> {
    let backend = db.get_database_backend();
    let mut chats = HashMap::with_capacity(ids.len());
    for part in ids.chunks(READERS_PER_QUERY) {
        let (is_one, values) = one_of(backend, "c.id", part.iter().map(|id| Value::from(*id)));
        let rows = Chat::find_by_statement(stmt(
            backend,
            &format!(
                "SELECT c.id, c.kind, c.subject, c.status, c.last_message_at, \
                   (SELECT COUNT(*) FROM conversation_members m \
                    WHERE m.conversation_id = c.id AND m.left_at IS NULL) AS members \
                 FROM conversations c WHERE {is_one}"
            ),
            values,
        ))
        .all(db)
        .await?;
        chats.extend(rows.into_iter().map(|c| (c.id, c)));
    }
    Ok(chats)
}

/// The people of each personal chat among `ids`, with their names.
async fn pairs_of(
    db: &impl ConnectionTrait,
    ids: &[ConversationId],
) -> Result<HashMap<ConversationId, Vec<(UserId, Option<String>)>>, DbErr> {
    #[derive(FromQueryResult)]
    struct Person {
        conversation_id: ConversationId,
        user_id: UserId,
        display_name: Option<String>,
    }
    let backend = db.get_database_backend();
    let mut pairs: HashMap<ConversationId, Vec<(UserId, Option<String>)>> = HashMap::new();
    for part in ids.chunks(READERS_PER_QUERY) {
        let (is_one, values) = one_of(
            backend,
            "o.conversation_id",
            part.iter().map(|id| Value::from(*id)),
        );
        let people = Person::find_by_statement(stmt(
            backend,
            &format!(
                "SELECT o.conversation_id, o.user_id, ou.display_name \
                 FROM conversation_members o \
                 JOIN conversations c ON c.id = o.conversation_id AND c.kind = 'direct' \
                 LEFT JOIN users ou ON ou.id = o.user_id \
                 WHERE {is_one}"
            ),
            values,
        ))
        .all(db)
        .await?;
        for p in people {
            pairs
                .entry(p.conversation_id)
                .or_default()
                .push((p.user_id, p.display_name));
        }
    }
    Ok(pairs)
}

fn to_row(r: Row, chat: &Chat, other: Option<(UserId, Option<String>)>) -> Option<InternalRow> {
    let Some(my_role) = MemberRole::parse(&r.role) else {
        tracing::error!(conversation = %r.id, role = r.role, "a member's stored role is not a role");
        return None;
    };
    let title = match chat.kind {
        ConversationKind::Direct => other
            .as_ref()
            .and_then(|(_, name)| name.clone())
            .unwrap_or_else(|| "Former user".to_owned()),
        _ => chat.subject.clone(),
    };
    Some(InternalRow {
        reader: r.reader_id,
        tick: r.tick.max(r.member_tick),
        summary: InternalChatSummary {
            id: r.id,
            kind: chat.kind,
            title,
            other_id: other.map(|(id, _)| id),
            my_role,
            closed: chat.status == ConversationStatus::Closed,
            last_message_at_ms: chat.last_message_at.timestamp_millis(),
            unread: r.unread,
            members: chat.members,
        },
    })
}

/// For each reader and their cursor, the internal chats they were removed from after it: a poll
/// drops them from the tab. Read for all the readers together, as `changed_for`.
pub async fn left_for(
    db: &impl ConnectionTrait,
    readers: &[(UserId, i64)],
) -> Result<HashMap<UserId, Vec<ConversationId>>, DbErr> {
    #[derive(FromQueryResult)]
    struct Left {
        user_id: UserId,
        conversation_id: ConversationId,
        member_tick: i64,
    }
    let cursors: HashMap<UserId, i64> = readers.iter().copied().collect();
    let backend = db.get_database_backend();
    let mut out: HashMap<UserId, Vec<ConversationId>> = HashMap::new();
    for part in readers.chunks(READERS_PER_QUERY) {
        let (who, mut values, since) = readers_in(backend, "user_id", part);
        values.push(since.into());
        let rows = Left::find_by_statement(stmt(
            backend,
            &format!(
                "SELECT user_id, conversation_id, member_tick FROM conversation_members \
                 WHERE {who} AND left_at IS NOT NULL AND member_tick > ?"
            ),
            values,
        ))
        .all(db)
        .await?;
        for r in rows {
            if cursors.get(&r.user_id).is_some_and(|t| r.member_tick > *t) {
                out.entry(r.user_id).or_default().push(r.conversation_id);
            }
        }
    }
    Ok(out)
}
