//! Headers every answer carries: no framing, a same-origin referrer, no MIME sniffing, HSTS under
//! https, `no-store` on everything but the site's static files (the bundle revalidated on every
//! load, see `cache_policy`), and a Content-Security-Policy on
//! every HTML page. App pages get theirs from the shell, with the nonce Leptos puts on its
//! hydration scripts (`page_policy`); any other HTML (plain pages, errors) gets one that allows no
//! inline script at all.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of an app page: scripts only from this site or carrying the page's nonce, WASM
/// compilation allowed, nothing framed, forms and requests only to this site. Styles may be
/// inline (components set `style` attributes).
pub fn page_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(n) => format!("'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[derive(Clone, Copy)]
pub struct HeaderPolicy {
    pub https: bool,
}

/// A path of the site's own files: the bundle, or a name with an extension (`/main.css`).
pub fn is_site_file(path: &str) -> bool {
    path.starts_with("/pkg/") || path.rsplit('/').next().is_some_and(|l| l.contains('.'))
}

/// Static files the browser may cache: the site's files, not the deal files under `/files/`.
fn is_static(path: &str) -> bool {
    is_site_file(path) && !path.starts_with("/files/")
}

/// The `Cache-Control` an answer gets unless its handler chose one. The bundle (`/pkg/`) is one
/// build's main module, its lazily loaded chunks and their loader, whose names stay the same across
/// builds: a browser must never join a cached main module with a newer chunk, so it revalidates
/// every file (an unchanged one costs a `304`).
fn cache_policy(path: &str) -> Option<&'static str> {
    if !is_static(path) {
        Some("no-store")
    } else if path.starts_with("/pkg/") {
        Some("no-cache")
    } else {
        None
    }
}

pub async fn apply(State(policy): State<HeaderPolicy>, req: Request, next: Next) -> Response {
    let cache = cache_policy(req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if policy.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if let Some(cache) = cache
        && !h.contains_key(header::CACHE_CONTROL)
    {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if html
        && !h.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(v) = HeaderValue::from_str(&page_policy(None))
    {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_policy_allows_only_its_own_nonce_inline() {
        let p = page_policy(Some("abc123"));
        assert!(p.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(!p.contains("script-src 'self' 'unsafe-inline'"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(!page_policy(None).contains("nonce"));
    }

    #[test]
    fn only_the_bundle_and_site_files_are_cacheable() {
        assert!(is_static("/pkg/dealchat.wasm"));
        assert!(is_static("/favicon.svg"));
        assert!(!is_static("/chats/4"));
        assert!(!is_static("/api/chats/list"));
        assert!(!is_static("/files/12"));
        assert!(!is_static("/files/uploads/x.y"));
    }

    #[test]
    fn the_bundle_is_revalidated_and_pages_are_never_stored() {
        assert_eq!(cache_policy("/pkg/dealchat.wasm"), Some("no-cache"));
        assert_eq!(cache_policy("/pkg/chunk_3.wasm"), Some("no-cache"));
        assert_eq!(cache_policy("/chats/4"), Some("no-store"));
        assert_eq!(cache_policy("/files/12"), Some("no-store"));
        assert_eq!(cache_policy("/favicon.svg"), None);
    }
}
