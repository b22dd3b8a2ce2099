//! End to end with real Open vSwitch: the compiled ARP responder (table 10, `arpMode: proxy`)
//! answers ARP for known endpoints on the switch itself.
//!
//! One private OVS bridge (userspace datapath) with three "containers" (namespaces behind
//! veths, OpenFlow ports 1..3): `ta:a1` and `ta:a2` in tenant `ta`'s network, `tb:b1` in tenant
//! `tb`'s network with an address of the same subnet. The intent is built in-process
//! (`IntentDb::in_memory` + `apply`), compiled with `netmaster::compiler::compile` for a
//! `Topology` with the bridge's dpid and ports, and delivered by netmaster itself: the
//! in-process `Controller` serving a unix socket under the OVS rundir, with hand-set desired state
//! holding the compiled state.
//!
//! Needs root, iproute2 and Open vSwitch (a missing tool fails the test, never a skip).

mod common;
#[path = "support/desired.rs"]
mod desired;
#[path = "support/inproc.rs"]
mod inproc;

use common::*;
use inproc::Ctl;
use netmaster::compiler::{compile, HostPorts, Topology};
use netmaster::desired::SwitchState;
use netmaster::intent::service::IntentDb;
use netmaster::reconcile::diff::diff;
use northbound_api::model::{ArpMode, Endpoint, Global, Host, Network, Object, Tenant};
use northbound_api::service::{Batch, IntentService};
use ofproto::nx::{NxmHeader, NX_VENDOR_ID};
use ofproto::{Action, Instruction};
use std::net::Ipv4Addr;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const BR: &str = "nmarp";
const DPID: u64 = 0xa7;
const HOST: &str = "h1";
const WAIT: Duration = Duration::from_secs(15);

const IP_A1: Ipv4Addr = Ipv4Addr::new(10, 78, 0, 1);
const IP_A2: Ipv4Addr = Ipv4Addr::new(10, 78, 0, 2);
const IP_B1: Ipv4Addr = Ipv4Addr::new(10, 78, 0, 3);

fn network(tenant: &str) -> Network {
    Network::vxlan(tenant, "net", "10.78.0.0/24".parse().unwrap())
}

fn endpoint(tenant: &str, name: &str, c: &Container) -> Object {
    Object::Endpoint(Endpoint {
        host: Some(HOST.into()),
        mac_address: Some(c.mac.parse().expect("a MAC")),
        ip_address: Some(c.ip),
        ..Endpoint::named(tenant, "net", name)
    })
}

/// The intent (two tenants, `ta:net` with a1 and a2, `tb:net` with b1) and the topology (all
/// three on the bridge), compiled: the desired state of the bridge.
fn desired(a1: &Container, a2: &Container, b1: &Container) -> SwitchState {
    desired_in(ArpMode::Proxy, a1, a2, b1)
}

/// [`desired`] with ARP mode `arp`.
fn desired_in(arp: ArpMode, a1: &Container, a2: &Container, b1: &Container) -> SwitchState {
    let db = IntentDb::in_memory();
    let objects = vec![
        Object::Global(Global {
            arp_mode: arp,
            ..Global::default()
        }),
        Object::Tenant(Tenant::named("ta")),
        Object::Tenant(Tenant::named("tb")),
        Object::Host(Host {
            name: HOST.into(),
            vtep_ip: None,
            uplinks: vec![],
            dpid: None,
        }),
        Object::Network(network("ta")),
        Object::Network(network("tb")),
        endpoint("ta", "a1", a1),
        endpoint("ta", "a2", a2),
        endpoint("tb", "b1", b1),
    ];
    db.apply(Batch {
        upserts: objects,
        ..Batch::default()
    })
    .expect("intent accepted");
    let snap = db.snapshot();
    let mut ports = HostPorts::new(DPID);
    for (key, c) in [("ta:a1", a1), ("ta:a2", a2), ("tb:b1", b1)] {
        ports.endpoint_ports.insert(key.into(), c.ofport);
    }
    let mut topo = Topology::default();
    topo.hosts.insert(HOST.into(), ports);
    let mut states = compile(&snap, &topo);
    states.remove(&DPID).expect("the bridge's state")
}

/// (table, priority, cookie) of every flow of a state, sorted.
fn keys(s: &SwitchState) -> Vec<(u8, u16, u64)> {
    let mut v: Vec<_> = s
        .flows
        .iter()
        .map(|(k, e)| (k.table_id, k.priority, e.cookie))
        .collect();
    v.sort_unstable();
    v
}

/// An ARP frame: (opcode, sender IP, target IP).
type ArpSeen = (u16, Ipv4Addr, Ipv4Addr);

/// Every ARP frame seen on `eth0` of a container, as (opcode, sender IP, target IP), captured
/// with a packet socket from a thread inside its namespace until `stop` is set.
struct ArpCapture {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Result<Vec<ArpSeen>, String>>,
}

impl ArpCapture {
    fn start(c: &Container) -> ArpCapture {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel();
        let flag = stop.clone();
        let thread = in_netns(&c.ns, move || {
            const ETH_P_ARP: u16 = 0x0806;
            // SAFETY: creating a socket has no preconditions.
            let fd = unsafe {
                libc::socket(
                    libc::AF_PACKET,
                    libc::SOCK_RAW,
                    i32::from(ETH_P_ARP.to_be()),
                )
            };
            if fd < 0 {
                let e = format!("packet socket: {}", std::io::Error::last_os_error());
                let _ = ready_tx.send(());
                return Err(e);
            }
            // SAFETY: `fd` is a socket we just opened and own.
            let _owned = unsafe { OwnedFd::from_raw_fd(fd) };
            let tv = libc::timeval {
                tv_sec: 0,
                tv_usec: 100_000,
            };
            // SAFETY: valid fd, a timeval of the right size.
            unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_RCVTIMEO,
                    (&tv as *const libc::timeval).cast(),
                    std::mem::size_of::<libc::timeval>() as libc::socklen_t,
                );
            }
            let _ = ready_tx.send(());
            let mut seen = Vec::new();
            let mut buf = [0u8; 2048];
            while !flag.load(Ordering::Relaxed) {
                // SAFETY: valid fd and buffer.
                let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
                if n < 14 + 28 {
                    continue;
                }
                let arp = &buf[14..];
                let op = u16::from_be_bytes([arp[6], arp[7]]);
                let spa = Ipv4Addr::new(arp[14], arp[15], arp[16], arp[17]);
                let tpa = Ipv4Addr::new(arp[24], arp[25], arp[26], arp[27]);
                seen.push((op, spa, tpa));
            }
            Ok(seen)
        });
        ready_rx.recv_timeout(WAIT).expect("capture thread started");
        ArpCapture { stop, thread }
    }

    fn stop(self) -> Vec<ArpSeen> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .expect("capture thread")
            .expect("capture")
    }
}

/// `ip neigh show DST` in a container: the neighbour entry, empty when there is none.
fn neigh(c: &Container, dst: Ipv4Addr) -> String {
    ip(&["-n", &c.ns, "neigh", "show", &dst.to_string()])
}

/// The action lists of the table-10 responder flows of a state.
fn responder_actions(s: &SwitchState) -> Vec<Vec<Action>> {
    s.flows
        .iter()
        .filter(|(k, _)| k.table_id == 10 && k.priority == 100)
        .flat_map(|(_, e)| &e.instructions)
        .filter_map(|i| match i {
            Instruction::ApplyActions(a) => Some(a.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn arp_for_known_endpoints_is_answered_by_the_switch() {
    let ovs = Ovs::start();
    ovs.add_bridge(BR, DPID, false);
    let a1 = ovs.add_container(BR, 1, IP_A1);
    let a2 = ovs.add_container(BR, 2, IP_A2);
    let b1 = ovs.add_container(BR, 3, IP_B1);
    let want = desired(&a1, &a2, &b1);
    // One responder (and one own-address drop) per endpoint, each within its own network.
    let responders = responder_actions(&want);
    assert_eq!(responders.len(), 3, "one responder per endpoint");
    let ctl = Ctl::start(&ovs, want.clone());
    ovs.set_controller(BR);
    ctl.switch(DPID);
    wait_until(WAIT, "the compiled flows on the bridge", || {
        let dumped = ovs.dump_flows(BR);
        let mut have: Vec<_> = dumped.iter().map(DumpedFlow::key).collect();
        have.sort_unstable();
        (have == keys(&want)).then_some(())
    });
    let text = ovs.ofctl(&["dump-flows", BR, "table=10"]);
    assert!(
        text.contains("move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]")
            && text.contains("move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]")
            && text.contains("move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[]")
            && text.contains("IN_PORT"),
        "{text}"
    );

    // a1 -> a2: ARP answered by the switch; a2 never sees an ARP request (its own requests
    // for a1, if any, are answered by the switch too).
    let capture = ArpCapture::start(&a2);
    a1.ping_ok(IP_A2, 3, WAIT)
        .unwrap_or_else(|e| panic!("a1 -> a2: {e}\n{}", ovs.log_tail(20)));
    let seen = capture.stop();
    assert!(
        seen.iter().all(|(op, _, _)| *op != 1),
        "a2 received ARP requests: {seen:?}"
    );
    let entry = neigh(&a1, IP_A2);
    assert!(entry.contains(&a2.mac), "a1's entry for a2: {entry:?}");
    // The in-place reply rewrites ARP fields, which the datapath cannot: ovs-vswitchd's slow
    // path handles every request (what directed mode avoids; see the test below).
    let datapath = ovs.appctl(&["dpctl/dump-flows"]);
    assert!(
        datapath
            .lines()
            .any(|l| l.contains("arp") && l.contains("slow_path")),
        "no slow-path ARP datapath flow:\n{datapath}"
    );
    let text = ovs.ofctl(&["dump-flows", BR, "table=10,arp,arp_tpa=10.78.0.2"]);
    let hits: u64 = parse_dump_flows(&text)
        .iter()
        .filter(|f| f.priority == 100)
        .map(|f| f.n_packets)
        .sum();
    assert!(hits >= 1, "the responder for a2 answered: {text}");

    // a1 -> b1 (other tenant, same subnet): no ARP reply, no ping; b1 never sees a thing.
    let capture = ArpCapture::start(&b1);
    let err = a1.ping_ok(IP_B1, 1, Duration::from_secs(2));
    assert!(err.is_err(), "a1 reached b1 of another tenant");
    let seen = capture.stop();
    assert!(seen.is_empty(), "b1 received ARP from a1: {seen:?}");
    let entry = neigh(&a1, IP_B1);
    assert!(
        !entry.contains(&b1.mac) && !entry.contains("REACHABLE") && !entry.contains("STALE"),
        "a1 resolved b1: {entry:?}"
    );

    // No churn: once the responders have been on the switch for a second (five full audits,
    // one every 200 ms, seen by the flows' own age), it reads back exactly as compiled, the
    // Nicira move actions byte for byte.
    wait_until(WAIT, "the responders a second old", || {
        let table10: Vec<DumpedFlow> = ovs
            .dump_flows(BR)
            .into_iter()
            .filter(|f| f.table == 10)
            .collect();
        (!table10.is_empty() && table10.iter().all(|f| f.duration >= 1.0)).then_some(())
    });
    let back = ctl.read_back(DPID);
    let plan = diff(&want, &back);
    assert!(plan.is_empty(), "the switch is not in sync: {plan:?}");
    let read = responder_actions(&back);
    assert_eq!(read.len(), responders.len());
    assert!(responders.iter().all(|r| read.contains(r)), "{read:?}");
    for actions in &responders {
        let moves: Vec<&Vec<u8>> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Experimenter { experimenter, data } if *experimenter == NX_VENDOR_ID => {
                    Some(data)
                }
                _ => None,
            })
            .collect();
        assert_eq!(moves.len(), 3, "{actions:?}");
        let eth = NxmHeader::ETH_SRC.0.to_be_bytes();
        assert_eq!(&moves[0][8..12], eth.as_slice(), "NXM_OF_ETH_SRC header");
    }
    // And the flows were never re-added: over four more full audits (0.8 s of the switch's
    // own clock), their durations grow with the wall time.
    let before = ovs.dump_flows(BR);
    let t0 = Instant::now();
    wait_until(WAIT, "0.8 s more on the switch", || {
        let now = ovs.dump_flows(BR);
        before
            .iter()
            .filter(|b| b.table == 10)
            .all(|b| {
                now.iter()
                    .find(|f| f.key() == b.key())
                    .is_some_and(|f| f.duration >= b.duration + 0.8)
            })
            .then_some(())
    });
    let elapsed = t0.elapsed();
    let after = ovs.dump_flows(BR);
    for b in before.iter().filter(|f| f.table == 10) {
        let a = after
            .iter()
            .find(|f| f.key() == b.key())
            .expect("still there");
        assert!(
            a.duration + 0.05 >= b.duration + elapsed.as_secs_f64(),
            "flow {:x?} was re-added",
            b.key()
        );
    }
    drop(ctl);
}

#[test]
fn directed_arp_reaches_the_target_alone_without_an_upcall() {
    let ovs = Ovs::start();
    ovs.add_bridge(BR, DPID, false);
    let a1 = ovs.add_container(BR, 1, IP_A1);
    let a2 = ovs.add_container(BR, 2, IP_A2);
    let b1 = ovs.add_container(BR, 3, IP_B1);
    let want = desired_in(ArpMode::Directed, &a1, &a2, &b1);
    let directed = responder_actions(&want);
    assert_eq!(directed.len(), 3, "one flow per endpoint");
    assert!(
        directed
            .iter()
            .all(|a| matches!(a.as_slice(), [Action::SetField(_)])),
        "{directed:?}"
    );
    let ctl = Ctl::start(&ovs, want.clone());
    ovs.set_controller(BR);
    ctl.switch(DPID);
    wait_until(WAIT, "the compiled flows on the bridge", || {
        let mut have: Vec<_> = ovs.dump_flows(BR).iter().map(DumpedFlow::key).collect();
        have.sort_unstable();
        (have == keys(&want)).then_some(())
    });

    // a1 -> a2: a2 gets a1's request, addressed to it, and answers it itself.
    let on_a2 = ArpCapture::start(&a2);
    let on_b1 = ArpCapture::start(&b1);
    a1.ping_ok(IP_A2, 3, WAIT)
        .unwrap_or_else(|e| panic!("a1 -> a2: {e}\n{}", ovs.log_tail(20)));
    // a1 -> b1 (other tenant, same subnet): nothing answers, nothing reaches b1.
    assert!(
        a1.ping_ok(IP_B1, 1, Duration::from_secs(2)).is_err(),
        "a1 reached b1 of another tenant"
    );
    let seen_a2 = on_a2.stop();
    let seen_b1 = on_b1.stop();
    assert!(
        seen_a2.contains(&(1, IP_A1, IP_A2)),
        "a2 never got a1's request: {seen_a2:?}"
    );
    assert!(seen_b1.is_empty(), "b1 received ARP: {seen_b1:?}");
    let entry = neigh(&a1, IP_A2);
    assert!(entry.contains(&a2.mac), "a1's entry for a2: {entry:?}");

    // The datapath forwarded every ARP frame itself: no flow with a slow-path action.
    let datapath = ovs.appctl(&["dpctl/dump-flows"]);
    assert!(
        datapath.lines().any(|l| l.contains("arp")),
        "no ARP datapath flow:\n{datapath}"
    );
    assert!(
        !datapath.contains("slow_path"),
        "slow-path datapath flows:\n{datapath}"
    );
    drop(ctl);
}
