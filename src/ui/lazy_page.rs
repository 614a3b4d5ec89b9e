//! Pages whose code the browser fetches when they are first opened, not with the app.
//!
//! `lazy_page!(LoginRoute, LoginPage)` declares `LoginRoute`, the route to give
//! `view={Lazy::<LoginRoute>::new()}`. Its page component goes into a WASM chunk of its own (built
//! with `cargo leptos build --split`); the browser hydrates once the chunk has arrived
//! (`hydrate_lazy`), and reaching the page by a link fetches it then. The chat page, which most
//! visits open, stays in the main bundle.
//!
//! A page rendered on the server names its chunks in `<link rel="preload">`, so the browser fetches
//! them beside the main module instead of after it has started. Leptos does this too, but only
//! when the page's chunk is asked for after it starts listening, which a fast database often beats
//! (seen: 1 request in 3 without the links); `preload` here does not depend on that timing.

/// Declares `$route`, a lazily loaded route showing the page component `$page`.
#[macro_export]
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        #[doc = concat!("The lazily loaded route of [`", stringify!($page), "`].")]
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                #[cfg(feature = "ssr")]
                $crate::ui::lazy_page::preload(stringify!($route));
                $route
            }

            fn view(_this: Self) -> leptos::prelude::AnyView {
                leptos::prelude::IntoAny::into_any(leptos::view! { <$page /> })
            }
        }
    };
}

#[cfg(feature = "ssr")]
pub use preload::{load_manifest, preload};

#[cfg(feature = "ssr")]
mod preload {
    use std::collections::HashMap;
    use std::path::Path;
    use std::sync::OnceLock;

    /// The chunk files of each lazily loaded function (`__wasm_split_manifest.json`).
    static MANIFEST: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();

    /// Reads the manifest the split build wrote into the site's `pkg` folder. Without it (a build
    /// without `--split`, or the site missing) pages still load, only without preloads: say so.
    pub fn load_manifest(pkg_dir: &Path) {
        let path = pkg_dir.join("__wasm_split_manifest.json");
        let manifest = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(
                    "{} is not a chunk manifest ({e}): pages load without preloads",
                    path.display()
                );
                HashMap::new()
            }),
            Err(e) => {
                tracing::warn!(
                    "no chunk manifest at {} ({e}): pages load without preloads",
                    path.display()
                );
                HashMap::new()
            }
        };
        let _ = MANIFEST.set(manifest);
    }

    /// Adds `<link rel="preload">` to the page's head for every chunk the route `route` (its type
    /// name, `AdminUsersRoute`) loads.
    pub fn preload(route: &str) {
        use leptos::prelude::*;
        use leptos_meta::Link;
        let Some(manifest) = MANIFEST.get() else {
            return;
        };
        for file in chunk_files(manifest, route) {
            // Registers the link with the page's head (leptos_meta), like every <Link>.
            let _ = view! {
                <Link
                    rel="preload"
                    href=format!("/pkg/{file}.wasm")
                    as_="fetch"
                    type_="application/wasm"
                    crossorigin="anonymous"
                />
            }
            .to_html();
        }
    }

    /// The manifest entry of a route's view is named `__<route in snake case>_view_<hash>`.
    fn entry_prefix(route: &str) -> String {
        let mut out = String::from("__");
        for (i, c) in route.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out.push_str("_view_");
        out
    }

    /// The chunk files of the route `route`, in the manifest's order; none when it has no entry.
    fn chunk_files<'m>(manifest: &'m HashMap<String, Vec<String>>, route: &str) -> &'m [String] {
        let prefix = entry_prefix(route);
        manifest
            .iter()
            .find(|(key, _)| key.starts_with(&prefix))
            .map_or(&[], |(_, files)| files.as_slice())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_route_type_names_its_manifest_entry() {
            assert_eq!(entry_prefix("AdminUsersRoute"), "__admin_users_route_view_");
            assert_eq!(entry_prefix("LoginRoute"), "__login_route_view_");
        }

        #[test]
        fn a_route_finds_its_own_chunks_and_no_other_routes() {
            let manifest: HashMap<String, Vec<String>> = [
                (
                    "__admin_users_route_view_96".to_owned(),
                    vec![
                        "chunk_1".to_owned(),
                        "split___admin_users_route_view_96".to_owned(),
                    ],
                ),
                (
                    "__users_route_view_96".to_owned(),
                    vec!["chunk_9".to_owned()],
                ),
            ]
            .into();
            assert_eq!(
                chunk_files(&manifest, "AdminUsersRoute"),
                ["chunk_1", "split___admin_users_route_view_96"]
            );
            assert_eq!(chunk_files(&manifest, "UsersRoute"), ["chunk_9"]);
            assert!(chunk_files(&manifest, "LoginRoute").is_empty());
        }
    }
}
