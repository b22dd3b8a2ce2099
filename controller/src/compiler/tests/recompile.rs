//! The incremental compiler ([`crate::compiler::Incremental`]) against the full one: after
//! every change of a random sequence, the switch states it keeps (the last full compile, with
//! every incremental one applied over it), the tunnels and the multicast plan are exactly what
//! `compile_all` gives from scratch; changes of endpoints and memberships compile only some
//! switches.

use super::super::{compile_all, GroupMembers, Incremental};
use super::fixture::*;
use crate::desired::SwitchState;
use northbound_api::model::{ArpMode, FwdMode};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Hosts in the fixture.
const HOSTS: u8 = 4;
/// Networks (`t1:n0`, `t1:n1`, `t2:n2`, `t2:n3`).
const NETS: usize = 4;

/// One change of intent or topology.
#[derive(Debug, Clone)]
enum Op {
    /// A new endpoint of network `net` on host `host`.
    Add { net: usize, host: u8 },
    /// Endpoint number `i` (modulo the count) deleted from intent and unplugged.
    Delete(usize),
    /// Endpoint `i` unplugged by its agent, its intent left.
    Unplug(usize),
    /// Endpoint `i`'s port moved to host `host` (its intent still names the old host).
    Move(usize, u8),
    /// Endpoint `i`'s intent host set to `host`.
    Rehost(usize, u8),
    /// Endpoint `i` put into the group of its tenant's first network.
    Join(usize),
    /// An external endpoint of network `net`.
    External(usize),
    /// Multicast group 239.1.1.`g` of network `net` with endpoints `members` (indices).
    Members {
        net: usize,
        g: u8,
        members: Vec<usize>,
    },
    /// ARP mode flipped (a global change: everything is compiled again).
    FlipArp,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..NETS, 1..=HOSTS).prop_map(|(net, host)| Op::Add { net, host }),
        1 => any::<usize>().prop_map(Op::Delete),
        1 => any::<usize>().prop_map(Op::Unplug),
        1 => (any::<usize>(), 1..=HOSTS).prop_map(|(i, h)| Op::Move(i, h)),
        1 => (any::<usize>(), 1..=HOSTS).prop_map(|(i, h)| Op::Rehost(i, h)),
        1 => any::<usize>().prop_map(Op::Join),
        1 => (0..NETS).prop_map(Op::External),
        1 => (0..NETS, 1..3u8, proptest::collection::vec(any::<usize>(), 0..3))
            .prop_map(|(net, g, members)| Op::Members { net, g, members }),
        1 => Just(Op::FlipArp),
    ]
}

fn fabric() -> impl Strategy<Value = Fabric> {
    prop_oneof![
        Just(Fabric::VxlanFlow),
        Just(Fabric::VxlanPerPeer),
        Just(Fabric::Vlan)
    ]
}

/// The model under change: the fixture, and the endpoints made so far (key, container).
struct Model {
    f: Fixture,
    endpoints: Vec<String>,
    made: usize,
}

impl Model {
    fn new(fabric: Fabric, routing: bool) -> Model {
        let mut f = Fixture::new(HOSTS, fabric);
        for n in 0..NETS {
            let tenant = if n < 2 { "t1" } else { "t2" };
            f.network(tenant, &format!("n{n}"), 100 + n as u32);
            let key = format!("{tenant}:n{n}");
            let net = f.snap.networks.get_mut(&key).unwrap();
            net.gateway = (n != 3).then(|| Ipv4Addr::new(10, 0, 0, 254));
            f.group(tenant, &format!("n{n}"), &format!("g{n}"), &[]);
        }
        if routing {
            f.snap.global.fwd_mode = FwdMode::Routing;
        }
        Model {
            f,
            endpoints: Vec::new(),
            made: 0,
        }
    }

    fn tenant(net: usize) -> &'static str {
        if net < 2 {
            "t1"
        } else {
            "t2"
        }
    }

    /// Endpoint `i` (modulo the count), if there is one.
    fn pick(&self, i: usize) -> Option<String> {
        (!self.endpoints.is_empty()).then(|| self.endpoints[i % self.endpoints.len()].clone())
    }

    /// Where endpoint `key` is plugged in.
    fn unplug(&mut self, key: &str) {
        let names: Vec<String> = self.f.topo.hosts.keys().cloned().collect();
        for name in names {
            self.f
                .topo
                .hosts
                .get_mut(&name)
                .unwrap()
                .endpoint_ports
                .remove(key);
        }
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Add { net, host } => {
                self.made += 1;
                let c = format!("c{}", self.made);
                let port = 10 + self.made as u32;
                let tenant = Model::tenant(*net);
                self.f.endpoint(
                    tenant,
                    &format!("n{net}"),
                    &c,
                    at(*host, port),
                    self.made as u8,
                );
                self.endpoints.push(format!("{tenant}:{c}"));
            }
            Op::Delete(i) => {
                if let Some(key) = self.pick(*i) {
                    self.f.snap.endpoints.remove(&key);
                    self.f.snap.endpoint_ids.remove(&key);
                    self.unplug(&key);
                    self.endpoints.retain(|k| *k != key);
                }
            }
            Op::Unplug(i) => {
                if let Some(key) = self.pick(*i) {
                    self.unplug(&key);
                }
            }
            Op::Move(i, host) => {
                if let Some(key) = self.pick(*i) {
                    self.unplug(&key);
                    let port = 200 + *i as u32 % 50;
                    let h = self.f.topo.hosts.get_mut(&format!("h{host}")).unwrap();
                    h.endpoint_ports.insert(key, port);
                }
            }
            Op::Rehost(i, host) => {
                if let Some(key) = self.pick(*i) {
                    let ep = self.f.snap.endpoints.get_mut(&key).unwrap();
                    ep.host = Some(format!("h{host}"));
                }
            }
            Op::Join(i) => {
                if let Some(key) = self.pick(*i) {
                    let ep = self.f.snap.endpoints.get_mut(&key).unwrap();
                    let group = if ep.tenant_name == "t1" { "g0" } else { "g2" };
                    ep.group_name = Some(group.into());
                }
            }
            Op::External(net) => {
                self.made += 1;
                let name = format!("x{}", self.made);
                self.f.external(
                    Model::tenant(*net),
                    &format!("n{net}"),
                    &name,
                    self.made as u8,
                );
            }
            Op::Members { net, g, members } => {
                let id = *net as u32 + 1;
                let group = Ipv4Addr::new(239, 1, 1, *g);
                let endpoints: BTreeSet<String> =
                    members.iter().filter_map(|i| self.pick(*i)).collect();
                let groups = self.f.topo.multicast.entry(id).or_default();
                if endpoints.is_empty() {
                    groups.remove(&group);
                } else {
                    groups.insert(
                        group,
                        GroupMembers {
                            index: u32::from(*g) + id * 4,
                            endpoints,
                        },
                    );
                }
            }
            Op::FlipArp => {
                let arp = &mut self.f.snap.global.arp_mode;
                *arp = match arp {
                    ArpMode::Proxy => ArpMode::Directed,
                    _ => ArpMode::Proxy,
                };
            }
        }
    }
}

/// Whether `op` may be compiled incrementally (every change but a global one).
fn incremental(op: &Op) -> bool {
    !matches!(op, Op::FlipArp)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_recompile_equals_a_full_compile(
        fabric in fabric(),
        routing in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let mut m = Model::new(fabric, routing);
        let mut inc = Incremental::default();
        let first = inc.compile(&m.f.snap, &m.f.topo, &BTreeSet::new());
        prop_assert!(first.full, "the first compile is a full one");
        let mut kept: BTreeMap<u64, SwitchState> = first.switches;
        let mut partial = 0;
        for op in &ops {
            m.apply(op);
            let out = inc.compile(&m.f.snap, &m.f.topo, &BTreeSet::new());
            if out.full {
                kept = out.switches;
            } else {
                partial += 1;
                prop_assert!(out.switches.len() <= usize::from(HOSTS));
                kept.extend(out.switches);
            }
            prop_assert_eq!(out.full, !incremental(op), "{:?}", op);
            let want = compile_all(&m.f.snap, &m.f.topo);
            prop_assert!(kept == want.switches, "switch states differ after {:?}", op);
            let tunnels: BTreeMap<_, _> = out.tunnels.into_iter().collect();
            prop_assert_eq!(&tunnels, &want.tunnels, "tunnels after {:?}", op);
            prop_assert_eq!(&out.multicast, &want.multicast, "multicast plan after {:?}", op);
        }
        let changes = ops.iter().filter(|o| incremental(o)).count();
        prop_assert_eq!(partial, changes);
    }
}

#[test]
fn an_endpoint_compiles_only_the_hosts_of_its_network() {
    let mut m = Model::new(Fabric::VxlanFlow, false);
    for (net, host) in [(0, 1), (0, 2), (1, 3), (2, 4)] {
        m.apply(&Op::Add { net, host });
    }
    let mut inc = Incremental::default();
    inc.compile(&m.f.snap, &m.f.topo, &BTreeSet::new());
    // A new endpoint of t1:n0 on h1: n0 is on h1 and h2, so those two are compiled.
    m.apply(&Op::Add { net: 0, host: 1 });
    let out = inc.compile(&m.f.snap, &m.f.topo, &BTreeSet::new());
    assert!(!out.full);
    assert_eq!(out.switches.keys().copied().collect::<Vec<_>>(), vec![1, 2]);
    // Nothing changed: nothing is compiled; a switch asked for is.
    let out = inc.compile(&m.f.snap, &m.f.topo, &BTreeSet::new());
    assert!(out.switches.is_empty());
    let out = inc.compile(&m.f.snap, &m.f.topo, &BTreeSet::from([4]));
    assert_eq!(out.switches.keys().copied().collect::<Vec<_>>(), vec![4]);
    assert_eq!(
        out.switches[&4],
        compile_all(&m.f.snap, &m.f.topo).switches[&4]
    );
}
