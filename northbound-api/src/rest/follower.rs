//! A follower replica takes no writes: every request other than GET and HEAD is answered
//! with `307 Temporary Redirect` to the same path at the leader (the client repeats it there,
//! method, body and token unchanged), or `503` while no leader is elected. Reads are served
//! here, from the follower's copy of the store.

use super::Error;
use crate::oper::{OperService, Writes};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use northbound_model::error::ErrorBody;
use std::sync::Arc;

/// The middleware.
pub(super) async fn forward_writes(
    State(oper): State<Arc<dyn OperService>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    match oper.writes() {
        Writes::Here => next.run(request).await,
        Writes::NoLeader => Error(
            StatusCode::SERVICE_UNAVAILABLE,
            "this netmaster replica follows and no leader is elected now: try again".into(),
        )
        .into_response(),
        Writes::Leader(url) => {
            let uri = request
                .extensions()
                .get::<OriginalUri>()
                .map(|o| o.0.clone())
                .unwrap_or_else(|| request.uri().clone());
            let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let location = format!("{}{path}", url.trim_end_matches('/'));
            let body = Json(ErrorBody::new(format!(
                "this netmaster replica follows: the leader {url} takes writes"
            )));
            match HeaderValue::from_str(&location) {
                Ok(v) => (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(header::LOCATION, v)],
                    body,
                )
                    .into_response(),
                Err(_) => Error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("the leader's URL `{url}` is not a valid location"),
                )
                .into_response(),
            }
        }
    }
}
