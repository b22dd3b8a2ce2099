//! The REST router over an in-memory service: every route, and the error paths.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{status_and_json, FixedOper, MemAgents, MemService};
use northbound_api::agent::AgentService;
use northbound_api::agent::{HostReport, TunnelReport};
use northbound_api::auth::Access;
use northbound_api::model::{Kind, Network, Object, Tenant};
use northbound_api::rest::{router, Api, Services};
use northbound_api::service::Batch;
use northbound_client::client::{Client, ClientError};
use serde_json::{json, Value};
use std::net::Ipv4Addr;
use std::sync::Arc;
use tower::ServiceExt;

fn app() -> (Arc<MemService>, Api) {
    let (svc, _, app) = app_with_agents();
    (svc, app)
}

fn app_with_agents() -> (Arc<MemService>, Arc<MemAgents>, Api) {
    let svc = Arc::new(MemService::default());
    let agents = Arc::new(MemAgents::default());
    (
        svc.clone(),
        agents.clone(),
        router(
            Services {
                intent: svc,
                agents,
                oper: Arc::new(FixedOper),
            },
            Access::Open,
        ),
    )
}

async fn send(app: &Api, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    status_and_json(app.clone().oneshot(request).await.unwrap()).await
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
        (StatusCode::OK, json!({"key": "t1", "tenantName": "t1"}))
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

/// Addresses, subnets, ranges and MACs are typed: a bad one is refused where the body is
/// decoded, with the field's path and the value, and nothing reaches the service.
#[tokio::test]
async fn bad_addresses_are_400_naming_the_field() {
    let (svc, agents, app) = app_with_agents();
    let net = |field: &str, value: &str| {
        let mut v: Value = serde_json::from_str(NET1).unwrap();
        v[field] = json!(value);
        v.to_string()
    };
    let cases = [
        ("/api/v1/networks/t1:net1/", net("subnet", "10.5.0.1/24"), "subnet: `10.5.0.1/24`: host bits are set"),
        ("/api/v1/networks/t1:net1/", net("subnet", "10.5.0.0"), "subnet: `10.5.0.0` is not a.b.c.d/len"),
        ("/api/v1/networks/t1:net1/", net("subnet", " 10.5.0.0/24"), "subnet: ` 10.5.0.0/24`"),
        ("/api/v1/networks/t1:net1/", net("gateway", "10.1.1"), "gateway: invalid IPv4 address syntax"),
        ("/api/v1/networks/t1:net1/", net("ipv6Subnet", "2001:db8::1/64"), "ipv6Subnet: `2001:db8::1/64`: host bits"),
        (
            "/api/v1/endpointGroups/t1:g/",
            r#"{"tenantName":"t1","groupName":"g","networkName":"net1","ipPool":"10.1.1.9-10.1.1.5"}"#.into(),
            "ipPool: `10.1.1.9-10.1.1.5`: the range is reversed",
        ),
        (
            "/api/v1/endpoints/t1:c/",
            r#"{"tenantName":"t1","networkName":"net1","containerName":"c","macAddress":"zz"}"#.into(),
            "macAddress: `zz` is not a MAC address",
        ),
        (
            "/api/v1/rules/t1:p:1/",
            r#"{"tenantName":"t1","policyName":"p","ruleId":"1","fromIpAddress":"10.0.0.1/24"}"#.into(),
            "fromIpAddress: `10.0.0.1/24`: host bits are set",
        ),
        (
            "/api/v1/hosts/h1/",
            r#"{"name":"h1","vtepIp":"10.0.0"}"#.into(),
            "vtepIp: invalid IPv4 address syntax",
        ),
        (
            "/api/v1/globals/global/",
            r#"{"vlans":"0-10"}"#.into(),
            "vlans: `0-10`",
        ),
    ];
    for (path, body, expected) in cases {
        let (status, answer) = send(&app, "PUT", path, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = error(&answer);
        assert!(message.contains(expected), "{message} lacks {expected}");
        assert!(message.contains("line 1 column"), "{message}");
    }
    for kind in Kind::ALL {
        assert_eq!(svc.count(kind), 0, "{kind:?}");
    }

    let bad_reports = [
        (
            r#"{"dpid":1,"vtepIp":"10.0.0"}"#,
            "vtepIp: invalid IPv4 address syntax",
        ),
        (
            r#"{"dpid":1,"tunnel":{"mode":"perPeer","ports":{"peer":7}}}"#,
            "tunnel: invalid IPv4 address syntax",
        ),
    ];
    for (body, expected) in bad_reports {
        let (status, answer) = send(&app, "PUT", "/api/v1/agents/host1/", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = error(&answer);
        assert!(message.contains(expected), "{message} lacks {expected}");
    }
    assert!(agents.reports().is_empty());
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
    let body = NET1.replace(r#""pktTag":12"#, r#""pktTag":0"#);
    let (status, answer) = send(&app, "POST", "/api/v1/networks/t1:net1/", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error(&answer), "network `t1:net1`: pktTag 0 is not a tag");
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
            {"kind": "network", "spec": {"tenantName": "t2", "networkName": "n", "subnet": "10.9.0.0/24", "pktTag": 0}},
        ],
        "deletes": [["network", "t1:net1"]],
    });
    let (status, body) = send(&app, "POST", "/api/v1/batch", &bad.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error(&body).contains("pktTag 0"), "{body}");
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
        message.starts_with("invalid batch: upserts[0].kind: unknown variant `router`"),
        "{message}"
    );

    // Misspelt fields are refused, never ignored: with `upsert` ignored, this replace would
    // have deleted everything.
    for (body, field) in [
        (
            r#"{"replace": true, "upsert": [{"kind": "tenant", "spec": {"tenantName": "t1"}}]}"#,
            "unknown field `upsert`",
        ),
        (
            r#"{"upserts": [{"kind": "tenant", "spec": {"tenantName": "t1"}, "specs": {}}]}"#,
            "upserts[0].specs: invalid value: string \"specs\", expected \"kind\" or \"spec\"",
        ),
        (
            r#"{"upserts": [{"kind": "tenant", "spec": {"tenantName": "t1", "color": "red"}}]}"#,
            "unknown field `color`",
        ),
    ] {
        let (status, answer) = send(&app, "POST", "/api/v1/batch", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(error(&answer).contains(field), "{body}: {answer}");
    }
    assert_eq!(svc.count(Kind::Tenant), 1);
    assert_eq!(svc.count(Kind::Network), 1);

    // Desired-state replace.
    let replace =
        json!({"upserts": [{"kind": "tenant", "spec": {"tenantName": "t9"}}], "replace": true});
    let (status, _) = send(&app, "POST", "/api/v1/batch", &replace.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    let (_, tenants) = send(&app, "GET", "/api/v1/tenants", "").await;
    assert_eq!(tenants, json!([{"key": "t9", "tenantName": "t9"}]));
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
    assert_eq!(body["Config"]["ipAddress"], "10.1.1.5");
    assert_eq!(body["Config"]["key"], "t1:c1");
    let (status, body) = send(&app, "GET", "/api/v1/inspect/endpoints/t1:c2", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&body), "endpoints `t1:c2` not found");
}

#[tokio::test]
async fn inspect_network_shows_config_and_oper() {
    let (_, app) = app();
    let (status, _) = send(&app, "POST", "/api/v1/networks/t1:net1/", NET1).await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/inspect/networks/t1:net1/",
        "/api/v1/inspect/networks/t1:net1",
    ] {
        let (status, body) = send(&app, "GET", path, "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["Config"]["subnet"], "10.1.1.0/24");
        assert_eq!(body["Oper"]["multicastGroups"][0]["group"], "239.1.1.1");
        assert_eq!(
            body["Oper"]["multicastGroups"][0]["members"][0],
            json!({"endpoint": "t1:c1", "host": "h1", "expiresInMs": 1000})
        );
    }
    let (status, body) = send(&app, "GET", "/api/v1/inspect/networks/t1:nope/", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&body), "networks `t1:nope` not found");
}

#[tokio::test]
async fn audit_shows_every_switch() {
    let (_, app) = app();
    for path in ["/api/v1/audit/", "/api/v1/audit"] {
        let (status, body) = send(&app, "GET", path, "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["snapshot"], 4);
        assert_eq!(body["compilePending"], false);
        assert_eq!(body["switches"][0]["state"], "inSync");
        assert_eq!(body["switches"][0]["host"], "h1");
        assert_eq!(body["switches"][1]["state"], "disconnected");
        let audit: northbound_api::audit::Audit = serde_json::from_value(body).unwrap();
        assert!(!audit.settled(), "a disconnected switch is not settled");
    }
    let (status, body) = send(&app, "POST", "/api/v1/audit/", "{}").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
}

#[tokio::test]
async fn flows_of_a_switch_by_dpid_or_host_with_an_owner_filter() {
    let (_, app) = app();
    for path in [
        "/api/v1/flows/?switch=1",
        "/api/v1/flows?switch=0x1",
        "/api/v1/flows/?host=h1",
    ] {
        let (status, body) = send(&app, "GET", path, "").await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let flows: northbound_api::flows::SwitchFlows = serde_json::from_value(body).unwrap();
        assert_eq!((flows.dpid, flows.flows.len()), (1, 2), "{path}");
    }
    for (owner, want) in [("t1:c1", 1), ("t1", 1), ("basePipeline", 1), ("t2", 0)] {
        let path = format!("/api/v1/flows/?host=h1&owner={owner}");
        let (status, body) = send(&app, "GET", &path, "").await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(
            body["flows"].as_array().unwrap().len(),
            want,
            "{path}: {body}"
        );
    }
    let long = format!("/api/v1/flows/?host=h1&owner={}", "a".repeat(513));
    for (path, want, says) in [
        ("/api/v1/flows/", StatusCode::BAD_REQUEST, "exactly one of"),
        (
            "/api/v1/flows/?switch=1&host=h1",
            StatusCode::BAD_REQUEST,
            "exactly one of",
        ),
        (
            "/api/v1/flows/?switch=zz",
            StatusCode::BAD_REQUEST,
            "no datapath id",
        ),
        (
            "/api/v1/flows/?switch=1&color=red",
            StatusCode::BAD_REQUEST,
            "unknown field `color`",
        ),
        (long.as_str(), StatusCode::BAD_REQUEST, "longer than 512"),
        (
            "/api/v1/flows/?switch=2",
            StatusCode::NOT_FOUND,
            "no switch",
        ),
        ("/api/v1/flows/?host=h9", StatusCode::NOT_FOUND, "no switch"),
    ] {
        let (status, body) = send(&app, "GET", path, "").await;
        assert_eq!(status, want, "{path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn traces_decode_and_refuse_bad_bodies() {
    let (_, app) = app();
    let (status, body) = send(
        &app,
        "POST",
        "/api/v1/trace",
        r#"{"tenant":"t1","from":"c1","to":"c2"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report: northbound_api::trace::TraceReport = serde_json::from_value(body).unwrap();
    assert_eq!(report.verdict.delivered_to, ["t1:c2"]);
    for (text, want, says) in [
        ("{", StatusCode::BAD_REQUEST, "invalid trace"),
        (
            r#"{"tenant":"t1","from":"c1"}"#,
            StatusCode::BAD_REQUEST,
            "missing field `to`",
        ),
        (
            r#"{"tenant":"t1","from":"c1","to":"c2","ttl":3}"#,
            StatusCode::BAD_REQUEST,
            "unknown field `ttl`",
        ),
        (
            r#"{"tenant":"t1","from":"c1","to":"c2","protocol":"gre"}"#,
            StatusCode::BAD_REQUEST,
            "protocol",
        ),
        (
            r#"{"tenant":"t1","from":"c1","to":"c2","dport":65536}"#,
            StatusCode::BAD_REQUEST,
            "dport",
        ),
        (
            r#"{"tenant":"t1","from":"c9","to":"c2"}"#,
            StatusCode::NOT_FOUND,
            "no such endpoint",
        ),
    ] {
        let (status, body) = send(&app, "POST", "/api/v1/trace", text).await;
        assert_eq!(status, want, "{text}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{text}: {body}"
        );
    }
    let (status, body) = send(&app, "GET", "/api/v1/trace", "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
}

#[test]
fn client_over_a_real_server() {
    let svc = Arc::new(MemService::default());
    let client = Client::new(&common::spawn_server(svc.clone()));
    let tenant = Object::Tenant(Tenant::named("a b"));
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
    assert!(
        matches!(refused, ClientError::Transport { .. }),
        "{refused}"
    );
}

const REPORT: &str = r#"{"dpid":1,"vtepIp":"192.168.2.10","endpointPorts":{"t1:c1":5,"t1:c2":6},"uplinks":[2],"tunnel":{"mode":"flow","port":3}}"#;

#[tokio::test]
async fn agent_reports_are_stored_listed_and_replaced() {
    let (_, agents, app) = app_with_agents();
    let (status, body) = send(&app, "GET", "/api/v1/agents/", "").await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));

    let (status, body) = send(&app, "PUT", "/api/v1/agents/host1/", REPORT).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let expected: Value = serde_json::from_str(REPORT).unwrap();
    assert_eq!(body, expected);
    let report: HostReport = serde_json::from_str(REPORT).unwrap();
    assert_eq!(report.tunnel, Some(TunnelReport::Flow { port: 3 }));
    assert_eq!(
        agents.reports(),
        [("host1".to_string(), report.clone())].into()
    );

    // Without the trailing slash too; a second host; a replacement of the first.
    let host2 = r#"{"dpid":2,"tunnel":{"mode":"perPeer","ports":{"192.168.2.10":7}}}"#;
    let (status, _) = send(&app, "PUT", "/api/v1/agents/host2", host2).await;
    assert_eq!(status, StatusCode::OK);
    let host1 = r#"{"dpid":1,"endpointPorts":{"t1:c1":9}}"#;
    let (status, _) = send(&app, "PUT", "/api/v1/agents/host1/", host1).await;
    assert_eq!(status, StatusCode::OK);
    for path in ["/api/v1/agents/", "/api/v1/agents"] {
        let (status, body) = send(&app, "GET", path, "").await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(
            body,
            json!({
                "host1": {"dpid": 1, "endpointPorts": {"t1:c1": 9}, "uplinks": []},
                "host2": {"dpid": 2, "endpointPorts": {}, "uplinks": [],
                          "tunnel": {"mode": "perPeer", "ports": {"192.168.2.10": 7}}},
            }),
            "{path}"
        );
    }
    let (status, body) = send(&app, "GET", "/api/v1/agents/host2/", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["dpid"], 2);
    let (status, body) = send(&app, "GET", "/api/v1/agents/host3/", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error(&body), "no report from host `host3`");
}

#[tokio::test]
async fn malformed_or_refused_agent_reports_are_400_and_change_nothing() {
    let (_, agents, app) = app_with_agents();
    let (status, _) = send(&app, "PUT", "/api/v1/agents/host1/", REPORT).await;
    assert_eq!(status, StatusCode::OK);
    let before = agents.reports();
    let cases = [
        ("{\"dpid\": ", "line 1"),
        (r#"{"endpointPorts":{}}"#, "missing field `dpid`"),
        (r#"{"dpid":1,"bridge":"br0"}"#, "unknown field `bridge`"),
        (r#"{"dpid":"one"}"#, "invalid type"),
        (
            r#"{"dpid":1,"tunnel":{"mode":"gre"}}"#,
            "unknown variant `gre`",
        ),
        (
            r#"{"dpid":1,"endpointPorts":{"t1:c1":-1}}"#,
            "invalid value",
        ),
    ];
    for (body, needle) in cases {
        let (status, answer) = send(&app, "PUT", "/api/v1/agents/host1/", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = error(&answer);
        assert!(
            message.starts_with("invalid report of host `host1`: ") && message.contains(needle),
            "{body}: {message:?} lacks {needle:?}"
        );
    }
    // The service's own refusal keeps its status and message.
    let (status, answer) = send(&app, "PUT", "/api/v1/agents/host1/", r#"{"dpid":0}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error(&answer), "host `host1`: dpid 0");
    assert_eq!(agents.reports(), before);

    // Only GET and PUT.
    for method in ["POST", "DELETE"] {
        let (status, _) = send(&app, method, "/api/v1/agents/host1/", REPORT).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    let (status, _) = send(&app, "PUT", "/api/v1/agents/", REPORT).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[test]
fn client_reports_a_host() {
    let svc = Arc::new(MemService::default());
    let agents = Arc::new(MemAgents::default());
    let client = Client::new(&common::spawn_server_with(svc, agents.clone()));
    assert!(client.host_reports().unwrap().is_empty());
    let report: HostReport = serde_json::from_str(REPORT).unwrap();
    client.report_host("host 1", &report).unwrap();
    let expected: std::collections::BTreeMap<_, _> = [("host 1".to_string(), report)].into();
    assert_eq!(agents.reports(), expected);
    assert_eq!(client.host_reports().unwrap(), expected);
    let mut bad: HostReport = serde_json::from_str(REPORT).unwrap();
    bad.dpid = 0;
    match client.report_host("host1", &bad) {
        Err(ClientError::Api(e)) => {
            assert_eq!(e.status, 400);
            assert_eq!(e.message, "host `host1`: dpid 0");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn readiness_waits_for_the_endpoint_and_gives_up_after_the_wait() {
    let (_, agents, app) = app_with_agents();
    let uri = "/api/v1/agents/host1/ready/?endpoint=blue:a&waitMs=60000";
    // Not reported yet: the poll waits, and answers once the host's report holds it.
    let waiting = {
        let app = app.clone();
        tokio::spawn(async move { send(&app, "GET", uri, "").await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(
        !waiting.is_finished(),
        "answered before the endpoint was there"
    );
    let mut report: HostReport = serde_json::from_str(REPORT).unwrap();
    report.endpoint_ports.insert("blue:a".into(), 7);
    agents.report("host1", report).unwrap();
    let (status, body) = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
        .await
        .expect("the long poll answers once the endpoint is usable")
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"endpoint": "blue:a", "snapshot": 1, "waiting": [], "ready": true})
    );
    // Never usable: the answer after the wait (capped), not ready.
    let started = std::time::Instant::now();
    let uri = "/api/v1/agents/host1/ready?endpoint=blue:zz&waitMs=100";
    let (status, body) = send(&app, "GET", uri, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ready"], false);
    assert!(started.elapsed() >= std::time::Duration::from_millis(100));
    // Without the endpoint, or with an unknown parameter: refused.
    for uri in [
        "/api/v1/agents/host1/ready/",
        "/api/v1/agents/host1/ready/?endpoint=blue:a&waitMs=1&after=3",
        "/api/v1/agents/host1/ready/?endpoint=blue:a&waitMs=-1",
    ] {
        let (status, body) = send(&app, "GET", uri, "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
    }
}

#[tokio::test]
async fn directives_answer_at_once_or_after_a_change() {
    let (_, agents, app) = app_with_agents();
    let (status, body) = send(&app, "GET", "/api/v1/agents/host1/directives/", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"version": 0, "tunnels": [], "vxlanPort": 4789, "uplinks": [], "endpoints": []})
    );
    agents.set_tunnels("host1", &["10.200.0.2"]);
    // Past version 0 already: at once, without the slash too.
    let uri = "/api/v1/agents/host1/directives?after=0&waitS=30";
    let (status, body) = send(&app, "GET", uri, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["tunnels"], json!(["10.200.0.2"]));
    assert_eq!(body["version"], 1);

    // Not past version 1 yet: the answer waits for the next change.
    let waiting = {
        let app = app.clone();
        tokio::spawn(async move {
            send(
                &app,
                "GET",
                "/api/v1/agents/host1/directives/?after=1&waitS=30",
                "",
            )
            .await
        })
    };
    // Once the request waits for a change (it subscribed to the directives' version), it has
    // not answered.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while agents.waiting_polls() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the long poll never waited"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(!waiting.is_finished(), "answered before any change");
    agents.set_tunnels("host1", &["10.200.0.2", "10.200.0.3"]);
    let (status, body) = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
        .await
        .expect("the long poll answers after the change")
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["tunnels"], json!(["10.200.0.2", "10.200.0.3"]));
    assert_eq!(body["version"], 2);

    // No change within the wait: the current directives.
    let started = std::time::Instant::now();
    let (status, body) = send(
        &app,
        "GET",
        "/api/v1/agents/host1/directives/?after=2&waitS=1",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], 2);
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));

    for bad in ["after=x", "waitS=-1", "after=1&colour=red"] {
        let uri = format!("/api/v1/agents/host1/directives/?{bad}");
        let (status, body) = send(&app, "GET", &uri, "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(error(&body).starts_with("invalid query: "), "{body}");
    }
}

#[test]
fn client_long_polls_directives() {
    let svc = Arc::new(MemService::default());
    let agents = Arc::new(MemAgents::default());
    let client = Client::new(&common::spawn_server_with(svc, agents.clone()));
    let wait = std::time::Duration::from_secs(30);
    let now = client.directives("host 1", None, wait).unwrap();
    assert_eq!(now.version, 0);
    assert!(now.tunnels.is_empty());
    let setter = {
        let agents = agents.clone();
        std::thread::spawn(move || {
            agents.await_poll();
            agents.set_tunnels("host 1", &["10.200.0.9"]);
        })
    };
    let next = client.directives("host 1", Some(0), wait).unwrap();
    setter.join().unwrap();
    assert_eq!(next.version, 1);
    assert_eq!(next.tunnels, [Ipv4Addr::new(10, 200, 0, 9)]);
}
