//! Rate limits: a token bucket per key (a user, a client address), refilled continuously. Kept in
//! memory per instance: a limit is a defence against abuse, not an account of use.

use crate::model::ids::UserId;
use crate::server::platform::config::RateLimitSettings;
use axum::http::{Extensions, HeaderMap};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimit<K> {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Above this many tracked keys, full buckets (idle users) are forgotten.
const PRUNE_ABOVE: usize = 10_000;

impl<K: Hash + Eq> RateLimit<K> {
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self::per_second(f64::from(per_second.max(1)), burst)
    }

    /// `per_minute` on average, in bursts of up to `burst`.
    pub fn per_minute(per_minute: u32, burst: u32) -> Self {
        Self::per_second(f64::from(per_minute.max(1)) / 60.0, burst)
    }

    fn per_second(per_second: f64, burst: u32) -> Self {
        RateLimit {
            per_second,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one from the key's allowance, or says how long until one is free.
    pub fn take(&self, key: K, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
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

    /// `take`, as the error a caller is answered with (429 with `Retry-After`).
    pub fn check(&self, key: K) -> Result<(), crate::model::AppError> {
        self.take(key, Instant::now())
            .map_err(|wait| crate::model::AppError::RateLimited {
                retry_after_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1),
            })
    }
}

/// The limits on what one client address or one user may make the server do.
pub struct AbuseLimits {
    /// Sign-in, sign-up and password-change attempts per client address.
    pub auth_per_ip: RateLimit<IpAddr>,
    pub chat_starts_per_ip: RateLimit<IpAddr>,
    pub chat_starts_per_user: RateLimit<UserId>,
    pub uploads_per_user: RateLimit<UserId>,
    pub searches_per_user: RateLimit<UserId>,
    trusted_proxies: Vec<IpAddr>,
}

impl AbuseLimits {
    pub fn new(s: &RateLimitSettings, trusted_proxies: Vec<IpAddr>) -> Self {
        AbuseLimits {
            auth_per_ip: RateLimit::per_minute(s.auth_per_ip_per_minute, s.auth_per_ip_per_minute),
            chat_starts_per_ip: RateLimit::per_minute(
                s.chat_starts_per_ip_per_minute,
                s.chat_starts_per_ip_per_minute,
            ),
            chat_starts_per_user: RateLimit::per_minute(
                s.chat_starts_per_user_per_minute,
                s.chat_starts_per_user_per_minute,
            ),
            uploads_per_user: RateLimit::per_minute(
                s.uploads_per_user_per_minute,
                s.uploads_per_user_per_minute,
            ),
            searches_per_user: RateLimit::per_minute(
                s.searches_per_user_per_minute,
                s.searches_per_user_per_minute,
            ),
            trusted_proxies,
        }
    }

    /// The client's address: the peer's, or behind a trusted proxy the nearest address in
    /// `X-Forwarded-For` that is not one of our proxies (the ones further left are the client's
    /// to write, so they prove nothing).
    pub fn client_ip(&self, extensions: &Extensions, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
            .0
            .ip();
        Some(client_ip(peer, headers, &self.trusted_proxies))
    }

    /// Counts one request of a kind limited per address; unknown addresses (no peer: never in
    /// production) are not limited.
    pub fn check_ip(
        limit: &RateLimit<IpAddr>,
        ip: Option<IpAddr>,
    ) -> Result<(), crate::model::AppError> {
        match ip {
            Some(ip) => limit.check(ip),
            None => Ok(()),
        }
    }
}

/// The rule behind `AbuseLimits::client_ip`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    type SendRate = RateLimit<UserId>;

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

    #[test]
    fn a_per_minute_limit_allows_its_burst_then_one_per_interval() {
        let limit: RateLimit<u8> = RateLimit::per_minute(6, 6);
        let t0 = Instant::now();
        for _ in 0..6 {
            assert!(limit.take(1, t0).is_ok());
        }
        let wait = limit.take(1, t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(9) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        assert!(limit.take(1, t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 198.51.100.7".parse().unwrap());
        // From the proxy: the address it saw (rightmost), not what the client wrote before it.
        assert_eq!(
            client_ip(proxy, &h, &[proxy]),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // From anyone else the header is the client's own words.
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(client_ip(peer, &h, &[proxy]), peer);
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }
}
