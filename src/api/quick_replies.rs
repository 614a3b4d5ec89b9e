//! Quick replies: the ones an operator may insert in a chat (filled in), and the admin page.

use crate::model::AppError;
use crate::model::ids::{ConversationId, QuickReplyId};
use crate::model::quick_replies::{FilledReply, QuickRepliesAdmin};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::server::quick_replies::service as replies;

/// The quick replies the chat's operator may use in it, placeholders filled in.
#[server(endpoint = "quick_replies/for_chat", output = crate::model::wire::Answer)]
pub async fn quick_replies_for_chat(
    conversation_id: ConversationId,
) -> Result<Vec<FilledReply>, AppError> {
    respond(async { replies::for_chat(&state().db, viewer()?, conversation_id).await }.await)
}

/// Every quick reply and the teams, for the admin page.
#[server(endpoint = "admin/quick_replies", output = crate::model::wire::Answer)]
pub async fn load_quick_replies_admin() -> Result<QuickRepliesAdmin, AppError> {
    respond(
        async {
            let st = state();
            let gone_before = st.router.gone_before(chrono::Utc::now());
            replies::admin_view(&st.db, viewer()?, gone_before).await
        }
        .await,
    )
}

/// Creates a quick reply (`quick_reply_id` None) or changes one; `team_id` blank: everyone's.
#[server(endpoint = "admin/quick_replies/save", output = crate::model::wire::Answer)]
pub async fn save_quick_reply(
    quick_reply_id: Option<QuickReplyId>,
    title: String,
    body: String,
    language: String,
    team_id: Option<String>,
) -> Result<QuickReplyId, AppError> {
    respond(
        async {
            let viewer = viewer()?;
            let team = match team_id.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(raw) => Some(
                    raw.parse::<crate::model::ids::TeamId>()
                        .map_err(|_| AppError::invalid("team_id", "Choose a team."))?,
                ),
            };
            let input = replies::ReplyInput {
                title: &title,
                body: &body,
                language: &language,
                team,
            };
            replies::save(&state().db, viewer, quick_reply_id, input).await
        }
        .await,
    )
}

#[server(endpoint = "admin/quick_replies/delete", output = crate::model::wire::Answer)]
pub async fn delete_quick_reply(quick_reply_id: QuickReplyId) -> Result<(), AppError> {
    respond(async { replies::delete(&state().db, viewer()?, quick_reply_id).await }.await)
}
