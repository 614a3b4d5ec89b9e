//! One message: sender, time and text; system messages styled apart; an own message still on
//! its way says so, and a failed one shows why with a Retry button.

use crate::model::chat::{OfferStatus, kind};
use crate::ui::chat::message_text::MessageText;
use crate::ui::chat::timeline::{Delivery, MessageRow};
use crate::ui::files::file_chip::FileChip;
use crate::ui::files::offer_card::OfferCard;
use crate::ui::payments::payment_card::PaymentCard;
use leptos::prelude::*;

#[component]
pub fn MessageItem(message: MessageRow, on_retry: Callback<String>) -> impl IntoView {
    let MessageRow {
        sender,
        system,
        own,
        time,
        body,
        client_msg_id,
        delivery,
        kind: message_kind,
        file,
        offer,
        payment,
        ..
    } = message;
    if let Some(line) = event_line(&message_kind, &sender, file.as_ref(), offer.as_ref(), &body) {
        return view! {
            <li class="message system file-event">
                <p class="body">{line} {file.map(|file| view! { <FileChip file /> })}</p>
                <time class="time">{time}</time>
            </li>
        }
        .into_any();
    }
    if system {
        return view! {
            <li class="message system">
                <p class="body">{body}</p>
                <time class="time">{time}</time>
            </li>
        }
        .into_any();
    }
    let attachment = match (message_kind.as_str(), offer, file, payment) {
        (kind::OFFER, Some(offer), file, _) => {
            Some(view! { <OfferCard offer file own /> }.into_any())
        }
        (kind::PAYMENT, _, _, Some(payment)) => {
            Some(view! { <PaymentCard payment own /> }.into_any())
        }
        (_, _, Some(file), _) => Some(view! { <FileChip file /> }.into_any()),
        _ => None,
    };
    let has_text = !body.is_empty();
    let class = match (&delivery, own) {
        (Some(Delivery::Failed(_)), _) => "message own failed",
        (Some(Delivery::Sending), _) => "message own sending",
        (None, true) => "message own",
        (None, false) => "message theirs",
    };
    let status = match delivery {
        Some(Delivery::Sending) => {
            Some(view! { <span class="status">"Sending…"</span> }.into_any())
        }
        Some(Delivery::Failed(reason)) => {
            let retry = move |_| {
                if let Some(id) = client_msg_id.clone() {
                    on_retry.run(id);
                }
            };
            Some(
                view! {
                    <span class="status send-error" role="alert">{reason}</span>
                    <button type="button" class="ghost retry" on:click=retry>
                        "Retry"
                    </button>
                }
                .into_any(),
            )
        }
        None => None,
    };
    view! {
        <li class=class>
            <div class="meta">
                <span class="sender">{sender}</span>
                <time class="time">{time}</time>
            </div>
            {has_text.then(|| view! {
                <p class="body">
                    <MessageText body />
                </p>
            })}
            {attachment}
            {status}
        </li>
    }
    .into_any()
}

/// The one-line messages about files, offers and payments: an upload to the deal's folder, a
/// decision, a withdrawal, a payment's result. None for messages shown as bubbles.
fn event_line(
    message_kind: &str,
    sender: &str,
    file: Option<&crate::model::chat::FileRef>,
    offer: Option<&crate::model::chat::OfferView>,
    body: &str,
) -> Option<String> {
    let title = offer.map_or("the offer", |o| o.title.as_str());
    match message_kind {
        kind::FOLDER_FILE => Some(format!(
            "{sender} added {} to the deal files:",
            if file.is_some() {
                "a file"
            } else {
                "a file (since removed)"
            }
        )),
        kind::OFFER_DECISION => {
            let verb = match offer.map(|o| o.status) {
                Some(OfferStatus::Rejected) => "rejected",
                _ => "accepted",
            };
            let mut line = format!("{sender} {verb} “{title}”.");
            if !body.is_empty() {
                line.push_str(&format!(" Reason: {body}"));
            }
            Some(line)
        }
        kind::OFFER_WITHDRAWN => Some(format!("{sender} withdrew “{title}”.")),
        // The server words the line ("Payment of 1,500 EUR paid.").
        kind::PAYMENT_STATUS => Some(body.to_owned()),
        _ => None,
    }
}
