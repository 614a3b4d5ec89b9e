//! PostgreSQL `LISTEN`: carries every instance's commits (and typing announcements) to this
//! instance's waiting polls.

use super::typing::TYPING_CHANNEL;
use super::{Audience, CHANNEL, Hub};
use crate::server::realtime::changes;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseConnection, DbErr};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// First wait before reconnecting; doubled after each failed attempt up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Polls on this instance hear nothing of other instances' commits until the connection stands
/// again, so the wait stays short: a database back after an outage is heard within a second.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Listens for the life of the process. Reconnects after a lost connection and then wakes every
/// poll, because notifications sent meanwhile are gone.
pub fn spawn(db: DatabaseConnection, hub: Arc<Hub>) {
    tokio::spawn(async move {
        let mut wait = FIRST_BACKOFF;
        loop {
            let mut listening = false;
            let Err(e) = listen(&db, &hub, &mut listening).await;
            tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
            hub.forget();
            hub.publish_all();
            wait = wait_after_loss(wait, listening);
            tokio::time::sleep(wait).await;
        }
    });
}

/// The wait before the next attempt: the short one after a connection that stood (a new
/// outage), else twice the last, up to `MAX_BACKOFF`.
fn wait_after_loss(last: Duration, stood: bool) -> Duration {
    if stood {
        FIRST_BACKOFF
    } else {
        (last * 2).min(MAX_BACKOFF)
    }
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

/// Returns only when the connection fails; sets `listening` once it stands.
async fn listen(
    db: &DatabaseConnection,
    hub: &Hub,
    listening: &mut bool,
) -> Result<Infallible, ListenError> {
    let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
    listener.listen_all([CHANNEL, TYPING_CHANNEL]).await?;
    // Every commit after this clock reading will be heard; anything sent before LISTEN took
    // effect is unknown, so every waiting poll looks again.
    hub.hear_everything_after(changes::current(db).await?);
    hub.publish_all();
    *listening = true;
    loop {
        // `try_recv` reports a dropped connection as `None` instead of reconnecting silently.
        match listener.try_recv().await? {
            Some(note) if note.channel() == TYPING_CHANNEL => hub.typing.hear(note.payload()),
            Some(note) => match Audience::decode(note.payload()) {
                Some((tick, audience)) => hub.publish(tick, &audience),
                None => tracing::warn!(payload = note.payload(), "unreadable change notice"),
            },
            // The connection dropped; start over so the clock is read again after reconnecting.
            None => return Err(ListenError::Closed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_attempts_wait_longer_up_to_a_second() {
        let mut wait = FIRST_BACKOFF;
        let mut waits = Vec::new();
        for _ in 0..6 {
            wait = wait_after_loss(wait, false);
            waits.push(wait.as_millis());
        }
        assert_eq!(waits, [200, 400, 800, 1000, 1000, 1000]);
    }

    #[test]
    fn a_connection_that_stood_starts_the_next_outage_from_the_short_wait() {
        assert_eq!(wait_after_loss(MAX_BACKOFF, true), FIRST_BACKOFF);
    }
}
