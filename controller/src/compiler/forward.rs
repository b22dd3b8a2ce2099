//! Table 60, L2 forward: known MACs of a network to their port, tunnel or uplink; everything
//! else to the network's flood group, or, for frames from a tunnel or uplink, to the local
//! ports only (split horizon).

use super::classify::vlan_vid;
use super::priority::{FLOOD, FLOOD_LOCAL, KNOWN_MAC};
use super::resolve::{Member, Net};
use super::Host;
use crate::cookie::{owned_id, Cookie, OwnerKind};
use crate::desired::{GroupEntry, SwitchState};
use crate::pipeline::metadata::{Meta, FROM_TUNNEL, FROM_UPLINK};
use crate::pipeline::Table;
use northbound_api::model::Encap;
use ofproto::msg::{Bucket, GroupType};
use ofproto::nx::NxField;
use ofproto::{Action, Instruction, MacAddr, Masked, Match, OxmField};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Ethertype of an 802.1Q tag.
const ETH_TYPE_VLAN: u16 = 0x8100;
/// The group bit of a MAC address: broadcast and multicast destinations.
const GROUP_BIT: Masked<MacAddr> = Masked {
    value: MacAddr([0x01, 0, 0, 0, 0, 0]),
    mask: Some(MacAddr([0x01, 0, 0, 0, 0, 0])),
};

/// The flood group id of a network: our id range, indexed by the stable network id.
pub(super) fn flood_group(net: &Net) -> u32 {
    owned_id(net.id)
}

/// The forwarding flows and the flood group of `net` on `host`.
pub(super) fn add(s: &mut SwitchState, host: &Host, net: &Net) {
    let table = Table::L2Forward.id();
    known_macs(s, host, net);
    let mut local_ports: Vec<u32> = net
        .members
        .iter()
        .filter(|m| m.host == host.name)
        .map(|m| m.port)
        .collect();
    local_ports.sort_unstable();
    local_ports.dedup();
    let locals: Vec<Action> = local_ports.iter().map(|p| Action::output(*p)).collect();
    let mut buckets: Vec<Bucket> = locals
        .iter()
        .map(|a| Bucket::new(vec![a.clone()]))
        .collect();
    buckets.extend(remote_buckets(host, net));
    let group = flood_group(net);
    s.groups.insert(
        group,
        GroupEntry {
            group_type: GroupType::All,
            buckets,
        },
    );
    let cookie = Cookie::new(OwnerKind::Network, net.id.into());
    let flood = Match::new().with(from_local(net).to_match());
    s.add_flow(
        table,
        FLOOD,
        &flood,
        cookie,
        vec![apply(vec![Action::Group(group)])],
    );
    let split_horizon = Match::new()
        .with(Meta::network(net.id).to_match())
        .with(OxmField::EthDst(GROUP_BIT));
    s.add_flow(
        table,
        FLOOD_LOCAL,
        &split_horizon,
        cookie,
        vec![apply(locals)],
    );
}

/// The known-MAC flows of `net` on `host`: every member it can reach, to its port, tunnel
/// or uplink. (Routing mode also gives a host these flows for a network of the tenant that
/// has no endpoint on the host, as the destination of routed packets.)
pub(super) fn known_macs(s: &mut SwitchState, host: &Host, net: &Net) {
    let table = Table::L2Forward.id();
    for m in &net.members {
        let Some(actions) = route(host, net, m) else {
            continue;
        };
        // A frame from a tunnel or uplink is never sent back into the overlay or the fabric.
        let meta = if m.host == host.name {
            Meta::network(net.id)
        } else {
            from_local(net)
        };
        let r#match = Match::new()
            .with(meta.to_match())
            .with(OxmField::EthDst(Masked::exact(m.mac)));
        let cookie = Cookie::new(OwnerKind::Endpoint, m.id);
        s.add_flow(table, KNOWN_MAC, &r#match, cookie, vec![apply(actions)]);
    }
}

/// The actions that deliver a frame for member `m` from `host`: its port when it is local,
/// else the tunnel to its host (VXLAN) or the first uplink (VLAN); `None` when `host` has no
/// way to reach it.
pub(super) fn route(host: &Host, net: &Net, m: &Member) -> Option<Vec<Action>> {
    if m.host == host.name {
        return Some(vec![Action::output(m.port)]);
    }
    match net.encap {
        Encap::Vxlan => {
            let vtep = host.topo.hosts.get(&m.host)?.vtep_ip?;
            tunnel_actions(host, net, vtep)
        }
        Encap::Vlan => uplink_actions(host, net),
    }
}

/// Metadata of a frame of `net` that came from a local endpoint (neither flag set).
pub(super) fn from_local(net: &Net) -> Meta {
    Meta::network(net.id)
        .and(Meta::flag(FROM_TUNNEL, false))
        .and(Meta::flag(FROM_UPLINK, false))
}

/// The flood buckets beyond the local ports: one per remote VTEP with a member of `net`
/// (VXLAN, in address order), or the first uplink (VLAN).
fn remote_buckets(host: &Host, net: &Net) -> Vec<Bucket> {
    match net.encap {
        Encap::Vxlan => {
            let vteps: BTreeMap<Ipv4Addr, ()> = net
                .members
                .iter()
                .filter(|m| m.host != host.name)
                .filter_map(|m| host.topo.hosts.get(&m.host)?.vtep_ip)
                .filter(|vtep| Some(*vtep) != host.ports.vtep_ip)
                .map(|v| (v, ()))
                .collect();
            vteps
                .into_keys()
                .filter_map(|vtep| tunnel_actions(host, net, vtep))
                .map(Bucket::new)
                .collect()
        }
        Encap::Vlan => uplink_actions(host, net)
            .map(Bucket::new)
            .into_iter()
            .collect(),
    }
}

/// Into the VXLAN tunnel to `vtep` with the network's VNI.
pub(super) fn tunnel_actions(host: &Host, net: &Net, vtep: Ipv4Addr) -> Option<Vec<Action>> {
    let (port, set_dst) = host.ports.tunnel_port_to(vtep)?;
    let mut actions = vec![Action::SetField(OxmField::TunnelId(Masked::exact(
        u64::from(net.tag),
    )))];
    if set_dst {
        actions.push(NxField::TunDst(Masked::exact(vtep)).into());
    }
    actions.push(Action::output(port));
    Some(actions)
}

/// Out of the first uplink with the network's VLAN tag.
pub(super) fn uplink_actions(host: &Host, net: &Net) -> Option<Vec<Action>> {
    let port = *host.ports.uplinks.first()?;
    Some(vec![
        Action::PushVlan(ETH_TYPE_VLAN),
        Action::SetField(OxmField::VlanVid(Masked::exact(vlan_vid(net.tag)))),
        Action::output(port),
    ])
}

pub(super) fn apply(actions: Vec<Action>) -> Instruction {
    Instruction::ApplyActions(actions)
}
