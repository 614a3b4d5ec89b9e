//! Logging set-up: `RUST_LOG` filters, one span per request (see `routes`).

use tracing_subscriber::{EnvFilter, fmt};

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=info"));
    // A second init (tests start many servers in one process) is harmless.
    let _ = fmt().with_env_filter(filter).with_target(false).try_init();
}
