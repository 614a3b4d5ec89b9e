//! The count of unread messages beside a chat, read out as "3 unread".

use leptos::prelude::*;

#[component]
pub fn UnreadBadge(#[prop(into)] count: Signal<i64>) -> impl IntoView {
    move || {
        let n = count.get();
        (n > 0).then(|| {
            view! {
                <span class="unread-badge">
                    <span aria-hidden="true">{n}</span>
                    <span class="sr-only">{format!("{n} unread")}</span>
                </span>
            }
        })
    }
}
