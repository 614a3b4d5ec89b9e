//! Throttling of failed logins: after `max_failed_logins` failures for one email inside the window,
//! that email is locked for `lockout_secs`.
//!
//! Every attempt is counted *before* its password is checked, by one atomic increment whose result
//! decides: parallel guesses each get their own number, so a burst cannot slip past the limit by
//! reading the same count, and a guess numbered past the limit is refused without hashing. A right
//! password then takes its count back, unless the lock fell while it was being checked.

use crate::model::AppError;
use crate::server::platform::config::AuthSettings;
use crate::server::platform::entities::login_throttle;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub max_failures: u32,
    pub window: Duration,
    pub lockout: Duration,
}

impl From<&AuthSettings> for Policy {
    fn from(s: &AuthSettings) -> Self {
        Policy {
            max_failures: s.max_failed_logins,
            window: Duration::seconds(i64::try_from(s.failure_window_secs).unwrap_or(i64::MAX / 2)),
            lockout: Duration::seconds(i64::try_from(s.lockout_secs).unwrap_or(i64::MAX / 2)),
        }
    }
}

impl Policy {
    fn lockout_secs(&self) -> u64 {
        u64::try_from(self.lockout.num_seconds().max(1)).unwrap_or(1)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    /// Attempts counted in this window, including those still being checked.
    pub failures: u32,
    pub window_started_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl From<login_throttle::Model> for State {
    fn from(r: login_throttle::Model) -> Self {
        State {
            failures: u32::try_from(r.failures).unwrap_or(0),
            window_started_at: r.window_started_at,
            locked_until: r.locked_until,
        }
    }
}

/// What an attempt may do, decided from the state its own increment returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Check the password; `attempt` is this guess's number in the window.
    Check { attempt: u32 },
    /// Refused without checking.
    Locked { retry_after_secs: u64 },
}

/// Seconds left on a lock, if the email is locked now.
pub fn locked_for(state: Option<&State>, now: DateTime<Utc>) -> Option<u64> {
    let until = state?.locked_until?;
    (until > now).then(|| u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1))
}

/// The rule, on the state after this attempt was counted.
pub fn admission(counted: &State, now: DateTime<Utc>, policy: Policy) -> Admission {
    if let Some(secs) = locked_for(Some(counted), now) {
        return Admission::Locked {
            retry_after_secs: secs,
        };
    }
    if counted.failures > policy.max_failures {
        // The guess that reaches the limit is still being checked; it will set the lock.
        return Admission::Locked {
            retry_after_secs: policy.lockout_secs(),
        };
    }
    Admission::Check {
        attempt: counted.failures,
    }
}

/// Whether a wrong password numbered `attempt` locks the email.
pub fn locks(attempt: u32, policy: Policy) -> bool {
    attempt >= policy.max_failures
}

/// Counts one attempt for `email` and says whether it may be checked.
pub async fn admit(
    db: &impl ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
    policy: Policy,
) -> Result<Admission, AppError> {
    use login_throttle::Column as C;
    // A lock that ran out, or a window that closed without a lock, starts counting again. Idempotent
    // under races: once one attempt restarted the window, the condition no longer holds.
    login_throttle::Entity::update_many()
        .col_expr(C::Failures, Expr::value(0))
        .col_expr(C::WindowStartedAt, Expr::value(now))
        .col_expr(C::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(C::Email.eq(email))
        .filter(
            Condition::any().add(C::LockedUntil.lte(now)).add(
                Condition::all()
                    .add(C::LockedUntil.is_null())
                    .add(C::WindowStartedAt.lt(now - policy.window)),
            ),
        )
        .exec(db)
        .await?;
    let first = login_throttle::ActiveModel {
        email: Set(email.to_owned()),
        failures: Set(1),
        window_started_at: Set(now),
        locked_until: Set(None),
    };
    // In scope here only: its `max` and `min` would shadow the integers' elsewhere in the file.
    use sea_orm::sea_query::ExprTrait as _;
    let counted = login_throttle::Entity::insert(first)
        .on_conflict(
            OnConflict::column(C::Email)
                .value(
                    C::Failures,
                    Expr::col((login_throttle::Entity, C::Failures)).add(1),
                )
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?;
    Ok(admission(&State::from(counted), now, policy))
}

/// A wrong password: the count stays; the guess that reached the limit sets the lock.
pub async fn failed(
    db: &impl ConnectionTrait,
    email: &str,
    attempt: u32,
    now: DateTime<Utc>,
    policy: Policy,
) -> Result<Option<u64>, AppError> {
    use login_throttle::Column as C;
    if !locks(attempt, policy) {
        return Ok(None);
    }
    login_throttle::Entity::update_many()
        .col_expr(C::LockedUntil, Expr::value(Some(now + policy.lockout)))
        .filter(C::Email.eq(email))
        .filter(C::LockedUntil.is_null())
        .exec(db)
        .await?;
    Ok(Some(policy.lockout_secs()))
}

/// A right password: the count is dropped, unless the email was locked (or counted past the limit)
/// while the password was being checked; then the login is refused like any other locked one.
pub async fn succeeded(
    db: &impl ConnectionTrait,
    email: &str,
    now: DateTime<Utc>,
    policy: Policy,
) -> Result<Result<(), u64>, AppError> {
    use login_throttle::Column as C;
    let max = i32::try_from(policy.max_failures).unwrap_or(i32::MAX);
    let cleared = login_throttle::Entity::delete_many()
        .filter(C::Email.eq(email))
        .filter(C::Failures.lte(max))
        .filter(
            Condition::any()
                .add(C::LockedUntil.is_null())
                .add(C::LockedUntil.lte(now)),
        )
        .exec(db)
        .await?;
    if cleared.rows_affected > 0 {
        return Ok(Ok(()));
    }
    let left = login_throttle::Entity::find_by_id(email.to_owned())
        .one(db)
        .await?
        .map(State::from);
    Ok(match left {
        // Another right guess cleared it first.
        None => Ok(()),
        Some(state) => Err(locked_for(Some(&state), now).unwrap_or(policy.lockout_secs())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            max_failures: 3,
            window: Duration::minutes(15),
            lockout: Duration::minutes(10),
        }
    }

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("valid") + Duration::minutes(min)
    }

    fn counted(failures: u32, locked_until: Option<DateTime<Utc>>) -> State {
        State {
            failures,
            window_started_at: t(0),
            locked_until,
        }
    }

    #[test]
    fn attempts_up_to_the_limit_are_checked() {
        for n in 1..=3 {
            assert_eq!(
                admission(&counted(n, None), t(1), policy()),
                Admission::Check { attempt: n }
            );
        }
    }

    #[test]
    fn attempts_past_the_limit_are_refused_even_before_the_lock_is_written() {
        assert_eq!(
            admission(&counted(4, None), t(1), policy()),
            Admission::Locked {
                retry_after_secs: 600
            }
        );
    }

    #[test]
    fn a_live_lock_refuses_with_the_time_left() {
        assert_eq!(
            admission(&counted(2, Some(t(12))), t(2), policy()),
            Admission::Locked {
                retry_after_secs: 600
            }
        );
        assert_eq!(locked_for(Some(&counted(3, Some(t(12)))), t(13)), None);
    }

    #[test]
    fn only_the_guess_that_reaches_the_limit_locks() {
        assert!(!locks(2, policy()));
        assert!(locks(3, policy()));
    }
}
