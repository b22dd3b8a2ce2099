//! The REST API over an [`IntentService`] (Contiv netmaster's paths) and an [`AgentService`]
//! (the host reports of the agents).
//!
//! | method | path | does |
//! |---|---|---|
//! | `GET` | `/api/v1/{collection}/` | every object of the collection, sorted by key (JSON array) |
//! | `GET` | `/api/v1/{collection}/{key}/` | one object (404 if absent) |
//! | `POST`, `PUT` | `/api/v1/{collection}/{key}/` | creates or replaces the object in the body; returns it as stored |
//! | `DELETE` | `/api/v1/{collection}/{key}/` | deletes the object (204) |
//! | `POST` | `/api/v1/batch` | applies a [`Batch`] all-or-nothing; returns the stored upserts |
//! | `GET` | `/api/v1/inspect/endpoints/` | every endpoint with its allocated addresses |
//! | `GET` | `/api/v1/inspect/{collection}/{key}/` | Contiv's inspect, [`Inspect`]: `{"Config": object, "Oper": {...}}`, the object's intent and its operational state (404 if absent) |
//! | `GET` | `/version`, `/info` | Contiv's: the build that answers ([`VersionInfo`]), this netmaster and its agents ([`NetmasterInfo`]) |
//! | `GET` | `/api/v1/openapi.json` | the OpenAPI 3.1 document of this API, generated from the code (`rest/openapi.rs`) |
//! | `GET` | `/api/v1/audit/` | [`Audit`]: every switch's sync state against the latest compiled snapshot |
//! | `GET` | `/api/v1/flows/?switch=DPID\|host=NAME[&owner=OBJ]` | [`SwitchFlows`](crate::oper::SwitchFlows): the switch's flows read from it now, each with its owner |
//! | `POST` | `/api/v1/trace` | [`TraceReport`](crate::oper::TraceReport): a packet traced through the compiled pipeline of the switches on its way |
//! | `PUT` | `/api/v1/agents/{host}/` | replaces the host's [`HostReport`] (the body); returns it |
//! | `GET` | `/api/v1/agents/` | every host's latest report, as a JSON object by host name |
//! | `GET` | `/api/v1/agents/{host}/` | one host's latest report (404 if it never reported) |
//! | `GET` | `/api/v1/agents/{host}/directives/?after=V&waitS=S` | the ports netmaster wants on the host ([`HostDirectives`]); long poll until the version is past `V` (at most `S` s) |
//! | `GET` | `/api/v1/agents/{host}/ready/?endpoint=KEY&waitMs=M` | whether an endpoint plugged in on the host is usable ([`EndpointReadiness`](crate::agent::EndpointReadiness)): every switch concerned holds it; long poll until it is (at most `M` ms) |
//! | `GET` | `/api/v1/agents/{host}/traces/?waitS=S` | the live traces queued for the host's agent ([`TraceJob`](crate::agent::TraceJob)s, each handed out once); long poll of at most `S` s |
//! | `PUT` | `/api/v1/agents/{host}/traces/{id}/` | the agent's answer ([`TraceAnswer`](crate::agent::TraceAnswer)): what `ofproto/trace` printed (204) |
//!
//! Collections are [`Kind::collection`] names (`globals`, `tenants`, `networks`,
//! `endpointGroups`, `endpoints`, `hosts`); keys are `tenant:name` for tenant objects. Every path
//! works with or without the trailing slash (routes are registered without it, and
//! [`NormalizePath`] trims it from the request). An object's body is its own fields (see
//! [`crate::wire`]); the key in the path must be the body's key.
//!
//! Errors are `{"error": "<message>"}`. Only this layer chooses HTTP statuses: an
//! [`IntentError`] or [`ReportRefused`] is a 400 (invalid), 404 (not found), 409 (conflict) or
//! 500 (store); a malformed body is a 400 naming the problem and the field (unknown or
//! missing field, wrong type, a bad address, with line and column); an unknown
//! collection or path is a 404. The services are called on tokio's blocking pool, since
//! they are synchronous and [`IntentService`] may write to disk.

mod debug;
mod follower;
mod live;
mod openapi;
mod ready;

pub(crate) use debug::run_trace;

use crate::agent::{AgentService, HostDirectives, HostReport, ReportRefused, MAX_WAIT_S};
use crate::auth::{self, Access, Caller, Denied};
use crate::console::{self, Console, Rejections};
use crate::model::{Endpoint, IntentObject, Kind, Object};
use crate::oper::{Audit, Inspect, NetmasterInfo, OperService, VersionInfo};
use crate::service::{Batch, IntentError, IntentService};
use crate::wire;
use axum::body::Bytes;
use axum::extract::{FromRef, OriginalUri, Path, Query, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use northbound_model::error::ErrorBody;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::util::MapRequest;
use tower::Layer;
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};

type Svc = Arc<dyn IntentService>;
type Agents = Arc<dyn AgentService>;
type Oper = Arc<dyn OperService>;

/// The services the API is a front of.
#[derive(Clone)]
pub struct Services {
    /// The intent.
    pub intent: Arc<dyn IntentService>,
    /// The agents' reports and directives.
    pub agents: Arc<dyn AgentService>,
    /// Operational state.
    pub oper: Arc<dyn OperService>,
}

impl FromRef<Services> for Oper {
    fn from_ref(s: &Services) -> Oper {
        s.oper.clone()
    }
}

impl FromRef<Services> for Svc {
    fn from_ref(s: &Services) -> Svc {
        s.intent.clone()
    }
}

impl FromRef<Services> for Agents {
    fn from_ref(s: &Services) -> Agents {
        s.agents.clone()
    }
}

/// The `/api/v1` service: the router behind [`NormalizePath`], which trims a trailing slash
/// before routing (so every route is registered once and answers with and without it), and a
/// map that first keeps the request's [`OriginalUri`] (which error messages name).
///
/// It is a `tower` service of HTTP requests; serve it with
/// `axum::serve(listener, axum::ServiceExt::<axum::extract::Request>::into_make_service(api))`.
pub type Api = MapRequest<NormalizePath<Router>, fn(Request) -> Request>;

/// The `/api/v1` service over the intent, agent and operational-state services, every
/// request authenticated by `access` ([`auth::authenticate`]).
pub fn router(services: Services, access: Access) -> Api {
    let rejections = Arc::new(Rejections::default());
    let document: Arc<str> = openapi::document(&access)
        .to_json()
        .expect("the OpenAPI document serializes")
        .into();
    let router = Router::new()
        .route(
            openapi::PATH,
            get(move || std::future::ready(json_text(document.clone()))),
        )
        .route("/api/v1/agents", get(list_reports))
        .route("/api/v1/agents/{host}", get(get_report).put(put_report))
        .route("/api/v1/agents/{host}/directives", get(get_directives))
        .route("/api/v1/agents/{host}/ready", get(ready::ready))
        .route("/api/v1/agents/{host}/traces", get(live::jobs))
        .route(
            "/api/v1/agents/{host}/traces/{id}",
            axum::routing::put(live::answer),
        )
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/batch", post(batch))
        .route("/api/v1/flows", get(debug::flows))
        .route("/api/v1/inspect/endpoints", get(inspect_endpoints))
        .route("/api/v1/inspect/{collection}/{key}", get(inspect))
        .route("/metrics", get(metrics))
        .route("/version", get(version))
        .route("/info", get(info))
        .route("/api/v1/trace", post(debug::trace))
        .route("/api/v1/{collection}", get(list))
        .route(
            "/api/v1/{collection}/{key}",
            get(get_object).post(upsert).put(upsert).delete(delete),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(services.clone())
        .merge(
            console::routes().with_state(Console::new(services.oper.clone(), rejections.clone())),
        )
        .layer(axum::middleware::from_fn_with_state(
            services.oper.clone(),
            follower::forward_writes,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            services.oper,
            count_request,
        ))
        .layer(axum::middleware::from_fn_with_state(
            access,
            auth::authenticate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            rejections,
            console::record,
        ));
    let normalized = NormalizePathLayer::trim_trailing_slash().layer(router);
    MapRequest::new(normalized, keep_original_uri as fn(Request) -> Request)
}

/// A JSON document already serialized.
fn json_text(text: Arc<str>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        text.to_string(),
    )
        .into_response()
}

/// Records the URI as the client sent it, before [`NormalizePath`] trims it (the router keeps
/// an [`OriginalUri`] that is already there).
fn keep_original_uri(mut request: Request) -> Request {
    let uri = OriginalUri(request.uri().clone());
    request.extensions_mut().insert(uri);
    request
}

/// An error response: `{"error": message}` with a status (the console's answers too).
#[derive(Debug)]
pub(crate) struct Error(pub(crate) StatusCode, pub(crate) String);

impl Error {
    fn bad_request(message: String) -> Error {
        Error(StatusCode::BAD_REQUEST, message)
    }

    fn not_found(message: String) -> Error {
        Error(StatusCode::NOT_FOUND, message)
    }
}

impl From<IntentError> for Error {
    fn from(e: IntentError) -> Error {
        let status = match &e {
            IntentError::Invalid(_) => StatusCode::BAD_REQUEST,
            IntentError::NotFound(_) => StatusCode::NOT_FOUND,
            IntentError::Conflict(_) => StatusCode::CONFLICT,
            IntentError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            IntentError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        Error(status, e.to_string())
    }
}

impl From<ReportRefused> for Error {
    fn from(e: ReportRefused) -> Error {
        let status = match &e {
            ReportRefused::Invalid(_) => StatusCode::BAD_REQUEST,
            ReportRefused::Conflict(_) => StatusCode::CONFLICT,
            ReportRefused::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Error(status, e.to_string())
    }
}

impl Error {
    /// The answer to a caller who may not do something to `what` (`collection `key``): a
    /// hidden object is answered as a missing one.
    fn denied(d: Denied, what: impl FnOnce() -> String) -> Error {
        match d {
            Denied::Hidden => Error::not_found(format!("{} not found", what())),
            Denied::Forbidden(why) => Error(StatusCode::FORBIDDEN, why.to_string()),
        }
    }
}

/// `collection `key`` (how errors name an object).
fn named(kind: Kind, key: &str) -> String {
    format!("{} `{key}`", kind.collection())
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody::new(self.1))).into_response()
    }
}

/// Runs `f` on the service in tokio's blocking pool.
async fn call<T: Send + 'static>(
    svc: &Svc,
    f: impl FnOnce(&dyn IntentService) -> T + Send + 'static,
) -> Result<T, Error> {
    blocking(svc.clone(), "intent service", f).await
}

/// Runs `f` on `service` in tokio's blocking pool; a 500 naming `what` if it panicked.
async fn blocking<S: ?Sized + Send + Sync + 'static, T: Send + 'static>(
    service: Arc<S>,
    what: &'static str,
    f: impl FnOnce(&S) -> T + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(move || f(&service))
        .await
        .map_err(|e| {
            Error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("{what} failed: {e}"),
            )
        })
}

/// Contiv's collections of objects netplugin does not have, and what they are.
const CONTIV_UNSUPPORTED: [(&str, &str); 7] = [
    ("appProfiles", "application profiles (Cisco ACI)"),
    (
        "extContractsGroups",
        "external contracts groups (Cisco ACI)",
    ),
    ("aciGws", "ACI gateway settings (Cisco ACI)"),
    ("Bgps", "BGP peerings (Contiv's L3 routing mode)"),
    ("serviceLBs", "service load balancers"),
    ("volumes", "volumes (contiv/volplugin)"),
    ("volumeProfiles", "volume profiles (contiv/volplugin)"),
];

/// The kind of a collection name; a 400 for Contiv's collections netplugin does not support;
/// a 404 listing the collections for any other.
fn kind(collection: &str) -> Result<Kind, Error> {
    let unsupported = CONTIV_UNSUPPORTED
        .iter()
        .find(|(name, _)| *name == collection);
    if let Some((name, what)) = unsupported {
        return Err(Error::bad_request(format!(
            "Contiv's {what} (`{name}`) are not supported by netplugin"
        )));
    }
    Kind::from_collection(collection).ok_or_else(|| {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.collection()).collect();
        Error::not_found(format!(
            "unknown collection `{collection}` (known: {})",
            known.join(", ")
        ))
    })
}

async fn list(
    State(svc): State<Svc>,
    Extension(caller): Extension<Caller>,
    Path(collection): Path<String>,
) -> Result<Json<Value>, Error> {
    let kind = kind(&collection)?;
    list_kind(&svc, &caller, kind).await
}

/// Every object of `kind` the caller sees, as JSON.
async fn list_kind(svc: &Svc, caller: &Caller, kind: Kind) -> Result<Json<Value>, Error> {
    let scope = caller
        .list(kind)
        .map_err(|d| Error::denied(d, || kind.collection().to_string()))?;
    let objects = call(svc, move |s| s.list(kind)).await?;
    Ok(Json(Value::Array(
        objects
            .iter()
            .filter(|o| scope.contains(kind, &o.key()))
            .map(wire::to_value)
            .collect(),
    )))
}

async fn get_object(
    State(svc): State<Svc>,
    Extension(caller): Extension<Caller>,
    Path((collection, key)): Path<(String, String)>,
) -> Result<Json<Value>, Error> {
    let kind = kind(&collection)?;
    caller
        .read(kind, &key)
        .map_err(|d| Error::denied(d, || named(kind, &key)))?;
    one(&svc, kind, key).await
}

/// One object as JSON, or a 404 naming it.
async fn one(svc: &Svc, kind: Kind, key: String) -> Result<Json<Value>, Error> {
    let what = named(kind, &key);
    match call(svc, move |s| s.get(kind, &key)).await? {
        Some(object) => Ok(Json(wire::to_value(&object))),
        None => Err(Error::not_found(format!("{what} not found"))),
    }
}

async fn upsert(
    State(svc): State<Svc>,
    Extension(caller): Extension<Caller>,
    Path((collection, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, Error> {
    let kind = kind(&collection)?;
    // An agent's endpoint writes are judged by the endpoint (below); the others' at once.
    let agent_endpoint = kind == Kind::Endpoint && matches!(caller.0, auth::Role::Agent(_));
    if !agent_endpoint {
        caller
            .write(kind, &key)
            .map_err(|d| Error::denied(d, || named(kind, &key)))?;
    }
    let object = wire::from_slice(kind, &body)
        .map_err(|e| Error::bad_request(format!("invalid {collection} body: {e}")))?;
    if object.key() != key {
        return Err(Error::bad_request(format!(
            "key `{key}` in the path does not match the body's key `{}`",
            object.key()
        )));
    }
    if let (true, Object::Endpoint(new)) = (agent_endpoint, &object) {
        let existing = existing_endpoint(&svc, &key).await?;
        caller
            .write_endpoint(&key, Some(new), existing.as_ref())
            .map_err(|d| Error::denied(d, || named(kind, &key)))?;
    }
    let batch = Batch {
        upserts: vec![object],
        ..Batch::default()
    };
    let stored = call(&svc, move |s| s.apply(batch)).await??;
    match stored
        .into_iter()
        .find(|o| o.kind() == kind && o.key() == key)
    {
        Some(object) => Ok(Json(wire::to_value(&object))),
        None => one(&svc, kind, key).await,
    }
}

async fn delete(
    State(svc): State<Svc>,
    Extension(caller): Extension<Caller>,
    Path((collection, key)): Path<(String, String)>,
) -> Result<StatusCode, Error> {
    let kind = kind(&collection)?;
    if kind == Kind::Endpoint && matches!(caller.0, auth::Role::Agent(_)) {
        let existing = existing_endpoint(&svc, &key).await?;
        caller
            .write_endpoint(&key, None, existing.as_ref())
            .map_err(|d| Error::denied(d, || named(kind, &key)))?;
    } else {
        caller
            .write(kind, &key)
            .map_err(|d| Error::denied(d, || named(kind, &key)))?;
    }
    let batch = Batch {
        deletes: vec![(kind, key)],
        ..Batch::default()
    };
    call(&svc, move |s| s.apply(batch)).await??;
    Ok(StatusCode::NO_CONTENT)
}

/// Endpoint `key` as intent has it now (the check of an agent's write looks at it; a write
/// between this read and the change is not seen).
async fn existing_endpoint(svc: &Svc, key: &str) -> Result<Option<Endpoint>, Error> {
    let key = key.to_string();
    Ok(
        match call(svc, move |s| s.get(Kind::Endpoint, &key)).await? {
            Some(Object::Endpoint(e)) => Some(e),
            _ => None,
        },
    )
}

/// Applies a batch of changes all-or-nothing.
#[utoipa::path(post, path = "/api/v1/batch", tag = "intent", operation_id = "applyBatch",
    request_body(content = Batch, description = "Objects to create or replace, objects to delete, and whether every other object is deleted (`replace`)."),
    responses(
        (status = 200, description = "The batch was applied; the upserted objects as stored (with allocations).", body = Vec<IntentObject>),
        (status = 400, description = "The body does not decode (naming the field), or a change is invalid; nothing was applied.", body = ErrorBody),
        (status = 403, description = "The caller may not change one of the objects (or replace the desired state).", body = ErrorBody),
        (status = 404, description = "A change names an object that does not exist (or one the caller does not see).", body = ErrorBody),
        (status = 409, description = "A change conflicts with what exists (an address or tag taken, an object in use).", body = ErrorBody),
    ))]
async fn batch(
    State(svc): State<Svc>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Vec<Object>>, Error> {
    let batch = wire::batch_from_slice(&body)
        .map_err(|e| Error::bad_request(format!("invalid batch: {e}")))?;
    if batch.replace {
        caller
            .admin()
            .map_err(|d| Error::denied(d, || "the desired state".into()))?;
    }
    let changes = batch
        .upserts
        .iter()
        .map(|o| (o.kind(), o.key()))
        .chain(batch.deletes.iter().cloned());
    for (kind, key) in changes {
        caller
            .write(kind, &key)
            .map_err(|d| Error::denied(d, || named(kind, &key)))?;
    }
    Ok(Json(call(&svc, move |s| s.apply(batch)).await??))
}

/// Every endpoint the caller sees, with its allocated addresses.
#[utoipa::path(get, path = "/api/v1/inspect/endpoints", tag = "inspect", operation_id = "inspectEndpoints",
    responses(
        (status = 200, description = "Every endpoint the caller sees, in key order, with its allocated addresses.", body = Vec<Endpoint>),
        (status = 403, description = "The caller's role may not read endpoints.", body = ErrorBody),
    ))]
async fn inspect_endpoints(
    State(svc): State<Svc>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, Error> {
    list_kind(&svc, &caller, Kind::Endpoint).await
}

/// Contiv's inspect: an object's intent and its operational state.
#[utoipa::path(get, path = "/api/v1/inspect/{collection}/{key}", tag = "inspect", operation_id = "inspectObject",
    params(
        ("collection" = String, Path, description = "The object's collection (`tenants`, `networks`, `endpointGroups`, `endpoints`, `hosts`, `policys`, `rules`, `netprofiles`, `globals`)."),
        ("key" = String, Path, description = "The object's key (`tenant:name`, a tenant's or host's name, `global`)."),
    ),
    responses(
        (status = 200, description = "The object as stored (`Config`, with its key) and what netmaster derived and observed (`Oper`: none for rules and netprofiles, as in Contiv).", body = Inspect),
        (status = 400, description = "One of Contiv's collections netplugin does not support.", body = ErrorBody),
        (status = 403, description = "The caller's role may not read such objects.", body = ErrorBody),
        (status = 404, description = "No such collection or object (or one of a tenant the caller does not see).", body = ErrorBody),
    ))]
async fn inspect(
    State(svc): State<Svc>,
    State(oper): State<Oper>,
    Extension(caller): Extension<Caller>,
    Path((collection, key)): Path<(String, String)>,
) -> Result<Json<Inspect>, Error> {
    let kind = kind(&collection)?;
    caller
        .read(kind, &key)
        .map_err(|d| Error::denied(d, || named(kind, &key)))?;
    let k = key.clone();
    let Some(object) = call(&svc, move |s| s.get(kind, &k)).await? else {
        return Err(Error::not_found(format!("{} not found", named(kind, &key))));
    };
    let oper = call_oper(&oper, move |o| o.inspect(kind, &key)).await?;
    Ok(Json(Inspect {
        config: wire::to_value(&object),
        oper,
    }))
}

/// Contiv's `GET /version`: the build of netmaster that answers.
#[utoipa::path(get, path = "/version", tag = "operations", operation_id = "getVersion",
    responses((status = 200, description = "The build that answers.", body = VersionInfo)))]
async fn version(State(oper): State<Oper>) -> Json<VersionInfo> {
    Json(oper.version())
}

/// Contiv's `GET /info`: this netmaster, the leader, and the agents it hears from.
#[utoipa::path(get, path = "/info", tag = "operations", operation_id = "getInfo",
    responses((status = 200, description = "This netmaster (the leader) and the hosts whose agents report.", body = NetmasterInfo)))]
async fn info(State(oper): State<Oper>) -> Result<Json<NetmasterInfo>, Error> {
    Ok(Json(call_oper(&oper, |o| o.info()).await?))
}

/// Every switch's sync state against the latest compiled snapshot.
#[utoipa::path(get, path = "/api/v1/audit", tag = "operations", operation_id = "audit",
    responses(
        (status = 200, description = "Every switch's sync state.", body = Audit),
        (status = 403, description = "Only an admin reads the audit.", body = ErrorBody),
        (status = 404, description = "Hidden from the caller's role.", body = ErrorBody),
    ))]
async fn audit(
    State(oper): State<Oper>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Audit>, Error> {
    caller
        .admin()
        .map_err(|d| Error::denied(d, || "the audit".into()))?;
    Ok(Json(call_oper(&oper, |o| o.audit()).await?))
}

/// `GET /metrics`: Prometheus's text format, for admins (a scraper with an admin token).
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "metrics",
    responses(
        (status = 200, description = "Every metric in Prometheus's text format (OpenMetrics 1.0).", content_type = "application/openmetrics-text", body = String),
        (status = 403, description = "Only an admin reads the metrics.", body = ErrorBody),
        (status = 404, description = "Hidden from the caller's role.", body = ErrorBody),
    ))]
async fn metrics(
    State(oper): State<Oper>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, Error> {
    caller
        .admin()
        .map_err(|d| Error::denied(d, || "the metrics".into()))?;
    let text = call_oper(&oper, |o| o.metrics()).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// Counts every request a route answered, by method, route pattern and status.
async fn count_request(
    State(oper): State<Oper>,
    route: axum::extract::MatchedPath,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    oper.record_request(method.as_str(), route.as_str(), response.status().as_u16());
    response
}

/// Runs `f` on the operational-state service in tokio's blocking pool.
async fn call_oper<T: Send + 'static>(
    oper: &Oper,
    f: impl FnOnce(&dyn OperService) -> T + Send + 'static,
) -> Result<T, Error> {
    blocking(oper.clone(), "oper service", f).await
}

/// Runs `f` on the agent service in tokio's blocking pool.
async fn call_agents<T: Send + 'static>(
    agents: &Agents,
    f: impl FnOnce(&dyn AgentService) -> T + Send + 'static,
) -> Result<T, Error> {
    blocking(agents.clone(), "agent service", f).await
}

/// Every host's latest report.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", operation_id = "listReports",
    responses(
        (status = 200, description = "Every host's latest report, by host name.", body = BTreeMap<String, HostReport>),
        (status = 403, description = "Only an admin reads every report.", body = ErrorBody),
        (status = 404, description = "Hidden from the caller's role.", body = ErrorBody),
    ))]
async fn list_reports(
    State(agents): State<Agents>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<BTreeMap<String, HostReport>>, Error> {
    caller
        .admin()
        .map_err(|d| Error::denied(d, || "the reports".into()))?;
    Ok(Json(call_agents(&agents, |a| a.reports()).await?))
}

/// One host's latest report.
#[utoipa::path(get, path = "/api/v1/agents/{host}", tag = "agents", operation_id = "getReport",
    params(("host" = String, Path, description = "The host's name (`--host-label` of its agent).")),
    responses(
        (status = 200, description = "The host's latest report.", body = HostReport),
        (status = 403, description = "The caller is not the host's agent (or an admin).", body = ErrorBody),
        (status = 404, description = "The host never reported (or is hidden from the caller).", body = ErrorBody),
    ))]
async fn get_report(
    State(agents): State<Agents>,
    Extension(caller): Extension<Caller>,
    Path(host): Path<String>,
) -> Result<Json<HostReport>, Error> {
    caller
        .host(&host)
        .map_err(|d| Error::denied(d, || format!("the report of host `{host}`")))?;
    let what = format!("no report from host `{host}`");
    call_agents(&agents, move |a| a.reports().remove(&host))
        .await?
        .map(Json)
        .ok_or_else(|| Error::not_found(what))
}

/// Replaces a host's report (its agent sends it).
#[utoipa::path(put, path = "/api/v1/agents/{host}", tag = "agents", operation_id = "putReport",
    params(("host" = String, Path, description = "The host's name (`--host-label` of its agent).")),
    request_body(content = HostReport, description = "The host's bridge and ports."),
    responses(
        (status = 200, description = "The report was kept; it is returned.", body = HostReport),
        (status = 400, description = "The body does not decode, or it does not describe a usable bridge (a dpid of 0, a bad host name).", body = ErrorBody),
        (status = 403, description = "The caller is not the host's agent (or an admin).", body = ErrorBody),
        (status = 404, description = "Hidden from the caller's role.", body = ErrorBody),
        (status = 409, description = "Another host reported the same dpid or VTEP, or the report contradicts the host's intent.", body = ErrorBody),
    ))]
async fn put_report(
    State(agents): State<Agents>,
    Extension(caller): Extension<Caller>,
    Path(host): Path<String>,
    body: Bytes,
) -> Result<Json<HostReport>, Error> {
    caller
        .host(&host)
        .map_err(|d| Error::denied(d, || format!("the report of host `{host}`")))?;
    let report: HostReport = wire::decode(&body)
        .map_err(|e| Error::bad_request(format!("invalid report of host `{host}`: {e}")))?;
    let stored = report.clone();
    call_agents(&agents, move |a| a.report(&host, report)).await??;
    Ok(Json(stored))
}

/// The query of a directives long poll.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DirectivesQuery {
    /// Answer once the directives' version is past this one (default: at once).
    after: Option<u64>,
    /// Wait at most this many seconds for a newer version (capped at 60; default 0).
    #[serde(default)]
    wait_s: u64,
}

/// The ports netmaster wants on a host; a long poll.
#[utoipa::path(get, path = "/api/v1/agents/{host}/directives", tag = "agents", operation_id = "getDirectives",
    params(("host" = String, Path, description = "The host's name (`--host-label` of its agent)."), DirectivesQuery),
    responses(
        (status = 200, description = "The directives: the VXLAN tunnels and uplinks the host should have, and the endpoints bound to it.", body = HostDirectives),
        (status = 400, description = "The query does not decode.", body = ErrorBody),
        (status = 403, description = "The caller is not the host's agent (or an admin).", body = ErrorBody),
        (status = 404, description = "Hidden from the caller's role.", body = ErrorBody),
    ))]
async fn get_directives(
    State(agents): State<Agents>,
    Extension(caller): Extension<Caller>,
    Path(host): Path<String>,
    query: Result<Query<DirectivesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<HostDirectives>, Error> {
    caller
        .host(&host)
        .map_err(|d| Error::denied(d, || format!("the directives of host `{host}`")))?;
    let Query(q) = query.map_err(|e| Error::bad_request(format!("invalid query: {e}")))?;
    if let Some(after) = q.after {
        let mut changes = agents.directive_changes();
        let wait = std::time::Duration::from_secs(q.wait_s.min(MAX_WAIT_S));
        // A timeout or a closed channel both mean: answer with what there is now.
        let _ = tokio::time::timeout(wait, changes.wait_for(|v| *v > after)).await;
    }
    Ok(Json(
        call_agents(&agents, move |a| a.directives(&host)).await?,
    ))
}

async fn no_route(OriginalUri(uri): OriginalUri) -> Error {
    Error::not_found(format!("no route for {}", uri.path()))
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> Error {
    Error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}
