//! The state a switch should hold (or, read back, does hold): flows, groups and meters.
//!
//! Flows are keyed as OpenFlow keys them: by table, priority and match. Matches are kept in
//! [`canonical_match`] form so that a match read back from a switch (which may order fields and
//! normalise masks its own way) compares equal to the one we asked for.

use ofproto::msg::{Bucket, GroupType, MeterBand};
use ofproto::multipart::{FlowStats, GroupDesc, MeterConfig};
use ofproto::oxm::OFPXMC_OPENFLOW_BASIC;
use ofproto::{Instruction, Match, OxmField};
use std::collections::BTreeMap;

/// The identity of a flow entry in a switch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// Table id.
    pub table_id: u8,
    /// Priority.
    pub priority: u16,
    /// The match, in canonical form.
    pub r#match: Match,
}

impl FlowKey {
    /// A key; the match is brought into canonical form.
    pub fn new(table_id: u8, priority: u16, m: &Match) -> FlowKey {
        FlowKey {
            table_id,
            priority,
            r#match: canonical_match(m),
        }
    }
}

/// What a flow does and who owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEntry {
    /// Owner, see [`crate::cookie`].
    pub cookie: u64,
    /// Instructions.
    pub instructions: Vec<Instruction>,
}

/// A group's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    /// Type.
    pub group_type: GroupType,
    /// Buckets.
    pub buckets: Vec<Bucket>,
}

/// A meter's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterEntry {
    /// `OFPMF_*` flags.
    pub flags: u16,
    /// Bands.
    pub bands: Vec<MeterBand>,
}

/// Flows, groups and meters of one switch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwitchState {
    /// Flows by key.
    pub flows: foldhash::HashMap<FlowKey, FlowEntry>,
    /// Groups by id.
    pub groups: BTreeMap<u32, GroupEntry>,
    /// Meters by id.
    pub meters: BTreeMap<u32, MeterEntry>,
}

impl SwitchState {
    /// Adds (or replaces) a flow.
    pub fn add_flow(
        &mut self,
        table_id: u8,
        priority: u16,
        m: &Match,
        cookie: u64,
        instructions: Vec<Instruction>,
    ) {
        self.flows.insert(
            FlowKey::new(table_id, priority, m),
            FlowEntry {
                cookie,
                instructions,
            },
        );
    }

    /// Leaves out everything that uses a vendor extension (for a switch that does not speak
    /// Open vSwitch's): groups with such an action in a bucket, and flows that match on a
    /// vendor field, carry such an action or instruction, or use a group left out. A conntrack
    /// commit that only records state is taken out of its flow instead, which keeps the rest
    /// ([`ofproto::nx::is_ct_commit_only`]: a default-deny group's allow rules stay
    /// allow rules, stateless). A flow left out falls through to a lower-priority one (an ARP
    /// request the responder would have answered is flooded; a default-deny group stays
    /// closed, without its conntrack exceptions). How many flows and groups were left out or
    /// changed.
    pub fn strip_extensions(&mut self) -> usize {
        use ofproto::nx::is_ct_commit_only;
        let groups: Vec<u32> = self
            .groups
            .iter()
            .filter(|(_, g)| {
                g.buckets
                    .iter()
                    .any(|b| b.actions.iter().any(ofproto::Action::is_extension))
            })
            .map(|(id, _)| *id)
            .collect();
        for id in &groups {
            self.groups.remove(id);
        }
        let uses_gone_group = |i: &Instruction| match i {
            Instruction::ApplyActions(a) | Instruction::WriteActions(a) => a
                .iter()
                .any(|a| matches!(a, ofproto::Action::Group(g) if groups.contains(g))),
            _ => false,
        };
        let mut touched = groups.len();
        self.flows.retain(|k, f| {
            if k.r#match.uses_extensions() {
                touched += 1;
                return false;
            }
            let before = f.instructions.clone();
            for i in &mut f.instructions {
                if let Instruction::ApplyActions(a) = i {
                    a.retain(|a| !is_ct_commit_only(a));
                }
            }
            f.instructions
                .retain(|i| !matches!(i, Instruction::ApplyActions(a) if a.is_empty()));
            let keep = !f
                .instructions
                .iter()
                .any(|i| i.uses_extensions() || uses_gone_group(i));
            touched += usize::from(!keep || f.instructions != before);
            keep
        });
        touched
    }

    /// The state a switch reports: its flow-stats, group-desc and meter-config replies, with
    /// every match in canonical form. Counters, timeouts and flags are not part of the state.
    pub fn from_switch(
        flows: &[FlowStats],
        groups: &[GroupDesc],
        meters: &[MeterConfig],
    ) -> SwitchState {
        let mut s = SwitchState::default();
        for f in flows {
            s.add_flow(
                f.table_id,
                f.priority,
                &f.r#match,
                f.cookie,
                f.instructions.clone(),
            );
        }
        s.groups = groups
            .iter()
            .map(|g| {
                let entry = GroupEntry {
                    group_type: g.group_type,
                    buckets: g.buckets.clone(),
                };
                (g.group_id, entry)
            })
            .collect();
        s.meters = meters
            .iter()
            .map(|m| {
                let entry = MeterEntry {
                    flags: m.flags,
                    bands: m.bands.clone(),
                };
                (m.meter_id, entry)
            })
            .collect();
        s
    }
}

/// Sort key of a field: OpenFlow basic fields first, by field number, then the fields of
/// other classes (Nicira, experimenter) by class and field number. A basic field's
/// prerequisites have lower field numbers, and Open vSwitch checks prerequisites in wire
/// order (`OFPBMC_BAD_PREREQ` for `ip_proto` before `eth_type`), so a canonical match is
/// also one a switch accepts.
fn field_order(f: &OxmField) -> (bool, u16, u8) {
    let h = f.header();
    let class = (h >> 16) as u16;
    (
        class != OFPXMC_OPENFLOW_BASIC,
        class,
        ((h >> 9) & 0x7f) as u8,
    )
}

/// The canonical form of a match: fields sorted (basic fields first, by field number, which
/// puts every prerequisite before the fields that need it), masked values reduced to
/// `value & mask`, all-ones masks turned into exact matches, and fields with an all-zero mask
/// (which match everything, and which a switch does not report back) left out. Two matches
/// that select the same packets with the same fields have the same canonical form.
pub fn canonical_match(m: &Match) -> Match {
    let mut fields: Vec<OxmField> = m.fields.iter().filter_map(canonical_field).collect();
    fields.sort_by_key(field_order);
    Match { fields }
}

/// The canonical form of one field; `None` when its mask is all zeros.
fn canonical_field(f: &OxmField) -> Option<OxmField> {
    macro_rules! canon {
        ($( $v:ident ),*) => {
            match f {
                $( OxmField::$v(m) => canonical_masked(*m).map(OxmField::$v), )*
                other => Some(other.clone()),
            }
        };
    }
    canon!(
        Metadata, EthDst, EthSrc, VlanVid, Ipv4Src, Ipv4Dst, ArpSpa, ArpTpa, ArpSha, ArpTha,
        Ipv6Src, Ipv6Dst, Ipv6Flabel, PbbIsid, TunnelId, Ipv6Exthdr
    )
}

fn canonical_masked<T: Bits>(m: ofproto::Masked<T>) -> Option<ofproto::Masked<T>> {
    match m.mask {
        Some(mask) if mask.is_all_ones() => Some(ofproto::Masked::exact(m.value)),
        Some(mask) if mask.is_zero() => None,
        Some(mask) => Some(ofproto::Masked::new(m.value.and(mask), mask)),
        None => Some(m),
    }
}

/// Bitwise operations on masked OXM values.
trait Bits: Copy {
    fn and(self, mask: Self) -> Self;
    fn is_all_ones(self) -> bool;
    fn is_zero(self) -> bool;
}

macro_rules! int_bits {
    ($($t:ty),*) => {$(
        impl Bits for $t {
            fn and(self, mask: Self) -> Self {
                self & mask
            }
            fn is_all_ones(self) -> bool {
                self == <$t>::MAX
            }
            fn is_zero(self) -> bool {
                self == 0
            }
        }
    )*};
}
int_bits!(u16, u32, u64);

impl Bits for ofproto::MacAddr {
    fn and(self, mask: Self) -> Self {
        let mut out = self.0;
        out.iter_mut().zip(mask.0).for_each(|(b, m)| *b &= m);
        ofproto::MacAddr(out)
    }
    fn is_all_ones(self) -> bool {
        self.0 == [0xff; 6]
    }
    fn is_zero(self) -> bool {
        self.0 == [0; 6]
    }
}

impl Bits for std::net::Ipv4Addr {
    fn and(self, mask: Self) -> Self {
        (u32::from(self) & u32::from(mask)).into()
    }
    fn is_all_ones(self) -> bool {
        u32::from(self) == u32::MAX
    }
    fn is_zero(self) -> bool {
        self.is_unspecified()
    }
}

impl Bits for std::net::Ipv6Addr {
    fn and(self, mask: Self) -> Self {
        (u128::from(self) & u128::from(mask)).into()
    }
    fn is_all_ones(self) -> bool {
        u128::from(self) == u128::MAX
    }
    fn is_zero(self) -> bool {
        self.is_unspecified()
    }
}

impl Bits for ofproto::oxm::U24 {
    fn and(self, mask: Self) -> Self {
        ofproto::oxm::U24(self.0 & mask.0)
    }
    fn is_all_ones(self) -> bool {
        self.0 == 0x00ff_ffff
    }
    fn is_zero(self) -> bool {
        self.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ofproto::Masked;
    use std::net::Ipv4Addr;

    #[test]
    fn canonical_sorts_and_normalises_masks() {
        let a = Match::new()
            .with(OxmField::Ipv4Src(Masked::new(
                Ipv4Addr::new(10, 1, 2, 3),
                Ipv4Addr::new(255, 0, 0, 0),
            )))
            .with(OxmField::EthType(0x0800))
            .with(OxmField::TunnelId(Masked::new(5, u64::MAX)));
        let b = Match::new()
            .with(OxmField::TunnelId(Masked::exact(5)))
            .with(OxmField::EthType(0x0800))
            .with(OxmField::Ipv4Src(Masked::new(
                Ipv4Addr::new(10, 0, 0, 0),
                Ipv4Addr::new(255, 0, 0, 0),
            )));
        assert_eq!(canonical_match(&a), canonical_match(&b));
        assert_eq!(
            canonical_match(&a).fields[0],
            OxmField::EthType(0x0800),
            "basic fields sorted by field number"
        );
        assert_ne!(
            canonical_match(&a),
            canonical_match(&Match::new().with(OxmField::EthType(0x0800)))
        );
    }

    #[test]
    fn canonical_puts_basic_fields_and_prerequisites_first() {
        let reg0 = OxmField::Raw(ofproto::oxm::RawOxm {
            class: 0x0001,
            field: 0,
            hasmask: false,
            payload: vec![0, 0, 0, 7],
        });
        let m = Match::new()
            .with(reg0.clone())
            .with(OxmField::TcpDst(80))
            .with(OxmField::IpProto(6))
            .with(OxmField::EthType(0x0800));
        let c = canonical_match(&m);
        let want = [
            OxmField::EthType(0x0800),
            OxmField::IpProto(6),
            OxmField::TcpDst(80),
            reg0,
        ];
        assert_eq!(c.fields, want);
        assert!(c.check_prerequisites().is_ok());
    }

    #[test]
    fn canonical_drops_fields_with_an_all_zero_mask() {
        let m = Match::new()
            .with(OxmField::Metadata(Masked::new(7, 0)))
            .with(OxmField::EthType(0x0800))
            .with(OxmField::Ipv4Dst(Masked::new(
                Ipv4Addr::new(10, 0, 0, 1),
                Ipv4Addr::UNSPECIFIED,
            )));
        assert_eq!(
            canonical_match(&m),
            Match::new().with(OxmField::EthType(0x0800))
        );
    }
}
