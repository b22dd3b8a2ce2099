//! Recompiling after a change: [`Incremental`] remembers what its last compile read and
//! resolved, finds what changed since (the intent snapshot and the topology are persistent
//! maps, so the unchanged parts are skipped without being visited) and compiles again only the
//! switches of the hosts the change can reach. The result is the one [`super::compile_all`]
//! gives for the same inputs (checked by the tests against it, change after change).
//!
//! Which changes are incremental, and what they reach:
//! * an endpoint added, removed or changed in intent, or plugged in, moved or unplugged by an
//!   agent: its network (before and after), and the hosts with a member of it (before and
//!   after);
//! * a network's multicast memberships: that network and its hosts;
//! * in routing mode, a network reaches every network of its tenant (gateway flows route to
//!   the tenant's other networks).
//!
//! Everything else (global settings, tenants, networks, groups, policies, rules, QoS
//! profiles, a host coming or going or changing its dpid, VTEP, uplinks or tunnels) compiles
//! every switch again, as the first compile does. These change rarely; endpoints come and go
//! all the time.

use super::resolve::{self, Net};
use super::{classes, compile_hosts, multicast, tunnels, MulticastPlan, Options, Topology};
use crate::desired::SwitchState;
use crate::intent::Snapshot;
use imbl::ordmap::DiffItem;
use imbl::OrdMap;
use northbound_api::model::Endpoint;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::Ipv4Addr;

/// The compiler, with the memory of its last compile.
#[derive(Default)]
pub struct Incremental {
    last: Option<Last>,
}

/// What one compile gives.
#[derive(Debug)]
pub struct Recompiled {
    /// The switch states compiled, by datapath id: every host's when `full`, else those of
    /// the hosts the change can reach. Every other host's switch keeps the state it had.
    pub switches: BTreeMap<u64, SwitchState>,
    /// Whether every host's switch was compiled.
    pub full: bool,
    /// The remote VTEPs each host needs a tunnel to ([`super::Compiled::tunnels`]).
    pub tunnels: OrdMap<String, BTreeSet<Ipv4Addr>>,
    /// What the IGMP snooping application needs to know about the networks.
    pub multicast: MulticastPlan,
}

/// What the last compile read and resolved.
struct Last {
    snap: Snapshot,
    topo: Topology,
    classes: BTreeMap<String, u16>,
    opts: Options,
    /// The compilable networks, by id.
    nets: BTreeMap<u32, Net>,
    /// The ids of the compilable networks, by key.
    ids: HashMap<String, u32>,
    /// The keys of the endpoints of each network in intent, by network key.
    endpoints_of: HashMap<String, BTreeSet<String>>,
    /// Where the agents found each endpoint: its port by host name, by endpoint key.
    placements: HashMap<String, BTreeMap<String, u32>>,
    tunnels: OrdMap<String, BTreeSet<Ipv4Addr>>,
    multicast: MulticastPlan,
}

/// What changed since the last compile, when it can be compiled incrementally.
#[derive(Default)]
struct Changes {
    /// Endpoints whose intent or id changed (added and removed included).
    endpoints: BTreeSet<String>,
    /// Endpoints plugged in (`Some(port)`), moved or unplugged (`None`): endpoint, host, port.
    placed: Vec<(String, String, Option<u32>)>,
    /// Networks whose multicast memberships changed, by id.
    multicast: BTreeSet<u32>,
}

impl Incremental {
    /// What `snapshot` and `topo` compile to; only the switches the changes since the last
    /// call can reach are compiled again, and those of the hosts whose dpid is in `also`.
    pub fn compile(
        &mut self,
        snapshot: &Snapshot,
        topo: &Topology,
        also: &BTreeSet<u64>,
    ) -> Recompiled {
        if let Some(last) = &mut self.last {
            if let Some(changes) = Changes::between(last, snapshot, topo) {
                return last.apply(changes, snapshot, topo, also);
            }
        }
        let (last, out) = Last::full(snapshot, topo);
        self.last = Some(last);
        out
    }
}

/// Whether two persistent maps differ (what they share is not visited).
fn differs<K: Ord + Clone, V: PartialEq + Clone>(a: &OrdMap<K, V>, b: &OrdMap<K, V>) -> bool {
    a.diff(b).next().is_some()
}

/// An endpoint's network key.
fn net_key(ep: &Endpoint) -> String {
    format!("{}:{}", ep.tenant_name, ep.network_name)
}

impl Changes {
    /// The changes from `last` to `snap` and `topo`; `None` when they need a full compile.
    fn between(last: &Last, snap: &Snapshot, topo: &Topology) -> Option<Changes> {
        let old = &last.snap;
        if old.global != snap.global
            || differs(&old.tenants, &snap.tenants)
            || differs(&old.networks, &snap.networks)
            || differs(&old.network_ids, &snap.network_ids)
            || differs(&old.groups, &snap.groups)
            || differs(&old.group_ids, &snap.group_ids)
            || differs(&old.policies, &snap.policies)
            || differs(&old.rules, &snap.rules)
            || differs(&old.profiles, &snap.profiles)
        {
            return None;
        }
        let mut changes = Changes::default();
        for d in old.endpoints.diff(&snap.endpoints) {
            changes.endpoints.insert(diff_key(&d).clone());
        }
        for d in old.endpoint_ids.diff(&snap.endpoint_ids) {
            changes.endpoints.insert(diff_key(&d).clone());
        }
        for d in last.topo.hosts.diff(&topo.hosts) {
            let DiffItem::Update {
                old: (host, was),
                new: (_, is),
            } = d
            else {
                return None; // a host came or went
            };
            if (was.dpid, was.vtep_ip, &was.uplinks, &was.tunnel)
                != (is.dpid, is.vtep_ip, &is.uplinks, &is.tunnel)
            {
                return None;
            }
            for (ep, port) in &was.endpoint_ports {
                if !is.endpoint_ports.contains_key(ep) {
                    changes.placed.push((ep.clone(), host.clone(), None));
                } else if is.endpoint_ports[ep] != *port {
                    changes
                        .placed
                        .push((ep.clone(), host.clone(), Some(is.endpoint_ports[ep])));
                }
            }
            for (ep, port) in &is.endpoint_ports {
                if !was.endpoint_ports.contains_key(ep) {
                    changes.placed.push((ep.clone(), host.clone(), Some(*port)));
                }
            }
        }
        let ids: BTreeSet<u32> = last
            .topo
            .multicast
            .keys()
            .chain(topo.multicast.keys())
            .copied()
            .collect();
        changes.multicast = ids
            .into_iter()
            .filter(|id| last.topo.multicast.get(id) != topo.multicast.get(id))
            .collect();
        Some(changes)
    }
}

/// The key of an entry of a persistent map's diff.
fn diff_key<'a, K, V>(d: &DiffItem<'a, 'a, K, V>) -> &'a K {
    match d {
        DiffItem::Add(k, _) | DiffItem::Remove(k, _) => k,
        DiffItem::Update { new: (k, _), .. } => k,
    }
}

impl Last {
    /// Everything compiled from scratch.
    fn full(snap: &Snapshot, topo: &Topology) -> (Last, Recompiled) {
        let classes = classes::group_classes(snap);
        let nets = resolve::networks(snap, topo, &classes);
        let opts = Options::new(snap, &classes);
        let out = Recompiled {
            switches: compile_hosts(topo.hosts.keys(), topo, &nets, &opts),
            full: true,
            tunnels: tunnels::wanted(&nets, topo, opts.routing)
                .into_iter()
                .collect(),
            multicast: multicast::plan(&nets, topo),
        };
        let mut endpoints_of: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (key, ep) in &snap.endpoints {
            endpoints_of
                .entry(net_key(ep))
                .or_default()
                .insert(key.clone());
        }
        let mut placements: HashMap<String, BTreeMap<String, u32>> = HashMap::new();
        for (ep, host, port) in topo.placements() {
            placements
                .entry(ep.clone())
                .or_default()
                .insert(host.clone(), port);
        }
        let last = Last {
            snap: snap.clone(),
            topo: topo.clone(),
            classes,
            opts,
            ids: nets.values().map(|n| (n.key.clone(), n.id)).collect(),
            nets,
            endpoints_of,
            placements,
            tunnels: out.tunnels.clone(),
            multicast: out.multicast.clone(),
        };
        (last, out)
    }

    /// Applies `changes` (from the last compile to `snap` and `topo`) and compiles the hosts
    /// they reach, and those of `also`.
    fn apply(
        &mut self,
        changes: Changes,
        snap: &Snapshot,
        topo: &Topology,
        also: &BTreeSet<u64>,
    ) -> Recompiled {
        let mut dirty: BTreeSet<String> = BTreeSet::new();
        for key in &changes.endpoints {
            if let Some(ep) = self.snap.endpoints.get(key) {
                let net = net_key(ep);
                if let Some(eps) = self.endpoints_of.get_mut(&net) {
                    eps.remove(key);
                }
                dirty.insert(net);
            }
            if let Some(ep) = snap.endpoints.get(key) {
                let net = net_key(ep);
                self.endpoints_of
                    .entry(net.clone())
                    .or_default()
                    .insert(key.clone());
                dirty.insert(net);
            }
        }
        for (ep, host, port) in changes.placed {
            if let Some(e) = snap.endpoints.get(&ep).or(self.snap.endpoints.get(&ep)) {
                dirty.insert(net_key(e));
            }
            match port {
                Some(port) => {
                    self.placements.entry(ep).or_default().insert(host, port);
                }
                None => {
                    if let Some(hosts) = self.placements.get_mut(&ep) {
                        hosts.remove(&host);
                        if hosts.is_empty() {
                            self.placements.remove(&ep);
                        }
                    }
                }
            }
        }
        dirty.extend(
            changes
                .multicast
                .iter()
                .filter_map(|id| Some(self.nets.get(id)?.key.clone())),
        );
        if self.opts.routing {
            // Gateway flows route to every network of the tenant.
            let tenants: BTreeSet<&str> = dirty
                .iter()
                .filter_map(|k| Some(self.nets.get(self.ids.get(k)?)?.tenant.as_str()))
                .collect();
            let more: Vec<String> = self
                .nets
                .values()
                .filter(|n| tenants.contains(n.tenant.as_str()))
                .map(|n| n.key.clone())
                .collect();
            dirty.extend(more);
        }
        let mut hosts: BTreeSet<String> = BTreeSet::new();
        for key in &dirty {
            let Some(&id) = self.ids.get(key) else {
                continue; // not a compilable network
            };
            if let Some(old) = self.nets.remove(&id) {
                hosts.extend(old.hosts);
            }
            self.multicast.remove(id);
            let Some(net) = resolve::network(snap, key) else {
                continue;
            };
            let eps = self.endpoints_of.get(key).into_iter().flatten();
            let net =
                resolve::with_members(net, snap, &self.classes, eps, |k| self.placements.get(k));
            hosts.extend(net.hosts.iter().cloned());
            self.multicast.insert(&net, topo);
            self.nets.insert(id, net);
        }
        hosts.extend(
            topo.hosts
                .iter()
                .filter(|(_, h)| also.contains(&h.dpid))
                .map(|(name, _)| name.clone()),
        );
        let switches = compile_hosts(hosts.iter(), topo, &self.nets, &self.opts);
        let tunnels = tunnels::wanted_by(hosts.iter(), &self.nets, topo, self.opts.routing);
        self.tunnels.extend(tunnels);
        self.snap = snap.clone();
        self.topo = topo.clone();
        Recompiled {
            switches,
            full: false,
            tunnels: self.tunnels.clone(),
            multicast: self.multicast.clone(),
        }
    }
}
