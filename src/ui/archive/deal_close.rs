//! Closes the deal as won or lost, with an optional reason (its manager or an admin), and
//! reopens a closed one (admins). Part of the staff deal panel's chunk.

use crate::api::archive::{CloseDeal, ReopenDeal};
use crate::model::chat::DealView;
use crate::model::ids::ConversationId;
use crate::ui::forms::form_errors::{FieldError, FormError, last_error};
use leptos::prelude::*;

#[component]
pub fn DealCloseControls(
    conversation_id: ConversationId,
    deal: RwSignal<Option<DealView>>,
    /// Administrators may reopen a closed deal.
    admin: bool,
) -> impl IntoView {
    let close = ServerAction::<CloseDeal>::new();
    let reopen = ServerAction::<ReopenDeal>::new();
    let close_error = last_error(close.value());
    let reopen_error = last_error(reopen.value());
    Effect::new(move |_| {
        if let Some(Ok(closed)) = close.value().get() {
            deal.set(Some(closed));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(reopened)) = reopen.value().get() {
            deal.set(Some(reopened));
        }
    });
    let closed = move || deal.with(|d| d.as_ref().is_some_and(DealView::is_closed));
    view! {
        <Show
            when=closed
            fallback=move || {
                view! {
                    <details class="deal-close">
                        <summary>"Close deal…"</summary>
                        <ActionForm action=close attr:aria-label="Close deal" attr:novalidate=true>
                            <input type="hidden" name="conversation_id" value=conversation_id.to_string() />
                            <FormError error=close_error />
                            <fieldset>
                                <legend>"Outcome"</legend>
                                <label class="choice">
                                    <input type="radio" name="outcome" value="won" checked=true />
                                    "Won (completed)"
                                </label>
                                <label class="choice">
                                    <input type="radio" name="outcome" value="lost" />
                                    "Lost"
                                </label>
                            </fieldset>
                            <FieldError error=close_error field="outcome" id="deal-close-outcome-error" />
                            <label for="deal-close-note">"Reason (optional)"</label>
                            <textarea
                                id="deal-close-note"
                                name="note"
                                rows="2"
                                maxlength="2000"
                                aria-describedby="deal-close-note-error"
                            ></textarea>
                            <FieldError error=close_error field="note" id="deal-close-note-error" />
                            <p class="hint">
                                "The chat becomes read-only history; pending offers are withdrawn and unpaid payment requests canceled."
                            </p>
                            <button type="submit" class="danger" disabled=move || close.pending().get()>
                                "Close deal"
                            </button>
                        </ActionForm>
                    </details>
                }
            }
        >
            {admin
                .then(|| {
                    view! {
                        <ActionForm action=reopen attr:aria-label="Reopen deal" attr:class="deal-reopen">
                            <input type="hidden" name="conversation_id" value=conversation_id.to_string() />
                            <FormError error=reopen_error />
                            <button type="submit" class="ghost" disabled=move || reopen.pending().get()>
                                "Reopen deal"
                            </button>
                        </ActionForm>
                    }
                })}
        </Show>
    }
    .into_any()
}
