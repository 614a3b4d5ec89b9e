//! Notifications in the signed-in frame: the page title counts what asks for my attention, and
//! news (a chat waiting, a chat given to me, a new message in mine) plays a short sound unless I
//! turned it off. Both follow the live chat list the long-poll keeps.

use crate::api::accounts::SetSound;
use crate::model::UserView;
use crate::ui::browser;
use crate::ui::chat::live::LiveChats;
use leptos::prelude::*;
use leptos_meta::Title;

/// Whether my notification sound is on, shared by the frame and the toggle.
#[derive(Clone, Copy)]
pub struct SoundOn(pub RwSignal<bool>);

/// Put once in the signed-in frame (it provides `SoundOn`).
#[component]
pub fn Notifications(me: UserView) -> impl IntoView {
    let live = LiveChats::get();
    let sound_on = RwSignal::new(me.sound_on);
    provide_context(SoundOn(sound_on));
    let me_id = me.id;
    // Deal chats that ask for me, and unread messages in my personal and group chats.
    let attention = Memo::new(move |_| {
        live.list.with(|l| l.attention(me_id)) + live.internal.with(|i| i.unread_total())
    });
    // The list as the last change left it: what the next change is compared with.
    let before = StoredValue::new(live.list.get_untracked());
    Effect::new(move |_| {
        let now = live.list.get();
        // The chat on screen in a visible tab is watched; in a hidden tab nothing is.
        let watching = live
            .page_visible
            .get_untracked()
            .then(|| live.open.with_untracked(|o| o.map(|o| o.conversation_id)))
            .flatten();
        let rings = before.with_value(|b| now.rings(b, me_id, watching));
        before.set_value(now);
        if rings && sound_on.get_untracked() {
            browser::play_notification();
        }
    });
    let internal_before = StoredValue::new(live.internal.get_untracked());
    Effect::new(move |_| {
        let now = live.internal.get();
        let watching = live
            .page_visible
            .get_untracked()
            .then(|| live.open.with_untracked(|o| o.map(|o| o.conversation_id)))
            .flatten();
        let rings = internal_before.with_value(|b| now.rings(b, watching));
        internal_before.set_value(now);
        if rings && sound_on.get_untracked() {
            browser::play_notification();
        }
    });
    // The server writes the page's <title> after the body, when this frame's values may be
    // gone: a value no longer there counts nothing rather than failing the page.
    let formatter = move |text: String| match attention.try_get().unwrap_or(0) {
        0 => text,
        n => format!("({n}) {text}"),
    };
    view! { <Title formatter /> }
}

/// The user menu's switch for the notification sound.
#[component]
pub fn SoundToggle() -> impl IntoView {
    let SoundOn(on) = expect_context::<SoundOn>();
    let save = ServerAction::<SetSound>::new();
    let toggle = move |_| {
        let next = !on.get_untracked();
        on.set(next);
        save.dispatch(SetSound { on: next });
    };
    view! {
        <button
            type="button"
            class="ghost sound-toggle"
            aria-pressed=move || on.get().to_string()
            on:click=toggle
        >
            {move || if on.get() { "Sound on" } else { "Sound off" }}
        </button>
    }
}
