#![recursion_limit = "256"]
//! dealchat: clients and deal managers talk about deals, and every conversation stays tied to the CRM.

pub mod api;
pub mod app;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;

/// Entry point of the browser bundle: hydrates the server-rendered page, once the chunk of a
/// lazily loaded page (`ui::lazy_page`) has arrived.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The lazy parts the page already shows must be here first: hydrating a part whose code is
    // still loading finds the server's HTML where it expects nothing, and breaks the page.
    wasm_bindgen_futures::spawn_local(async {
        ui::deals::deal_panel::load_if_shown().await;
        leptos::mount::hydrate_lazy(app::App);
    });
}
