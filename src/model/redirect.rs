//! Where to send a user after login; only paths on this site are followed (no open redirects).

/// Returns `next` when it is a local path, otherwise the home page.
pub fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.contains(['\r', '\n'])
                && !p.starts_with("/login")
                && !p.starts_with("/signup") =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn local_paths_are_kept() {
        assert_eq!(safe_next(Some("/admin/users")), "/admin/users");
    }

    #[test]
    fn other_sites_and_odd_input_go_home() {
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "admin",
            "/x\r\nSet-Cookie: a=b",
            "/login",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
