//! The search box over the chat list: searches titles and message text on the server, a moment
//! after typing stops.

use crate::api::chat::list_chats;
use crate::model::chat::ChatSummary;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// Typing pause before a search is sent.
const DEBOUNCE: Duration = Duration::from_millis(250);

#[component]
pub fn ChatSearch(
    /// Set to the chats found, or None when the box is empty.
    found: RwSignal<Option<Vec<ChatSummary>>>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    // Answers can overtake each other; only the newest search's answer counts.
    let generation = StoredValue::new(0u64);
    let mut search = debounce(DEBOUNCE, move |text: String| {
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        if text.trim().is_empty() {
            found.set(None);
            error.set(None);
            return;
        }
        spawn_local(async move {
            let answer = list_chats(Some(text)).await;
            if generation.try_get_value() != Some(mine) {
                return;
            }
            match answer {
                Ok(rows) => {
                    error.try_set(None);
                    found.try_set(Some(rows));
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    });
    view! {
        <div class="chat-search" role="search">
            <input
                type="search"
                aria-label="Search chats"
                placeholder="Search chats"
                autocomplete="off"
                maxlength="100"
                on:input=move |ev| search(event_target_value(&ev))
            />
            <p class="field-error" aria-live="polite">{move || error.get()}</p>
        </div>
    }
    .into_any()
}
