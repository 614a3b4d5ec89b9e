//! One open chat: header, deal stepper, messages, and what the reader can do there (reply,
//! accept a waiting chat, move the deal). Registers itself with the poll loop, which appends
//! what others write; own messages show at once and are confirmed or marked failed.

use crate::api::chat::{announce_typing, mark_read, send_message};
use crate::api::deals::SetStage;
use crate::model::chat::{ChatDetail, DealView};
use crate::model::{DealStage, UserView};
use crate::ui::archive::closed_line::ClosedLine;
use crate::ui::browser;
use crate::ui::chat::accept_bar::AcceptBar;
use crate::ui::chat::chat_rights::may_manage_deal;
use crate::ui::chat::composer::{Attachments, Composer};
use crate::ui::chat::end_chat::EndChatButton;
use crate::ui::chat::live::LiveChats;
use crate::ui::chat::message_item::VoiceImage;
use crate::ui::chat::message_list::MessageList;
use crate::ui::chat::timeline::{Timeline, send_error_text};
use crate::ui::chat::transfer::TransferButton;
use crate::ui::chat::typing::{FADES_AFTER_MS, Throttle, Typist};
use crate::ui::deals::deal_panel::staff_deal_panel;
use crate::ui::deals::deal_stepper::DealStepper;
use crate::ui::files::deal_files::DealFiles;
use crate::ui::files::upload_progress::{UploadProgress, UploadRow, start_uploads};
use crate::ui::files::uploader::Target;
use crate::ui::forms::form_errors::{FormError, last_error};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use send_wrapper::SendWrapper;
use std::collections::VecDeque;

#[component]
pub fn ChatWindow(
    detail: ChatDetail,
    /// Loads the chat again (after accepting it, when the reader's rights changed).
    reload: Callback<()>,
) -> impl IntoView {
    // A reload replaces this window, so one is enough: ending a chat asked for it twice (the
    // answer, then the poll saying the chat is no longer the reader's), and the second refetch
    // disposed the window the first was still building (a panic in the browser, now and then).
    let reload = {
        let asked = StoredValue::new(false);
        Callback::new(move |()| {
            let first = asked
                .try_update_value(|asked| !std::mem::replace(asked, true))
                .unwrap_or(false);
            if first {
                reload.run(());
            }
        })
    };
    let me = expect_context::<UserView>();
    let live = LiveChats::get();
    let staff = me.role.is_staff();
    let manage = may_manage_deal(&detail, &me);
    let ChatDetail {
        summary,
        deal,
        messages,
        has_older,
        can_reply,
        can_accept,
        voice_image,
        can_attach,
        ..
    } = detail;
    provide_context(VoiceImage(voice_image));
    let (id, last_read_seq) = (summary.id, summary.last_read_seq);
    let mut opened = Timeline::open(me.id, id, messages, has_older, last_read_seq);
    opened.set_seen(summary.seen_seq);
    let timeline = RwSignal::new(opened);
    let deal = RwSignal::new(deal);
    let gone = RwSignal::new(false);
    let typing = RwSignal::new(None::<Typist>);
    let token = live.open_chat(id, timeline, deal, gone, typing);
    on_cleanup(move || live.close_chat(token));

    // The header follows the live list row (assignment, title of a newly linked deal).
    let row = live.row(summary);

    // "Seen": the other side's read marker comes with the list row.
    Effect::new(move |_| {
        let seen = row.with(|r| r.seen_seq);
        if timeline.with_untracked(Timeline::seen_seq) != seen {
            timeline.update(|t| t.set_seen(seen));
        }
    });
    // The typing line goes after a silence; a newer announcement restarts the wait.
    Effect::new(move |_| {
        if let Some(at) = typing.with(|t| t.as_ref().map(|t| t.at_ms)) {
            set_timeout(
                move || {
                    typing.try_update(|t| {
                        if t.as_ref().is_some_and(|t| t.at_ms == at) {
                            *t = None;
                        }
                    });
                },
                std::time::Duration::from_millis(FADES_AFTER_MS),
            );
        }
    });
    // Own typing is announced at most every few seconds; a sent message makes the next news.
    let throttle = StoredValue::new(Throttle::default());
    let on_typing = Callback::new(move |()| {
        if throttle
            .try_update_value(|t| t.due(browser::now_ms()))
            .unwrap_or(false)
        {
            spawn_local(async move {
                // A lost announcement is harmless: the next one comes a few seconds later.
                let _ = announce_typing(id).await;
            });
        }
    });
    // `try_with`: leptos_meta may still evaluate the page title once this window is disposed.
    let title = move || row.try_with(|r| r.title.clone()).unwrap_or_default();
    let subtitle = move || {
        row.try_with(|r| match (staff, &r.assignee_name) {
            (true, Some(manager)) => format!("{} · with {manager}", r.client_name),
            (true, None) if r.waiting_since_ms.is_none() => {
                format!("{} · session ended", r.client_name)
            }
            (true, None) => format!("{} · waiting for a manager", r.client_name),
            (false, Some(manager)) => format!("With {manager}"),
            (false, None) => "Waiting for a manager to accept your chat".to_owned(),
        })
        .unwrap_or_default()
    };

    // The reader held the chat and no longer does (the session closed as idle, or was ended in
    // another tab): load it again, so the composer gives way to what they may do now.
    let my_id = me.id;
    if staff && can_reply {
        Effect::new(move |_| {
            if row.with(|r| r.assignee_id) != Some(my_id) {
                reload.run(());
            }
        });
    }

    // The deal closed or reopened (here or on the other side): load the chat again, so the
    // composer gives way to the closed line, or comes back.
    let closed = move || deal.with(|d| d.as_ref().is_some_and(DealView::is_closed));
    let closed_at_open = deal.with_untracked(|d| d.as_ref().is_some_and(DealView::is_closed));
    Effect::new(move |_| {
        if closed() != closed_at_open {
            reload.run(());
        }
    });

    // Own messages go out one at a time, in the order written.
    let queue = StoredValue::new(VecDeque::<(String, String)>::new());
    let sending = StoredValue::new(false);
    let drain = move || {
        if sending.get_value() {
            return;
        }
        sending.set_value(true);
        spawn_local(async move {
            while let Some((client_msg_id, body)) =
                queue.try_update_value(VecDeque::pop_front).flatten()
            {
                let answer = send_message(id, client_msg_id.clone(), body).await;
                timeline.try_update(|t| match answer {
                    Ok(stored) => {
                        t.merge([stored]);
                    }
                    Err(e) => t.fail(&client_msg_id, send_error_text(&e)),
                });
            }
            sending.try_set_value(false);
        });
    };
    let on_send = Callback::new(move |body: String| {
        throttle.update_value(Throttle::reset);
        let client_msg_id = browser::new_client_msg_id();
        timeline.update(|t| {
            t.push_outgoing(client_msg_id.clone(), body.clone(), browser::now_ms());
        });
        queue.update_value(|q| q.push_back((client_msg_id, body)));
        drain();
    });
    // A retry sends the same id again, so the server stores the message once at most.
    let on_retry = Callback::new(move |client_msg_id: String| {
        if let Some(body) = timeline.try_update(|t| t.retry(&client_msg_id)).flatten() {
            queue.update_value(|q| q.push_back((client_msg_id, body)));
            drain();
        }
    });

    // Reading is recorded when the newest message is in view in a visible tab.
    let at_bottom = RwSignal::new(false);
    let read_up_to = StoredValue::new(last_read_seq);
    Effect::new(move |_| {
        let newest = timeline.with(Timeline::last_seq);
        if !at_bottom.get()
            || !live.page_visible.get()
            || gone.get()
            || newest <= read_up_to.get_value()
        {
            return;
        }
        read_up_to.set_value(newest);
        live.list.update(|l| l.mark_read(id, newest));
        spawn_local(async move {
            // A lost mark is harmless: the next one covers it.
            let _ = mark_read(id, newest).await;
        });
    });

    let set_stage = ServerAction::<SetStage>::new();
    let stage_error = last_error(set_stage.value());
    Effect::new(move |_| {
        if let Some(Ok(moved)) = set_stage.value().get() {
            deal.set(Some(moved));
        }
    });
    let stage = Signal::derive(move || {
        deal.with(|d| d.as_ref().map(|d| d.stage))
            .unwrap_or(DealStage::Inquiry)
    });
    let on_stage = (manage && !closed_at_open).then(|| {
        Callback::new(move |to: DealStage| {
            set_stage.dispatch(SetStage {
                conversation_id: id,
                stage: to.as_str().to_owned(),
            });
        })
    });

    // Files attached in the composer are sent with its text: staff share into the chat (a deal's
    // files then), and so do clients of a chat without a deal when its channel allows it.
    let attachments: Attachments = RwSignal::new(Vec::new());
    let share_rows = RwSignal::new(Vec::<UploadRow>::new());
    let on_share = Callback::new(move |note: String| {
        let files = attachments
            .try_update(std::mem::take)
            .unwrap_or_default()
            .into_iter()
            .map(SendWrapper::take)
            .collect();
        start_uploads(
            files,
            Target {
                conversation_id: id,
                purpose: "share",
                note: Some(note),
            },
            share_rows,
            Callback::new(|_| {}),
        );
    });
    let sharing = can_attach.then_some((attachments, on_share));
    let file_messages = Signal::derive(move || timeline.with(Timeline::file_messages));

    let action_area = if closed_at_open {
        view! { <ClosedLine conversation_id=id deal clock=live.clock.into() staff /> }.into_any()
    } else if can_accept {
        view! { <AcceptBar conversation_id=id on_accepted=reload /> }.into_any()
    } else if can_reply {
        view! {
            <Show when=move || !gone.get()>
                <UploadProgress rows=share_rows />
                {match (sharing, staff) {
                    (Some(sharing), true) => {
                        view! { <Composer on_send on_typing sharing quick_replies=id /> }.into_any()
                    }
                    (Some(sharing), false) => {
                        view! { <Composer on_send on_typing sharing /> }.into_any()
                    }
                    (None, _) => view! { <Composer on_send on_typing /> }.into_any(),
                }}
            </Show>
        }
        .into_any()
    } else {
        view! { <p class="hint read-only">"You can read this chat but not reply to it."</p> }
            .into_any()
    };

    view! {
        <Title text=move || format!("{} · dealchat", title()) />
        <div class="chat-page with-deal-panel">
            <section class="chat-window" aria-labelledby="chat-title">
                <header class="chat-header">
                    <h1 id="chat-title">{title}</h1>
                    <p class="chat-subtitle">{subtitle}</p>
                    {(staff && can_reply)
                        .then(|| {
                            view! {
                                <div class="chat-actions">
                                    <TransferButton conversation_id=id on_done=reload />
                                    <EndChatButton conversation_id=id on_ended=reload />
                                </div>
                            }
                        })}
                </header>
                <Show when=move || deal.with(Option::is_some)>
                    <DealStepper stage on_change=on_stage busy=set_stage.pending() />
                </Show>
                <FormError error=stage_error />
                <Show when=move || gone.get()>
                    <p class="notice" role="alert">
                        "This chat has been taken over by another manager; it is no longer open to you."
                    </p>
                </Show>
                <div class="message-area">
                    <MessageList conversation_id=id timeline at_bottom on_retry />
                </div>
                <p class="typing" aria-live="polite">
                    {move || typing.with(|t| t.as_ref().map(Typist::line))}
                </p>
                {action_area}
            </section>
            <div class="side-panels">
                {staff
                    .then(|| {
                        view! {
                            <Suspense>
                                {move || Suspend::new(staff_deal_panel(id, deal, manage))}
                            </Suspense>
                        }
                    })}
                <DealFiles conversation_id=id deal file_messages />
            </div>
        </div>
    }
    .into_any()
}
