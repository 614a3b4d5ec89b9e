//! Closing a deal as won or lost, and reopening it (administrators).

use crate::model::AppError;
use crate::model::chat::DealView;
use crate::model::ids::ConversationId;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::server::archive::service as archive;

/// Closes the chat's deal: `outcome` is `won` or `lost`; `note` is the optional reason.
#[server(endpoint = "chats/deal/close", output = crate::model::wire::Answer)]
pub async fn close_deal(
    conversation_id: ConversationId,
    outcome: String,
    note: Option<String>,
) -> Result<DealView, AppError> {
    respond(
        async {
            let st = state();
            let deps = archive::CloseDeps {
                db: &st.db,
                hub: &st.hub,
                router: &st.router,
                provider: st.payments.as_ref(),
            };
            archive::close(deps, viewer()?, conversation_id, &outcome, note.as_deref()).await
        }
        .await,
    )
}

/// Reopens the chat's closed deal (administrators only).
#[server(endpoint = "chats/deal/reopen", output = crate::model::wire::Answer)]
pub async fn reopen_deal(conversation_id: ConversationId) -> Result<DealView, AppError> {
    respond(
        async {
            let st = state();
            archive::reopen(&st.db, &st.hub, viewer()?, conversation_id).await
        }
        .await,
    )
}
