//! A payment request: amount, what it is for, its status. The deal's client pays with the Pay
//! button (it opens the provider's checkout); the manager who asked may cancel it while unpaid.
//! The card only ever shows what the server says: paying happens at the provider, and the
//! result comes back as a message through the poll.

use crate::api::payments::{CancelPayment, StartCheckout};
use crate::model::payment::{PaymentStatus, PaymentView};
use crate::model::{Role, UserView};
use crate::ui::forms::form_errors::{FormError, last_error};
use leptos::prelude::*;

#[component]
pub fn PaymentCard(payment: PaymentView, own: bool) -> impl IntoView {
    let me = expect_context::<UserView>();
    let checkout = ServerAction::<StartCheckout>::new();
    let cancel = ServerAction::<CancelPayment>::new();
    let checkout_error = last_error(checkout.value());
    let cancel_error = last_error(cancel.value());
    let leaving = RwSignal::new(false);
    // The checkout's address: go there (the provider's page, or the TEST checkout).
    Effect::new(move |_| {
        if let Some(Ok(url)) = checkout.value().get() {
            leaving.set(true);
            if window().location().set_href(&url).is_err() {
                leaving.set(false);
            }
        }
    });
    let id = payment.id;
    let canceled = move || matches!(cancel.value().get(), Some(Ok(())));
    let status = move || {
        if canceled() {
            PaymentStatus::Canceled
        } else {
            payment.status
        }
    };
    let pending = move || status() == PaymentStatus::Pending;
    let busy = move || checkout.pending().get() || cancel.pending().get() || leaving.get();
    let client = me.role == Role::Client;
    let amount = payment.amount.to_string();
    let pay_label = format!("Pay {amount}");
    // A group named after the request, so a screen reader announces the card as one thing.
    let label = format!("Payment request: {amount}");
    view! {
        <div class="payment-card" class:own=own role="group" aria-label=label>
            <p class="payment-label">
                "Payment request"
                {payment.test_mode.then(|| view! { <span class="test-badge">"TEST"</span> })}
            </p>
            <p class="payment-amount">{amount}</p>
            <p class="payment-description">{payment.description}</p>
            <p class=move || format!("payment-status {}", status().as_str())>
                {move || status().label()}
            </p>
            <Show when=move || pending() && client>
                <button
                    type="button"
                    class="primary pay"
                    disabled=busy
                    on:click=move |_| {
                        checkout.dispatch(StartCheckout { payment_id: id });
                    }
                >
                    {pay_label.clone()}
                </button>
            </Show>
            <Show when=move || pending() && !client && own>
                <button
                    type="button"
                    class="ghost"
                    disabled=busy
                    on:click=move |_| {
                        cancel.dispatch(CancelPayment { payment_id: id });
                    }
                >
                    "Cancel request"
                </button>
            </Show>
            <FormError error=checkout_error />
            <FormError error=cancel_error />
        </div>
    }
    .into_any()
}
