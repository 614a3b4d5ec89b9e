//! Beside the chat, for staff: the deal behind it (title, stage, amount, client, owner), with the
//! amount editable and the deal closable (reopened by admins); for a chat without a deal,
//! creating or linking one.

use crate::model::chat::DealView;
use crate::model::ids::ConversationId;
use crate::model::{Role, UserView};
use crate::ui::accounts::duplicates::PossibleDuplicates;
use crate::ui::archive::deal_close::DealCloseControls;
use crate::ui::crm::chat_crm::ChatCrmPanel;
use crate::ui::deals::deal_amount_form::DealAmountForm;
use crate::ui::deals::deal_link_form::DealLinkForm;
use leptos::prelude::*;

/// The deal panel as a chunk of its own: only staff see it, so a client's chat page never
/// downloads its code. Rendered on the server with the page (and its chunk preloaded); a page
/// that arrives with the panel hydrates once the chunk is here ([`load_if_shown`]).
#[lazy]
pub fn staff_deal_panel(
    conversation_id: ConversationId,
    deal: RwSignal<Option<DealView>>,
    manage: bool,
) -> AnyView {
    #[cfg(feature = "ssr")]
    crate::ui::lazy_page::preload_lazy_fn("staff_deal_panel");
    view! { <DealPanel conversation_id deal manage /> }.into_any()
}

/// Fetches the panel's chunk when the server-rendered page shows the panel. The browser awaits
/// this before hydrating: `Suspend` hydrates a future that is not ready at once as empty, which
/// does not match the panel's HTML.
#[cfg(feature = "hydrate")]
pub async fn load_if_shown() {
    let shown = leptos::prelude::document()
        .query_selector(".deal-panel")
        .ok()
        .flatten()
        .is_some();
    if shown {
        __preload_staff_deal_panel().await;
    }
}

#[component]
pub fn DealPanel(
    conversation_id: ConversationId,
    deal: RwSignal<Option<DealView>>,
    /// The reader may change the deal (or give the chat one).
    manage: bool,
) -> impl IntoView {
    let field = move |f: fn(&DealView) -> String| move || deal.with(|d| d.as_ref().map(f));
    let admin = expect_context::<UserView>().role == Role::Admin;
    view! {
        <aside class="deal-panel panel" aria-labelledby="deal-panel-title">
            <h2 id="deal-panel-title">"Deal"</h2>
            <Show
                when=move || deal.with(Option::is_some)
                fallback=move || {
                    if manage {
                        view! { <DealLinkForm conversation_id deal /> }.into_any()
                    } else {
                        view! {
                            <p class="hint">"No deal yet. Accept the chat to create or link one."</p>
                        }
                            .into_any()
                    }
                }
            >
                <dl class="deal-facts">
                    <dt>"Title"</dt>
                    <dd>{field(|d| d.title.clone())}</dd>
                    <dt>"Stage"</dt>
                    <dd>{field(|d| d.stage.label().to_owned())}</dd>
                    <dt>"Amount"</dt>
                    <dd>
                        {field(|d| d.amount.map_or_else(|| "Not set".to_owned(), |m| m.to_string()))}
                    </dd>
                    <dt>"Client"</dt>
                    <dd>
                        {field(|d| d.client_name.clone())} <br />
                        <span class="email">{field(|d| d.client_email.clone())}</span>
                    </dd>
                    <dt>"Owner"</dt>
                    <dd>{field(|d| d.owner_name.clone().unwrap_or_else(|| "Nobody yet".to_owned()))}</dd>
                </dl>
                {move || {
                    (manage && deal.with(|d| d.as_ref().is_some_and(|d| !d.is_closed())))
                        .then(|| view! { <DealAmountForm conversation_id deal /> })
                }}
                {manage.then(|| view! { <DealCloseControls conversation_id deal admin /> })}
            </Show>
            <PossibleDuplicates conversation_id />
            <ChatCrmPanel conversation_id />
        </aside>
    }
    .into_any()
}
