//! Hand-off to the physical network: a bare-metal server (a namespace) on an access port of
//! the physical VLAN switch, in the VLAN of a VLAN network, reaches that network's containers
//! on every host through their uplinks, and nothing else; declared in intent as an external
//! endpoint (its MAC and IP), the containers' switches answer ARP for it, so no ARP request
//! for it goes out on the trunks.

use std::time::{Duration, Instant};
use topology_tests::cmd::{in_ns, ok, run};
use topology_tests::traffic::Capture;
use topology_tests::{Fabric, FabricConfig};

#[test]
fn a_bare_metal_server_on_the_vlan_reaches_its_network_only() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    f.apply_and_attach("examples/two_hosts_multiple_tenants_mix_vlan_vxlan.json");
    let eps = f.endpoints();
    let ep = |n: &str| eps.iter().find(|e| e.name == n).unwrap().clone();
    let (c1, c2, c3) = (ep("myContainer1"), ep("myContainer2"), ep("myContainer3"));
    let vlan = f
        .api(|c| c.get(northbound_api::model::Kind::Network, "tenant-one:orange"))
        .map(|o| match o {
            northbound_api::model::Object::Network(n) => n.pkt_tag.unwrap(),
            _ => unreachable!(),
        })
        .unwrap();

    // The server: its own namespace, plugged into the physical switch on an access port.
    let bm = format!("{}-bm", f.prefix);
    f.track_namespaces(vec![bm.clone()]);
    run(&["ip", "netns", "add", &bm]);
    in_ns(&bm, &["ip", "link", "set", "lo", "up"]);
    run(&[
        "ip",
        "link",
        "add",
        "eth0",
        "netns",
        &bm,
        "type",
        "veth",
        "peer",
        "name",
        "bm1",
        "netns",
        &f.wiring.fab_ns,
    ]);
    in_ns(&f.wiring.fab_ns, &["ip", "link", "set", "bm1", "up"]);
    topology_tests::ovs::vsctl(
        &f.dir().join("fab"),
        &["add-port", "vlbr", "bm1", &format!("tag={vlan}")],
    );
    // An address of the orange subnet that IPAM did not hand out.
    let octets = c1.ip.octets();
    let bm_ip = format!("{}.{}.{}.200", octets[0], octets[1], octets[2]);
    in_ns(
        &bm,
        &["ip", "addr", "add", &format!("{bm_ip}/24"), "dev", "eth0"],
    );
    in_ns(&bm, &["ip", "link", "set", "eth0", "up"]);
    in_ns(&bm, &["ethtool", "-K", "eth0", "tx", "off"]);

    let pings = |from_ns: &str, to: &str| {
        ok(&[
            "ip", "netns", "exec", from_ns, "ping", "-n", "-q", "-c", "1", "-W", "1", to,
        ])
    };
    for c in [&c1, &c3] {
        let start = Instant::now();
        while !pings(&bm, &c.ip.to_string()) {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "the server never reached {} on {}",
                c.name,
                c.host
            );
        }
        assert!(pings(&c.ns, &bm_ip), "{} reaches the server", c.name);
    }
    // The VXLAN tenant, which has the same subnet, does not see the server.
    assert!(!pings(&c2.ns, &bm_ip), "another tenant reached the server");

    // Declared as an external endpoint, the server's ARP is answered by c1's own switch.
    let bm_mac = run(&[
        "ip",
        "netns",
        "exec",
        &bm,
        "cat",
        "/sys/class/net/eth0/address",
    ]);
    f.netctl(&[
        "endpoint",
        "create",
        "-t",
        "tenant-one",
        "-n",
        "orange",
        "--external",
        "--mac",
        bm_mac.trim(),
        "--ip",
        &bm_ip,
        "server1",
    ]);
    // Wrong declarations are refused and change nothing.
    for bad in [
        vec!["--external", "--ip", "11.1.0.201", "server2"],
        vec![
            "--external",
            "--mac",
            "02:aa:00:00:00:01",
            "--host",
            "host1",
            "server2",
        ],
    ] {
        let mut cmd = vec![
            f.bins.netctl.to_str().unwrap().to_string(),
            format!("--netmaster={}", topology_tests::host::api_url()),
            format!("--token={}", f.wiring.tokens.admin),
            "endpoint".into(),
            "create".into(),
            "-t".into(),
            "tenant-one".into(),
            "-n".into(),
            "orange".into(),
        ];
        cmd.extend(bad.iter().map(|s| s.to_string()));
        let mut full = vec![
            "ip".to_string(),
            "netns".into(),
            "exec".into(),
            f.wiring.ctl_ns.clone(),
        ];
        full.extend(cmd);
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        let out = topology_tests::cmd::output(&full);
        assert!(!out.status.success(), "{bad:?} accepted");
        assert!(String::from_utf8_lossy(&out.stderr).contains("external endpoint"));
    }
    in_ns(&c1.ns, &["ip", "neigh", "flush", "all"]);
    let trunk = Capture::start(&f.wiring.fab_ns, "v1", "arp", &f.dir(), "trunk-arp");
    let start = Instant::now();
    while !pings(&c1.ns, &bm_ip) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "c1 -> server after declaring it"
        );
    }
    let arp = trunk.stop();
    assert!(
        !arp.contains(&format!("Request who-has {bm_ip}")),
        "c1's ARP for the declared server went out on the trunk:\n{arp}"
    );
}
