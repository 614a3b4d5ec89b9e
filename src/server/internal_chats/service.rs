//! Starting and managing internal chats. Every change is one write of the change clock: the
//! membership rows, the system line all members read ("Ana added Bo"), and the tick that wakes
//! the members' polls (and a removed member's, whose open chat then closes).

use crate::model::chat::{ConversationKind, ConversationStatus};
use crate::model::ids::{ConversationId, UserId};
use crate::model::internal_chat::{
    InternalChatDetail, InternalChatSettings, InternalChatSummary, Invitees, MemberRole,
    MemberView, PersonView, TeamChoice, parse_title,
};
use crate::model::message::SystemEvent;
use crate::model::record_link::RecordRef;
use crate::model::{AppError, Role};
use crate::server::access::{self, Viewer};
use crate::server::internal_chats::list::{self as chat_list, Filter};
use crate::server::internal_chats::{record_links, rules};
use crate::server::messages::{self, NewMessage, Reader};
use crate::server::platform::db::{is_unique_violation, like_contains};
use crate::server::platform::entities::{
    app_setting, conversation, conversation_member, team_member, user,
};
use crate::server::realtime::Hub;
use crate::server::realtime::changes::{self, Write, stmt};
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, Value,
};
use std::collections::HashMap;

/// The `app_settings` row of the default member role.
const DEFAULT_ROLE: &str = "internal_chats.default_role";
/// The most people the picker offers at once.
const PEOPLE_SHOWN: u64 = 20;

/// The admin's settings (their defaults until saved).
pub async fn settings(db: &impl ConnectionTrait) -> Result<InternalChatSettings, DbErr> {
    let stored = app_setting::Entity::find_by_id(DEFAULT_ROLE.to_owned())
        .one(db)
        .await?;
    let default_role = match stored {
        Some(row) => MemberRole::parse(&row.value).unwrap_or_else(|| {
            tracing::error!(
                value = row.value,
                "the stored default member role is not a role"
            );
            MemberRole::Member
        }),
        None => MemberRole::Member,
    };
    Ok(InternalChatSettings { default_role })
}

/// Saves the role new group members get (administrators only).
pub async fn save_settings(
    db: &DatabaseConnection,
    viewer: Viewer,
    default_role: MemberRole,
) -> Result<InternalChatSettings, AppError> {
    viewer.admin_only()?;
    app_setting::Entity::insert(app_setting::ActiveModel {
        name: Set(DEFAULT_ROLE.to_owned()),
        value: Set(default_role.as_str().to_owned()),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(app_setting::Column::Name)
            .update_columns([app_setting::Column::Value, app_setting::Column::UpdatedAt])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(settings(db).await?)
}

/// SQL condition on a user `u`: a member of staff the client `?` shares a deal chat with (its
/// operator now or before).
const SHARES_A_DEAL_CHAT: &str = "EXISTS (SELECT 1 FROM conversations dc \
     WHERE dc.kind = 'client' AND dc.client_id = ? AND (dc.assignee_id = u.id OR EXISTS \
     (SELECT 1 FROM operator_sessions os WHERE os.conversation_id = dc.id AND os.operator_id = u.id)))";

/// Whether the client may start a personal chat with `other`: staff they share a deal chat with.
async fn client_may_reach(
    db: &impl ConnectionTrait,
    client: UserId,
    other: UserId,
) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            &format!(
                "SELECT 1 AS one FROM users u WHERE u.id = ? AND NOT u.disabled \
                 AND u.role <> 'client' AND {SHARES_A_DEAL_CHAT}"
            ),
            [other.into(), client.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// The people the viewer may start a personal chat with (staff: every active user; a client:
/// the staff they share a deal chat with), by name or email.
pub async fn people(
    db: &DatabaseConnection,
    viewer: Viewer,
    search: &str,
) -> Result<Vec<PersonView>, AppError> {
    #[derive(FromQueryResult)]
    struct Person {
        id: UserId,
        display_name: String,
        role: Role,
    }
    let pattern = like_contains(search.trim());
    let mut values: Vec<sea_orm::Value> =
        vec![viewer.id.into(), pattern.clone().into(), pattern.into()];
    let reach = if viewer.role.is_staff() {
        String::new()
    } else {
        values.push(viewer.id.into());
        format!(" AND u.role <> 'client' AND {SHARES_A_DEAL_CHAT}")
    };
    let people = Person::find_by_statement(stmt(
        db.get_database_backend(),
        &format!(
            "SELECT u.id, u.display_name, u.role FROM users u \
             WHERE u.id <> ? AND NOT u.disabled \
             AND (LOWER(u.display_name) LIKE ? ESCAPE '\\' OR LOWER(u.email) LIKE ? ESCAPE '\\'){reach} \
             ORDER BY u.display_name, u.id LIMIT {PEOPLE_SHOWN}"
        ),
        values,
    ))
    .all(db)
    .await?;
    Ok(people
        .into_iter()
        .map(|p| PersonView {
            id: p.id,
            name: p.display_name,
            staff: p.role.is_staff(),
        })
        .collect())
}

/// The teams staff may add to a group chat, with how many members each has now.
pub async fn teams(db: &DatabaseConnection, viewer: Viewer) -> Result<Vec<TeamChoice>, AppError> {
    if !viewer.role.is_staff() {
        return Err(AppError::Forbidden);
    }
    #[derive(FromQueryResult)]
    struct Row {
        id: crate::model::ids::TeamId,
        name: String,
        members: i64,
    }
    let rows = Row::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT t.id, t.name, (SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = t.id)          AS members FROM teams t ORDER BY t.name, t.id",
        [],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TeamChoice {
            id: r.id,
            name: r.name,
            members: r.members,
        })
        .collect())
}

/// The viewer's row of one internal chat.
async fn summary_of(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: ConversationId,
) -> Result<InternalChatSummary, AppError> {
    chat_list::summaries(db, viewer, Filter::One(id))
        .await?
        .into_iter()
        .next()
        .map(|r| r.summary)
        .ok_or(AppError::NotFound)
}

/// The personal chat between the viewer and `other`: the existing one, or a new one. Staff may
/// start one with any active user; a client only with staff they share a deal chat with (anyone
/// else is 404 to them).
#[tracing::instrument(skip(db, hub))]
pub async fn start_direct(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    other: UserId,
) -> Result<InternalChatSummary, AppError> {
    if other == viewer.id {
        return Err(AppError::invalid(
            "user_id",
            "A personal chat is with someone else.",
        ));
    }
    let reachable = if viewer.role.is_staff() {
        user::Entity::find_by_id(other)
            .one(db)
            .await?
            .is_some_and(|u| !u.disabled)
    } else {
        client_may_reach(db, viewer.id, other).await?
    };
    if !reachable {
        return Err(AppError::NotFound);
    }
    let key = rules::direct_key(viewer.id, other);
    if let Some(existing) = direct_chat(db, &key).await? {
        return summary_of(db, viewer, existing).await;
    }
    let made = async {
        let mut w = changes::begin(db).await?;
        let conv = new_conversation(
            &w,
            viewer,
            ConversationKind::Direct,
            String::new(),
            Some(key.clone()),
        )
        .insert(&w.txn)
        .await?;
        for user in [viewer.id, other] {
            join(&w, conv.id, user, MemberRole::Member).await?;
        }
        messages::touch(&mut w, conv.id).await?;
        w.commit(hub).await?;
        Ok::<_, DbErr>(conv.id)
    }
    .await;
    let id = match made {
        Ok(id) => id,
        // Both started it at once: the other request made it.
        Err(e)
            if is_unique_violation(
                &e,
                "idx_conversations_direct_key",
                "conversations.direct_key",
            ) =>
        {
            direct_chat(db, &key).await?.ok_or(AppError::Internal)?
        }
        Err(e) => return Err(e.into()),
    };
    summary_of(db, viewer, id).await
}

async fn direct_chat(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<ConversationId>, DbErr> {
    Ok(conversation::Entity::find()
        .filter(conversation::Column::DirectKey.eq(key))
        .one(db)
        .await?
        .map(|c| c.id))
}

fn new_conversation(
    w: &Write,
    viewer: Viewer,
    kind: ConversationKind,
    subject: String,
    direct_key: Option<String>,
) -> conversation::ActiveModel {
    let now = Utc::now();
    conversation::ActiveModel {
        kind: Set(kind),
        subject: Set(subject),
        client_id: Set(None),
        deal_id: Set(None),
        assignee_id: Set(None),
        status: Set(ConversationStatus::Open),
        last_seq: Set(0),
        client_seq: Set(0),
        last_message_at: Set(now),
        queued_at: Set(None),
        tick: Set(w.tick),
        assigned_tick: Set(0),
        created_at: Set(now),
        queue_id: Set(None),
        channel_id: Set(None),
        created_by: Set(Some(viewer.id)),
        direct_key: Set(direct_key),
        ..Default::default()
    }
}

/// Makes `user` a member with `role` (again, if they were removed: their read marker stays),
/// stamped with the write's tick.
async fn join(
    w: &Write,
    conversation_id: ConversationId,
    user: UserId,
    role: MemberRole,
) -> Result<(), DbErr> {
    // A new member has read nothing yet; one who comes back keeps their marker and the count
    // of what they had seen.
    let sql = format!(
        "INSERT INTO conversation_members \
         (conversation_id, user_id, role, last_read_seq, joined_at, left_at, member_tick, \
          seen_count) \
         VALUES (?, ?, ?, 0, ?, NULL, ?, {seen}) ON CONFLICT (conversation_id, user_id) DO UPDATE \
         SET role = excluded.role, joined_at = excluded.joined_at, left_at = NULL, \
         member_tick = excluded.member_tick",
        seen = messages::SEEN_SQL
    );
    let mut values: Vec<Value> = vec![
        conversation_id.into(),
        user.into(),
        role.as_str().into(),
        Utc::now().into(),
        w.tick.into(),
    ];
    values.extend(messages::seen_values(conversation_id, user, 0));
    w.txn
        .execute_raw(stmt(w.txn.get_database_backend(), &sql, values))
        .await?;
    Ok(())
}

/// The active users among `invitees` (teams as their members are now), without `except`, in
/// the order given; an id that is no active user, or no team, is refused by name.
async fn expand(
    db: &impl ConnectionTrait,
    invitees: &Invitees,
    except: &[UserId],
) -> Result<Vec<(UserId, String)>, AppError> {
    let mut ids: Vec<UserId> = invitees.users.clone();
    if !invitees.teams.is_empty() {
        let known = crate::server::platform::entities::team::Entity::find()
            .filter(
                crate::server::platform::entities::team::Column::Id.is_in(invitees.teams.clone()),
            )
            .count(db)
            .await?;
        if usize::try_from(known).ok() != Some(invitees.teams.len()) {
            return Err(AppError::invalid(
                "team_ids",
                "One of the teams does not exist.",
            ));
        }
        let members = team_member::Entity::find()
            .filter(team_member::Column::TeamId.is_in(invitees.teams.clone()))
            .order_by_asc(team_member::Column::UserId)
            .all(db)
            .await?;
        ids.extend(members.into_iter().map(|m| m.user_id));
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| !except.contains(id) && seen.insert(*id));
    let mut found: HashMap<UserId, user::Model> = HashMap::new();
    for chunk in ids.chunks(500) {
        for u in user::Entity::find()
            .filter(user::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            found.insert(u.id, u);
        }
    }
    ids.into_iter()
        .map(|id| match found.get(&id) {
            // Team members who were disabled since are left out; a person picked by id is not.
            Some(u) if !u.disabled => Ok(Some((id, u.display_name.clone()))),
            Some(_) if !invitees.users.contains(&id) => Ok(None),
            _ => Err(AppError::invalid(
                "user_ids",
                format!("User {id} is not an active user."),
            )),
        })
        .filter_map(Result::transpose)
        .collect()
}

/// Adds `added` with `role`, and the line that tells it; the write's audience grows by them.
async fn add_to(
    w: &mut Write,
    conversation_id: ConversationId,
    added: &[(UserId, String)],
    role: MemberRole,
    by: &str,
) -> Result<(), DbErr> {
    for (id, _) in added {
        join(w, conversation_id, *id, role).await?;
    }
    if !added.is_empty() {
        let names = added.iter().map(|(_, n)| n.clone()).collect();
        messages::append(
            w,
            conversation_id,
            vec![NewMessage::event(&SystemEvent::MembersAdded {
                by: by.to_owned(),
                names,
            })],
        )
        .await?;
    }
    Ok(())
}

/// What a new group chat starts with: its name, the people and teams invited, the records it is
/// linked to.
pub struct NewGroup<'a> {
    pub title: &'a str,
    pub invitees: &'a Invitees,
    pub links: &'a [RecordRef],
}

/// How big a group chat may grow.
#[derive(Clone, Copy, Debug)]
pub struct GroupLimits {
    pub max_members: usize,
    pub max_links: usize,
}

/// A group chat with its creator as admin, the invitees with the default role and its records
/// linked (staff only), in one write.
#[tracing::instrument(skip(db, hub, group))]
pub async fn create_group(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    group: NewGroup<'_>,
    limits: GroupLimits,
) -> Result<InternalChatSummary, AppError> {
    if !viewer.role.is_staff() {
        return Err(AppError::Forbidden);
    }
    let title = parse_title(group.title)?;
    let added = expand(db, group.invitees, &[viewer.id]).await?;
    rules::fits(1, added.len(), limits.max_members)?;
    record_links::fits(0, group.links.len(), limits.max_links)?;
    let links = record_links::check(db, viewer, group.links).await?;
    let role = settings(db).await?.default_role;
    let by = crate::server::accounts::service::display_name(db, viewer.id).await?;
    let mut w = changes::begin(db).await?;
    let conv = new_conversation(&w, viewer, ConversationKind::Group, title.clone(), None)
        .insert(&w.txn)
        .await?;
    join(&w, conv.id, viewer.id, MemberRole::Admin).await?;
    messages::append(
        &mut w,
        conv.id,
        vec![NewMessage::event(&SystemEvent::GroupCreated {
            by: by.clone(),
            title,
        })],
    )
    .await?;
    add_to(&mut w, conv.id, &added, role, &by).await?;
    record_links::link_in(&mut w, conv.id, viewer, &by, links).await?;
    w.commit(hub).await?;
    summary_of(db, viewer, conv.id).await
}

/// The group chat `id` for a change by one of its admins: 404 for non-members, 403 for
/// members who are not its admin (or when it is closed), 409 for a personal chat.
pub(super) async fn managed(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: ConversationId,
) -> Result<conversation::Model, AppError> {
    let (conv, can) = access::load(db, viewer, id).await?;
    if conv.kind != ConversationKind::Group {
        return Err(AppError::NotFound);
    }
    if conv.status == ConversationStatus::Closed {
        return Err(AppError::Conflict("The chat is closed.".into()));
    }
    if !can.manage_members {
        return Err(AppError::Forbidden);
    }
    Ok(conv)
}

/// The active members and their roles.
async fn members_of(
    db: &impl ConnectionTrait,
    id: ConversationId,
) -> Result<Vec<(UserId, MemberRole)>, DbErr> {
    Ok(conversation_member::Entity::find()
        .filter(conversation_member::Column::ConversationId.eq(id))
        .filter(conversation_member::Column::LeftAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| MemberRole::parse(&m.role).map(|r| (m.user_id, r)))
        .collect())
}

/// Renames a group chat (its admins).
pub async fn rename(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    id: ConversationId,
    title: &str,
) -> Result<InternalChatSummary, AppError> {
    let title = parse_title(title)?;
    let conv = managed(db, viewer, id).await?;
    if conv.subject == title {
        return summary_of(db, viewer, id).await;
    }
    let by = crate::server::accounts::service::display_name(db, viewer.id).await?;
    let mut w = changes::begin(db).await?;
    conversation::Entity::update_many()
        .col_expr(
            conversation::Column::Subject,
            sea_orm::sea_query::Expr::value(title.clone()),
        )
        .filter(conversation::Column::Id.eq(id))
        .exec(&w.txn)
        .await?;
    messages::append(
        &mut w,
        id,
        vec![NewMessage::event(&SystemEvent::Renamed { by, title })],
    )
    .await?;
    w.commit(hub).await?;
    summary_of(db, viewer, id).await
}

/// Adds people and teams' members to a group chat with the default role (its admins); those
/// already in it keep their role.
pub async fn add_members(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    id: ConversationId,
    invitees: &Invitees,
    max_members: usize,
) -> Result<Vec<MemberView>, AppError> {
    if invitees.is_empty() {
        return Err(AppError::invalid("user_ids", "Pick someone to add."));
    }
    managed(db, viewer, id).await?;
    let current: Vec<UserId> = members_of(db, id)
        .await?
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    let added = expand(db, invitees, &current).await?;
    rules::fits(current.len(), added.len(), max_members)?;
    let role = settings(db).await?.default_role;
    let by = crate::server::accounts::service::display_name(db, viewer.id).await?;
    let mut w = changes::begin(db).await?;
    add_to(&mut w, id, &added, role, &by).await?;
    w.commit(hub).await?;
    members(db, id).await
}

/// Removes a member (its admins; the last admin stays). They lose the chat at once: a poll of
/// theirs that waits wakes, and the chat leaves their tab.
pub async fn remove_member(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    id: ConversationId,
    user_id: UserId,
) -> Result<Vec<MemberView>, AppError> {
    managed(db, viewer, id).await?;
    let current = members_of(db, id).await?;
    if !current.iter().any(|(u, _)| *u == user_id) {
        return Err(AppError::NotFound);
    }
    rules::keeps_an_admin(&current, user_id, None)?;
    let left = sea_orm::sea_query::Expr::value(Utc::now());
    change_member(
        db,
        hub,
        viewer,
        id,
        user_id,
        (conversation_member::Column::LeftAt, left),
        |by, name| SystemEvent::MemberRemoved { by, name },
    )
    .await
}

/// Sets one column of `user_id`'s membership, stamped with the write's tick, with the line that
/// tells it (`event` of who did it and whom it concerns), in one write; the members after. The
/// member is in the write's audience whether or not they still belong: a removed member's polls
/// must wake too.
async fn change_member(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    id: ConversationId,
    user_id: UserId,
    (column, value): (conversation_member::Column, sea_orm::sea_query::SimpleExpr),
    event: impl FnOnce(String, String) -> SystemEvent,
) -> Result<Vec<MemberView>, AppError> {
    let by = crate::server::accounts::service::display_name(db, viewer.id).await?;
    let name = crate::server::accounts::service::display_name(db, user_id).await?;
    let mut w = changes::begin(db).await?;
    // The line first: its stamp locks the chat's row before the member's, in the order a send
    // takes them (the writer counts a sender's own message in their membership row), so a
    // member's send and their removal cannot wait on each other.
    messages::append(&mut w, id, vec![NewMessage::event(&event(by, name))]).await?;
    conversation_member::Entity::update_many()
        .col_expr(column, value)
        .col_expr(
            conversation_member::Column::MemberTick,
            sea_orm::sea_query::Expr::value(w.tick),
        )
        .filter(conversation_member::Column::ConversationId.eq(id))
        .filter(conversation_member::Column::UserId.eq(user_id))
        .exec(&w.txn)
        .await?;
    w.audience
        .merge(&crate::server::realtime::Audience::users([Some(user_id)]));
    w.commit(hub).await?;
    members(db, id).await
}

/// Changes a member's role (its admins; the last admin stays).
pub async fn set_role(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    id: ConversationId,
    user_id: UserId,
    role: MemberRole,
) -> Result<Vec<MemberView>, AppError> {
    managed(db, viewer, id).await?;
    let current = members_of(db, id).await?;
    let Some((_, was)) = current.iter().find(|(u, _)| *u == user_id) else {
        return Err(AppError::NotFound);
    };
    if *was == role {
        return members(db, id).await;
    }
    rules::keeps_an_admin(&current, user_id, Some(role))?;
    let value = sea_orm::sea_query::Expr::value(role.as_str());
    change_member(
        db,
        hub,
        viewer,
        id,
        user_id,
        (conversation_member::Column::Role, value),
        |by, name| SystemEvent::RoleChanged { by, name, role },
    )
    .await
}

/// Closes a group chat (its admins): every member still reads it, nobody writes.
pub async fn close(
    db: &DatabaseConnection,
    hub: &Hub,
    viewer: Viewer,
    id: ConversationId,
) -> Result<InternalChatSummary, AppError> {
    managed(db, viewer, id).await?;
    let by = crate::server::accounts::service::display_name(db, viewer.id).await?;
    let mut w = changes::begin(db).await?;
    messages::append(
        &mut w,
        id,
        vec![NewMessage::event(&SystemEvent::ChatClosed { by })],
    )
    .await?;
    conversation::Entity::update_many()
        .col_expr(
            conversation::Column::Status,
            sea_orm::sea_query::Expr::value(ConversationStatus::Closed.as_str()),
        )
        .filter(conversation::Column::Id.eq(id))
        .exec(&w.txn)
        .await?;
    w.commit(hub).await?;
    summary_of(db, viewer, id).await
}

/// The chat's active members, admins first, then by name.
pub async fn members(
    db: &impl ConnectionTrait,
    id: ConversationId,
) -> Result<Vec<MemberView>, AppError> {
    #[derive(FromQueryResult)]
    struct Row {
        user_id: UserId,
        display_name: String,
        user_role: Role,
        role: String,
    }
    let rows = Row::find_by_statement(stmt(
        db.get_database_backend(),
        "SELECT m.user_id, u.display_name, u.role AS user_role, m.role \
         FROM conversation_members m JOIN users u ON u.id = m.user_id \
         WHERE m.conversation_id = ? AND m.left_at IS NULL \
         ORDER BY CASE m.role WHEN 'admin' THEN 0 WHEN 'member' THEN 1 ELSE 2 END, \
                  u.display_name, u.id",
        [id.into()],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(MemberView {
                user_id: r.user_id,
                name: r.display_name,
                role: MemberRole::parse(&r.role)?,
                staff: r.user_role.is_staff(),
            })
        })
        .collect())
}

/// The viewer's internal chats (the Chats tab), optionally searched by name.
pub async fn list(
    db: &DatabaseConnection,
    viewer: Viewer,
    search: Option<&str>,
) -> Result<Vec<InternalChatSummary>, AppError> {
    let filter = match search.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => Filter::Search(text),
        None => Filter::All,
    };
    Ok(chat_list::summaries(db, viewer, filter)
        .await?
        .into_iter()
        .map(|r| r.summary)
        .collect())
}

/// An internal chat as it opens: its row, members, newest page and the viewer's rights.
pub async fn open(
    db: &DatabaseConnection,
    viewer: Viewer,
    id: ConversationId,
    page: u64,
) -> Result<InternalChatDetail, AppError> {
    let (conv, can) = access::load(db, viewer, id).await?;
    if !conv.kind.is_internal() {
        return Err(AppError::NotFound);
    }
    let summary = summary_of(db, viewer, id).await?;
    let members = members(db, id).await?;
    // Everything in an internal chat is for all its members.
    let messages = messages::before(db, Reader::Staff, id, None, page).await?;
    Ok(InternalChatDetail {
        summary,
        members,
        has_older: messages.first().is_some_and(|m| m.seq > 1),
        messages,
        can_write: can.reply,
        can_manage: can.manage_members,
        links: record_links::links_of(db, id).await?,
        can_link: can.manage_members
            && viewer.role.is_staff()
            && conv.kind == ConversationKind::Group,
    })
}
