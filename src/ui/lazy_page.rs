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
pub use preload::{load_manifest, preload, preload_lazy_fn, provide_preload_registry};

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
        preload_entry(&route_stem(route));
    }

    /// The same for a `#[lazy]` function (its name) that the page renders on the server, so the
    /// browser has its chunk by the time it hydrates that part.
    pub fn preload_lazy_fn(name: &str) {
        preload_entry(name);
    }

    /// The entries whose preloads one page already carries.
    #[derive(Clone, Default)]
    struct Preloaded(std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>);

    /// Called once per page (in the shell): Leptos renders a suspended part several times on the
    /// server (once to find its resources, once more when they are ready), so a lazy function in
    /// it asks for its preloads each time; the page names them once.
    pub fn provide_preload_registry() {
        leptos::prelude::provide_context(Preloaded::default());
    }

    fn preload_entry(stem: &str) {
        use leptos::prelude::*;
        use leptos_meta::Link;
        let Some(manifest) = MANIFEST.get() else {
            return;
        };
        if let Some(Preloaded(seen)) = use_context::<Preloaded>()
            && !seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(stem.to_owned())
        {
            return;
        }
        for file in chunk_files(manifest, stem) {
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

    /// The manifest names a route's view `__<route in snake case>_view_<hash>`; this is the part
    /// before `_<hash>`. A `#[lazy]` function's entry is its name and a hash.
    fn route_stem(route: &str) -> String {
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
        out.push_str("_view");
        out
    }

    /// The chunk files of the entry `<stem>_<hash>`, in the manifest's order; none when it has
    /// none. A longer name that starts with `stem` is another entry.
    fn chunk_files<'m>(manifest: &'m HashMap<String, Vec<String>>, stem: &str) -> &'m [String] {
        let is_entry = |key: &str| {
            key.strip_prefix(stem)
                .and_then(|rest| rest.strip_prefix('_'))
                .is_some_and(|hash| !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_digit()))
        };
        manifest
            .iter()
            .find(|(key, _)| is_entry(key))
            .map_or(&[], |(_, files)| files.as_slice())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_route_type_names_its_manifest_entry() {
            assert_eq!(route_stem("AdminUsersRoute"), "__admin_users_route_view");
            assert_eq!(route_stem("LoginRoute"), "__login_route_view");
        }

        #[test]
        fn an_entry_finds_its_own_chunks_and_no_other_entries() {
            let entry = |key: &str, files: &[&str]| {
                (
                    key.to_owned(),
                    files.iter().map(|f| (*f).to_owned()).collect::<Vec<_>>(),
                )
            };
            let manifest: HashMap<String, Vec<String>> = [
                entry(
                    "__admin_users_route_view_96",
                    &["chunk_1", "split___admin_users_route_view_96"],
                ),
                entry("__users_route_view_96", &["chunk_9"]),
                entry("staff_deal_panel_form_12", &["chunk_4"]),
                entry("staff_deal_panel_34", &["split_staff_deal_panel_34"]),
            ]
            .into();
            let route = |r| chunk_files(&manifest, &route_stem(r));
            assert_eq!(
                route("AdminUsersRoute"),
                ["chunk_1", "split___admin_users_route_view_96"]
            );
            assert_eq!(route("UsersRoute"), ["chunk_9"]);
            assert!(route("LoginRoute").is_empty());
            assert_eq!(
                chunk_files(&manifest, "staff_deal_panel"),
                ["split_staff_deal_panel_34"]
            );
            assert!(chunk_files(&manifest, "staff_deal").is_empty());
        }
    }
}
