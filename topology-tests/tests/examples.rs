//! The example intents on emulated hosts: for each, every ordered pair of endpoints is pinged
//! and the matrix must be exactly "same tenant and same network reach each other, nothing
//! else does" (addresses are reused across tenants, so a reply must come from the right MAC).

use std::time::Duration;
use topology_tests::{Fabric, FabricConfig, Matrix};

/// Asserts the same-network matrix over every attached container.
fn assert_matrix(f: &Fabric, what: &str) {
    let eps = f.endpoints();
    let expected = Matrix::expected(&eps, |a, b| a.tenant == b.tenant && a.network == b.network);
    let got = Matrix::measure(&eps, &expected, Duration::from_secs(20));
    eprintln!(
        "{what}: {} endpoints, measured after {:.1?}:\n{got}",
        eps.len(),
        f.age()
    );
    assert_eq!(got, expected, "{what}");
    assert!(got.reachable_pairs() > 0);
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

#[test]
fn two_hosts_multiple_tenants() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    f.apply_and_attach("examples/two_hosts_multiple_tenants.json");
    assert_matrix(&f, "two_hosts_multiple_tenants");
    // One tunnel each way, made by the agents as netmaster asked.
    assert_eq!(tunnel_ports(&f, "host1"), ["vxc0a8020b"]);
    assert_eq!(tunnel_ports(&f, "host2"), ["vxc0a8020a"]);
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
fn three_hosts_vxlan() {
    let mut f = Fabric::new(&FabricConfig::hosts(3));
    f.apply_and_attach("examples/three_hosts_vxlan.json");
    assert_matrix(&f, "three_hosts_vxlan");
    assert_eq!(tunnel_ports(&f, "host1"), ["vxc0a8020b", "vxc0a8020c"]);
    assert_eq!(tunnel_ports(&f, "host3"), ["vxc0a8020a", "vxc0a8020b"]);
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
