//! Accounts: signup, admin-created users, authentication, disabling, password change.

use crate::model::account_input::{DisplayName, Email, NewPassword, Profile};
use crate::model::ids::UserId;
use crate::model::{AppError, Role, UserView};
use crate::server::accounts::login_throttle::{self, Admission};
use crate::server::accounts::passwords::Hasher;
use crate::server::accounts::{email, sessions};
use crate::server::platform::db::{begin_write, is_unique_violation};
use crate::server::platform::entities::user;
use crate::server::realtime::changes;
use crate::server::realtime::{Audience, Hub};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

/// The user's display name, for the system messages that say who did what ("" for a user gone).
pub async fn display_name(db: &impl ConnectionTrait, user_id: UserId) -> Result<String, AppError> {
    Ok(user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default())
}

/// Everything needed to create an account, already validated.
#[derive(Debug)]
pub struct NewAccount {
    pub email: Email,
    pub display_name: DisplayName,
    pub password: NewPassword,
    pub role: Role,
}

impl NewAccount {
    /// Validates raw form input; the first broken rule is reported against its field.
    pub fn parse(
        email: &str,
        display_name: &str,
        password: &str,
        role: &str,
        min_password_len: usize,
    ) -> Result<NewAccount, AppError> {
        Ok(NewAccount {
            email: Email::parse(email)?,
            display_name: DisplayName::parse(display_name)?,
            password: NewPassword::parse(password, min_password_len)?,
            role: Role::parse(role).ok_or_else(|| {
                AppError::invalid(
                    "role",
                    format!("Unknown role `{role}`: choose client, manager or admin."),
                )
            })?,
        })
    }
}

#[tracing::instrument(skip(db, hasher, links, account), fields(email = %account.email.as_str(), role = %account.role))]
/// Creates an account; a client's gets the mail that verifies its address (`links`), in the same
/// transaction, so there is no account whose mail was lost.
pub async fn create(
    db: &DatabaseConnection,
    hasher: &Hasher,
    links: Option<&email::Links>,
    account: NewAccount,
) -> Result<UserView, AppError> {
    let hash = hasher.hash(account.password.expose().to_owned()).await?;
    let row = user::ActiveModel {
        email: Set(account.email.as_str().to_owned()),
        display_name: Set(account.display_name.as_str().to_owned()),
        password_hash: Set(hash),
        role: Set(account.role),
        disabled: Set(false),
        created_at: Set(Utc::now()),
        // Named rather than left to the columns' defaults, which a later migration added.
        email_verified_at: Set(None),
        notify_by_email: Set(true),
        ..Default::default()
    };
    let txn = begin_write(db).await?;
    let model = match row.insert(&txn).await {
        Ok(model) => model,
        Err(e) if is_unique_violation(&e, "ux_users_email", "users.email") => {
            return Err(AppError::EmailTaken);
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(links) = links
        && model.role == Role::Client
    {
        email::send_verification(&txn, links, &model).await?;
    }
    txn.commit().await?;
    Ok(sessions::to_view(&model))
}

/// Checks a password for `email` under the login throttle: the attempt is counted first, a wrong
/// one stays counted, a right one is forgiven unless the lock fell meanwhile. `Ok(false)`: wrong.
async fn check_throttled(
    db: &DatabaseConnection,
    hasher: &Hasher,
    email: &str,
    password: &str,
    stored: Option<String>,
    policy: login_throttle::Policy,
) -> Result<bool, AppError> {
    let now = Utc::now();
    let attempt = match login_throttle::admit(db, email, now, policy).await? {
        Admission::Check { attempt } => attempt,
        Admission::Locked { retry_after_secs } => {
            return Err(AppError::LockedOut { retry_after_secs });
        }
    };
    if hasher.verify(password.to_owned(), stored).await? {
        return match login_throttle::succeeded(db, email, now, policy).await? {
            Ok(()) => Ok(true),
            Err(retry_after_secs) => Err(AppError::LockedOut { retry_after_secs }),
        };
    }
    tracing::info!(attempt, "failed password check");
    match login_throttle::failed(db, email, attempt, now, policy).await? {
        Some(retry_after_secs) => Err(AppError::LockedOut { retry_after_secs }),
        None => Ok(false),
    }
}

/// Checks the credentials under the throttle; returns the user on success.
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    db: &DatabaseConnection,
    hasher: &Hasher,
    raw_email: &str,
    password: &str,
    policy: login_throttle::Policy,
) -> Result<UserView, AppError> {
    let email = Email::parse(raw_email)?;
    let email = email.as_str();
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?;
    let stored = found.as_ref().map(|u| u.password_hash.clone());
    let ok = check_throttled(db, hasher, email, password, stored, policy).await?;
    match found {
        Some(u) if ok => {
            if u.disabled {
                return Err(AppError::AccountDisabled);
            }
            Ok(sessions::to_view(&u))
        }
        _ => Err(AppError::BadCredentials),
    }
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<UserView>, AppError> {
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(sessions::to_view)
        .collect())
}

/// Disables or re-enables a user; disabling ends all their sessions at once.
#[tracing::instrument(skip(db, hub))]
pub async fn set_disabled(
    db: &DatabaseConnection,
    hub: &Hub,
    actor_id: UserId,
    user_id: UserId,
    disabled: bool,
) -> Result<UserView, AppError> {
    if disabled && actor_id == user_id {
        return Err(AppError::invalid(
            "user_id",
            "You cannot disable your own account.",
        ));
    }
    let Some(found) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Err(AppError::NotFound);
    };
    let mut active: user::ActiveModel = found.into();
    active.disabled = Set(disabled);
    let updated = active.update(db).await?;
    if disabled {
        sessions::end_all_for_user(db, hub, user_id, None).await?;
    }
    Ok(sessions::to_view(&updated))
}

/// The user turns their notification sound on or off: a change to their account, so every
/// instance reads their session again and the next page knows.
#[tracing::instrument(skip(db, hub))]
pub async fn set_sound(
    db: &DatabaseConnection,
    hub: &Hub,
    user_id: UserId,
    on: bool,
) -> Result<(), AppError> {
    let mut w = changes::begin(db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::SoundOn, on.into())
        .filter(user::Column::Id.eq(user_id))
        .exec(&w.txn)
        .await?;
    w.audience = Audience::users([Some(user_id)]).with_account(user_id);
    w.commit(hub).await?;
    Ok(())
}

/// The user's phone and company (what the CRM connector matches and writes).
pub async fn profile(db: &DatabaseConnection, user_id: UserId) -> Result<Profile, AppError> {
    let u = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Profile {
        phone: u.phone,
        company: u.company,
    })
}

/// Saves the user's phone and company.
#[tracing::instrument(skip(db, profile))]
pub async fn set_profile(
    db: &DatabaseConnection,
    user_id: UserId,
    profile: Profile,
) -> Result<(), AppError> {
    user::Entity::update_many()
        .col_expr(user::Column::Phone, profile.phone.into())
        .col_expr(user::Column::Company, profile.company.into())
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Changes a password after checking the current one (a wrong one counts like a failed login);
/// every other session of the user ends.
#[tracing::instrument(skip(db, hub, hasher, policy, keep_session, current, new_password))]
#[allow(clippy::too_many_arguments)]
pub async fn change_password(
    db: &DatabaseConnection,
    hub: &Hub,
    hasher: &Hasher,
    policy: login_throttle::Policy,
    user_id: UserId,
    keep_session: &str,
    current: &str,
    new_password: NewPassword,
) -> Result<(), AppError> {
    let Some(found) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Err(AppError::NotFound);
    };
    let stored = Some(found.password_hash.clone());
    if !check_throttled(db, hasher, &found.email, current, stored, policy).await? {
        return Err(AppError::invalid(
            "current_password",
            "The current password is wrong.",
        ));
    }
    let hash = hasher.hash(new_password.expose().to_owned()).await?;
    let mut active: user::ActiveModel = found.into();
    active.password_hash = Set(hash);
    active.update(db).await?;
    sessions::end_all_for_user(db, hub, user_id, Some(keep_session)).await?;
    Ok(())
}

/// Whether any administrator exists (the first-run setup is open until one does).
pub async fn admin_exists(db: &DatabaseConnection) -> Result<bool, AppError> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .count(db)
        .await?
        > 0)
}

/// Creates the configured first admin when no admin exists yet. Idempotent across restarts.
pub async fn bootstrap_admin(
    db: &DatabaseConnection,
    hasher: &Hasher,
    email: &str,
    password: &str,
    name: &str,
    min_password_len: usize,
) -> Result<bool, AppError> {
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .count(db)
        .await?;
    if admins > 0 {
        return Ok(false);
    }
    let account = NewAccount::parse(
        email,
        name,
        password,
        Role::Admin.as_str(),
        min_password_len,
    )?;
    match create(db, hasher, None, account).await {
        Ok(_) => Ok(true),
        // The email belongs to an existing non-admin: promote nobody silently, say so.
        Err(AppError::EmailTaken) => {
            tracing::warn!(
                email,
                "bootstrap admin email already belongs to a non-admin account; not promoted"
            );
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_role_is_refused_at_the_role_field() {
        let err = NewAccount::parse("a@b.co", "Ann", "long enough pw", "owner", 10)
            .expect_err("bad role");
        assert!(err.for_field("role").is_some());
    }

    #[test]
    fn the_first_broken_rule_is_reported() {
        let err = NewAccount::parse("nope", "", "short", "client", 10).expect_err("bad");
        assert!(err.for_field("email").is_some());
    }

    #[test]
    fn valid_input_builds_an_account() {
        let a = NewAccount::parse(" Ann@Example.com", "Ann", "long enough pw", "manager", 10)
            .expect("valid");
        assert_eq!(a.email.as_str(), "ann@example.com");
        assert_eq!(a.role, Role::Manager);
    }
}
