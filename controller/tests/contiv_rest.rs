//! Contiv's REST bodies against a running netmaster: every object Contiv and netplugin share,
//! posted in Contiv's form (its field names, its `key`) to Contiv's paths, reads back with the
//! same fields; a `key` that is not the object's, a field netplugin does not support and a
//! collection it does not have are refused with a message that says so, and change nothing.
//! The `default` tenant exists from the start.

#[path = "support/api_netmaster.rs"]
mod api_netmaster;

use api_netmaster::{raw_request, ApiNetmaster};
use serde_json::{json, Value};

/// One request with a JSON body (or none); the status and the JSON answer.
fn http(nm: &ApiNetmaster, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let body = body.map(Value::to_string).unwrap_or_default();
    let (status, answer) = raw_request(&nm.url, method, path, &body);
    (status, serde_json::from_str(&answer).unwrap_or(Value::Null))
}

fn start() -> (tempfile::TempDir, ApiNetmaster) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = dir.path().join("intent.redb");
    let nm = ApiNetmaster::start(
        &dir.path().join("of.sock"),
        &[std::ffi::OsStr::new("--store"), store.as_os_str()],
    );
    (dir, nm)
}

/// Every field of `sent` is in `got` with the same value.
fn assert_fields(sent: &Value, got: &Value) {
    for (field, value) in sent.as_object().expect("an object") {
        assert_eq!(&got[field], value, "field `{field}` of {got}");
    }
}

/// Contiv's bodies of the objects netplugin implements, in creation order, with their paths.
fn contiv_objects() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/api/v1/globals/global/",
            json!({"key": "global", "name": "global", "networkInfraType": "default",
                   "vlans": "1-4094", "vxlans": "1-10000", "fwdMode": "bridge",
                   "arpMode": "proxy", "pvtSubnet": "172.19.0.0/16"}),
        ),
        (
            "/api/v1/tenants/blue/",
            json!({"key": "blue", "tenantName": "blue", "defaultNetwork": "contiv-net"}),
        ),
        (
            "/api/v1/networks/blue:contiv-net/",
            json!({"key": "blue:contiv-net", "tenantName": "blue", "networkName": "contiv-net",
                   "nwType": "data", "encap": "vxlan", "pktTag": 4000,
                   "subnet": "20.1.1.0/24", "gateway": "20.1.1.254", "cfgdTag": "docker-net"}),
        ),
        (
            "/api/v1/netprofiles/blue:gold/",
            json!({"key": "blue:gold", "tenantName": "blue", "profileName": "gold",
                   "bandwidth": "10Mbps", "DSCP": 10, "burst": 200}),
        ),
        (
            "/api/v1/policys/blue:web-policy/",
            json!({"key": "blue:web-policy", "tenantName": "blue", "policyName": "web-policy"}),
        ),
        (
            "/api/v1/endpointGroups/blue:web/",
            json!({"key": "blue:web", "tenantName": "blue", "groupName": "web",
                   "networkName": "contiv-net", "policies": ["web-policy"],
                   "netProfile": "gold", "ipPool": "20.1.1.10-20.1.1.20",
                   "cfgdTag": "web-tag"}),
        ),
        (
            "/api/v1/rules/blue:web-policy:1/",
            json!({"key": "blue:web-policy:1", "tenantName": "blue", "policyName": "web-policy",
                   "ruleId": "1", "direction": "in", "priority": 10, "fromEndpointGroup": "web",
                   "protocol": "tcp", "port": 80, "action": "allow"}),
        ),
        (
            "/api/v1/rules/blue:web-policy:2/",
            json!({"key": "blue:web-policy:2", "tenantName": "blue", "policyName": "web-policy",
                   "ruleId": "2", "direction": "out", "priority": 5,
                   "toIpAddress": "20.1.1.0/24", "action": "deny"}),
        ),
    ]
}

#[test]
fn contiv_bodies_round_trip_and_the_default_tenant_exists() {
    let (_dir, nm) = start();
    let (status, tenant) = http(&nm, "GET", "/api/v1/tenants/default/", None);
    assert_eq!(status, 200, "{tenant}");
    assert_eq!(tenant, json!({"key": "default", "tenantName": "default"}));

    for (path, body) in contiv_objects() {
        let (status, answer) = http(&nm, "POST", path, Some(&body));
        assert_eq!(status, 200, "POST {path}: {answer}");
        assert_fields(&body, &answer);
        let (status, read) = http(&nm, "GET", path, None);
        assert_eq!(status, 200, "GET {path}: {read}");
        assert_fields(&body, &read);
    }
    // A list answers with the keys too; an answer posted back as it is changes nothing.
    let (_, networks) = http(&nm, "GET", "/api/v1/networks/", None);
    assert_eq!(networks[0]["key"], "blue:contiv-net", "{networks}");
    let (status, again) = http(
        &nm,
        "PUT",
        "/api/v1/networks/blue:contiv-net/",
        Some(&networks[0]),
    );
    assert_eq!((status, &again), (200, &networks[0]));
}

#[test]
fn a_wrong_key_an_unsupported_field_or_collection_changes_nothing() {
    let (_dir, nm) = start();
    for (path, body) in contiv_objects().into_iter().take(3) {
        assert_eq!(http(&nm, "POST", path, Some(&body)).0, 200, "{path}");
    }
    let (_, before) = http(&nm, "GET", "/api/v1/networks/", None);
    let (_, global_before) = http(&nm, "GET", "/api/v1/globals/global/", None);

    let refused = [
        // The body's key is not the one its fields make.
        (
            "/api/v1/networks/blue:contiv-net/",
            json!({"key": "blue:other", "tenantName": "blue", "networkName": "contiv-net",
                   "subnet": "20.1.2.0/24"}),
            "`blue:other` is not this object's key: its fields make `blue:contiv-net`",
        ),
        // The body's key is its own, the path's is another's.
        (
            "/api/v1/networks/blue:other/",
            json!({"key": "blue:contiv-net", "tenantName": "blue", "networkName": "contiv-net",
                   "subnet": "20.1.2.0/24"}),
            "blue:other",
        ),
        (
            "/api/v1/networks/blue:infra/",
            json!({"key": "blue:infra", "tenantName": "blue", "networkName": "infra",
                   "nwType": "infra", "subnet": "20.1.3.0/24"}),
            "nwType: infra networks (an interface of the host itself on the network) (not supported by netplugin)",
        ),
        (
            "/api/v1/globals/global/",
            json!({"key": "global", "name": "global", "networkInfraType": "aci"}),
            "networkInfraType: Contiv's ACI fabric modes (aci, aci-opflex) need Cisco ACI (not supported by netplugin)",
        ),
        (
            "/api/v1/globals/global/",
            json!({"name": "global", "pvtSubnet": "172.19.0.0/24"}),
            "pvtSubnet: 172.19.0.0/24 is not a /16",
        ),
        (
            "/api/v1/endpointGroups/blue:web/",
            json!({"tenantName": "blue", "groupName": "web", "networkName": "contiv-net",
                   "extContractsGrps": ["ext"]}),
            "extContractsGrps: external contracts groups are Cisco ACI contracts (not supported by netplugin)",
        ),
        (
            "/api/v1/appProfiles/blue:app/",
            json!({"key": "blue:app", "tenantName": "blue", "appProfileName": "app"}),
            "Contiv's application profiles (Cisco ACI) (`appProfiles`) are not supported by netplugin",
        ),
        (
            "/api/v1/Bgps/host1/",
            json!({"key": "host1", "hostname": "host1", "as": "65002"}),
            "Contiv's BGP peerings (Contiv's L3 routing mode) (`Bgps`) are not supported by netplugin",
        ),
    ];
    for (path, body, message) in refused {
        let (status, answer) = http(&nm, "POST", path, Some(&body));
        assert_eq!(status, 400, "POST {path} {body}: {answer}");
        let text = answer.to_string();
        assert!(
            text.contains(message),
            "POST {path}: {text} lacks {message}"
        );
    }
    assert_eq!(http(&nm, "GET", "/api/v1/networks/", None).1, before);
    assert_eq!(
        http(&nm, "GET", "/api/v1/globals/global/", None).1,
        global_before
    );
    assert_eq!(
        http(&nm, "GET", "/api/v1/endpointGroups/", None).1,
        json!([])
    );
}

/// Polls `GET path` until `done` holds for the answer (the compile after a change is
/// asynchronous); panics after 10 s.
fn until(nm: &ApiNetmaster, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, answer) = http(nm, "GET", path, None);
        if status == 200 && done(&answer) {
            return answer;
        }
        assert!(std::time::Instant::now() < deadline, "GET {path}: {answer}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Contiv's inspect of every kind: `Config` (with the key) and `Oper` with Contiv's fields,
/// derived from the allocations and from where the agent says the endpoints are plugged in.
/// Also `GET /version` and `GET /info`.
#[test]
fn inspect_shows_allocations_placements_and_totals() {
    let (_dir, nm) = start();
    for (path, body) in contiv_objects() {
        assert_eq!(http(&nm, "POST", path, Some(&body)).0, 200, "{path}");
    }
    assert_eq!(
        http(
            &nm,
            "POST",
            "/api/v1/hosts/host1/",
            Some(&json!({"name": "host1"}))
        )
        .0,
        200
    );
    for (name, group, ip) in [
        ("c1", Some("web"), None),
        ("c2", Some("web"), None),
        ("c3", None, Some("20.1.1.50")),
    ] {
        let mut ep = json!({"tenantName": "blue", "networkName": "contiv-net", "containerName": name, "host": "host1"});
        if let Some(group) = group {
            ep["groupName"] = json!(group);
        }
        if let Some(ip) = ip {
            ep["ipAddress"] = json!(ip);
        }
        let path = format!("/api/v1/endpoints/blue:{name}/");
        assert_eq!(http(&nm, "POST", &path, Some(&ep)).0, 200, "{path}");
    }
    // host1's agent plugged c1 and c3 in (c2 is not yet).
    let report =
        json!({"dpid": 7, "vtepIp": "192.168.2.10", "endpointPorts": {"blue:c1": 3, "blue:c3": 4}});
    assert_eq!(
        http(&nm, "PUT", "/api/v1/agents/host1/", Some(&report)).0,
        200
    );

    let c1 = until(&nm, "/api/v1/inspect/endpoints/blue:c1/", |a| {
        a["Oper"]["homingHost"] == "host1"
    });
    assert_eq!(c1["Config"]["key"], "blue:c1");
    let oper = &c1["Oper"];
    assert_eq!(oper["endpointID"], "blue:c1");
    assert_eq!(oper["network"], "blue:contiv-net");
    assert_eq!(oper["endpointGroupKey"], "blue:web");
    assert_eq!(
        oper["ipAddress"],
        json!(["20.1.1.10"]),
        "the group's pool: {oper}"
    );
    assert_eq!(
        (oper["ofport"].as_u64(), oper["vtepIP"].as_str()),
        (Some(3), Some("192.168.2.10"))
    );

    let (_, net) = http(
        &nm,
        "GET",
        "/api/v1/inspect/networks/blue:contiv-net/",
        None,
    );
    let oper = &net["Oper"];
    assert_eq!(net["Config"]["cfgdTag"], "docker-net");
    assert_eq!(
        (oper["pktTag"].as_u64(), oper["networkTag"].as_str()),
        (Some(4000), Some("docker-net"))
    );
    assert_eq!(oper["numEndpoints"], 3);
    assert_eq!(oper["allocatedAddressesCount"], 3);
    assert_eq!(
        oper["allocatedIPAddresses"],
        "20.1.1.10-20.1.1.11, 20.1.1.50"
    );
    assert_eq!(
        oper["availableIPAddresses"],
        "20.1.1.1-20.1.1.9, 20.1.1.12-20.1.1.49, 20.1.1.51-20.1.1.253",
        "the gateway 20.1.1.254 is not available"
    );
    let homes: Vec<&str> = oper["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["homingHost"].as_str().unwrap())
        .collect();
    assert_eq!(homes, ["host1", "", "host1"]);

    let (_, group) = http(&nm, "GET", "/api/v1/inspect/endpointGroups/blue:web/", None);
    let oper = &group["Oper"];
    assert_eq!(
        (oper["numEndpoints"].as_u64(), oper["groupTag"].as_str()),
        (Some(2), Some("web-tag"))
    );
    assert_eq!(oper["allocatedIPAddresses"], "20.1.1.10-20.1.1.11");
    assert_eq!(oper["availableIPAddresses"], "20.1.1.12-20.1.1.20");
    assert!(oper["pktTag"].as_u64().unwrap() > 0);

    let (_, policy) = http(&nm, "GET", "/api/v1/inspect/policys/blue:web-policy/", None);
    assert_eq!(policy["Oper"]["numEndpoints"], 2);
    assert_eq!(policy["Oper"]["endpointGroups"], json!(["blue:web"]));

    let (_, tenant) = http(&nm, "GET", "/api/v1/inspect/tenants/blue/", None);
    let oper = &tenant["Oper"];
    for (field, n) in [
        ("totalNetworks", 1),
        ("totalEPGs", 1),
        ("totalEndpoints", 3),
        ("totalPolicies", 1),
        ("totalNetprofiles", 1),
    ] {
        assert_eq!(oper[field], n, "{field}: {oper}");
    }
    assert_eq!(oper["networks"][0]["numEndpoints"], 3);

    let (_, host) = http(&nm, "GET", "/api/v1/inspect/hosts/host1/", None);
    assert_eq!(
        (
            host["Oper"]["reporting"].as_bool(),
            host["Oper"]["dpid"].as_u64()
        ),
        (Some(true), Some(7))
    );
    assert_eq!(host["Oper"]["numEndpoints"], 2);

    let (_, global) = http(&nm, "GET", "/api/v1/inspect/globals/global/", None);
    assert_eq!(global["Oper"]["vxlansInUse"], "4000");
    assert_eq!(global["Oper"]["freeVXLANsStart"], 1);
    assert_eq!(
        (
            global["Oper"]["numNetworks"].as_u64(),
            global["Oper"]["numHosts"].as_u64()
        ),
        (Some(1), Some(1))
    );

    // Rules and netprofiles have no Oper, as in Contiv.
    let (status, rule) = http(&nm, "GET", "/api/v1/inspect/rules/blue:web-policy:1/", None);
    assert_eq!(status, 200);
    assert_eq!(rule["Config"]["priority"], 10);
    assert!(rule.get("Oper").is_none(), "{rule}");
    let (status, missing) = http(&nm, "GET", "/api/v1/inspect/networks/blue:nothing/", None);
    assert_eq!(
        (status, missing["error"].as_str()),
        (404, Some("networks `blue:nothing` not found"))
    );

    let (status, version) = http(&nm, "GET", "/version", None);
    assert_eq!(status, 200);
    assert_eq!(version["Version"], env!("CARGO_PKG_VERSION"));
    assert!(version["GitCommit"].is_string() && version["BuildTime"].is_string());
    let (status, info) = http(&nm, "GET", "/info", None);
    assert_eq!(status, 200);
    assert_eq!(info["current-state"], "leader");
    assert_eq!(info["local-ip"], "127.0.0.1");
    assert_eq!(info["netplugin-nodes"], json!(["host1"]));
}
