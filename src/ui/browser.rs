//! The little the UI asks of the browser itself (clock, time zone, randomness, page visibility),
//! with server-side stand-ins so the same components render on the server. The stand-ins for
//! randomness and visibility only matter in event handlers and effects, which never run there.

use crate::model::local_time::TimeZone;
use crate::ui::chat::client_msg_id::{client_msg_id, random_bits};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        // Whole milliseconds fit an f64 exactly for the next 285,000 years.
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// The reader's time zone. The server renders in UTC (it does not know the reader's zone); the
/// browser switches to local time once the page is live, with the offset each moment had (summer
/// and winter time differ).
pub fn time_zone() -> TimeZone {
    #[cfg(feature = "hydrate")]
    {
        TimeZone::Rules(utc_offset_min_at)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        TimeZone::Fixed(0)
    }
}

/// Minutes to add to UTC at the moment `ms`, by the browser's time-zone rules.
#[cfg(feature = "hydrate")]
fn utc_offset_min_at(ms: i64) -> i32 {
    let at = js_sys::Date::new(&leptos::wasm_bindgen::JsValue::from_f64(ms as f64));
    // JavaScript's offset has the opposite sign (minutes to add to local time for UTC).
    -(at.get_timezone_offset() as i32)
}

/// A fresh id for a message about to be sent.
pub fn new_client_msg_id() -> String {
    #[cfg(feature = "hydrate")]
    let (a, b) = (js_sys::Math::random(), js_sys::Math::random());
    #[cfg(not(feature = "hydrate"))]
    let (a, b) = (0.0, 0.0);
    client_msg_id(
        u64::try_from(now_ms()).unwrap_or(0),
        random_bits(a),
        random_bits(b),
    )
}

/// True unless the tab is in the background (or the window minimised).
pub fn page_visible() -> bool {
    #[cfg(feature = "hydrate")]
    {
        !leptos::prelude::document().hidden()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        true
    }
}

/// Waits without blocking the page.
#[cfg(feature = "hydrate")]
pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Plays the notification sound (`public/notify.wav`, which an admin may replace). A browser
/// that refuses (no click on the page yet) stays silent.
pub fn play_notification() {
    #[cfg(feature = "hydrate")]
    if let Ok(audio) = web_sys::HtmlAudioElement::new_with_src("/notify.wav")
        && let Ok(playing) = audio.play()
    {
        leptos::task::spawn_local(async move {
            // A refusal is an answer, not an error to report.
            let _ = wasm_bindgen_futures::JsFuture::from(playing).await;
        });
    }
}
