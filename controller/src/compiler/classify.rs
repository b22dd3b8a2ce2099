//! Table 0, classify: which network (and source EPG) a frame belongs to, by where it came in.
//! Anything not classified here hits the table-miss entry and is dropped.

use super::priority::CLASSIFY;
use super::resolve::Net;
use super::Host;
use crate::cookie::{Cookie, OwnerKind};
use crate::desired::SwitchState;
use crate::pipeline::metadata::{Meta, FROM_TUNNEL, FROM_UPLINK};
use crate::pipeline::Table;
use northbound_api::model::Encap;
use ofproto::oxm::OFPVID_PRESENT;
use ofproto::{Action, Instruction, Masked, Match, OxmField};

/// Ethertypes of the frames an endpoint may send.
const ETH_TYPE_IPV4: u16 = 0x0800;
const ETH_TYPE_ARP: u16 = 0x0806;
const ETH_TYPE_IPV6: u16 = 0x86dd;

/// The IPv6 sources an endpoint may use: `fe80::/64` (neighbour discovery, MLD), `::` (duplicate
/// address detection) and its own address.
fn ipv6_sources(m: &super::resolve::Member) -> Vec<Masked<std::net::Ipv6Addr>> {
    use std::net::Ipv6Addr;
    let mut v = vec![
        Masked::new(
            Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
            Ipv6Addr::new(0xffff, 0xffff, 0xffff, 0xffff, 0, 0, 0, 0),
        ),
        Masked::exact(Ipv6Addr::UNSPECIFIED),
    ];
    v.extend(m.ipv6.map(Masked::exact));
    v
}

/// `VLAN_VID` of an untagged frame (`OFPVID_NONE`).
const OFPVID_NONE: u16 = 0;

/// The classify flows of `net` on `host`.
pub(super) fn add(s: &mut SwitchState, host: &Host, net: &Net) {
    let table = Table::Classify.id();
    let next = Instruction::GotoTable(Table::Protocols.id());
    // Port security: only the endpoint's own source MAC, untagged, is accepted on its port;
    // with an IPv4 address, only IPv4 from that address, ARP that says so (sender MAC and
    // IP), and IPv6 from its link-local prefix, the unspecified address (duplicate address
    // detection) and its own IPv6 address.
    for m in net.members.iter().filter(|m| m.host == host.name) {
        let own = Match::new()
            .with(OxmField::InPort(m.port))
            .with(OxmField::EthSrc(Masked::exact(m.mac)))
            .with(OxmField::VlanVid(Masked::exact(OFPVID_NONE)));
        let meta = Meta::network(net.id).and(Meta::src_epg(m.epg));
        let cookie = Cookie::new(OwnerKind::Endpoint, m.id);
        let matches = match m.ip {
            None => vec![own],
            Some(ip) => vec![
                own.clone()
                    .with(OxmField::EthType(ETH_TYPE_IPV4))
                    .with(OxmField::Ipv4Src(Masked::exact(ip))),
                own.clone()
                    .with(OxmField::EthType(ETH_TYPE_ARP))
                    .with(OxmField::ArpSpa(Masked::exact(ip)))
                    .with(OxmField::ArpSha(Masked::exact(m.mac))),
            ]
            .into_iter()
            .chain(ipv6_sources(m).into_iter().map(|src| {
                own.clone()
                    .with(OxmField::EthType(ETH_TYPE_IPV6))
                    .with(OxmField::Ipv6Src(src))
            }))
            .collect(),
        };
        for r#match in matches {
            s.add_flow(
                table,
                CLASSIFY,
                &r#match,
                cookie,
                vec![meta.write(), next.clone()],
            );
        }
    }
    let cookie = Cookie::new(OwnerKind::Network, net.id.into());
    match net.encap {
        Encap::Vxlan => {
            let meta = Meta::network(net.id).and(Meta::flag(FROM_TUNNEL, true));
            for port in host.ports.tunnel_ports() {
                let mut r#match = Match::new().with(OxmField::InPort(port));
                if !super::fault::active(super::fault::Fault::TunnelWithoutVni) {
                    r#match = r#match.with(OxmField::TunnelId(Masked::exact(u64::from(net.tag))));
                }
                s.add_flow(
                    table,
                    CLASSIFY,
                    &r#match,
                    cookie,
                    vec![meta.write(), next.clone()],
                );
            }
        }
        Encap::Vlan => {
            let meta = Meta::network(net.id).and(Meta::flag(FROM_UPLINK, true));
            let pop = Instruction::ApplyActions(vec![Action::PopVlan]);
            for &port in &host.ports.uplinks {
                let r#match = Match::new()
                    .with(OxmField::InPort(port))
                    .with(OxmField::VlanVid(Masked::exact(vlan_vid(net.tag))));
                let instructions = vec![pop.clone(), meta.write(), next.clone()];
                s.add_flow(table, CLASSIFY, &r#match, cookie, instructions);
            }
        }
    }
}

/// The `VLAN_VID` value of a frame tagged with `vlan` (`OFPVID_PRESENT | vlan`).
pub(super) fn vlan_vid(vlan: u32) -> u16 {
    OFPVID_PRESENT | (vlan as u16 & 0x0fff)
}
