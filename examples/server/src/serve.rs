//! The accept loop. `axum::serve` has no header read timeout and no cap on
//! connections, so a client that opens connections and sends a header a
//! byte at a time holds file descriptors forever. Here each connection is
//! driven by hyper's HTTP/1 server with a header read timeout; a semaphore
//! caps open connections (a permit is taken before accepting, as mini-redis
//! does: at the cap the server stops accepting and the kernel's backlog
//! waits); a per-IP cap closes a client's excess connections at once, so
//! one address cannot take every permit. Request bodies get their own
//! timeout in the router ([`crate::router`]).
//!
//! A connection upgraded to a WebSocket leaves this loop (and gives its
//! permit back): sockets are capped per token and per IP by [`crate::ws`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::config::Limits;
use crate::limits::Slots;
use crate::stopped;

/// Pause after a failed `accept` (e.g. out of file descriptors), so the
/// loop does not spin while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `stop` turns true, then lets every
/// connection finish its request in flight and returns.
pub async fn serve(listener: TcpListener, router: Router, limits: &Limits, mut stop: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.min(Semaphore::MAX_PERMITS)));
    let per_ip = Slots::default();
    let header_timeout = Duration::from_millis(limits.header_timeout_ms);
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break, // never closed
            },
            _ = stopped(&mut stop) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        // Small writes (a socket's ack, then the push of the same message)
        // go out at once: with Nagle's algorithm the second waits for the
        // browser's delayed ACK of the first, 40 ms on Linux.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%peer, %err, "TCP_NODELAY not set");
        }
        let Some(slot) = per_ip.take(peer.ip().to_string(), limits.connections_per_ip) else {
            tracing::debug!(%peer, "too many connections from this address: closed");
            continue; // dropping the stream closes it
        };
        let service = router.clone().map_request(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            req
        });
        let mut stop = stop.clone();
        connections.spawn(async move {
            let _held = (permit, slot);
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .with_upgrades();
            tokio::pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                _ = stopped(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(err) = result {
                tracing::debug!(%peer, %err, "connection ended with an error");
            }
        });
    }
    while connections.join_next().await.is_some() {}
}
