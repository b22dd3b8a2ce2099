//! The intent compiler: a pure function from intent ([`Snapshot`]) and observed topology
//! ([`Topology`]) to the state every switch should hold ([`SwitchState`]).
//!
//! Every switch gets the base pipeline ([`crate::pipeline::base_pipeline`]) plus, for each
//! network with an endpoint on its host, the flows of this first scope: L2 isolation per
//! network over VLAN and VXLAN.
//!
//! * Table 0 (`classify`): local endpoint port + its source MAC, tunnel port + VNI, or
//!   uplink + VLAN tag to the network (and source EPG) in the metadata.
//! * Table 10 (`arp`): in ARP proxy mode, an ARP responder: a request from a local endpoint
//!   for a known endpoint of its network is answered by the switch (the reply is built in
//!   place with Open vSwitch's `NXAST_REG_MOVE`, see [`ofproto::nx`]) and sent back to the
//!   requester, never flooded.
//! * Table 60 (`forward`): known MAC to a local port, a tunnel or the uplink; everything else
//!   of the network to its flood group, or, when it came from a tunnel or uplink, to the local
//!   ports only (split horizon).
//!
//! The result depends only on the inputs, and every id in it comes from a stable id of the
//! [`Snapshot`] (cookies, the metadata network field, group ids), so recompiling after a small
//! change and diffing ([`crate::reconcile::diff::diff`]) touches only what that change
//! affects. The flows, their priorities and one reason per flow kind are documented in
//! `docs/pipeline.md`.

mod arp;
pub(crate) mod classes;
mod classify;
pub mod dns;
pub mod fault;
mod forward;
pub mod gateway;
mod incremental;
pub mod multicast;
pub(crate) mod policy;
mod qos;
mod resolve;
pub mod topology;
mod tunnels;

#[cfg(test)]
mod tests;

pub use incremental::{Incremental, Recompiled};
pub use multicast::{MulticastPlan, NetPlan};
pub use topology::{GroupMembers, HostPorts, Topology, TunnelMode};

use crate::desired::SwitchState;
use crate::intent::Snapshot;
use crate::pipeline::base_pipeline;
use northbound_api::model::{ArpMode, FwdMode};
use resolve::Net;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Priorities of the compiled flows (all in the intent band `1..=49_999`).
pub mod priority {
    /// Table 0: a local endpoint, a tunnel + VNI or an uplink + VLAN classified.
    pub const CLASSIFY: u16 = 100;
    /// Table 10: an ARP request for a known endpoint, answered by the switch (ARP responder).
    pub const ARP_RESPONDER: u16 = 100;
    /// Table 10: an endpoint's ARP request for its own address (gratuitous ARP, duplicate
    /// address probe), dropped rather than answered.
    pub const ARP_SELF: u16 = 110;
    /// Table 10: IGMP from a local endpoint, to the snooping application.
    pub const IGMP: u16 = 120;
    /// Table 10: IGMP from a tunnel or uplink, dropped.
    pub const IGMP_FABRIC: u16 = 119;
    /// Table 60: IPv4 from a local endpoint to a multicast group with members.
    pub const MCAST_GROUP: u16 = 30;
    /// Table 60: IPv4 from a tunnel or uplink to a multicast group with members.
    pub const MCAST_GROUP_FABRIC: u16 = 29;
    /// Table 60 (`unregistered: drop`): link-local multicast from a local endpoint, flooded.
    pub const MCAST_LINK_LOCAL: u16 = 27;
    /// Table 60 (`unregistered: drop`): link-local multicast from the fabric, to local ports.
    pub const MCAST_LINK_LOCAL_FABRIC: u16 = 26;
    /// Table 60 (`unregistered: drop`): other multicast without members, dropped.
    pub const MCAST_UNREGISTERED: u16 = 25;
    /// Table 50 (routing mode): a packet to the gateway for a known endpoint of another
    /// network of the tenant.
    pub const ROUTE: u16 = 100;
    /// Table 40: the meter of a group with a QoS profile.
    pub const QOS: u16 = 100;
    /// Table 40: the meter and DSCP mark of a group's IPv4 packets.
    pub const QOS_DSCP: u16 = 110;
    /// Table 60: a known destination MAC.
    pub const KNOWN_MAC: u16 = 100;
    /// Table 60: broadcast, multicast and unknown unicast from a local endpoint.
    pub const FLOOD: u16 = 20;
    /// Table 60: broadcast and multicast from a tunnel or uplink (split horizon).
    pub const FLOOD_LOCAL: u16 = 10;
}

/// The state every switch in `topo` should hold, by datapath id.
///
/// Hosts are the ones the agents reported; endpoints are placed where an agent found their
/// port. Intent objects that cannot be compiled (see the `resolve` module: no stable id, no
/// packet tag, an unparsable MAC, a port on a host other than the intended one) are left out
/// rather than half compiled.
pub fn compile(snapshot: &Snapshot, topo: &Topology) -> BTreeMap<u64, SwitchState> {
    compile_all(snapshot, topo).switches
}

/// Everything compiled from one intent snapshot and topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// What every switch should hold, by datapath id ([`compile`]).
    pub switches: BTreeMap<u64, SwitchState>,
    /// The remote VTEPs each host needs a VXLAN tunnel to, by host name: every other host
    /// with an endpoint in a VXLAN network in which the host has an endpoint too. Every host
    /// with a VTEP is listed (with an empty set when it needs none).
    pub tunnels: BTreeMap<String, BTreeSet<Ipv4Addr>>,
    /// What the IGMP snooping application needs to know about the networks.
    pub multicast: MulticastPlan,
}

/// The switch states ([`compile`]) and the tunnels each host needs, from one resolution of
/// the intent (group classes, networks, policies and QoS profiles, each computed once).
/// [`Incremental`] gives the same after a change, compiling only what the change can reach.
pub fn compile_all(snapshot: &Snapshot, topo: &Topology) -> Compiled {
    let classes = classes::group_classes(snapshot);
    let nets = resolve::networks(snapshot, topo, &classes);
    let opts = Options::new(snapshot, &classes);
    Compiled {
        switches: compile_hosts(topo.hosts.keys(), topo, &nets, &opts),
        tunnels: tunnels::wanted(&nets, topo, opts.routing),
        multicast: multicast::plan(&nets, topo),
    }
}

/// The switch states of the hosts `names` of `topo`, by datapath id.
fn compile_hosts<'a>(
    names: impl Iterator<Item = &'a String>,
    topo: &Topology,
    nets: &BTreeMap<u32, Net>,
    opts: &Options,
) -> BTreeMap<u64, SwitchState> {
    let local = local_networks(nets);
    names
        .filter_map(|name| {
            let ports = topo.hosts.get(name)?;
            let host = Host { name, ports, topo };
            let local = local.get(name.as_str()).map_or(&[][..], Vec::as_slice);
            Some((ports.dpid, compile_host(&host, local, nets, opts)))
        })
        .collect()
}

/// What applies to every host alike.
struct Options {
    /// How ARP requests for known endpoints are handled.
    arp: ArpMode,
    /// The DNS address (`Global::dns_address`), if DNS is on.
    dns: Option<Ipv4Addr>,
    /// Routing mode.
    routing: bool,
    /// The rule flows of every tenant.
    policies: policy::Policies,
    /// The QoS profile of every group that has one.
    profiles: qos::Profiles,
}

impl Options {
    /// The options of `snapshot`, whose groups have the classes `classes`.
    fn new(snapshot: &Snapshot, classes: &BTreeMap<String, u16>) -> Options {
        Options {
            arp: snapshot.global.arp_mode,
            dns: snapshot.global.dns_address,
            routing: snapshot.global.fwd_mode == FwdMode::Routing,
            policies: policy::Policies::compile(snapshot, classes),
            profiles: qos::Profiles::compile(snapshot, classes),
        }
    }
}

/// The networks with a member on each host, by host name, in network-id order.
fn local_networks(nets: &BTreeMap<u32, Net>) -> BTreeMap<&str, Vec<&Net>> {
    let mut local: BTreeMap<&str, Vec<&Net>> = BTreeMap::new();
    for net in nets.values() {
        for host in &net.hosts {
            local.entry(host.as_str()).or_default().push(net);
        }
    }
    local
}

/// The state of one host's switch; `local` are the networks with a member on it, in
/// network-id order.
fn compile_host(
    host: &Host,
    local: &[&Net],
    nets: &BTreeMap<u32, Net>,
    opts: &Options,
) -> SwitchState {
    let mut s = base_pipeline();
    let mut tenants = std::collections::BTreeSet::new();
    for &net in local {
        classify::add(&mut s, host, net);
        match opts.arp {
            ArpMode::Proxy => arp::add(&mut s, host, net),
            ArpMode::Directed => arp::add_directed(&mut s, host, net),
            ArpMode::Flood => {}
        }
        opts.policies.add_epg_lookups(&mut s, host, net);
        opts.profiles.add(&mut s, host, net);
        forward::add(&mut s, host, net);
        multicast::add(&mut s, host, net, host.topo.multicast.get(&net.id));
        if opts.routing {
            let epgs = opts.policies.applies_to(&net.tenant);
            gateway::add(&mut s, host, net, nets, epgs);
        }
        if let Some(address) = opts.dns {
            dns::add(&mut s, net, address);
        }
        tenants.insert(net.tenant.as_str());
    }
    if !tenants.is_empty() {
        multicast::add_igmp(&mut s);
    }
    for tenant in tenants {
        opts.policies.add_rules(&mut s, tenant);
    }
    if fault::active(fault::Fault::CrossNetworkFlood) {
        let groups: Vec<u32> = local.iter().map(|n| forward::flood_group(n)).collect();
        fault::mix_flood_groups(&mut s, &groups);
    }
    if opts.routing {
        // The destinations of routed packets: the tenant's gateway networks without a local
        // endpoint.
        let tenants = gateway::tenants_on(host, nets);
        for net in nets.values().filter(|n| {
            n.gateway.is_some() && !host.has_member_of(n) && tenants.contains(n.tenant.as_str())
        }) {
            forward::known_macs(&mut s, host, net);
        }
    }
    s
}

/// The host a switch state is compiled for.
struct Host<'a> {
    /// Its name.
    name: &'a str,
    /// Its ports.
    ports: &'a HostPorts,
    /// Every host (for the remote VTEPs).
    topo: &'a Topology,
}

impl Host<'_> {
    /// Whether an endpoint of `net` is on this host (only then does it get flows for `net`).
    fn has_member_of(&self, net: &Net) -> bool {
        net.hosts.contains(self.name)
    }
}
