//! Chat state shared by the signed-in pages and kept current by one long-poll loop: the chat
//! list, the open chat (registered by its window) and the clock that relative times use.

#[cfg(feature = "hydrate")]
pub mod poll_loop;
#[cfg(feature = "hydrate")]
mod stream;

use crate::model::chat::{ChatSummary, DealView};
use crate::model::ids::ConversationId;
use crate::model::local_time::{LocalClock, TimeZone};
use crate::ui::browser;
use crate::ui::chat::chat_rows::ChatRows;
use crate::ui::chat::timeline::Timeline;
use crate::ui::chat::typing::Typist;
use crate::ui::internal_chats::internal_rows::InternalRows;
use leptos::prelude::*;

/// The open chat window's state, which the poll loop appends to.
#[derive(Clone, Copy)]
pub struct OpenChat {
    pub conversation_id: ConversationId,
    /// Tells windows apart when one chat is reopened (a reload after accepting).
    pub token: u64,
    pub timeline: RwSignal<Timeline>,
    pub deal: RwSignal<Option<DealView>>,
    /// Set when the chat is no longer readable here (another manager accepted it).
    pub gone: RwSignal<bool>,
    /// The other side is typing (set by the poll loop, cleared by their message or a silence).
    pub typing: RwSignal<Option<Typist>>,
}

/// Provided by the signed-in layout.
#[derive(Clone, Copy)]
pub struct LiveChats {
    pub list: RwSignal<ChatRows>,
    /// The Chats tab: personal and group chats (filled by the first poll).
    pub internal: RwSignal<InternalRows>,
    pub open: RwSignal<Option<OpenChat>>,
    pub clock: RwSignal<LocalClock>,
    /// The tab is in the foreground: reading is only recorded then.
    pub page_visible: RwSignal<bool>,
    next_token: StoredValue<u64>,
}

impl LiveChats {
    pub fn new(staff: bool, rows: Vec<ChatSummary>) -> LiveChats {
        LiveChats {
            list: RwSignal::new(ChatRows::new(staff, rows)),
            internal: RwSignal::new(InternalRows::default()),
            open: RwSignal::new(None),
            // UTC at first, on the server and while hydrating alike, so both render the same
            // day separators; the browser switches to local time once live.
            clock: RwSignal::new(LocalClock {
                now_ms: browser::now_ms(),
                zone: TimeZone::Fixed(0),
            }),
            page_visible: RwSignal::new(true),
            next_token: StoredValue::new(0),
        }
    }

    /// A chat's row as the live list holds it now, or `first` while the list does not hold it.
    pub fn row(&self, first: ChatSummary) -> Memo<ChatSummary> {
        let (list, id) = (self.list, first.id);
        Memo::new(move |_| {
            list.with(|l| l.get(id).cloned())
                .unwrap_or_else(|| first.clone())
        })
    }

    /// A chat window opened: the poll loop now follows it. Returns the token to close it with.
    pub fn open_chat(
        &self,
        conversation_id: ConversationId,
        timeline: RwSignal<Timeline>,
        deal: RwSignal<Option<DealView>>,
        gone: RwSignal<bool>,
        typing: RwSignal<Option<Typist>>,
    ) -> u64 {
        let token = self.next_token.get_value() + 1;
        self.next_token.set_value(token);
        self.open.set(Some(OpenChat {
            conversation_id,
            token,
            timeline,
            deal,
            gone,
            typing,
        }));
        token
    }

    /// The window with `token` closed; a window opened since is left alone.
    pub fn close_chat(&self, token: u64) {
        if self
            .open
            .try_with_untracked(|o| o.is_some_and(|o| o.token == token))
            .unwrap_or(false)
        {
            self.open.try_set(None);
        }
    }

    /// Expected from components under the signed-in layout.
    pub fn get() -> LiveChats {
        expect_context::<LiveChats>()
    }
}
