//! The message box under a chat: Enter sends, Shift+Enter starts a new line.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

#[component]
pub fn Composer(on_send: Callback<String>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let send = move || {
        let body = text.get_untracked();
        // The server refuses blank messages too; this saves the round trip.
        if body.trim().is_empty() {
            return;
        }
        on_send.run(body);
        text.set(String::new());
    };
    let on_keydown = move |ev: KeyboardEvent| {
        // While an input method is composing, Enter confirms the composition.
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    view! {
        <form
            class="composer"
            aria-label="Send a message"
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
        >
            <label for="composer-text" class="sr-only">"Message"</label>
            <textarea
                id="composer-text"
                rows="2"
                placeholder="Write a message (Enter sends, Shift+Enter for a new line)"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=on_keydown
            ></textarea>
            <button type="submit" class="primary send">"Send"</button>
        </form>
    }
    .into_any()
}
