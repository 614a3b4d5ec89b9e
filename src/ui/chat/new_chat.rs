//! A client starts a chat: a new project (which opens a deal) or a general question, in a
//! channel when more than one is open to them, with a title and the first message; the new
//! chat opens when the server has it.

use crate::api::channels::usable_channels;
use crate::api::chat::StartChat;
use crate::model::channels::ChannelChoice;
use crate::model::{Role, UserView};
use crate::ui::browser;
use crate::ui::chat::live::LiveChats;
use crate::ui::forms::form_errors::{FieldError, FormError, last_error};
use crate::ui::forms::loaded::Loaded;
use crate::ui::forms::text_field::TextField;
use crate::ui::page_data::page_data;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

crate::lazy_page!(NewChatRoute, NewChatPage);

#[component]
pub fn NewChatPage() -> impl IntoView {
    let me = expect_context::<UserView>();
    if me.role != Role::Client {
        return view! {
            <section class="panel">
                <h1>"New chat"</h1>
                <p class="form-error" role="alert">
                    "Clients start chats; managers answer them from the inbox."
                </p>
            </section>
        }
        .into_any();
    }
    let live = LiveChats::get();
    let start = ServerAction::<StartChat>::new();
    let error = last_error(start.value());
    // One id per chat being started: resubmitting after a lost answer returns the chat the
    // first attempt created instead of a second one.
    let client_msg_id = RwSignal::new(String::new());
    Effect::new(move |_| client_msg_id.set(browser::new_client_msg_id()));
    let channels = page_data(|| (), |_| usable_channels());
    let choices = |open: Vec<ChannelChoice>| view! { <ChannelChoices open /> };
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(summary)) = start.value().get() {
            let path = format!("/chats/{}", summary.id);
            live.list.update(|l| l.upsert(summary));
            navigate(&path, Default::default());
        }
    });
    view! {
        <section class="panel" aria-labelledby="new-chat-title">
            <h1 id="new-chat-title">"New chat"</h1>
            <ActionForm action=start attr:aria-label="New chat" attr:novalidate=true attr:class="grid-form">
                <FormError error />
                <fieldset class="topic-choice">
                    <legend>"What is it about?"</legend>
                    <label class="choice">
                        <input type="radio" name="topic" value="project" checked=true />
                        "A new project"
                    </label>
                    <label class="choice">
                        <input type="radio" name="topic" value="question" />
                        "A general question"
                    </label>
                </fieldset>
                <FieldError error field="topic" id="topic-error" />
                <Loaded resource=channels loading="Loading channels…" show=choices />
                <FieldError error field="channel" id="channel-error" />
                <TextField id="chat-title" name="title" label="Title or subject" error />
                <label for="chat-body">"First message"</label>
                <textarea id="chat-body" name="body" rows="5" aria-describedby="chat-body-error"></textarea>
                <FieldError error field="body" id="chat-body-error" />
                <input type="hidden" name="client_msg_id" prop:value=move || client_msg_id.get() />
                <button type="submit" class="primary" disabled=move || start.pending().get()>
                    "Start chat"
                </button>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// The channels open to the client, as a choice when there is more than one (the default
/// picked); with one, the server uses it.
#[component]
fn ChannelChoices(open: Vec<ChannelChoice>) -> impl IntoView {
    (open.len() > 1).then(|| {
        view! {
            <fieldset class="channel-choice">
                <legend>"Channel"</legend>
                {open
                    .into_iter()
                    .map(|c| {
                        view! {
                            <label class="choice">
                                <input type="radio" name="channel" value=c.id.to_string() checked=c.is_default />
                                {c.name}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
        }
    })
}
