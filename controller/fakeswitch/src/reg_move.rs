//! Running Open vSwitch's `NXAST_REG_MOVE` (`move:SRC[]->DST[]`, decoded by
//! [`ofproto::nx::RegMove`]) on a packet: whole-field copies between equally wide fields the
//! model has, `eth_src`/`eth_dst`, `arp_sha`/`arp_tha`, `arp_spa`/`arp_tpa` and
//! `ipv4_src`/`ipv4_dst`, named by their NXM or OXM headers. Any other move is not run.

use crate::packet::Packet;
use ofproto::nx::{NxmHeader, RegMove};
use ofproto::OxmField;
use std::fmt;

/// The OpenFlow basic fields a move can copy between.
const MOVABLE: [u8; 8] = [3, 4, 11, 12, 22, 23, 24, 25];

/// Why a move was not run (the packet is left alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotRun {
    /// A field the model does not copy.
    Fields(NxmHeader, NxmHeader),
    /// Part of a field, or fields of different widths.
    Partial(RegMove),
    /// The packet lacks the source field (basic field code).
    LacksSource(u8),
    /// The packet lacks the destination field.
    LacksDestination(u8),
    /// The model cannot set the destination field.
    CannotSet(u8),
}

impl fmt::Display for NotRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotRun::Fields(src, dst) => {
                write!(
                    f,
                    "move between fields {:#010x} -> {:#010x} not modelled",
                    src.0, dst.0
                )
            }
            NotRun::Partial(mv) => write!(
                f,
                "move of {} bits at {}/{} not modelled (whole fields only)",
                mv.n_bits, mv.src_ofs, mv.dst_ofs
            ),
            NotRun::LacksSource(code) => write!(f, "move from field {code} that the packet lacks"),
            NotRun::LacksDestination(code) => {
                write!(f, "move to field {code} that the packet lacks")
            }
            NotRun::CannotSet(code) => write!(f, "move to field {code} not modelled"),
        }
    }
}

/// Runs the copy on `pkt`, or says why the model cannot (the packet is then left alone).
pub(crate) fn apply(mv: &RegMove, pkt: &mut Packet) -> Result<(), NotRun> {
    let (Some((src, src_bits)), Some((dst, dst_bits))) = (movable(mv.src), movable(mv.dst)) else {
        return Err(NotRun::Fields(mv.src, mv.dst));
    };
    if mv.src_ofs != 0 || mv.dst_ofs != 0 || mv.n_bits != src_bits || src_bits != dst_bits {
        return Err(NotRun::Partial(*mv));
    }
    let value = pkt.field_bytes(src).ok_or(NotRun::LacksSource(src))?;
    if pkt.field_bytes(dst).is_none() {
        return Err(NotRun::LacksDestination(dst));
    }
    if pkt.set_field_bytes(dst, &value) {
        Ok(())
    } else {
        Err(NotRun::CannotSet(dst))
    }
}

/// The basic field code and width in bits of a field a move can copy, by its NXM or OXM
/// header (the mask bit and the length byte are ignored).
fn movable(header: NxmHeader) -> Option<(u8, u16)> {
    let code = header.basic_field().filter(|c| MOVABLE.contains(c))?;
    let bytes = OxmField::basic_width(code)?;
    Some((code, bytes as u16 * 8))
}
