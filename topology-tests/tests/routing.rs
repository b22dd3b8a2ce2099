//! Routing mode on emulated hosts: each network's gateway address answers (ARP) on every host,
//! and packets to another network of the same tenant are routed by the sender's switch
//! (TTL 64 - 1 at the receiver), across hosts, over VXLAN and VLAN; the gateway addresses
//! answer ping; another tenant with the same subnets is never reached.

use northbound_api::model::{FwdMode, Global, Object};
use std::time::{Duration, Instant};
use topology_tests::cmd::output;
use topology_tests::{Endpoint, Fabric, FabricConfig};

const INTENT: &str = r#"{
    "Hosts": [{"Name": "host1", "VtepIp": "192.168.2.10", "Intf": "eth2"},
              {"Name": "host2", "VtepIp": "192.168.2.11", "Intf": "eth2"}],
    "Tenants": [
      {"Name": "blue", "DefaultNetType": "vxlan", "Vxlans": "7000-7100", "Vlans": "300-310",
       "Networks": [
         {"Name": "red", "SubnetCIDR": "10.10.1.0/24", "Gateway": "10.10.1.254",
          "Endpoints": [{"Container": "r1", "Host": "host1"}, {"Container": "r2", "Host": "host2"}]},
         {"Name": "green", "SubnetCIDR": "10.10.2.0/24", "Gateway": "10.10.2.254",
          "Endpoints": [{"Container": "g2", "Host": "host2"}]},
         {"Name": "brown", "PktTagType": "vlan", "SubnetCIDR": "10.10.3.0/24", "Gateway": "10.10.3.254",
          "Endpoints": [{"Container": "v1", "Host": "host1"}]}
       ]},
      {"Name": "gray", "DefaultNetType": "vxlan", "Vxlans": "7200-7300",
       "Networks": [
         {"Name": "red", "SubnetCIDR": "10.10.1.0/24", "Gateway": "10.10.1.254",
          "Endpoints": [{"Container": "x1", "Host": "host1"}]},
         {"Name": "green", "SubnetCIDR": "10.10.2.0/24", "Gateway": "10.10.2.254",
          "Endpoints": [{"Container": "x2", "Host": "host2"}]}
       ]}
    ]
}"#;

/// Pings `to` from `from`; the TTL of the first reply, if one came.
fn reply_ttl(from: &Endpoint, to: &Endpoint) -> Option<u32> {
    reply_ttl_of(from, &to.ip.to_string())
}

/// Pings address `to` from `from`; the TTL of the first reply, if one came.
fn reply_ttl_of(from: &Endpoint, to: &str) -> Option<u32> {
    let out = output(&[
        "ip", "netns", "exec", &from.ns, "ping", "-n", "-c", "1", "-W", "1", to,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    text.split("ttl=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|t| t.parse().ok())
}

#[test]
fn gateways_route_between_the_networks_of_a_tenant() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    let file = f.dir().join("routing.json");
    std::fs::write(&file, INTENT).unwrap();
    f.netctl(&["-cfg", &file.display().to_string()]);
    let global = Global {
        fwd_mode: FwdMode::Routing,
        ..Global::default()
    };
    f.api(move |c| c.put(&Object::Global(global)))
        .expect("routing mode");
    for (c, h, t) in [
        ("r1", "host1", "blue"),
        ("r2", "host2", "blue"),
        ("g2", "host2", "blue"),
        ("v1", "host1", "blue"),
        ("x1", "host1", "gray"),
        ("x2", "host2", "gray"),
    ] {
        f.attach(h, t, c);
    }
    let eps = f.endpoints();
    let ep = |n: &str| eps.iter().find(|e| e.name == n).unwrap();

    // Same network: bridged, TTL untouched. Other networks of the tenant: routed once, on
    // the sender's switch, also towards the VLAN network and from it.
    let cases = [
        ("r1", "r2", 64),
        ("r1", "g2", 63),
        ("g2", "r1", 63),
        ("r2", "g2", 63),
        ("v1", "g2", 63),
        ("g2", "v1", 63),
        ("x1", "x2", 63),
    ];
    for (a, b, ttl) in cases {
        let start = Instant::now();
        let got = loop {
            if let Some(t) = reply_ttl(ep(a), ep(b)) {
                break t;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{a} -> {b}: no reply"
            );
        };
        assert_eq!(got, ttl, "{a} -> {b}");
    }
    // Each gateway address answers ping (netmaster's echo responder, TTL 64), also for the
    // other tenant that uses the same gateway address.
    for (a, gw) in [
        ("r1", "10.10.1.254"),
        ("g2", "10.10.2.254"),
        ("v1", "10.10.3.254"),
        ("x1", "10.10.1.254"),
    ] {
        assert_eq!(reply_ttl_of(ep(a), gw), Some(64), "{a} -> gateway {gw}");
    }
    // gray's x1 and blue's r1 share 10.10.1.0/24 (and its gateway), x2 and g2 may share an
    // address: whatever a ping across tenants gets back (from its own tenant's twin), the
    // other tenant's endpoint never receives an echo request (its ICMP counters).
    for (a, b) in [
        ("x1", "g2"),
        ("x1", "r2"),
        ("r1", "x2"),
        ("x2", "r1"),
        ("g2", "x1"),
    ] {
        let before = in_echos(ep(b));
        let _ = output(&[
            "ip",
            "netns",
            "exec",
            &ep(a).ns,
            "ping",
            "-n",
            "-q",
            "-c",
            "3",
            "-i",
            "0.2",
            "-W",
            "1",
            &ep(b).ip.to_string(),
        ]);
        assert_eq!(in_echos(ep(b)), before, "{a} reached {b} across tenants");
    }
    // The counter does move for a routed pair of one tenant.
    let before = in_echos(ep("g2"));
    assert_eq!(reply_ttl(ep("r1"), ep("g2")), Some(63));
    assert_eq!(in_echos(ep("g2")), before + 1);
}

/// Echo requests received in `e`'s namespace so far (`Icmp: InEchos` of /proc/net/snmp).
fn in_echos(e: &Endpoint) -> u64 {
    let out = output(&["ip", "netns", "exec", &e.ns, "cat", "/proc/net/snmp"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut icmp = text.lines().filter(|l| l.starts_with("Icmp:"));
    let (names, values) = (icmp.next().unwrap(), icmp.next().unwrap());
    let i = names
        .split_whitespace()
        .position(|n| n == "InEchos")
        .unwrap();
    values.split_whitespace().nth(i).unwrap().parse().unwrap()
}
