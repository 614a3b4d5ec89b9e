//! Deals: move the stage, set the amount, create or link a deal for a chat, list linkable deals,
//! and the staff's Deals page.

use crate::model::AppError;
use crate::model::chat::DealView;
use crate::model::ids::{ConversationId, DealId};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::server::deals::service as deals;

#[server(endpoint = "chats/stage", output = crate::model::wire::Answer)]
pub async fn set_stage(
    conversation_id: ConversationId,
    stage: String,
) -> Result<DealView, AppError> {
    respond(
        async {
            let st = state();
            deals::set_stage(&st.db, &st.hub, viewer()?, conversation_id, &stage).await
        }
        .await,
    )
}

#[server(endpoint = "chats/deal/amount", output = crate::model::wire::Answer)]
pub async fn set_deal_amount(
    conversation_id: ConversationId,
    amount: String,
    currency: String,
) -> Result<DealView, AppError> {
    respond(
        async {
            let st = state();
            deals::set_amount(
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

#[server(endpoint = "chats/deal/create", output = crate::model::wire::Answer)]
pub async fn create_deal(
    conversation_id: ConversationId,
    title: String,
) -> Result<DealView, AppError> {
    respond(
        async {
            let st = state();
            deals::create_deal(
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

#[server(endpoint = "chats/deal/linkable", output = crate::model::wire::Answer)]
pub async fn linkable_deals(conversation_id: ConversationId) -> Result<Vec<DealView>, AppError> {
    respond(async { deals::linkable_deals(&state().db, viewer()?, conversation_id).await }.await)
}

#[server(endpoint = "chats/deal/link", output = crate::model::wire::Answer)]
pub async fn link_deal(
    conversation_id: ConversationId,
    deal_id: DealId,
) -> Result<DealView, AppError> {
    respond(
        async {
            let st = state();
            deals::link_deal(&st.db, &st.hub, viewer()?, conversation_id, deal_id).await
        }
        .await,
    )
}

/// The staff's Deals page: `q` searches titles and clients; `stage`, `state` (open, closed, all;
/// open when blank) and `owner_id` narrow it.
#[server(endpoint = "deals/list", output = crate::model::wire::Answer)]
pub async fn list_deals(
    q: Option<String>,
    stage: Option<String>,
    state: Option<String>,
    owner_id: Option<crate::model::ids::UserId>,
) -> Result<crate::model::deal_list::DealsPage, AppError> {
    respond(
        async {
            let viewer = viewer()?;
            let filter = crate::server::deals::list::DealFilter::parse(
                q.as_deref(),
                stage.as_deref(),
                state.as_deref(),
                owner_id,
            )?;
            crate::server::deals::list::page(&crate::api::state().db, viewer, &filter).await
        }
        .await,
    )
}
