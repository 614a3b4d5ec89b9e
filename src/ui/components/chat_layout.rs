//! The signed-in frame: sidebar with navigation and the user menu, and the main panel.

use crate::api::auth::current_user;
use crate::model::UserView;
use crate::ui::components::hydration_marker::HydrationMarker;
use crate::ui::components::sidebar::Sidebar;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};

#[component]
pub fn ChatLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(me)) => view! { <SignedIn me /> }.into_any(),
                    _ => view! { <Redirect path="/login" /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SignedIn(me: UserView) -> impl IntoView {
    let menu_open = RwSignal::new(false);
    provide_context(me.clone());
    view! {
        <div class="layout" class:menu-open=move || menu_open.get()>
            <header class="topbar">
                <button
                    type="button"
                    class="ghost menu-toggle"
                    aria-label="Menu"
                    aria-controls="sidebar"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| menu_open.update(|o| *o = !*o)
                >
                    "☰"
                </button>
                <span class="brand">"dealchat"</span>
            </header>
            <Sidebar me on_navigate=Callback::new(move |()| menu_open.set(false)) />
            <HydrationMarker />
            <main class="main-panel" id="main">
                <Outlet />
            </main>
        </div>
    }
}
