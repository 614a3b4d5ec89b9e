//! The one long-poll loop of a signed-in page (design §4). It asks the server for everything
//! after its cursor and applies each answer to the shared state as it streams in; the server
//! ends the stream after about 25 s, and the loop asks again from the newest cursor. One open
//! request carries every message meanwhile, so a message costs its readers no new request.
//!
//! - Errors back off (1 s, 2 s … 30 s) and resume from the same cursor, so after a lost
//!   connection or a sleeping laptop nothing is missed and nothing is shown twice.
//! - When another chat opens, the open stream is dropped (which aborts its request) and one
//!   for the new chat starts at once; an answer for a chat no longer open is ignored.
//! - The loop belongs to the layout's reactive owner and ends with it (logout).

use crate::model::AppError;
use crate::model::chat::PollUpdate;
use crate::model::local_time::LocalClock;
use crate::ui::browser;
use crate::ui::chat::backoff::retry_delay_ms;
use crate::ui::chat::live::stream;
use crate::ui::chat::live::{LiveChats, OpenChat};
use crate::ui::chat::timeline::Timeline;
use crate::ui::chat::typing::{Typist, ends_typing};
use futures::channel::mpsc;
use futures::future::{Either, select};
use futures::{StreamExt, pin_mut};
use leptos::prelude::*;
use leptos::task::spawn_local_scoped_with_cancellation;
use std::time::Duration;

/// How often relative times ("12 min") are refreshed.
const CLOCK_TICK: Duration = Duration::from_secs(30);

/// Starts the loop and the clock for the current owner (the signed-in layout).
pub fn start(live: LiveChats) {
    // The real time zone and "now" once hydration is over: hydrating must see the UTC the
    // server rendered with, or the day separators would not match.
    Effect::new(move |_| {
        live.clock.set(LocalClock {
            now_ms: browser::now_ms(),
            zone: browser::time_zone(),
        });
        live.page_visible.set(browser::page_visible());
    });
    if let Ok(handle) = set_interval_with_handle(
        move || {
            live.clock.try_update(|c| c.now_ms = browser::now_ms());
        },
        CLOCK_TICK,
    ) {
        on_cleanup(move || handle.clear());
    }
    let visibility = window_event_listener_untyped("visibilitychange", move |_| {
        live.page_visible.try_set(browser::page_visible());
    });
    on_cleanup(move || visibility.remove());

    // Wakes the loop when another chat window registers.
    let (wake_tx, wake_rx) = mpsc::unbounded::<()>();
    Effect::new(move |last: Option<Option<u64>>| {
        let token = live.open.with(|o| o.map(|o| o.token));
        if last.is_some_and(|last| last != token) {
            let _ = wake_tx.unbounded_send(());
        }
        token
    });
    spawn_local_scoped_with_cancellation(run(live, wake_rx));
}

async fn run(live: LiveChats, mut wake: mpsc::UnboundedReceiver<()>) {
    // Tick 0 asks for the whole list once; from then on only changes come.
    let mut tick = 0;
    let mut failures = 0;
    // A window whose chat answered "not found": polled without it until another one opens.
    let mut lost_token = None;
    loop {
        while wake.try_recv().is_ok() {}
        let target = window_to_poll(live, lost_token);
        let after_seq = target
            .and_then(|o| o.timeline.try_with_untracked(|t| t.poll_seq()))
            .unwrap_or(0);
        let opening = stream::open(tick, target.map(|o| o.conversation_id), after_seq);
        pin_mut!(opening);
        let answers = match select(opening, wake.next()).await {
            Either::Left((Ok(answers), _)) => answers,
            Either::Left((Err(e), _)) => {
                if !failed(e, target, &mut lost_token, &mut failures, &mut wake).await {
                    return;
                }
                continue;
            }
            // Another chat opened: dropping the call aborts the request.
            Either::Right((Some(()), _)) => continue,
            // The layout is gone.
            Either::Right((None, _)) => return,
        };
        pin_mut!(answers);
        loop {
            let answer = match select(answers.next(), wake.next()).await {
                Either::Left((Some(answer), _)) => answer,
                // The server ended the stream (its wait ran out): ask again from here.
                Either::Left((None, _)) => {
                    failures = 0;
                    break;
                }
                // Another chat opened: dropping the stream aborts the request.
                Either::Right((Some(()), _)) => break,
                Either::Right((None, _)) => return,
            };
            // The window the stream is for is still the one open (a window lost to "not
            // found" counts as none: its answers are the list's, and a dropped one would be
            // asked for again at once, forever).
            let open_now = window_to_poll(live, lost_token).map(|o| o.token);
            if open_now != target.map(|o| o.token) {
                break;
            }
            match answer {
                Ok(update) => {
                    failures = 0;
                    tick = update.cursor.tick;
                    apply(live, target, update);
                }
                Err(e) => {
                    if !failed(e, target, &mut lost_token, &mut failures, &mut wake).await {
                        return;
                    }
                    break;
                }
            }
        }
    }
}

/// The open chat window the poll is for: none when it is the one lost to "not found".
fn window_to_poll(live: LiveChats, lost_token: Option<u64>) -> Option<OpenChat> {
    live.open
        .try_get_untracked()
        .flatten()
        .filter(|o| Some(o.token) != lost_token)
}

/// After a failed poll: a chat that became unreadable is marked gone (the list goes on without
/// it); anything else waits before the next try, longer after each failure in a row. False when
/// the layout went away meanwhile.
async fn failed(
    error: AppError,
    target: Option<OpenChat>,
    lost_token: &mut Option<u64>,
    failures: &mut u32,
    wake: &mut mpsc::UnboundedReceiver<()>,
) -> bool {
    match (error, target) {
        // The open chat became unreadable (a colleague accepted it): say so and keep polling
        // the list, which reports it removed.
        (AppError::NotFound, Some(open)) => {
            open.gone.try_set(true);
            *lost_token = Some(open.token);
            true
        }
        _ => {
            *failures += 1;
            let pause = browser::sleep_ms(retry_delay_ms(*failures));
            pin_mut!(pause);
            !matches!(select(pause, wake.next()).await, Either::Right((None, _)))
        }
    }
}

/// Applies one answer; `more` needs nothing here, because the next poll answers at once.
fn apply(live: LiveChats, target: Option<OpenChat>, update: PollUpdate) {
    if let Some(open) = target {
        if update.removed.contains(&open.conversation_id)
            || update.internal_removed.contains(&open.conversation_id)
        {
            open.gone.try_set(true);
        }
        if let Some(deal) = update.deal {
            open.deal.try_set(Some(deal));
        }
        let after_seq = update.cursor.after_seq;
        let messages = update.messages;
        if let Some(name) = update.typing {
            open.typing.try_set(Some(Typist {
                name,
                at_ms: browser::now_ms(),
            }));
        } else if let Some(me) = open.timeline.try_with_untracked(Timeline::me)
            && ends_typing(&messages, me)
        {
            open.typing.try_set(None);
        }
        open.timeline
            .try_update(|t| t.apply_poll(messages, after_seq));
    }
    if !update.internal.is_empty() || !update.internal_removed.is_empty() {
        let (rows, removed) = (update.internal, update.internal_removed);
        live.internal.try_update(|l| l.apply_poll(rows, &removed));
    }
    if !update.chats.is_empty() || !update.removed.is_empty() {
        let (chats, removed) = (update.chats, update.removed);
        live.list.try_update(|l| l.apply_poll(chats, &removed));
    }
}
