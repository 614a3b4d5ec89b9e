//! PostgreSQL `LISTEN`: carries every instance's commits to this instance's waiting polls.

use super::{Audience, CHANNEL, Hub};
use crate::server::realtime::changes;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseConnection, DbErr};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// Listens for the life of the process. Reconnects after a lost connection and then wakes every
/// poll, because notifications sent meanwhile are gone.
pub fn spawn(db: DatabaseConnection, hub: Arc<Hub>) {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            let Err(e) = listen(&db, &hub).await;
            tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
            hub.forget();
            hub.publish_all();
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    });
}

#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error(transparent)]
    Listen(#[from] sea_orm::sqlx::Error),
    #[error("cannot read the change clock: {0}")]
    Clock(#[from] DbErr),
    #[error("LISTEN connection closed")]
    Closed,
}

/// Returns only when the connection fails.
async fn listen(db: &DatabaseConnection, hub: &Hub) -> Result<Infallible, ListenError> {
    let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
    listener.listen(CHANNEL).await?;
    // Every commit after this clock reading will be heard; anything sent before LISTEN took
    // effect is unknown, so every waiting poll looks again.
    hub.hear_everything_after(changes::current(db).await?);
    hub.publish_all();
    loop {
        // `try_recv` reports a dropped connection as `None` instead of reconnecting silently.
        match listener.try_recv().await? {
            Some(note) => match Audience::decode(note.payload()) {
                Some((tick, audience)) => hub.publish(tick, &audience),
                None => tracing::warn!(payload = note.payload(), "unreadable change notice"),
            },
            // The connection dropped; start over so the clock is read again after reconnecting.
            None => return Err(ListenError::Closed),
        }
    }
}
