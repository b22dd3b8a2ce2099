//! Multicast on three emulated hosts: receivers on every host join a group with real sockets
//! (IGMPv3, and IGMPv2 on one); each gets every datagram exactly once, a non-member of the
//! network none; memberships are kept by netmaster's queries and end on a leave, or when a
//! member stops answering, within the group membership interval; the same group address in
//! another tenant is another group; unregistered multicast is dropped or flooded as each
//! network says; a netmaster restart changes nothing on the switches.

use northbound_api::model::{Kind, MulticastConfig, Network, Object, Tenant, Unregistered};
use northbound_api::oper::ObjectOper;
use northbound_api::service::Batch;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};
use topology_tests::cmd::in_ns;
use topology_tests::multicast::{payloads, send, Receiver};
use topology_tests::traffic::{ping, Capture};
use topology_tests::{frames, intent};
use topology_tests::{Endpoint, Fabric, FabricConfig};

const G: Ipv4Addr = Ipv4Addr::new(239, 1, 1, 1);
const UNJOINED: Ipv4Addr = Ipv4Addr::new(239, 9, 9, 9);
const PORT: u16 = 5000;
/// Tenant ta's query interval; its group membership interval is 2 × 2 s + 1 s.
const QUERY_INTERVAL_S: u32 = 2;
const GMI: Duration = Duration::from_secs(5);

fn network(tenant: &str, multicast: MulticastConfig) -> Object {
    Object::Network(Network {
        multicast,
        ..intent::vxlan_network(tenant, "mc", "10.50.0.0/24", None)
    })
}

/// Members of group `G` of network `tenant:mc` as netmaster's inspection shows them.
fn members(f: &Fabric, tenant: &str) -> BTreeSet<String> {
    let key = format!("{tenant}:mc");
    let inspect = f
        .api(move |c| c.inspect(Kind::Network, &key))
        .expect("inspect");
    let Some(ObjectOper::Network(oper)) = inspect.oper else {
        panic!("a network's inspection without its Oper: {inspect:?}");
    };
    oper.multicast_groups
        .iter()
        .filter(|g| g.group == G.to_string())
        .flat_map(|g| g.members.iter().map(|m| m.endpoint.clone()))
        .collect()
}

/// Members of group `G` of network `tenant:mc` as the web console shows them.
fn console_members(f: &Fabric, tenant: &str) -> BTreeSet<String> {
    let state = f.api(|c| c.console_state()).expect("console state");
    state
        .tenants
        .iter()
        .filter(|t| t.name == tenant)
        .flat_map(|t| &t.networks)
        .filter(|n| n.name == "mc")
        .flat_map(|n| &n.multicast)
        .filter(|g| g.group == G.to_string())
        .flat_map(|g| g.members.iter().map(|m| m.endpoint.clone()))
        .collect()
}

/// Waits until the members of `tenant`'s group are `want` (the console shows them too); how
/// long it took.
fn wait_members(f: &Fabric, tenant: &str, want: &[&str], timeout: Duration) -> Duration {
    let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
    let start = Instant::now();
    loop {
        let got = members(f, tenant);
        if got == want {
            let took = start.elapsed();
            assert_eq!(
                console_members(f, tenant),
                want,
                "{tenant}: the console's members"
            );
            return took;
        }
        assert!(
            start.elapsed() < timeout,
            "{tenant}: members {got:?}, want {want:?}\n{}",
            f.netmaster_log_tail(30)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Each payload of `sent` (sent by `from` to the group) received exactly once, in any order.
/// Once they are all in (a generous deadline), `from` sends one more datagram, a marker, on
/// the same path: when it has arrived, so would have any duplicate of those before it. A
/// failure shows what netmaster changed on the switches since `log_mark` (a line of its log
/// taken before the datagrams were sent) and the datapaths' drop counters.
fn exactly_once(
    f: &Fabric,
    log_mark: usize,
    r: &Receiver,
    prefix: &str,
    sent: &[String],
    from: &Endpoint,
) {
    static MARKS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let start = Instant::now();
    while r.received(prefix).len() < sent.len() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let mark = format!(
        "zz-mark-{}",
        MARKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    send(from, G, PORT, std::slice::from_ref(&mark));
    while r.received(&mark).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}: the marker after {prefix}* never arrived",
            r.name
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut got = r.received(prefix);
    got.sort();
    let mut want = sent.to_vec();
    want.sort();
    if got != want {
        panic!(
            "{} received {got:?}, want each of {want:?} once\n{}",
            r.name,
            delivery_context(f, log_mark)
        );
    }
}

/// What may explain a lost or doubled datagram: netmaster's changes to the switches and the
/// membership changes since line `mark` of its log, and each datapath's drop counters.
fn delivery_context(f: &Fabric, mark: usize) -> String {
    let mut text = String::from("netmaster since the datagrams were sent:\n");
    for e in f
        .netmaster_events(mark)
        .iter()
        .filter(|e| e["message"] == "reconciled" || e["message"] == "multicast membership changed")
    {
        text.push_str(&format!("  {e}\n"));
    }
    for n in 1..=3 {
        let host = format!("host{n}");
        let coverage = f.host(&host).appctl(&["coverage/show"]);
        let drops: Vec<&str> = coverage.lines().filter(|l| l.contains("drop")).collect();
        text.push_str(&format!("{host} drop counters: {drops:?}\n"));
    }
    text
}

/// The packets of a capture (its non-empty lines).
fn packets(capture: &str) -> usize {
    capture.lines().filter(|l| !l.trim().is_empty()).count()
}

/// The ALL group that carries `G` for each of the host's networks: its bucket count.
fn group_buckets(f: &Fabric, host: &str) -> Vec<usize> {
    let h = f.host(host);
    let flows = h.ofctl("dump-flows", &["table=60"]);
    let mut counts = Vec::new();
    for line in flows
        .lines()
        .filter(|l| l.contains(&format!("nw_dst={G} ")))
    {
        let Some(id) = line.split("actions=group:").nth(1) else {
            continue;
        };
        let id = id.trim();
        // (OpenFlow 1.3's group-desc request has no group filter: every group comes back.)
        let groups = h.ofctl("dump-groups", &[]);
        let group = groups
            .lines()
            .find(|l| l.contains(&format!("group_id={id},")))
            .unwrap_or_else(|| panic!("no group {id}: {groups}"));
        assert!(group.contains("type=all"), "{group}");
        counts.push(group.matches("bucket=").count());
    }
    counts.sort_unstable();
    counts
}

#[test]
fn igmp_snooping_replicates_to_members_only() {
    let mut f = Fabric::new(&FabricConfig::hosts(3));
    let mut upserts: Vec<Object> = ["ta", "tb"]
        .map(|t| Object::Tenant(Tenant::named(t)))
        .into();
    upserts.extend(
        (1..=3).map(|n| intent::host(&format!("host{n}"), &format!("192.168.2.{}", 9 + n))),
    );
    upserts.push(network(
        "ta",
        MulticastConfig {
            querier: true,
            query_interval_s: QUERY_INTERVAL_S,
            unregistered: Unregistered::Drop,
        },
    ));
    upserts.push(network("tb", MulticastConfig::default()));
    let placement = [
        ("ta", "s1", "host1"),
        ("ta", "r1", "host1"),
        ("ta", "r2", "host2"),
        ("ta", "n2", "host2"),
        ("ta", "r3", "host3"),
        ("tb", "b1", "host1"),
        ("tb", "b3", "host3"),
    ];
    upserts.extend(
        placement
            .iter()
            .map(|(t, c, h)| intent::endpoint(t, "mc", c, None, h)),
    );
    let batch = Batch {
        upserts,
        ..Batch::default()
    };
    f.api(move |c| c.apply(&batch)).expect("intent");
    for (t, c, h) in placement {
        f.attach(h, t, c);
    }
    let eps: BTreeMap<String, Endpoint> = f
        .endpoints()
        .into_iter()
        .map(|e| (e.name.clone(), e))
        .collect();
    let start = Instant::now();
    while !(ping(&eps["s1"], &eps["r3"], &["-c", "1"])
        && ping(&eps["b1"], &eps["b3"], &["-c", "1"]))
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "fabric not ready"
        );
    }

    // r3 speaks IGMPv2, the others IGMPv3.
    in_ns(
        &eps["r3"].ns,
        &["sysctl", "-qw", "net.ipv4.conf.eth0.force_igmp_version=2"],
    );
    let dir = f.dir();
    let mut r: BTreeMap<&str, Receiver> = ["r1", "r2", "r3", "b3"]
        .into_iter()
        .map(|n| (n, Receiver::start(&eps[n], G, PORT, &dir)))
        .collect();
    let joined = wait_members(
        &f,
        "ta",
        &["ta:r1", "ta:r2", "ta:r3"],
        Duration::from_secs(10),
    );
    wait_members(&f, "tb", &["tb:b3"], Duration::from_secs(10));
    eprintln!("joins seen by netmaster within {} ms", joined.as_millis());

    // Head-end replication on host1: ta's group is r1's port plus a tunnel to each of host2
    // and host3; tb's is one tunnel (host3).
    let start = Instant::now();
    while group_buckets(&f, "host1") != [1, 3] {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "host1 groups: {:?}",
            group_buckets(&f, "host1")
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Every member gets every datagram once; the non-member n2 and tenant tb get nothing.
    // Every switch holds what netmaster compiled for these memberships before anything is sent.
    f.wait_settled();
    let n2_capture = Capture::start(&eps["n2"].ns, "eth0", "udp", &dir, "n2");
    let sent = payloads("ta", 20);
    let mark = f.netmaster_log_len();
    send(&eps["s1"], G, PORT, &sent);
    for n in ["r1", "r2", "r3"] {
        exactly_once(&f, mark, &r[n], "ta-", &sent, &eps["s1"]);
    }
    let tb_sent = payloads("tb", 10);
    let mark = f.netmaster_log_len();
    send(&eps["b1"], G, PORT, &tb_sent);
    exactly_once(&f, mark, &r["b3"], "tb-", &tb_sent, &eps["b1"]);
    assert!(
        r["b3"].received("ta-").is_empty(),
        "tenant tb got ta's group"
    );
    for n in ["r1", "r2", "r3"] {
        assert!(r[n].received("tb-").is_empty(), "{n} got tb's group");
    }

    // Unregistered multicast: dropped in ta, flooded in tb.
    let b3_capture = Capture::start(&eps["b3"].ns, "eth0", "udp", &dir, "b3");
    send(&eps["s1"], UNJOINED, PORT, &payloads("ta-unjoined", 5));
    send(&eps["b1"], UNJOINED, PORT, &payloads("tb-unjoined", 5));
    let n2_seen = n2_capture.stop();
    assert_eq!(packets(&n2_seen), 0, "n2 is no member: {n2_seen}");
    let b3_seen = b3_capture.stop();
    assert_eq!(
        b3_seen.matches(&format!("> {UNJOINED}.{PORT}")).count(),
        5,
        "tb floods unregistered multicast: {b3_seen}"
    );

    // netmaster's queries keep the memberships beyond the membership interval.
    std::thread::sleep(GMI + Duration::from_secs(1));
    assert_eq!(
        members(&f, "ta"),
        ["ta:r1", "ta:r2", "ta:r3"].map(String::from).into()
    );
    let late = payloads("ta-late", 5);
    let mark = f.netmaster_log_len();
    send(&eps["s1"], G, PORT, &late);
    for n in ["r1", "r2", "r3"] {
        exactly_once(&f, mark, &r[n], "ta-late-", &late, &eps["s1"]);
    }

    // netmaster killed and started again on the same store: the memberships are back at once,
    // the switches keep their groups (nothing to delete or add), delivery goes on.
    let from = f.netmaster_log_len();
    let restart = Instant::now();
    f.restart_netmaster();
    eprintln!(
        "netmaster restarted, every switch reconnected in {} ms",
        restart.elapsed().as_millis()
    );
    assert_eq!(
        members(&f, "ta"),
        ["ta:r1", "ta:r2", "ta:r3"].map(String::from).into()
    );
    f.wait_settled(); // every reconciler's first pass done
    let changed: Vec<serde_json::Value> = f
        .netmaster_events(from)
        .into_iter()
        .filter(|e| e["message"] == "reconciled")
        .filter(|e| {
            ["groups_deleted", "groups_added", "flows_deleted"]
                .iter()
                .any(|k| e[*k].as_u64() != Some(0))
        })
        .collect();
    assert!(
        changed.is_empty(),
        "a restart changed the switches: {changed:?}"
    );
    let restarted = payloads("ta-restart", 5);
    let mark = f.netmaster_log_len();
    send(&eps["s1"], G, PORT, &restarted);
    for n in ["r1", "r2", "r3"] {
        exactly_once(&f, mark, &r[n], "ta-restart-", &restarted, &eps["s1"]);
    }

    // Leaves (IGMPv3 on r2, IGMPv2 on r3) end delivery at once.
    r.get_mut("r2").unwrap().stop();
    r.get_mut("r3").unwrap().stop();
    let left = wait_members(&f, "ta", &["ta:r1"], GMI);
    eprintln!("leaves applied within {} ms", left.as_millis());
    f.wait_settled();
    let captures: Vec<Capture> = ["r2", "r3"]
        .iter()
        .map(|n| Capture::start(&eps[*n].ns, "eth0", "udp", &dir, &format!("{n}-left")))
        .collect();
    let after = payloads("ta-after", 5);
    let mark = f.netmaster_log_len();
    send(&eps["s1"], G, PORT, &after);
    exactly_once(&f, mark, &r["r1"], "ta-after-", &after, &eps["s1"]);
    for c in captures {
        let seen = c.stop();
        assert_eq!(packets(&seen), 0, "delivered after the leave: {seen}");
    }

    // A member that stops answering queries (a forged report: n2's kernel never joined)
    // expires within the group membership interval.
    let n2 = &eps["n2"];
    frames::send(
        &n2.ns,
        &[frames::igmp_v2_report(frames::mac(&n2.mac), n2.ip, G)],
    );
    wait_members(&f, "ta", &["ta:n2", "ta:r1"], Duration::from_secs(5));
    let expired = wait_members(&f, "ta", &["ta:r1"], GMI + Duration::from_secs(3));
    eprintln!("silent member expired after {} ms", expired.as_millis());
    assert!(
        expired >= GMI - Duration::from_secs(2),
        "expired after {expired:?}"
    );
}
