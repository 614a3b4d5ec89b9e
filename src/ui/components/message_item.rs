//! One message: sender, time and text; system messages styled apart; an own message still on
//! its way says so, and a failed one shows why with a Retry button.

use crate::ui::components::message_text::MessageText;
use crate::ui::state::timeline::{Delivery, MessageRow};
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
        ..
    } = message;
    if system {
        return view! {
            <li class="message system">
                <p class="body">{body}</p>
                <time class="time">{time}</time>
            </li>
        }
        .into_any();
    }
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
            <p class="body">
                <MessageText body />
            </p>
            {status}
        </li>
    }
    .into_any()
}
