//! PostgreSQL `LISTEN`: carries every instance's commits to this instance's waiting polls.

use super::{Audience, CHANNEL, Hub};
use sea_orm::sqlx::postgres::{PgListener, PgPool};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// Listens for the life of the process. Reconnects after a lost connection and then wakes every
/// poll, because notifications sent meanwhile are gone.
pub fn spawn(pool: PgPool, hub: Arc<Hub>) {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            let Err(e) = listen(&pool, &hub).await;
            tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
            hub.publish_all();
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    });
}

/// Returns only when the connection fails.
async fn listen(pool: &PgPool, hub: &Hub) -> Result<Infallible, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    // Anything sent before LISTEN took effect is unknown: make every poll look again.
    hub.publish_all();
    loop {
        // `try_recv` reports a dropped connection as `None` instead of reconnecting silently.
        match listener.try_recv().await? {
            Some(note) => match Audience::decode(note.payload()) {
                Some((tick, audience)) => hub.publish(tick, &audience),
                None => tracing::warn!(payload = note.payload(), "unreadable change notice"),
            },
            None => {
                hub.publish_all();
            }
        }
    }
}
