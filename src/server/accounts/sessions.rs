//! Server-side sessions. The browser holds a random token in an HttpOnly cookie; the table holds
//! only HMAC(secret, token), so a copy of the database cannot be turned into live sessions.

use crate::model::ids::UserId;
use crate::model::{AppError, UserView};
use crate::server::platform::entities::{session, user};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use sha2::Sha256;
use std::sync::Arc;

pub const COOKIE_NAME: &str = "dealchat_session";

/// Keyed hashing of session tokens. Shared, because the state holding it is cloned per request.
#[derive(Clone)]
pub struct SessionKey(Arc<[u8]>);

impl SessionKey {
    pub fn new(secret: &[u8]) -> Self {
        SessionKey(secret.into())
    }

    fn id_for(&self, token: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(token.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Who is asking, as resolved from the session cookie.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub user: UserView,
    pub session_id: String,
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
    }
}

/// Starts a session and returns the token for the cookie.
#[tracing::instrument(skip(db, key))]
pub async fn start(
    db: &DatabaseConnection,
    key: &SessionKey,
    user_id: UserId,
    ttl: Duration,
) -> Result<String, AppError> {
    let token = new_token();
    let now = Utc::now();
    session::ActiveModel {
        id: Set(key.id_for(&token)),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        last_seen_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The live, enabled user behind `token`; expired sessions are removed on sight.
pub async fn resolve(
    db: &DatabaseConnection,
    key: &SessionKey,
    token: &str,
    ttl: Duration,
) -> Result<Option<SessionUser>, AppError> {
    let id = key.id_for(token);
    let Some((sess, Some(owner))) = session::Entity::find_by_id(id.clone())
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if sess.expires_at <= now || owner.disabled {
        session::Entity::delete_by_id(id).exec(db).await?;
        return Ok(None);
    }
    if needs_refresh(sess.last_seen_at, now) {
        // Sliding expiry, written at most every few minutes so reads stay reads.
        let mut active: session::ActiveModel = sess.into();
        active.last_seen_at = Set(now);
        active.expires_at = Set(now + ttl);
        active.update(db).await?;
    }
    Ok(Some(SessionUser {
        user: to_view(&owner),
        session_id: id,
    }))
}

fn needs_refresh(last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - last_seen > Duration::minutes(5)
}

pub async fn end(db: &DatabaseConnection, session_id: &str) -> Result<(), AppError> {
    session::Entity::delete_by_id(session_id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user, except `keep` (the one changing its own password).
pub async fn end_all_for_user(
    db: &DatabaseConnection,
    user_id: UserId,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let mut q = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        q = q.filter(session::Column::Id.ne(keep));
    }
    Ok(q.exec(db).await?.rows_affected)
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
    fn last_seen_is_refreshed_only_after_a_while() {
        let now = Utc::now();
        assert!(!needs_refresh(now - Duration::minutes(1), now));
        assert!(needs_refresh(now - Duration::minutes(6), now));
    }
}
