//! `/team/:id`: a personal or group chat: its messages (live through the poll loop), the composer
//! for members who may write (text, and files by picker, drop or pasted screenshot), and beside it
//! the members and the CRM records it is linked to, which the chat's admins manage. A record's
//! Chats tab opens the same window inside its page (`EmbeddedInternalChat`).

use crate::api::internal_chats::open_internal_chat;
use crate::model::chat::ConversationKind;
use crate::model::ids::ConversationId;
use crate::model::internal_chat::{InternalChatDetail, MemberRole};
use crate::model::message::SystemEvent;
use crate::model::{AppError, UserView};
use crate::ui::chat::composer::Composer;
use crate::ui::chat::live::LiveChats;
use crate::ui::chat::message_list::MessageList;
use crate::ui::chat::timeline::Timeline;
use crate::ui::chat::typing::Typist;
use crate::ui::chat::window_parts::{
    Outgoing, Sharing, fade_typing, outgoing, record_reading, sharing,
};
use crate::ui::files::upload_progress::UploadProgress;
use crate::ui::internal_chats::members_panel::MembersPanel;
use crate::ui::internal_chats::record_links::LinksPanel;
use crate::ui::page_data::page_data;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

crate::lazy_page!(InternalChatRoute, InternalChatPage);

#[component]
pub fn InternalChatPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|raw| raw.parse::<ConversationId>().ok())
    };
    let detail = page_data(id, |id| async move {
        match id {
            Some(id) => open_internal_chat(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! { <InternalChat detail embedded=false /> }
}

/// A chat opened inside another page (a record's Chats tab): the same window, without the
/// page's title or the panels beside it.
#[component]
pub fn EmbeddedInternalChat(id: ConversationId) -> impl IntoView {
    let detail = page_data(move || id, open_internal_chat);
    view! { <InternalChat detail embedded=true /> }
}

#[component]
fn InternalChat(
    detail: crate::ui::page_data::PageData<Result<InternalChatDetail, AppError>>,
    embedded: bool,
) -> impl IntoView {
    let reload = Callback::new(move |()| detail.refetch());
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the chat…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <InternalChatWindow detail reload embedded /> }.into_any(),
                    Err(AppError::NotFound) => {
                        view! {
                            <section class="panel">
                                <h1>"Chat not found"</h1>
                                <p role="alert">
                                    "This chat does not exist or you are not one of its members."
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

/// The newest line saying a record was linked or unlinked (0: none).
fn newest_link_line(t: &Timeline) -> i64 {
    t.newest_event(|e| {
        matches!(
            e,
            SystemEvent::RecordLinked { .. } | SystemEvent::RecordUnlinked { .. }
        )
    })
}

#[component]
fn InternalChatWindow(
    detail: InternalChatDetail,
    reload: Callback<()>,
    embedded: bool,
) -> impl IntoView {
    let me = expect_context::<UserView>();
    let live = LiveChats::get();
    let InternalChatDetail {
        summary,
        members,
        messages,
        has_older,
        can_write,
        can_manage,
        links,
        can_link,
    } = detail;
    let id = summary.id;
    let newest = messages.last().map_or(0, |m| m.seq);
    let last_read_seq = (newest - summary.unread).max(0);
    let timeline = RwSignal::new(Timeline::open(
        me.id,
        id,
        messages,
        has_older,
        last_read_seq,
    ));
    let deal = RwSignal::new(None);
    let gone = RwSignal::new(false);
    let typing = RwSignal::new(None::<Typist>);
    let token = live.open_chat(id, timeline, deal, gone, typing);
    on_cleanup(move || live.close_chat(token));
    fade_typing(typing);
    let members = RwSignal::new(members);

    // The row the poll loop keeps: its name, whether it closed, the reader's role, how many are
    // in it. A change of the reader's rights loads the chat again; a change of its members
    // reloads the member list.
    let first = summary.clone();
    let row = Memo::new(move |_| {
        live.internal
            .with(|l| l.get(id).cloned())
            .unwrap_or_else(|| first.clone())
    });
    let (my_role, closed) = (summary.my_role, summary.closed);
    Effect::new(move |_| {
        let (role, now_closed) = row.with(|r| (r.my_role, r.closed));
        if role != my_role || now_closed != closed {
            reload.run(());
        }
    });
    // A change of the member count, or a line saying a record was linked or unlinked (by
    // anyone), reloads the chat once and refreshes both its members and its links.
    let links = RwSignal::new(links);
    let seen = StoredValue::new((summary.members, timeline.with_untracked(newest_link_line)));
    Effect::new(move |_| {
        let now = (row.with(|r| r.members), timeline.with(newest_link_line));
        if seen.get_value() != now {
            seen.set_value(now);
            spawn_local(async move {
                if let Ok(fresh) = open_internal_chat(id).await {
                    members.try_set(fresh.members);
                    links.try_set(fresh.links);
                }
            });
        }
    });

    let Outgoing {
        on_send,
        on_retry,
        on_typing,
    } = outgoing(id, timeline);
    let at_bottom = RwSignal::new(false);
    record_reading(
        id,
        timeline,
        at_bottom,
        gone,
        live.page_visible,
        last_read_seq,
        Callback::new(move |_| live.internal.update(|l| l.mark_read(id))),
    );
    let Sharing {
        attachments,
        on_share,
        rows: share_rows,
    } = sharing(id);

    let title = move || row.try_with(|r| r.title.clone()).unwrap_or_default();
    let subtitle = move || {
        row.try_with(|r| match r.kind {
            ConversationKind::Direct => "Personal chat".to_owned(),
            _ => format!(
                "Group · {} members · you are {}",
                r.members,
                r.my_role.with_article()
            ),
        })
        .unwrap_or_default()
    };
    let action_area = if closed {
        view! { <p class="hint read-only">"This chat is closed: it can be read, not written in."</p> }
            .into_any()
    } else if can_write {
        view! {
            <Show when=move || !gone.get()>
                <UploadProgress rows=share_rows />
                <Composer on_send on_typing sharing=(attachments, on_share) />
            </Show>
        }
        .into_any()
    } else {
        let line = if my_role == MemberRole::Viewer {
            "You are a viewer here: you can read this chat but not write in it."
        } else {
            "You can read this chat but not write in it."
        };
        view! { <p class="hint read-only">{line}</p> }.into_any()
    };
    let group = summary.kind == ConversationKind::Group;
    // Inside another page the chat is a section of it: a second-level heading, no page title.
    let (heading, title_id) = if embedded {
        (
            view! { <h2 id="embedded-chat-title">{title}</h2> }.into_any(),
            "embedded-chat-title",
        )
    } else {
        (
            view! { <h1 id="chat-title">{title}</h1> }.into_any(),
            "chat-title",
        )
    };
    let side = (!embedded).then(|| {
        view! {
            <div class="side-panels">
                {group.then(|| view! { <MembersPanel conversation_id=id members can_manage me=me.id /> })}
                {group.then(|| view! { <LinksPanel conversation_id=id links can_link /> })}
            </div>
        }
    });
    view! {
        {(!embedded).then(|| view! { <Title text=move || format!("{} · dealchat", title()) /> })}
        <div class=if embedded { "chat-page" } else { "chat-page with-deal-panel" }>
            <section class="chat-window" aria-labelledby=title_id>
                <header class="chat-header">
                    {heading}
                    <p class="chat-subtitle">{subtitle}</p>
                </header>
                <Show when=move || gone.get()>
                    <p class="notice" role="alert">
                        "You are no longer a member of this chat: it is closed to you."
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
            {side}
        </div>
    }
    .into_any()
}
