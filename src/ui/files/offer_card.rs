//! A shared file the client is asked to accept or reject: the file, the offer's title and its
//! status. The deal's client decides here (a rejection may give a reason); its managers may
//! withdraw it while it is pending. The server records one decision only and says so.

use crate::api::files::{DecideOffer, WithdrawOffer};
use crate::model::chat::{FileRef, OfferStatus, OfferView};
use crate::model::{Role, UserView};
use crate::ui::files::file_chip::FileChip;
use crate::ui::forms::form_errors::{FormError, last_error};
use leptos::prelude::*;

fn status_text(offer: &OfferView) -> String {
    match offer.status {
        OfferStatus::Pending => "Waiting for the client's decision".to_owned(),
        OfferStatus::Accepted => "Accepted".to_owned(),
        OfferStatus::Rejected => match &offer.reason {
            Some(r) => format!("Rejected: {r}"),
            None => "Rejected".to_owned(),
        },
        OfferStatus::Withdrawn => "Withdrawn".to_owned(),
    }
}

#[component]
pub fn OfferCard(offer: OfferView, file: Option<FileRef>, own: bool) -> impl IntoView {
    let me = expect_context::<UserView>();
    let decide = ServerAction::<DecideOffer>::new();
    let withdraw = ServerAction::<WithdrawOffer>::new();
    let decide_error = last_error(decide.value());
    let withdraw_error = last_error(withdraw.value());
    let id = offer.id;
    // The answer shows at once; the poll brings the same state to every other view.
    let current = Signal::derive({
        let offer = offer.clone();
        move || {
            decide
                .value()
                .get()
                .and_then(Result::ok)
                .or_else(|| withdraw.value().get().and_then(Result::ok))
                .unwrap_or_else(|| offer.clone())
        }
    });
    let pending = move || current.with(|o| o.status == OfferStatus::Pending);
    let busy = move || decide.pending().get() || withdraw.pending().get();
    let rejecting = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let client = me.role == Role::Client;
    let status_class = move || format!("offer-status {}", current.with(|o| o.status.as_str()));
    // A group named after the offer, so a screen reader announces the card as one thing.
    let label = format!("Offer: {}", offer.title);
    view! {
        <div class="offer-card" class:own=own role="group" aria-label=label>
            <p class="offer-label">"Offer"</p>
            <p class="offer-title">{offer.title}</p>
            {file.map(|file| view! { <FileChip file /> })}
            <p class=status_class>{move || current.with(status_text)}</p>
            <Show when=move || pending() && client>
                <div class="offer-actions">
                    <button
                        type="button"
                        class="primary"
                        disabled=busy
                        on:click=move |_| {
                            decide.dispatch(DecideOffer {
                                offer_id: id,
                                decision: "accept".into(),
                                reason: None,
                            });
                        }
                    >
                        "Accept"
                    </button>
                    <button
                        type="button"
                        class="ghost"
                        disabled=busy
                        on:click=move |_| rejecting.update(|r| *r = !*r)
                    >
                        "Reject"
                    </button>
                </div>
                <Show when=move || rejecting.get()>
                    <form
                        class="reject-form"
                        on:submit=move |ev| {
                            ev.prevent_default();
                            let why = reason.get_untracked();
                            decide.dispatch(DecideOffer {
                                offer_id: id,
                                decision: "reject".into(),
                                reason: (!why.trim().is_empty()).then_some(why),
                            });
                        }
                    >
                        <label for=format!("reason-{id}")>"Reason (optional)"</label>
                        <input
                            id=format!("reason-{id}")
                            type="text"
                            maxlength="1000"
                            prop:value=move || reason.get()
                            on:input=move |ev| reason.set(event_target_value(&ev))
                        />
                        <button type="submit" class="danger" disabled=busy>
                            "Reject offer"
                        </button>
                    </form>
                </Show>
            </Show>
            <Show when=move || pending() && !client && own>
                <button
                    type="button"
                    class="ghost withdraw"
                    disabled=busy
                    on:click=move |_| {
                        withdraw.dispatch(WithdrawOffer { offer_id: id });
                    }
                >
                    "Withdraw"
                </button>
            </Show>
            <FormError error=decide_error />
            <FormError error=withdraw_error />
        </div>
    }
    .into_any()
}
