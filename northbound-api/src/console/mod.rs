//! The web console: a page served by netmaster at `/ui/` that draws the fabric (hosts,
//! switches, tunnels, uplinks), every tenant's networks, endpoints, multicast groups and
//! policies with their rules' hit counters, every switch's sync state and flow counts, the
//! recent events (switches connecting and going away, reconciliations, drift repairs,
//! refused requests), and a trace form; it follows changes live over server-sent events.
//!
//! | method | path | does |
//! |---|---|---|
//! | `GET` | `/ui/` | the page (`/ui/app.js`, `/ui/style.css`: its script and style, built into the binary) |
//! | `GET` | `/ui/api/state` | [`ConsoleState`]: everything the page draws |
//! | `GET` | `/ui/api/events` | server-sent events: `change` (with a version) whenever the state may have changed |
//! | `POST` | `/ui/api/trace` | a packet trace (the body and answer of `POST /api/v1/trace`); needs the header `X-Netmaster-Console: 1` |
//!
//! Authentication is the API's: the same tokens, for admins only. A browser sends the token
//! as the password of HTTP Basic authentication (any user name): without one the console
//! answers 401 with `WWW-Authenticate: Basic`, so that the browser asks for it. The page loads
//! nothing from elsewhere (`Content-Security-Policy: default-src 'self'`), writes server text
//! as text only, and at most [`MAX_STREAMS`] event streams are open at once, each for at most
//! [`STREAM_FOR`].

mod rejections;

pub use northbound_model::console::*;
pub use rejections::{record, Rejections};

use crate::auth::Caller;
use crate::oper::{OperService, TraceReport};
use crate::rest::{run_trace, Error};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Event streams open at once.
pub const MAX_STREAMS: usize = 16;
/// How long one event stream lasts (the browser opens the next one by itself).
pub const STREAM_FOR: Duration = Duration::from_secs(600);
/// The header a trace from the page carries (a cross-site form cannot send it).
pub const CONSOLE_HEADER: &str = "x-netmaster-console";

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/style.css");

/// What the console routes share.
#[derive(Clone)]
pub struct Console {
    /// The operational-state service.
    oper: Arc<dyn OperService>,
    /// Refused requests.
    rejections: Arc<Rejections>,
    /// Event streams that may still open.
    streams: Arc<Semaphore>,
}

impl Console {
    /// The console over `oper`, showing the refusals `rejections` records.
    pub fn new(oper: Arc<dyn OperService>, rejections: Arc<Rejections>) -> Console {
        Console {
            oper,
            rejections,
            streams: Arc::new(Semaphore::new(MAX_STREAMS)),
        }
    }
}

/// The console's routes.
pub fn routes() -> Router<Console> {
    Router::new()
        .route(
            "/ui",
            get(|| async { page(INDEX, "text/html; charset=utf-8") }),
        )
        .route(
            "/ui/app.js",
            get(|| async { page(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/ui/style.css",
            get(|| async { page(STYLE, "text/css; charset=utf-8") }),
        )
        .route("/ui/api/state", get(state))
        .route("/ui/api/events", get(events))
        .route("/ui/api/trace", post(trace))
        .layer(axum::middleware::map_response(harden))
}

/// Gives every console answer the console's headers.
async fn harden(mut response: Response) -> Response {
    let set = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in set {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    response
}

fn page(body: &'static str, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn admin_only(caller: &Caller) -> Result<(), Error> {
    caller.admin().map_err(|_| {
        Error(
            StatusCode::FORBIDDEN,
            "the console is for admins only".into(),
        )
    })
}

async fn state(
    State(c): State<Console>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ConsoleState>, Error> {
    admin_only(&caller)?;
    let mut state = c
        .oper
        .console()
        .await
        .map_err(|e| Error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    state.events.extend(c.rejections.events());
    state.events.sort_by_key(|e| e.at_ms);
    let excess = state.events.len().saturating_sub(rejections::MAX);
    state.events.drain(..excess);
    Ok(Json(state))
}

async fn events(
    State(c): State<Console>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, Error> {
    admin_only(&caller)?;
    let permit = c.streams.clone().try_acquire_owned().map_err(|_| {
        Error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many console event streams open: try again in a moment".into(),
        )
    })?;
    /// What the stream carries from one event to the next.
    struct Follow {
        sent: u64,
        changes: tokio::sync::watch::Receiver<u64>,
        refusals: tokio::sync::watch::Receiver<u64>,
        _slot: tokio::sync::OwnedSemaphorePermit,
    }
    let start = Follow {
        sent: 0,
        changes: c.oper.console_changes(),
        refusals: c.rejections.changes(),
        _slot: permit,
    };
    let end = tokio::time::Instant::now() + STREAM_FOR;
    let stream = futures_util::stream::unfold(start, move |mut f| async move {
        // The first event says "draw now"; then one per change, until the end.
        if f.sent > 0 {
            let wait = async {
                tokio::select! {
                    r = f.changes.changed() => r.is_ok(),
                    r = f.refusals.changed() => r.is_ok(),
                }
            };
            if !tokio::time::timeout_at(end, wait).await.unwrap_or(false) {
                return None;
            }
        }
        let event = Event::default().event("change").data(f.sent.to_string());
        f.sent += 1;
        Some((Ok::<_, Infallible>(event), f))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

async fn trace(
    State(c): State<Console>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TraceReport>, Error> {
    admin_only(&caller)?;
    if headers.get(CONSOLE_HEADER).is_none_or(|v| v != "1") {
        return Err(Error(
            StatusCode::FORBIDDEN,
            "a console trace carries the header X-Netmaster-Console: 1".into(),
        ));
    }
    Ok(Json(run_trace(&c.oper, &body).await?))
}
