//! Docker's network and IPAM driver (`netplugin --docker-plugin`): Docker's plugin protocol
//! (HTTP POSTs of JSON) on a unix socket in `/run/docker/plugins/`, where the daemon finds
//! plugins by name; the socket `netplugin.sock` makes the driver `netplugin`.
//!
//! ```text
//! docker network create -d netplugin --ipam-driver netplugin \
//!     --subnet 10.1.0.0/24 -o tenant=acme -o network=web web
//! docker run --net=web ...
//! ```
//! * `RequestPool` (IPAM) grants a pool of the subnet (`--subnet`, or the subnet of the network
//!   `--ipam-opt tenant= --ipam-opt network=` names); `CreateNetwork` binds the Docker network
//!   to netmaster network `tenant:network` (`-o`; tenant `default` when not given) and takes
//!   that pool (see [`state`]). A network netmaster lacks is created with the subnet and
//!   gateway given to Docker, when the agent has a token that may create networks
//!   (`--docker-network-token-file`); an existing one must have the same subnet and gateway.
//! * `RequestAddress` creates the container's endpoint in netmaster (`docker-<12 hex
//!   digits>`, bound to this host; the address netmaster's IPAM allocates, or the one of
//!   `docker run --ip`); `CreateEndpoint` answers its MAC address (or gives netmaster the one
//!   of `--mac-address`); `Join` makes a veth pair whose host end is the endpoint's port on the
//!   bridge and whose other end Docker moves into the container as `ethN`, with the
//!   network's gateway and an on-link route to the DNS address; `Leave` removes them;
//!   `ReleaseAddress` deletes the endpoint in netmaster.
//! * Deleting the Docker network forgets the binding; the netmaster network stays (other
//!   hosts' Docker networks may be bound to it).
//!
//! Calls are handled one at a time; a request body is at most [`MAX_BODY`] and a call takes at
//! most [`CALL_TIMEOUT`]. The socket is root's only (mode 0600), as Docker's own.

pub mod calls;
pub mod protocol;
pub mod state;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
pub use calls::{CallError, Driver};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UnixListener;

/// Where Docker looks for the sockets of plugins.
pub const PLUGIN_DIR: &str = "/run/docker/plugins";
/// The default socket: the driver `netplugin`.
pub const DEFAULT_SOCKET: &str = "/run/docker/plugins/netplugin.sock";
/// Where the driver keeps its state by default.
pub const DEFAULT_STATE: &str = "/var/lib/netplugin/docker-driver.json";
/// The largest request body.
pub const MAX_BODY: usize = 64 * 1024;
/// The longest a call may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The plugin protocol's router for `driver`.
pub fn router(driver: Arc<Driver>) -> Router {
    Router::new()
        .route("/{call}", post(answer))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(driver)
}

async fn answer(
    State(driver): State<Arc<Driver>>,
    Path(call): Path<String>,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let start = std::time::Instant::now();
    let result = tokio::time::timeout(CALL_TIMEOUT, driver.call(&call, &body)).await;
    tracing::debug!(%call, ms = start.elapsed().as_secs_f64() * 1e3, "Docker driver call");
    let error = |status, err: String| {
        tracing::warn!(%call, error = %err, "Docker driver call failed");
        (
            status,
            Json(serde_json::to_value(protocol::ErrorAnswer { err }).expect("errors serialize")),
        )
    };
    match result {
        Ok(Ok(value)) => (StatusCode::OK, Json(value)),
        Ok(Err(e)) if e.is_callers() => error(StatusCode::BAD_REQUEST, e.to_string()),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(_) => error(
            StatusCode::GATEWAY_TIMEOUT,
            format!("{call}: no answer within {CALL_TIMEOUT:?}"),
        ),
    }
}

/// Serves `driver` on `listener` until the task is dropped.
pub async fn serve(listener: UnixListener, driver: Arc<Driver>) {
    if let Err(e) = axum::serve(listener, router(driver)).await {
        tracing::warn!(error = %e, "the Docker driver's socket failed");
    }
}
