//! Navigation, the chat list with its search, and the user menu (name, role, log out).

use crate::api::accounts::Logout;
use crate::model::{Role, UserView};
use crate::ui::chat::chat_list::ChatList;
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
            <ChatList on_navigate />
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
