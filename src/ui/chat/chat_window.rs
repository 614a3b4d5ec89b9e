//! One open chat: header, deal stepper, messages, and what the reader can do there (reply,
//! accept a waiting chat, move the deal). Registers itself with the poll loop, which appends
//! what others write; own messages show at once and are confirmed or marked failed.

use crate::api::deals::SetStage;
use crate::model::chat::{ChatDetail, DealView};
use crate::model::{DealStage, UserView};
use crate::ui::archive::closed_line::ClosedLine;
use crate::ui::chat::accept_bar::AcceptBar;
use crate::ui::chat::chat_rights::may_manage_deal;
use crate::ui::chat::composer::Composer;
use crate::ui::chat::end_chat::EndChatButton;
use crate::ui::chat::live::LiveChats;
use crate::ui::chat::message_item::VoiceImage;
use crate::ui::chat::message_list::MessageList;
use crate::ui::chat::timeline::Timeline;
use crate::ui::chat::transfer::TransferButton;
use crate::ui::chat::typing::Typist;
use crate::ui::chat::window_parts::{
    Outgoing, Sharing, fade_typing, outgoing, record_reading, sharing,
};
use crate::ui::deals::deal_panel::staff_deal_panel;
use crate::ui::deals::deal_stepper::DealStepper;
use crate::ui::files::deal_files::DealFiles;
use crate::ui::files::upload_progress::UploadProgress;
use crate::ui::forms::form_errors::{FormError, last_error};
use leptos::prelude::*;
use leptos_meta::Title;

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
    fade_typing(typing);
    let Outgoing {
        on_send,
        on_retry,
        on_typing,
    } = outgoing(id, timeline);
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

    let at_bottom = RwSignal::new(false);
    record_reading(
        id,
        timeline,
        at_bottom,
        gone,
        live.page_visible,
        last_read_seq,
        Callback::new(move |newest| live.list.update(|l| l.mark_read(id, newest))),
    );

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
    let Sharing {
        attachments,
        on_share,
        rows: share_rows,
    } = sharing(id);
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
