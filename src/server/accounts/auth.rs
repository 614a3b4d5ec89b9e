//! Who is asking: the session cookie is resolved once per request by a middleware, which also sends
//! anonymous visitors of protected pages to the login page. Server functions read the result.

use crate::model::AppError;
use crate::server::accounts::session_cache::SessionCache;
use crate::server::accounts::sessions::SessionKey;
use crate::server::accounts::sessions::{self, SessionUser, cookie_name};
use crate::server::accounts::setup::SetupCode;
use crate::server::platform::security_headers::is_site_file;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Paths anyone may load; everything else is a page that needs a session.
pub fn is_public_path(path: &str) -> bool {
    matches!(
        path,
        "/login"
            | "/signup"
            | "/healthz"
            | "/favicon.ico"
            | "/setup"
            | "/forgot-password"
            | "/reset-password"
            | "/verify-email"
            | "/unsubscribe"
    ) || path.starts_with("/api/")
        || is_site_file(path)
}

/// The session token among the request's cookies (only under the cookie's own name).
pub fn session_token(headers: &HeaderMap, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| Cookie::parse(c.trim().to_owned()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

pub fn session_cookie(token: &str, max_age_hours: i64, secure: bool) -> String {
    Cookie::build((cookie_name(secure), token.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::hours(max_age_hours))
        .build()
        .to_string()
}

pub fn clear_session_cookie(secure: bool) -> String {
    Cookie::build((cookie_name(secure), ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string()
}

/// What the session middleware needs of the application.
#[derive(Clone)]
pub struct SessionState {
    pub db: DatabaseConnection,
    pub cache: Arc<SessionCache>,
    pub key: SessionKey,
    pub life: sessions::Lifetime,
    /// Whether the site is served over https (the cookie's name depends on it).
    pub secure: bool,
    /// Open while no administrator exists: pages lead to the setup page.
    pub setup: Arc<SetupCode>,
}

/// Resolves the session into a request extension and guards protected pages.
pub async fn resolve_session(
    State(state): State<SessionState>,
    mut req: Request,
    next: Next,
) -> Response {
    let user = match session_token(req.headers(), state.secure) {
        // Boxed: the lookup's future is large and done before the request is handled, so it
        // must not stay inside this middleware's future while a long-poll waits downstream.
        Some(token) => {
            match Box::pin(sessions::resolve(
                &state.db,
                &state.cache,
                &state.key,
                &token,
                state.life,
            ))
            .await
            {
                Ok(user) => user,
                Err(e) => return e.into_response(),
            }
        }
        None => None,
    };
    let path = req.uri().path();
    if req.method() == Method::GET && !is_public_path(path) && state.setup.pending() {
        return Redirect::to("/setup").into_response();
    }
    if user.is_none() && req.method() == Method::GET && !is_public_path(path) {
        let target = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let next = url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>();
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    if let Some(user) = user {
        req.extensions_mut().insert(user);
    }
    next.run(req).await
}

/// The signed-in user of a plain handler. An anonymous caller is refused with `Unauthenticated`;
/// a handler that answers that in its own way takes `Result<SignedIn, AppError>`.
pub struct SignedIn(pub SessionUser);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<SessionUser>()
            .cloned()
            .map(SignedIn)
            .ok_or(AppError::Unauthenticated)
    }
}

/// The signed-in user, as seen from inside a server function or an SSR render.
pub fn current_user() -> Result<SessionUser, AppError> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<SessionUser>().cloned())
        .ok_or(AppError::Unauthenticated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_need_a_session_but_assets_and_auth_pages_do_not() {
        assert!(!is_public_path("/"));
        assert!(!is_public_path("/admin/users"));
        assert!(is_public_path("/login"));
        assert!(is_public_path("/signup"));
        assert!(is_public_path("/healthz"));
        assert!(is_public_path("/pkg/dealchat.wasm"));
        assert!(is_public_path("/api/auth/login"));
        assert!(is_public_path("/main.css"));
    }

    #[test]
    fn the_session_cookie_is_http_only_and_lax() {
        let c = session_cookie("tok", 1, false);
        assert!(c.contains("HttpOnly"));
        assert!(c.contains("SameSite=Lax"));
        assert!(!c.contains("Secure"));
        let https = session_cookie("tok", 1, true);
        assert!(https.contains("Secure") && https.starts_with("__Host-dealchat_session="));
        assert!(https.contains("Path=/") && !https.contains("Domain"));
    }

    #[test]
    fn the_token_is_found_among_other_cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; dealchat_session=xyz; b=2".parse().expect("header"),
        );
        assert_eq!(session_token(&h, false).as_deref(), Some("xyz"));
        // Under https only the prefixed cookie counts: a plain one may come from a sibling host.
        assert_eq!(session_token(&h, true), None);
    }
}
