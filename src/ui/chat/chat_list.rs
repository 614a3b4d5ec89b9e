//! The reader's chats in the sidebar, kept live by the poll loop, with a search over titles and
//! message text.

use crate::model::chat::ChatSummary;
use crate::ui::chat::chat_list_item::ChatListItem;
use crate::ui::chat::chat_search::ChatSearch;
use crate::ui::chat::live::LiveChats;
use leptos::prelude::*;

#[component]
pub fn ChatList(on_navigate: Callback<()>) -> impl IntoView {
    let live = LiveChats::get();
    // The chats a search found, or None while nothing is searched.
    let found = RwSignal::new(None::<Vec<ChatSummary>>);
    let shown = move || match found.get() {
        Some(found) => live.list.with(|l| l.refresh(&found)),
        None => live.list.with(|l| l.rows().to_vec()),
    };
    view! {
        <nav class="chat-list" aria-label="Chats">
            <ChatSearch found />
            <ul class="chat-rows" on:click=move |_| on_navigate.run(())>
                <For each=shown key=|row| row.id children=|row| view! { <ChatListItem row /> } />
            </ul>
            {move || {
                let searching = found.with(Option::is_some);
                let empty = if searching {
                    found.with(|f| f.as_ref().is_some_and(Vec::is_empty))
                } else {
                    live.list.with(|l| l.rows().is_empty())
                };
                empty
                    .then(|| {
                        view! {
                            <p class="empty">
                                {if searching { "No chats match your search." } else { "No chats yet." }}
                            </p>
                        }
                    })
            }}
        </nav>
    }
    .into_any()
}
