//! Who may see and do what in a conversation: the one place these rules live, and `load`, the
//! one gate every feature passes a conversation through before it reads or changes it.
//!
//! Internal chats (personal and group) are private: only their members read them, by the role
//! they hold there, whatever their role in the app (an administrator who is not a member gets
//! 404 like anyone else).

use crate::model::channels::ChannelRight;
use crate::model::chat::ConversationStatus;
use crate::model::ids::{ChannelId, ConversationId, QueueId, UserId};
use crate::model::internal_chat::MemberRole;
use crate::model::{AppError, Role, UserView};
use crate::server::platform::entities::{conversation, conversation_member, operator_session};
use crate::server::realtime::changes::stmt;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
};

/// The asking user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub id: UserId,
    pub role: Role,
}

impl Viewer {
    pub fn of(user: &UserView) -> Viewer {
        Viewer {
            id: user.id,
            role: user.role,
        }
    }

    /// Settings pages: administrators only (403 for everyone else).
    pub fn admin_only(self) -> Result<(), AppError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// What the viewer may do in one conversation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Access {
    pub read: bool,
    pub reply: bool,
    pub accept: bool,
    /// Move the deal's stage, create or link a deal.
    pub manage_deal: bool,
    /// An internal chat's admin: rename it, add and remove members, change roles, close it.
    pub manage_members: bool,
}

/// The conversation and what `viewer` may do in it; NotFound when they may not even read it,
/// so a stranger cannot tell a forbidden chat from a missing one.
pub async fn load(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    conversation_id: ConversationId,
) -> Result<(conversation::Model, Access), AppError> {
    // The viewer's membership comes with the row: an internal chat's readers (every member of
    // a group, re-polling after each message) pass with one query.
    let row = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            "SELECT c.*, m.role AS member_role FROM conversations c \
             LEFT JOIN conversation_members m ON m.conversation_id = c.id \
                  AND m.user_id = ? AND m.left_at IS NULL \
             WHERE c.id = ?",
            [viewer.id.into(), conversation_id.into()],
        ))
        .await?
        .ok_or(AppError::NotFound)?;
    let conv = conversation::Model::from_query_result(&row, "")?;
    if conv.kind.is_internal() {
        let stored: Option<String> = row.try_get("", "member_role")?;
        let role = stored
            .and_then(|r| parse_role(conv.id, viewer.id, &r))
            .ok_or(AppError::NotFound)?;
        let can = internal_access(&conv, role);
        return Ok((conv, can));
    }
    // A manager's ties are looked up only when being the assignee does not settle it.
    let mut ties = Ties::default();
    if viewer.role == Role::Manager && conv.assignee_id != Some(viewer.id) {
        if conv.assignee_id.is_none() && conv.queued_at.is_some() {
            ties.works_queue = works_queue(db, viewer, conv.queue_id).await?
                && operates_channel(db, viewer, conv.channel_id).await?;
        }
        if !ties.works_queue {
            // A manager who operated the chat before keeps reading its history.
            ties.operated = operator_session::Entity::find()
                .filter(operator_session::Column::ConversationId.eq(conv.id))
                .filter(operator_session::Column::OperatorId.eq(viewer.id))
                .count(db)
                .await?
                > 0;
        }
    }
    let can = access(viewer, &conv, ties);
    if can.read {
        Ok((conv, can))
    } else {
        Err(AppError::NotFound)
    }
}

/// The role `user` holds in an internal chat; None when they are not (or no longer) a member.
pub async fn member_role(
    db: &impl ConnectionTrait,
    conversation_id: ConversationId,
    user: UserId,
) -> Result<Option<MemberRole>, DbErr> {
    let Some(row) = conversation_member::Entity::find_by_id((conversation_id, user))
        .one(db)
        .await?
        .filter(|m| m.left_at.is_none())
    else {
        return Ok(None);
    };
    Ok(parse_role(conversation_id, user, &row.role))
}

/// A member's stored role; a name that is no role is logged and reads as no membership.
fn parse_role(conversation_id: ConversationId, user: UserId, stored: &str) -> Option<MemberRole> {
    let role = MemberRole::parse(stored);
    if role.is_none() {
        tracing::error!(conversation = %conversation_id, %user, role = stored, "a member's stored role is not a role");
    }
    role
}

/// What a member may do in an internal chat: everyone reads; admins and members write while it
/// is open; admins manage it while it is open.
pub fn internal_access(conv: &conversation::Model, role: MemberRole) -> Access {
    let open = conv.status == ConversationStatus::Open;
    Access {
        read: true,
        reply: open && role.may_write(),
        accept: false,
        manage_deal: false,
        manage_members: open && role.may_manage(),
    }
}

/// What ties a manager to a conversation besides being its assignee.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ties {
    /// They work the queue the chat waits in and may operate the channel it came through.
    pub works_queue: bool,
    /// They held an operator session in it before.
    pub operated: bool,
}

/// SQL condition on a queue `q` that `?` (an employee's id) works: queues without a team, and
/// those of their teams. Admins work every queue (not expressed here).
pub const WORKS_QUEUE: &str = "(q.team_id IS NULL OR q.team_id IN \
     (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = ?))";

/// SQL condition: the user (`role`, `user`: SQL expressions) holds `right` on the channel
/// `channel` (an SQL expression), by their role or one of their teams. Admins hold every right
/// (not expressed here).
pub fn holds_right_sql(right: ChannelRight, channel: &str, role: &str, user: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM channel_rights cr WHERE cr.channel_id = {channel} \
         AND cr.right_kind = '{}' AND (cr.role = {role} OR cr.team_id IN \
         (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = {user})))",
        right.as_str()
    )
}

/// `holds_right_sql` for operating a channel.
pub fn operates_sql(channel: &str, role: &str, user: &str) -> String {
    holds_right_sql(ChannelRight::Operate, channel, role, user)
}

/// SQL condition on a conversation `c` whose channel an employee may operate: `?` their role,
/// then `?` their id. Chats without a channel are anyone's.
pub static OPERATES_CHANNEL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "(c.channel_id IS NULL OR {})",
        operates_sql("c.channel_id", "?", "?")
    )
});

/// Whether the employee may operate the channel: see its waiting chats, accept, be assigned.
pub async fn operates_channel(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    channel_id: Option<ChannelId>,
) -> Result<bool, DbErr> {
    if viewer.role == Role::Admin {
        return Ok(true);
    }
    if !viewer.role.is_staff() {
        return Ok(false);
    }
    let Some(channel_id) = channel_id else {
        return Ok(true);
    };
    let row = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            &format!("SELECT 1 AS one WHERE {}", operates_sql("?", "?", "?")),
            [
                channel_id.into(),
                viewer.role.as_str().into(),
                viewer.id.into(),
            ],
        ))
        .await?;
    Ok(row.is_some())
}

/// Whether the employee works the queue (admins work every queue, clients none).
pub async fn works_queue(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    queue_id: Option<QueueId>,
) -> Result<bool, DbErr> {
    if viewer.role == Role::Admin {
        return Ok(true);
    }
    if !viewer.role.is_staff() {
        return Ok(false);
    }
    let Some(queue_id) = queue_id else {
        return Ok(true);
    };
    let row = db
        .query_one_raw(stmt(
            db.get_database_backend(),
            &format!("SELECT 1 AS one FROM queues q WHERE q.id = ? AND {WORKS_QUEUE}"),
            [queue_id.into(), viewer.id.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// The rules: a client reads and writes only their own chats; a manager reads the waiting
/// chats of the queues they work, the chats assigned to them and those they operated before,
/// and replies once they accepted; an administrator reads everything and manages any deal. A
/// chat whose last session closed waits for nobody until its client writes again.
pub fn access(viewer: Viewer, conv: &conversation::Model, ties: Ties) -> Access {
    let open = conv.status == ConversationStatus::Open;
    let waiting = open && conv.assignee_id.is_none() && conv.queued_at.is_some();
    let mine = conv.assignee_id == Some(viewer.id);
    match viewer.role {
        Role::Client => {
            let own = conv.client_id == Some(viewer.id);
            Access {
                read: own,
                reply: own && open,
                accept: false,
                manage_deal: false,
                manage_members: false,
            }
        }
        Role::Manager => Access {
            read: mine || (waiting && ties.works_queue) || ties.operated,
            reply: mine && open,
            accept: waiting && ties.works_queue,
            manage_deal: mine,
            manage_members: false,
        },
        Role::Admin => Access {
            read: true,
            reply: mine && open,
            accept: waiting,
            manage_deal: true,
            manage_members: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn chat(client: i64, assignee: Option<i64>) -> conversation::Model {
        conversation::Model {
            id: ConversationId(1),
            kind: crate::model::chat::ConversationKind::Client,
            subject: "s".into(),
            client_id: Some(UserId(client)),
            deal_id: None,
            assignee_id: assignee.map(UserId),
            status: ConversationStatus::Open,
            last_seq: 0,
            client_seq: 0,
            last_message_at: Utc::now(),
            queued_at: assignee.is_none().then(Utc::now),
            tick: 0,
            assigned_tick: 0,
            created_at: Utc::now(),
            queue_id: None,
            channel_id: None,
            created_by: None,
            direct_key: None,
            human_count: 0,
        }
    }

    const IN_QUEUE: Ties = Ties {
        works_queue: true,
        operated: false,
    };
    const OPERATED: Ties = Ties {
        works_queue: false,
        operated: true,
    };

    fn as_(id: i64, role: Role) -> Viewer {
        Viewer {
            id: UserId(id),
            role,
        }
    }

    #[test]
    fn a_client_reaches_only_their_own_chat() {
        assert!(access(as_(10, Role::Client), &chat(10, None), IN_QUEUE).reply);
        assert_eq!(
            access(as_(11, Role::Client), &chat(10, None), IN_QUEUE),
            Access::default()
        );
    }

    #[test]
    fn a_manager_reads_waiting_chats_but_replies_only_after_accepting() {
        let waiting = access(as_(2, Role::Manager), &chat(10, None), IN_QUEUE);
        assert!(waiting.read && waiting.accept && !waiting.reply && !waiting.manage_deal);
        let mine = access(as_(2, Role::Manager), &chat(10, Some(2)), IN_QUEUE);
        assert!(mine.read && mine.reply && mine.manage_deal && !mine.accept);
    }

    #[test]
    fn a_manager_outside_the_queue_neither_sees_nor_takes_its_waiting_chats() {
        let outside = access(as_(2, Role::Manager), &chat(10, None), Ties::default());
        assert_eq!(outside, Access::default());
        let admin = access(as_(1, Role::Admin), &chat(10, None), Ties::default());
        assert!(admin.read && admin.accept);
    }

    #[test]
    fn a_manager_cannot_see_a_colleagues_chat() {
        assert_eq!(
            access(as_(2, Role::Manager), &chat(10, Some(3)), IN_QUEUE),
            Access::default()
        );
    }

    #[test]
    fn an_admin_reads_all_but_replies_only_in_their_own() {
        let other = access(as_(1, Role::Admin), &chat(10, Some(3)), IN_QUEUE);
        assert!(other.read && other.manage_deal && !other.reply && !other.accept);
    }

    #[test]
    fn a_manager_keeps_reading_a_chat_they_operated_but_may_not_reply() {
        let handed_on = access(as_(2, Role::Manager), &chat(10, Some(3)), OPERATED);
        assert!(handed_on.read && !handed_on.reply && !handed_on.accept && !handed_on.manage_deal);
    }

    #[test]
    fn a_chat_whose_session_ended_waits_for_nobody() {
        let mut ended = chat(10, None);
        ended.queued_at = None;
        let manager = access(as_(2, Role::Manager), &ended, IN_QUEUE);
        assert!(!manager.read && !manager.accept);
        assert!(access(as_(10, Role::Client), &ended, IN_QUEUE).reply);
        assert!(!access(as_(1, Role::Admin), &ended, IN_QUEUE).accept);
    }

    #[test]
    fn internal_chat_members_act_by_their_role_and_a_closed_one_is_read_only() {
        let mut group = chat(10, None);
        group.kind = crate::model::chat::ConversationKind::Group;
        group.client_id = None;
        let admin = internal_access(&group, MemberRole::Admin);
        assert!(admin.read && admin.reply && admin.manage_members);
        let member = internal_access(&group, MemberRole::Member);
        assert!(member.read && member.reply && !member.manage_members);
        let viewer = internal_access(&group, MemberRole::Viewer);
        assert!(viewer.read && !viewer.reply && !viewer.manage_members);
        group.status = ConversationStatus::Closed;
        let closed = internal_access(&group, MemberRole::Admin);
        assert!(closed.read && !closed.reply && !closed.manage_members);
        assert!(!closed.accept && !closed.manage_deal);
    }

    #[test]
    fn nobody_replies_in_a_closed_chat() {
        let mut closed = chat(10, Some(2));
        closed.status = ConversationStatus::Closed;
        assert!(!access(as_(10, Role::Client), &closed, IN_QUEUE).reply);
        assert!(!access(as_(2, Role::Manager), &closed, IN_QUEUE).reply);
    }
}
