//! QoS profiles on emulated hosts: TCP from a group with a 10 Mbit/s profile stays under it
//! (iperf3) while the profile's meter drops the excess (its band counter), for each of two of
//! its endpoints sending at once (a meter each), and an endpoint without the profile passes no
//! meter; the profile's DSCP is on the receiver's capture; a profile change applies live.

use northbound_api::model::{EndpointGroup, NetProfile, Object, Tenant};
use northbound_api::service::Batch;
use std::collections::BTreeMap;
use std::time::Duration;
use topology_tests::intent;
use topology_tests::traffic::{iperf3, ping, Capture};
use topology_tests::{Endpoint, Fabric, FabricConfig, Host};

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
    let mut upserts = vec![Object::Tenant(Tenant::named("t"))];
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
            cfgd_tag: None,
            ext_contracts_grps: Vec::new(),
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

    // Rate, from the switch's side: the profile's meter drops what exceeds 10 Mbit/s, so the
    // group's TCP stays under it (a slow machine only lowers throughput, never raises it), and
    // its band's drop counter moves; f1 has no meter.
    let host1 = f.host("host1");
    let before = band_drops(host1);
    let limited = mbps(iperf3(r2, s1, 8));
    let after_limited = band_drops(host1);
    let free = mbps(iperf3(r2, f1, 3));
    let after_free = band_drops(host1);
    eprintln!("iperf3: with the 10 Mbit/s profile {limited:.1} Mbit/s, without {free:.0} Mbit/s");
    assert!(limited <= 12.0, "{limited:.1} Mbit/s");
    assert!(
        engaged(&before, &after_limited) == 1,
        "one meter dropped: {before:?} -> {after_limited:?}"
    );
    assert_eq!(after_free, after_limited, "no meter for f1");
    assert!(free > limited, "{free:.1} Mbit/s");
    // Every endpoint of the group has the whole bandwidth: s1 and s3 at once, each through a
    // meter of its own, both limiting.
    let (a, b) = std::thread::scope(|t| {
        let a = t.spawn(|| mbps(iperf3(r2, s1, 8)));
        let b = t.spawn(|| mbps(iperf3(f1, s3, 8)));
        (a.join().unwrap(), b.join().unwrap())
    });
    let after_both = band_drops(host1);
    eprintln!("iperf3: two endpoints of the group at once: {a:.1} and {b:.1} Mbit/s");
    assert!(a <= 12.0 && b <= 12.0, "{a:.1}, {b:.1}");
    assert_eq!(
        engaged(&after_free, &after_both),
        2,
        "two meters dropped: {after_free:?} -> {after_both:?}"
    );

    // Live: 20 Mbit/s, once the switch's meters say so.
    let faster = profile("20Mbps");
    f.api(move |c| c.put(&faster)).expect("profile updated");
    host1.wait_until("the meters at 20 Mbit/s", Duration::from_secs(30), |h| {
        let meters = h.ofctl("dump-meters", &[]);
        meters.contains("rate=20000") && !meters.contains("rate=10000")
    });
    let before = band_drops(host1);
    let limited = mbps(iperf3(r2, s1, 8));
    let after = band_drops(host1);
    eprintln!("iperf3 after the change to 20 Mbit/s: {limited:.1} Mbit/s");
    assert!(limited <= 24.0, "{limited:.1} Mbit/s");
    assert_eq!(engaged(&before, &after), 1, "{before:?} -> {after:?}");
}

/// Packets dropped by each meter's bands on `host`'s switch, by meter id (`meter-stats`).
fn band_drops(host: &Host) -> BTreeMap<u32, u64> {
    let stats = host.ofctl("meter-stats", &[]);
    let mut out = BTreeMap::new();
    let mut meter = None;
    for line in stats.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("meter:") {
            meter = rest.split_whitespace().next().and_then(|m| m.parse().ok());
        } else if let (Some(m), Some(count)) = (
            meter,
            line.split_whitespace()
                .find_map(|w| w.strip_prefix("packet_count:"))
                .and_then(|c| c.parse::<u64>().ok()),
        ) {
            if line.starts_with(|c: char| c.is_ascii_digit()) {
                *out.entry(m).or_insert(0) += count;
            }
        }
    }
    out
}

/// How many meters dropped packets between two readings.
fn engaged(before: &BTreeMap<u32, u64>, after: &BTreeMap<u32, u64>) -> usize {
    after
        .iter()
        .filter(|(m, n)| **n > before.get(*m).copied().unwrap_or(0))
        .count()
}
