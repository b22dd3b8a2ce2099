//! The API with a token file: no token or a wrong one is a 401 on every route; an admin does
//! everything; a tenant token sees and changes only its tenant's objects (every other tenant's
//! are answered as missing, and absent from lists); an agent token reports and polls only for
//! its own host. What a refused request would have changed is unchanged.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{status_and_json, FixedOper, MemAgents, MemService, ACME, ADMIN, AGENT_A, TOKENS};
use northbound_api::agent::AgentService;
use northbound_api::auth::attempts::MAX_FAILURES;
use northbound_api::auth::{Access, TokenTable};
use northbound_api::model::Kind;
use northbound_api::rest::{router, Api, Services};
use northbound_api::service::IntentService;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

struct Fixture {
    svc: Arc<MemService>,
    agents: Arc<MemAgents>,
    access: Access,
    app: Api,
}

/// The API over two tenants (`acme`, `other`) with one network each, behind [`TOKENS`].
async fn fixture() -> Fixture {
    let svc = Arc::new(MemService::default());
    let agents = Arc::new(MemAgents::default());
    let access = Access::tokens(TokenTable::parse(TOKENS).unwrap(), MAX_FAILURES);
    let app = router(
        Services {
            intent: svc.clone(),
            agents: agents.clone(),
            oper: Arc::new(FixedOper),
        },
        access.clone(),
    );
    let f = Fixture {
        svc,
        agents,
        access,
        app,
    };
    for (path, body) in [
        (
            "/api/v1/tenants/acme/",
            r#"{"tenantName":"acme"}"#.to_string(),
        ),
        (
            "/api/v1/tenants/other/",
            r#"{"tenantName":"other"}"#.to_string(),
        ),
        ("/api/v1/networks/acme:web/", net("acme", "web", 10)),
        ("/api/v1/networks/other:web/", net("other", "web", 11)),
        ("/api/v1/endpoints/acme:c1/", ep("acme", "c1")),
        ("/api/v1/endpoints/other:c1/", ep("other", "c1")),
    ] {
        let (status, answer) = f.send(Some(ADMIN), "POST", path, &body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    }
    f
}

fn net(tenant: &str, name: &str, tag: u16) -> String {
    format!(
        r#"{{"tenantName":"{tenant}","networkName":"{name}","encap":"vlan","pktTag":{tag},"subnet":"10.{tag}.0.0/24"}}"#
    )
}

fn ep(tenant: &str, name: &str) -> String {
    format!(r#"{{"tenantName":"{tenant}","networkName":"web","containerName":"{name}"}}"#)
}

impl Fixture {
    async fn send(
        &self,
        token: Option<&str>,
        method: &str,
        uri: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(t) = token {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        if response.status() == StatusCode::UNAUTHORIZED {
            assert_eq!(
                response.headers()["www-authenticate"],
                "Bearer realm=\"netmaster\""
            );
        }
        status_and_json(response).await
    }

    /// Every object, by kind and key (to show that a refused request changed nothing).
    fn everything(&self) -> Vec<(Kind, String)> {
        Kind::ALL
            .iter()
            .flat_map(|k| self.svc.list(*k))
            .map(|o| (o.kind(), o.key()))
            .collect()
    }
}

/// Every route, with a body where it takes one.
const ROUTES: [(&str, &str, &str); 18] = [
    ("GET", "/api/v1/networks/", ""),
    ("GET", "/api/v1/networks/acme:web/", ""),
    ("POST", "/api/v1/networks/acme:db/", ""),
    ("PUT", "/api/v1/networks/acme:db/", ""),
    (
        "POST",
        "/api/v1/batch",
        r#"{"upserts":[],"deletes":[],"replace":true}"#,
    ),
    ("GET", "/api/v1/inspect/endpoints/", ""),
    ("GET", "/api/v1/inspect/endpoints/acme:c1/", ""),
    ("GET", "/api/v1/inspect/networks/acme:web/", ""),
    ("GET", "/api/v1/audit/", ""),
    ("GET", "/metrics", ""),
    ("GET", "/api/v1/flows/?switch=1", ""),
    (
        "POST",
        "/api/v1/trace",
        r#"{"tenant":"acme","from":"c1","to":"c2"}"#,
    ),
    ("PUT", "/api/v1/agents/node-a/", r#"{"dpid":1}"#),
    ("GET", "/api/v1/agents/", ""),
    ("GET", "/api/v1/agents/node-a/", ""),
    ("GET", "/api/v1/agents/node-a/directives/", ""),
    ("GET", "/api/v1/agents/node-a/ready/?endpoint=acme:c1", ""),
    ("DELETE", "/api/v1/endpoints/acme:c1/", ""),
];

#[tokio::test]
async fn without_a_valid_token_every_route_is_401_and_nothing_changes() {
    let f = fixture().await;
    let before = f.everything();
    for (method, path, body) in ROUTES {
        for token in [
            None,
            Some("wrong-token-0123456789"),
            Some("admin-token-012345678"),
            Some(""),
        ] {
            let (status, answer) = f.send(token, method, path, body).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path}: {answer}"
            );
            assert!(answer["error"].as_str().unwrap().contains("bearer token"));
        }
    }
    // Another scheme with the right secret is no bearer token either.
    let request = Request::builder()
        .uri("/api/v1/networks/")
        .header("authorization", format!("Basic {ADMIN}"))
        .body(Body::empty())
        .unwrap();
    let response = f.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(f.everything(), before);
    assert!(f.agents.reports().is_empty());
}

#[tokio::test]
async fn an_admin_token_reaches_every_route() {
    let f = fixture().await;
    for (method, path, body) in ROUTES {
        let body = match (method, body) {
            ("POST" | "PUT", "") => net("acme", "db", 12),
            (_, b) if path.ends_with("batch") => b.replace("\"upserts\":[]", &format!(
                "\"upserts\":[{{\"kind\":\"tenant\",\"spec\":{{\"tenantName\":\"acme\"}}}},{{\"kind\":\"network\",\"spec\":{}}},{{\"kind\":\"endpoint\",\"spec\":{}}}]",
                net("acme", "web", 10),
                ep("acme", "c1")
            )),
            (_, b) => b.to_string(),
        };
        let (status, answer) = f.send(Some(ADMIN), method, path, &body).await;
        assert!(status.is_success(), "{method} {path}: {status} {answer}");
    }
}

#[tokio::test]
async fn a_tenant_token_sees_and_changes_only_its_tenant() {
    let f = fixture().await;
    let t = Some(ACME);
    // It traces packets of its own tenant.
    let trace = r#"{"tenant":"acme","from":"c1","to":"c2"}"#;
    let (status, answer) = f.send(t, "POST", "/api/v1/trace", trace).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["verdict"]["deliveredTo"][0], "acme:c2");
    // Lists hold only acme's objects.
    for (path, name, want) in [
        ("/api/v1/tenants/", None, "acme"),
        ("/api/v1/networks/", Some("networkName"), "acme:web"),
        ("/api/v1/endpoints/", Some("containerName"), "acme:c1"),
        (
            "/api/v1/inspect/endpoints/",
            Some("containerName"),
            "acme:c1",
        ),
    ] {
        let (status, answer) = f.send(t, "GET", path, "").await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        let keys: Vec<String> = answer
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                let tenant = o["tenantName"].as_str().unwrap();
                match name {
                    Some(n) => format!("{tenant}:{}", o[n].as_str().unwrap()),
                    None => tenant.to_string(),
                }
            })
            .collect();
        assert_eq!(keys, [want], "{path}");
    }
    // Another tenant's objects are answered exactly as missing ones.
    let before = f.everything();
    for (method, path, body) in [
        ("GET", "/api/v1/networks/other:web/", String::new()),
        ("GET", "/api/v1/tenants/other/", String::new()),
        ("GET", "/api/v1/inspect/networks/other:web/", String::new()),
        ("GET", "/api/v1/inspect/endpoints/other:c1/", String::new()),
        (
            "PUT",
            "/api/v1/networks/other:web/",
            net("other", "web", 99),
        ),
        (
            "POST",
            "/api/v1/networks/other:new/",
            net("other", "new", 98),
        ),
        ("DELETE", "/api/v1/networks/other:web/", String::new()),
        ("DELETE", "/api/v1/endpoints/other:c1/", String::new()),
        (
            "POST",
            "/api/v1/trace",
            r#"{"tenant":"other","from":"c1","to":"c2"}"#.to_string(),
        ),
    ] {
        let (status, answer) = f.send(t, method, path, &body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        let missing = path.replace("other", "nosuch");
        let (_, as_missing) = f.send(Some(ADMIN), "GET", &missing, "").await;
        if method == "GET" {
            assert_eq!(
                answer["error"].as_str().unwrap().replace("other", "nosuch"),
                as_missing["error"].as_str().unwrap(),
                "{path}"
            );
        }
    }
    // A batch that touches another tenant is refused whole; a replace needs an admin.
    let batch = format!(
        r#"{{"upserts":[{{"kind":"network","spec":{}}},{{"kind":"network","spec":{}}}]}}"#,
        net("acme", "db", 20),
        net("other", "db", 21)
    );
    let (status, answer) = f.send(t, "POST", "/api/v1/batch", &batch).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let (status, answer) = f
        .send(
            t,
            "POST",
            "/api/v1/batch",
            r#"{"deletes":[["network","other:web"]]}"#,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let (status, answer) = f
        .send(
            t,
            "POST",
            "/api/v1/batch",
            r#"{"upserts":[],"replace":true}"#,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    // Infrastructure and the tenant object itself are an admin's.
    for (method, path, body) in [
        ("GET", "/api/v1/hosts/", String::new()),
        ("GET", "/api/v1/globals/", String::new()),
        ("POST", "/api/v1/hosts/h9/", r#"{"name":"h9"}"#.to_string()),
        ("DELETE", "/api/v1/tenants/acme/", String::new()),
        ("GET", "/api/v1/audit/", String::new()),
        ("GET", "/metrics", String::new()),
        ("GET", "/api/v1/flows/?host=h1", String::new()),
        ("GET", "/api/v1/agents/", String::new()),
        ("PUT", "/api/v1/agents/node-a/", r#"{"dpid":1}"#.to_string()),
        ("GET", "/api/v1/agents/node-a/directives/", String::new()),
        (
            "GET",
            "/api/v1/agents/node-a/ready/?endpoint=acme:c1",
            String::new(),
        ),
    ] {
        let (status, answer) = f.send(t, method, path, &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
    }
    assert_eq!(f.everything(), before, "a refused request changed intent");
    assert!(f.agents.reports().is_empty());

    // Its own objects are its to change.
    let (status, answer) = f
        .send(
            t,
            "POST",
            "/api/v1/networks/acme:db/",
            &net("acme", "db", 20),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = f.send(t, "DELETE", "/api/v1/endpoints/acme:c1/", "").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let (status, answer) = f
        .send(t, "GET", "/api/v1/inspect/networks/acme:web/", "")
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn an_agent_token_acts_for_its_own_host_only() {
    let f = fixture().await;
    let a = Some(AGENT_A);
    let report = r#"{"dpid":1,"endpointPorts":{}}"#;
    let (status, answer) = f.send(a, "PUT", "/api/v1/agents/node-b/", report).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(f.agents.reports().is_empty(), "node-a reported for node-b");
    let (status, answer) = f.send(a, "PUT", "/api/v1/agents/node-a/", report).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(f.agents.reports().keys().collect::<Vec<_>>(), ["node-a"]);
    for (path, want) in [
        ("/api/v1/agents/node-a/directives/", StatusCode::OK),
        ("/api/v1/agents/node-b/directives/", StatusCode::FORBIDDEN),
        (
            "/api/v1/agents/node-a/ready/?endpoint=acme:c1",
            StatusCode::OK,
        ),
        (
            "/api/v1/agents/node-b/ready/?endpoint=acme:c1",
            StatusCode::FORBIDDEN,
        ),
        ("/api/v1/agents/node-a/", StatusCode::OK),
        ("/api/v1/agents/node-b/", StatusCode::FORBIDDEN),
        ("/api/v1/agents/", StatusCode::FORBIDDEN),
        ("/api/v1/endpoints/other:c1/", StatusCode::OK),
        ("/api/v1/endpoints/", StatusCode::FORBIDDEN),
        ("/api/v1/audit/", StatusCode::FORBIDDEN),
        ("/metrics", StatusCode::FORBIDDEN),
    ] {
        let (status, answer) = f.send(a, "GET", path, "").await;
        assert_eq!(status, want, "{path}: {answer}");
    }
    let before = f.everything();
    let (status, _) = f
        .send(a, "POST", "/api/v1/endpoints/acme:c9/", &ep("acme", "c9"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = f.send(a, "DELETE", "/api/v1/endpoints/acme:c1/", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(f.everything(), before);
}

#[tokio::test]
async fn replaced_tokens_take_effect_at_once() {
    let f = fixture().await;
    let next = r#"{"tokens": [{"token": "new-admin-0123456789", "role": "admin"}]}"#;
    f.access.replace(TokenTable::parse(next).unwrap());
    let (status, _) = f.send(Some(ADMIN), "GET", "/api/v1/networks/", "").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old token still works"
    );
    let (status, _) = f
        .send(Some("new-admin-0123456789"), "GET", "/api/v1/networks/", "")
        .await;
    assert_eq!(status, StatusCode::OK);
}
