//! The Open vSwitch (Nicira) experimenter actions the fake switch executes: only
//! `NXAST_REG_MOVE` (`move:SRC[]->DST[]`), for whole-field copies between equally wide fields
//! it models: `eth_src`/`eth_dst`, `arp_sha`/`arp_tha`, `arp_spa`/`arp_tpa` (and
//! `ipv4_src`/`ipv4_dst`). Every other experimenter action is still ignored (a trace note).
//!
//! Layout after the 4-byte action header and the 4-byte vendor id `0x00002320` (the
//! `data` of [`ofproto::Action::Experimenter`]), from Open vSwitch's `struct
//! nx_action_reg_move`: `subtype` (6), `n_bits`, `src_ofs`, `dst_ofs` (16 bits each), then
//! the source and destination NXM/OXM headers (32 bits each, no mask).

use crate::packet::Packet;

/// Nicira's experimenter id (`NX_VENDOR_ID`).
pub const NX_VENDOR_ID: u32 = 0x0000_2320;
/// Subtype of `NXAST_REG_MOVE`.
pub const NXAST_REG_MOVE: u16 = 6;

/// A decoded `NXAST_REG_MOVE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegMove {
    /// Number of bits copied.
    pub n_bits: u16,
    /// First bit of the source.
    pub src_ofs: u16,
    /// First bit of the destination.
    pub dst_ofs: u16,
    /// Source field header (NXM or OXM).
    pub src: u32,
    /// Destination field header (NXM or OXM).
    pub dst: u32,
}

impl RegMove {
    /// Decodes the `data` of a Nicira experimenter action; `None` when it is not a
    /// `NXAST_REG_MOVE` with 32-bit headers.
    pub fn decode(experimenter: u32, data: &[u8]) -> Option<RegMove> {
        if experimenter != NX_VENDOR_ID || data.len() < 16 {
            return None;
        }
        let u16_at = |i: usize| u16::from_be_bytes([data[i], data[i + 1]]);
        let u32_at =
            |i: usize| u32::from_be_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
        if u16_at(0) != NXAST_REG_MOVE {
            return None;
        }
        Some(RegMove {
            n_bits: u16_at(2),
            src_ofs: u16_at(4),
            dst_ofs: u16_at(6),
            src: u32_at(8),
            dst: u32_at(12),
        })
    }

    /// Runs the copy on `pkt`. Returns an explanation when the model cannot do it (a partial
    /// copy, a field it does not model or the packet lacks, fields of different widths); the
    /// packet is then left alone.
    pub fn apply(&self, pkt: &mut Packet) -> Result<(), String> {
        let (Some((src, src_bits)), Some((dst, dst_bits))) =
            (basic_code(self.src), basic_code(self.dst))
        else {
            return Err(format!(
                "move between fields {:#010x} -> {:#010x} not modelled",
                self.src, self.dst
            ));
        };
        if self.src_ofs != 0 || self.dst_ofs != 0 || self.n_bits != src_bits || src_bits != dst_bits
        {
            return Err(format!(
                "move of {} bits at {}/{} not modelled (whole fields only)",
                self.n_bits, self.src_ofs, self.dst_ofs
            ));
        }
        let value = pkt
            .field_bytes(src)
            .ok_or_else(|| format!("move from field {src} that the packet lacks"))?;
        if pkt.field_bytes(dst).is_none() {
            return Err(format!("move to field {dst} that the packet lacks"));
        }
        if pkt.set_field_bytes(dst, &value) {
            Ok(())
        } else {
            Err(format!("move to field {dst} not modelled"))
        }
    }
}

/// The OpenFlow basic field code and width in bits of a movable field, by its NXM or OXM
/// header (the mask bit and the length byte are ignored).
fn basic_code(header: u32) -> Option<(u8, u16)> {
    let class = (header >> 16) as u16;
    let field = ((header >> 9) & 0x7f) as u8;
    Some(match (class, field) {
        // NXM_OF_ETH_DST, NXM_OF_ETH_SRC; OXM ETH_DST, ETH_SRC.
        (0x0000, 1) | (0x8000, 3) => (3, 48),
        (0x0000, 2) | (0x8000, 4) => (4, 48),
        // NXM_OF_IP_SRC, NXM_OF_IP_DST; OXM IPV4_SRC, IPV4_DST.
        (0x0000, 7) | (0x8000, 11) => (11, 32),
        (0x0000, 8) | (0x8000, 12) => (12, 32),
        // NXM_OF_ARP_SPA, NXM_OF_ARP_TPA; OXM ARP_SPA, ARP_TPA.
        (0x0000, 16) | (0x8000, 22) => (22, 32),
        (0x0000, 17) | (0x8000, 23) => (23, 32),
        // NXM_NX_ARP_SHA, NXM_NX_ARP_THA; OXM ARP_SHA, ARP_THA.
        (0x0001, 17) | (0x8000, 24) => (24, 48),
        (0x0001, 18) | (0x8000, 25) => (25, 48),
        _ => return None,
    })
}
