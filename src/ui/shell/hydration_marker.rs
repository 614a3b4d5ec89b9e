//! Marks `<body data-hydrated>` once the component around it is live in the browser, so browser
//! tests can tell a server-rendered page from a hydrated one.

use leptos::prelude::*;

#[component]
pub fn HydrationMarker() -> impl IntoView {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });
}
