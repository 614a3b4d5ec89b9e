//! The admin CRM page: which CRM the app uses, connecting and disconnecting Zoho.

use crate::model::AppError;
use crate::model::crm::CrmConnectionView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{require_admin, respond, state};

/// The CRM in use and the Zoho connection, if any.
#[server(endpoint = "admin/crm/connection", output = crate::model::wire::Answer)]
pub async fn crm_connection() -> Result<CrmConnectionView, AppError> {
    respond(
        async {
            require_admin()?;
            state().zoho.view().await
        }
        .await,
    )
}

/// Starts connecting Zoho: answers the address of Zoho's consent page, where the browser goes.
#[server(endpoint = "admin/crm/zoho/connect", output = crate::model::wire::Answer)]
pub async fn connect_zoho(
    client_id: String,
    client_secret: String,
    data_centre: String,
) -> Result<String, AppError> {
    respond(
        async {
            let me = require_admin()?;
            state()
                .zoho
                .start(&me, &client_id, &client_secret, &data_centre)
                .await
        }
        .await,
    )
}

/// Picks the Zoho CRM organisation the app works in.
#[server(endpoint = "admin/crm/zoho/org", output = crate::model::wire::Answer)]
pub async fn choose_zoho_org(org: String) -> Result<(), AppError> {
    respond(
        async {
            let me = require_admin()?;
            state().zoho.choose_org(me.user.id, &org).await
        }
        .await,
    )
}

/// Revokes Zoho's grant and forgets it; the app goes back to the built-in CRM. Answers a
/// warning when Zoho could not be told.
#[server(endpoint = "admin/crm/zoho/disconnect", output = crate::model::wire::Answer)]
pub async fn disconnect_zoho() -> Result<Option<String>, AppError> {
    respond(
        async {
            let me = require_admin()?;
            state().zoho.disconnect(me.user.id).await
        }
        .await,
    )
}
