//! The main panel after login: the operator console for staff, the client's chats otherwise.

use crate::model::UserView;
use crate::ui::chat::chat_list::ChatList;
use crate::ui::chat::operator_console::OperatorConsole;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn HomePanel() -> impl IntoView {
    let me = expect_context::<UserView>();
    if me.role.is_staff() {
        view! { <OperatorConsole /> }.into_any()
    } else {
        view! {
            <section class="panel" aria-labelledby="chats-title">
                <h1 id="chats-title">"My chats"</h1>
                <p class="hint">
                    "Welcome, " {me.display_name}
                    ". Talk to your deal manager about a new project or ask a question."
                </p>
                <A href="/chats/new" attr:class="button primary">"Start a new chat"</A>
                // On a phone the sidebar is folded away, so the list is repeated here.
                <div class="home-chat-list">
                    <ChatList on_navigate=Callback::new(|()| ()) />
                </div>
            </section>
        }
        .into_any()
    }
}
