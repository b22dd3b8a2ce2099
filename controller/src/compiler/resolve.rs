//! Intent and topology joined into what the flow builders need: every network with its
//! encapsulation and the endpoints the agents found on some host, with parsed addresses.
//!
//! Objects that cannot be compiled are left out (never half compiled): a network without a
//! stable id or a packet tag, or whose tag does not fit its encapsulation (VLAN 1..=4094, VNI
//! up to 24 bits); an endpoint whose network is left out or that has no stable id, whose MAC
//! does not parse or is not a unicast address, or whose port was reported by a host other
//! than the one its intent names.
//!
//! External endpoints (a VM or server behind the uplinks, on a VLAN network) are members of
//! their network on no host ([`EXTERNAL`]).

use super::topology::Topology;
use crate::intent::Snapshot;
use northbound_api::model::{Encap, Endpoint, MulticastConfig};
use ofproto::MacAddr;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// A network that can be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Net {
    /// Stable network id: the metadata network field, the cookie id, the flood group index.
    pub id: u32,
    /// Its key, `tenant:network`.
    pub key: String,
    /// Its multicast settings.
    pub multicast: MulticastConfig,
    /// VLAN or VXLAN.
    pub encap: Encap,
    /// The VLAN id or the VNI.
    pub tag: u32,
    /// Its tenant.
    pub tenant: String,
    /// Its gateway address, if it has a valid one (routing mode routes between the networks
    /// of a tenant that have one).
    pub gateway: Option<Ipv4Addr>,
    /// Its endpoints that are plugged in, in host-name then endpoint-key order.
    pub members: Vec<Member>,
    /// The hosts of its members.
    pub hosts: BTreeSet<String>,
}

/// An endpoint plugged into a host's bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Member {
    /// Stable endpoint id (cookie id).
    pub id: u64,
    /// Its key, `tenant:container`.
    pub key: String,
    /// Endpoint-group class id ([`super::classes`]), 0 for none.
    pub epg: u16,
    /// MAC address.
    pub mac: MacAddr,
    /// IPv4 address, if it has a valid one.
    pub ip: Option<Ipv4Addr>,
    /// IPv6 address, if it has a valid one.
    pub ipv6: Option<std::net::Ipv6Addr>,
    /// Name of the host it is on ([`EXTERNAL`] for an external endpoint).
    pub host: String,
    /// Its OpenFlow port on that host.
    pub port: u32,
}

/// Every compilable network by stable id.
/// Endpoint-group classes come from `classes` ([`super::classes::group_classes`]).
pub(super) fn networks(
    snap: &Snapshot,
    topo: &Topology,
    classes: &BTreeMap<String, u16>,
) -> BTreeMap<u32, Net> {
    let mut by_key: BTreeMap<&str, Net> = snap
        .networks
        .keys()
        .filter_map(|key| Some((key.as_str(), network(snap, key)?)))
        .collect();
    for (host, ports) in &topo.hosts {
        for (key, &port) in &ports.endpoint_ports {
            let Some(ep) = snap.endpoints.get(key) else {
                continue;
            };
            let net_key = format!("{}:{}", ep.tenant_name, ep.network_name);
            if let (Some(net), Some(m)) = (
                by_key.get_mut(net_key.as_str()),
                member(snap, classes, key, ep, host, port),
            ) {
                net.members.push(m);
            }
        }
    }
    // External endpoints (VLAN networks only): behind every host's uplink.
    for (key, ep) in snap.endpoints.iter().filter(|(_, e)| e.external) {
        let net_key = format!("{}:{}", ep.tenant_name, ep.network_name);
        if let (Some(net), Some(m)) = (
            by_key.get_mut(net_key.as_str()),
            member(snap, classes, key, ep, EXTERNAL, 0),
        ) {
            if net.encap == Encap::Vlan {
                net.members.push(m);
            }
        }
    }
    by_key
        .into_values()
        .map(|mut n| {
            n.hosts = n.members.iter().map(|m| m.host.clone()).collect();
            (n.id, n)
        })
        .collect()
}

/// Network `key` without its members, if it can be compiled.
pub(super) fn network(snap: &Snapshot, key: &str) -> Option<Net> {
    let n = snap.networks.get(key)?;
    let id = *snap.network_ids.get(key)?;
    let tag = n.pkt_tag?;
    let tag_ok = match n.encap {
        Encap::Vlan => (1..=4094).contains(&tag),
        Encap::Vxlan => tag <= 0xff_ffff,
    };
    // Group ids: flood groups use the network id as index, multicast groups the upper half
    // of the index range.
    let id_ok = (1..crate::cookie::MULTICAST_INDEX_BASE).contains(&id);
    (tag_ok && id_ok).then(|| Net {
        id,
        key: key.to_owned(),
        multicast: n.multicast.clone(),
        encap: n.encap,
        tag,
        tenant: n.tenant_name.clone(),
        gateway: n.gateway,
        members: Vec::new(),
        hosts: BTreeSet::new(),
    })
}

/// Network `net` with its members: `endpoints` are the keys of its endpoints in intent, in key
/// order, and `placed` says where the agents found an endpoint (port by host name). The same
/// members, in the same order, as [`networks`] gives it.
pub(super) fn with_members<'a>(
    mut net: Net,
    snap: &Snapshot,
    classes: &BTreeMap<String, u16>,
    endpoints: impl Iterator<Item = &'a String> + Clone,
    placed: impl Fn(&str) -> Option<&'a BTreeMap<String, u32>>,
) -> Net {
    let mut hosted = Vec::new();
    for key in endpoints.clone() {
        let (Some(ep), Some(ports)) = (snap.endpoints.get(key), placed(key)) else {
            continue;
        };
        hosted.extend(
            ports
                .iter()
                .filter_map(|(host, &port)| member(snap, classes, key, ep, host, port)),
        );
    }
    hosted.sort_by(|a, b| (&a.host, &a.key).cmp(&(&b.host, &b.key)));
    net.members = hosted;
    if net.encap == Encap::Vlan {
        for key in endpoints {
            if let Some(m) = snap
                .endpoints
                .get(key)
                .filter(|e| e.external)
                .and_then(|ep| member(snap, classes, key, ep, EXTERNAL, 0))
            {
                net.members.push(m);
            }
        }
    }
    net.hosts = net.members.iter().map(|m| m.host.clone()).collect();
    net
}

/// The host name of an external endpoint's member: no host is called that (host names are
/// never empty), so it is remote everywhere and reached through the uplink.
pub(super) const EXTERNAL: &str = "";

/// The member for endpoint `key` found on `host` at `port`, if it can be compiled.
fn member(
    snap: &Snapshot,
    classes: &BTreeMap<String, u16>,
    key: &str,
    ep: &Endpoint,
    host: &str,
    port: u32,
) -> Option<Member> {
    if ep.host.as_deref().is_some_and(|h| h != host) {
        return None;
    }
    let mac: MacAddr = ep.mac_address?;
    if mac.0[0] & 1 != 0 || mac.0 == [0; 6] {
        return None;
    }
    let ip = ep.ip_address;
    let ipv6 = ep.ipv6_address;
    let epg = ep
        .group_name
        .as_ref()
        .and_then(|g| classes.get(&format!("{}:{g}", ep.tenant_name)))
        .copied()
        .unwrap_or(0);
    let id = *snap.endpoint_ids.get(key)?;
    if id > crate::cookie::ID_MAX {
        return None;
    }
    Some(Member {
        id,
        key: key.to_owned(),
        epg,
        mac,
        ip,
        ipv6,
        host: host.to_owned(),
        port,
    })
}
