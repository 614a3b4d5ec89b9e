//! Chats: list, start, open, page back, send, read, accept, deal stage and details, poll.

use crate::model::AppError;
use crate::model::chat::{ChatDetail, ChatSummary, DealView, MessageView, PollUpdate};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::server::services::chats;

#[server(endpoint = "chats/list")]
pub async fn list_chats(search: Option<String>) -> Result<Vec<ChatSummary>, AppError> {
    respond(async { chats::list(&state().db, viewer()?, search.as_deref()).await }.await)
}

#[server(endpoint = "chats/start")]
pub async fn start_chat(
    topic: String,
    title: String,
    body: String,
    client_msg_id: String,
) -> Result<ChatSummary, AppError> {
    respond(
        async {
            let viewer = viewer()?;
            let topic = crate::model::chat::ChatTopic::parse(&topic).ok_or_else(|| {
                AppError::invalid("topic", "Choose a new project or a general question.")
            })?;
            let st = state();
            let new = chats::NewChat {
                topic,
                title: &title,
                body: &body,
                client_msg_id: &client_msg_id,
            };
            chats::start(
                &st.db,
                &st.hub,
                st.files.as_ref(),
                &st.settings.chat,
                viewer,
                new,
            )
            .await
        }
        .await,
    )
}

#[server(endpoint = "chats/open")]
pub async fn open_chat(conversation_id: i64) -> Result<ChatDetail, AppError> {
    respond(
        async {
            let st = state();
            chats::detail(&st.db, &st.settings.chat, viewer()?, conversation_id).await
        }
        .await,
    )
}

#[server(endpoint = "chats/history")]
pub async fn chat_history(
    conversation_id: i64,
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

/// Served by `server::chat_routes` (a plain handler on the hot path); this declaration gives the
/// browser its client and runs the same code when called during server rendering.
#[server(endpoint = "chats/send")]
pub async fn send_message(
    conversation_id: i64,
    client_msg_id: String,
    body: String,
) -> Result<MessageView, AppError> {
    use crate::server::chat_routes::{SendArgs, send};
    respond(
        async {
            let me = crate::server::auth::current_user()?;
            let args = SendArgs {
                conversation_id,
                client_msg_id,
                body,
            };
            send(&state(), &me, args).await
        }
        .await,
    )
}

#[server(endpoint = "chats/read")]
pub async fn mark_read(conversation_id: i64, seq: i64) -> Result<(), AppError> {
    respond(
        async {
            let st = state();
            chats::mark_read(&st.db, &st.hub, viewer()?, conversation_id, seq).await
        }
        .await,
    )
}

#[server(endpoint = "chats/accept")]
pub async fn accept_chat(conversation_id: i64) -> Result<ChatSummary, AppError> {
    respond(
        async {
            let st = state();
            chats::accept(&st.db, &st.hub, viewer()?, conversation_id).await
        }
        .await,
    )
}

#[server(endpoint = "chats/stage")]
pub async fn set_stage(conversation_id: i64, stage: String) -> Result<DealView, AppError> {
    respond(
        async {
            let st = state();
            chats::set_stage(&st.db, &st.hub, viewer()?, conversation_id, &stage).await
        }
        .await,
    )
}

#[server(endpoint = "chats/deal/amount")]
pub async fn set_deal_amount(
    conversation_id: i64,
    amount: String,
    currency: String,
) -> Result<DealView, AppError> {
    respond(
        async {
            let st = state();
            chats::set_amount(
                &st.db,
                &st.hub,
                viewer()?,
                conversation_id,
                &amount,
                &currency,
            )
            .await
        }
        .await,
    )
}

#[server(endpoint = "chats/deal/create")]
pub async fn create_deal(conversation_id: i64, title: String) -> Result<DealView, AppError> {
    respond(
        async {
            let st = state();
            chats::create_deal(
                &st.db,
                &st.hub,
                st.files.as_ref(),
                viewer()?,
                conversation_id,
                &title,
            )
            .await
        }
        .await,
    )
}

#[server(endpoint = "chats/deal/linkable")]
pub async fn linkable_deals(conversation_id: i64) -> Result<Vec<DealView>, AppError> {
    respond(async { chats::linkable_deals(&state().db, viewer()?, conversation_id).await }.await)
}

#[server(endpoint = "chats/deal/link")]
pub async fn link_deal(conversation_id: i64, deal_id: i64) -> Result<DealView, AppError> {
    respond(
        async {
            let st = state();
            chats::link_deal(&st.db, &st.hub, viewer()?, conversation_id, deal_id).await
        }
        .await,
    )
}

/// Long-poll: answers when something after the cursor concerns the caller, or after the
/// configured wait with nothing. Served by `server::chat_routes`, like `send_message`.
#[server(endpoint = "chats/poll")]
pub async fn poll(
    tick: i64,
    conversation_id: Option<i64>,
    after_seq: i64,
) -> Result<PollUpdate, AppError> {
    use crate::server::chat_routes::{PollArgs, poll};
    respond(
        async {
            let me = crate::server::auth::current_user()?;
            let args = PollArgs {
                tick,
                conversation_id,
                after_seq,
            };
            poll(&state(), &me, args).await
        }
        .await,
    )
}
