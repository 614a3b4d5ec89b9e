//! Internal chats: the Chats tab, personal chats, group chats and their members, the admin's
//! default member role. Messages, history, read marks, typing and files go through the chat
//! endpoints (`chats/send`, `chats/history`, `chats/read`, uploads) like a deal chat's.

use crate::model::AppError;
use crate::model::ids::{ConversationId, UserId};
use crate::model::internal_chat::{
    InternalChatDetail, InternalChatSettings, InternalChatSummary, MemberView, PersonView,
    TeamChoice,
};
use crate::model::record_link::{RecordChoice, RecordKindView, RecordLinkView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::model::internal_chat::{Invitees, MemberRole};
#[cfg(feature = "ssr")]
use crate::model::record_link::RecordRef;
#[cfg(feature = "ssr")]
use crate::server::internal_chats::record_links as links;
#[cfg(feature = "ssr")]
use crate::server::internal_chats::service as internal;

#[cfg(feature = "ssr")]
fn role_named(raw: &str) -> Result<MemberRole, AppError> {
    MemberRole::parse(raw)
        .ok_or_else(|| AppError::invalid("role", "Choose admin, member or viewer."))
}

/// The caller's personal and group chats, newest activity first; `search` narrows by name.
#[server(endpoint = "internal/list", output = crate::model::wire::Answer)]
pub async fn list_internal_chats(
    search: Option<String>,
) -> Result<Vec<InternalChatSummary>, AppError> {
    respond(
        async {
            let (st, viewer) = (state(), viewer()?);
            if search.as_deref().is_some_and(|s| !s.trim().is_empty()) {
                st.limits.searches_per_user.check(viewer.id)?;
            }
            internal::list(&st.db, viewer, search.as_deref()).await
        }
        .await,
    )
}

/// People the caller may start a personal chat with (or add to a group), by name or email.
#[server(endpoint = "internal/people", output = crate::model::wire::Answer)]
pub async fn find_people(search: Option<String>) -> Result<Vec<PersonView>, AppError> {
    respond(
        async {
            let (st, viewer) = (state(), viewer()?);
            st.limits.searches_per_user.check(viewer.id)?;
            internal::people(&st.db, viewer, search.as_deref().unwrap_or("")).await
        }
        .await,
    )
}

/// The teams whose members can be added to a group chat at once (staff).
#[server(endpoint = "internal/teams", output = crate::model::wire::Answer)]
pub async fn list_teams_for_groups() -> Result<Vec<TeamChoice>, AppError> {
    respond(async { internal::teams(&state().db, viewer()?).await }.await)
}

/// Opens the personal chat with `user_id`, starting it if there is none yet.
#[server(endpoint = "internal/direct", output = crate::model::wire::Answer)]
pub async fn start_direct_chat(user_id: UserId) -> Result<InternalChatSummary, AppError> {
    respond(
        async {
            let st = state();
            internal::start_direct(&st.db, &st.hub, viewer()?, user_id).await
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn group_limits() -> internal::GroupLimits {
    let chat = &state().settings.chat;
    internal::GroupLimits {
        max_members: chat.group_max_members,
        max_links: chat.group_max_links,
    }
}

/// Creates a group chat (staff): its name, people (`user_ids`, comma-separated), teams
/// (`team_ids`) whose members are added as they are now, and CRM records it is linked to
/// (`links`, as `kind:id`, comma-separated).
#[server(endpoint = "internal/group/create", output = crate::model::wire::Answer)]
pub async fn create_group_chat(
    title: String,
    user_ids: Option<String>,
    team_ids: Option<String>,
    links: Option<String>,
) -> Result<InternalChatSummary, AppError> {
    respond(
        async {
            let (st, viewer) = (state(), viewer()?);
            let invitees = Invitees::parse(user_ids.as_deref(), team_ids.as_deref())?;
            let links = RecordRef::parse_list(links.as_deref())?;
            let group = internal::NewGroup {
                title: &title,
                invitees: &invitees,
                links: &links,
            };
            internal::create_group(&st.db, &st.hub, viewer, group, group_limits()).await
        }
        .await,
    )
}

/// The kinds of CRM record chats can be linked to, each with the kind that narrows its choices.
#[server(endpoint = "internal/links/kinds", output = crate::model::wire::Answer)]
pub async fn record_kinds() -> Result<Vec<RecordKindView>, AppError> {
    respond(
        async {
            let viewer = viewer()?;
            if !viewer.role.is_staff() {
                return Err(AppError::Forbidden);
            }
            Ok(links::kinds(&state().db).await?)
        }
        .await,
    )
}

/// Records of `kind` a chat can be linked to (staff), by name, under the parent record picked
/// first (`parent_kind` and `parent_id`, such as an account for its deals and contacts).
#[server(endpoint = "internal/links/choices", output = crate::model::wire::Answer)]
pub async fn record_choices(
    kind: String,
    parent_kind: Option<String>,
    parent_id: Option<String>,
    search: Option<String>,
) -> Result<Vec<RecordChoice>, AppError> {
    respond(
        async {
            let (st, viewer) = (state(), viewer()?);
            st.limits.searches_per_user.check(viewer.id)?;
            let parent = match (parent_kind.as_deref(), parent_id.as_deref()) {
                (Some(k), Some(id)) if !k.is_empty() && !id.is_empty() => {
                    Some(RecordRef::parse(k, id)?)
                }
                _ => None,
            };
            links::choices(
                &st.db,
                viewer,
                &kind,
                parent,
                search.as_deref().unwrap_or(""),
            )
            .await
        }
        .await,
    )
}

/// Links a group chat to a CRM record (its admins, staff); the chat's links after.
#[server(endpoint = "internal/links/add", output = crate::model::wire::Answer)]
pub async fn link_record(
    conversation_id: ConversationId,
    kind: String,
    record_id: String,
) -> Result<Vec<RecordLinkView>, AppError> {
    respond(
        async {
            let st = state();
            let record = RecordRef::parse(&kind, &record_id)?;
            let max = st.settings.chat.group_max_links;
            links::link(&st.db, &st.hub, viewer()?, conversation_id, record, max).await
        }
        .await,
    )
}

/// Removes a group chat's link to a CRM record (its admins, staff); the chat's links after.
#[server(endpoint = "internal/links/remove", output = crate::model::wire::Answer)]
pub async fn unlink_record(
    conversation_id: ConversationId,
    kind: String,
    record_id: String,
) -> Result<Vec<RecordLinkView>, AppError> {
    respond(
        async {
            let st = state();
            let record = RecordRef::parse(&kind, &record_id)?;
            links::unlink(&st.db, &st.hub, viewer()?, conversation_id, record).await
        }
        .await,
    )
}

/// The chats linked to a record that the caller is a member of (staff who may see the record).
#[server(endpoint = "internal/links/chats", output = crate::model::wire::Answer)]
pub async fn chats_of_record(
    kind: String,
    record_id: String,
) -> Result<Vec<InternalChatSummary>, AppError> {
    respond(
        async {
            let record = RecordRef::parse(&kind, &record_id)?;
            links::chats_of(&state().db, viewer()?, &record).await
        }
        .await,
    )
}

/// The personal chat with a record's contact (a deal's client), started if there is none
/// (staff who may see the record).
#[server(endpoint = "internal/links/direct", output = crate::model::wire::Answer)]
pub async fn message_record_contact(
    kind: String,
    record_id: String,
) -> Result<InternalChatSummary, AppError> {
    respond(
        async {
            let st = state();
            let record = RecordRef::parse(&kind, &record_id)?;
            links::direct_with_contact(&st.db, &st.hub, viewer()?, &record).await
        }
        .await,
    )
}

/// An internal chat as it opens (members only: 404 for everyone else).
#[server(endpoint = "internal/open", output = crate::model::wire::Answer)]
pub async fn open_internal_chat(
    conversation_id: ConversationId,
) -> Result<InternalChatDetail, AppError> {
    respond(
        async {
            let st = state();
            internal::open(
                &st.db,
                viewer()?,
                conversation_id,
                st.settings.chat.history_page,
            )
            .await
        }
        .await,
    )
}

/// Renames a group chat (its admins).
#[server(endpoint = "internal/group/rename", output = crate::model::wire::Answer)]
pub async fn rename_group_chat(
    conversation_id: ConversationId,
    title: String,
) -> Result<InternalChatSummary, AppError> {
    respond(
        async {
            let st = state();
            internal::rename(&st.db, &st.hub, viewer()?, conversation_id, &title).await
        }
        .await,
    )
}

/// Adds people and teams' members to a group chat (its admins).
#[server(endpoint = "internal/members/add", output = crate::model::wire::Answer)]
pub async fn add_group_members(
    conversation_id: ConversationId,
    user_ids: Option<String>,
    team_ids: Option<String>,
) -> Result<Vec<MemberView>, AppError> {
    respond(
        async {
            let (st, viewer) = (state(), viewer()?);
            let invitees = Invitees::parse(user_ids.as_deref(), team_ids.as_deref())?;
            internal::add_members(
                &st.db,
                &st.hub,
                viewer,
                conversation_id,
                &invitees,
                st.settings.chat.group_max_members,
            )
            .await
        }
        .await,
    )
}

/// Removes a member from a group chat (its admins).
#[server(endpoint = "internal/members/remove", output = crate::model::wire::Answer)]
pub async fn remove_group_member(
    conversation_id: ConversationId,
    user_id: UserId,
) -> Result<Vec<MemberView>, AppError> {
    respond(
        async {
            let st = state();
            internal::remove_member(&st.db, &st.hub, viewer()?, conversation_id, user_id).await
        }
        .await,
    )
}

/// Changes a member's role in a group chat (its admins): `admin`, `member` or `viewer`.
#[server(endpoint = "internal/members/role", output = crate::model::wire::Answer)]
pub async fn set_group_member_role(
    conversation_id: ConversationId,
    user_id: UserId,
    role: String,
) -> Result<Vec<MemberView>, AppError> {
    respond(
        async {
            let st = state();
            let role = role_named(&role)?;
            internal::set_role(&st.db, &st.hub, viewer()?, conversation_id, user_id, role).await
        }
        .await,
    )
}

/// Closes a group chat (its admins): it stays readable, nobody writes.
#[server(endpoint = "internal/group/close", output = crate::model::wire::Answer)]
pub async fn close_group_chat(
    conversation_id: ConversationId,
) -> Result<InternalChatSummary, AppError> {
    respond(
        async {
            let st = state();
            internal::close(&st.db, &st.hub, viewer()?, conversation_id).await
        }
        .await,
    )
}

/// The admin's settings of internal chats.
#[server(endpoint = "admin/internal/settings", output = crate::model::wire::Answer)]
pub async fn load_internal_chat_settings() -> Result<InternalChatSettings, AppError> {
    respond(
        async {
            let viewer = viewer()?;
            viewer.admin_only()?;
            Ok(internal::settings(&state().db).await?)
        }
        .await,
    )
}

/// Saves the role new group members get.
#[server(endpoint = "admin/internal/settings/save", output = crate::model::wire::Answer)]
pub async fn save_internal_chat_settings(
    default_role: String,
) -> Result<InternalChatSettings, AppError> {
    respond(
        async {
            let role = role_named(&default_role)?;
            internal::save_settings(&state().db, viewer()?, role).await
        }
        .await,
    )
}
