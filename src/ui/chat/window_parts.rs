//! What every chat window does the same way, deal chat or internal chat: own messages shown at
//! once and sent one at a time, typing announced and faded, reading recorded, files shared.

use crate::api::chat::{announce_typing, mark_read, send_message};
use crate::model::ids::ConversationId;
use crate::ui::browser;
use crate::ui::chat::composer::Attachments;
use crate::ui::chat::timeline::{Timeline, send_error_text};
use crate::ui::chat::typing::{FADES_AFTER_MS, Throttle, Typist};
use crate::ui::files::upload_progress::{UploadRow, start_uploads};
use crate::ui::files::uploader::Target;
use leptos::prelude::*;
use leptos::task::spawn_local;
use send_wrapper::SendWrapper;
use std::collections::VecDeque;

/// The window's own messages: `on_send` shows a message at once and queues it; `on_retry` sends
/// a failed one again under the same id, so the server stores it once at most.
pub struct Outgoing {
    pub on_send: Callback<String>,
    pub on_retry: Callback<String>,
    /// Announces the writer's typing, at most every few seconds.
    pub on_typing: Callback<()>,
}

/// Own messages go out one at a time, in the order written; a sent message makes the next
/// typing announcement news again.
pub fn outgoing(id: ConversationId, timeline: RwSignal<Timeline>) -> Outgoing {
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
    let on_retry = Callback::new(move |client_msg_id: String| {
        if let Some(body) = timeline.try_update(|t| t.retry(&client_msg_id)).flatten() {
            queue.update_value(|q| q.push_back((client_msg_id, body)));
            drain();
        }
    });
    Outgoing {
        on_send,
        on_retry,
        on_typing,
    }
}

/// The typing line goes after a silence; a newer announcement restarts the wait.
pub fn fade_typing(typing: RwSignal<Option<Typist>>) {
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
}

/// Reading is recorded when the newest message is in view in a visible tab and the chat is still
/// the reader's; `on_read` updates the lists at once, before the server confirms.
pub fn record_reading(
    id: ConversationId,
    timeline: RwSignal<Timeline>,
    at_bottom: RwSignal<bool>,
    gone: RwSignal<bool>,
    page_visible: RwSignal<bool>,
    last_read_seq: i64,
    on_read: Callback<i64>,
) {
    let read_up_to = StoredValue::new(last_read_seq);
    Effect::new(move |_| {
        let newest = timeline.with(Timeline::last_seq);
        if !at_bottom.get() || !page_visible.get() || gone.get() || newest <= read_up_to.get_value()
        {
            return;
        }
        read_up_to.set_value(newest);
        on_read.run(newest);
        spawn_local(async move {
            // A lost mark is harmless: the next one covers it.
            let _ = mark_read(id, newest).await;
        });
    });
}

/// Files attached in the composer, shared into the chat with the text as their message.
pub struct Sharing {
    pub attachments: Attachments,
    pub on_share: Callback<String>,
    /// The uploads under way, for `UploadProgress`.
    pub rows: RwSignal<Vec<UploadRow>>,
}

pub fn sharing(id: ConversationId) -> Sharing {
    let attachments: Attachments = RwSignal::new(Vec::new());
    let rows = RwSignal::new(Vec::<UploadRow>::new());
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
            rows,
            Callback::new(|_| {}),
        );
    });
    Sharing {
        attachments,
        on_share,
        rows,
    }
}
