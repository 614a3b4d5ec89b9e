//! Cross-site request forgery is refused for every state-changing request, beyond what SameSite
//! cookies give: a browser says where a request comes from (`Sec-Fetch-Site`, or `Origin` in older
//! browsers), and only this site's own pages may change anything. Callers that send neither (the
//! test client, curl, a server) are not browsers riding on a victim's cookie and pass. Paths that
//! prove their sender another way (a signed webhook) are exempt.

use crate::model::AppError;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

#[derive(Clone)]
pub struct CsrfGuard {
    /// The public URL's origin, as browsers write it in `Origin` (`https://chat.example.com`).
    origin: Arc<str>,
    exempt: Arc<[&'static str]>,
}

impl CsrfGuard {
    pub fn new(public_url: &url::Url, exempt: &[&'static str]) -> Self {
        CsrfGuard {
            origin: public_url.origin().ascii_serialization().into(),
            exempt: exempt.into(),
        }
    }
}

/// Whether a request may go on: the rule, apart from the plumbing.
pub fn allowed(method: &Method, headers: &HeaderMap, own_origin: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    match header("sec-fetch-site") {
        // `none`: the user typed it or used a bookmark.
        Some("same-origin" | "none") => true,
        Some(_) => false,
        None => header("origin").is_none_or(|origin| origin == own_origin),
    }
}

pub async fn guard(State(guard): State<CsrfGuard>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if guard.exempt.contains(&path) || allowed(req.method(), req.headers(), &guard.origin) {
        return next.run(req).await;
    }
    tracing::warn!(
        method = %req.method(),
        path,
        origin = ?req.headers().get("origin"),
        sec_fetch_site = ?req.headers().get("sec-fetch-site"),
        "cross-site request refused"
    );
    AppError::CrossSite.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "https://chat.example.com";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn reads_pass_whatever_their_origin() {
        let h = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(allowed(&Method::GET, &h, OWN));
        assert!(allowed(&Method::HEAD, &h, OWN));
    }

    #[test]
    fn writes_from_other_sites_are_refused() {
        for h in [
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[("sec-fetch-site", "cross-site"), ("origin", OWN)]),
            headers(&[("origin", "https://evil.example")]),
            headers(&[("origin", "null")]),
            headers(&[("origin", "http://chat.example.com")]),
            headers(&[("origin", "https://chat.example.com.evil.example")]),
        ] {
            for m in [Method::POST, Method::PATCH, Method::DELETE, Method::PUT] {
                assert!(!allowed(&m, &h, OWN), "{m} {h:?}");
            }
        }
    }

    #[test]
    fn writes_from_this_site_or_from_no_browser_pass() {
        for h in [
            headers(&[("sec-fetch-site", "same-origin")]),
            headers(&[("sec-fetch-site", "none")]),
            headers(&[("origin", OWN)]),
            HeaderMap::new(),
        ] {
            assert!(allowed(&Method::POST, &h, OWN), "{h:?}");
        }
    }
}
