//! The Chats tab of the sidebar: the reader's personal and group chats, newest activity first,
//! each with its unread count, kept live by the poll loop; a search by name; a link to start one.

use crate::model::chat::ConversationKind;
use crate::model::internal_chat::InternalChatSummary;
use crate::ui::chat::live::LiveChats;
use crate::ui::chat::unread_badge::UnreadBadge;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Whether the row's name holds `search` (any case).
fn matches(row: &InternalChatSummary, search: &str) -> bool {
    let search = search.trim().to_lowercase();
    search.is_empty() || row.title.to_lowercase().contains(&search)
}

#[component]
pub fn InternalChatList(on_navigate: Callback<()>) -> impl IntoView {
    let live = LiveChats::get();
    let search = RwSignal::new(String::new());
    let shown = move || {
        let text = search.get();
        live.internal.with(|l| {
            l.rows()
                .iter()
                .filter(|r| matches(r, &text))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <nav class="chat-list internal-chats" aria-label="Personal and group chats">
            <div class="internal-chats-top">
                <input
                    type="search"
                    class="chat-search"
                    placeholder="Search chats"
                    aria-label="Search personal and group chats"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
                <a href="/team/new" class="button" on:click=move |_| on_navigate.run(())>
                    "New"
                </a>
            </div>
            <ul class="chat-rows" on:click=move |_| on_navigate.run(())>
                <For
                    each=shown
                    key=|r| (r.id, r.title.clone(), r.unread, r.closed, r.last_message_at_ms, r.members)
                    children=|row| view! { <InternalListItem row /> }
                />
            </ul>
            {move || {
                let empty = live.internal.with(|l| l.rows().is_empty());
                empty.then(|| view! { <p class="empty">"No personal or group chats yet."</p> })
            }}
        </nav>
    }
    .into_any()
}

/// One chat of the tab: its name, kind, members, time of the last message, unread count.
#[component]
fn InternalListItem(row: InternalChatSummary) -> impl IntoView {
    let live = LiveChats::get();
    let href = format!("/team/{}", row.id);
    let location = use_location();
    let current = {
        let href = href.clone();
        move || (location.pathname.get() == href).then_some("page")
    };
    let meta = match row.kind {
        ConversationKind::Direct => "Personal".to_owned(),
        _ if row.closed => format!("Group · closed · {} members", row.members),
        _ => format!("Group · {} members", row.members),
    };
    let (at, unread) = (row.last_message_at_ms, row.unread);
    view! {
        <li>
            <a href=href class="chat-item" aria-current=current>
                <span class="chat-item-top">
                    <span class="chat-item-title">{row.title}</span>
                    <time class="chat-item-time">{move || live.clock.get().short_time(at)}</time>
                </span>
                <span class="chat-item-bottom">
                    <span class="chat-item-who">{meta}</span>
                    <UnreadBadge count=Signal::derive(move || unread) />
                </span>
            </a>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::ConversationId;
    use crate::model::internal_chat::MemberRole;

    #[test]
    fn a_search_matches_names_in_any_case() {
        let row = InternalChatSummary {
            id: ConversationId(1),
            kind: ConversationKind::Group,
            title: "Roof Project".into(),
            other_id: None,
            my_role: MemberRole::Member,
            closed: false,
            last_message_at_ms: 0,
            unread: 0,
            members: 2,
        };
        assert!(matches(&row, " roof "));
        assert!(matches(&row, ""));
        assert!(!matches(&row, "kitchen"));
    }
}
