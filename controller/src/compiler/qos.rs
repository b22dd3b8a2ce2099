//! QoS profiles (`netprofiles`): what each endpoint of a group with a profile sends is rate
//! limited by an OpenFlow 1.3 meter of its own (a drop band at the profile's bandwidth: every
//! endpoint gets the whole bandwidth, as Contiv's per-interface policing did) and its IPv4
//! packets get the profile's DSCP (`set_field:<dscp>->ip_dscp`), in table 40, matched by the
//! endpoint's port. A profile change changes the meters (meter modifies) and the flows in
//! place.

use super::priority::{QOS, QOS_DSCP};
use super::resolve::Net;
use super::Host;
use crate::cookie::{owned_id, Cookie, OwnerKind, MULTICAST_INDEX_BASE};
use crate::desired::{MeterEntry, SwitchState};
use crate::intent::addr::parse_bandwidth_kbps;
use crate::intent::Snapshot;
use crate::pipeline::Table;
use ofproto::msg::{meter_flags, MeterBand};
use ofproto::{Action, Instruction, Match, OxmField};
use std::collections::BTreeMap;

const ETH_TYPE_IPV4: u16 = 0x0800;

/// A group's profile, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Profile {
    /// Rate limit and burst in kb/s and kb, if any.
    rate: Option<(u32, u32)>,
    /// DSCP to set, if any.
    dscp: Option<u8>,
}

/// The profile of every group that has one, by group id.
#[derive(Debug, Default)]
pub(super) struct Profiles {
    by_group: BTreeMap<u16, Profile>,
}

impl Profiles {
    /// Resolves the groups' profiles (ones that do not parse are left out).
    /// A group with a profile is a class of its own in `classes` (`super::classes`).
    pub(super) fn compile(snap: &Snapshot, classes: &BTreeMap<String, u16>) -> Profiles {
        let mut by_group = BTreeMap::new();
        for (gkey, g) in &snap.groups {
            let (Some(&gid), Some(name)) = (classes.get(gkey), &g.net_profile) else {
                continue;
            };
            let Some(p) = snap.profiles.get(&format!("{}:{name}", g.tenant_name)) else {
                continue;
            };
            let rate = match &p.bandwidth {
                None => None,
                Some(b) => match parse_bandwidth_kbps(b) {
                    Ok(kbps) => Some((kbps, p.burst.unwrap_or((kbps / 2).max(100)))),
                    Err(_) => continue,
                },
            };
            if rate.is_some() || p.dscp.is_some() {
                by_group.insert(gid, Profile { rate, dscp: p.dscp });
            }
        }
        Profiles { by_group }
    }

    /// The meters and table-40 flows of the local endpoints of `net` on `host` whose group has
    /// a profile. The meter id is the endpoint's id (endpoints with an id beyond the meter
    /// index range get the DSCP mark only).
    pub(super) fn add(&self, s: &mut SwitchState, host: &Host, net: &Net) {
        for m in net.members.iter().filter(|m| m.host == host.name) {
            let Some(p) = self.by_group.get(&m.epg) else {
                continue;
            };
            let cookie = Cookie::new(OwnerKind::Qos, m.epg.into());
            let mut meter = Vec::new();
            if let (Some((rate, burst)), Ok(index)) = (p.rate, u32::try_from(m.id)) {
                if index < MULTICAST_INDEX_BASE {
                    let id = owned_id(index);
                    s.meters.insert(
                        id,
                        MeterEntry {
                            flags: meter_flags::KBPS | meter_flags::BURST | meter_flags::STATS,
                            bands: vec![MeterBand::Drop {
                                rate,
                                burst_size: burst,
                            }],
                        },
                    );
                    meter.push(Instruction::Meter(id));
                }
            }
            // What the endpoint sends (its port: nothing from the fabric).
            let from_endpoint = Match::new().with(OxmField::InPort(m.port));
            let next = Instruction::GotoTable(Table::L3.id());
            if let Some(dscp) = p.dscp {
                let mut instructions = meter.clone();
                instructions.push(Instruction::ApplyActions(vec![Action::SetField(
                    OxmField::IpDscp(dscp),
                )]));
                instructions.push(next.clone());
                let ipv4 = from_endpoint.clone().with(OxmField::EthType(ETH_TYPE_IPV4));
                s.add_flow(Table::Qos.id(), QOS_DSCP, &ipv4, cookie, instructions);
            }
            if !meter.is_empty() {
                meter.push(next);
                s.add_flow(Table::Qos.id(), QOS, &from_endpoint, cookie, meter);
            }
        }
    }
}
