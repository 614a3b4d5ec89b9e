//! Deal files and offers: the folder's list, and deciding on (or withdrawing) an offer.
//! Bytes travel outside server functions: uploads at `/files/uploads`, downloads at `/files/{id}`.

use crate::model::AppError;
use crate::model::chat::{DealFileView, OfferView};
use crate::model::ids::{ConversationId, OfferId};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::server::files::{deal_files, offers};

#[server(endpoint = "files/list", output = crate::model::wire::Answer)]
pub async fn deal_files(conversation_id: ConversationId) -> Result<Vec<DealFileView>, AppError> {
    respond(async { deal_files::list(&state().db, viewer()?, conversation_id).await }.await)
}

#[server(endpoint = "offers/decide", output = crate::model::wire::Answer)]
pub async fn decide_offer(
    offer_id: OfferId,
    decision: String,
    reason: Option<String>,
) -> Result<OfferView, AppError> {
    respond(
        async {
            let st = state();
            offers::decide(
                &st.db,
                &st.hub,
                viewer()?,
                offer_id,
                &decision,
                reason.as_deref(),
            )
            .await
        }
        .await,
    )
}

#[server(endpoint = "offers/withdraw", output = crate::model::wire::Answer)]
pub async fn withdraw_offer(offer_id: OfferId) -> Result<OfferView, AppError> {
    respond(
        async {
            let st = state();
            offers::withdraw(&st.db, &st.hub, viewer()?, offer_id).await
        }
        .await,
    )
}
