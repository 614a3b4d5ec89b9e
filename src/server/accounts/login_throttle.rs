//! Throttling of failed logins: after `max_failed_logins` failures for one email inside the window,
//! that email is locked for `lockout_secs`. The rule is a plain function; the table keeps its state.

use crate::model::AppError;
use crate::server::platform::config::AuthSettings;
use crate::server::platform::entities::login_throttle;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, sea_query::OnConflict};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    pub failures: u32,
    pub window_started_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// Seconds left on a lock, if the email is locked now.
pub fn locked_for(state: Option<&State>, now: DateTime<Utc>) -> Option<u64> {
    let until = state?.locked_until?;
    (until > now).then(|| u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1))
}

/// The state after one more failure at `now`.
pub fn after_failure(state: Option<&State>, now: DateTime<Utc>, policy: Policy) -> State {
    let fresh = State {
        failures: 1,
        window_started_at: now,
        locked_until: None,
    };
    let mut next = match state {
        // A lock that ran out, or a window that closed, starts counting again.
        Some(s) if s.locked_until.is_some_and(|u| u <= now) => fresh,
        Some(s) if now - s.window_started_at > policy.window => fresh,
        Some(s) => State {
            failures: s.failures.saturating_add(1),
            ..*s
        },
        None => fresh,
    };
    if next.failures >= policy.max_failures {
        next.locked_until = Some(now + policy.lockout);
    }
    next
}

pub async fn load(db: &DatabaseConnection, email: &str) -> Result<Option<State>, AppError> {
    let row = login_throttle::Entity::find_by_id(email.to_owned())
        .one(db)
        .await?;
    Ok(row.map(|r| State {
        failures: u32::try_from(r.failures).unwrap_or(0),
        window_started_at: r.window_started_at,
        locked_until: r.locked_until,
    }))
}

pub async fn record_failure(
    db: &DatabaseConnection,
    email: &str,
    previous: Option<&State>,
    now: DateTime<Utc>,
    policy: Policy,
) -> Result<State, AppError> {
    let next = after_failure(previous, now, policy);
    let row = login_throttle::ActiveModel {
        email: Set(email.to_owned()),
        failures: Set(i32::try_from(next.failures).unwrap_or(i32::MAX)),
        window_started_at: Set(next.window_started_at),
        locked_until: Set(next.locked_until),
    };
    login_throttle::Entity::insert(row)
        .on_conflict(
            OnConflict::column(login_throttle::Column::Email)
                .update_columns([
                    login_throttle::Column::Failures,
                    login_throttle::Column::WindowStartedAt,
                    login_throttle::Column::LockedUntil,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(next)
}

pub async fn clear(db: &DatabaseConnection, email: &str) -> Result<(), AppError> {
    login_throttle::Entity::delete_by_id(email.to_owned())
        .exec(db)
        .await?;
    Ok(())
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

    #[test]
    fn the_nth_failure_inside_the_window_locks() {
        let s1 = after_failure(None, t(0), policy());
        let s2 = after_failure(Some(&s1), t(1), policy());
        assert_eq!(locked_for(Some(&s2), t(1)), None);
        let s3 = after_failure(Some(&s2), t(2), policy());
        assert_eq!(s3.locked_until, Some(t(12)));
        assert_eq!(locked_for(Some(&s3), t(2)), Some(600));
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_lock() {
        let s1 = after_failure(None, t(0), policy());
        let s2 = after_failure(Some(&s1), t(1), policy());
        let s3 = after_failure(Some(&s2), t(20), policy());
        assert_eq!(s3.failures, 1);
        assert_eq!(s3.locked_until, None);
    }

    #[test]
    fn a_lock_expires_and_counting_restarts() {
        let mut s = after_failure(None, t(0), policy());
        for m in 1..3 {
            s = after_failure(Some(&s), t(m), policy());
        }
        assert!(locked_for(Some(&s), t(11)).is_some());
        assert_eq!(locked_for(Some(&s), t(13)), None);
        let after = after_failure(Some(&s), t(13), policy());
        assert_eq!((after.failures, after.locked_until), (1, None));
    }
}
