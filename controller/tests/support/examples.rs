//! The example intent files (`examples/`) as tests use them: applied to an in-memory intent
//! database as `netctl` would, and the topology the tests place them on.

// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

use fakeswitch::{port, FakeSwitch};
use netmaster::compiler::{HostPorts, Topology, TunnelMode};
use netmaster::desired::SwitchState;
use netmaster::intent::service::IntentDb;
use netmaster::intent::Snapshot;
use netmaster::reconcile::diff::diff;
use northbound_api::model::{Encap, Endpoint, Kind, Object};
use northbound_api::service::{Batch, IntentService};
use northbound_client::intent_file;
use std::net::Ipv4Addr;

/// The flow-based VXLAN port of every host (when there is a VXLAN network).
pub const TUN: u32 = 100;
/// The VLAN uplink of every host (when there is a VLAN network).
pub const UPLINK: u32 = 200;

/// The VTEP address of host number `n` (its dpid).
pub fn vtep(n: u64) -> Ipv4Addr {
    Ipv4Addr::new(10, 200, 0, n as u8)
}

/// The text of example file `name` (a path under `examples/`).
pub fn read_example(name: &str) -> String {
    let path = format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `netctl -cfg FILE`.
pub fn apply_intent(db: &IntentDb, name: &str) {
    let file = intent_file::parse(&read_example(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let batch = file
        .to_batch(true, &intent_file::Existing::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    db.apply(batch).unwrap_or_else(|e| panic!("{name}: {e:?}"));
}

/// `netctl -host-bindings-cfg FILE`.
pub fn apply_bindings(db: &IntentDb, name: &str) {
    let bindings = intent_file::parse_host_bindings(&read_example(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let endpoints: Vec<Endpoint> = db
        .list(Kind::Endpoint)
        .into_iter()
        .filter_map(|o| match o {
            Object::Endpoint(e) => Some(e),
            _ => None,
        })
        .collect();
    let bound = intent_file::bind_hosts(&bindings, &endpoints).unwrap();
    let batch = Batch {
        upserts: bound.into_iter().map(Object::Endpoint).collect(),
        ..Batch::default()
    };
    db.apply(batch).unwrap_or_else(|e| panic!("{name}: {e:?}"));
}

/// The topology the brief prescribes: hosts in name order with dpid 1..n and VTEP
/// 10.200.0.n, their endpoints on ports 1.. in key order, port 100 (flow-based VXLAN) when
/// there is a VXLAN network and uplink 200 when there is a VLAN network.
pub fn topology(snap: &Snapshot) -> Topology {
    let vxlan = snap.networks.values().any(|n| n.encap == Encap::Vxlan);
    let vlan = snap.networks.values().any(|n| n.encap == Encap::Vlan);
    let mut topo = Topology::default();
    for (i, name) in snap.hosts.keys().enumerate() {
        let dpid = i as u64 + 1;
        let mut h = HostPorts::new(dpid);
        h.vtep_ip = Some(vtep(dpid));
        if vxlan {
            h.tunnel = Some(TunnelMode::Flow { port: TUN });
        }
        if vlan {
            h.uplinks = vec![UPLINK];
        }
        let local = snap
            .endpoints
            .iter()
            .filter(|(_, e)| e.host.as_deref() == Some(name.as_str()));
        for (n, (key, _)) in local.enumerate() {
            h.endpoint_ports.insert(key.clone(), n as u32 + 1);
        }
        topo.hosts.insert(name.clone(), h);
    }
    topo
}

/// A fake switch with `ports` holding `state`, installed through the reconciler's plan from an
/// empty switch; checks that it reads back as compiled.
pub fn fake_switch(dpid: u64, state: &SwitchState, ports: &[u32]) -> FakeSwitch {
    let fs = FakeSwitch::new(dpid).with_ports(ports.iter().map(|p| port(*p)).collect());
    for msg in diff(state, &SwitchState::default()).messages {
        fs.apply_mod(msg)
            .expect("flow, group and meter mods accepted");
    }
    let (flows, groups, meters) = fs.read_back();
    let back = SwitchState::from_switch(&flows, &groups, &meters);
    assert!(diff(state, &back).is_empty(), "switch {dpid} converged");
    fs
}
