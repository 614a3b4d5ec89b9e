//! Chats: list, start, open, page back, send, read, typing, accept, end, poll.

use crate::model::AppError;
use crate::model::chat::{ChatDetail, ChatSummary, MessageView, PollUpdate};
use crate::model::ids::ConversationId;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{limit_by_ip, respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::server::chat::service as chats;

#[server(endpoint = "chats/list", output = crate::model::wire::Answer)]
pub async fn list_chats(search: Option<String>) -> Result<Vec<ChatSummary>, AppError> {
    respond(
        async {
            let (st, viewer) = (state(), viewer()?);
            if search.as_deref().is_some_and(|s| !s.trim().is_empty()) {
                st.limits.searches_per_user.check(viewer.id)?;
            }
            chats::list(&st.db, viewer, search.as_deref()).await
        }
        .await,
    )
}

#[server(endpoint = "chats/start", output = crate::model::wire::Answer)]
pub async fn start_chat(
    topic: String,
    title: String,
    body: String,
    client_msg_id: String,
    channel: Option<crate::model::ids::ChannelId>,
) -> Result<ChatSummary, AppError> {
    respond(
        async {
            let viewer = viewer()?;
            limit_by_ip(|l| &l.chat_starts_per_ip)?;
            state().limits.chat_starts_per_user.check(viewer.id)?;
            let topic = crate::model::chat::ChatTopic::parse(&topic).ok_or_else(|| {
                AppError::invalid("topic", "Choose a new project or a general question.")
            })?;
            let st = state();
            let new = chats::NewChat {
                topic,
                title: &title,
                body: &body,
                client_msg_id: &client_msg_id,
                channel,
            };
            chats::start(
                &st.db,
                &st.hub,
                st.files.as_ref(),
                &st.settings.chat,
                &st.router,
                viewer,
                new,
            )
            .await
        }
        .await,
    )
}

/// Other client accounts that may be the chat's client (staff who may read the chat).
#[server(endpoint = "chats/duplicates", output = crate::model::wire::Answer)]
pub async fn chat_duplicates(
    conversation_id: ConversationId,
) -> Result<Vec<crate::model::chat::DuplicateView>, AppError> {
    respond(async { chats::duplicates(&state().db, viewer()?, conversation_id).await }.await)
}

#[server(endpoint = "chats/open", output = crate::model::wire::Answer)]
pub async fn open_chat(conversation_id: ConversationId) -> Result<ChatDetail, AppError> {
    respond(
        async {
            let st = state();
            chats::detail(&st.db, &st.settings.chat, viewer()?, conversation_id).await
        }
        .await,
    )
}

#[server(endpoint = "chats/history", output = crate::model::wire::Answer)]
pub async fn chat_history(
    conversation_id: ConversationId,
    before_seq: i64,
) -> Result<Vec<MessageView>, AppError> {
    respond(
        async {
            let st = state();
            chats::history(
                &st.db,
                &st.settings.chat,
                viewer()?,
                conversation_id,
                before_seq,
            )
            .await
        }
        .await,
    )
}

/// Served by `server::chat::routes` (a plain handler on the hot path); this declaration gives the
/// browser its client and runs the same code when called during server rendering.
#[server(endpoint = "chats/send", output = crate::model::wire::Answer)]
pub async fn send_message(
    conversation_id: ConversationId,
    client_msg_id: String,
    body: String,
) -> Result<MessageView, AppError> {
    use crate::server::chat::routes::{ChatState, SendArgs, send};
    use axum::extract::FromRef;
    respond(
        async {
            let me = crate::server::accounts::auth::current_user()?;
            let args = SendArgs {
                conversation_id,
                client_msg_id,
                body,
            };
            send(&ChatState::from_ref(&state()), &me, args).await
        }
        .await,
    )
}

#[server(endpoint = "chats/read", output = crate::model::wire::Answer)]
pub async fn mark_read(conversation_id: ConversationId, seq: i64) -> Result<(), AppError> {
    respond(
        async {
            let st = state();
            chats::mark_read(&st.db, &st.hub, viewer()?, conversation_id, seq).await
        }
        .await,
    )
}

/// "I am typing" in the chat: passed to the other side's open chat, never stored.
#[server(endpoint = "chats/typing", output = crate::model::wire::Answer)]
pub async fn announce_typing(conversation_id: ConversationId) -> Result<(), AppError> {
    respond(
        async {
            let me = crate::server::accounts::auth::current_user()?;
            let viewer = crate::server::access::Viewer::of(&me.user);
            let st = state();
            crate::server::chat::typing::announce(
                &st.db,
                &st.hub,
                viewer,
                &me.user.display_name,
                conversation_id,
            )
            .await
        }
        .await,
    )
}

#[server(endpoint = "chats/accept", output = crate::model::wire::Answer)]
pub async fn accept_chat(conversation_id: ConversationId) -> Result<ChatSummary, AppError> {
    respond(
        async {
            let st = state();
            chats::accept(&st.db, &st.hub, viewer()?, conversation_id).await
        }
        .await,
    )
}

/// The chat's operator ends their session, with an optional wrap-up note; the client may write
/// again later, which puts the chat back in the queue.
#[server(endpoint = "chats/end", output = crate::model::wire::Answer)]
pub async fn end_chat(conversation_id: ConversationId, note: String) -> Result<(), AppError> {
    respond(
        async {
            let st = state();
            let viewer = viewer()?;
            crate::server::chat::sessions::end(
                &st.db,
                &st.hub,
                &st.router,
                viewer,
                conversation_id,
                &note,
            )
            .await
        }
        .await,
    )
}

/// The chat's operator hands it to a colleague (`to` = `operator:ID`) or a queue (`queue:ID`),
/// with an optional note the next operator reads.
#[server(endpoint = "chats/transfer", output = crate::model::wire::Answer)]
pub async fn transfer_chat(
    conversation_id: ConversationId,
    to: String,
    note: String,
) -> Result<(), AppError> {
    respond(
        async {
            let (st, viewer) = (state(), viewer()?);
            crate::server::chat::transfer::transfer(
                &st.db,
                &st.hub,
                &st.router,
                viewer,
                conversation_id,
                &to,
                &note,
            )
            .await
        }
        .await,
    )
}

/// Whom the chat's operator may hand it to.
#[server(endpoint = "chats/transfer_targets", output = crate::model::wire::Answer)]
pub async fn transfer_targets(
    conversation_id: ConversationId,
) -> Result<crate::model::queues::TransferTargets, AppError> {
    respond(
        async {
            let (st, viewer) = (state(), viewer()?);
            crate::server::chat::transfer::targets(&st.db, &st.router, viewer, conversation_id)
                .await
        }
        .await,
    )
}

/// The streamed poll (`ui::chat::live::stream`): the arguments of `poll`, and every answer until
/// the wait runs out, one JSON line (`PollLine`) each, on one open response. Served by
/// `server::chat::routes`.
pub const STREAM_PATH: &str = "/api/chats/stream";

/// Long-poll: answers when something after the cursor concerns the caller, or after the
/// configured wait with nothing. Served by `server::chat::routes`, like `send_message`.
#[server(endpoint = "chats/poll", output = crate::model::wire::Answer)]
pub async fn poll(
    tick: i64,
    conversation_id: Option<ConversationId>,
    after_seq: i64,
) -> Result<PollUpdate, AppError> {
    use crate::server::chat::routes::{ChatState, PollArgs, poll};
    use axum::extract::FromRef;
    respond(
        async {
            let me = crate::server::accounts::auth::current_user()?;
            let args = PollArgs {
                tick,
                conversation_id,
                after_seq,
            };
            poll(&ChatState::from_ref(&state()), &me, args).await
        }
        .await,
    )
}
