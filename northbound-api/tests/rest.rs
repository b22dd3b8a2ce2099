//! The REST router over an in-memory service: every route, and the error paths.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::MemService;
use northbound_api::client::{Client, ClientError};
use northbound_api::model::{Kind, Network, Object, Tenant};
use northbound_api::rest::router;
use northbound_api::service::Batch;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

fn app() -> (Arc<MemService>, Router) {
    let svc = Arc::new(MemService::default());
    (svc.clone(), router(svc))
}

async fn send(app: &Router, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, value)
}

fn error(value: &Value) -> &str {
    value["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {value}"))
}

const NET1: &str = r#"{"tenantName":"t1","networkName":"net1","encap":"vlan","pktTag":12,"subnet":"10.1.1.0/24","gateway":"10.1.1.254"}"#;

#[tokio::test]
async fn every_collection_lists_with_and_without_slash() {
    let (_, app) = app();
    for kind in Kind::ALL {
        for path in [
            format!("/api/v1/{}/", kind.collection()),
            format!("/api/v1/{}", kind.collection()),
        ] {
            let (status, body) = send(&app, "GET", &path, "").await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(body, json!([]), "{path}");
        }
    }
}

#[tokio::test]
async fn create_get_list_replace_delete() {
    let (svc, app) = app();
    let (status, body) = send(
        &app,
        "POST",
        "/api/v1/tenants/t1/",
        r#"{"tenantName":"t1"}"#,
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"tenantName": "t1"}))
    );

    let (status, body) = send(&app, "POST", "/api/v1/networks/t1:net1/", NET1).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["subnet"], "10.1.1.0/24");
    assert_eq!(body["pktTag"], 12);
    assert!(body.get("kind").is_none());

    for path in ["/api/v1/networks/t1:net1/", "/api/v1/networks/t1:net1"] {
        let (status, got) = send(&app, "GET", path, "").await;
        assert_eq!((status, &got), (StatusCode::OK, &body), "{path}");
    }
    let (_, list) = send(&app, "GET", "/api/v1/networks/", "").await;
    assert_eq!(list, json!([body]));

    // PUT replaces (without a trailing slash too).
    let replaced = NET1.replace("10.1.1.254", "10.1.1.1");
    let (status, body) = send(&app, "PUT", "/api/v1/networks/t1:net1", &replaced).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["gateway"], "10.1.1.1");
    assert_eq!(svc.count(Kind::Network), 1);

    let (status, body) = send(&app, "DELETE", "/api/v1/networks/t1:net1/", "").await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = send(&app, "GET", "/api/v1/networks/t1:net1/", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&body), "networks `t1:net1` not found");
    let (status, body) = send(&app, "DELETE", "/api/v1/networks/t1:net1", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error(&body).contains("t1:net1"));
}

#[tokio::test]
async fn malformed_bodies_are_400_naming_the_problem() {
    let (svc, app) = app();
    let cases = [
        ("{\"tenantName\": \"t1\",", "EOF while parsing"),
        ("", "EOF while parsing"),
        (
            r#"{"tenantName":"t1","networkName":"net1","subnet":"10.1.1.0/24","colour":1}"#,
            "unknown field `colour`",
        ),
        (
            r#"{"tenantName":"t1","networkName":"net1"}"#,
            "missing field `subnet`",
        ),
        (
            r#"{"tenantName":"t1","networkName":"net1","subnet":"10.1.1.0/24","pktTag":"x"}"#,
            "invalid type: string \"x\"",
        ),
        (
            r#"{"tenantName":"t1","networkName":"net1","subnet":"10.1.1.0/24","encap":"gre"}"#,
            "unknown variant `gre`",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = send(&app, "POST", "/api/v1/networks/t1:net1/", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = error(&answer);
        assert!(message.starts_with("invalid networks body: "), "{message}");
        assert!(message.contains(expected), "{message}");
        assert!(message.contains("line 1 column"), "{message}");
    }
    assert_eq!(svc.count(Kind::Network), 0);
}

#[tokio::test]
async fn key_mismatch_is_400() {
    let (svc, app) = app();
    let (status, body) = send(&app, "PUT", "/api/v1/networks/t1:other/", NET1).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error(&body),
        "key `t1:other` in the path does not match the body's key `t1:net1`"
    );
    assert_eq!(svc.count(Kind::Network), 0);
}

#[tokio::test]
async fn service_errors_keep_their_status_and_message() {
    let (_, app) = app();
    let body = NET1.replace("10.1.1.0/24", "bad");
    let (status, answer) = send(&app, "POST", "/api/v1/networks/t1:net1/", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error(&answer),
        "network `t1:net1`: subnet `bad` is not a.b.c.d/len"
    );
}

#[tokio::test]
async fn unknown_collections_and_paths_are_404() {
    let (_, app) = app();
    for (method, path) in [
        ("GET", "/api/v1/widgets/"),
        ("GET", "/api/v1/widgets/x/"),
        ("POST", "/api/v1/widgets/x"),
        ("DELETE", "/api/v1/widgets/x/"),
    ] {
        let (status, body) = send(&app, method, path, "{}").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        assert!(
            error(&body).starts_with("unknown collection `widgets` (known: globals, tenants, "),
            "{body}"
        );
    }
    let (status, body) = send(&app, "GET", "/api/v2/tenants/", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&body), "no route for /api/v2/tenants/");
    let (status, body) = send(&app, "GET", "/api/v1/batch", "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error(&body), "GET is not allowed on /api/v1/batch");
}

#[tokio::test]
async fn batch_applies_all_or_nothing() {
    let (svc, app) = app();
    let batch = json!({
        "upserts": [
            {"kind": "tenant", "spec": {"tenantName": "t1"}},
            {"kind": "network", "spec": serde_json::from_str::<Value>(NET1).unwrap()},
        ]
    });
    for path in ["/api/v1/batch", "/api/v1/batch/"] {
        let (status, body) = send(&app, "POST", path, &batch.to_string()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.as_array().unwrap().len(), 2);
        assert_eq!(body[1]["kind"], "network");
    }
    // One bad object: nothing applied.
    let bad = json!({
        "upserts": [
            {"kind": "tenant", "spec": {"tenantName": "t2"}},
            {"kind": "network", "spec": {"tenantName": "t2", "networkName": "n", "subnet": "bad"}},
        ],
        "deletes": [["network", "t1:net1"]],
    });
    let (status, body) = send(&app, "POST", "/api/v1/batch", &bad.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error(&body).contains("subnet `bad`"));
    assert_eq!(svc.count(Kind::Tenant), 1);
    assert_eq!(svc.count(Kind::Network), 1);

    let (status, body) = send(
        &app,
        "POST",
        "/api/v1/batch",
        r#"{"upserts": [{"kind": "router"}]}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = error(&body);
    assert!(
        message.starts_with("invalid batch: unknown variant `router`"),
        "{message}"
    );

    // Desired-state replace.
    let replace =
        json!({"upserts": [{"kind": "tenant", "spec": {"tenantName": "t9"}}], "replace": true});
    let (status, _) = send(&app, "POST", "/api/v1/batch", &replace.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    let (_, tenants) = send(&app, "GET", "/api/v1/tenants", "").await;
    assert_eq!(tenants, json!([{"tenantName": "t9"}]));
    assert_eq!(svc.count(Kind::Network), 0);
}

#[tokio::test]
async fn inspect_endpoints_shows_allocations() {
    let (_, app) = app();
    let ep =
        r#"{"tenantName":"t1","networkName":"net1","containerName":"c1","ipAddress":"10.1.1.5"}"#;
    let (status, _) = send(&app, "POST", "/api/v1/endpoints/t1:c1/", ep).await;
    assert_eq!(status, StatusCode::OK);
    for path in ["/api/v1/inspect/endpoints/", "/api/v1/inspect/endpoints"] {
        let (status, body) = send(&app, "GET", path, "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body[0]["containerName"], "c1");
        assert!(body[0]["macAddress"].is_string(), "{body}");
    }
    let (status, body) = send(&app, "GET", "/api/v1/inspect/endpoints/t1:c1/", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ipAddress"], "10.1.1.5");
    let (status, body) = send(&app, "GET", "/api/v1/inspect/endpoints/t1:c2", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&body), "endpoints `t1:c2` not found");
}

#[test]
fn client_over_a_real_server() {
    let svc = Arc::new(MemService::default());
    let client = Client::new(&common::spawn_server(svc.clone()));
    let tenant = Object::Tenant(Tenant {
        tenant_name: "a b".into(),
    });
    assert_eq!(client.put(&tenant).unwrap(), tenant);
    assert_eq!(client.get(Kind::Tenant, "a b").unwrap(), tenant);
    let net: Network = serde_json::from_str(NET1).unwrap();
    let stored = client
        .apply(&Batch {
            upserts: vec![Object::Network(net.clone())],
            ..Batch::default()
        })
        .unwrap();
    assert_eq!(stored, [Object::Network(net.clone())]);
    assert_eq!(client.list(Kind::Network).unwrap(), [Object::Network(net)]);
    client.delete(Kind::Network, "t1:net1").unwrap();
    match client.get(Kind::Network, "t1:net1") {
        Err(ClientError::Api(e)) => {
            assert_eq!(e.status, 404);
            assert_eq!(e.message, "networks `t1:net1` not found");
        }
        other => panic!("{other:?}"),
    }
    let refused = Client::new("http://127.0.0.1:1")
        .list(Kind::Tenant)
        .unwrap_err();
    assert!(matches!(refused, ClientError::Transport(_)), "{refused}");
}
