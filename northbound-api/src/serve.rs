//! Serving the API on a TCP listener, bounded ([`Limits`]): HTTP/1.1 connections (hyper) with a
//! header read timeout — a client that does not send a whole request head in time, or keeps
//! an idle connection open that long, is disconnected — and a cap on concurrent connections:
//! past it, a connection is answered `503` with a JSON error at once and closed (in clear text,
//! also on a TLS listener: the connection never gets a slot). Request
//! bodies are capped by axum's default body limit (2 MiB).

use crate::auth::attempts::ClientAddr;
use crate::rest::Api;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use northbound_model::error::ErrorBody;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tracing::{debug, warn};

/// How much one client may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a client has to send a request head, counted from when the server waits for
    /// one (also on an idle keep-alive connection).
    pub header_read_timeout: Duration,
    /// Connections served at once; more are answered `503` and closed.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// What a connection past the cap is told.
fn busy() -> Vec<u8> {
    let body = serde_json::to_string(&ErrorBody::new(
        "too many connections: try again in a moment",
    ))
    .expect("an error body serializes");
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `api` on `listener` within `limits` (over TLS with `tls`), until the task is
/// dropped.
pub async fn serve(listener: TcpListener, api: Api, limits: Limits, tls: Option<TlsAcceptor>) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refused = AtomicU64::new(0);
    let busy = busy();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, typically: wait instead of spinning.
                warn!(error = %e, "API accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Never waits: what does not fit in the socket buffer is not sent.
            let _ = stream.try_write(&busy);
            let n = refused.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                warn!(%peer, refused = n, max = limits.max_connections, "API connection refused: too many connections");
            }
            continue;
        };
        let client = ClientAddr(peer.ip());
        let service = TowerToHyperService::new(api.clone().map_request(
            move |r: hyper::Request<Incoming>| {
                let mut r = r.map(axum::body::Body::new);
                r.extensions_mut().insert(client);
                r
            },
        ));
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let builder = {
                let mut b = hyper::server::conn::http1::Builder::new();
                b.timer(TokioTimer::new())
                    .header_read_timeout(limits.header_read_timeout);
                b
            };
            let result = match tls {
                None => {
                    builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                }
                Some(acceptor) => {
                    // The TLS handshake counts against the header timeout.
                    let handshake =
                        tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(tls)) => builder.serve_connection(TokioIo::new(tls), service).await,
                        Ok(Err(e)) => {
                            debug!(%peer, error = %e, "API TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            debug!(%peer, "API TLS handshake timed out");
                            return;
                        }
                    }
                }
            };
            if let Err(e) = result {
                debug!(%peer, error = %e, "API connection ended");
            }
        });
    }
}
