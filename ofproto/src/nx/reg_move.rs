//! `NXAST_REG_MOVE` (`move:SRC[]->DST[]` in `ovs-ofctl`): copies bits of one field into
//! another, which OpenFlow 1.3 cannot do (the ARP responder's `eth_src -> eth_dst`,
//! `arp_sha -> arp_tha`, `arp_spa -> arp_tpa`).
//!
//! # Wire format (`struct nx_action_reg_move`, Open vSwitch `lib/ofp-actions.c`)
//!
//! ```text
//!  0      2      4              8        10       12        14        16          20          24
//! +------+------+--------------+--------+--------+---------+---------+-----------+-----------+
//! |0xffff|  24  |  0x00002320  |   6    | n_bits | src_ofs | dst_ofs | src header| dst header|
//! +------+------+--------------+--------+--------+---------+---------+-----------+-----------+
//!  type   len    vendor (NX)    subtype                                NXM/OXM     NXM/OXM
//! ```
//!
//! Copies `src[src_ofs .. src_ofs + n_bits]` to `dst[dst_ofs .. dst_ofs + n_bits]`. The
//! headers are 32-bit NXM/OXM headers ([`NxmHeader`]); Open vSwitch also accepts 64-bit
//! experimenter OXM headers there, which this module does not type.
//!
//! Open vSwitch 3.1 encodes a `move` in OpenFlow 1.3 as `NXAST_REG_MOVE` (not the ONF
//! `copy_field` action) and writes both fields with their oldest header, the NXM one, in
//! flow-mods and flow-stats replies alike; a controller that sends those headers reads back
//! exactly what it sent.

use super::{NxError, NxmHeader};

/// Subtype of `NXAST_REG_MOVE`.
pub const NXAST_REG_MOVE: u16 = 6;

/// Bytes after the vendor id.
const LEN: usize = 16;

/// `NXAST_REG_MOVE`: copy `n_bits` bits from `src` at `src_ofs` to `dst` at `dst_ofs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegMove {
    /// Number of bits copied.
    pub n_bits: u16,
    /// First bit of the source.
    pub src_ofs: u16,
    /// First bit of the destination.
    pub dst_ofs: u16,
    /// The source field.
    pub src: NxmHeader,
    /// The destination field.
    pub dst: NxmHeader,
}

impl RegMove {
    /// `move:SRC[]->DST[]`: the whole of `src` into `dst` (offsets 0, `n_bits` the width);
    /// the two fields must be equally wide.
    pub fn whole(src: NxmHeader, dst: NxmHeader) -> Result<RegMove, NxError> {
        if src.bits() != dst.bits() {
            return Err(NxError::WidthMismatch {
                src_bits: src.bits(),
                dst_bits: dst.bits(),
            });
        }
        Ok(RegMove {
            n_bits: src.bits(),
            src_ofs: 0,
            dst_ofs: 0,
            src,
            dst,
        })
    }

    /// Reads the action's `data` (from the subtype on).
    pub(super) fn decode(data: &[u8]) -> Result<RegMove, NxError> {
        const WHAT: &str = "NXAST_REG_MOVE";
        if data.len() < LEN {
            return Err(NxError::Length {
                what: WHAT,
                len: data.len(),
                expected: LEN,
            });
        }
        let u16_at = |i: usize| u16::from_be_bytes([data[i], data[i + 1]]);
        let header_at = |i: usize| {
            NxmHeader(u32::from_be_bytes([
                data[i],
                data[i + 1],
                data[i + 2],
                data[i + 3],
            ]))
        };
        let (src, dst) = (header_at(8), header_at(12));
        if [src, dst]
            .iter()
            .any(|h| h.class() == crate::oxm::OFPXMC_EXPERIMENTER)
        {
            return Err(NxError::Unsupported {
                what: WHAT,
                form: "an experimenter OXM header",
            });
        }
        if data[LEN..].iter().any(|b| *b != 0) {
            return Err(NxError::NonZeroPadding { what: WHAT });
        }
        if data.len() != LEN {
            return Err(NxError::Length {
                what: WHAT,
                len: data.len(),
                expected: LEN,
            });
        }
        Ok(RegMove {
            n_bits: u16_at(2),
            src_ofs: u16_at(4),
            dst_ofs: u16_at(6),
            src,
            dst,
        })
    }

    /// Writes the action's `data` (from the subtype on).
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&NXAST_REG_MOVE.to_be_bytes());
        out.extend_from_slice(&self.n_bits.to_be_bytes());
        out.extend_from_slice(&self.src_ofs.to_be_bytes());
        out.extend_from_slice(&self.dst_ofs.to_be_bytes());
        out.extend_from_slice(&self.src.0.to_be_bytes());
        out.extend_from_slice(&self.dst.0.to_be_bytes());
    }
}
