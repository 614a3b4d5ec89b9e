//! Zoho's OAuth callback, `GET /admin/crm/zoho/callback`: a top-level navigation from Zoho's
//! consent page (so the Lax session cookie comes along). It finishes the connect and sends the
//! admin back to the CRM page with a short outcome code (`model::crm::connect_outcome`).

use crate::model::{AppError, Role};
use crate::server::accounts::auth::SignedIn;
use crate::server::crm::zoho::connection::{Callback, ZohoConnector};
use axum::Router;
use axum::extract::{FromRef, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use std::sync::Arc;

pub const CALLBACK_PATH: &str = "/admin/crm/zoho/callback";

#[derive(Clone)]
pub struct CrmState {
    pub zoho: Arc<ZohoConnector>,
}

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    CrmState: FromRef<S>,
{
    Router::new().route(CALLBACK_PATH, get(callback))
}

async fn callback(
    State(state): State<CrmState>,
    me: Result<SignedIn, AppError>,
    Query(answer): Query<Callback>,
) -> Response {
    let me = match me {
        Ok(SignedIn(me)) if me.user.role == Role::Admin => me,
        // The state is bound to the admin's sign-in: signing in now could not finish it.
        Ok(_) | Err(_) => return Redirect::to("/admin/crm?zoho=bad_state").into_response(),
    };
    let outcome = match state.zoho.finish(&me, &answer).await {
        Ok(crate::model::crm::ConnectionStatus::ChooseOrg) => "choose_org",
        Ok(_) => "connected",
        Err(e) => {
            tracing::warn!(admin = %me.user.id, code = e.code(), error = %e, "connecting Zoho failed");
            e.code()
        }
    };
    Redirect::to(&format!("/admin/crm?zoho={outcome}")).into_response()
}
