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
    leptos::mount::hydrate_lazy(app::App);
}
