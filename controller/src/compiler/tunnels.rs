//! The VXLAN tunnels each host needs: one to every other host that has an endpoint in a VXLAN
//! network in which this host has an endpoint too, and in routing mode also to every host with
//! an endpoint in a VXLAN gateway network of a tenant this host has a gateway-network endpoint
//! of (routed packets go straight to the destination's host). netmaster hands the list to the host's agent
//! (the directives), which creates exactly these ports; once their OpenFlow port numbers are
//! reported, the forward stage uses them ([`super::topology::TunnelMode::PerPeer`]).

use super::resolve::Net;
use super::topology::Topology;
use northbound_api::model::Encap;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Remote VTEPs by host name, for every host of `topo` that has a VTEP (hosts that need no
/// tunnel get an empty set).
pub(super) fn wanted(
    nets: &BTreeMap<u32, Net>,
    topo: &Topology,
    routing: bool,
) -> BTreeMap<String, BTreeSet<Ipv4Addr>> {
    wanted_by(topo.hosts.keys(), nets, topo, routing)
}

/// [`wanted`] for the hosts `names` only.
pub(super) fn wanted_by<'a>(
    names: impl Iterator<Item = &'a String>,
    nets: &BTreeMap<u32, Net>,
    topo: &Topology,
    routing: bool,
) -> BTreeMap<String, BTreeSet<Ipv4Addr>> {
    let senders = Senders::new(nets, routing);
    // The VXLAN networks each host sends to or has a member of.
    let mut local: BTreeMap<&str, Vec<&Net>> = BTreeMap::new();
    for net in nets.values().filter(|n| n.encap == Encap::Vxlan) {
        let mut hosts = senders.of(net);
        hosts.extend(net.hosts.iter().map(String::as_str));
        for host in hosts {
            local.entry(host).or_default().push(net);
        }
    }
    names
        .filter_map(|name| {
            let nets = local.get(name.as_str()).map_or(&[][..], Vec::as_slice);
            Some((name.clone(), peers_of(name, nets, topo, &senders)?))
        })
        .collect()
}

/// Who sends to a VXLAN network's members: its own hosts, and in routing mode every host of
/// its tenant's gateway networks when it has a gateway.
struct Senders<'a> {
    /// Routing mode: the hosts of each tenant's gateway networks, by tenant.
    tenant_hosts: BTreeMap<&'a str, BTreeSet<&'a str>>,
}

impl<'a> Senders<'a> {
    /// The senders of every network of `nets`.
    fn new(nets: &'a BTreeMap<u32, Net>, routing: bool) -> Senders<'a> {
        let mut tenant_hosts: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        if routing {
            for net in nets.values().filter(|n| n.gateway.is_some()) {
                let hosts = tenant_hosts.entry(net.tenant.as_str()).or_default();
                hosts.extend(net.hosts.iter().map(String::as_str));
            }
        }
        Senders { tenant_hosts }
    }

    /// The hosts that send to `net`'s members besides its own.
    fn of(&self, net: &Net) -> BTreeSet<&'a str> {
        match (net.gateway, self.tenant_hosts.get(net.tenant.as_str())) {
            (Some(_), Some(hosts)) => hosts.clone(),
            _ => BTreeSet::new(),
        }
    }
}

/// The remote VTEPs host `name` needs a tunnel to, if it has a VTEP; `nets` holds at least
/// every VXLAN network it sends to or has a member of. Tunnels carry both directions: a host
/// that sends to a network's members needs a tunnel to each of them, and each of them one
/// back.
fn peers_of(
    name: &str,
    nets: &[&Net],
    topo: &Topology,
    senders: &Senders,
) -> Option<BTreeSet<Ipv4Addr>> {
    let own = topo.hosts.get(name)?.vtep_ip?;
    let vtep = |h: &str| topo.hosts.get(h).and_then(|h| h.vtep_ip);
    let mut peers = BTreeSet::new();
    for net in nets.iter().filter(|n| n.encap == Encap::Vxlan) {
        let others = senders.of(net);
        let member = net.hosts.contains(name);
        if member || others.contains(name) {
            peers.extend(net.hosts.iter().filter_map(|h| vtep(h)));
        }
        if member {
            peers.extend(others.iter().filter_map(|h| vtep(h)));
        }
    }
    peers.remove(&own);
    Some(peers)
}
