//! A Contiv user's intent files, uploaded one after another as the original allowed
//! (`examples/migration/`): two tenants, each with its own VNI range and the same subnet pool,
//! whose hosts exist only because endpoints name them (implicit hosts), then a delta file that
//! adds one endpoint to an existing network and later removes it again. The tags come from each
//! tenant's own range, the same subnet is carved for both tenants, and the connectivity matrix
//! on Open vSwitch holds after every step: same tenant and network reach each other, nothing
//! else does.

use northbound_api::model::{Kind, Object};
use std::time::Duration;
use topology_tests::fabric::repo_root;
use topology_tests::{Fabric, FabricConfig, Matrix};

fn file(name: &str) -> String {
    repo_root()
        .join("examples/migration")
        .join(name)
        .display()
        .to_string()
}

/// The measured matrix is exactly "same tenant and same network".
fn assert_matrix(f: &Fabric, what: &str) {
    let eps = f.endpoints();
    let expected = Matrix::expected(&eps, |a, b| a.tenant == b.tenant && a.network == b.network);
    let got = f.measure(&eps, &expected, Duration::from_secs(20));
    eprintln!("{what}: {} endpoints:\n{got}", eps.len());
    assert_eq!(got, expected, "{what}: the matrix differs");
    assert!(got.reachable_pairs() > 0);
}

#[test]
fn tenants_own_their_ranges_and_delta_files_add_and_remove_an_endpoint() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    // The second tenant's file no longer replaces the first one's range.
    for name in ["blue.json", "red.json"] {
        let out = f.netctl(&["-add-cfg", &file(name)]);
        assert!(out.starts_with("added: "), "{name}: {out}");
    }
    let networks = f.api(|c| c.list(Kind::Network)).expect("networks");
    let mut seen = Vec::new();
    for o in &networks {
        let Object::Network(n) = o else { continue };
        let tag = n.pkt_tag.expect("an allocated VNI");
        let range = match n.tenant_name.as_str() {
            "blue" => 5001..=5100,
            "red" => 6001..=6100,
            other => panic!("a network of tenant {other}"),
        };
        assert!(
            range.contains(&tag),
            "{}:{} got VNI {tag}",
            n.tenant_name,
            n.network_name
        );
        seen.push((
            format!("{}:{}", n.tenant_name, n.network_name),
            n.subnet.to_string(),
        ));
    }
    seen.sort();
    // Each tenant carves from its own pool: both tenants' first network gets the first /24.
    assert_eq!(
        seen,
        [
            ("blue:db".to_string(), "10.20.1.0/24".to_string()),
            ("blue:web".into(), "10.20.0.0/24".into()),
            ("red:web".into(), "10.20.0.0/24".into()),
        ]
    );
    let hosts: Vec<String> = f
        .api(|c| c.list(Kind::Host))
        .expect("hosts")
        .iter()
        .map(Object::key)
        .collect();
    assert_eq!(hosts, ["host1", "host2"], "hosts are created implicitly");

    // A delta file names the existing tenant and network only to add one endpoint.
    let out = f.netctl(&["-add-cfg", &file("blue_add_ep.json")]);
    assert_eq!(out, "added: 1 objects\n");
    for (container, host, tenant) in [
        ("blueWeb1", "host1", "blue"),
        ("blueWeb2", "host2", "blue"),
        ("blueDb1", "host2", "blue"),
        ("blueWeb3", "host2", "blue"),
        ("redWeb1", "host1", "red"),
        ("redWeb2", "host2", "red"),
    ] {
        f.attach(host, tenant, container);
    }
    assert_matrix(&f, "two tenants and a delta");

    // The same delta file with -del-cfg removes that endpoint and leaves its network.
    let out = f.netctl(&["-del-cfg", &file("blue_add_ep.json")]);
    assert_eq!(out, "1 objects deleted\n");
    let endpoints: Vec<String> = f
        .api(|c| c.list(Kind::Endpoint))
        .expect("endpoints")
        .iter()
        .map(Object::key)
        .collect();
    assert!(
        !endpoints.contains(&"blue:blueWeb3".to_string()),
        "{endpoints:?}"
    );
    assert_eq!(endpoints.len(), 5);
    f.detach("blueWeb3");
    assert_matrix(&f, "after the delta's removal");
}

/// The original's two-host VLAN walk-through (`docs/two-host-vlan.md`): its intent file as it
/// was, two networks over two hosts on a VLAN trunk, tags from the tenant's `Vlans`.
#[test]
fn the_original_two_host_vlan_file() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    f.apply_and_attach("examples/two_hosts_multiple_vlans_nets.json");
    for o in f.api(|c| c.list(Kind::Network)).expect("networks") {
        let Object::Network(n) = o else { continue };
        let tag = n.pkt_tag.expect("an allocated VLAN");
        assert!((11..=48).contains(&tag), "{}: VLAN {tag}", n.network_name);
    }
    assert_matrix(&f, "two_hosts_multiple_vlans_nets");
}
