//! The operator's quick-reply picker: opened by `/` in an empty composer or by its button, it
//! lists the chat's replies (filled in by the server), narrowed as the operator types; Enter or a
//! click inserts the highlighted one at the cursor, where it can be edited before sending.

use crate::api::quick_replies::QuickRepliesForChat;
use crate::model::ids::ConversationId;
use crate::model::quick_replies::matching;
use crate::ui::forms::form_errors::{FormError, last_error};
use leptos::ev::KeyboardEvent;
use leptos::html::Input;
use leptos::prelude::*;

/// The picker as a chunk of its own, fetched the first time an operator opens it: clients never
/// may, and most messages are typed.
#[lazy]
pub fn quick_reply_picker(
    conversation_id: ConversationId,
    picking: RwSignal<bool>,
    on_pick: Callback<String>,
) -> AnyView {
    view! { <QuickReplyPicker conversation_id picking on_pick /> }.into_any()
}

#[component]
fn QuickReplyPicker(
    conversation_id: ConversationId,
    picking: RwSignal<bool>,
    on_pick: Callback<String>,
) -> impl IntoView {
    let load = ServerAction::<QuickRepliesForChat>::new();
    load.dispatch(QuickRepliesForChat { conversation_id });
    let error = last_error(load.value());
    let query = RwSignal::new(String::new());
    let active = RwSignal::new(0usize);
    // The texts matching the search, in order: what Enter and the arrows move through.
    let shown = Memo::new(move |_| {
        load.value().with(|v| match v {
            Some(Ok(all)) => matching(all, &query.get())
                .into_iter()
                .map(|r| (r.title.clone(), r.text.clone()))
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    });
    let pick = move |i: usize| {
        if let Some((_, text)) = shown.with_untracked(|s| s.get(i).cloned()) {
            on_pick.run(text);
        }
    };
    let on_keydown = move |ev: KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" => {
            ev.prevent_default();
            let last = shown.with_untracked(Vec::len).saturating_sub(1);
            active.update(|a| *a = (*a + 1).min(last));
        }
        "ArrowUp" => {
            ev.prevent_default();
            active.update(|a| *a = a.saturating_sub(1));
        }
        "Enter" => {
            ev.prevent_default();
            pick(active.get_untracked());
        }
        "Escape" => {
            ev.prevent_default();
            picking.set(false);
        }
        _ => {}
    };
    let search = NodeRef::<Input>::new();
    // Focused once it is in the page: a Suspense may insert it a moment after it is made.
    Effect::new(move |_| {
        if let Some(input) = search.get() {
            request_animation_frame(move || {
                let _ = input.focus();
            });
        }
    });
    let list = move || {
        let loaded = load.value().with(|v| matches!(v, Some(Ok(_))));
        let rows = shown.get();
        if !loaded {
            return view! { <p class="hint">"Loading quick replies…"</p> }.into_any();
        }
        if rows.is_empty() {
            return view! { <p class="hint">"No quick reply matches."</p> }.into_any();
        }
        view! {
            <ul class="quick-reply-list" role="listbox" aria-label="Quick replies">
                {rows
                    .into_iter()
                    .enumerate()
                    .map(|(i, (title, text))| {
                        view! {
                            <li
                                role="option"
                                aria-selected=move || (active.get() == i).to_string()
                                class:active=move || active.get() == i
                                on:mousedown=move |ev| {
                                    ev.prevent_default();
                                    pick(i);
                                }
                            >
                                <strong>{title}</strong>
                                <span class="hint">{text}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <div class="quick-replies" role="dialog" aria-label="Insert a quick reply">
            <input
                node_ref=search
                type="search"
                aria-label="Search quick replies"
                placeholder="Search quick replies (Enter inserts, Esc closes)"
                prop:value=move || query.get()
                on:input=move |ev| {
                    query.set(event_target_value(&ev));
                    active.set(0);
                }
                on:keydown=on_keydown
            />
            <FormError error />
            {list}
            <button type="button" class="ghost" on:click=move |_| picking.set(false)>"Close"</button>
        </div>
    }
}
