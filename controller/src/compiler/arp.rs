//! Table 10, ARP proxy mode: an ARP responder on the switch, in the style of Open vSwitch's
//! (and Neutron's) flow-based one. An ARP request from a local endpoint for the IPv4 address
//! of a known endpoint of its network is turned into the reply in place and sent back out of
//! the port it came in on:
//!
//! ```text
//! move:eth_src->eth_dst, set_field:MAC->eth_src, set_field:2->arp_op,
//! move:arp_sha->arp_tha, move:arp_spa->arp_tpa, set_field:MAC->arp_sha,
//! set_field:IP->arp_spa, output:IN_PORT
//! ```
//!
//! So the request never reaches another port, host or tenant, and not even the target. The
//! copies are Open vSwitch's `NXAST_REG_MOVE` ([`ofproto::nx::RegMove`]); the constants are plain
//! OpenFlow 1.3 `set_field`s.
//!
//! Only frames of local endpoints are answered (`metadata` with neither `FROM_TUNNEL` nor
//! `FROM_UPLINK`): a request that comes from a tunnel or an uplink was sent by a host that did
//! not answer it itself, and is flooded to the local ports as any broadcast (split horizon),
//! where the target answers it. An endpoint asking for its own address (a gratuitous ARP or a
//! duplicate-address probe) is not answered: a higher-priority flow drops it (the controller
//! knows every address, and answering it would report a conflict with itself). ARP for any
//! other address is flooded like any broadcast.
//!
//! Directed mode ([`add_directed`]) keeps those guarantees without rewriting ARP fields: the
//! request's destination MAC becomes the target endpoint's and the request goes on through the
//! pipeline as unicast to it (its local port, or the tunnel or uplink to its host), where the
//! target answers it; the reply is ordinary unicast back. Setting `eth_dst` is a datapath
//! action, so Open vSwitch forwards these requests without an upcall, where the in-place
//! reply's ARP field rewrites run in ovs-vswitchd's slow path, one upcall per request.

use super::forward::{from_local, route};
use super::priority::{ARP_RESPONDER, ARP_SELF};
use super::resolve::Net;
use super::Host;
use crate::cookie::{Cookie, OwnerKind};
use crate::desired::SwitchState;
use crate::pipeline::Table;
use ofproto::action::port_no;
use ofproto::nx::{NxmHeader, RegMove};
use ofproto::{Action, Instruction, Masked, Match, OxmField};
use std::net::Ipv4Addr;

/// Ethertype of ARP.
const ETH_TYPE_ARP: u16 = 0x0806;
/// ARP opcode of a request.
const ARP_REQUEST: u16 = 1;
/// ARP opcode of a reply.
const ARP_REPLY: u16 = 2;

/// The ARP responder flows of `net` on `host`: one per member with an IPv4 address that
/// `host` can reach, and one per local member that drops its requests for its own address.
pub(super) fn add(s: &mut SwitchState, host: &Host, net: &Net) {
    add_with(s, host, net, |mac, ip| {
        vec![Instruction::ApplyActions(reply_actions(mac, ip))]
    });
}

/// The directed-mode flows of `net` on `host`: one per member with an IPv4 address that `host`
/// can reach, sending requests for it on to it alone, and the same own-address drops.
pub(super) fn add_directed(s: &mut SwitchState, host: &Host, net: &Net) {
    add_with(s, host, net, |mac, _| {
        vec![
            Instruction::ApplyActions(vec![Action::SetField(OxmField::EthDst(Masked::exact(mac)))]),
            Table::Protocols
                .goto_next()
                .expect("a table follows Protocols"),
        ]
    });
}

/// For every member of `net` with an IPv4 address that `host` can reach, a flow that handles
/// requests for it with the instructions `handling(MAC, IP)` gives; and for every local one, a
/// flow that drops its requests for its own address.
fn add_with(
    s: &mut SwitchState,
    host: &Host,
    net: &Net,
    handling: impl Fn(ofproto::MacAddr, Ipv4Addr) -> Vec<Instruction>,
) {
    let table = Table::Protocols.id();
    for m in &net.members {
        let Some(ip) = m.ip else { continue };
        if route(host, net, m).is_none() {
            continue;
        }
        let cookie = Cookie::new(OwnerKind::Endpoint, m.id);
        let request = request_for(net, ip);
        s.add_flow(table, ARP_RESPONDER, &request, cookie, handling(m.mac, ip));
        if m.host == host.name {
            // Port security (table 0) guarantees that this source MAC is the endpoint's.
            let own = request.with(OxmField::EthSrc(Masked::exact(m.mac)));
            s.add_flow(table, ARP_SELF, &own, cookie, Vec::new());
        }
    }
}

/// An ARP request for `ip` from a local endpoint of `net`.
pub(super) fn request_for(net: &Net, ip: Ipv4Addr) -> Match {
    Match::new()
        .with(from_local(net).to_match())
        .with(OxmField::EthType(ETH_TYPE_ARP))
        .with(OxmField::ArpOp(ARP_REQUEST))
        .with(OxmField::ArpTpa(Masked::exact(ip)))
}

/// The actions that turn an ARP request for `ip` into the reply "`ip` is at `mac`" and send
/// it back where it came from.
pub(super) fn reply_actions(mac: ofproto::MacAddr, ip: Ipv4Addr) -> Vec<Action> {
    vec![
        copy(NxmHeader::ETH_SRC, NxmHeader::ETH_DST),
        Action::SetField(OxmField::EthSrc(Masked::exact(mac))),
        Action::SetField(OxmField::ArpOp(ARP_REPLY)),
        copy(NxmHeader::ARP_SHA, NxmHeader::ARP_THA),
        copy(NxmHeader::ARP_SPA, NxmHeader::ARP_TPA),
        Action::SetField(OxmField::ArpSha(Masked::exact(mac))),
        Action::SetField(OxmField::ArpSpa(Masked::exact(ip))),
        Action::output(port_no::IN_PORT),
    ]
}

/// `move:SRC[]->DST[]` of a whole field, with the NXM headers Open vSwitch reports back.
fn copy(src: NxmHeader, dst: NxmHeader) -> Action {
    RegMove::whole(src, dst)
        .expect("the ARP responder copies between equally wide fields")
        .into()
}
