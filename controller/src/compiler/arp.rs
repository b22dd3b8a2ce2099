//! Table 10, ARP proxy mode: an ARP request for the IPv4 address of a known endpoint of the
//! network gets that endpoint's MAC as its Ethernet destination and then follows the
//! known-MAC path of table 60, so it reaches that endpoint only — its port, or the tunnel or
//! uplink towards its host — and is never flooded to other hosts. The endpoint answers it
//! itself. ARP for anything else is flooded like any broadcast.

use super::forward::route;
use super::priority::ARP_DIRECT;
use super::resolve::Net;
use super::Host;
use crate::cookie::{Cookie, OwnerKind};
use crate::desired::SwitchState;
use crate::pipeline::metadata::Meta;
use crate::pipeline::Table;
use ofproto::{Action, Instruction, Masked, Match, OxmField};

/// Ethertype of ARP.
const ETH_TYPE_ARP: u16 = 0x0806;
/// ARP opcode of a request.
const ARP_REQUEST: u16 = 1;

/// The directed-ARP flows of `net` on `host`: one per member with an IPv4 address that
/// `host` can reach.
pub(super) fn add(s: &mut SwitchState, host: &Host, net: &Net) {
    let table = Table::Protocols.id();
    for m in &net.members {
        let Some(ip) = m.ip else { continue };
        if route(host, net, m).is_none() {
            continue;
        }
        let r#match = Match::new()
            .with(Meta::network(net.id).to_match())
            .with(OxmField::EthType(ETH_TYPE_ARP))
            .with(OxmField::ArpOp(ARP_REQUEST))
            .with(OxmField::ArpTpa(Masked::exact(ip)));
        let instructions = vec![
            Instruction::ApplyActions(vec![Action::SetField(OxmField::EthDst(Masked::exact(
                m.mac,
            )))]),
            Instruction::GotoTable(Table::Destination.id()),
        ];
        let cookie = Cookie::new(OwnerKind::Endpoint, m.id);
        s.add_flow(table, ARP_DIRECT, &r#match, cookie, instructions);
    }
}
