//! argon2id hashing, off the async threads because it is deliberately slow, and bounded: each
//! hash holds about 19 MiB, so an anonymous burst of logins must queue for a few permits instead of
//! taking the server's memory. A caller that would wait too long is told to come back (503).

use crate::model::AppError;
use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Runs hashes and verifications, at most `permits` at a time.
#[derive(Clone, Debug)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    max_wait: Duration,
}

impl Hasher {
    pub fn new(permits: usize, max_wait: Duration) -> Self {
        Hasher {
            permits: Arc::new(Semaphore::new(permits.max(1))),
            max_wait,
        }
    }

    async fn permit(&self) -> Result<SemaphorePermit<'_>, AppError> {
        match tokio::time::timeout(self.max_wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(AppError::Internal),
            Err(_) => {
                tracing::warn!(
                    wait_ms = self.max_wait.as_millis() as u64,
                    "password hashing is saturated; answering 503"
                );
                Err(AppError::Busy {
                    retry_after_secs: self.max_wait.as_secs().max(1),
                })
            }
        }
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _permit = self.permit().await?;
        hash(password).await
    }

    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let _permit = self.permit().await?;
        verify(password, stored).await
    }
}

/// Verified against when the email is unknown, so a miss costs as much time as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4hYQmDJ7p1q2Y0pZf0xKXq1m3q0u3b8b1G8C1dYd1yU";

pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| internal("hashing task failed", &e))?
    .map_err(|e| internal("argon2 hashing failed", &e))
}

/// True when `password` matches `stored`; with no stored hash, burns the same time and says no.
async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let ok = PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        known && ok
    })
    .await
    .map_err(|e| internal("verify task failed", &e))
}

fn internal(what: &str, err: &dyn std::fmt::Display) -> AppError {
    tracing::error!(error = %err, "{what}");
    AppError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let h = hash("correct horse battery".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify("correct horse battery".into(), Some(h.clone()))
                .await
                .expect("verify")
        );
        assert!(
            !verify("wrong horse battery".into(), Some(h))
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(
            !verify("anything at all".into(), None)
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn a_caller_that_waits_too_long_for_a_permit_is_told_to_retry() {
        let hasher = Hasher::new(1, Duration::from_millis(20));
        let held = hasher
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("permit");
        let busy = hasher.verify("x".repeat(12), None).await;
        assert_eq!(
            busy,
            Err(AppError::Busy {
                retry_after_secs: 1
            })
        );
        drop(held);
        assert_eq!(hasher.verify("x".repeat(12), None).await, Ok(false));
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let a = hash("correct horse battery".into()).await.expect("hash");
        let b = hash("correct horse battery".into()).await.expect("hash");
        assert_ne!(a, b);
    }
}
