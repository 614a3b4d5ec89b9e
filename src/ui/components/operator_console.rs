//! The operator's inbox: chats waiting for a manager (longest waiting first), then the chats
//! the reader has accepted (for admins: every accepted chat).

use crate::model::{Role, UserView};
use crate::ui::components::chat_list_item::ChatListItem;
use crate::ui::live::LiveChats;
use leptos::prelude::*;

#[component]
pub fn OperatorConsole() -> impl IntoView {
    let live = LiveChats::get();
    let me = expect_context::<UserView>();
    let accepted_title = if me.role == Role::Admin {
        "Accepted chats"
    } else {
        "Assigned to me"
    };
    let waiting = move || live.list.with(|l| l.waiting().cloned().collect::<Vec<_>>());
    let accepted = move || {
        live.list
            .with(|l| l.accepted().cloned().collect::<Vec<_>>())
    };
    view! {
        <section class="panel console" aria-labelledby="console-title">
            <h1 id="console-title">"Operator console"</h1>
            <section aria-labelledby="waiting-title">
                <h2 id="waiting-title">"Waiting"</h2>
                <ul class="chat-rows">
                    <For each=waiting key=|row| row.id children=|row| view! { <ChatListItem row /> } />
                </ul>
                <Show when=move || live.list.with(|l| l.waiting().next().is_none())>
                    <p class="empty">"No chats are waiting. New client chats appear here."</p>
                </Show>
            </section>
            <section aria-labelledby="accepted-title">
                <h2 id="accepted-title">{accepted_title}</h2>
                <ul class="chat-rows">
                    <For each=accepted key=|row| row.id children=|row| view! { <ChatListItem row /> } />
                </ul>
                <Show when=move || live.list.with(|l| l.accepted().next().is_none())>
                    <p class="empty">"Chats you accept appear here."</p>
                </Show>
            </section>
        </section>
    }
    .into_any()
}
