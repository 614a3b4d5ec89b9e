//! Where to send a user after login. Only a path on this site is followed: the value is parsed as a
//! URL relative to the public address, must keep its origin, and leaves in its parsed, encoded form,
//! so nothing a browser would read differently (tabs it strips, backslashes it turns into slashes,
//! encoded slashes) can point it elsewhere.

use url::{Position, Url};

/// The path to send the user to, or `/` when `next` is missing or not a plain local path.
pub fn safe_next(next: Option<&str>, public_url: &Url) -> String {
    next.and_then(|raw| local_path(raw, public_url))
        .unwrap_or_else(|| "/".to_owned())
}

fn local_path(raw: &str, base: &Url) -> Option<String> {
    // Browsers drop tabs and newlines inside URLs and read `\` as `/`: refuse rather than guess.
    if raw
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    if !raw.starts_with('/') || raw.starts_with("//") {
        return None;
    }
    let joined = base.join(raw).ok()?;
    if joined.origin() != base.origin() {
        return None;
    }
    let path = joined.path();
    let decoded = percent_decoded(path);
    // `/%2F%2Fhost` is a path here, but a proxy or a later redirect may decode it.
    if decoded.starts_with("//") || decoded.contains('\\') {
        return None;
    }
    // Back to the sign-in pages would loop.
    if ["/login", "/signup"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
        return None;
    }
    Some(joined[Position::BeforePath..].to_owned())
}

fn percent_decoded(path: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", path.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::safe_next;
    use url::Url;

    fn base() -> Url {
        Url::parse("https://chat.example.com").expect("url")
    }

    #[test]
    fn local_paths_are_kept_with_their_query() {
        assert_eq!(safe_next(Some("/admin/users"), &base()), "/admin/users");
        assert_eq!(
            safe_next(Some("/chats/7?x=1#m3"), &base()),
            "/chats/7?x=1#m3"
        );
        assert_eq!(safe_next(Some("/loginhelp"), &base()), "/loginhelp");
    }

    #[test]
    fn other_sites_and_odd_input_go_home() {
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/x\r\nSet-Cookie: a=b",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/%5Cevil.example",
            " //evil.example",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "/\u{85}/evil.example",
            "/\u{2028}/evil.example",
            "\u{FF0F}\u{FF0F}evil.example",
            "\u{2215}\u{2215}evil.example",
            "javascript:alert(1)",
            "admin",
            "",
            "/login",
            "/login?next=/x",
            "/signup",
        ] {
            assert_eq!(safe_next(Some(bad), &base()), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None, &base()), "/");
    }

    #[test]
    fn unicode_look_alikes_stay_on_this_site_encoded() {
        // A fullwidth slash after the first is only a character of a local path.
        let kept = safe_next(Some("/\u{FF0F}evil.example"), &base());
        assert_eq!(kept, "/%EF%BC%8Fevil.example");
        let joined = base().join(&kept).expect("joins");
        assert_eq!(joined.host_str(), Some("chat.example.com"));
    }

    #[test]
    fn dot_segments_are_resolved_and_stay_local() {
        assert_eq!(safe_next(Some("/a/../b"), &base()), "/b");
        assert_eq!(safe_next(Some("/../../etc"), &base()), "/etc");
    }
}
