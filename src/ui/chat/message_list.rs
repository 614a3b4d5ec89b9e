//! The scrolling list of messages: day separators, the "New messages" marker, older pages loaded
//! when scrolled to the top (keeping the view still), new messages followed while at the bottom
//! and announced by a "Jump to newest" button otherwise.

use crate::api::chat::chat_history;
use crate::model::ids::{ConversationId, MessageId};
use crate::ui::chat::live::LiveChats;
use crate::ui::chat::message_item::MessageItem;
use crate::ui::chat::timeline::{Row, Timeline};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Within this distance of the end the reader counts as "at the newest message".
const NEAR_BOTTOM_PX: i32 = 48;
/// Within this distance of the top the previous page is fetched.
const NEAR_TOP_PX: i32 = 80;

#[component]
pub fn MessageList(
    conversation_id: ConversationId,
    timeline: RwSignal<Timeline>,
    /// Kept up to date here: whether the newest message is in view (the window marks read then).
    at_bottom: RwSignal<bool>,
    on_retry: Callback<String>,
) -> impl IntoView {
    let live = LiveChats::get();
    let scroller = NodeRef::<html::Div>::new();
    let marker = NodeRef::<html::Li>::new();
    let rows = Memo::new(move |_| {
        let clock = live.clock.get();
        timeline.with(|t| t.rows(clock))
    });
    // New messages that arrived while the reader was scrolled up.
    let unseen = RwSignal::new(0usize);
    let loading_older = RwSignal::new(false);
    let older_error = RwSignal::new(None::<String>);

    // `try_`: these also run from animation frames, which may come after the list is disposed.
    let measure = move || {
        if let Some(el) = scroller.try_get_untracked().flatten() {
            let gap = el.scroll_height() - el.scroll_top() - el.client_height();
            let bottom = gap <= NEAR_BOTTOM_PX;
            at_bottom.try_set(bottom);
            if bottom {
                unseen.try_set(0);
            }
        }
    };
    let to_bottom = move || {
        if let Some(el) = scroller.try_get_untracked().flatten() {
            el.set_scroll_top(el.scroll_height());
        }
        measure();
    };

    // On opening: the first unread message near the top if there is one, else the newest.
    Effect::new(move |_| {
        request_animation_frame(move || {
            match (
                scroller.try_get_untracked().flatten(),
                marker.try_get_untracked().flatten(),
            ) {
                (Some(el), Some(m)) => el.set_scroll_top(m.offset_top() - 8),
                (Some(el), None) => el.set_scroll_top(el.scroll_height()),
                _ => {}
            }
            measure();
        });
    });

    // Follow new messages while at the bottom (and always after sending one); otherwise count
    // them for the jump button. The DOM is updated before the next frame.
    Effect::new(move |last: Option<Option<(Option<MessageId>, bool)>>| {
        let newest = timeline.with(Timeline::newest);
        if let Some(last) = last
            && last != newest
        {
            let own = newest.is_some_and(|(_, own)| own);
            if own || at_bottom.get_untracked() {
                request_animation_frame(to_bottom);
            } else {
                unseen.update(|n| *n += 1);
            }
        }
        newest
    });

    let load_older = move || {
        let before = timeline.with_untracked(|t| t.has_older().then(|| t.first_seq()).flatten());
        let Some(before) = before else { return };
        if loading_older.get_untracked() {
            return;
        }
        loading_older.set(true);
        older_error.set(None);
        let height_before = scroller
            .try_get_untracked()
            .flatten()
            .map_or(0, |el| el.scroll_height());
        spawn_local(async move {
            match chat_history(conversation_id, before).await {
                Ok(older) => {
                    timeline.try_update(|t| t.add_older(older));
                    // Keep the messages the reader was looking at where they were.
                    request_animation_frame(move || {
                        if let Some(el) = scroller.try_get_untracked().flatten() {
                            el.set_scroll_top(el.scroll_top() + el.scroll_height() - height_before);
                        }
                    });
                }
                Err(e) => {
                    older_error.try_set(Some(e.to_string()));
                }
            }
            loading_older.try_set(false);
        });
    };

    let on_scroll = move |_| {
        measure();
        if scroller
            .get_untracked()
            .is_some_and(|el| el.scroll_top() < NEAR_TOP_PX)
        {
            load_older();
        }
    };

    view! {
        <div class="message-scroll" node_ref=scroller on:scroll=on_scroll>
            <Show when=move || timeline.with(Timeline::has_older)>
                <button
                    type="button"
                    class="ghost load-older"
                    disabled=move || loading_older.get()
                    on:click=move |_| load_older()
                >
                    {move || if loading_older.get() { "Loading…" } else { "Load older messages" }}
                </button>
            </Show>
            <p class="field-error" role="alert">{move || older_error.get()}</p>
            <ol class="messages" aria-label="Messages" aria-live="polite">
                <For
                    each=move || rows.get()
                    key=Row::key
                    children=move |row| match row {
                        Row::Day { label, .. } => {
                            view! {
                                <li class="day-separator">
                                    <span>{label}</span>
                                </li>
                            }
                                .into_any()
                        }
                        Row::NewMessages => {
                            view! {
                                <li class="new-messages" node_ref=marker>
                                    <span>"New messages"</span>
                                </li>
                            }
                                .into_any()
                        }
                        Row::Seen => {
                            view! {
                                <li class="seen" aria-label="Seen by the other side">
                                    "Seen"
                                </li>
                            }
                                .into_any()
                        }
                        Row::Message(message) => view! { <MessageItem message=*message on_retry /> }.into_any(),
                    }
                />
            </ol>
        </div>
        <Show when=move || { unseen.get() > 0 }>
            <button type="button" class="jump-newest" on:click=move |_| to_bottom()>
                {move || match unseen.get() {
                    1 => "Jump to newest (1 new message)".to_owned(),
                    n => format!("Jump to newest ({n} new messages)"),
                }}
            </button>
        </Show>
    }
    .into_any()
}
