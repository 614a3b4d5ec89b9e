//! For the chat's operator: end the session, with an optional wrap-up note. The client's thread
//! stays open; their next message puts the chat back in the queue.

use crate::api::chat::EndChat;
use crate::model::ids::ConversationId;
use crate::ui::forms::form_errors::{FormError, last_error};
use leptos::prelude::*;

#[component]
pub fn EndChatButton(conversation_id: ConversationId, on_ended: Callback<()>) -> impl IntoView {
    let asking = RwSignal::new(false);
    let note = RwSignal::new(String::new());
    let end = ServerAction::<EndChat>::new();
    let error = last_error(end.value());
    Effect::new(move |_| {
        if let Some(Ok(())) = end.value().get() {
            on_ended.run(());
        }
    });
    let form = move || {
        view! {
            <form
                class="end-chat"
                aria-label="End chat"
                on:submit=move |ev| {
                    ev.prevent_default();
                    end.dispatch(EndChat { conversation_id, note: note.get_untracked() });
                }
            >
                <label>
                    "Wrap-up note (optional)"
                    <textarea
                        maxlength="2000"
                        prop:value=note
                        on:input=move |ev| note.set(event_target_value(&ev))
                    ></textarea>
                </label>
                <FormError error />
                <button type="submit" class="primary" disabled=move || end.pending().get()>
                    "End chat"
                </button>
                <button type="button" on:click=move |_| asking.set(false)>
                    "Cancel"
                </button>
            </form>
        }
    };
    view! {
        <Show when=move || asking.get() fallback=move || view! {
            <button type="button" class="end-chat-open" on:click=move |_| asking.set(true)>
                "End chat"
            </button>
        }>
            {form}
        </Show>
    }
}
