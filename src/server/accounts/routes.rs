//! The links in account mails: verifying an address and stopping chat notifications. Each answers
//! with a short page of its own (the token in the link is the proof, no session is needed).

use crate::model::ids::UserId;
use crate::server::accounts::email;
use crate::server::accounts::sessions::SessionKey;
use axum::Router;
use axum::extract::{FromRef, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use serde::Deserialize;

pub const VERIFY_PATH: &str = "/verify-email";
pub const UNSUBSCRIBE_PATH: &str = "/unsubscribe";

/// What the mail links need of the application.
#[derive(Clone)]
pub struct AccountsState {
    pub db: DatabaseConnection,
    pub key: SessionKey,
}

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AccountsState: FromRef<S>,
{
    Router::new()
        .route(VERIFY_PATH, get(verify))
        .route(UNSUBSCRIBE_PATH, get(unsubscribe))
}

#[derive(Deserialize)]
struct VerifyArgs {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
struct UnsubscribeArgs {
    user: Option<i64>,
    #[serde(default)]
    sig: String,
}

/// A page of one heading and one sentence, from constant text only.
fn page(status: StatusCode, title: &'static str, text: &'static str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · dealchat</title><link rel=\"stylesheet\" href=\"/pkg/dealchat.css\"></head>\
         <body><main class=\"auth-page\"><section class=\"panel\"><h1>{title}</h1><p>{text}</p>\
         <p><a href=\"/\">Go to dealchat</a></p></section></main></body></html>"
    );
    (status, Html(html)).into_response()
}

async fn verify(State(state): State<AccountsState>, Query(args): Query<VerifyArgs>) -> Response {
    match email::verify(&state.db, &args.token).await {
        Ok(true) => page(
            StatusCode::OK,
            "Email address confirmed",
            "Thank you: your email address is confirmed.",
        ),
        Ok(false) => page(
            StatusCode::NOT_FOUND,
            "Link not valid",
            "This confirmation link was already used or has expired.",
        ),
        Err(e) => {
            tracing::error!(error = %e, "verification failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try the link again in a moment.",
            )
        }
    }
}

async fn unsubscribe(
    State(state): State<AccountsState>,
    Query(args): Query<UnsubscribeArgs>,
) -> Response {
    let Some(user) = args.user else {
        return page(
            StatusCode::NOT_FOUND,
            "Link not valid",
            "This link is not complete.",
        );
    };
    match email::unsubscribe(&state.db, &state.key, UserId(user), &args.sig).await {
        Ok(true) => page(
            StatusCode::OK,
            "No more chat emails",
            "You will not get emails about new messages any more. Your chats are still there.",
        ),
        Ok(false) => page(
            StatusCode::NOT_FOUND,
            "Link not valid",
            "This link is not valid.",
        ),
        Err(e) => {
            tracing::error!(error = %e, "unsubscribe failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try the link again in a moment.",
            )
        }
    }
}
