//! Logging set-up: `RUST_LOG` filters, one span per request (see `routes`).

use tracing_subscriber::{EnvFilter, fmt};

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=info"));
    // A second init (tests start many servers in one process) is harmless.
    if fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init()
        .is_ok()
    {
        log_panics();
    }
}

/// Panics go to the log as errors, inside the span that was current (the request's), instead of
/// only to stderr; the default hook still prints its report (and backtrace when asked for).
fn log_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = panic_message(info.payload());
        let thread = std::thread::current();
        tracing::error!(
            thread = thread.name().unwrap_or("unnamed"),
            %location,
            "panicked: {message}"
        );
        default_hook(info);
    }));
}

/// The text a panic was raised with (`panic!` with a literal or with a formatted message).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::panic_message;

    #[test]
    fn panic_messages_are_read_from_literals_and_formatted_text() {
        let literal = std::panic::catch_unwind(|| panic!("plain")).expect_err("panics");
        assert_eq!(panic_message(literal.as_ref()), "plain");
        let n = 3;
        let formatted = std::panic::catch_unwind(|| panic!("took {n} tries")).expect_err("panics");
        assert_eq!(panic_message(formatted.as_ref()), "took 3 tries");
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).expect_err("panics");
        assert_eq!(panic_message(other.as_ref()), "(no message)");
    }
}
