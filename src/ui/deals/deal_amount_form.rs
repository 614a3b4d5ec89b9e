//! Sets the deal's amount and currency; a wrong entry is explained beside its field.

use crate::api::deals::SetDealAmount;
use crate::model::chat::DealView;
use crate::model::ids::ConversationId;
use crate::ui::deals::deal_fields::{amount_text, currency_text};
use crate::ui::forms::form_errors::{FieldError, FormError, last_error};
use leptos::prelude::*;

#[component]
pub fn DealAmountForm(
    conversation_id: ConversationId,
    deal: RwSignal<Option<DealView>>,
) -> impl IntoView {
    let save = ServerAction::<SetDealAmount>::new();
    let error = last_error(save.value());
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            deal.set(Some(saved));
        }
    });
    let amount = move || {
        deal.with(|d| d.as_ref().and_then(|d| d.amount.as_ref().map(amount_text)))
            .unwrap_or_default()
    };
    let currency = move || deal.with(|d| currency_text(d.as_ref().and_then(|d| d.amount.as_ref())));
    view! {
        <ActionForm action=save attr:aria-label="Deal amount" attr:novalidate=true attr:class="deal-amount-form">
            <input type="hidden" name="conversation_id" value=conversation_id.to_string() />
            <FormError error />
            <div class="amount-row">
                <div>
                    <label for="deal-amount">"Amount"</label>
                    <input
                        id="deal-amount"
                        name="amount"
                        inputmode="decimal"
                        autocomplete="off"
                        prop:value=amount
                        aria-describedby="deal-amount-error"
                    />
                </div>
                <div class="currency">
                    <label for="deal-currency">"Currency"</label>
                    <input
                        id="deal-currency"
                        name="currency"
                        maxlength="3"
                        autocomplete="off"
                        prop:value=currency
                        aria-describedby="deal-currency-error"
                    />
                </div>
            </div>
            <FieldError error field="amount" id="deal-amount-error" />
            <FieldError error field="currency" id="deal-currency-error" />
            <button type="submit" class="ghost" disabled=move || save.pending().get()>
                "Save amount"
            </button>
        </ActionForm>
    }
    .into_any()
}
