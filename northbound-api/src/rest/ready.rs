//! Whether an endpoint a host's agent just plugged in is usable (`GET
//! /api/v1/agents/{host}/ready`): a long poll that answers once netmaster's switches hold it,
//! so that `netplugin attach` and CNI ADD return a container that can talk at once.

use super::{call_agents, Agents, Error};
use crate::agent::{EndpointReadiness, MAX_READY_WAIT_MS};
use crate::auth::Caller;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use northbound_model::error::ErrorBody;
use std::time::Duration;

/// How often a waiting poll looks again.
const RECHECK: Duration = Duration::from_millis(2);

/// The query of the readiness long poll.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ReadyQuery {
    /// The endpoint's key (`tenant:container`).
    endpoint: String,
    /// Wait at most this many milliseconds for it to be usable (capped at 10,000; default 0).
    #[serde(default)]
    wait_ms: u64,
}

/// Whether an endpoint plugged in on a host is usable; a long poll.
#[utoipa::path(get, path = "/api/v1/agents/{host}/ready", tag = "agents", operation_id = "getEndpointReadiness",
    params(("host" = String, Path, description = "The host's name (`--host-label` of its agent)."), ReadyQuery),
    responses(
        (status = 200, description = "Whether the endpoint is usable, as soon as it is or when the wait is over.", body = EndpointReadiness),
        (status = 400, description = "The query does not decode.", body = ErrorBody),
        (status = 403, description = "The caller is not the host's agent (or an admin).", body = ErrorBody),
        (status = 404, description = "Hidden from the caller's role.", body = ErrorBody),
    ))]
pub(super) async fn ready(
    State(agents): State<Agents>,
    Extension(caller): Extension<Caller>,
    Path(host): Path<String>,
    query: Result<Query<ReadyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<EndpointReadiness>, Error> {
    caller
        .host(&host)
        .map_err(|d| Error::denied(d, || format!("the endpoints of host `{host}`")))?;
    let Query(q) = query.map_err(|e| Error::bad_request(format!("invalid query: {e}")))?;
    let deadline =
        tokio::time::Instant::now() + Duration::from_millis(q.wait_ms.min(MAX_READY_WAIT_MS));
    let mut since = None;
    loop {
        let (h, key) = (host.clone(), q.endpoint.clone());
        let now = call_agents(&agents, move |a| a.endpoint_readiness(&h, &key, since)).await?;
        if now.ready || tokio::time::Instant::now() >= deadline {
            return Ok(Json(now));
        }
        since = now.snapshot;
        tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + RECHECK)).await;
    }
}
