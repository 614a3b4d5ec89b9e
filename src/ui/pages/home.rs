//! The main panel after login: the client's chats or the operator console.

use crate::model::UserView;
use leptos::prelude::*;

#[component]
pub fn HomePanel() -> impl IntoView {
    let me = expect_context::<UserView>();
    if me.role.is_staff() {
        view! {
            <section class="panel" aria-labelledby="console-title">
                <h1 id="console-title">"Operator console"</h1>
                <h2>"Inbox"</h2>
                <p class="empty">"No chats are waiting. New client chats appear here."</p>
            </section>
        }
        .into_any()
    } else {
        view! {
            <section class="panel" aria-labelledby="chats-title">
                <h1 id="chats-title">"My chats"</h1>
                <p class="empty">
                    "Welcome, " {me.display_name}
                    ". Your conversations with your deal managers will appear here."
                </p>
            </section>
        }
        .into_any()
    }
}
