//! Under a waiting chat, for managers: take it. If a colleague was quicker, say so and drop the
//! chat from the inbox.

use crate::api::chat::AcceptChat;
use crate::model::ids::ConversationId;
use crate::model::{AppError, UserView};
use crate::ui::chat::live::LiveChats;
use crate::ui::forms::form_errors::FormError;
use leptos::prelude::*;

#[component]
pub fn AcceptBar(conversation_id: ConversationId, on_accepted: Callback<()>) -> impl IntoView {
    let live = LiveChats::get();
    let me = expect_context::<UserView>().id;
    let accept = ServerAction::<AcceptChat>::new();
    // The server answers 409 when a colleague accepted in the same moment, and 404 when they
    // did so earlier (a colleague's chat is invisible to a manager). To the reader both mean
    // the same, so both say it.
    let error = Signal::derive(move || {
        accept.value().get().and_then(Result::err).map(|e| match e {
            AppError::NotFound => AppError::Conflict("Another manager accepted this chat.".into()),
            other => other,
        })
    });
    Effect::new(move |_| match accept.value().get() {
        Some(Ok(summary)) => {
            live.list.update(|l| l.upsert(summary));
            on_accepted.run(());
        }
        // Taken. Unless it was by the reader (in another tab), it leaves the inbox now rather
        // than with the next poll answer.
        Some(Err(AppError::Conflict(_) | AppError::NotFound)) => live.list.update(|l| {
            if l.get(conversation_id)
                .is_some_and(|r| r.assignee_id != Some(me))
            {
                l.remove(conversation_id);
            }
        }),
        _ => {}
    });
    view! {
        <div class="accept-bar">
            <p>"This chat is waiting for a manager. Accept it to reply."</p>
            <FormError error />
            <button
                type="button"
                class="primary"
                disabled=move || accept.pending().get()
                on:click=move |_| {
                    accept.dispatch(AcceptChat { conversation_id });
                }
            >
                "Accept"
            </button>
        </div>
    }
    .into_any()
}
