//! The agents' side of live traces: the long poll of the jobs queued for a host (`GET
//! /api/v1/agents/{host}/traces`) and their answers (`PUT /api/v1/agents/{host}/traces/{id}`).

use super::{call_agents, Agents, Error};
use crate::agent::{TraceAnswer, TraceJob, MAX_TRACE_OUTPUT, MAX_WAIT_S};
use crate::auth::Caller;
use crate::wire;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use northbound_model::error::ErrorBody;

/// The query of the jobs' long poll.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct JobsQuery {
    /// Wait at most this many seconds for a job when none is queued (capped at 60; default 0).
    #[serde(default)]
    wait_s: u64,
}

/// The live traces queued for a host's agent; a long poll.
#[utoipa::path(get, path = "/api/v1/agents/{host}/traces", tag = "agents", operation_id = "getTraceJobs",
    params(("host" = String, Path, description = "The host's name (`--host-label` of its agent)."), JobsQuery),
    responses(
        (status = 200, description = "The jobs queued for the host (each handed out once); empty when none came in time.", body = Vec<TraceJob>),
        (status = 400, description = "The query does not decode.", body = ErrorBody),
        (status = 403, description = "The caller is not the host's agent (or an admin).", body = ErrorBody),
        (status = 404, description = "Hidden from the caller's role.", body = ErrorBody),
    ))]
pub(super) async fn jobs(
    State(agents): State<Agents>,
    Extension(caller): Extension<Caller>,
    Path(host): Path<String>,
    query: Result<Query<JobsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<TraceJob>>, Error> {
    caller
        .host(&host)
        .map_err(|d| Error::denied(d, || format!("the traces of host `{host}`")))?;
    let Query(q) = query.map_err(|e| Error::bad_request(format!("invalid query: {e}")))?;
    let mut changes = agents.trace_job_changes();
    let deadline =
        tokio::time::Instant::now() + std::time::Duration::from_secs(q.wait_s.min(MAX_WAIT_S));
    loop {
        changes.borrow_and_update();
        let h = host.clone();
        let jobs = call_agents(&agents, move |a| a.trace_jobs(&h)).await?;
        if !jobs.is_empty() {
            return Ok(Json(jobs));
        }
        // A timeout or a closed channel both mean: answer with nothing.
        if tokio::time::timeout_at(deadline, changes.changed())
            .await
            .map_or(true, |r| r.is_err())
        {
            return Ok(Json(Vec::new()));
        }
    }
}

/// A host's agent's answer to a live trace.
#[utoipa::path(put, path = "/api/v1/agents/{host}/traces/{id}", tag = "agents", operation_id = "putTraceAnswer",
    params(
        ("host" = String, Path, description = "The host's name (`--host-label` of its agent)."),
        ("id" = u64, Path, description = "The job's id."),
    ),
    request_body(content = TraceAnswer, description = "What `ovs-appctl ofproto/trace` printed."),
    responses(
        (status = 204, description = "The answer was taken."),
        (status = 400, description = "The body does not decode or is too long, or no such job of this host is awaited.", body = ErrorBody),
        (status = 403, description = "The caller is not the host's agent (or an admin).", body = ErrorBody),
        (status = 404, description = "Hidden from the caller's role.", body = ErrorBody),
    ))]
pub(super) async fn answer(
    State(agents): State<Agents>,
    Extension(caller): Extension<Caller>,
    Path((host, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, Error> {
    caller
        .host(&host)
        .map_err(|d| Error::denied(d, || format!("the traces of host `{host}`")))?;
    let id: u64 = id
        .parse()
        .map_err(|_| Error::bad_request(format!("invalid trace id `{id}`")))?;
    let answer: TraceAnswer = wire::decode(&body)
        .map_err(|e| Error::bad_request(format!("invalid trace answer: {e}")))?;
    if answer.output.len() > MAX_TRACE_OUTPUT {
        return Err(Error::bad_request(format!(
            "invalid trace answer: output longer than {MAX_TRACE_OUTPUT} bytes"
        )));
    }
    call_agents(&agents, move |a| a.trace_answer(&host, id, answer)).await??;
    Ok(StatusCode::NO_CONTENT)
}
