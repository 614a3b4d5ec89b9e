//! The per-user send rate: a token bucket per user, refilled continuously.

use crate::model::ids::UserId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct SendRate {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<UserId, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Above this many tracked users, full buckets (idle users) are forgotten.
const PRUNE_ABOVE: usize = 10_000;

impl SendRate {
    pub fn new(per_second: u32, burst: u32) -> SendRate {
        SendRate {
            per_second: f64::from(per_second.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one send from the user's allowance, or says how long until one is free.
    pub fn take(&self, user_id: UserId, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().expect("send rate lock");
        if buckets.len() > PRUNE_ABOVE {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(user_id).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refilled =
            bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * self.per_second;
        bucket.tokens = refilled.min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_sends_wait_for_the_refill() {
        let rate = SendRate::new(2, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(rate.take(UserId(1), t0).is_ok());
        }
        let wait = rate.take(UserId(1), t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(400) && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert!(
            rate.take(UserId(1), t0 + Duration::from_millis(500))
                .is_ok()
        );
    }

    #[test]
    fn users_have_separate_allowances() {
        let rate = SendRate::new(1, 1);
        let t0 = Instant::now();
        assert!(rate.take(UserId(1), t0).is_ok());
        assert!(rate.take(UserId(1), t0).is_err());
        assert!(rate.take(UserId(2), t0).is_ok());
    }
}
