//! End to end with real Open vSwitch: private `ovsdb-server` + `ovs-vswitchd` (userspace
//! datapath) in their own network namespace, the `netmaster` binary on a unix controller
//! socket, and containers (network namespaces behind veths) exchanging real ICMP packets.
//!
//! Needs root, iproute2 and Open vSwitch; a missing tool fails the test with a clear message
//! (never a skip). Every test has its own OVS instance, so the tests are independent and run in
//! parallel. Set `NM_E2E_KEEP=1` to keep the run directories (logs, database) under `/tmp`.

mod common;

use common::*;
use netmaster::cookie::{Cookie, OwnerKind};
use ofproto::multipart::MultipartRequestBody;
use ofproto::Body;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

const BR: &str = "nmbr1";
const DPID: u64 = 0xa1;
const BR2: &str = "nmbr2";
const DPID2: u64 = 0xa2;
/// Audits every 200 ms (a full read and diff every 10th, i.e. every 2 s).
const AUDIT: [&str; 2] = ["--audit-interval-ms", "200"];
const WAIT: Duration = Duration::from_secs(15);
/// Rounding allowance when comparing a flow's `duration` growth with the wall time between two
/// dumps (that wall time is measured from after the first dump returned to before the second
/// started, so it never exceeds the real interval).
const DURATION_SLACK: f64 = 0.05;

const IP_A: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const IP_B: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);

/// Static flows of the forwarding tests: port 1 <-> port 2, ARP explicitly too.
const STATIC_FLOWS: &str = "\
table=0,priority=100,in_port=1,actions=output:2
table=0,priority=100,in_port=2,actions=output:1
table=0,priority=110,arp,in_port=1,actions=output:2
table=0,priority=110,arp,in_port=2,actions=output:1
";

/// The base pipeline as `ovs-ofctl dump-flows` must show it, written by hand from
/// `docs/pipeline.md` (not computed by netmaster): in table 0 the three guards (drop
/// frames from a group or the all-zero source MAC, and frames to the IEEE 802.1D reserved
/// block 01:80:c2:00:00:0x), then one table-miss entry per table: tables 10 to 50 continue to
/// the next, 0 and 60 drop. Cookies: `0x4e50` (ours), kind 1 (base pipeline), table << 8 |
/// index.
const BASE_FLOWS: &str = "\
 cookie=0x4e50010000000001, priority=50000,dl_src=01:00:00:00:00:00/01:00:00:00:00:00 actions=drop
 cookie=0x4e50010000000002, priority=50000,dl_src=00:00:00:00:00:00 actions=drop
 cookie=0x4e50010000000003, priority=50000,dl_dst=01:80:c2:00:00:00/ff:ff:ff:ff:ff:f0 actions=drop
 cookie=0x4e50010000000000, priority=0 actions=drop
 cookie=0x4e50010000000a00, table=10, priority=0 actions=goto_table:20
 cookie=0x4e50010000001400, table=20, priority=0 actions=goto_table:30
 cookie=0x4e50010000001e00, table=30, priority=0 actions=goto_table:40
 cookie=0x4e50010000002800, table=40, priority=0 actions=goto_table:50
 cookie=0x4e50010000003200, table=50, priority=0 actions=goto_table:60
 cookie=0x4e50010000003c00, table=60, priority=0 actions=drop
";

/// [`STATIC_FLOWS`] as the switch must hold them: cookie kind 2 (a static flow) and the line
/// number in the file.
const STATIC_ENTRIES: &str = "\
 cookie=0x4e50020000000001, priority=100,in_port=1 actions=output:2
 cookie=0x4e50020000000002, priority=100,in_port=2 actions=output:1
 cookie=0x4e50020000000003, priority=110,arp,in_port=1 actions=output:2
 cookie=0x4e50020000000004, priority=110,arp,in_port=2 actions=output:1
";

/// The cookie of the guard that drops frames from a group MAC (base pipeline, table 0).
const GROUP_SOURCE_GUARD: u64 = 0x4e50_0100_0000_0001;

type Key = FlowContent;

/// The full content of flows written as `ovs-ofctl dump-flows` prints them, sorted.
fn expected(dump: &str) -> Vec<Key> {
    dump_keys(&parse_dump_flows(dump))
}

/// The full content of dumped flows, sorted.
fn dump_keys(flows: &[DumpedFlow]) -> Vec<Key> {
    let mut v: Vec<Key> = flows.iter().map(DumpedFlow::content).collect();
    v.sort_unstable();
    v
}

/// Waits until `bridge` holds exactly the flows `want`, by their full content.
fn wait_for_flows(ovs: &Ovs, bridge: &str, want: &[Key]) -> Vec<DumpedFlow> {
    let deadline = Instant::now() + WAIT;
    loop {
        let flows = ovs.dump_flows(bridge);
        if dump_keys(&flows) == want {
            return flows;
        }
        assert!(
            Instant::now() < deadline,
            "{bridge} did not reach the expected flows within {WAIT:?}\nwant: {want:#x?}\nhave: {:#x?}",
            dump_keys(&flows)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_dpid(e: &Value, dpid: u64) -> bool {
    field(e, "dpid") == dpid_hex(dpid)
}

/// A reconciler outcome line: `in sync`, `reconciled` or `reconcile failed`.
fn is_reconcile(e: &Value) -> bool {
    matches!(msg(e), "in sync" | "reconciled" | "reconcile failed")
}

fn flow_by_key<'a>(flows: &'a [DumpedFlow], key: &Key) -> &'a DumpedFlow {
    flows
        .iter()
        .find(|f| f.content() == *key)
        .unwrap_or_else(|| panic!("flow {key:x?} missing from {flows:#?}"))
}

/// Asserts that every flow of `before` is still there in `after` with its duration grown by at
/// least `elapsed`, the wall time from after the first dump to before the second: nothing was
/// re-added or reset.
fn assert_durations_continue(before: &[DumpedFlow], after: &[DumpedFlow], elapsed: Duration) {
    for b in before {
        let a = flow_by_key(after, &b.content());
        assert!(
            a.duration + DURATION_SLACK >= b.duration + elapsed.as_secs_f64(),
            "flow {:x?} was re-added or reset: duration {} s, then {} s after {:?}",
            b.content(),
            b.duration,
            a.duration,
            elapsed
        );
    }
}

/// OVS, one bridge connected to netmaster (with `args`), base pipeline (+ static flows if
/// given) installed.
fn setup(args: &[&str], static_flows: bool) -> (Ovs, Netmaster, Vec<Key>) {
    let ovs = Ovs::start();
    let mut all: Vec<&str> = AUDIT.to_vec();
    all.extend_from_slice(args);
    let flows_file = ovs.dir.join("flows.txt");
    let flows_arg = flows_file.display().to_string();
    let want = if static_flows {
        write_file(&flows_file, STATIC_FLOWS);
        all.extend(["--flows", &flows_arg]);
        expected(&format!("{BASE_FLOWS}{STATIC_ENTRIES}"))
    } else {
        expected(BASE_FLOWS)
    };
    let mut nm = Netmaster::start(&ovs, &all);
    ovs.add_bridge(BR, DPID, true);
    nm.wait_event(WAIT, "switch connected", |e| {
        msg(e) == "switch connected" && is_dpid(e, DPID)
    });
    wait_for_flows(&ovs, BR, &want);
    (ovs, nm, want)
}

/// Connects with `args`; netmaster must log role `our_role`, OVS must show `want_role`.
fn connect_with_role(args: &[&str], our_role: &str, want_role: &str) {
    let (ovs, mut nm, _) = setup(args, false);
    let ev = nm.wait_event(WAIT, "switch connected", |e| {
        msg(e) == "switch connected" && is_dpid(e, DPID)
    });
    assert!(num(&ev, "session_id") > 0, "{ev}");
    assert_eq!(field(&ev, "role"), our_role, "{ev}");
    let deadline = Instant::now() + WAIT;
    loop {
        let (connected, role) = ovs.controller_status(BR);
        if connected && role == want_role {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "controller of {BR}: is_connected={connected} role={role:?}, want true/{want_role:?}\n{}",
            ovs.vsctl(&["list", "controller"])
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Test 1a: the bridge connects; OVS reports the equal role as `other`.
#[test]
fn connect_default_role_is_other() {
    connect_with_role(&[], "equal", "other");
}

/// Test 1b: with `--of-role master` OVS reports `master`.
#[test]
fn connect_master_role_is_master() {
    connect_with_role(&["--of-role", "master"], "master", "master");
}

/// Test 2: exactly the base pipeline is installed (every flow's match, actions and cookie as
/// written by hand in [`BASE_FLOWS`]), in one go, and left alone afterwards.
#[test]
fn base_pipeline_installed_exactly() {
    let (ovs, mut nm, want) = setup(&[], false);
    let first = ovs.dump_flows(BR);
    let t0 = Instant::now();
    assert_eq!(dump_keys(&first), want);
    assert_eq!(ovs.flow_count(BR), want.len() as u64);
    let ev = nm.wait_event(WAIT, "first reconcile", |e| {
        is_reconcile(e) && is_dpid(e, DPID)
    });
    assert_eq!(msg(&ev), "reconciled", "{ev}");
    assert_eq!(field(&ev, "trigger"), "connect", "{ev}");
    assert_eq!(field(&ev, "delivery"), "Bundle", "{ev}");
    assert_eq!(num(&ev, "flows_added"), want.len() as u64, "{ev}");
    assert_eq!(num(&ev, "flows_deleted"), 0, "{ev}");
    assert_eq!(num(&ev, "errors"), 0, "{ev}");
    // A full audit finds nothing to do; the flows are never re-added.
    nm.wait_event(WAIT, "a full audit in sync", |e| {
        msg(e) == "in sync" && field(e, "trigger") == "audit" && is_dpid(e, DPID)
    });
    let elapsed = t0.elapsed();
    let later = ovs.dump_flows(BR);
    assert_eq!(dump_keys(&later), want);
    assert_durations_continue(&first, &later, elapsed);
    let reconciled = nm
        .events()
        .iter()
        .filter(|e| msg(e) == "reconciled")
        .count();
    assert_eq!(reconciled, 1, "only the connect reconcile sends anything");
}

/// Test 3, drift repair: a deleted base flow comes back, a foreign flow stays, an undesired
/// flow with our cookie goes.
#[test]
fn drift_is_repaired_foreign_flows_stay() {
    let (ovs, mut nm, want) = setup(&[], false);
    // One of the classify guards.
    let victim = GROUP_SOURCE_GUARD;
    let victim_key = want
        .iter()
        .find(|k| k.2 == victim)
        .expect("victim key")
        .clone();

    let t = Instant::now();
    ovs.ofctl(&["del-flows", BR, &format!("cookie={victim:#x}/-1")]);
    let flows = wait_for_flows(&ovs, BR, &want);
    // It came back (an audit repaired it), as a new entry: younger than the deletion.
    let repaired_in = t.elapsed();
    let back = flow_by_key(&flows, &victim_key);
    assert!(
        back.duration <= repaired_in.as_secs_f64() + 0.01,
        "the flow was not really deleted and re-added: duration {} s",
        back.duration
    );

    // A foreign flow (cookie 0x1234) is never touched, not even by full audits.
    ovs.ofctl(&[
        "add-flow",
        BR,
        "cookie=0x1234,table=20,priority=5,ip,actions=drop",
    ]);
    let foreign_key: Key = expected(" cookie=0x1234, table=20, priority=5,ip actions=drop")
        .pop()
        .expect("one flow");
    let skip = nm.events().len();
    let with_foreign = ovs.dump_flows(BR);
    let t_foreign = Instant::now();
    let foreign_before = flow_by_key(&with_foreign, &foreign_key).clone();

    // One of our cookies on a flow nobody wants: removed.
    let ours = Cookie::new(OwnerKind::StaticFlow, 999);
    ovs.ofctl(&[
        "add-flow",
        BR,
        &format!("cookie={ours:#x},table=20,priority=6,ip,actions=drop"),
    ]);
    let mut want_foreign = want.clone();
    want_foreign.push(foreign_key.clone());
    want_foreign.sort_unstable();
    wait_for_flows(&ovs, BR, &want_foreign);
    let ev = nm.wait_event_from(skip, WAIT, "the repair", |e| {
        msg(e) == "reconciled" && is_dpid(e, DPID)
    });
    assert_eq!(num(&ev, "flows_deleted"), 1, "{ev}");
    assert_eq!(num(&ev, "flows_added"), 0, "{ev}");
    assert!(num(&ev, "foreign_flows") >= 1, "{ev}");
    // After further full audits the foreign flow is still the same entry.
    let skip = nm.events().len();
    nm.wait_event_from(skip, WAIT, "a full audit in sync", |e| {
        msg(e) == "in sync" && field(e, "trigger") == "audit" && is_dpid(e, DPID)
    });
    let elapsed = t_foreign.elapsed();
    let end = wait_for_flows(&ovs, BR, &want_foreign);
    assert_durations_continue(&[foreign_before], &end, elapsed);
}

/// Packets counted by the flow `(table 0, priority 100, in_port=N)`.
fn forward_packets(flows: &[DumpedFlow], in_port: u32) -> u64 {
    flows
        .iter()
        .find(|f| f.table == 0 && f.priority == 100 && f.r#match == format!("in_port={in_port}"))
        .unwrap_or_else(|| panic!("no in_port={in_port} flow in {flows:#?}"))
        .n_packets
}

/// Waits until the in_port=1 flow has counted `more` packets beyond `from`; returns the dump.
fn wait_for_packets(ovs: &Ovs, from: u64, more: u64) -> Vec<DumpedFlow> {
    wait_until(WAIT, "ping packets through the in_port=1 flow", || {
        let flows = ovs.dump_flows(BR);
        (forward_packets(&flows, 1) >= from + more).then_some(flows)
    })
}

/// Test 4, restarting netmaster disrupts nothing: no ping lost, the new incarnation finds the
/// switch in sync and sends nothing, flows keep their age and counters.
#[test]
fn netmaster_restart_without_disruption() {
    let (ovs, mut nm, want) = setup(&[], true);
    let a = ovs.add_container(BR, 1, IP_A);
    let b = ovs.add_container(BR, 2, IP_B);
    a.ping_ok(IP_B, 3, WAIT).expect("a -> b before the test");
    b.ping_ok(IP_A, 3, WAIT).expect("b -> a before the test");

    let d1 = wait_for_flows(&ovs, BR, &want);
    let t1 = Instant::now();
    let ping = a.ping(IP_B, Duration::from_millis(20));
    let d1b = wait_for_packets(&ovs, forward_packets(&d1, 1), 25);

    nm.kill();
    wait_until(WAIT, "OVS to notice the controller is gone", || {
        (!ovs.controller_status(BR).0).then_some(())
    });
    let d2 = wait_for_packets(&ovs, forward_packets(&d1b, 1), 25);

    nm.restart();
    let first = nm.wait_event(WAIT, "first reconcile after restart", |e| {
        is_reconcile(e) && is_dpid(e, DPID)
    });
    let d3 = wait_for_packets(&ovs, forward_packets(&d2, 1), 25);
    // Let a full audit run too while the ping goes on.
    nm.wait_event(WAIT, "a full audit after restart", |e| {
        msg(e) == "in sync" && field(e, "trigger") == "audit" && is_dpid(e, DPID)
    });
    let d3b = wait_for_packets(&ovs, forward_packets(&d3, 1), 25);
    let stats = ping.stop();
    let elapsed = t1.elapsed();
    let d4 = ovs.dump_flows(BR);

    assert!(stats.sent >= 100, "too short a ping: {stats:?}");
    assert!(
        stats.lost.is_empty(),
        "ping lost {} of {} packets (seq {:?}); max rtt {:?}",
        stats.lost.len(),
        stats.sent,
        stats.lost,
        stats.max_rtt
    );
    assert_eq!(
        msg(&first),
        "in sync",
        "first reconcile after restart: {first}"
    );
    assert_eq!(field(&first, "trigger"), "connect", "{first}");
    let sent_something: Vec<Value> = nm
        .events()
        .into_iter()
        .filter(|e| (msg(e) == "reconciled" || msg(e) == "reconcile failed") && is_dpid(e, DPID))
        .collect();
    assert!(
        sent_something.is_empty(),
        "restarted netmaster changed the switch: {sent_something:?}"
    );
    assert_eq!(dump_keys(&d4), want);
    assert_durations_continue(&d1, &d4, elapsed);
    // Before the kill, while netmaster is dead, after the restart, after a full audit: the
    // counters only grow (d4, after the ping stopped, may equal d3b).
    for port in [1, 2] {
        let counts: Vec<u64> = [&d1, &d1b, &d2, &d3, &d3b]
            .iter()
            .map(|d| forward_packets(d, port))
            .collect();
        assert!(
            counts.windows(2).all(|w| w[0] < w[1]) && forward_packets(&d4, port) >= counts[4],
            "n_packets of in_port={port} did not keep counting up: {counts:?}, then {}",
            forward_packets(&d4, port)
        );
    }
    wait_until(WAIT, "the restarted netmaster connected in OVS", || {
        ovs.controller_status(BR).0.then_some(())
    });
}

/// Test 5, restarting ovs-vswitchd loses every flow; netmaster restores the full state and
/// forwarding works again.
#[test]
fn a_connection_claiming_a_live_switchs_datapath_id_is_refused() {
    let (ovs, mut nm, want) = setup(&[], true);
    let a = ovs.add_container(BR, 1, IP_A);
    let b = ovs.add_container(BR, 2, IP_B);
    a.ping_ok(IP_B, 3, WAIT)
        .expect("a -> b before the impostor");
    let session = num(
        &nm.wait_event(WAIT, "switch connected", |e| {
            msg(e) == "switch connected" && is_dpid(e, DPID)
        }),
        "session_id",
    );
    let before = wait_for_flows(&ovs, BR, &want);
    let t0 = Instant::now();
    let ping = a.ping(IP_B, Duration::from_millis(20));
    // The ping is flowing (the switch counted its packets) before the impostor comes.
    let flowing = wait_for_packets(&ovs, forward_packets(&before, 1), 5);

    // An impostor completes a handshake with the bridge's datapath id on netmaster's socket.
    let impostor = fakeswitch::FakeSwitch::new(DPID);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        impostor
            .connect_unix(&ovs.ctl_sock())
            .await
            .expect("the impostor connects");
        assert!(
            impostor.wait_until(WAIT, |f| f.connections() == 0).await,
            "the impostor's connection was not closed"
        );
    });
    nm.wait_event(WAIT, "the impostor refused", |e| {
        msg(e) == "refused a connection claiming the datapath id of a live session"
            && is_dpid(e, DPID)
    });
    // It got nothing: no flow state read from it (beyond the handshake's port and
    // description requests) and none written to it.
    assert!(impostor.received_flow_mods().is_empty());
    let received = impostor.received();
    assert!(
        !received.iter().any(|m| match &m.body {
            Body::MultipartRequest(r) => !matches!(
                r.body,
                MultipartRequestBody::PortDesc | MultipartRequestBody::Desc
            ),
            Body::GroupMod(_) | Body::MeterMod(_) | Body::BundleControl(_) => true,
            _ => false,
        }),
        "{received:?}"
    );
    // The bridge kept its session, its flows and every packet (the ping went on after).
    wait_for_packets(&ovs, forward_packets(&flowing, 1), 5);
    let stats = ping.stop();
    assert!(stats.received > 0 && stats.lost.is_empty(), "{stats:?}");
    assert!(
        !nm.events()
            .iter()
            .any(|e| msg(e) == "switch disconnected" && num(e, "session_id") == session),
        "the bridge's session ended"
    );
    let elapsed = t0.elapsed();
    let after = ovs.dump_flows(BR);
    assert_durations_continue(&before, &after, elapsed);
    b.ping_ok(IP_A, 3, WAIT).expect("b -> a after the impostor");
}

#[test]
fn ovs_restart_restores_state() {
    let (ovs, mut nm, want) = setup(&[], true);
    let a = ovs.add_container(BR, 1, IP_A);
    let b = ovs.add_container(BR, 2, IP_B);
    a.ping_ok(IP_B, 3, WAIT).expect("a -> b before the restart");
    let old_pid = ovs.vswitchd_pid().expect("ovs-vswitchd pid");
    let first = nm.wait_event(WAIT, "first reconcile", |e| {
        is_reconcile(e) && is_dpid(e, DPID)
    });
    assert_eq!(msg(&first), "reconciled", "{first}");

    let skip = nm.events().len();
    ovs.kill_vswitchd();
    nm.wait_event_from(skip, WAIT, "switch disconnected", |e| {
        msg(e) == "switch disconnected" && is_dpid(e, DPID)
    });
    ovs.start_vswitchd();
    let new_pid = ovs.vswitchd_pid().expect("new ovs-vswitchd pid");
    assert_ne!(old_pid, new_pid);

    nm.wait_event_from(skip, WAIT, "switch reconnected", |e| {
        msg(e) == "switch connected" && is_dpid(e, DPID)
    });
    let ev = nm.wait_event_from(skip, WAIT, "reconcile after the OVS restart", |e| {
        is_reconcile(e) && is_dpid(e, DPID)
    });
    // Everything was re-added: the restarted switch came back empty.
    assert_eq!(msg(&ev), "reconciled", "{ev}");
    assert_eq!(field(&ev, "trigger"), "connect", "{ev}");
    assert_eq!(num(&ev, "flows_added"), want.len() as u64, "{ev}");
    assert_eq!(num(&ev, "flows_deleted"), 0, "{ev}");
    assert_eq!(num(&ev, "errors"), 0, "{ev}");
    wait_for_flows(&ovs, BR, &want);
    a.ping_ok(IP_B, 3, WAIT)
        .expect("a -> b after the OVS restart");
    b.ping_ok(IP_A, 3, WAIT)
        .expect("b -> a after the OVS restart");
}

/// Test 6: two bridges on one netmaster; reconnecting one does not disturb the other.
#[test]
fn two_bridges_are_independent() {
    let ovs = Ovs::start();
    let mut nm = Netmaster::start(&ovs, &AUDIT);
    ovs.add_bridge(BR, DPID, true);
    ovs.add_bridge(BR2, DPID2, true);
    let want = expected(BASE_FLOWS);
    for (br, dpid) in [(BR, DPID), (BR2, DPID2)] {
        nm.wait_event(WAIT, "both switches connected", |e| {
            msg(e) == "switch connected" && is_dpid(e, dpid)
        });
        wait_for_flows(&ovs, br, &want);
    }
    let first_a = nm.events().iter().filter(|e| is_dpid(e, DPID)).count();
    assert!(first_a > 0);

    let skip = nm.events().len();
    let a_before = ovs.dump_flows(BR);
    let t0 = Instant::now();

    ovs.del_controller(BR2);
    nm.wait_event_from(skip, WAIT, "second bridge disconnected", |e| {
        msg(e) == "switch disconnected" && is_dpid(e, DPID2)
    });
    ovs.set_controller(BR2);
    nm.wait_event_from(skip, WAIT, "second bridge reconnected", |e| {
        msg(e) == "switch connected" && is_dpid(e, DPID2)
    });
    wait_for_flows(&ovs, BR2, &want);
    // Both reconcilers run full audits after the reconnect.
    let since = nm.events().len();
    for dpid in [DPID, DPID2] {
        nm.wait_event_from(since, WAIT, "full audits of both bridges", |e| {
            msg(e) == "in sync" && field(e, "trigger") == "audit" && is_dpid(e, dpid)
        });
    }
    let elapsed = t0.elapsed();
    let a_after = wait_for_flows(&ovs, BR, &want);
    assert_durations_continue(&a_before, &a_after, elapsed);

    let events = nm.events();
    let disturbed: Vec<&Value> = events[skip..]
        .iter()
        .filter(|e| is_dpid(e, DPID))
        .filter(|e| msg(e) != "in sync")
        .collect();
    assert!(
        disturbed.is_empty(),
        "the first bridge was disturbed: {disturbed:?}"
    );
    let b_reconciles: BTreeMap<&str, usize> = events[skip..]
        .iter()
        .filter(|e| is_dpid(e, DPID2) && is_reconcile(e))
        .fold(BTreeMap::new(), |mut m, e| {
            *m.entry(msg(e)).or_default() += 1;
            m
        });
    assert!(
        b_reconciles.contains_key("in sync") || b_reconciles.contains_key("reconciled"),
        "no reconcile of the second bridge after its reconnect: {b_reconciles:?}"
    );
    wait_until(
        WAIT,
        "both controllers connected in the OVS database",
        || (ovs.controller_status(BR).0 && ovs.controller_status(BR2).0).then_some(()),
    );
}
