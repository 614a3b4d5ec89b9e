//! The HTTP surface: Leptos pages and server functions, `/healthz`, and the layers around them.

use crate::app::{App, shell};
use crate::server::body_limit::DeclaredBodyLimitLayer;
use crate::server::panic_guard::PanicGuardLayer;
use crate::server::state::AppState;
use crate::server::{auth, chat_routes, file_routes, payment_routes};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list_with_exclusions};
use std::sync::OnceLock;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let max_body = state.settings.limits.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .merge(chat_routes::router())
        .merge(payment_routes::router())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::resolve_session,
        ))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(DeclaredBodyLimitLayer::new(max_body))
        // Uploads stream far past the body limit; their own rules apply (services::uploads).
        .merge(
            file_routes::router().layer(axum::middleware::from_fn_with_state(
                state.clone(),
                auth::resolve_session,
            )),
        )
        // Inside the request span, so a logged panic carries the request's path and id.
        .layer(PanicGuardLayer)
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            tracing::info_span!(
                "request",
                method = %req.method(),
                path = %req.uri().path(),
                request_id = %uuid::Uuid::new_v4(),
            )
        }))
        .with_state(state)
}

/// The app's pages, generated once per process.
///
/// Leptos generates the list by rendering the app with resource loading switched off for the
/// whole process (one global flag), and a page whose resource starts loading in that moment waits
/// forever. Generated once, before the first server of the process answers anything, that moment
/// never meets a page load, also when one process runs several servers (the tests do).
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES
        .get_or_init(|| {
            // The hot chat endpoints get plain handlers; the server-function layer must not
            // claim them.
            generate_route_list_with_exclusions(
                App,
                Some(vec![
                    chat_routes::POLL_PATH.into(),
                    chat_routes::SEND_PATH.into(),
                ]),
            )
        })
        .clone()
}

/// Liveness and readiness in one: 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok", "database": "ok"})),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "error", "database": "unreachable"})),
            )
        }
    }
}
