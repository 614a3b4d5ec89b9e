//! One chat in a list: title, deal stage, last message, time, unread count; links to the chat.

use crate::model::UserView;
use crate::model::chat::ChatSummary;
use crate::ui::chat::live::LiveChats;
use crate::ui::chat::unread_badge::UnreadBadge;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn ChatListItem(
    /// The row as first listed; later states come from the live list.
    row: ChatSummary,
) -> impl IntoView {
    let live = LiveChats::get();
    let staff = expect_context::<UserView>().role.is_staff();
    let id = row.id;
    let row = live.row(row);
    let href = format!("/chats/{id}");
    let location = use_location();
    let current = {
        let href = href.clone();
        move || (location.pathname.get() == href).then_some("page")
    };
    let time = move || {
        let clock = live.clock.get();
        row.with(|r| clock.short_time(r.last_activity_ms))
    };
    let waiting = move || {
        let clock = live.clock.get();
        row.with(|r| {
            r.waiting_since_ms
                .map(|since| (since, r.queue_name.clone()))
        })
        .map(|(since, queue)| {
            let queue = queue.map(|q| format!(" · {q}")).unwrap_or_default();
            format!(
                "Waiting since {} ({}){queue}",
                clock.time_of_day(since),
                clock.elapsed_since(since)
            )
        })
    };
    let who = move || {
        row.with(|r| {
            if staff {
                match &r.assignee_name {
                    Some(manager) if r.waiting_since_ms.is_none() => {
                        format!("{} · {manager}", r.client_name)
                    }
                    _ => r.client_name.clone(),
                }
            } else {
                r.assignee_name
                    .clone()
                    .unwrap_or_else(|| "Waiting for a manager".to_owned())
            }
        })
    };
    view! {
        <li>
            <a href=href class="chat-item" aria-current=current>
                <span class="chat-item-top">
                    <span class="chat-item-title">{move || row.with(|r| r.title.clone())}</span>
                    <time class="chat-item-time">{time}</time>
                </span>
                <span class="chat-item-meta">
                    {move || {
                        row.with(|r| r.stage)
                            .map(|s| view! { <span class="stage-tag">{s.label()}</span> })
                    }}
                    <span class="chat-item-who">{who}</span>
                </span>
                {move || waiting().map(|w| view! { <span class="waiting-since">{w}</span> })}
                <span class="chat-item-bottom">
                    <span class="chat-item-preview">
                        {move || row.with(|r| r.last_message_preview.clone().unwrap_or_default())}
                    </span>
                    <UnreadBadge count=Signal::derive(move || row.with(|r| r.unread)) />
                </span>
            </a>
        </li>
    }
    .into_any()
}
