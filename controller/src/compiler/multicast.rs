//! IPv4 multicast with IGMP snooping: the packet-in flows that bring endpoints' IGMP to
//! netmaster's snooping application, and per (network, group) with members an OpenFlow group
//! of type ALL whose buckets are the local member ports plus one tunnel bucket per remote host
//! with members (head-end replication; on a VLAN network the uplink, which the physical switch
//! floods to the other hosts).
//!
//! * Table 10: IGMP from a local endpoint goes to the controller through a packets-per-second
//!   meter (a flooding container cannot overload netmaster) and nowhere else; IGMP from a
//!   tunnel or uplink is dropped (reports are never forwarded: netmaster is the only one that
//!   needs them).
//! * Table 60: IPv4 to a group with members, from a local endpoint, to the group's OpenFlow
//!   group; from a tunnel or uplink, to the local members only (split horizon). In
//!   `unregistered: drop` networks other multicast is dropped, except the link-local control
//!   block 224.0.0.0/24, which floods like broadcast; in `flood` networks it floods.
//!
//! The compiler also gives the snooping application its [`MulticastPlan`]: which port of which
//! switch is which endpoint of which network, and where the queriers send their queries.

use super::forward::{apply, flood_group, from_local, tunnel_actions, uplink_actions};
use super::priority::{
    IGMP, IGMP_FABRIC, MCAST_GROUP, MCAST_GROUP_FABRIC, MCAST_LINK_LOCAL, MCAST_LINK_LOCAL_FABRIC,
    MCAST_UNREGISTERED,
};
use super::resolve::Net;
use super::topology::GroupMembers;
use super::{Host, Topology};
use crate::cookie::{owned_id, Cookie, OwnerKind, MULTICAST_INDEX_BASE};
use crate::desired::{GroupEntry, MeterEntry, SwitchState};
use crate::multicast::igmp::IP_PROTO_IGMP;
use crate::pipeline::metadata::{Meta, FROM_TUNNEL, FROM_UPLINK};
use crate::pipeline::Table;
use northbound_api::model::{Encap, MulticastConfig, Unregistered};
use ofproto::msg::{meter_flags, Bucket, GroupType, MeterBand};
use ofproto::{Action, Instruction, MacAddr, Masked, Match, OxmField};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Ethertype of IPv4.
const ETH_TYPE_IPV4: u16 = 0x0800;
/// The cookie id of the IGMP packet-in flows ([`OwnerKind::PacketIn`]).
pub const IGMP_APP: u64 = 1;
/// The source MAC of netmaster's IGMP queries.
pub const QUERIER_MAC: MacAddr = MacAddr([0x02, 0x4e, 0x50, 0xff, 0xff, 0xfd]);
/// Packets per second one switch may send to netmaster's packet-in applications, IGMP and
/// gateway echo requests together (beyond it they are dropped).
pub const PACKET_IN_PPS: u32 = 500;

/// The meter of every packet-in flow (IGMP, gateway echo), one per switch.
pub fn packet_in_meter() -> u32 {
    owned_id(MULTICAST_INDEX_BASE)
}

/// The instructions of every packet-in flow: through the packet-in meter to netmaster.
pub fn to_controller() -> Vec<Instruction> {
    vec![
        Instruction::Meter(packet_in_meter()),
        apply(vec![Action::output(ofproto::action::port_no::CONTROLLER)]),
    ]
}

/// The OpenFlow group id of multicast group `index`.
pub fn group_id(index: u32) -> u32 {
    owned_id(MULTICAST_INDEX_BASE + index)
}

/// What the snooping application needs to know about the compiled networks (persistent maps:
/// a recompile changes the networks a change touches and shares the rest).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MulticastPlan {
    /// Every compiled network, by network id.
    pub networks: imbl::OrdMap<u32, NetPlan>,
    /// Which local endpoint of which network each switch port is: (dpid, OpenFlow port) to
    /// (network id, endpoint key).
    pub ports: imbl::OrdMap<(u64, u32), (u32, String)>,
}

impl MulticastPlan {
    /// Network `id`'s part taken out.
    pub(super) fn remove(&mut self, id: u32) {
        if let Some(np) = self.networks.remove(&id) {
            for (dpid, ports) in &np.ports {
                for port in ports {
                    if self
                        .ports
                        .get(&(*dpid, *port))
                        .is_some_and(|(n, _)| *n == id)
                    {
                        self.ports.remove(&(*dpid, *port));
                    }
                }
            }
        }
    }

    /// `net`'s part put in.
    pub(super) fn insert(&mut self, net: &Net, topo: &Topology) {
        let mut np = NetPlan {
            key: net.key.clone(),
            config: net.multicast.clone(),
            querier_ip: net.gateway.unwrap_or(Ipv4Addr::UNSPECIFIED),
            ports: BTreeMap::new(),
            hosts: BTreeMap::new(),
        };
        for m in &net.members {
            let Some(h) = topo.hosts.get(&m.host) else {
                continue; // external endpoints
            };
            np.ports.entry(h.dpid).or_default().push(m.port);
            np.hosts.insert(m.key.clone(), m.host.clone());
            self.ports.insert((h.dpid, m.port), (net.id, m.key.clone()));
        }
        self.networks.insert(net.id, np);
    }
}

/// One network, as the snooping application sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetPlan {
    /// `tenant:network`.
    pub key: String,
    /// Its multicast settings.
    pub config: MulticastConfig,
    /// Source address of its queries: its gateway, else 0.0.0.0.
    pub querier_ip: Ipv4Addr,
    /// The OpenFlow ports of its endpoints by switch (dpid), where its queries go.
    pub ports: BTreeMap<u64, Vec<u32>>,
    /// The host of each of its endpoints, by endpoint key.
    pub hosts: BTreeMap<String, String>,
}

/// The plan for every network in `nets`.
pub(super) fn plan(nets: &BTreeMap<u32, Net>, topo: &Topology) -> MulticastPlan {
    let mut plan = MulticastPlan::default();
    for net in nets.values() {
        plan.insert(net, topo);
    }
    plan
}

/// The IGMP flows of table 10 and the switch's packet-in meter, which the gateway echo flows
/// share (every switch with a network).
pub(super) fn add_igmp(s: &mut SwitchState) {
    let cookie = Cookie::new(OwnerKind::PacketIn, IGMP_APP);
    let igmp = Match::new()
        .with(OxmField::EthType(ETH_TYPE_IPV4))
        .with(OxmField::IpProto(IP_PROTO_IGMP));
    let local = igmp.clone().with(
        Meta::flag(FROM_TUNNEL, false)
            .and(Meta::flag(FROM_UPLINK, false))
            .to_match(),
    );
    s.meters.insert(
        packet_in_meter(),
        MeterEntry {
            flags: meter_flags::PKTPS | meter_flags::BURST | meter_flags::STATS,
            bands: vec![MeterBand::Drop {
                rate: PACKET_IN_PPS,
                burst_size: PACKET_IN_PPS / 2,
            }],
        },
    );
    s.add_flow(Table::Protocols.id(), IGMP, &local, cookie, to_controller());
    s.add_flow(
        Table::Protocols.id(),
        IGMP_FABRIC,
        &igmp,
        cookie,
        Vec::new(),
    );
}

/// IPv4 to `dst` (exact or prefix).
fn ipv4_to(meta: Meta, dst: Ipv4Addr, prefix_len: u32) -> Match {
    let mask = u32::MAX.checked_shl(32 - prefix_len).unwrap_or(0);
    Match::new()
        .with(meta.to_match())
        .with(OxmField::EthType(ETH_TYPE_IPV4))
        .with(OxmField::Ipv4Dst(if prefix_len == 32 {
            Masked::exact(dst)
        } else {
            Masked::new(dst, Ipv4Addr::from(mask))
        }))
}

/// The multicast groups and flows of `net` on `host`: one OpenFlow group per group address
/// with a member of `net` anywhere (`groups`), and the unregistered-multicast flows.
pub(super) fn add(
    s: &mut SwitchState,
    host: &Host,
    net: &Net,
    groups: Option<&BTreeMap<Ipv4Addr, GroupMembers>>,
) {
    let table = Table::L2Forward.id();
    for (addr, g) in groups.into_iter().flatten() {
        let members: Vec<_> = net
            .members
            .iter()
            .filter(|m| g.endpoints.contains(&m.key))
            .collect();
        if members.is_empty() {
            continue;
        }
        let local: BTreeSet<u32> = members
            .iter()
            .filter(|m| m.host == host.name)
            .map(|m| m.port)
            .collect();
        let remote_hosts: BTreeSet<&str> = members
            .iter()
            .filter(|m| m.host != host.name)
            .map(|m| m.host.as_str())
            .collect();
        let mut buckets: Vec<Bucket> = local
            .iter()
            .map(|p| Bucket::new(vec![Action::output(*p)]))
            .collect();
        match net.encap {
            Encap::Vxlan => {
                let vteps: BTreeSet<Ipv4Addr> = remote_hosts
                    .iter()
                    .filter_map(|h| host.topo.hosts.get(*h)?.vtep_ip)
                    .filter(|v| Some(*v) != host.ports.vtep_ip)
                    .collect();
                buckets.extend(
                    vteps
                        .into_iter()
                        .filter_map(|v| tunnel_actions(host, net, v))
                        .map(Bucket::new),
                );
            }
            Encap::Vlan if !remote_hosts.is_empty() => {
                buckets.extend(uplink_actions(host, net).map(Bucket::new));
            }
            Encap::Vlan => {}
        }
        let id = group_id(g.index);
        s.groups.insert(
            id,
            GroupEntry {
                group_type: GroupType::All,
                buckets,
            },
        );
        let cookie = Cookie::new(OwnerKind::Multicast, g.index.into());
        let to_group = vec![apply(vec![Action::Group(id)])];
        s.add_flow(
            table,
            MCAST_GROUP,
            &ipv4_to(from_local(net), *addr, 32),
            cookie,
            to_group,
        );
        let locals = vec![apply(local.iter().map(|p| Action::output(*p)).collect())];
        let fabric = ipv4_to(Meta::network(net.id), *addr, 32);
        s.add_flow(table, MCAST_GROUP_FABRIC, &fabric, cookie, locals);
    }
    if net.multicast.unregistered == Unregistered::Drop {
        let cookie = Cookie::new(OwnerKind::Network, net.id.into());
        let all = Meta::network(net.id);
        let multicast = Ipv4Addr::new(224, 0, 0, 0);
        s.add_flow(
            table,
            MCAST_UNREGISTERED,
            &ipv4_to(all, multicast, 4),
            cookie,
            Vec::new(),
        );
        let flood = vec![apply(vec![Action::Group(flood_group(net))])];
        s.add_flow(
            table,
            MCAST_LINK_LOCAL,
            &ipv4_to(from_local(net), multicast, 24),
            cookie,
            flood,
        );
        let ports: BTreeSet<u32> = net
            .members
            .iter()
            .filter(|m| m.host == host.name)
            .map(|m| m.port)
            .collect();
        let locals = ports.into_iter().map(Action::output).collect();
        s.add_flow(
            table,
            MCAST_LINK_LOCAL_FABRIC,
            &ipv4_to(all, multicast, 24),
            cookie,
            vec![apply(locals)],
        );
    }
}
