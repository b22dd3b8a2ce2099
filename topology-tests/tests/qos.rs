//! QoS profiles on emulated hosts: TCP from a group with a 10 Mbit/s profile measures within
//! 20 % of 10 Mbit/s (iperf3), for each of two of its endpoints sending at once, without the
//! profile far above; the profile's DSCP is on the receiver's capture; a profile change
//! applies live.

use northbound_api::model::{EndpointGroup, NetProfile, Object, Tenant};
use northbound_api::service::Batch;
use std::collections::BTreeMap;
use topology_tests::intent;
use topology_tests::traffic::{iperf3, ping, Capture};
use topology_tests::{Endpoint, Fabric, FabricConfig};

fn profile(bandwidth: &str) -> Object {
    Object::NetProfile(NetProfile {
        tenant_name: "t".into(),
        profile_name: "gold".into(),
        bandwidth: Some(bandwidth.into()),
        burst: None,
        dscp: Some(46),
    })
}

fn ep(name: &str, group: Option<&str>, host: &str) -> Object {
    intent::endpoint("t", "net", name, group, host)
}

fn mbps(bps: f64) -> f64 {
    bps / 1e6
}

#[test]
fn a_profile_limits_and_marks_a_groups_traffic_live() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    let hosts = [
        intent::host("host1", "192.168.2.10"),
        intent::host("host2", "192.168.2.11"),
    ];
    let mut upserts = vec![Object::Tenant(Tenant {
        tenant_name: "t".into(),
    })];
    upserts.extend(hosts);
    upserts.extend([
        Object::Network(intent::vxlan_network("t", "net", "10.40.0.0/24", None)),
        profile("10Mbps"),
        Object::EndpointGroup(EndpointGroup {
            tenant_name: "t".into(),
            group_name: "slow".into(),
            network_name: "net".into(),
            ip_pool: None,
            policies: vec![],
            net_profile: Some("gold".into()),
            default_deny: false,
        }),
        ep("s1", Some("slow"), "host1"),
        ep("s3", Some("slow"), "host1"),
        ep("f1", None, "host1"),
        ep("r2", None, "host2"),
    ]);
    let batch = Batch {
        upserts,
        ..Batch::default()
    };
    f.api(move |c| c.apply(&batch)).expect("intent");
    for (c, h) in [
        ("s1", "host1"),
        ("s3", "host1"),
        ("f1", "host1"),
        ("r2", "host2"),
    ] {
        f.attach(h, "t", c);
    }
    let eps: BTreeMap<String, Endpoint> = f
        .endpoints()
        .into_iter()
        .map(|e| (e.name.clone(), e))
        .collect();
    let (s1, s3, f1, r2) = (&eps["s1"], &eps["s3"], &eps["f1"], &eps["r2"]);
    let start = std::time::Instant::now();
    while !(ping(s1, r2, &["-c", "1"]) && ping(f1, r2, &["-c", "1"])) {
        assert!(start.elapsed().as_secs() < 20, "s1/f1 -> r2");
    }

    // The profile's DSCP (46, EF: tos 0xb8) on what r2 receives from s1, not from f1.
    let capture = Capture::start(&r2.ns, "eth0", "-v icmp", &f.dir(), "dscp");
    assert!(ping(s1, r2, &["-c", "2", "-i", "0.2"]));
    assert!(ping(f1, r2, &["-c", "2", "-i", "0.2"]));
    let seen = capture.stop();
    // (tcpdump -v puts the IP header on the first line and the addresses on the next.)
    let mut packets: Vec<String> = Vec::new();
    for line in seen.lines() {
        match packets.last_mut() {
            Some(last) if line.starts_with(char::is_whitespace) => last.push_str(line),
            _ => packets.push(line.to_string()),
        }
    }
    let from = |ip: &str| -> Vec<&String> {
        packets
            .iter()
            .filter(|l| l.contains(&format!("{ip} > {}: ICMP echo request", r2.ip)))
            .collect()
    };
    let (marked, plain) = (from(&s1.ip.to_string()), from(&f1.ip.to_string()));
    assert_eq!((marked.len(), plain.len()), (2, 2), "{seen}");
    assert!(marked.iter().all(|l| l.contains("tos 0xb8")), "{seen}");
    assert!(plain.iter().all(|l| l.contains("tos 0x0")), "{seen}");

    // Rate: within 20 % of 10 Mbit/s through the meter; far above without it.
    let limited = mbps(iperf3(r2, s1, 8));
    let free = mbps(iperf3(r2, f1, 3));
    eprintln!("iperf3: with the 10 Mbit/s profile {limited:.1} Mbit/s, without {free:.0} Mbit/s");
    assert!((8.0..=12.0).contains(&limited), "{limited:.1} Mbit/s");
    assert!(free > 30.0, "{free:.1} Mbit/s");
    // Every endpoint of the group has the whole bandwidth: s1 and s3 at once, 10 each.
    let (a, b) = std::thread::scope(|t| {
        let a = t.spawn(|| mbps(iperf3(r2, s1, 8)));
        let b = t.spawn(|| mbps(iperf3(f1, s3, 8)));
        (a.join().unwrap(), b.join().unwrap())
    });
    eprintln!("iperf3: two endpoints of the group at once: {a:.1} and {b:.1} Mbit/s");
    assert!(
        (8.0..=12.0).contains(&a) && (8.0..=12.0).contains(&b),
        "{a:.1}, {b:.1}"
    );

    // Live: 20 Mbit/s.
    let faster = profile("20Mbps");
    f.api(move |c| c.put(&faster)).expect("profile updated");
    std::thread::sleep(std::time::Duration::from_secs(1));
    let limited = mbps(iperf3(r2, s1, 8));
    eprintln!("iperf3 after the change to 20 Mbit/s: {limited:.1} Mbit/s");
    assert!((16.0..=24.0).contains(&limited), "{limited:.1} Mbit/s");
}
