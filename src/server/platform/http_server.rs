//! The accept loop: every connection is served by hyper's HTTP/1 server with the app's router.
//!
//! `axum::serve` would do the same through hyper-util's protocol-sniffing connection, which reads
//! the first bytes on their own and hands them back as a separate short read; hyper then grows
//! its read buffer from 8 KiB to 16 KiB on every connection. Thousands of idle long-polls each
//! hold a connection, so serving HTTP/1 directly keeps them at one 8 KiB buffer. This module
//! also sets `TCP_NODELAY` (small request/answer pairs must not wait for Nagle's algorithm), a
//! timeout for reading request heads, caps open connections (in all and per address), cuts a
//! request body that stops arriving, tells handlers the peer's address, and drains open
//! connections on shutdown.

use crate::server::platform::body_idle::IdleBody;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// A client must send its request head within this time (slow-loris protection).
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// The limits applied to connections.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// Open connections in all.
    pub max_total: usize,
    /// Open connections from one address (trusted proxies are exempt).
    pub max_per_ip: usize,
    /// A request body that sends nothing for this long is cut off.
    pub body_idle: Duration,
    /// Addresses of reverse proxies: their connections carry many users.
    pub trusted_proxies: Arc<[IpAddr]>,
}

/// Open connections, in all and per address.
#[derive(Default)]
struct Open {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was refused, for the log.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Total,
    PerIp,
}

/// The rule: may a connection from `ip` open now?
fn admit(open: &Open, ip: IpAddr, limits: &ConnectionLimits) -> Result<(), Refusal> {
    if open.total >= limits.max_total {
        return Err(Refusal::Total);
    }
    let from_ip = open.per_ip.get(&ip).copied().unwrap_or(0);
    if from_ip >= limits.max_per_ip && !limits.trusted_proxies.contains(&ip) {
        return Err(Refusal::PerIp);
    }
    Ok(())
}

/// Counts a connection while it is open.
struct Slot {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Slot {
    fn take(
        open: &Arc<Mutex<Open>>,
        ip: IpAddr,
        limits: &ConnectionLimits,
    ) -> Result<Slot, Refusal> {
        let mut o = open.lock().unwrap_or_else(|p| p.into_inner());
        admit(&o, ip, limits)?;
        o.total += 1;
        *o.per_ip.entry(ip).or_default() += 1;
        Ok(Slot {
            open: open.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut o = self.open.lock().unwrap_or_else(|p| p.into_inner());
        o.total = o.total.saturating_sub(1);
        if let Some(n) = o.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                o.per_ip.remove(&self.ip);
            }
        }
    }
}

/// Serves until `shutdown` resolves, then stops accepting and waits for the open connections to
/// finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let connections = GracefulShutdown::new();
    let open = Arc::new(Mutex::new(Open::default()));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = match Slot::take(&open, peer.ip(), &limits) {
            Ok(slot) => slot,
            Err(why) => {
                // Closed at once: a client over the cap gets a reset, not a slot.
                tracing::warn!(peer = %peer.ip(), limit = ?why, "connection refused: too many open");
                drop(tcp);
                continue;
            }
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
        let idle = limits.body_idle;
        let service =
            router
                .clone()
                .map_request(move |req: hyper::Request<hyper::body::Incoming>| {
                    let mut req = req.map(|body| IdleBody::new(body, idle));
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service));
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    connections.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            max_total: 3,
            max_per_ip: 2,
            body_idle: Duration::from_secs(1),
            trusted_proxies: Arc::from(vec!["10.0.0.1".parse::<IpAddr>().expect("ip")]),
        }
    }

    #[test]
    fn connections_are_capped_per_address_and_in_all() {
        let open = Arc::new(Mutex::new(Open::default()));
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        let s1 = Slot::take(&open, a, &limits()).expect("first");
        let _s2 = Slot::take(&open, a, &limits()).expect("second");
        assert_eq!(Slot::take(&open, a, &limits()).err(), Some(Refusal::PerIp));
        let _s3 = Slot::take(&open, b, &limits()).expect("other address");
        assert_eq!(Slot::take(&open, b, &limits()).err(), Some(Refusal::Total));
        drop(s1);
        assert!(
            Slot::take(&open, a, &limits()).is_ok(),
            "a closed connection frees its slot"
        );
    }

    #[test]
    fn a_trusted_proxy_is_not_capped_per_address() {
        let open = Arc::new(Mutex::new(Open::default()));
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let _held: Vec<Slot> = (0..3)
            .map(|_| Slot::take(&open, proxy, &limits()).expect("proxy"))
            .collect();
        assert_eq!(
            Slot::take(&open, proxy, &limits()).err(),
            Some(Refusal::Total)
        );
    }
}
