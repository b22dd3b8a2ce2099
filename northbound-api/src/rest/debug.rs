//! The debugging routes: a switch's flows with their owners (`GET /api/v1/flows`) and packet
//! traces through the compiled pipeline (`POST /api/v1/trace`).

use super::{Error, Oper};
use crate::auth::Caller;
use crate::model::Kind;
use crate::oper::{OperError, SwitchFlows, SwitchSelector, TraceReport, TraceRequest};
use crate::wire;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use northbound_model::error::ErrorBody;

/// Longest owner filter taken, in characters (longer than any key).
const MAX_OWNER_LEN: usize = 512;

impl From<OperError> for Error {
    fn from(e: OperError) -> Error {
        let status = match &e {
            OperError::Invalid(_) => StatusCode::BAD_REQUEST,
            OperError::NotFound(_) => StatusCode::NOT_FOUND,
            OperError::Switch(_) => StatusCode::BAD_GATEWAY,
            OperError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Error(status, e.to_string())
    }
}

/// The query of `GET /api/v1/flows`: exactly one of `switch` and `host`.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct FlowsQuery {
    /// The switch's datapath id, `0x`-prefixed hexadecimal or decimal.
    switch: Option<String>,
    /// The host whose switch to read (its agent's `--host-label`).
    host: Option<String>,
    /// Only the flows of this owner: a kind (`basePipeline`, `network`, `endpoint`, `group`,
    /// `rule`, `qos`, `gateway`, `multicast`, `packetIn`, `foreign`, ...), an object's key, or
    /// a key prefix ending before a `:` (a tenant, a policy).
    #[param(max_length = 512)]
    owner: Option<String>,
}

/// A datapath id in hexadecimal (`0x2a`) or decimal.
fn parse_dpid(text: &str) -> Result<u64, Error> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| {
        Error::bad_request(format!(
            "invalid query: switch `{text}` is no datapath id (0x-prefixed hexadecimal or decimal)"
        ))
    })
}

/// A switch's flows as it holds them now, each with the object it was compiled from.
#[utoipa::path(get, path = "/api/v1/flows", tag = "operations", operation_id = "flows",
    params(FlowsQuery),
    responses(
        (status = 200, description = "The switch's flows, read from it now, with their owners.", body = SwitchFlows),
        (status = 400, description = "The query names no switch, two, or a malformed one.", body = ErrorBody),
        (status = 403, description = "Only an admin reads a switch's flows.", body = ErrorBody),
        (status = 404, description = "No such host, or its switch is not connected.", body = ErrorBody),
        (status = 502, description = "The switch did not answer the flow-stats request.", body = ErrorBody),
    ))]
pub(super) async fn flows(
    State(oper): State<Oper>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<FlowsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SwitchFlows>, Error> {
    caller
        .admin()
        .map_err(|d| Error::denied(d, || "the flows of a switch".into()))?;
    let Query(q) = query.map_err(|e| Error::bad_request(format!("invalid query: {e}")))?;
    let switch = match (q.switch, q.host) {
        (Some(dpid), None) => SwitchSelector::Dpid(parse_dpid(&dpid)?),
        (None, Some(host)) => SwitchSelector::Host(host),
        _ => {
            return Err(Error::bad_request(
                "invalid query: give exactly one of `switch` (a datapath id) and `host`".into(),
            ))
        }
    };
    if q.owner
        .as_ref()
        .is_some_and(|o| o.chars().count() > MAX_OWNER_LEN)
    {
        return Err(Error::bad_request(format!(
            "invalid query: `owner` is longer than {MAX_OWNER_LEN} characters"
        )));
    }
    Ok(Json(oper.flows(switch, q.owner).await?))
}

/// Traces a packet from an endpoint through the compiled pipeline of the switches on its way.
#[utoipa::path(post, path = "/api/v1/trace", tag = "operations", operation_id = "trace",
    request_body = TraceRequest,
    responses(
        (status = 200, description = "Every switch, table and flow the packet went through, and the verdict.", body = TraceReport),
        (status = 400, description = "The body does not decode, or the packet cannot be built.", body = ErrorBody),
        (status = 403, description = "The caller's role may not read the tenant.", body = ErrorBody),
        (status = 404, description = "No such tenant or endpoint, or the sender is not on a switch.", body = ErrorBody),
    ))]
pub(super) async fn trace(
    State(oper): State<Oper>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<TraceReport>, Error> {
    let request = decode_trace(&body)?;
    let tenant = request.tenant.clone();
    caller
        .read(Kind::Tenant, &tenant)
        .map_err(|d| Error::denied(d, || super::named(Kind::Tenant, &tenant)))?;
    Ok(Json(oper.trace(request).await?))
}

/// A trace request's body, checked (a 400 naming the problem).
fn decode_trace(body: &[u8]) -> Result<TraceRequest, Error> {
    let request: TraceRequest =
        wire::decode(body).map_err(|e| Error::bad_request(format!("invalid trace: {e}")))?;
    if request.dport == Some(0) || request.sport == Some(0) {
        return Err(Error::bad_request(
            "invalid trace: port 0 is no TCP or UDP port".into(),
        ));
    }
    Ok(request)
}

/// Decodes and runs a trace for a caller who may read every tenant (the console's admins).
pub(crate) async fn run_trace(oper: &Oper, body: &[u8]) -> Result<TraceReport, Error> {
    Ok(oper.trace(decode_trace(body)?).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datapath_ids_are_hex_or_decimal() {
        assert_eq!(parse_dpid("0x2a").unwrap(), 42);
        assert_eq!(parse_dpid("0XFF").unwrap(), 255);
        assert_eq!(parse_dpid("42").unwrap(), 42);
        for bad in ["", "0x", "x2a", "-1", "0x1ffffffffffffffff", "2a"] {
            assert!(parse_dpid(bad).is_err(), "{bad}");
        }
    }
}
