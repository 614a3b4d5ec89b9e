//! The console's head: my status (available / away / offline), how many chats I hold of my
//! capacity, and how many chats wait in each queue I work (live, from the inbox's rows).

use crate::api::queues::{SetStatus, load_console};
use crate::model::queues::{ConsoleState, OperatorStatus, QueueCount};
use crate::ui::chat::live::LiveChats;
use crate::ui::forms::form_errors::{FormError, last_error};
use crate::ui::forms::loaded::Loaded;
use crate::ui::page_data::page_data;
use leptos::prelude::*;

#[component]
pub fn OperatorStatusBar() -> impl IntoView {
    let set = ServerAction::<SetStatus>::new();
    let live = LiveChats::get();
    // Read again after a status change and whenever the inbox changes (my load moves with it).
    let changes = Memo::new(move |_| live.list.with(|l| l.accepted().count()));
    let console = page_data(
        move || (set.version().get(), changes.get()),
        |_| load_console(),
    );
    let error = last_error(set.value());
    let show = move |state: ConsoleState| view! { <StatusLine state set /> };
    view! {
        <div class="operator-status">
            <FormError error />
            <Loaded resource=console loading="Loading your status…" show />
        </div>
    }
}

#[component]
fn StatusLine(state: ConsoleState, set: ServerAction<SetStatus>) -> impl IntoView {
    let me = state.me;
    let current = me.status;
    let load = format!("{} of {} chats", me.open_sessions, me.capacity);
    let gone = me.gone.then(|| {
        view! { <span class="status-note">"Not seen lately: no new chats until your console is back."</span> }
    });
    view! {
        <div class="status-line">
            <label for="my-status">"My status"</label>
            <select
                id="my-status"
                class=format!("status-{}", current.as_str())
                on:change=move |ev| {
                    set.dispatch(SetStatus { status: event_target_value(&ev) });
                }
            >
                {OperatorStatus::ALL
                    .into_iter()
                    .map(|s| view! { <option value=s.as_str() selected=s == current>{s.label()}</option> })
                    .collect_view()}
            </select>
            <span class="load" aria-label="My load">{load}</span>
            {gone}
        </div>
        <QueueCounts queues=state.queues />
    }
}

/// The queues I work, each with its waiting chats counted from the live inbox.
#[component]
fn QueueCounts(queues: Vec<QueueCount>) -> impl IntoView {
    let live = LiveChats::get();
    (!queues.is_empty()).then(|| {
        view! {
            <ul class="queue-counts" aria-label="Queues">
                {queues
                    .into_iter()
                    .map(|q| {
                        let id = q.id;
                        let waiting = move || {
                            live.list.with(|l| l.waiting().filter(|r| r.queue == Some(id)).count())
                        };
                        view! {
                            <li>
                                <span class="queue-name">{q.name}</span>
                                <span class="queue-rule">{q.routing.label()}</span>
                                <span class="queue-waiting">{move || format!("{} waiting", waiting())}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}
