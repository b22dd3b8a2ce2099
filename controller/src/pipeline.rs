//! The fixed part of netplugin's OpenFlow pipeline: table numbers, the metadata layout and the
//! base flows every switch gets before (and whatever) the intent compiler adds.
//!
//! ```text
//! 0 classify -> 10 protocols -> 20 destination -> 30 policy -> 40 QoS -> 50 L3 -> 60 L2 forward
//! ```
//!
//! Tables are numbered in steps of ten so that stages can be inserted later without
//! renumbering. Each stage's job, the metadata layout and every base flow's reason are in
//! `docs/pipeline.md`.

use crate::cookie::{Cookie, OwnerKind};
use crate::desired::SwitchState;
use ofproto::{Instruction, MacAddr, Masked, Match, OxmField};

/// The tables of the pipeline, in packet order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Ingress: port, tunnel + VNI or uplink + VLAN to network and source EPG; port security.
    Classify = 0,
    /// ARP, IPv6 neighbour discovery and IGMP/MLD: answered locally or sent to the controller.
    Protocols = 10,
    /// Destination lookup: destination EPG (and whether the destination is local).
    Destination = 20,
    /// Policy: ACLs between source and destination EPG, at the source and destination host.
    Policy = 30,
    /// QoS: meters and DSCP marking.
    Qos = 40,
    /// L3 gateway (optional routing between networks).
    L3 = 50,
    /// L2 forward: known MAC to local port, tunnel or uplink; BUM traffic to flood groups.
    L2Forward = 60,
}

impl Table {
    /// Every table, in packet order.
    pub const ALL: [Table; 7] = [
        Table::Classify,
        Table::Protocols,
        Table::Destination,
        Table::Policy,
        Table::Qos,
        Table::L3,
        Table::L2Forward,
    ];

    /// The OpenFlow table id.
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The next table in packet order (`None` for the last).
    pub fn next(self) -> Option<Table> {
        let i = Table::ALL.iter().position(|t| *t == self)?;
        Table::ALL.get(i + 1).copied()
    }

    /// The instruction that continues in the next table (`None` for the last).
    pub fn goto_next(self) -> Option<Instruction> {
        self.next().map(|t| Instruction::GotoTable(t.id()))
    }
}

/// The 64-bit OpenFlow metadata register, written in [`Table::Classify`] and
/// [`Table::Destination`] and matched by the later tables.
///
/// ```text
///  63          40 39        24 23         8 7      0
/// +--------------+------------+------------+--------+
/// |  network id  |  src EPG   |  dst EPG   | flags  |
/// +--------------+------------+------------+--------+
///      24 bits      16 bits      16 bits     8 bits
/// ```
pub mod metadata {
    use ofproto::{Instruction, Masked, OxmField};

    /// Network id (the VNI of VXLAN networks): bits 63..40.
    pub const NETWORK_MASK: u64 = 0xff_ffff << 40;
    /// Source EPG: bits 39..24.
    pub const SRC_EPG_MASK: u64 = 0xffff << 24;
    /// Destination EPG: bits 23..8.
    pub const DST_EPG_MASK: u64 = 0xffff << 8;
    /// Flag: the packet came in from a tunnel (split horizon; policy already applied at the
    /// source host).
    pub const FROM_TUNNEL: u64 = 1 << 0;
    /// Flag: the packet came in from a physical uplink.
    pub const FROM_UPLINK: u64 = 1 << 1;
    /// Flag bits not assigned yet (bits 7..2).
    pub const FLAGS_RESERVED: u64 = 0xfc;
    /// Largest network id (24 bits).
    pub const NETWORK_MAX: u32 = 0xff_ffff;

    /// Bits of the metadata with the mask saying which ones they set or test.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Meta {
        /// The value (only bits inside `mask` are set).
        pub value: u64,
        /// Which bits are meant.
        pub mask: u64,
    }

    impl Meta {
        /// The network field.
        ///
        /// # Panics
        /// If `id` is above [`NETWORK_MAX`].
        pub fn network(id: u32) -> Meta {
            assert!(id <= NETWORK_MAX, "network id wider than 24 bits");
            Meta {
                value: u64::from(id) << 40,
                mask: NETWORK_MASK,
            }
        }

        /// The source EPG field.
        pub fn src_epg(epg: u16) -> Meta {
            Meta {
                value: u64::from(epg) << 24,
                mask: SRC_EPG_MASK,
            }
        }

        /// The destination EPG field.
        pub fn dst_epg(epg: u16) -> Meta {
            Meta {
                value: u64::from(epg) << 8,
                mask: DST_EPG_MASK,
            }
        }

        /// A flag bit ([`FROM_TUNNEL`], [`FROM_UPLINK`]) set or clear.
        pub fn flag(flag: u64, set: bool) -> Meta {
            Meta {
                value: if set { flag } else { 0 },
                mask: flag,
            }
        }

        /// Both fields (they must not overlap).
        pub fn and(self, other: Meta) -> Meta {
            debug_assert_eq!(self.mask & other.mask, 0, "overlapping metadata fields");
            Meta {
                value: self.value | other.value,
                mask: self.mask | other.mask,
            }
        }

        /// The instruction that writes these bits.
        pub fn write(self) -> Instruction {
            Instruction::WriteMetadata {
                metadata: self.value,
                mask: self.mask,
            }
        }

        /// The match field that tests these bits.
        pub fn to_match(self) -> OxmField {
            OxmField::Metadata(Masked::new(self.value, self.mask))
        }
    }
}

/// Priority bands shared by every table.
pub mod priority {
    /// The table-miss entry (empty match).
    pub const TABLE_MISS: u16 = 0;
    /// The base guards in [`super::Table::Classify`]; intent flows stay below, packet-in
    /// applications that must see guarded frames (LLDP) go above.
    pub const GUARD: u16 = 50_000;
}

/// One flow of the base pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseFlow {
    /// Table.
    pub table: Table,
    /// Priority.
    pub priority: u16,
    /// Match.
    pub r#match: Match,
    /// Instructions (empty: drop).
    pub instructions: Vec<Instruction>,
    /// Cookie: kind [`OwnerKind::BasePipeline`], id `table << 8 | rule number` (see
    /// [`base_cookie`]).
    pub cookie: u64,
    /// Why the flow exists.
    pub reason: &'static str,
}

/// The cookie of base rule `rule` of `table`: id bits 15..8 are the table id, bits 7..0 the
/// rule number, 0 being the table-miss entry.
pub fn base_cookie(table: Table, rule: u8) -> u64 {
    Cookie::new(
        OwnerKind::BasePipeline,
        u64::from(table.id()) << 8 | u64::from(rule),
    )
}

/// IEEE 802.1D reserved link-local destinations `01:80:c2:00:00:00/ff:ff:ff:ff:ff:f0`.
const LINK_LOCAL: Masked<MacAddr> = Masked {
    value: MacAddr([0x01, 0x80, 0xc2, 0, 0, 0]),
    mask: Some(MacAddr([0xff, 0xff, 0xff, 0xff, 0xff, 0xf0])),
};

/// The group bit of a MAC address.
const GROUP_BIT: Masked<MacAddr> = Masked {
    value: MacAddr([0x01, 0, 0, 0, 0, 0]),
    mask: Some(MacAddr([0x01, 0, 0, 0, 0, 0])),
};

/// The table-miss entry of `table`: drop in the first and last table, continue in the next
/// table elsewhere.
fn table_miss(table: Table) -> BaseFlow {
    let (instructions, reason) = match table.goto_next() {
        Some(_) if table == Table::Classify => (
            Vec::new(),
            "default deny: a frame from a port, tunnel or VLAN no intent classified is dropped",
        ),
        Some(goto) => (
            vec![goto],
            "a stage with nothing to say about a frame passes it to the next stage",
        ),
        None => (
            Vec::new(),
            "no forwarding entry and no flood entry for the destination: drop",
        ),
    };
    BaseFlow {
        table,
        priority: priority::TABLE_MISS,
        r#match: Match::new(),
        instructions,
        cookie: base_cookie(table, 0),
        reason,
    }
}

/// A drop entry in [`Table::Classify`] at [`priority::GUARD`].
fn guard(rule: u8, field: OxmField, reason: &'static str) -> BaseFlow {
    BaseFlow {
        table: Table::Classify,
        priority: priority::GUARD,
        r#match: Match::new().with(field),
        instructions: Vec::new(),
        cookie: base_cookie(Table::Classify, rule),
        reason,
    }
}

/// The guards of [`Table::Classify`]: frames no switch port should ever accept.
fn guards() -> [BaseFlow; 3] {
    [
        guard(
            1,
            OxmField::EthSrc(GROUP_BIT),
            "a multicast or broadcast source MAC is never a station: forged or looped frame",
        ),
        guard(
            2,
            OxmField::EthSrc(Masked::exact(MacAddr([0; 6]))),
            "the all-zero source MAC is not a valid station address",
        ),
        guard(
            3,
            OxmField::EthDst(LINK_LOCAL),
            "IEEE 802.1D link-local destination (STP, pause, LACP, 802.1X, LLDP): bridges \
             must not forward it",
        ),
    ]
}

/// Every base flow: the guards, then one table-miss entry per table.
pub fn base_flows() -> Vec<BaseFlow> {
    guards()
        .into_iter()
        .chain(Table::ALL.into_iter().map(table_miss))
        .collect()
}

/// The base pipeline as the state a switch with no intent should hold.
pub fn base_pipeline() -> SwitchState {
    let mut s = SwitchState::default();
    for f in base_flows() {
        s.add_flow(
            f.table.id(),
            f.priority,
            &f.r#match,
            f.cookie,
            f.instructions,
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::metadata::*;
    use super::*;
    use crate::cookie::is_ours;

    #[test]
    fn tables_go_forward_and_end_in_l2() {
        let ids: Vec<u8> = Table::ALL.iter().map(|t| t.id()).collect();
        assert_eq!(ids, [0, 10, 20, 30, 40, 50, 60]);
        assert_eq!(Table::Classify.next(), Some(Table::Protocols));
        assert_eq!(Table::L2Forward.next(), None);
        assert!(Table::ALL.windows(2).all(|w| w[0].id() < w[1].id()));
    }

    #[test]
    fn every_table_has_a_miss_entry() {
        let s = base_pipeline();
        for t in Table::ALL {
            let miss = s
                .flows
                .iter()
                .find(|(k, _)| k.table_id == t.id() && k.priority == 0)
                .map(|(k, e)| (k.r#match.fields.is_empty(), e.instructions.clone()));
            let want = match t {
                Table::Classify | Table::L2Forward => vec![],
                t => vec![Instruction::GotoTable(t.next().unwrap().id())],
            };
            assert_eq!(miss, Some((true, want)), "{t:?}");
        }
    }

    #[test]
    fn base_flows_are_ours_distinct_and_explained() {
        let flows = base_flows();
        assert_eq!(base_pipeline().flows.len(), flows.len(), "distinct keys");
        let mut cookies: Vec<u64> = flows.iter().map(|f| f.cookie).collect();
        cookies.sort_unstable();
        cookies.dedup();
        assert_eq!(cookies.len(), flows.len(), "distinct cookies");
        for f in &flows {
            let c = Cookie::parse(f.cookie).unwrap();
            assert_eq!(c.kind, OwnerKind::BasePipeline);
            assert_eq!(c.id >> 8, u64::from(f.table.id()));
            assert!(is_ours(f.cookie) && !f.reason.is_empty());
            assert!(f.r#match.check_prerequisites().is_ok());
        }
        assert_eq!(base_cookie(Table::L2Forward, 0), 0x4e50_0100_0000_3c00);
    }

    #[test]
    fn classify_drops_group_source_and_link_local_destination() {
        let s = base_pipeline();
        let guarded = |f: OxmField| {
            let k = crate::desired::FlowKey::new(0, priority::GUARD, &Match::new().with(f));
            s.flows.get(&k).map(|e| e.instructions.is_empty())
        };
        assert_eq!(guarded(OxmField::EthSrc(GROUP_BIT)), Some(true));
        assert_eq!(guarded(OxmField::EthDst(LINK_LOCAL)), Some(true));
    }

    #[test]
    fn metadata_fields_do_not_overlap_and_fill_64_bits() {
        let masks = [
            NETWORK_MASK,
            SRC_EPG_MASK,
            DST_EPG_MASK,
            FROM_TUNNEL,
            FROM_UPLINK,
            FLAGS_RESERVED,
        ];
        assert_eq!(masks.iter().map(|m| m.count_ones()).sum::<u32>(), 64);
        assert_eq!(masks.iter().fold(0, |a, m| a | m), u64::MAX);
        let m = Meta::network(NETWORK_MAX)
            .and(Meta::src_epg(0xffff))
            .and(Meta::dst_epg(1))
            .and(Meta::flag(FROM_TUNNEL, true));
        assert_eq!(m.value, 0xffff_ffff_ff00_0101);
        assert_eq!(m.mask, 0xffff_ffff_ffff_ff01);
        assert_eq!(
            Meta::network(5).write(),
            Instruction::WriteMetadata {
                metadata: 5 << 40,
                mask: NETWORK_MASK
            }
        );
        assert_eq!(
            Meta::flag(FROM_UPLINK, false).to_match(),
            OxmField::Metadata(Masked::new(0, FROM_UPLINK))
        );
    }
}
