//! Navigation, the chat lists (deal chats, and personal and group chats on the Chats tab) with
//! their searches, and the user menu (name, role, log out).

use crate::api::accounts::Logout;
use crate::model::{Role, UserView};
use crate::ui::chat::chat_list::ChatList;
use crate::ui::chat::live::LiveChats;
use crate::ui::internal_chats::internal_list::InternalChatList;
use crate::ui::shell::notifications::SoundToggle;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Sidebar(me: UserView, on_navigate: Callback<()>) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let is_admin = me.role == Role::Admin;
    let is_client = me.role == Role::Client;
    let home_label = if me.role.is_staff() {
        "Inbox"
    } else {
        "My chats"
    };
    let live = LiveChats::get();
    // Which list shows: the deal chats, or the personal and group chats.
    let team_tab = RwSignal::new(false);
    let team_unread = move || live.internal.with(|l| l.unread_total());
    view! {
        <aside class="sidebar" id="sidebar" aria-label="Sidebar">
            <div class="brand sidebar-brand">"dealchat"</div>
            <nav aria-label="Main" on:click=move |_| on_navigate.run(())>
                <A href="/" exact=true>{home_label}</A>
                {is_client.then(|| view! { <A href="/chats/new">"New chat"</A> })}
                {(!is_client).then(|| view! { <A href="/deals">"Deals"</A> })}
                {is_admin.then(|| view! { <A href="/admin/users">"Users"</A> })}
                {is_admin.then(|| view! { <A href="/admin/channels">"Channels"</A> })}
                {is_admin.then(|| view! { <A href="/admin/queues">"Queues"</A> })}
                {is_admin.then(|| view! { <A href="/admin/quick-replies">"Quick replies"</A> })}
                {is_admin.then(|| view! { <A href="/admin/metrics">"Metrics"</A> })}
                {is_admin.then(|| view! { <A href="/admin/crm">"CRM"</A> })}
                {is_admin.then(|| view! { <A href="/admin/jobs">"Failed jobs"</A> })}
                <A href="/account">"Account"</A>
            </nav>
            <div class="list-tabs" role="group" aria-label="Lists">
                <button
                    type="button"
                    aria-pressed=move || (!team_tab.get()).to_string()
                    on:click=move |_| team_tab.set(false)
                >
                    "Deal chats"
                </button>
                <button
                    type="button"
                    aria-pressed=move || team_tab.get().to_string()
                    on:click=move |_| team_tab.set(true)
                >
                    "Chats"
                    {move || match team_unread() {
                        0 => None,
                        n => Some(view! {
                            <span class="unread-badge">
                                <span aria-hidden="true">{n}</span>
                                <span class="sr-only">{format!("{n} unread")}</span>
                            </span>
                        }),
                    }}
                </button>
            </div>
            <Show when=move || !team_tab.get() fallback=move || view! { <InternalChatList on_navigate /> }>
                <ChatList on_navigate />
            </Show>
            <section class="user-menu" aria-label="User menu">
                <div class="who">
                    <span class="name">{me.display_name.clone()}</span>
                    <span class="role-badge">{me.role.label()}</span>
                    <span class="email">{me.email}</span>
                </div>
                <SoundToggle />
                <ActionForm action=logout>
                    <button type="submit" class="ghost">"Log out"</button>
                </ActionForm>
            </section>
        </aside>
    }
}
