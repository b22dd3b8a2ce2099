//! The example intents on emulated hosts: for each, every ordered pair of endpoints is checked
//! and the matrix must be exactly "same tenant and same network reach each other, nothing
//! else does". Pairs that should reach each other ping (and the reply must come from the right
//! MAC: addresses are reused across tenants); pairs that should not are checked where it
//! matters, at every receiver (see `Fabric::measure`).
//!
//! Each example also runs against a deliberately broken compiler (`NETMASTER_FAULT`, debug
//! builds only) and must then fail: the checks can fail.

use northbound_api::model::{ArpMode, Encap, Kind, Object};
use northbound_api::trace::{FabricPort, TraceIngress, TraceProtocol};
use topology_tests::explain::{assert_every_flow_owned, trace_entering, trace_pings};
use topology_tests::fault::fails_with;
use topology_tests::matrix::Endpoint;
use topology_tests::{Fabric, FabricConfig};

/// Asserts the same-network matrix over every attached container; then that netmaster's
/// traces agree with the measured matrix for every pair of a tenant (across tenants a trace
/// cannot be asked), and that every flow of every host has an owner in intent.
fn assert_matrix(f: &Fabric, what: &str) {
    let got = f.assert_same_network_matrix(what);
    let eps = f.endpoints();
    let mut traced = 0;
    for a in &eps {
        for b in eps
            .iter()
            .filter(|b| b.tenant == a.tenant && b.name != a.name)
        {
            let pings = trace_pings(f, a, b);
            assert_eq!(
                pings,
                got.get(&a.name, &b.name),
                "{what}: the trace of {} -> {} disagrees with the ping",
                a.name,
                b.name
            );
            traced += 1;
            if pings && a.host != b.host {
                // The receiving half alone, entering b's host through its tunnel or uplink
                // (Open vSwitch agrees there too).
                let port = match encap(f, b) {
                    Encap::Vxlan => FabricPort::Tunnel,
                    Encap::Vlan => FabricPort::Uplink,
                };
                let via = TraceIngress {
                    host: b.host.clone(),
                    port,
                };
                let half = trace_entering(f, a, b, TraceProtocol::Icmp, via).unwrap();
                assert_eq!(half.hops.len(), 1, "{half:#?}");
                assert_eq!(
                    half.verdict.delivered_to,
                    [format!("{}:{}", b.tenant, b.name)]
                );
            }
        }
    }
    let mut hosts: Vec<&str> = eps.iter().map(|e| e.host.as_str()).collect();
    hosts.sort();
    hosts.dedup();
    let owners = assert_every_flow_owned(f, &hosts);
    eprintln!("{what}: {traced} pairs traced as pinged; flows by owner: {owners:?}");
}

/// The VXLAN tunnel ports (`vx<hex peer>`) on `host`'s integration bridge.
fn tunnel_ports(f: &Fabric, host: &str) -> Vec<String> {
    let mut v: Vec<String> = f
        .host(host)
        .vsctl(&["list-ports", "br-int"])
        .lines()
        .filter(|p| p.starts_with("vx"))
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// The encapsulation of `e`'s network.
fn encap(f: &Fabric, e: &Endpoint) -> Encap {
    let key = format!("{}:{}", e.tenant, e.network);
    match f.api(move |c| c.get(Kind::Network, &key)) {
        Ok(Object::Network(n)) => n.encap,
        other => panic!("network of {}: {other:?}", e.name),
    }
}

/// `netctl flows` shows an endpoint's flows with their owner; one deleted by hand with
/// `ovs-ofctl` shows in the audit (found missing, a repair) and is back, with its owner.
fn flows_and_a_repair(f: &Fabric) {
    let ep = f
        .endpoints()
        .into_iter()
        .find(|e| e.host == "host1")
        .expect("an endpoint on host1");
    let key = format!("{}:{}", ep.tenant, ep.name);
    let owned = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.ends_with(&format!("# endpoint {key}")))
            .map(|l| l.to_string())
            .collect()
    };
    let out = f.netctl(&["flows", "--host", "host1", "--owner", &key]);
    let before = owned(&out);
    assert!(!before.is_empty(), "{out}");
    assert_eq!(
        before.len(),
        out.lines().count() - 1,
        "only {key}'s flows:\n{out}"
    );
    // Its classification flow (table 0), as ovs-ofctl writes it, deleted by hand.
    let classify = before
        .iter()
        .find(|l| l.contains(" table=0,") && l.contains(",ip,"))
        .unwrap_or_else(|| panic!("{key} has an IPv4 classification flow:\n{out}"));
    let rule = classify
        .split_once(" priority=")
        .and_then(|(_, r)| r.split_once(" actions="))
        .map(|(m, _)| format!("table=0,priority={m}"))
        .expect("a match");
    let repairs = |a: &northbound_api::audit::Audit| {
        a.switches
            .iter()
            .find(|s| s.dpid == 1)
            .map_or(0, |s| s.repairs)
    };
    let was = repairs(&f.wait_settled());
    f.host("host1").ofctl("del-flows", &["--strict", &rule]);
    let audit = f.wait_audit("the deleted flow repaired", |a| {
        repairs(a) > was && a.settled()
    });
    let read = audit
        .switches
        .iter()
        .find(|s| s.dpid == 1)
        .and_then(|s| s.last_read.clone())
        .expect("a read");
    assert_eq!(read.missing.flows, 1, "{read:?}");
    let after = owned(&f.netctl(&["flows", "--host", "host1", "--owner", &key]));
    assert_eq!(after.len(), before.len(), "{after:#?}");
}

fn two_hosts_multiple_tenants(fault: Option<&'static str>) {
    let mut f = Fabric::new(&FabricConfig::hosts(2).with_fault(fault));
    f.apply_and_attach("examples/two_hosts_multiple_tenants.json");
    assert_matrix(&f, "two_hosts_multiple_tenants");
    flows_and_a_repair(&f);
    // One tunnel each way, made by the agents as netmaster asked.
    assert_eq!(tunnel_ports(&f, "host1"), ["vxc0a8020b"]);
    assert_eq!(tunnel_ports(&f, "host2"), ["vxc0a8020a"]);
}

fn three_hosts_vxlan(fault: Option<&'static str>) {
    let mut f = Fabric::new(&FabricConfig::hosts(3).with_fault(fault));
    f.apply_and_attach("examples/three_hosts_vxlan.json");
    assert_matrix(&f, "three_hosts_vxlan");
    assert_eq!(tunnel_ports(&f, "host1"), ["vxc0a8020b", "vxc0a8020c"]);
    assert_eq!(tunnel_ports(&f, "host3"), ["vxc0a8020a", "vxc0a8020b"]);
}

#[test]
fn two_hosts_multiple_tenants_matrix() {
    two_hosts_multiple_tenants(None);
}

/// The same example with `arpMode: directed`: the same matrix, and after it no datapath flow
/// of either host goes through ovs-vswitchd's slow path (proxy mode's ARP replies would).
#[test]
fn two_hosts_multiple_tenants_with_directed_arp() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    f.apply_and_attach("examples/two_hosts_multiple_tenants.json");
    let mut global = match f.api(|c| c.get(Kind::Global, "global")) {
        Ok(Object::Global(g)) => g,
        other => panic!("global: {other:?}"),
    };
    global.arp_mode = ArpMode::Directed;
    f.api(move |c| c.put(&Object::Global(global)))
        .expect("directed ARP");
    f.wait_settled();
    f.assert_same_network_matrix("two_hosts_multiple_tenants, directed ARP");
    for host in ["host1", "host2"] {
        let datapath = f.host(host).appctl(&["dpctl/dump-flows"]);
        assert!(
            datapath.lines().any(|l| l.contains("arp")),
            "{host}: no ARP datapath flow:\n{datapath}"
        );
        assert!(
            !datapath.contains("slow_path"),
            "{host}: slow-path datapath flows:\n{datapath}"
        );
    }
}

/// The same matrix with every switch programmed over mutual TLS (`ssl:` controllers, `ovs-pki`
/// certificates named after the hosts, which netmaster checks against their datapath ids).
#[test]
fn two_hosts_multiple_tenants_over_tls() {
    let mut f = Fabric::new(&FabricConfig::hosts(2).over_tls());
    for (host, dpid) in [("host1", "0000000000000001"), ("host2", "0000000000000002")] {
        let ev = f
            .netmaster_events(0)
            .into_iter()
            .find(|e| e["message"] == "switch connected" && e["dpid"] == dpid)
            .unwrap_or_else(|| panic!("{host} never connected"));
        assert!(
            ev["peer"].as_str().is_some_and(|p| p.starts_with("tls:")),
            "{host} is not connected over TLS: {ev}"
        );
    }
    // A bridge connects as soon as its agent creates it, before the agent's first report says
    // whose it is: netmaster waits for the report instead of refusing the certificate.
    let refused: Vec<_> = f
        .netmaster_events(0)
        .into_iter()
        .filter(|e| {
            e["message"] == "refused a switch whose certificate does not own the datapath id"
        })
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
    f.apply_and_attach("examples/two_hosts_multiple_tenants.json");
    assert_matrix(&f, "two_hosts_multiple_tenants");
}

#[test]
fn two_hosts_multiple_tenants_mix_vlan_vxlan() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    f.apply_and_attach("examples/two_hosts_multiple_tenants_mix_vlan_vxlan.json");
    assert_matrix(&f, "two_hosts_multiple_tenants_mix_vlan_vxlan");
    assert_eq!(
        tunnel_ports(&f, "host1"),
        ["vxc0a8020b"],
        "the VXLAN network's"
    );
}

#[test]
fn three_hosts_vxlan_matrix() {
    three_hosts_vxlan(None);
}

#[test]
fn late_bindings() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    f.apply_intent("examples/late_bindings/multiple_intents.json");
    let bindings =
        topology_tests::fabric::repo_root().join("examples/late_bindings/host_bindings.json");
    f.netctl(&["-host-bindings-cfg", &bindings.display().to_string()]);
    for (c, host) in [
        ("myContainer1", "host1"),
        ("myContainer2", "host1"),
        ("myContainer3", "host2"),
        ("myContainer4", "host2"),
    ] {
        f.attach(host, "tenant-one", c);
    }
    assert_matrix(&f, "late_bindings");
}

/// One flood group for every network of a switch: frames reach other networks and tenants.
#[test]
fn a_cross_network_flood_turns_the_matrix_red() {
    fails_with("cross-network-flood", "leak:", two_hosts_multiple_tenants);
}

/// Tunnel frames classified without their VNI: the networks sharing a tunnel mix.
#[test]
fn a_tunnel_classifier_without_vni_turns_the_matrix_red() {
    fails_with(
        "tunnel-without-vni",
        "the matrix differs",
        three_hosts_vxlan,
    );
}
