//! The web console's routes (`/ui/...`) through the real router with tokens: a browser is
//! asked for the token (Basic), only admins get the page's data, the page carries its
//! security headers, refused requests become events, a console trace needs the console's
//! header, and the event stream says "change" at once and is capped.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use common::{status_and_json, FixedOper, MemAgents, MemService, ACME, ADMIN, AGENT_A, TOKENS};
use futures_util::StreamExt;
use northbound_api::auth::attempts::MAX_FAILURES;
use northbound_api::auth::{Access, TokenTable};
use northbound_api::console::MAX_STREAMS;
use northbound_api::rest::{router, Api, Services};
use std::sync::Arc;
use tower::ServiceExt;

fn app() -> Api {
    router(
        Services {
            intent: Arc::new(MemService::default()),
            agents: Arc::new(MemAgents::default()),
            oper: Arc::new(FixedOper),
        },
        Access::tokens(TokenTable::parse(TOKENS).unwrap(), MAX_FAILURES),
    )
}

/// `Authorization: Basic` with `token` as the password, as a browser sends it.
fn basic(token: &str) -> String {
    let pair = format!("anyone:{token}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

async fn send(
    app: &Api,
    method: &str,
    uri: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Response {
    let mut request = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        request = request.header(*k, v);
    }
    app.clone()
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap()
}

fn auth(value: String) -> Vec<(&'static str, String)> {
    vec![("authorization", value)]
}

#[tokio::test]
async fn a_browser_is_asked_for_the_token_and_only_admins_get_the_data() {
    let app = app();
    let r = send(&app, "GET", "/ui/", &[], "").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic realm=\"netmaster console\""));
    let r = send(
        &app,
        "GET",
        "/ui/",
        &auth(basic("wrong-token-0123456789")),
        "",
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = send(&app, "GET", "/ui/", &auth(basic(ADMIN)), "").await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers();
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'self'"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let page = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&page).contains("src=\"/ui/app.js\""));
    for (path, kind) in [
        ("/ui/app.js", "text/javascript"),
        ("/ui/style.css", "text/css"),
    ] {
        let r = send(&app, "GET", path, &auth(basic(ADMIN)), "").await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(kind));
    }

    let r = send(&app, "GET", "/ui/api/state", &auth(basic(ADMIN)), "").await;
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let (status, state) = status_and_json(r).await;
    assert_eq!(status, StatusCode::OK, "{state}");
    assert_eq!(state["hosts"][0]["name"], "h1");
    for who in [basic(ACME), format!("Bearer {AGENT_A}")] {
        let (status, answer) =
            status_and_json(send(&app, "GET", "/ui/api/state", &auth(who), "").await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
        assert!(answer.get("hosts").is_none());
    }
    // The same token as a bearer works on the console, and as a Basic password on the API.
    let r = send(
        &app,
        "GET",
        "/ui/api/state",
        &auth(format!("Bearer {ADMIN}")),
        "",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(&app, "GET", "/api/v1/audit/", &auth(basic(ADMIN)), "").await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn refused_requests_become_events() {
    let app = app();
    let r = send(&app, "GET", "/api/v1/tenants/", &[], "").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = send(&app, "GET", "/api/v1/nothing-here", &auth(basic(ADMIN)), "").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, state) =
        status_and_json(send(&app, "GET", "/ui/api/state", &auth(basic(ADMIN)), "").await).await;
    let events = state["events"].as_array().unwrap();
    let seen: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["kind"] == "rejected")
        .map(|e| {
            (
                e["subject"].as_str().unwrap().to_string(),
                e["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "GET /api/v1/tenants".into(),
                "answered 401 Unauthorized".into()
            ),
            (
                "GET /api/v1/nothing-here".into(),
                "answered 404 Not Found".into()
            ),
        ],
        "{state}"
    );
}

#[tokio::test]
async fn a_console_trace_needs_the_console_header() {
    let app = app();
    let body = r#"{"tenant":"t1","from":"c1","to":"c2"}"#;
    let mut headers = auth(basic(ADMIN));
    let (status, answer) =
        status_and_json(send(&app, "POST", "/ui/api/trace", &headers, body).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    headers.push(("x-netmaster-console", "1".into()));
    let (status, answer) =
        status_and_json(send(&app, "POST", "/ui/api/trace", &headers, body).await).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["verdict"]["deliveredTo"][0], "t1:c2");
    for (bad, says) in [
        ("{", "invalid trace"),
        (
            r#"{"tenant":"t1","from":"c1","to":"c2","dport":0}"#,
            "port 0",
        ),
    ] {
        let (status, answer) =
            status_and_json(send(&app, "POST", "/ui/api/trace", &headers, bad).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains(says), "{answer}");
    }
}

#[tokio::test]
async fn the_event_stream_says_change_at_once_and_is_capped() {
    let app = app();
    let mut open = Vec::new();
    for _ in 0..MAX_STREAMS {
        let r = send(&app, "GET", "/ui/api/events", &auth(basic(ADMIN)), "").await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        let mut body = r.into_body().into_data_stream();
        let first = body.next().await.expect("a first event").unwrap();
        assert!(
            String::from_utf8_lossy(&first).contains("event: change"),
            "{first:?}"
        );
        open.push(body);
    }
    let r = send(&app, "GET", "/ui/api/events", &auth(basic(ADMIN)), "").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    open.pop();
    let r = send(&app, "GET", "/ui/api/events", &auth(basic(ADMIN)), "").await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "a slot freed when a stream ended"
    );
}
