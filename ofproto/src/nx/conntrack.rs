//! Connection tracking: the `NXAST_CT` action (`ct(...)` in `ovs-ofctl`) and the `ct_state`
//! match field (`NXM_NX_CT_STATE`), for stateful default-deny groups.
//!
//! # Wire format (`struct nx_action_conntrack`, Open vSwitch `lib/ofp-actions.c`)
//!
//! ```text
//!  0      2      4              8        10      12          16     18      19    22    24
//! +------+------+--------------+--------+-------+-----------+------+-------+-----+-----+
//! |0xffff|  24  |  0x00002320  |   35   | flags | zone_src  | zone | table | pad | alg |
//! +------+------+--------------+--------+-------+-----------+------+-------+-----+-----+
//!  type   len    vendor (NX)    subtype  COMMIT  0:immediate         255:none
//! ```
//!
//! Nested actions (`exec(...)`, `nat`) would follow; this module types the action without
//! them, with an immediate zone and the `commit` flag, which is what the compiler sends.
//!
//! `ct_state` is `NXM_NX_CT_STATE` (class `0x0001`, field 105, 32 bits, maskable), the
//! [`CtState`] bits; matched as [`super::NxField::CtState`].

use super::NxError;
use crate::oxm::OxmValue;
use crate::Action;
use bytes::BytesMut;
use std::ops::BitOr;

/// Subtype of `NXAST_CT`.
pub const NXAST_CT: u16 = 35;
/// `NX_CT_F_COMMIT`: commit the connection to the tracker.
const NX_CT_F_COMMIT: u16 = 1;
/// `NX_CT_RECIRC_NONE`: no recirculation.
const NX_CT_RECIRC_NONE: u8 = 255;
/// Bytes after the vendor id (without nested actions).
const LEN: usize = 16;
/// The action's name in errors.
const WHAT: &str = "NXAST_CT";

/// `ct(commit?, table=T?, zone=Z, alg=A?)`: sends the packet through the connection tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conntrack {
    /// `commit`: record the connection in the tracker.
    pub commit: bool,
    /// The conntrack zone (an immediate value).
    pub zone: u16,
    /// `table=T`: run the packet, now tracked (`ct_state` set), through table `T` (below 255)
    /// again; `None` for no recirculation.
    pub recirc_table: Option<u8>,
    /// The application-layer gateway by its well-known port (21 FTP, 69 TFTP); 0 for none.
    pub alg: u16,
}

impl Conntrack {
    /// Whether the action only commits the connection (no recirculation): it records state
    /// and changes nothing about the packet or its path, so a switch without conntrack can
    /// do the rest of its flow without it.
    pub fn only_commits(&self) -> bool {
        self.commit && self.recirc_table.is_none()
    }

    /// Reads the action's `data` (from the subtype on).
    pub(super) fn decode(data: &[u8]) -> Result<Conntrack, NxError> {
        if data.len() < LEN {
            return Err(NxError::Length {
                what: WHAT,
                len: data.len(),
                expected: LEN,
            });
        }
        if data.len() > LEN {
            return Err(NxError::Unsupported {
                what: WHAT,
                form: "nested actions",
            });
        }
        let u16_at = |i: usize| u16::from_be_bytes([data[i], data[i + 1]]);
        let flags = u16_at(2);
        if flags & !NX_CT_F_COMMIT != 0 {
            return Err(NxError::UnsupportedFlags { what: WHAT, flags });
        }
        if data[4..8] != [0; 4] {
            return Err(NxError::Unsupported {
                what: WHAT,
                form: "a zone taken from a field",
            });
        }
        if data[11..14] != [0; 3] {
            return Err(NxError::NonZeroPadding { what: WHAT });
        }
        Ok(Conntrack {
            commit: flags & NX_CT_F_COMMIT != 0,
            zone: u16_at(8),
            recirc_table: (data[10] != NX_CT_RECIRC_NONE).then_some(data[10]),
            alg: u16_at(14),
        })
    }

    /// Writes the action's `data` (from the subtype on).
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&NXAST_CT.to_be_bytes());
        let flags = if self.commit { NX_CT_F_COMMIT } else { 0 };
        out.extend_from_slice(&flags.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes()); // zone_src: immediate
        out.extend_from_slice(&self.zone.to_be_bytes());
        out.push(self.recirc_table.unwrap_or(NX_CT_RECIRC_NONE));
        out.extend_from_slice(&[0; 3]);
        out.extend_from_slice(&self.alg.to_be_bytes());
    }
}

/// Whether `a` is a conntrack action that only commits ([`Conntrack::only_commits`]).
pub fn is_ct_commit_only(a: &Action) -> bool {
    matches!(super::NxAction::try_from(a), Ok(super::NxAction::Conntrack(ct)) if ct.only_commits())
}

/// Bits of Open vSwitch's `ct_state` (`CS_*` in `lib/packets.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CtState(pub u32);

impl CtState {
    /// No bit.
    pub const NONE: CtState = CtState(0);
    /// The start of a new connection.
    pub const NEW: CtState = CtState(1 << 0);
    /// Part of an established connection.
    pub const EST: CtState = CtState(1 << 1);
    /// Related to an established connection (ICMP errors).
    pub const REL: CtState = CtState(1 << 2);
    /// In the reply direction.
    pub const RPL: CtState = CtState(1 << 3);
    /// Invalid.
    pub const INV: CtState = CtState(1 << 4);
    /// Went through the tracker.
    pub const TRK: CtState = CtState(1 << 5);
    /// Source-NATed.
    pub const SNAT: CtState = CtState(1 << 6);
    /// Destination-NATed.
    pub const DNAT: CtState = CtState(1 << 7);
}

impl OxmValue for CtState {
    const WIDTH: usize = 4;
    fn read(b: &[u8]) -> Self {
        CtState(u32::read(b))
    }
    fn write(&self, buf: &mut BytesMut) {
        self.0.write(buf)
    }
}

impl BitOr for CtState {
    type Output = CtState;
    fn bitor(self, rhs: CtState) -> CtState {
        CtState(self.0 | rhs.0)
    }
}
