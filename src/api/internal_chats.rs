//! Internal chats: the Chats tab, personal chats, group chats and their members, the admin's
//! default member role. Messages, history, read marks, typing and files go through the chat
//! endpoints (`chats/send`, `chats/history`, `chats/read`, uploads) like a deal chat's.

use crate::model::AppError;
use crate::model::ids::{ConversationId, UserId};
use crate::model::internal_chat::{
    InternalChatDetail, InternalChatSettings, InternalChatSummary, MemberView, PersonView,
    TeamChoice,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::model::internal_chat::{Invitees, MemberRole};
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

/// Creates a group chat (staff): its name, people (`user_ids`, comma-separated) and teams
/// (`team_ids`) whose members are added as they are now.
#[server(endpoint = "internal/group/create", output = crate::model::wire::Answer)]
pub async fn create_group_chat(
    title: String,
    user_ids: Option<String>,
    team_ids: Option<String>,
) -> Result<InternalChatSummary, AppError> {
    respond(
        async {
            let (st, viewer) = (state(), viewer()?);
            let invitees = Invitees::parse(user_ids.as_deref(), team_ids.as_deref())?;
            internal::create_group(
                &st.db,
                &st.hub,
                viewer,
                &title,
                &invitees,
                st.settings.chat.group_max_members,
            )
            .await
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
