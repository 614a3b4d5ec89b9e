//! One message: sender, time and text; event lines (system events, files added to the deal,
//! decisions, payment results) styled apart; an own message still on its way says so, and a
//! failed one shows why with a Retry button. One `match` on the content decides how it looks.

use crate::model::message::MessageContent;
use crate::ui::chat::message_text::MessageText;
use crate::ui::chat::timeline::{Delivery, MessageRow};
use crate::ui::files::file_chip::FileChip;
use crate::ui::files::offer_card::OfferCard;
use crate::ui::payments::payment_card::PaymentCard;
use leptos::prelude::*;

/// For a client whose replies come in the channel's name: the channel's picture, shown beside
/// them (provided by the chat window).
#[derive(Clone, Debug)]
pub struct VoiceImage(pub Option<String>);

#[component]
pub fn MessageItem(message: MessageRow, on_retry: Callback<String>) -> impl IntoView {
    let line = message.content.describe(&message.sender);
    let MessageRow {
        sender,
        own,
        staff_side,
        time,
        client_msg_id,
        delivery,
        content,
        ..
    } = message;
    // Bubbles: the text a person wrote and what it carries.
    let (body, attachment) = match content {
        MessageContent::Text { body } => (body, None),
        MessageContent::File { body, file } => (
            body,
            file.map(|file| view! { <FileChip file preview=true /> }.into_any()),
        ),
        MessageContent::Offer { body, file, offer } => (
            body,
            Some(view! { <OfferCard offer file own /> }.into_any()),
        ),
        MessageContent::Payment { body, payment } => {
            (body, Some(view! { <PaymentCard payment own /> }.into_any()))
        }
        // Event lines: the words of `describe`, with the file they are about.
        MessageContent::FolderFile { file } => {
            return view! {
                <li class="message system file-event">
                    <p class="body">{line} ":" {file.map(|file| view! { <FileChip file /> })}</p>
                    <time class="time">{time}</time>
                </li>
            }
            .into_any();
        }
        MessageContent::OfferDecision { file, .. }
        | MessageContent::OfferWithdrawn { file, .. } => {
            return view! {
                <li class="message system file-event">
                    <p class="body">{line} {file.map(|file| view! { <FileChip file /> })}</p>
                    <time class="time">{time}</time>
                </li>
            }
            .into_any();
        }
        MessageContent::PaymentStatus { .. } => {
            return view! {
                <li class="message system file-event">
                    <p class="body">{line}</p>
                    <time class="time">{time}</time>
                </li>
            }
            .into_any();
        }
        MessageContent::System { .. } | MessageContent::Unreadable => {
            return view! {
                <li class="message system">
                    <p class="body">{line}</p>
                    <time class="time">{time}</time>
                </li>
            }
            .into_any();
        }
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
                {staff_side
                    .then(|| use_context::<VoiceImage>().and_then(|v| v.0))
                    .flatten()
                    .map(|src| view! { <img class="voice-image" src=src alt="" /> })}
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
