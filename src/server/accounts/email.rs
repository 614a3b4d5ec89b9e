//! Email for accounts: verifying an address, resetting a forgotten password, and the link that
//! stops chat notifications. Tokens are 256 random bits sent only in the mail; the table keeps
//! their SHA-256, and a token works once, before it expires.

use crate::model::AppError;
use crate::model::account_input::{Email, NewPassword};
use crate::model::ids::UserId;
use crate::server::accounts::passwords::Hasher;
use crate::server::accounts::sessions::token_digest;
use crate::server::accounts::sessions::{self, SessionKey};
use crate::server::jobs::{self, Job};
use crate::server::mail;
use crate::server::platform::db::begin_write;
use crate::server::platform::entities::{deal, login_throttle, mail_token, user};
use crate::server::realtime::Hub;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};

/// What a token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Reset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
        }
    }
}

/// The links mails carry, and how long they work.
#[derive(Clone, Debug)]
pub struct Links {
    /// The public URL without a trailing slash.
    pub base: String,
    pub verify_for: Duration,
    pub reset_for: Duration,
}

/// Makes a token for `user_id` and returns it (the only copy).
async fn issue(
    txn: &impl ConnectionTrait,
    user_id: UserId,
    purpose: Purpose,
    valid_for: Duration,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = sessions::new_token();
    mail_token::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(token_digest(&token)),
        created_at: Set(now),
        expires_at: Set(now + valid_for),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(token)
}

/// Uses up a token: the user it was for, when it is live and unused. Conditional, so two requests
/// with the same token cannot both succeed.
async fn consume(
    txn: &impl ConnectionTrait,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<UserId>, DbErr> {
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    let hash = token_digest(token);
    let used = mail_token::Entity::update_many()
        .col_expr(mail_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(mail_token::Column::TokenHash.eq(hash.as_str()))
        .filter(mail_token::Column::Purpose.eq(purpose.as_str()))
        .filter(mail_token::Column::UsedAt.is_null())
        .filter(mail_token::Column::ExpiresAt.gt(now))
        .exec(txn)
        .await?;
    if used.rows_affected != 1 {
        return Ok(None);
    }
    Ok(mail_token::Entity::find()
        .filter(mail_token::Column::TokenHash.eq(hash))
        .one(txn)
        .await?
        .map(|t| t.user_id))
}

/// Queues the verification mail for a new account, in the caller's transaction.
pub async fn send_verification(
    txn: &impl ConnectionTrait,
    links: &Links,
    account: &user::Model,
) -> Result<(), DbErr> {
    let token = issue(
        txn,
        account.id,
        Purpose::Verify,
        links.verify_for,
        Utc::now(),
    )
    .await?;
    let body = format!(
        "Hello {name},\n\n\
         please confirm that {email} is your address by opening this link:\n\n\
         {base}/verify-email?token={token}\n\n\
         The link works for {hours} hours. If you did not sign up for dealchat, ignore this mail.\n",
        name = account.display_name,
        email = account.email,
        base = links.base,
        hours = links.verify_for.num_hours(),
    );
    mail::queue(txn, &account.email, "Confirm your email address", &body).await?;
    Ok(())
}

/// Marks the address of the token's user verified. False for a bad, used or expired token.
#[tracing::instrument(skip_all)]
pub async fn verify(db: &DatabaseConnection, token: &str) -> Result<bool, AppError> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let Some(user_id) = consume(&txn, Purpose::Verify, token, now).await? else {
        return Ok(false);
    };
    user::Entity::update_many()
        .col_expr(user::Column::EmailVerifiedAt, Expr::value(Some(now)))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::EmailVerifiedAt.is_null())
        .exec(&txn)
        .await?;
    // Deals whose CRM delivery waited for a verified address go now.
    for d in deal::Entity::find()
        .filter(deal::Column::ClientId.eq(user_id))
        .all(&txn)
        .await?
    {
        jobs::enqueue(&txn, Job::SyncDeal { deal_id: d.id }).await?;
    }
    txn.commit().await?;
    tracing::info!(user = %user_id, "email address verified");
    Ok(true)
}

/// At most one reset mail per account in this time, so the form cannot be used to flood a mailbox.
const RESET_MAIL_EVERY: i64 = 60;

/// Sends a reset link when `raw_email` belongs to an enabled account. The answer is the same
/// either way: the form must not tell who has an account.
#[tracing::instrument(skip_all)]
pub async fn request_reset(
    db: &DatabaseConnection,
    links: &Links,
    raw_email: &str,
) -> Result<(), AppError> {
    let email = Email::parse(raw_email)?;
    let Some(account) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(());
    };
    let now = Utc::now();
    let recent = mail_token::Entity::find()
        .filter(mail_token::Column::UserId.eq(account.id))
        .filter(mail_token::Column::Purpose.eq(Purpose::Reset.as_str()))
        .order_by_desc(mail_token::Column::CreatedAt)
        .one(db)
        .await?
        .is_some_and(|t| now - t.created_at < Duration::seconds(RESET_MAIL_EVERY));
    if recent {
        tracing::info!(user = %account.id, "reset mail asked again within a minute; not sent");
        return Ok(());
    }
    let txn = begin_write(db).await?;
    let token = issue(&txn, account.id, Purpose::Reset, links.reset_for, now).await?;
    let body = format!(
        "Hello {name},\n\n\
         someone (we hope you) asked to reset the password of your dealchat account. To choose a \
         new one, open this link:\n\n\
         {base}/reset-password?token={token}\n\n\
         The link works once, for {minutes} minutes. If you did not ask, ignore this mail: your \
         password stays as it is.\n",
        name = account.display_name,
        base = links.base,
        minutes = links.reset_for.num_minutes(),
    );
    mail::queue(&txn, &account.email, "Reset your dealchat password", &body).await?;
    txn.commit().await?;
    Ok(())
}

/// Sets a new password with a reset token. Every session of the account ends, the login lock on
/// it is lifted, and the address counts as verified (the mail reached its owner).
#[tracing::instrument(skip_all)]
pub async fn complete_reset(
    db: &DatabaseConnection,
    hub: &Hub,
    hasher: &Hasher,
    token: &str,
    new_password: NewPassword,
) -> Result<UserId, AppError> {
    let bad = || {
        AppError::invalid(
            "token",
            "This link is not valid any more. Ask for a new one.",
        )
    };
    // Hash first: a failure there must not use the token up.
    let hash = hasher.hash(new_password.expose().to_owned()).await?;
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let user_id = consume(&txn, Purpose::Reset, token, now)
        .await?
        .ok_or_else(bad)?;
    let account = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(bad)?;
    let email = account.email.clone();
    let verified = account.email_verified_at.unwrap_or(now);
    let mut active: user::ActiveModel = account.into();
    active.password_hash = Set(hash);
    active.email_verified_at = Set(Some(verified));
    active.update(&txn).await?;
    // Other reset links of the account stop working too.
    mail_token::Entity::update_many()
        .col_expr(mail_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(mail_token::Column::UserId.eq(user_id))
        .filter(mail_token::Column::Purpose.eq(Purpose::Reset.as_str()))
        .filter(mail_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    login_throttle::Entity::delete_by_id(email)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    sessions::end_all_for_user(db, hub, user_id, None).await?;
    tracing::info!(user = %user_id, "password reset by email");
    Ok(user_id)
}

/// The link that stops chat notifications: signed, so it works without signing in and only for
/// the user it names.
pub fn unsubscribe_link(base: &str, key: &SessionKey, user_id: UserId) -> String {
    format!(
        "{base}/unsubscribe?user={user_id}&sig={}",
        key.sign(&format!("unsubscribe:{user_id}"))
    )
}

/// Stops chat notifications for the user the signed link names. False for a bad signature.
pub async fn unsubscribe(
    db: &DatabaseConnection,
    key: &SessionKey,
    user_id: UserId,
    sig: &str,
) -> Result<bool, AppError> {
    if !key.verify(&format!("unsubscribe:{user_id}"), sig) {
        return Ok(false);
    }
    user::Entity::update_many()
        .col_expr(user::Column::NotifyByEmail, Expr::value(false))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_digest_of_a_token_is_kept() {
        let token = sessions::new_token();
        let kept = token_digest(&token);
        assert_eq!(kept.len(), 64);
        assert!(!kept.contains(&token));
        assert_eq!(kept, token_digest(&token));
    }

    #[test]
    fn unsubscribe_links_are_signed_for_one_user() {
        let key = SessionKey::new(b"a secret that is long enough for tests!!");
        let link = unsubscribe_link("https://chat.example.com", &key, UserId(7));
        let sig = link.rsplit("sig=").next().expect("a signature");
        assert!(key.verify("unsubscribe:7", sig));
        assert!(!key.verify("unsubscribe:8", sig));
    }
}
