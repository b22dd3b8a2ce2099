//! [`Compiler`]: [`super::compile`] with the memory of its last compile. The switch states
//! come from [`crate::compiler::Incremental`]; a switch whose state was not compiled again
//! keeps its fitted state of the last snapshot, the same `Arc` (its reconciler sees at once
//! that nothing changed for it); the agents' endpoint directives change only for the hosts
//! whose endpoints changed. A compile after a small change costs about what the change
//! touches, not the size of the intent.

use super::{effective_topology, Capabilities, Compiled, Directives, Fitted, Inputs};
use crate::compiler::Incremental;
use crate::desired::SwitchState;
use crate::intent::Snapshot;
use imbl::OrdMap;
use northbound_api::agent::BoundEndpoint;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Compiles [`Inputs`] again and again, each time only what changed since the last time.
#[derive(Default)]
pub struct Compiler {
    incremental: Incremental,
    last: Option<Last>,
}

/// What the last compile gave, and what it was compiled from.
struct Last {
    intent: Arc<Snapshot>,
    fixed: Arc<SwitchState>,
    switches: BTreeMap<u64, Fitted>,
    /// The endpoints intent binds to each host, by host name and endpoint key.
    bound: HashMap<String, BTreeMap<String, BoundEndpoint>>,
    endpoints: OrdMap<String, Vec<BoundEndpoint>>,
}

impl Compiler {
    /// What `inputs` compile to: the same as [`super::compile`] gives.
    pub fn compile(&mut self, inputs: &Inputs) -> Compiled {
        if self
            .last
            .as_ref()
            .is_some_and(|l| !Arc::ptr_eq(&l.fixed, &inputs.fixed) && l.fixed != inputs.fixed)
        {
            // Every switch holds the fixed part: compile everything again.
            *self = Compiler::default();
        }
        let topology = effective_topology(inputs);
        let caps = |dpid: &u64| {
            inputs
                .capabilities
                .get(dpid)
                .copied()
                .unwrap_or(Capabilities::OPEN_VSWITCH)
        };
        let hosts: BTreeSet<u64> = topology.hosts.values().map(|h| h.dpid).collect();
        // Host switches whose capabilities changed since they were fitted.
        let refit: BTreeSet<u64> = match &self.last {
            Some(last) => hosts
                .iter()
                .filter(|d| last.switches.get(d).map(|f| f.capabilities) != Some(caps(d)))
                .copied()
                .collect(),
            None => BTreeSet::new(),
        };
        let out = self.incremental.compile(&inputs.intent, &topology, &refit);
        let mut switches = match &self.last {
            Some(last) if !out.full => last.switches.clone(),
            _ => BTreeMap::new(),
        };
        for (dpid, own) in out.switches {
            switches.insert(dpid, Fitted::new(&inputs.fixed, own, caps(&dpid)));
        }
        // Connected switches of no host hold the fixed state.
        switches.retain(|d, _| hosts.contains(d) || inputs.capabilities.contains_key(d));
        for (dpid, c) in &inputs.capabilities {
            if !switches.get(dpid).is_some_and(|f| f.capabilities == *c) {
                switches.insert(
                    *dpid,
                    Fitted::new(&inputs.fixed, SwitchState::default(), *c),
                );
            }
        }
        let endpoints = self.endpoints(&inputs.intent);
        let uplinks = inputs
            .intent
            .hosts
            .iter()
            .map(|(name, h)| (name.clone(), h.uplinks.clone()))
            .collect();
        let compiled = Compiled {
            switches,
            directives: Directives {
                tunnels: out.tunnels,
                vxlan_port: inputs.intent.global.vxlan_port,
                uplinks,
                endpoints,
            },
            directives_version: 0,
            number: 0,
            inputs: Default::default(),
            multicast: Arc::new(out.multicast),
            intent: inputs.intent.clone(),
            topology: Arc::new(topology),
        };
        if let Some(last) = &mut self.last {
            last.intent = inputs.intent.clone();
            last.fixed = inputs.fixed.clone();
            last.switches = compiled.switches.clone();
        }
        compiled
    }

    /// The endpoints intent binds to each host: only the hosts of the endpoints that changed
    /// since the last compile are listed again. Leaves `self.last` set.
    fn endpoints(&mut self, intent: &Arc<Snapshot>) -> OrdMap<String, Vec<BoundEndpoint>> {
        // The first compile lists every endpoint: the change from an empty intent.
        let last = self.last.get_or_insert_with(|| Last {
            intent: Arc::default(),
            fixed: Arc::default(),
            switches: BTreeMap::new(),
            bound: HashMap::new(),
            endpoints: OrdMap::new(),
        });
        let mut hosts = BTreeSet::new();
        for d in last.intent.endpoints.diff(&intent.endpoints) {
            use imbl::ordmap::DiffItem;
            let (key, old, new) = match d {
                DiffItem::Add(k, e) => (k, None, Some(e)),
                DiffItem::Update {
                    old: (k, o),
                    new: (_, e),
                } => (k, Some(o), Some(e)),
                DiffItem::Remove(k, o) => (k, Some(o), None),
            };
            if let Some(host) = old.and_then(|o| o.host.as_ref()) {
                if let Some(eps) = last.bound.get_mut(host) {
                    eps.remove(key);
                }
                hosts.insert(host.clone());
            }
            if let Some((host, e)) = new.and_then(|e| Some((e.host.as_ref()?, e))) {
                last.bound
                    .entry(host.clone())
                    .or_default()
                    .insert(key.clone(), e.into());
                hosts.insert(host.clone());
            }
        }
        for host in hosts {
            match last.bound.get(&host).filter(|eps| !eps.is_empty()) {
                Some(eps) => {
                    last.endpoints.insert(host, eps.values().cloned().collect());
                }
                None => {
                    last.bound.remove(&host);
                    last.endpoints.remove(&host);
                }
            }
        }
        last.endpoints.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::compile;
    use crate::compiler::{HostPorts, TunnelMode};
    use crate::pipeline::base_pipeline;
    use northbound_api::addr::MacAddr;
    use northbound_api::model::{Endpoint, Host, Network};
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    /// One change of the inputs.
    #[derive(Debug, Clone)]
    enum Op {
        /// Endpoint `i` of network `net % 2` on host `host`, in intent and reported.
        Add { net: u8, host: u8 },
        /// Endpoint `i` (modulo the count) deleted from intent and from its host's report.
        Delete(usize),
        /// Switch `dpid` connected (or reconnected) with or without the Nicira extensions.
        Connect { dpid: u64, nicira: bool },
        /// Switch `dpid` disconnected.
        Disconnect(u64),
        /// A new fixed part (another `--flows` file: one more flow).
        Fixed,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..2u8, 1..=3u8).prop_map(|(net, host)| Op::Add { net, host }),
            1 => any::<usize>().prop_map(Op::Delete),
            // dpids 1..=3 are hosts' switches (3 is declared in intent, never reported), 7
            // belongs to no host.
            2 => (prop_oneof![Just(1u64), Just(3), Just(7)], any::<bool>())
                .prop_map(|(dpid, nicira)| Op::Connect { dpid, nicira }),
            1 => prop_oneof![Just(1u64), Just(7)].prop_map(Op::Disconnect),
            1 => Just(Op::Fixed),
        ]
    }

    /// Two VXLAN networks, hosts h1 and h2 reported, h3 declared in intent only.
    fn inputs() -> Inputs {
        let mut snap = Snapshot::default();
        for n in 0..2u32 {
            let key = format!("t:n{n}");
            snap.networks.insert(
                key.clone(),
                Network {
                    pkt_tag: Some(100 + n),
                    ..Network::vxlan("t", format!("n{n}"), "10.0.0.0/24".parse().unwrap())
                },
            );
            snap.network_ids.insert(key, n + 1);
        }
        snap.hosts.insert(
            "h3".into(),
            Host {
                name: "h3".into(),
                vtep_ip: Some(Ipv4Addr::new(10, 200, 0, 3)),
                uplinks: Vec::new(),
                dpid: Some(3),
            },
        );
        let mut reports = OrdMap::new();
        for n in 1..=2u8 {
            let mut h = HostPorts::new(u64::from(n));
            h.vtep_ip = Some(Ipv4Addr::new(10, 200, 0, n));
            h.tunnel = Some(TunnelMode::Flow { port: 100 });
            reports.insert(format!("h{n}"), h);
        }
        Inputs {
            intent: Arc::new(snap),
            reports,
            fixed: Arc::new(base_pipeline()),
            ..Inputs::default()
        }
    }

    /// Applies `op` to `inputs`; `made` counts the endpoints made so far.
    fn apply(inputs: &mut Inputs, made: &mut u32, op: &Op) {
        let mut snap = (*inputs.intent).clone();
        match op {
            Op::Add { net, host } => {
                *made += 1;
                let key = format!("t:c{made}");
                snap.endpoints.insert(
                    key.clone(),
                    Endpoint {
                        host: Some(format!("h{host}")),
                        mac_address: Some(MacAddr::from_u64(0x0200_0000_0000 | u64::from(*made))),
                        ip_address: Some(Ipv4Addr::new(10, 0, 0, *made as u8)),
                        ..Endpoint::named("t", format!("n{net}"), format!("c{made}"))
                    },
                );
                snap.endpoint_ids.insert(key.clone(), u64::from(*made));
                if let Some(h) = inputs.reports.get_mut(&format!("h{host}")) {
                    h.endpoint_ports.insert(key, 10 + *made);
                }
            }
            Op::Delete(i) => {
                let keys: Vec<String> = snap.endpoints.keys().cloned().collect();
                if !keys.is_empty() {
                    let key = &keys[i % keys.len()];
                    snap.endpoints.remove(key);
                    snap.endpoint_ids.remove(key);
                    for h in ["h1", "h2"] {
                        inputs
                            .reports
                            .get_mut(h)
                            .unwrap()
                            .endpoint_ports
                            .remove(key);
                    }
                }
            }
            Op::Connect { dpid, nicira } => {
                inputs
                    .capabilities
                    .insert(*dpid, Capabilities { nicira: *nicira });
            }
            Op::Disconnect(dpid) => {
                inputs.capabilities.remove(dpid);
            }
            Op::Fixed => {
                let mut fixed = (*inputs.fixed).clone();
                let n = fixed.flows.len() as u16;
                fixed.add_flow(0, 60_000 + n, &ofproto::Match::new(), 0, Vec::new());
                inputs.fixed = Arc::new(fixed);
            }
        }
        inputs.intent = Arc::new(snap);
    }

    /// What a compile gives that does not depend on the publisher.
    fn content(c: &Compiled) -> impl PartialEq + std::fmt::Debug + '_ {
        (
            &c.switches,
            &c.directives,
            &c.multicast,
            &c.topology,
            &c.intent,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn every_compile_equals_one_from_scratch(ops in proptest::collection::vec(op(), 1..30)) {
            let mut inputs = inputs();
            let mut compiler = Compiler::default();
            let mut made = 0;
            let first = compiler.compile(&inputs);
            let want = compile(&inputs);
            prop_assert_eq!(content(&first), content(&want));
            for op in &ops {
                apply(&mut inputs, &mut made, op);
                let c = compiler.compile(&inputs);
                let want = compile(&inputs);
                prop_assert_eq!(content(&c), content(&want), "after {:?}", op);
            }
        }
    }

    #[test]
    fn a_switch_the_change_does_not_reach_keeps_its_state() {
        let mut inputs = inputs();
        let mut made = 0;
        let mut compiler = Compiler::default();
        apply(&mut inputs, &mut made, &Op::Add { net: 0, host: 1 });
        apply(&mut inputs, &mut made, &Op::Add { net: 1, host: 2 });
        let before = compiler.compile(&inputs);
        // A second endpoint of n0 on h1: h2 has no endpoint of n0.
        apply(&mut inputs, &mut made, &Op::Add { net: 0, host: 1 });
        let after = compiler.compile(&inputs);
        let state = |c: &Compiled, d: u64| c.switches[&d].state.clone();
        assert!(
            Arc::ptr_eq(&state(&before, 2), &state(&after, 2)),
            "h2 kept"
        );
        assert!(
            !Arc::ptr_eq(&state(&before, 1), &state(&after, 1)),
            "h1 compiled"
        );
        assert_ne!(state(&before, 1), state(&after, 1));
        assert_eq!(after.directives.endpoints["h1"].len(), 2);
        assert_eq!(
            before.directives.endpoints["h2"],
            after.directives.endpoints["h2"]
        );
    }
}
