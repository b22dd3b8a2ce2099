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
    let mut wanted: BTreeMap<String, BTreeSet<Ipv4Addr>> = topo
        .hosts
        .iter()
        .filter(|(_, h)| h.vtep_ip.is_some())
        .map(|(name, _)| (name.clone(), BTreeSet::new()))
        .collect();
    // Routing mode: the hosts of each tenant's gateway networks, by tenant.
    let mut tenant_hosts: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    if routing {
        for net in nets.values().filter(|n| n.gateway.is_some()) {
            let hosts = tenant_hosts.entry(net.tenant.as_str()).or_default();
            hosts.extend(net.members.iter().map(|m| m.host.as_str()));
        }
    }
    for net in nets.values().filter(|n| n.encap == Encap::Vxlan) {
        let members: BTreeSet<&str> = net.members.iter().map(|m| m.host.as_str()).collect();
        // Who sends to this network's members: its own hosts, and in routing mode every host
        // of the tenant's gateway networks.
        let mut senders = members.clone();
        if let (true, Some(hosts)) = (net.gateway.is_some(), tenant_hosts.get(net.tenant.as_str()))
        {
            senders.extend(hosts);
        }
        for &a in &senders {
            let Some(own) = topo.hosts.get(a).and_then(|h| h.vtep_ip) else {
                continue;
            };
            for &b in &members {
                if let Some(peer) = topo.hosts.get(b).and_then(|h| h.vtep_ip) {
                    if peer != own {
                        wanted.entry(a.to_owned()).or_default().insert(peer);
                        // Tunnels carry both directions: the receiver gets one back.
                        if let Some(a_vtep) = topo.hosts.get(a).and_then(|h| h.vtep_ip) {
                            wanted.entry(b.to_owned()).or_default().insert(a_vtep);
                        }
                    }
                }
            }
        }
    }
    wanted
}
