//! The packet tracer (`POST /api/v1/trace`) over compiled intents, with the examples' placement
//! (`support/examples.rs`): within a network every endpoint reaches every other, across
//! hosts through the right tunnel or uplink; across networks of a bridged tenant the sender
//! has no way; addresses resolve in the sender's tenant only (tenants overlap); every flow a
//! packet matches is named by an object of the snapshot; a policy's deny names its rule, and a
//! frame no table takes is named as the table's miss. The same verdicts are checked against
//! real pings on Open vSwitch by the topology tests (`topology-tests/tests/policy.rs`).

#[path = "support/examples.rs"]
mod examples;

use examples::{apply_intent, topology};
use netmaster::compiled::{compile, Compiled, Inputs};
use netmaster::explain::trace::trace;
use netmaster::intent::service::IntentDb;
use netmaster::intent::Snapshot;
use netmaster::pipeline::base_pipeline;
use northbound_api::flows::OwnerKind;
use northbound_api::model::Encap;
use northbound_api::oper::OperError;
use northbound_api::service::{Batch, IntentService};
use northbound_api::trace::{
    FabricPort, TraceIngress, TraceProtocol, TraceReport, TraceRequest, TraceTarget,
};
use std::sync::Arc;

/// `snap` compiled for the examples' topology.
fn compiled(snap: Snapshot) -> Compiled {
    let topo = topology(&snap);
    compile(&Inputs {
        intent: Arc::new(snap),
        reports: topo.hosts,
        fixed: Arc::new(base_pipeline()),
        ..Inputs::default()
    })
}

fn request(
    tenant: &str,
    from: &str,
    to: TraceTarget,
    protocol: TraceProtocol,
    dport: Option<u16>,
) -> TraceRequest {
    TraceRequest {
        tenant: tenant.into(),
        from: from.into(),
        to,
        protocol,
        dport,
        sport: None,
        live: false,
        ingress: None,
    }
}

/// Every flow the packet matched has an owner in the snapshot.
fn owners_named(report: &TraceReport) {
    for hop in &report.hops {
        for s in &hop.steps {
            let named = match s.owner.kind {
                OwnerKind::BasePipeline | OwnerKind::PacketIn => s.owner.detail.is_some(),
                OwnerKind::Foreign | OwnerKind::Unknown | OwnerKind::StaticFlow => false,
                _ => !s.owner.objects.is_empty(),
            };
            assert!(
                named,
                "{}: table {} flow {} has owner {}",
                hop.host, s.table, s.flow, s.owner
            );
        }
    }
}

/// Traces every ordered pair of endpoints of every tenant of example `name`; the number of
/// delivered pairs.
fn every_pair(name: &str) -> usize {
    let db = IntentDb::in_memory();
    apply_intent(&db, name);
    let snap = db.snapshot();
    let c = compiled(snap.clone());
    let mut delivered = 0;
    for (ka, a) in &snap.endpoints {
        for (kb, b) in &snap.endpoints {
            if ka == kb || a.tenant_name != b.tenant_name {
                continue;
            }
            let to = TraceTarget::Endpoint(b.container_name.clone());
            let req = request(
                &a.tenant_name,
                &a.container_name,
                to,
                TraceProtocol::Icmp,
                None,
            );
            let got = trace(&c, &req);
            if a.network_name != b.network_name {
                let Err(OperError::Invalid(why)) = got else {
                    panic!("{name}: {ka} -> {kb} across networks: {got:?}");
                };
                assert!(why.contains("no way"), "{why}");
                continue;
            }
            let report = got.unwrap_or_else(|e| panic!("{name}: {ka} -> {kb}: {e}"));
            assert_eq!(
                report.verdict.delivered_to,
                vec![kb.clone()],
                "{name}: {ka} -> {kb}: {report:#?}"
            );
            assert!(report.verdict.dropped.is_empty(), "{report:#?}");
            owners_named(&report);
            let hosts = if a.host == b.host { 1 } else { 2 };
            assert_eq!(
                report.hops.len(),
                hosts,
                "{name}: {ka} -> {kb}: {report:#?}"
            );
            if hosts == 2 {
                let arrived = &report.hops[1].arrived;
                assert!(
                    arrived.starts_with("tunnel from ") || arrived.starts_with("uplink from "),
                    "{arrived}"
                );
                // The receiving half alone: the packet enters b's host through its fabric
                // port, tagged with the network's VNI or VLAN.
                let net = &snap.networks[&format!("{}:{}", a.tenant_name, a.network_name)];
                let vxlan = net.encap == Encap::Vxlan;
                let mut half = req.clone();
                half.ingress = Some(TraceIngress {
                    host: b.host.clone().unwrap(),
                    port: if vxlan {
                        FabricPort::Tunnel
                    } else {
                        FabricPort::Uplink
                    },
                });
                let half = trace(&c, &half).unwrap();
                assert_eq!(half.hops.len(), 1, "{half:#?}");
                assert_eq!(half.verdict.delivered_to, vec![kb.clone()], "{half:#?}");
                let from = if vxlan {
                    "tunnel (VNI "
                } else {
                    "uplink (VLAN "
                };
                assert!(
                    half.hops[0].arrived.starts_with(from),
                    "{}",
                    half.hops[0].arrived
                );
                owners_named(&half);
            }
            // The same by address: it resolves in the sender's tenant, never to the endpoint
            // of another tenant with the same address.
            let by_ip = TraceTarget::Address(b.ip_address.unwrap());
            let req = request(
                &a.tenant_name,
                &a.container_name,
                by_ip,
                TraceProtocol::Udp,
                Some(53),
            );
            let again = trace(&c, &req).unwrap();
            assert_eq!(again.verdict.delivered_to, vec![kb.clone()]);
            delivered += 1;
        }
    }
    delivered
}

#[test]
fn examples_deliver_within_networks_only() {
    assert_eq!(every_pair("one_host_multiple_nets.json"), 4);
    assert_eq!(every_pair("two_hosts_multiple_tenants.json"), 4);
    assert_eq!(
        every_pair("two_hosts_multiple_tenants_mix_vlan_vxlan.json"),
        4
    );
    assert_eq!(every_pair("three_hosts_vxlan.json"), 12);
}

const POLICY: &str = r#"{"upserts": [
  {"kind": "tenant", "spec": {"tenantName": "blue"}},
  {"kind": "host", "spec": {"name": "h1"}},
  {"kind": "host", "spec": {"name": "h2"}},
  {"kind": "network", "spec": {"tenantName": "blue", "networkName": "net", "encap": "vxlan",
    "subnet": "10.1.0.0/24"}},
  {"kind": "policy", "spec": {"tenantName": "blue", "policyName": "dbp"}},
  {"kind": "rule", "spec": {"tenantName": "blue", "policyName": "dbp", "ruleId": "1",
    "direction": "in", "priority": 1, "action": "deny"}},
  {"kind": "rule", "spec": {"tenantName": "blue", "policyName": "dbp", "ruleId": "2",
    "direction": "in", "priority": 2, "fromEndpointGroup": "web", "protocol": "tcp",
    "port": 5432, "action": "allow"}},
  {"kind": "endpointGroup", "spec": {"tenantName": "blue", "groupName": "web", "networkName": "net"}},
  {"kind": "endpointGroup", "spec": {"tenantName": "blue", "groupName": "db", "networkName": "net",
    "policies": ["dbp"]}},
  {"kind": "endpoint", "spec": {"tenantName": "blue", "networkName": "net", "groupName": "web",
    "containerName": "web1", "host": "h1"}},
  {"kind": "endpoint", "spec": {"tenantName": "blue", "networkName": "net", "groupName": "db",
    "containerName": "db1", "host": "h2"}}
]}"#;

#[test]
fn a_policy_deny_names_its_rule_and_an_allow_passes() {
    let db = IntentDb::in_memory();
    let batch: Batch = serde_json::from_str(POLICY).unwrap();
    db.apply(batch).unwrap();
    let c = compiled(db.snapshot());
    let db1 = || TraceTarget::Endpoint("db1".into());
    let allowed = trace(
        &c,
        &request("blue", "web1", db1(), TraceProtocol::Tcp, Some(5432)),
    )
    .unwrap();
    assert_eq!(
        allowed.verdict.delivered_to,
        vec!["blue:db1".to_string()],
        "{allowed:#?}"
    );
    owners_named(&allowed);
    for (proto, port) in [(TraceProtocol::Tcp, Some(80)), (TraceProtocol::Icmp, None)] {
        let denied = trace(&c, &request("blue", "web1", db1(), proto, port)).unwrap();
        assert!(denied.verdict.delivered_to.is_empty(), "{denied:#?}");
        let [drop] = denied.verdict.dropped.as_slice() else {
            panic!("one drop: {denied:#?}");
        };
        let by = drop.by.as_ref().expect("dropped by a flow");
        assert_eq!(by.owner.kind, OwnerKind::Rule);
        assert_eq!(by.owner.objects, vec!["blue:dbp:1".to_string()]);
        assert!(
            denied.verdict.summary.contains("by rule blue:dbp:1"),
            "{}",
            denied.verdict.summary
        );
        owners_named(&denied);
    }
    // The receiving host enforces the policy too: a packet from web1 that comes in through
    // h2's tunnel is dropped there by the same rule, one that may pass is delivered.
    let via_tunnel = |proto, port| {
        let mut r = request("blue", "web1", db1(), proto, port);
        r.ingress = Some(TraceIngress {
            host: "h2".into(),
            port: FabricPort::Tunnel,
        });
        trace(&c, &r).unwrap()
    };
    let denied = via_tunnel(TraceProtocol::Icmp, None);
    assert_eq!(denied.hops.len(), 1);
    assert_eq!(denied.hops[0].host, "h2");
    assert!(
        denied
            .verdict
            .summary
            .contains("dropped on h2 in table 30 by rule blue:dbp:1"),
        "{denied:#?}"
    );
    let allowed = via_tunnel(TraceProtocol::Tcp, Some(5432));
    assert_eq!(allowed.verdict.delivered_to, vec!["blue:db1".to_string()]);
    // A VXLAN network's packets never come in through an uplink.
    let mut r = request("blue", "web1", db1(), TraceProtocol::Icmp, None);
    r.ingress = Some(TraceIngress {
        host: "h2".into(),
        port: FabricPort::Uplink,
    });
    match trace(&c, &r) {
        Err(OperError::Invalid(m)) => assert!(m.contains("is a VXLAN network"), "{m}"),
        other => panic!("{other:?}"),
    }

    // The other way nothing is enforced: web has no policy.
    let web1 = TraceTarget::Endpoint("web1".into());
    let back = trace(
        &c,
        &request("blue", "db1", web1, TraceProtocol::Tcp, Some(80)),
    )
    .unwrap();
    assert_eq!(back.verdict.delivered_to, vec!["blue:web1".to_string()]);
}

#[test]
fn unknown_ends_are_named() {
    let db = IntentDb::in_memory();
    db.apply(serde_json::from_str(POLICY).unwrap()).unwrap();
    let c = compiled(db.snapshot());
    let ep = |n: &str| TraceTarget::Endpoint(n.into());
    let cases = [
        (
            request("red", "web1", ep("db1"), TraceProtocol::Icmp, None),
            "tenants `red` not found",
        ),
        (
            request("blue", "nope", ep("db1"), TraceProtocol::Icmp, None),
            "endpoints `blue:nope` not found",
        ),
        (
            request("blue", "web1", ep("nope"), TraceProtocol::Icmp, None),
            "endpoints `blue:nope` not found",
        ),
    ];
    for (req, want) in cases {
        match trace(&c, &req) {
            Err(OperError::NotFound(m)) => assert_eq!(m, want),
            other => panic!("{req:?}: {other:?}"),
        }
    }
    let nobody = TraceTarget::Address([10, 1, 0, 200].into());
    match trace(
        &c,
        &request("blue", "web1", nobody, TraceProtocol::Icmp, None),
    ) {
        Err(OperError::Invalid(m)) => assert!(
            m.contains("no endpoint of tenant `blue` has 10.1.0.200"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
}
