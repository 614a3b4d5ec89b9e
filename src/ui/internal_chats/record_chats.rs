//! A record's team chats, in its Chats tab: the group chats linked to it that the reader is a
//! member of (opened right there, to read and write without leaving the page, or on their own
//! page), a new chat linked to it, and a personal chat with the record's contact.

use crate::api::internal_chats::{chats_of_record, create_group_chat, message_record_contact};
use crate::model::AppError;
use crate::model::ids::ConversationId;
use crate::model::internal_chat::InternalChatSummary;
use crate::ui::chat::live::LiveChats;
use crate::ui::internal_chats::internal_chat_page::EmbeddedInternalChat;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

#[component]
pub fn RecordChats(
    /// The record's kind and id (`deal`, `12`).
    kind: &'static str,
    record_id: String,
    /// How the record is named in a new chat's name ("Roof").
    record_title: String,
    /// Who the record's contact is, for the personal chat's button.
    contact_name: Option<String>,
) -> impl IntoView {
    let live = LiveChats::get();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let chats = RwSignal::new(None::<Vec<InternalChatSummary>>);
    let open = RwSignal::new(None::<ConversationId>);
    let record = StoredValue::new(record_id);
    let load = move || {
        let id = record.get_value();
        spawn_local(async move {
            match chats_of_record(kind.to_owned(), id).await {
                Ok(list) => chats.set(Some(list)),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    // In the browser only: the server renders the tab without them.
    Effect::new(move |_| load());

    // A chat made or started here opens on its page, listed before the poll brings it.
    let opened = Callback::new(
        move |answer: Result<InternalChatSummary, AppError>| match answer {
            Ok(summary) => {
                let path = format!("/team/{}", summary.id);
                live.internal.update(|l| l.upsert(summary));
                navigate(&path, Default::default());
            }
            Err(e) => error.set(Some(e.to_string())),
        },
    );
    let name = RwSignal::new(record_title);
    let create = move || {
        let (title, id) = (name.get_untracked(), record.get_value());
        spawn_local(async move {
            let link = format!("{kind}:{id}");
            opened.run(create_group_chat(title, None, None, Some(link)).await);
        });
    };
    let message_contact = contact_name.map(|who| {
        view! {
            <button
                type="button"
                on:click=move |_| {
                    let id = record.get_value();
                    spawn_local(async move {
                        opened.run(message_record_contact(kind.to_owned(), id).await);
                    });
                }
            >
                {format!("Message {who}")}
            </button>
        }
    });
    let list = move || {
        chats.get().map(|list| {
            if list.is_empty() {
                return view! { <p class="empty">"No team chats about it that you are in."</p> }
                    .into_any();
            }
            view! {
                <ul class="record-chats" aria-label="Team chats">
                    {list
                        .into_iter()
                        .map(|c| {
                            let id = c.id;
                            let unread = (c.unread > 0).then(|| format!(" · {} unread", c.unread));
                            view! {
                                <li>
                                    <a href=format!("/team/{id}")>{c.title.clone()}</a>
                                    <span class="meta">{format!(" · {} members", c.members)}{unread}</span>
                                    <button
                                        type="button"
                                        aria-label=format!("Open {} here", c.title)
                                        aria-pressed=move || (open.get() == Some(id)).to_string()
                                        on:click=move |_| open.set(Some(id))
                                    >
                                        "Open here"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
            .into_any()
        })
    };
    view! {
        <section class="record-team-chats" aria-labelledby="record-team-chats-title">
            <h2 id="record-team-chats-title">"Team chats"</h2>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {list}
            <form
                class="inline-form"
                aria-label="New chat about this record"
                on:submit=move |ev| {
                    ev.prevent_default();
                    create();
                }
            >
                <label for="record-chat-name">"New chat about it"</label>
                <input
                    id="record-chat-name"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <button type="submit">"Start chat"</button>
            </form>
            {message_contact}
            {move || open.get().map(|id| view! { <EmbeddedInternalChat id /> })}
        </section>
    }
}
