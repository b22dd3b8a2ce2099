//! Policy between endpoint groups (Contiv semantics): the highest-priority rule that matches
//! decides, traffic no rule matches is allowed. Rules compile to flows that match the source
//! and destination endpoint-group (class) ids carried in the metadata, so the number of flows
//! grows with the rules, not with the rules times the ports; groups with the same policies
//! share one class and one set of rule flows ([`super::classes`]).
//!
//! * Table 10: a frame from a tunnel or uplink gets its source EPG from its source MAC (the
//!   sender's host set it from the port, but a receiving host does not trust that).
//! * Table 20: every frame to a known endpoint MAC gets the destination EPG.
//! * Table 30: one flow per rule (per prefix of an address range, and per IP version when the
//!   rule names no IPv4 address): allow goes on to table 40, deny drops.
//!
//! The same flows run on the sending and on the receiving host, so both enforce. A host gets
//! them for the tenants it has an endpoint of, and only when the tenant has a policy attached
//! to an endpoint group. A group with `defaultDeny` is stateful: connections are tracked with
//! Open vSwitch's conntrack (`ct`, zone = its network's id), new ones into the group need a
//! rule that allows them (which commits them), replies to what the group opened come back.
//! Routed traffic, whose MACs are the gateway's, gets its EPGs by address instead
//! ([`super::gateway`]); conntrack zones are per network, so a stateful group's routed
//! connections are not tracked across the two networks.

use super::forward::route;
use super::resolve::Net;
use super::Host;
use crate::cookie::{Cookie, OwnerKind, ID_MAX};
use crate::desired::SwitchState;
use crate::intent::addr::{ip_protocol, selector_prefixes};
use crate::intent::Snapshot;
use crate::pipeline::metadata::{Meta, FROM_TUNNEL, FROM_UPLINK};
use crate::pipeline::Table;
use northbound_api::model::{Direction, Encap, Rule, RuleAction};
use ofproto::nx::{Conntrack, CtState, NxField};
use ofproto::{Action, Instruction, Masked, Match, OxmField};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Table 10: the source EPG of a frame from a tunnel or uplink.
const SRC_EPG: u16 = 50;
/// Table 20: the destination EPG of a frame to a known MAC.
const DST_EPG: u16 = 100;
/// Table 30: the lowest rule priority; a rule of priority p (1..=100) is `BASE + 2p`, `+ 1`
/// when it denies (deny wins a tie).
const BASE: u16 = 1000;

const ETH_TYPE_IPV4: u16 = 0x0800;
const ETH_TYPE_IPV6: u16 = 0x86dd;
const IPPROTO_ICMP: u8 = 1;
const IPPROTO_ICMPV6: u8 = 58;

/// One compiled flow of table 30.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RuleFlow {
    priority: u16,
    r#match: Match,
    instructions: Vec<Instruction>,
    cookie: u64,
}

/// Every tenant's rule (and connection-tracking) flows, compiled once for all hosts.
#[derive(Debug, Default)]
pub(super) struct Policies {
    by_tenant: BTreeMap<String, Vec<RuleFlow>>,
}

/// Table 30, stateful groups: untracked IP to or from the group goes through the tracker.
const CT_TRACK: u16 = 49_000;
/// Table 30, stateful groups: established and related traffic into the group.
const CT_ESTABLISHED: u16 = 48_000;
/// Table 30, stateful groups: anything else new into the group (below every rule).
const CT_DEFAULT_DENY: u16 = 999;
/// Table 30, stateful groups: new connections the group opens are committed (below the
/// rules, so an out rule that denies still wins).
const CT_COMMIT_OUT: u16 = 998;

impl Policies {
    /// Compiles the rules of every policy attached to an endpoint group with an id. Rules that
    /// cannot be compiled (a group without id, an unparsable field) are left out.
    pub(super) fn compile(snap: &Snapshot, classes: &BTreeMap<String, u16>) -> Policies {
        let mut by_tenant: BTreeMap<String, Vec<RuleFlow>> = BTreeMap::new();
        let mut done = BTreeSet::new();
        for (gkey, g) in &snap.groups {
            let Some(&gid) = classes.get(gkey) else {
                continue;
            };
            // Groups of one class share their rule flows.
            if !done.insert(gid) {
                continue;
            }
            // A stateful group tracks connections in its network's zone.
            let zone = g.default_deny.then(|| {
                snap.network_ids
                    .get(&format!("{}:{}", g.tenant_name, g.network_name))
                    .map_or(0, |id| *id as u16)
            });
            if let Some(zone) = zone {
                by_tenant
                    .entry(g.tenant_name.clone())
                    .or_default()
                    .extend(conntrack_flows(gid, zone));
            }
            let attached: BTreeSet<&String> = g.policies.iter().collect();
            for r in snap
                .rules
                .values()
                .filter(|r| r.tenant_name == g.tenant_name && attached.contains(&r.policy_name))
            {
                if let Some(flows) = rule_flows(snap, classes, r, gid, zone) {
                    by_tenant
                        .entry(g.tenant_name.clone())
                        .or_default()
                        .extend(flows);
                }
            }
        }
        Policies { by_tenant }
    }

    /// Whether `tenant` has any rule in force.
    pub(super) fn applies_to(&self, tenant: &str) -> bool {
        self.by_tenant.contains_key(tenant)
    }

    /// The EPG flows of `net` on `host` (tables 10 and 20), when its tenant has rules.
    pub(super) fn add_epg_lookups(&self, s: &mut SwitchState, host: &Host, net: &Net) {
        if !self.applies_to(&net.tenant) {
            return;
        }
        let from_fabric = match net.encap {
            Encap::Vxlan => FROM_TUNNEL,
            Encap::Vlan => FROM_UPLINK,
        };
        for m in net.members.iter().filter(|m| m.epg != 0) {
            let cookie = Cookie::new(OwnerKind::Endpoint, m.id);
            if route(host, net, m).is_some() {
                let to_m = Match::new()
                    .with(Meta::network(net.id).to_match())
                    .with(OxmField::EthDst(Masked::exact(m.mac)));
                s.add_flow(
                    Table::Destination.id(),
                    DST_EPG,
                    &to_m,
                    cookie,
                    vec![
                        Meta::dst_epg(m.epg).write(),
                        Instruction::GotoTable(Table::Policy.id()),
                    ],
                );
            }
            if m.host != host.name {
                let from_m = Match::new()
                    .with(
                        Meta::network(net.id)
                            .and(Meta::flag(from_fabric, true))
                            .to_match(),
                    )
                    .with(OxmField::EthSrc(Masked::exact(m.mac)));
                s.add_flow(
                    Table::Protocols.id(),
                    SRC_EPG,
                    &from_m,
                    cookie,
                    vec![
                        Meta::src_epg(m.epg).write(),
                        Instruction::GotoTable(Table::Destination.id()),
                    ],
                );
            }
        }
    }

    /// The rule flows of `tenant` (table 30).
    pub(super) fn add_rules(&self, s: &mut SwitchState, tenant: &str) {
        for f in self.by_tenant.get(tenant).into_iter().flatten() {
            s.add_flow(
                Table::Policy.id(),
                f.priority,
                &f.r#match,
                f.cookie,
                f.instructions.clone(),
            );
        }
    }
}

/// The flows of rule `r` applied to the group (class) with id `gid`; `None` if it cannot be
/// compiled.
fn rule_flows(
    snap: &Snapshot,
    classes: &BTreeMap<String, u16>,
    r: &Rule,
    gid: u16,
    zone: Option<u16>,
) -> Option<Vec<RuleFlow>> {
    let group_id = |name: &Option<String>| -> Option<Option<u16>> {
        match name {
            None => Some(None),
            Some(n) => classes
                .get(&format!("{}:{n}", r.tenant_name))
                .map(|id| Some(*id)),
        }
    };
    let mut meta;
    let mut v4_src = None;
    let mut v4_dst = None;
    // A network selector is its IPv4 subnet and, if it has one, its IPv6 subnet; an address
    // selector is IPv4 only.
    let (mut v6_src, mut v6_dst, mut v6_too) = (None, None, false);
    match r.direction {
        Direction::In => {
            meta = Meta::dst_epg(gid);
            if let Some(from) = group_id(&r.from_endpoint_group)? {
                meta = meta.and(Meta::src_epg(from));
            }
            // A network is its subnet (like `toNetwork`), not the metadata network: routed
            // packets arrive at the receiving host on the destination's network.
            if let Some(net) = &r.from_network {
                let (v4, v6) = network_prefixes(snap, &r.tenant_name, net)?;
                v4_src = Some(vec![v4]);
                v6_src = v6;
                v6_too = v6.is_some();
            }
            if let Some(ip) = &r.from_ip_address {
                v4_src = Some(selector_prefixes(ip));
                v6_too = false;
            }
        }
        Direction::Out => {
            meta = Meta::src_epg(gid);
            if let Some(to) = group_id(&r.to_endpoint_group)? {
                meta = meta.and(Meta::dst_epg(to));
            }
            let mut prefixes = Vec::new();
            if let Some(net) = &r.to_network {
                let (v4, v6) = network_prefixes(snap, &r.tenant_name, net)?;
                prefixes.push(v4);
                v6_dst = v6;
                v6_too = v6.is_some();
            }
            if let Some(ip) = &r.to_ip_address {
                prefixes = selector_prefixes(ip);
                v6_too = false;
            }
            if !prefixes.is_empty() {
                v4_dst = Some(prefixes);
            }
        }
    }
    let proto = match &r.protocol {
        None => None,
        Some(p) => Some(ip_protocol(p)?),
    };
    let deny = r.action == RuleAction::Deny;
    if deny && super::fault::active(super::fault::Fault::NoDenyRules) {
        return Some(Vec::new());
    }
    let priority = BASE + 2 * u16::from(r.priority) + u16::from(deny);
    let cookie = Cookie::new(OwnerKind::PolicyRule, rule_cookie_id(r));
    let base = Match::new().with(meta.to_match());
    let l4 = |m: Match, proto: u8| -> Match {
        let m = m.with(OxmField::IpProto(proto));
        match (proto, r.port) {
            (_, 0) => m,
            (6, port) => m.with(OxmField::TcpDst(port)),
            (17, port) => m.with(OxmField::UdpDst(port)),
            _ => m,
        }
    };
    let mut matches = Vec::new();
    let addresses = v4_src.is_some() || v4_dst.is_some();
    if addresses || proto.is_some() {
        // IPv4: one flow per (source prefix, destination prefix).
        let srcs = v4_src.unwrap_or_else(|| vec![(0, 0)]);
        let dsts = v4_dst.unwrap_or_else(|| vec![(0, 0)]);
        for &(sa, sl) in &srcs {
            for &(da, dl) in &dsts {
                let mut m = base.clone().with(OxmField::EthType(ETH_TYPE_IPV4));
                if sl > 0 {
                    m = m.with(OxmField::Ipv4Src(prefix(sa, sl)));
                }
                if dl > 0 {
                    m = m.with(OxmField::Ipv4Dst(prefix(da, dl)));
                }
                if let Some(p) = proto {
                    m = l4(m, p);
                }
                matches.push(m);
            }
        }
        // IPv6 too when the rule names no IPv4 address (only networks, or nothing).
        if !addresses || v6_too {
            let mut m = base.clone().with(OxmField::EthType(ETH_TYPE_IPV6));
            if let Some((a, l)) = v6_src {
                m = m.with(OxmField::Ipv6Src(prefix6(a, l)));
            }
            if let Some((a, l)) = v6_dst {
                m = m.with(OxmField::Ipv6Dst(prefix6(a, l)));
            }
            match proto {
                Some(IPPROTO_ICMP) => matches.push(l4(m, IPPROTO_ICMPV6)),
                Some(p) => matches.push(l4(m, p)),
                None if addresses => matches.push(m),
                None => {}
            }
        }
    } else if zone.is_some() && !deny {
        // Committing to the tracker needs an IP match.
        matches.push(base.clone().with(OxmField::EthType(ETH_TYPE_IPV4)));
        matches.push(base.with(OxmField::EthType(ETH_TYPE_IPV6)));
    } else {
        matches.push(base);
    }
    let instructions = match (deny, zone) {
        (true, _) => Vec::new(),
        (false, None) => vec![Instruction::GotoTable(Table::Qos.id())],
        // A stateful group: what a rule lets in starts a tracked connection.
        (false, Some(zone)) => vec![
            Instruction::ApplyActions(vec![commit(zone)]),
            Instruction::GotoTable(Table::Qos.id()),
        ],
    };
    Some(
        matches
            .into_iter()
            .map(|m| RuleFlow {
                priority,
                r#match: m,
                instructions: instructions.clone(),
                cookie,
            })
            .collect(),
    )
}

/// The connection-tracking flows of stateful group (class) `gid` with zone `zone`: IP to or
/// from the group is tracked (recirculated through table 30 with `ct_state` set);
/// established and related traffic into the group passes; new connections the group opens
/// are committed (so their replies are established); anything else new into the group is
/// dropped unless a rule (priorities in between) allows and commits it.
fn conntrack_flows(gid: u16, zone: u16) -> Vec<RuleFlow> {
    let cookie = Cookie::new(OwnerKind::PolicyRule, u64::from(gid));
    let goto = Instruction::GotoTable(Table::Qos.id());
    let mut flows = Vec::new();
    for eth_type in [ETH_TYPE_IPV4, ETH_TYPE_IPV6] {
        for side in [Meta::dst_epg(gid), Meta::src_epg(gid)] {
            flows.push(RuleFlow {
                priority: CT_TRACK,
                r#match: Match::new()
                    .with(side.to_match())
                    .with(OxmField::EthType(eth_type))
                    .with(ct_state(CtState::NONE, CtState::TRK)),
                instructions: vec![Instruction::ApplyActions(vec![Conntrack {
                    commit: false,
                    zone,
                    recirc_table: Some(Table::Policy.id()),
                    alg: 0,
                }
                .into()])],
                cookie,
            });
        }
        let into = Match::new()
            .with(Meta::dst_epg(gid).to_match())
            .with(OxmField::EthType(eth_type));
        for state in [CtState::EST, CtState::REL] {
            flows.push(RuleFlow {
                priority: CT_ESTABLISHED,
                r#match: into
                    .clone()
                    .with(ct_state(state | CtState::TRK, state | CtState::TRK)),
                instructions: vec![goto.clone()],
                cookie,
            });
        }
        flows.push(RuleFlow {
            priority: CT_DEFAULT_DENY,
            // (No `ct_state=+trk`: priority 49000 tracks whatever is not, so only tracked
            // packets get here; without conntrack the group stays closed.)
            r#match: into,
            instructions: Vec::new(),
            cookie,
        });
        flows.push(RuleFlow {
            priority: CT_COMMIT_OUT,
            r#match: Match::new()
                .with(Meta::src_epg(gid).to_match())
                .with(OxmField::EthType(eth_type))
                .with(ct_state(
                    CtState::NEW | CtState::TRK,
                    CtState::NEW | CtState::TRK,
                )),
            instructions: vec![Instruction::ApplyActions(vec![commit(zone)]), goto.clone()],
            cookie,
        });
    }
    flows
}

/// `ct(commit,zone=ZONE)`: records the connection in the tracker; the packet goes on.
fn commit(zone: u16) -> Action {
    Conntrack {
        commit: true,
        zone,
        recirc_table: None,
        alg: 0,
    }
    .into()
}

/// A `ct_state` match: the bits of `mask` equal those of `value`.
fn ct_state(value: CtState, mask: CtState) -> OxmField {
    NxField::CtState(Masked::new(value, mask)).into()
}

/// An IPv4 prefix: address and length.
type Prefix4 = (u32, u8);
/// An IPv6 prefix: address and length.
type Prefix6 = (u128, u8);

/// The IPv4 subnet of network `tenant:name` and its IPv6 subnet if it has one, as (address,
/// prefix length); `None` if the network is unknown.
fn network_prefixes(
    snap: &Snapshot,
    tenant: &str,
    name: &str,
) -> Option<(Prefix4, Option<Prefix6>)> {
    let n = snap.networks.get(&format!("{tenant}:{name}"))?;
    let v4 = n.subnet.net();
    let v6 = n.ipv6_subnet.map(|s| s.net());
    Some((
        (u32::from(v4.network()), v4.prefix_len()),
        v6.map(|s| (u128::from(s.network()), s.prefix_len())),
    ))
}

/// `a/len` as a masked OXM value (IPv6).
fn prefix6(a: u128, len: u8) -> Masked<std::net::Ipv6Addr> {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    Masked::new(a.into(), mask.into())
}

/// `a/len` as a masked OXM value.
fn prefix(a: u32, len: u8) -> Masked<Ipv4Addr> {
    if len >= 32 {
        Masked::exact(Ipv4Addr::from(a))
    } else {
        Masked::new(Ipv4Addr::from(a), Ipv4Addr::from(u32::MAX << (32 - len)))
    }
}

/// A 40-bit cookie id for a rule: a hash of its key (rules have no allocated id; the cookie
/// only traces a flow back to its rule).
pub(crate) fn rule_cookie_id(r: &Rule) -> u64 {
    let key = format!("{}:{}:{}", r.tenant_name, r.policy_name, r.rule_id);
    key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) & ID_MAX
}
