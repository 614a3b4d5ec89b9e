//! `/chats/:id`: loads the chat (whole, on the server) and shows its window.

use crate::api::chat::open_chat;
use crate::model::AppError;
use crate::model::ids::ConversationId;
use crate::ui::chat::chat_window::ChatWindow;
use crate::ui::page_data::page_data;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ChatPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|raw| raw.parse::<ConversationId>().ok())
    };
    let detail = page_data(id, |id| async move {
        match id {
            Some(id) => open_chat(id).await,
            None => Err(AppError::NotFound),
        }
    });
    let reload = Callback::new(move |()| detail.refetch());
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the chat…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <ChatWindow detail reload /> }.into_any(),
                    Err(AppError::NotFound) => {
                        view! {
                            <section class="panel">
                                <h1>"Chat not found"</h1>
                                <p role="alert">
                                    "This chat does not exist or is no longer open to you."
                                </p>
                            </section>
                        }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <section class="panel">
                                <h1>"Chat"</h1>
                                <p class="form-error" role="alert">{e.to_string()}</p>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
