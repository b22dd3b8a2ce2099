//! The VXLAN tunnels each host needs: one to every other host that has an endpoint in a VXLAN
//! network in which this host has an endpoint too. netmaster hands the list to the host's agent
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
) -> BTreeMap<String, BTreeSet<Ipv4Addr>> {
    let mut wanted: BTreeMap<String, BTreeSet<Ipv4Addr>> = topo
        .hosts
        .iter()
        .filter(|(_, h)| h.vtep_ip.is_some())
        .map(|(name, _)| (name.clone(), BTreeSet::new()))
        .collect();
    for net in nets.values().filter(|n| n.encap == Encap::Vxlan) {
        let hosts: BTreeSet<&str> = net.members.iter().map(|m| m.host.as_str()).collect();
        for &a in &hosts {
            let Some(own) = topo.hosts.get(a).and_then(|h| h.vtep_ip) else {
                continue;
            };
            for &b in &hosts {
                if let Some(peer) = topo.hosts.get(b).and_then(|h| h.vtep_ip) {
                    if peer != own {
                        wanted.entry(a.to_owned()).or_default().insert(peer);
                    }
                }
            }
        }
    }
    wanted
}
