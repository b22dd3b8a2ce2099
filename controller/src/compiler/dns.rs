//! DNS inside each tenant (`Global::dns_address`): the switches take the DNS queries of their
//! local endpoints to netmaster's name responder ([`crate::dns`]), which answers with the
//! addresses of the querying network's tenant only.
//!
//! * Table 10: an ARP request from a local endpoint of a network for the DNS address is
//!   answered with [`DNS_MAC`] (the containers reach the address on their first interface).
//! * Table 10: a UDP datagram from a local endpoint to the DNS address, port 53, goes to the
//!   responder through the packet-in meter. The flow's match carries the network in the
//!   metadata, so the packet-in tells the responder which network (and tenant) asks.

use super::arp::{reply_actions, request_for};
use super::forward::from_local;
use super::multicast::to_controller;
use super::priority::ARP_RESPONDER;
use super::resolve::Net;
use crate::cookie::{Cookie, OwnerKind};
use crate::desired::SwitchState;
use crate::pipeline::Table;
use ofproto::{Instruction, MacAddr, Masked, Match, OxmField};
use std::net::Ipv4Addr;

/// The DNS responder's MAC address (locally administered, next to the gateway's).
pub const DNS_MAC: MacAddr = MacAddr([0x02, 0x4e, 0x50, 0xff, 0xff, 0xfd]);
/// The cookie id of the DNS query flows ([`OwnerKind::PacketIn`]).
pub const DNS_APP: u64 = 3;
/// Table 10: a DNS query to the DNS address, to the responder.
const DNS_QUERY: u16 = 106;
/// Ethertype of IPv4.
const ETH_TYPE_IPV4: u16 = 0x0800;
/// IP protocol number of UDP.
const IPPROTO_UDP: u8 = 17;
/// DNS's UDP port.
pub const DNS_PORT: u16 = 53;

/// The DNS flows of `net` (a network with a local endpoint) for DNS address `dns`.
pub(super) fn add(s: &mut SwitchState, net: &Net, dns: Ipv4Addr) {
    s.add_flow(
        Table::Protocols.id(),
        ARP_RESPONDER,
        &request_for(net, dns),
        Cookie::new(OwnerKind::Network, net.id.into()),
        vec![Instruction::ApplyActions(reply_actions(DNS_MAC, dns))],
    );
    let query = Match::new()
        .with(from_local(net).to_match())
        .with(OxmField::EthType(ETH_TYPE_IPV4))
        .with(OxmField::Ipv4Dst(Masked::exact(dns)))
        .with(OxmField::IpProto(IPPROTO_UDP))
        .with(OxmField::UdpDst(DNS_PORT));
    s.add_flow(
        Table::Protocols.id(),
        DNS_QUERY,
        &query,
        Cookie::new(OwnerKind::PacketIn, DNS_APP),
        to_controller(),
    );
}
