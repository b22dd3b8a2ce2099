//! A Contiv user's intent files on Open vSwitch, with their original meaning:
//! * `examples/migration/`, uploaded one after another as the original allowed: two tenants,
//!   each with its own VNI range and the same subnet pool, whose hosts exist only because
//!   endpoints name them (implicit hosts), then a delta file that adds one endpoint to an
//!   existing network and later removes it again; the tags come from each tenant's own range,
//!   the same subnet is carved for both tenants, and the connectivity matrix holds after every
//!   step (same tenant and network reach each other, nothing else does);
//! * the original's `two_hosts_multiple_vlans_nets.json` (the two-host VLAN walk-through);
//! * the original's `multiple_eps_in_container.json`: a container on two networks, plugged in
//!   with one interface per network, reaches both.

use northbound_api::model::{Kind, Object};
use topology_tests::fabric::repo_root;
use topology_tests::matrix::Endpoint;
use topology_tests::{Fabric, FabricConfig};

fn file(name: &str) -> String {
    repo_root()
        .join("examples/migration")
        .join(name)
        .display()
        .to_string()
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
    f.assert_same_network_matrix("two tenants and a delta");

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
    f.assert_same_network_matrix("after the delta's removal");
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
    f.assert_same_network_matrix("two_hosts_multiple_vlans_nets");
}

/// The original's `multiple_eps_in_container.json`: myContainer2 is on `orange` and `purple`,
/// so it gets `eth0` on orange and `eth1` on purple (`netplugin attach` plugs both); it reaches
/// myContainer1 and myContainer3 (orange) through eth0 and myContainer4 (purple) through eth1,
/// while the containers of one network still do not reach the other.
#[test]
fn a_container_on_two_networks_reaches_both() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    f.apply_and_attach("examples/multiple_eps_in_container.json");
    f.wait_settled();
    let eps = f.endpoints();
    let ep = |name: &str, network: &str| {
        eps.iter()
            .find(|e| e.name == name && e.network == network)
            .unwrap_or_else(|| panic!("no endpoint of {name} on {network}: {eps:?}"))
    };
    let two = ep("myContainer2", "orange");
    assert_eq!(
        two.ns,
        ep("myContainer2", "purple").ns,
        "one container, two interfaces"
    );
    let interfaces = topology_tests::cmd::in_ns(&two.ns, &["ip", "-o", "-4", "addr", "show"]);
    for (ifname, e) in [("eth0", two), ("eth1", ep("myContainer2", "purple"))] {
        assert!(
            interfaces
                .lines()
                .any(|l| l.contains(&format!(" {ifname} ")) && l.contains(&format!("{}/", e.ip))),
            "{ifname} should have {}:\n{interfaces}",
            e.ip
        );
    }
    // The single-interface containers get a route to the whole pool, so that a packet to the
    // other network reaches the switch (which must drop it).
    for e in eps.iter().filter(|e| e.name != "myContainer2") {
        topology_tests::cmd::in_ns(&e.ns, &["ip", "route", "add", "11.1.0.0/16", "dev", "eth0"]);
    }
    let reaches = |from: &Endpoint, to: &Endpoint| {
        (0..10).any(|_| topology_tests::traffic::ping(from, to, &["-c", "1"]))
    };
    for (from, to) in [
        (two, ep("myContainer1", "orange")),
        (two, ep("myContainer3", "orange")),
        (ep("myContainer2", "purple"), ep("myContainer4", "purple")),
        (ep("myContainer4", "purple"), ep("myContainer2", "purple")),
        (ep("myContainer3", "orange"), two),
    ] {
        assert!(
            reaches(from, to),
            "{} -> {} ({})",
            from.name,
            to.name,
            to.ip
        );
    }
    for (from, to) in [
        (ep("myContainer3", "orange"), ep("myContainer4", "purple")),
        (ep("myContainer1", "orange"), ep("myContainer2", "purple")),
    ] {
        assert!(
            !topology_tests::traffic::ping(from, to, &["-c", "2"]),
            "{} reached {} across networks",
            from.name,
            to.ip
        );
    }
}
