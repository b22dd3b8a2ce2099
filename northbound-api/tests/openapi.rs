//! The OpenAPI document served at `/api/v1/openapi.json` describes the router: every documented
//! operation is routed (never "no route" or 405), every route the router serves is documented,
//! and the bearer scheme is required exactly when the API has tokens.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{status_and_json, FixedOper, MemAgents, MemService};
use northbound_api::auth::{Access, TokenTable};
use northbound_api::model::Kind;
use northbound_api::rest::{router, Api, Services};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

const ADMIN: &str = "admin-token-0123456789";

fn api(access: Access) -> Api {
    router(
        Services {
            intent: Arc::new(MemService::default()),
            agents: Arc::new(MemAgents::default()),
            oper: Arc::new(FixedOper),
        },
        access,
    )
}

fn with_tokens() -> Access {
    let table = TokenTable::parse(&format!(
        r#"{{"tokens": [{{"token": "{ADMIN}", "role": "admin"}}]}}"#
    ))
    .unwrap();
    Access::tokens(table, 20)
}

async fn send(app: &Api, method: Method, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let body = Body::from("{}");
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    status_and_json(response).await
}

async fn document(app: &Api, token: Option<&str>) -> Value {
    let (status, doc) = send(app, Method::GET, "/api/v1/openapi.json", token).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc
}

/// Every (method, path template) of the document.
fn operations(doc: &Value) -> Vec<(Method, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().expect("an HTTP method");
            ops.push((method, path.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_every_route_documented() {
    let app = api(Access::Open);
    let doc = document(&app, None).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let ops = operations(&doc);
    for (method, template) in &ops {
        let path = template
            .replace("{collection}", "networks")
            .replace("{key}", "nobody:nothing")
            .replace("{host}", "nohost")
            .replace("{id}", "7");
        let (status, body) = send(&app, method.clone(), &path, None).await;
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(!error.starts_with("no route"), "{method} {path}: {body}");
        let documented = doc["paths"][template][method.as_str().to_lowercase()]["responses"]
            .as_object()
            .unwrap();
        assert!(
            documented.contains_key(status.as_str()),
            "{method} {path} answered {status}, which its operation does not document: {body}"
        );
    }
    // The router's routes, as the module documentation lists them.
    let mut expected = vec![
        (Method::GET, "/api/v1/agents".to_string()),
        (Method::GET, "/api/v1/agents/{host}".into()),
        (Method::PUT, "/api/v1/agents/{host}".into()),
        (Method::GET, "/api/v1/agents/{host}/directives".into()),
        (Method::GET, "/api/v1/agents/{host}/ready".into()),
        (Method::GET, "/api/v1/agents/{host}/traces".into()),
        (Method::PUT, "/api/v1/agents/{host}/traces/{id}".into()),
        (Method::GET, "/api/v1/audit".into()),
        (Method::POST, "/api/v1/batch".into()),
        (Method::GET, "/api/v1/flows".into()),
        (Method::POST, "/api/v1/trace".into()),
        (Method::GET, "/api/v1/inspect/endpoints".into()),
        (Method::GET, "/api/v1/inspect/{collection}/{key}".into()),
        (Method::GET, "/api/v1/openapi.json".into()),
        (Method::GET, "/version".into()),
        (Method::GET, "/info".into()),
        (Method::GET, "/metrics".into()),
    ];
    for kind in Kind::ALL {
        let c = kind.collection();
        expected.push((Method::GET, format!("/api/v1/{c}")));
        for m in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
            expected.push((m, format!("/api/v1/{c}/{{key}}")));
        }
    }
    let mut got = ops.clone();
    got.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    expected.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    assert_eq!(got, expected);
}

#[tokio::test]
async fn the_bearer_scheme_is_declared_and_required_only_with_tokens() {
    let open = document(&api(Access::Open), None).await;
    let scheme = &open["components"]["securitySchemes"]["bearerToken"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert!(open.get("security").is_none(), "{}", open["security"]);
    assert!(open["paths"]["/api/v1/tenants"]["get"]["responses"]
        .get("401")
        .is_none());

    let app = api(with_tokens());
    let (status, _) = send(&app, Method::GET, "/api/v1/openapi.json", None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the document needs a token too"
    );
    let doc = document(&app, Some(ADMIN)).await;
    assert_eq!(doc["security"], serde_json::json!([{"bearerToken": []}]));
    for (method, path) in operations(&doc) {
        let responses = &doc["paths"][&path][method.as_str().to_lowercase()]["responses"];
        for status in ["401", "429", "500", "503"] {
            assert!(
                responses.get(status).is_some(),
                "{method} {path} does not document {status}"
            );
        }
    }
}
