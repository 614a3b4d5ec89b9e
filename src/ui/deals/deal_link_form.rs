//! For a general question without a deal: create a deal for it, or link one of the client's
//! deals that has no chat yet.

use crate::api::deals::{CreateDeal, LinkDeal, linkable_deals};
use crate::model::chat::DealView;
use crate::model::ids::ConversationId;
use crate::ui::forms::form_errors::{FieldError, FormError, last_error};
use crate::ui::page_data::page_data;
use leptos::prelude::*;

#[component]
pub fn DealLinkForm(
    conversation_id: ConversationId,
    deal: RwSignal<Option<DealView>>,
) -> impl IntoView {
    let create = ServerAction::<CreateDeal>::new();
    let link = ServerAction::<LinkDeal>::new();
    let create_error = last_error(create.value());
    let link_error = last_error(link.value());
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            deal.set(Some(created));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(linked)) = link.value().get() {
            deal.set(Some(linked));
        }
    });
    let candidates = page_data(|| (), move |_| linkable_deals(conversation_id));
    let id = conversation_id.to_string();
    let link_id = id.clone();
    view! {
        <p class="hint">"This chat has no deal yet."</p>
        <ActionForm action=create attr:aria-label="Create deal" attr:novalidate=true>
            <input type="hidden" name="conversation_id" value=id />
            <FormError error=create_error />
            <label for="new-deal-title">"Deal title"</label>
            <input id="new-deal-title" name="title" autocomplete="off" aria-describedby="new-deal-title-error" />
            <FieldError error=create_error field="title" id="new-deal-title-error" />
            <button type="submit" class="ghost" disabled=move || create.pending().get()>
                "Create deal"
            </button>
        </ActionForm>
        <Transition fallback=|| ()>
            {move || Suspend::new({
                let id = link_id.clone();
                async move {
                    let deals = candidates.await.unwrap_or_default();
                    (!deals.is_empty())
                        .then(move || {
                            view! {
                                <ActionForm action=link attr:aria-label="Link existing deal" attr:novalidate=true>
                                    <input type="hidden" name="conversation_id" value=id />
                                    <FormError error=link_error />
                                    <label for="link-deal">"Existing deal"</label>
                                    <select id="link-deal" name="deal_id" aria-describedby="link-deal-error">
                                        {deals
                                            .into_iter()
                                            .map(|d| {
                                                view! {
                                                    <option value=d.id.to_string()>
                                                        {format!("{} ({})", d.title, d.stage)}
                                                    </option>
                                                }
                                            })
                                            .collect_view()}
                                    </select>
                                    <FieldError error=link_error field="deal_id" id="link-deal-error" />
                                    <button type="submit" class="ghost" disabled=move || link.pending().get()>
                                        "Link deal"
                                    </button>
                                </ActionForm>
                            }
                        })
                }
            })}
        </Transition>
    }
    .into_any()
}
