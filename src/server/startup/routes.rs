//! The HTTP surface: Leptos pages and server functions, `/healthz`, and the layers around them.

use crate::app::{App, shell};
use crate::server::accounts::auth::{self, SessionState};
use crate::server::platform::body_limit::DeclaredBodyLimitLayer;
use crate::server::platform::csrf::{self, CsrfGuard};
use crate::server::platform::panic_guard::PanicGuardLayer;
use crate::server::platform::security_headers::{self, HeaderPolicy};
use crate::server::startup::state::AppState;
use crate::server::{accounts, channels, chat, crm, files, payments};
use axum::Router;
use axum::extract::{FromRef, MatchedPath, Request, State};
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
        .merge(chat::routes::router(chat::routes::ChatState::from_ref(
            &state,
        )))
        .merge(payments::routes::router())
        .merge(accounts::routes::router())
        .merge(crm::routes::router())
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
            SessionState::from_ref(&state),
            auth::resolve_session,
        ))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(DeclaredBodyLimitLayer::new(max_body))
        // Uploads stream far past the body limit; their own rules apply (files::uploads).
        .merge(
            files::routes::router()
                .merge(channels::routes::router())
                .layer(axum::middleware::from_fn_with_state(
                    SessionState::from_ref(&state),
                    auth::resolve_session,
                )),
        )
        // Before anything reads the body or the session; the signed webhook is exempt.
        .layer(axum::middleware::from_fn_with_state(
            CsrfGuard::new(
                &state.settings.public_url(),
                &[payments::routes::STRIPE_WEBHOOK_PATH],
            ),
            csrf::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            HeaderPolicy {
                https: state.settings.secure_cookies(),
            },
            security_headers::apply,
        ))
        // Inside the request span, so a logged panic carries the request's route and id.
        .layer(PanicGuardLayer)
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
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
                    chat::routes::POLL_PATH.into(),
                    chat::routes::SEND_PATH.into(),
                ]),
            )
        })
        .clone()
}

/// The request's span. It names the route that matched (`/chats/{id}`), not the path asked for,
/// so logs group by route with one label each and no chat id; what no route matched (the site's
/// files, unknown pages) is `fallback`.
fn request_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("fallback", MatchedPath::as_str);
    tracing::info_span!(
        "request",
        method = %req.method(),
        route,
        request_id = %uuid::Uuid::new_v4(),
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;
    use tracing::field::{Field, Visit};
    use tracing_subscriber::layer::{Context, SubscriberExt};

    /// Keeps the `route` field of every span opened.
    #[derive(Clone, Default)]
    struct Routes(Arc<Mutex<Vec<String>>>);

    impl Visit for Routes {
        fn record_str(&mut self, field: &Field, value: &str) {
            if field.name() == "route" {
                self.0.lock().unwrap().push(value.to_owned());
            }
        }
        fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
    }

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Routes {
        fn on_new_span(
            &self,
            attrs: &tracing::span::Attributes<'_>,
            _: &tracing::span::Id,
            _: Context<'_, S>,
        ) {
            attrs.record(&mut self.clone());
        }
    }

    #[tokio::test]
    async fn request_spans_name_the_route_not_the_path() {
        let routes = Routes::default();
        let subscriber = tracing_subscriber::registry().with(routes.clone());
        let _default = tracing::subscriber::set_default(subscriber);
        let app = Router::new()
            .route("/chats/{id}", get(|| async { "chat" }))
            .layer(TraceLayer::new_for_http().make_span_with(request_span));
        for path in ["/chats/17", "/chats/18", "/pkg/dealchat.wasm"] {
            let req = Request::builder().uri(path).body(Body::empty()).unwrap();
            app.clone().oneshot(req).await.unwrap();
        }
        assert_eq!(
            *routes.0.lock().unwrap(),
            ["/chats/{id}", "/chats/{id}", "fallback"]
        );
    }
}
