//! For staff beside a chat: other client accounts that may be the same person (the same name,
//! company email domain or phone), each with why, to spot one client with two accounts.

use crate::api::chat::ChatDuplicates;
use crate::model::ids::ConversationId;
use leptos::prelude::*;

#[component]
pub fn PossibleDuplicates(conversation_id: ConversationId) -> impl IntoView {
    let load = ServerAction::<ChatDuplicates>::new();
    // Asked once the panel is live in the browser.
    Effect::new(move |_| {
        load.dispatch(ChatDuplicates { conversation_id });
    });
    let body = move || match load.value().get() {
        None => view! { <p class="hint">"Checking…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
        Some(Ok(found)) if found.is_empty() => {
            view! { <p class="hint">"No other account looks like this client."</p> }.into_any()
        }
        Some(Ok(found)) => view! {
            <ul class="duplicates-list">
                {found
                    .into_iter()
                    .map(|d| {
                        view! {
                            <li>
                                <strong>{d.name}</strong>
                                " "
                                <span class="email">{d.email}</span>
                                <br />
                                <span class="hint">{d.reasons.join(", ")}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any(),
    };
    view! {
        <section class="duplicates" aria-label="Possible duplicates">
            <h3>"Possible duplicates"</h3>
            {body}
        </section>
    }
}
