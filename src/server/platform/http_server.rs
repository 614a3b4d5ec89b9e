//! The accept loop: every connection is served by hyper's HTTP/1 server with the app's router.
//!
//! `axum::serve` would do the same through hyper-util's protocol-sniffing connection, which reads
//! the first bytes on their own and hands them back as a separate short read; hyper then grows
//! its read buffer from 8 KiB to 16 KiB on every connection. Thousands of idle long-polls each
//! hold a connection, so serving HTTP/1 directly keeps them at one 8 KiB buffer. This module
//! also sets `TCP_NODELAY` (small request/answer pairs must not wait for Nagle's algorithm), a
//! timeout for reading request heads, and drains open connections on shutdown.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;

/// A client must send its request head within this time (slow-loris protection).
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves until `shutdown` resolves, then stops accepting and waits for the open connections to
/// finish their requests.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    let connections = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(router.clone()));
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    connections.shutdown().await;
}
