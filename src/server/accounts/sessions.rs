//! Server-side sessions. The browser holds a random token in an HttpOnly cookie; the table holds
//! only HMAC(secret, token), so a copy of the database cannot be turned into live sessions.

use super::session_cache::{Cached, SessionCache};
use crate::model::ids::UserId;
use crate::model::user::{SessionView, device_name};
use crate::model::{AppError, UserView};
use crate::server::platform::entities::{session, user};
use crate::server::realtime::{Audience, Hub, changes};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder,
};
use sha2::Sha256;
use std::sync::Arc;

/// The session cookie's name. Under https it carries the `__Host-` prefix, which browsers accept only
/// from this exact host, with Secure and `Path=/`: a sibling subdomain cannot plant or shadow it.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-dealchat_session"
    } else {
        "dealchat_session"
    }
}

/// Keyed hashing of session tokens. Shared, because the state holding it is cloned per request.
#[derive(Clone)]
pub struct SessionKey(Arc<[u8]>);

impl SessionKey {
    pub fn new(secret: &[u8]) -> Self {
        SessionKey(secret.into())
    }

    fn id_for(&self, token: &str) -> String {
        self.sign(token)
    }

    /// HMAC-SHA256 of `text` under the secret, in hex (signed links).
    pub fn sign(&self, text: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(text.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `sig` is `text`'s signature (compared in constant time).
    pub fn verify(&self, text: &str, sig: &str) -> bool {
        let Ok(raw) = hex::decode(sig) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(text.as_bytes());
        mac.verify_slice(&raw).is_ok()
    }
}

/// Who is asking, as resolved from the session cookie.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub user: UserView,
    pub session_id: String,
}

/// What is kept of a token handed out (the token itself is the only copy): its SHA-256 in hex.
pub fn token_digest(token: &str) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn to_view(u: &user::Model) -> UserView {
    UserView {
        id: u.id,
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        disabled: u.disabled,
        sound_on: u.sound_on,
    }
}

/// Where a session was signed in from, for the list of active sessions.
#[derive(Clone, Debug, Default)]
pub struct Device {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// Starts a session and returns the token for the cookie.
#[tracing::instrument(skip(db, key, device))]
pub async fn start(
    db: &DatabaseConnection,
    key: &SessionKey,
    user_id: UserId,
    ttl: Duration,
    device: Device,
) -> Result<String, AppError> {
    let token = new_token();
    let now = Utc::now();
    session::ActiveModel {
        id: Set(key.id_for(&token)),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        last_seen_at: Set(now),
        user_agent: Set(device
            .user_agent
            .map(|ua| crate::model::label::clean(&ua).chars().take(512).collect())),
        ip: Set(device.ip),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// How long sessions live: `ttl` after the last use (sliding), and never longer than `absolute`
/// after sign-in, however busy.
#[derive(Clone, Copy, Debug)]
pub struct Lifetime {
    pub ttl: Duration,
    pub absolute: Duration,
}

impl Lifetime {
    /// Whether a session signed in at `created_at` has outlived its absolute lifetime.
    pub fn ended(&self, created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        created_at + self.absolute <= now
    }

    /// The expiry after a use at `now`.
    pub fn expiry(&self, created_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        (now + self.ttl).min(created_at + self.absolute)
    }
}

/// The live, enabled user behind `token`; expired sessions are removed on sight. A session this
/// instance read lately and nobody changed since comes from `cache` without a database read.
pub async fn resolve(
    db: &DatabaseConnection,
    cache: &SessionCache,
    key: &SessionKey,
    token: &str,
    life: Lifetime,
) -> Result<Option<SessionUser>, AppError> {
    let id = key.id_for(token);
    let now = Utc::now();
    if let Some(known) = cache.get(&id)
        && known.expires_at > now
        && !life.ended(known.created_at, now)
        && !needs_refresh(known.last_seen_at, now)
    {
        return Ok(Some(known.user));
    }
    let stamp = cache.stamp();
    let Some((sess, Some(owner))) = session::Entity::find_by_id(id.clone())
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        cache.remove(&id);
        return Ok(None);
    };
    if sess.expires_at <= now || life.ended(sess.created_at, now) || owner.disabled {
        cache.remove(&id);
        session::Entity::delete_by_id(id).exec(db).await?;
        return Ok(None);
    }
    let (created_at, mut expires_at, mut last_seen_at) =
        (sess.created_at, sess.expires_at, sess.last_seen_at);
    if needs_refresh(last_seen_at, now) {
        // Sliding expiry, written at most every few minutes so reads stay reads.
        expires_at = life.expiry(created_at, now);
        last_seen_at = now;
        let mut active: session::ActiveModel = sess.into();
        active.last_seen_at = Set(last_seen_at);
        active.expires_at = Set(expires_at);
        active.update(db).await?;
    }
    let user = remember(
        cache,
        stamp,
        &owner,
        id,
        (created_at, expires_at, last_seen_at),
    );
    Ok(Some(user))
}

/// Keeps a session just read (after `stamp` was taken) in the cache: its owner, and its
/// creation, expiry and last use.
fn remember(
    cache: &SessionCache,
    stamp: u64,
    owner: &user::Model,
    id: String,
    (created_at, expires_at, last_seen_at): (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>),
) -> SessionUser {
    let user = SessionUser {
        user: to_view(owner),
        session_id: id.clone(),
    };
    cache.put(
        id,
        Cached {
            user: user.clone(),
            created_at,
            expires_at,
            last_seen_at,
        },
        stamp,
    );
    user
}

fn needs_refresh(last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - last_seen > Duration::minutes(5)
}

/// Ends sessions (one, or a user's), inside a write of the change clock: the user's waiting
/// long-polls wake, find their session gone and answer at once.
async fn end_where(
    db: &DatabaseConnection,
    hub: &Hub,
    user_id: UserId,
    filter: Condition,
) -> Result<u64, AppError> {
    let w = changes::begin(db).await?;
    let ended = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .filter(filter)
        .exec(&w.txn)
        .await?
        .rows_affected;
    let mut w = w;
    // Every instance reads this user's sessions from the database again (`session_cache`).
    w.audience = Audience::users([Some(user_id)]).with_account(user_id);
    w.commit(hub).await?;
    Ok(ended)
}

/// Ends one session of `user_id`; false when it is not theirs (or already gone).
pub async fn end(
    db: &DatabaseConnection,
    hub: &Hub,
    user_id: UserId,
    session_id: &str,
) -> Result<bool, AppError> {
    let ended = end_where(
        db,
        hub,
        user_id,
        Condition::all().add(session::Column::Id.eq(session_id)),
    )
    .await?;
    Ok(ended > 0)
}

/// Ends every session of a user, except `keep` (the one changing its own password, or asking to
/// sign out everywhere else).
pub async fn end_all_for_user(
    db: &DatabaseConnection,
    hub: &Hub,
    user_id: UserId,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let mut filter = Condition::all();
    if let Some(keep) = keep {
        filter = filter.add(session::Column::Id.ne(keep));
    }
    end_where(db, hub, user_id, filter).await
}

/// Whether a session still exists (a waiting poll asks after every wake). What it reads is
/// remembered like `resolve`'s: a stream lives on one request, so no new request refreshes the
/// cache, and without this every wake after the cache's `max_age` would read the database (one
/// query per member for each message of a large group, each arriving at the batch late).
pub async fn alive(
    db: &DatabaseConnection,
    cache: &SessionCache,
    session_id: &str,
) -> Result<bool, AppError> {
    if let Some(expires_at) = cache.expires_at(session_id) {
        return Ok(expires_at > Utc::now());
    }
    let stamp = cache.stamp();
    let Some((sess, Some(owner))) = session::Entity::find_by_id(session_id.to_owned())
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    if sess.expires_at <= Utc::now() || owner.disabled {
        return Ok(false);
    }
    let times = (sess.created_at, sess.expires_at, sess.last_seen_at);
    remember(cache, stamp, &owner, sess.id, times);
    Ok(true)
}

/// The user's live sessions, the most recently used first.
pub async fn list_for(
    db: &DatabaseConnection,
    user_id: UserId,
    current: &str,
) -> Result<Vec<SessionView>, AppError> {
    let now = Utc::now();
    Ok(session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(now))
        .order_by_desc(session::Column::LastSeenAt)
        .all(db)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.id == current,
            device: device_name(s.user_agent.as_deref().unwrap_or("")),
            ip: s.ip.unwrap_or_default(),
            created_at_ms: s.created_at.timestamp_millis(),
            last_seen_at_ms: s.last_seen_at.timestamp_millis(),
            id: s.id,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_depend_on_the_secret() {
        let a = SessionKey::new(b"first secret that is long enough!!");
        let b = SessionKey::new(b"other secret that is long enough!!");
        assert_eq!(a.id_for("tok"), a.id_for("tok"));
        assert_ne!(a.id_for("tok"), b.id_for("tok"));
        assert_eq!(a.id_for("tok").len(), 64);
    }

    #[test]
    fn tokens_are_random_and_url_safe() {
        let (x, y) = (new_token(), new_token());
        assert_ne!(x, y);
        assert_eq!(x.len(), 43);
        assert!(
            x.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn a_busy_session_still_ends_at_its_absolute_lifetime() {
        let life = Lifetime {
            ttl: Duration::days(14),
            absolute: Duration::days(30),
        };
        let signed_in = Utc::now();
        let day = |n| signed_in + Duration::days(n);
        assert_eq!(life.expiry(signed_in, day(1)), day(15));
        assert_eq!(life.expiry(signed_in, day(20)), day(30));
        assert!(!life.ended(signed_in, day(29)));
        assert!(life.ended(signed_in, day(30)));
    }

    #[test]
    fn last_seen_is_refreshed_only_after_a_while() {
        let now = Utc::now();
        assert!(!needs_refresh(now - Duration::minutes(1), now));
        assert!(needs_refresh(now - Duration::minutes(6), now));
    }
}
