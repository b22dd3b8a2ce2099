//! Routing mode (`Global::fwd_mode = routing`): a distributed gateway. Every host routes the
//! packets its own endpoints send to their network's gateway; nothing is routed twice and no
//! packet goes to a central router.
//!
//! * Table 10: an ARP request from a local endpoint for its network's gateway address is
//!   answered with [`GATEWAY_MAC`] (the same anycast MAC on every host and network; the
//!   network in the metadata keeps tenants apart).
//! * Table 50: a packet of network N to [`GATEWAY_MAC`] for the IPv4 address of an endpoint E
//!   of another gateway network M of the same tenant gets `eth_src` = the gateway MAC,
//!   `eth_dst` = E's MAC, its TTL decremented, and network M in the metadata; table 60 then
//!   delivers it like any frame of M (local port, tunnel with M's VNI, or uplink with M's tag).
//!   One flow per (source network with a local endpoint, destination endpoint).
//!
//! * Table 10: an ICMP echo request to the gateway address goes to netmaster's echo responder
//!   ([`crate::gateway_echo`]), through the packet-in meter, so that the gateway answers
//!   ping.
//! * Table 50: a packet to the gateway MAC with no route (an address that is no endpoint's) is
//!   dropped, never flooded.
//!
//! A host gets the known-MAC flows of every gateway network of a tenant it has an endpoint of
//! (the destinations of routed packets), and tunnels to the hosts of those networks
//! (the compiler's `tunnels` module). Networks without a gateway address are not routed.

use super::arp::{reply_actions, request_for};
use super::forward::{from_local, route};
use super::multicast::to_controller;
use super::priority::{ARP_RESPONDER, ROUTE};
use super::resolve::Net;
use super::Host;
use crate::cookie::{Cookie, OwnerKind};
use crate::desired::SwitchState;
use crate::pipeline::metadata::{Meta, FROM_TUNNEL, FROM_UPLINK};
use crate::pipeline::Table;
use ofproto::{Action, Instruction, MacAddr, Masked, Match, OxmField};
use std::collections::{BTreeMap, BTreeSet};

/// The gateway's MAC address (locally administered; endpoint MACs are allocated elsewhere).
pub const GATEWAY_MAC: MacAddr = MacAddr([0x02, 0x4e, 0x50, 0xff, 0xff, 0xfe]);
/// Ethertype of IPv4.
const ETH_TYPE_IPV4: u16 = 0x0800;

/// The tenants that have an endpoint on `host` in a gateway network.
pub(super) fn tenants_on<'a>(host: &Host, nets: &'a BTreeMap<u32, Net>) -> BTreeSet<&'a str> {
    nets.values()
        .filter(|n| n.gateway.is_some() && host.has_member_of(n))
        .map(|n| n.tenant.as_str())
        .collect()
}

/// The gateway of `net` (a network with a gateway and a local endpoint) on `host`: its ARP
/// responder and the routes to every endpoint of the tenant's other gateway networks. With
/// `epgs` (the tenant has policies), also the endpoint-group lookups of routed traffic, whose
/// MACs are the gateway's: table 20 gives a routed packet its destination's EPG by destination
/// address on the sending host, table 10 gives one arriving from the fabric its sender's EPG
/// by source address on the receiving host.
pub(super) fn add(
    s: &mut SwitchState,
    host: &Host,
    net: &Net,
    nets: &BTreeMap<u32, Net>,
    epgs: bool,
) {
    let Some(gw) = net.gateway else { return };
    let cookie = Cookie::new(OwnerKind::Gateway, net.id.into());
    s.add_flow(
        Table::Protocols.id(),
        ARP_RESPONDER,
        &request_for(net, gw),
        cookie,
        vec![Instruction::ApplyActions(reply_actions(GATEWAY_MAC, gw))],
    );
    let to_gateway = Match::new()
        .with(from_local(net).to_match())
        .with(OxmField::EthDst(Masked::exact(GATEWAY_MAC)))
        .with(OxmField::EthType(ETH_TYPE_IPV4));
    let echo = to_gateway
        .clone()
        .with(OxmField::Ipv4Dst(Masked::exact(gw)))
        .with(OxmField::IpProto(IPPROTO_ICMP))
        .with(OxmField::Icmpv4Type(ICMP_ECHO_REQUEST));
    s.add_flow(
        Table::Protocols.id(),
        GATEWAY_ECHO,
        &echo,
        Cookie::new(OwnerKind::PacketIn, ECHO_APP),
        to_controller(),
    );
    s.add_flow(
        Table::L3.id(),
        NO_ROUTE,
        &Match::new()
            .with(from_local(net).to_match())
            .with(OxmField::EthDst(Masked::exact(GATEWAY_MAC))),
        cookie,
        Vec::new(),
    );
    for dst in nets
        .values()
        .filter(|m| m.id != net.id && m.tenant == net.tenant && m.gateway.is_some())
    {
        for e in &dst.members {
            let Some(ip) = e.ip else { continue };
            if route(host, dst, e).is_none() {
                continue;
            }
            let r#match = to_gateway
                .clone()
                .with(OxmField::Ipv4Dst(Masked::exact(ip)));
            let actions = vec![
                Action::SetField(OxmField::EthSrc(Masked::exact(GATEWAY_MAC))),
                Action::SetField(OxmField::EthDst(Masked::exact(e.mac))),
                Action::DecNwTtl,
            ];
            s.add_flow(
                Table::L3.id(),
                ROUTE,
                &r#match,
                Cookie::new(OwnerKind::Endpoint, e.id),
                vec![
                    Instruction::ApplyActions(actions),
                    Meta::network(dst.id).write(),
                    Instruction::GotoTable(Table::L2Forward.id()),
                ],
            );
            if epgs && e.epg != 0 {
                s.add_flow(
                    Table::Destination.id(),
                    ROUTED_EPG,
                    &r#match,
                    Cookie::new(OwnerKind::Endpoint, e.id),
                    vec![
                        Meta::dst_epg(e.epg).write(),
                        Instruction::GotoTable(Table::Policy.id()),
                    ],
                );
            }
        }
        // Routed packets from `dst`'s endpoints arrive here in `net`, from the fabric, with
        // the gateway's source MAC: their sender's EPG by source address.
        if !epgs {
            continue;
        }
        let from_fabric = match net.encap {
            northbound_api::model::Encap::Vxlan => FROM_TUNNEL,
            northbound_api::model::Encap::Vlan => FROM_UPLINK,
        };
        for e in dst.members.iter().filter(|e| e.epg != 0) {
            let Some(ip) = e.ip else { continue };
            let routed_from = Match::new()
                .with(
                    Meta::network(net.id)
                        .and(Meta::flag(from_fabric, true))
                        .to_match(),
                )
                .with(OxmField::EthSrc(Masked::exact(GATEWAY_MAC)))
                .with(OxmField::EthType(ETH_TYPE_IPV4))
                .with(OxmField::Ipv4Src(Masked::exact(ip)));
            s.add_flow(
                Table::Protocols.id(),
                ROUTED_EPG,
                &routed_from,
                Cookie::new(OwnerKind::Endpoint, e.id),
                vec![
                    Meta::src_epg(e.epg).write(),
                    Instruction::GotoTable(Table::Destination.id()),
                ],
            );
        }
    }
}

/// Tables 10 and 20: the endpoint-group lookups of routed traffic (above the plain ones).
const ROUTED_EPG: u16 = 110;
/// Table 10: an echo request to the gateway address, to the echo responder.
const GATEWAY_ECHO: u16 = 105;
/// Table 50: to the gateway MAC without a route: dropped.
const NO_ROUTE: u16 = 10;
/// The cookie id of the gateway echo flows ([`OwnerKind::PacketIn`]).
pub const ECHO_APP: u64 = 2;
/// IP protocol number of ICMP.
const IPPROTO_ICMP: u8 = 1;
/// ICMP type of an echo request.
const ICMP_ECHO_REQUEST: u8 = 8;
