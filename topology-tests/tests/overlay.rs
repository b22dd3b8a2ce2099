//! What the overlays put on the wire: the VNI of each VXLAN network on the underlay, the VLAN
//! tag of each VLAN network on the trunks, TCP across hosts on both, and MTUs derived from the
//! underlay.

use northbound_api::model::{Kind, Object};
use std::collections::BTreeMap;
use topology_tests::traffic::{iperf3, ping, Capture};
use topology_tests::{Endpoint, Fabric, FabricConfig};

/// Packet tag of every network, by `tenant:network`.
fn tags(f: &Fabric) -> BTreeMap<String, u32> {
    f.api(|c| c.list(Kind::Network))
        .expect("networks")
        .into_iter()
        .filter_map(|o| match o {
            Object::Network(n) => {
                Some((format!("{}:{}", n.tenant_name, n.network_name), n.pkt_tag?))
            }
            _ => None,
        })
        .collect()
}

fn mtu(e: &Endpoint) -> u64 {
    let out = topology_tests::cmd::run(&["ip", "-n", &e.ns, "-j", "link", "show", "eth0"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("ip -j");
    v[0]["mtu"].as_u64().expect("mtu")
}

#[test]
fn vni_on_the_underlay_vlan_on_the_trunk_tcp_and_mtu() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    f.apply_and_attach("examples/two_hosts_multiple_tenants_mix_vlan_vxlan.json");
    let tags = tags(&f);
    let (vlan, vni) = (tags["tenant-one:orange"], tags["tenant-two:purple"]);
    let eps: BTreeMap<String, Endpoint> = f
        .endpoints()
        .into_iter()
        .map(|e| (e.name.clone(), e))
        .collect();
    let (c1, c2, c3, c4) = (
        &eps["myContainer1"],
        &eps["myContainer2"],
        &eps["myContainer3"],
        &eps["myContainer4"],
    );
    // Wait for both paths before capturing.
    for (a, b) in [(c1, c3), (c2, c4)] {
        let start = std::time::Instant::now();
        while !ping(a, b, &["-c", "1"]) {
            assert!(start.elapsed().as_secs() < 20, "{} -> {}", a.name, b.name);
        }
    }

    let fab = f.wiring.fab_ns.clone();
    let dir = f.dir();
    let underlay = Capture::start(&fab, "u1", "udp port 4789", &dir, "underlay");
    let trunk = Capture::start(&fab, "v1", "vlan", &dir, "trunk");
    assert!(ping(c2, c4, &["-c", "3", "-i", "0.2"]), "VXLAN path");
    assert!(ping(c1, c3, &["-c", "3", "-i", "0.2"]), "VLAN path");
    let underlay = underlay.stop();
    let trunk = trunk.stop();
    eprintln!("underlay:\n{underlay}\ntrunk:\n{trunk}");

    // The underlay carries the purple network's VNI, with the containers' ICMP inside, and
    // nothing of the VLAN network.
    let vnis: Vec<&str> = underlay
        .split("vni ")
        .skip(1)
        .map(|s| s.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""))
        .collect();
    assert!(
        vnis.len() >= 6,
        "3 requests + 3 replies encapsulated: {vnis:?}"
    );
    assert!(
        vnis.iter().all(|v| *v == vni.to_string()),
        "only VNI {vni}: {vnis:?}"
    );
    assert!(underlay.contains(&format!("{} > {}: ICMP echo request", c2.ip, c4.ip)));
    for vlan_ep in [c1, c3] {
        assert!(
            !underlay.contains(&vlan_ep.mac),
            "{} is not on the underlay",
            vlan_ep.name
        );
    }
    // The trunk carries the orange network tagged with its VLAN.
    let tagged: Vec<&str> = trunk.lines().filter(|l| l.contains("ICMP echo")).collect();
    assert!(
        tagged.len() >= 6,
        "3 requests + 3 replies on the trunk: {trunk}"
    );
    for l in &tagged {
        assert!(l.contains(&format!("vlan {vlan},")), "tag {vlan} in {l}");
    }
    for vxlan_ep in [c2, c4] {
        assert!(
            !trunk.contains(&vxlan_ep.mac),
            "{} is not on the trunk",
            vxlan_ep.name
        );
    }

    // MTU from the underlay: VXLAN containers get 1500 - 50, VLAN ones 1500; a full-size
    // unfragmentable packet crosses in both.
    assert_eq!((mtu(c2), mtu(c4)), (1450, 1450));
    assert_eq!((mtu(c1), mtu(c3)), (1500, 1500));
    assert!(
        ping(c2, c4, &["-c", "1", "-M", "do", "-s", "1422"]),
        "1450-byte packets over VXLAN"
    );
    assert!(
        ping(c1, c3, &["-c", "1", "-M", "do", "-s", "1472"]),
        "1500-byte packets over the trunk"
    );

    // TCP across hosts over both.
    let vxlan_bps = iperf3(c4, c2, 2);
    let vlan_bps = iperf3(c3, c1, 2);
    eprintln!(
        "iperf3: VXLAN {:.0} Mbit/s, VLAN {:.0} Mbit/s",
        vxlan_bps / 1e6,
        vlan_bps / 1e6
    );
    assert!(vxlan_bps > 1e6 && vlan_bps > 1e6, "TCP moves data");
}

#[test]
fn the_vxlan_udp_port_and_the_uplinks_follow_the_intent() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    f.apply_and_attach("examples/two_hosts_multiple_tenants.json");
    let eps: BTreeMap<String, Endpoint> = f
        .endpoints()
        .into_iter()
        .map(|e| (e.name.clone(), e))
        .collect();
    let (c1, c3) = (&eps["myContainer1"], &eps["myContainer3"]);
    let start = std::time::Instant::now();
    while !ping(c1, c3, &["-c", "1"]) {
        assert!(start.elapsed().as_secs() < 20, "c1 -> c3");
    }
    // This intent names no uplink: no agent added eth2.
    assert!(!f
        .host("host1")
        .vsctl(&["list-ports", "br-int"])
        .contains("eth2"));

    // A new global VXLAN port: the agents re-create their tunnels on it, traffic follows.
    let global = northbound_api::model::Global {
        vxlan_port: 8472,
        vxlans: "1-20000".parse().unwrap(), // the example's tenants take VNIs above 10000
        ..northbound_api::model::Global::default()
    };
    f.api(move |c| c.put(&Object::Global(global)))
        .expect("globals");
    let tunnel = "vxc0a8020b";
    let start = std::time::Instant::now();
    while f
        .host("host1")
        .vsctl(&["get", "interface", tunnel, "options:dst_port"])
        .trim()
        != "\"8472\""
    {
        assert!(start.elapsed().as_secs() < 10, "the tunnel's UDP port");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let fab = f.wiring.fab_ns.clone();
    let new_port = Capture::start(&fab, "u1", "udp port 8472", &f.dir(), "p8472");
    let old_port = Capture::start(&fab, "u1", "udp port 4789", &f.dir(), "p4789");
    let start = std::time::Instant::now();
    while !ping(c1, c3, &["-c", "1"]) {
        assert!(start.elapsed().as_secs() < 10, "c1 -> c3 over UDP 8472");
    }
    assert!(ping(c1, c3, &["-c", "3", "-i", "0.2"]));
    let (new_port, old_port) = (new_port.stop(), old_port.stop());
    assert!(new_port.lines().count() >= 6, "on UDP 8472:\n{new_port}");
    assert!(old_port.trim().is_empty(), "still on UDP 4789:\n{old_port}");

    // The host's intent names an uplink now: its agent adds it; named no more, removed.
    f.netctl(&[
        "host",
        "create",
        "--vtep-ip",
        "192.168.2.10",
        "--uplink",
        "eth2",
        "host1",
    ]);
    let has_uplink = |f: &Fabric| {
        f.host("host1")
            .vsctl(&["list-ports", "br-int"])
            .contains("eth2")
    };
    let start = std::time::Instant::now();
    while !has_uplink(&f) {
        assert!(
            start.elapsed().as_secs() < 10,
            "eth2 added as the intent asks"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    f.netctl(&["host", "create", "--vtep-ip", "192.168.2.10", "host1"]);
    let start = std::time::Instant::now();
    while has_uplink(&f) {
        assert!(start.elapsed().as_secs() < 10, "eth2 removed");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
