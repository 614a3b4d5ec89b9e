//! The operator's inbox: chats waiting for a manager (longest waiting first), the chats the
//! reader holds (for admins: every accepted chat), then the ones whose session ended, and those
//! whose deal is closed (collapsed under "Archived").

use crate::model::chat::ChatSummary;
use crate::model::{Role, UserView};
use crate::ui::chat::chat_list_item::ChatListItem;
use crate::ui::chat::live::LiveChats;
use crate::ui::chat::operator_status::OperatorStatusBar;
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
    // Memos: each list is read by its rows and by its empty line.
    let waiting = Memo::new(move |_| live.list.with(|l| l.waiting().cloned().collect()));
    let accepted = Memo::new(move |_| live.list.with(|l| l.accepted().cloned().collect()));
    let ended = Memo::new(move |_| live.list.with(|l| l.ended().cloned().collect()));
    let archived = Memo::new(move |_| {
        live.list
            .with(|l| l.archived().cloned().collect::<Vec<_>>())
    });
    view! {
        <section class="panel console" aria-labelledby="console-title">
            <h1 id="console-title">"Operator console"</h1>
            <OperatorStatusBar />
            <ConsoleSection
                title_id="waiting-title"
                title="Waiting"
                rows=waiting
                empty="No chats are waiting. New client chats appear here."
            />
            <ConsoleSection
                title_id="accepted-title"
                title=accepted_title
                rows=accepted
                empty="Chats you accept appear here."
            />
            <ConsoleSection
                title_id="ended-title"
                title="Ended"
                rows=ended
                empty="Chats you end stay readable here until the client writes again."
            />
            <Show when=move || archived.with(|a| !a.is_empty())>
                <details class="archived-chats">
                    <summary>{move || format!("Archived ({})", archived.with(Vec::len))}</summary>
                    <ul class="chat-rows" aria-label="Archived chats">
                        <For each=move || archived.get() key=|row| row.id children=|row| view! { <ChatListItem row /> } />
                    </ul>
                </details>
            </Show>
        </section>
    }
    .into_any()
}

/// One titled list of the console, with a line in its place while it is empty.
#[component]
fn ConsoleSection(
    title_id: &'static str,
    title: &'static str,
    rows: Memo<Vec<ChatSummary>>,
    empty: &'static str,
) -> impl IntoView {
    view! {
        <section aria-labelledby=title_id>
            <h2 id=title_id>{title}</h2>
            <ul class="chat-rows">
                <For each=move || rows.get() key=|row| row.id children=|row| view! { <ChatListItem row /> } />
            </ul>
            <Show when=move || rows.with(Vec::is_empty)>
                <p class="empty">{empty}</p>
            </Show>
        </section>
    }
    .into_any()
}
