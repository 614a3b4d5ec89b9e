//! Payment requests: the client opens a checkout, a manager cancels an unpaid request.
//! Nothing here can mark a payment paid: only the provider's events do (`payment_routes`).

use crate::model::AppError;
use crate::model::ids::PaymentId;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::server::payments::service as payments;

/// The address of the provider's checkout page for this request.
#[server(endpoint = "payments/checkout", output = crate::model::wire::Answer)]
pub async fn start_checkout(payment_id: PaymentId) -> Result<String, AppError> {
    respond(
        async {
            let st = state();
            payments::checkout(
                &st.db,
                st.payments.as_ref(),
                &st.settings.public_base(),
                viewer()?,
                payment_id,
            )
            .await
        }
        .await,
    )
}

#[server(endpoint = "payments/cancel", output = crate::model::wire::Answer)]
pub async fn cancel_payment(payment_id: PaymentId) -> Result<(), AppError> {
    respond(
        async {
            let st = state();
            payments::cancel(&st.db, &st.hub, st.payments.as_ref(), viewer()?, payment_id).await
        }
        .await,
    )
}
