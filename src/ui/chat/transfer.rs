//! For the chat's operator: hand the chat to a colleague (who must be available and have room;
//! the picker says why someone cannot) or put it back in a queue, with an optional note that
//! the next operator reads. The client sees neither, only one thread.

use crate::api::chat::{TransferChat, TransferTargets};
use crate::model::ids::ConversationId;
use crate::model::queues::TransferTo;
use crate::ui::forms::form_errors::{FormError, last_error};
use leptos::prelude::*;

#[component]
pub fn TransferButton(conversation_id: ConversationId, on_done: Callback<()>) -> impl IntoView {
    let asking = RwSignal::new(false);
    view! {
        <Show when=move || asking.get() fallback=move || view! {
            <button type="button" class="end-chat-open" on:click=move |_| asking.set(true)>
                "Transfer"
            </button>
        }>
            <Suspense>
                {move || Suspend::new(transfer_form(conversation_id, asking, on_done))}
            </Suspense>
        </Show>
    }
}

/// The form as a chunk of its own, fetched on the first click: most visits never transfer, and
/// clients never may.
#[lazy]
fn transfer_form(
    conversation_id: ConversationId,
    asking: RwSignal<bool>,
    on_done: Callback<()>,
) -> AnyView {
    view! { <TransferForm conversation_id asking on_done /> }.into_any()
}

#[component]
fn TransferForm(
    conversation_id: ConversationId,
    asking: RwSignal<bool>,
    on_done: Callback<()>,
) -> impl IntoView {
    let to = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let targets = ServerAction::<TransferTargets>::new();
    let transfer = ServerAction::<TransferChat>::new();
    let error = Signal::derive(move || {
        last_error(transfer.value())
            .get()
            .or_else(|| last_error(targets.value()).get())
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = transfer.value().get() {
            on_done.run(());
        }
    });
    targets.dispatch(TransferTargets { conversation_id });
    let options = move || {
        targets.value().get().and_then(Result::ok).map(|t| {
            let people = t
                .operators
                .into_iter()
                .map(|o| {
                    let why = o.refusal();
                    let text = match &why {
                        Some(why) => format!("{} — {why}", o.name),
                        None => format!("{} ({} of {} chats)", o.name, o.open_sessions, o.capacity),
                    };
                    let value = TransferTo::Operator(o.id).encode();
                    view! { <option value=value disabled=why.is_some()>{text}</option> }
                })
                .collect_view();
            let queues = t
                .queues
                .into_iter()
                .map(|q| {
                    let value = TransferTo::Queue(q.id).encode();
                    let text = format!("{} ({} waiting)", q.name, q.waiting);
                    view! { <option value=value>{text}</option> }
                })
                .collect_view();
            view! {
                <option value="">"Choose…"</option>
                <optgroup label="Colleagues">{people}</optgroup>
                <optgroup label="Queues">{queues}</optgroup>
            }
        })
    };
    view! {
            <form
                class="end-chat"
                aria-label="Transfer chat"
                on:submit=move |ev| {
                    ev.prevent_default();
                    transfer.dispatch(TransferChat {
                        conversation_id,
                        to: to.get_untracked(),
                        note: note.get_untracked(),
                    });
                }
            >
                <label>
                    "Transfer to"
                    <select prop:value=to on:change=move |ev| to.set(event_target_value(&ev))>
                        {options}
                    </select>
                </label>
                <label>
                    "Note for the next operator (optional)"
                    <textarea
                        maxlength="2000"
                        prop:value=note
                        on:input=move |ev| note.set(event_target_value(&ev))
                    ></textarea>
                </label>
                <FormError error />
                <button
                    type="submit"
                    class="primary"
                    disabled=move || transfer.pending().get() || to.with(String::is_empty)
                >
                    "Transfer"
                </button>
                <button type="button" on:click=move |_| asking.set(false)>
                    "Cancel"
                </button>
            </form>
    }
}
