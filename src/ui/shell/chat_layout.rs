//! The signed-in frame: sidebar with navigation, chat list and the user menu, and the main panel.
//! It owns the chat state the pages share and, in the browser, the poll loop that feeds it.

use crate::api::accounts::current_user;
use crate::api::chat::list_chats;
use crate::model::UserView;
use crate::model::chat::ChatSummary;
use crate::ui::chat::live::LiveChats;
use crate::ui::page_data::page_data;
use crate::ui::shell::hydration_marker::HydrationMarker;
use crate::ui::shell::notifications::Notifications;
use crate::ui::shell::sidebar::Sidebar;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};

#[component]
pub fn ChatLayout() -> impl IntoView {
    let user = page_data(|| (), |_| current_user());
    let chats = page_data(|| (), |_| list_chats(None));
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(me)) => {
                        // A failed list still shows the page; the poll loop fills it in.
                        let rows = chats.await.unwrap_or_default();
                        view! { <SignedIn me rows /> }.into_any()
                    }
                    _ => view! { <Redirect path="/login" /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn SignedIn(me: UserView, rows: Vec<ChatSummary>) -> impl IntoView {
    let menu_open = RwSignal::new(false);
    let live = LiveChats::new(me.role.is_staff(), rows);
    provide_context(me.clone());
    provide_context(live);
    #[cfg(feature = "hydrate")]
    crate::ui::chat::live::poll_loop::start(live);
    view! {
        <Notifications me=me.clone() />
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
    .into_any()
}
