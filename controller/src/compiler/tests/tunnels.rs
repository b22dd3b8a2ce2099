//! The tunnels each host is asked to create.

use super::fixture::{at, vtep, Fabric, Fixture};
use crate::compiler::compile_all;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

fn tunnels_of(f: &Fixture, host: &str) -> BTreeSet<Ipv4Addr> {
    compile_all(&f.snap, &f.topo).tunnels[host].clone()
}

#[test]
fn hosts_get_tunnels_only_to_hosts_sharing_a_vxlan_network() {
    let mut f = Fixture::new(4, Fabric::VxlanPerPeer);
    f.network("t1", "net", 100);
    f.network("t2", "net", 200);
    f.endpoint("t1", "net", "a1", at(1, 1), 1);
    f.endpoint("t1", "net", "a2", at(2, 1), 2);
    f.endpoint("t2", "net", "b3", at(3, 1), 1);
    f.endpoint("t2", "net", "b2", at(2, 2), 2);
    // h4 has no endpoint: no tunnel to or from it.
    assert_eq!(tunnels_of(&f, "h1"), [vtep(2)].into());
    assert_eq!(tunnels_of(&f, "h2"), [vtep(1), vtep(3)].into());
    assert_eq!(tunnels_of(&f, "h3"), [vtep(2)].into());
    assert_eq!(tunnels_of(&f, "h4"), BTreeSet::new());
    let all = compile_all(&f.snap, &f.topo);
    assert_eq!(
        all.switches,
        f.compile(),
        "the same switch states as compile()"
    );

    // The last endpoint of t2 on h3 leaves: h2 and h3 no longer need each other.
    f.topo.hosts.get_mut("h3").unwrap().endpoint_ports.clear();
    assert_eq!(tunnels_of(&f, "h2"), [vtep(1)].into());
    assert_eq!(tunnels_of(&f, "h3"), BTreeSet::new());
}

#[test]
fn vlan_networks_and_hosts_without_a_vtep_need_no_tunnel() {
    let mut f = Fixture::new(2, Fabric::Vlan);
    f.network("t1", "net", 100);
    f.endpoint("t1", "net", "a1", at(1, 1), 1);
    f.endpoint("t1", "net", "a2", at(2, 1), 2);
    assert!(compile_all(&f.snap, &f.topo).tunnels.is_empty());
    let names: Vec<String> = f.topo.hosts.keys().cloned().collect();
    for (n, name) in names.iter().enumerate() {
        f.topo.hosts.get_mut(name).unwrap().vtep_ip = Some(vtep(n as u8 + 1));
    }
    assert_eq!(tunnels_of(&f, "h1"), BTreeSet::new(), "VLAN only");
}
