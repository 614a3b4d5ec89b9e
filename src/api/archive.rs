//! Closing a deal as won or lost, reopening it (administrators), and making its transcript again.

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

/// Makes the closed deal's transcript again (staff who read its chat); it replaces the current
/// one when ready.
#[server(endpoint = "chats/deal/transcript", output = crate::model::wire::Answer)]
pub async fn regenerate_transcript(conversation_id: ConversationId) -> Result<(), AppError> {
    respond(
        async {
            crate::server::archive::transcript::regenerate(&state().db, viewer()?, conversation_id)
                .await
        }
        .await,
    )
}

/// A deal's record page (staff who may see the deal; 404 for others).
#[server(endpoint = "deals/record", output = crate::model::wire::Answer)]
pub async fn deal_record(
    deal_id: crate::model::ids::DealId,
) -> Result<crate::model::deal_record::DealRecord, AppError> {
    respond(
        async {
            let st = state();
            crate::server::archive::record::record(
                &st.db,
                st.crm.current().await?.as_ref(),
                viewer()?,
                deal_id,
            )
            .await
        }
        .await,
    )
}
