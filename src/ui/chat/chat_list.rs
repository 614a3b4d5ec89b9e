//! The reader's chats in the sidebar, kept live by the poll loop, with a search over titles and
//! message text, and (when they come from several channels) each channel with what is new there,
//! a button that shows that channel's chats only. Chats whose deal is closed are kept under
//! "Archived", collapsed; a search finds them too.

use crate::model::UserView;
use crate::model::chat::ChatSummary;
use crate::model::ids::ChannelId;
use crate::ui::chat::chat_list_item::ChatListItem;
use crate::ui::chat::chat_rows::ChannelCount;
use crate::ui::chat::chat_search::ChatSearch;
use crate::ui::chat::live::LiveChats;
use leptos::prelude::*;

#[component]
pub fn ChatList(on_navigate: Callback<()>) -> impl IntoView {
    let live = LiveChats::get();
    let me = expect_context::<UserView>().id;
    // The chats a search found, or None while nothing is searched.
    let found = RwSignal::new(None::<Vec<ChatSummary>>);
    // One channel's chats only, when the reader picked one.
    let only = RwSignal::new(None::<ChannelId>);
    let in_channel = move |mut rows: Vec<ChatSummary>| {
        if let Some(channel) = only.get() {
            rows.retain(|r| r.channel == Some(channel));
        }
        rows
    };
    let shown = move || {
        in_channel(match found.get() {
            Some(found) => live.list.with(|l| l.refresh(&found)),
            None => live.list.with(|l| l.current().cloned().collect()),
        })
    };
    let archived =
        Memo::new(move |_| in_channel(live.list.with(|l| l.archived().cloned().collect())));
    let channels = Memo::new(move |_| live.list.with(|l| l.by_channel(me)));
    view! {
        <nav class="chat-list" aria-label="Chats">
            <ChatSearch found />
            <Show when=move || channels.with(|c| !c.is_empty())>
                <ul class="channel-counts" aria-label="Channels">
                    <For
                        each=move || channels.get()
                        key=|c| (c.channel, c.attention, c.name.clone())
                        children=move |c: ChannelCount| {
                            let channel = c.channel;
                            let label = match c.attention {
                                0 => c.name.clone(),
                                n => format!("{}, {n} new", c.name),
                            };
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        class="channel-filter"
                                        aria-label=label
                                        aria-pressed=move || (only.get() == Some(channel)).to_string()
                                        on:click=move |_| {
                                            only.update(|o| {
                                                *o = if *o == Some(channel) { None } else { Some(channel) };
                                            })
                                        }
                                    >
                                        {c.name}
                                        {(c.attention > 0)
                                            .then(|| view! { <span class="unread-badge" aria-hidden="true">{c.attention}</span> })}
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
            </Show>
            <ul class="chat-rows" on:click=move |_| on_navigate.run(())>
                <For each=shown key=|row| row.id children=|row| view! { <ChatListItem row /> } />
            </ul>
            <Show when=move || found.with(Option::is_none) && archived.with(|a| !a.is_empty())>
                <details class="archived-chats">
                    <summary>{move || format!("Archived ({})", archived.with(Vec::len))}</summary>
                    <ul class="chat-rows" aria-label="Archived chats" on:click=move |_| on_navigate.run(())>
                        <For each=move || archived.get() key=|row| row.id children=|row| view! { <ChatListItem row /> } />
                    </ul>
                </details>
            </Show>
            {move || {
                let searching = found.with(Option::is_some);
                let empty = if searching {
                    found.with(|f| f.as_ref().is_some_and(Vec::is_empty))
                } else {
                    live.list.with(|l| l.current().next().is_none())
                };
                let line = if searching {
                    "No chats match your search."
                } else if archived.with(|a| !a.is_empty()) {
                    "No open chats."
                } else {
                    "No chats yet."
                };
                empty.then(|| view! { <p class="empty">{line}</p> })
            }}
        </nav>
    }
    .into_any()
}
