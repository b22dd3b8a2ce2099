//! NXM/OXM field headers, as `NXAST_REG_MOVE` names its fields (Open vSwitch
//! `include/openflow/nicira-ext.h`, `lib/nx-match.c`).

use crate::oxm::OFPXMC_OPENFLOW_BASIC;

/// NXM class of the fields Open vSwitch inherited from OpenFlow 1.0 (`NXM_OF_*`).
pub const NXM_0: u16 = 0x0000;
/// NXM class of Nicira's own fields (`NXM_NX_*`).
pub const NXM_1: u16 = 0x0001;

/// A 32-bit NXM or OXM header: `class << 16 | field << 9 | hasmask << 8 | length`, where
/// `length` is the payload length in bytes (twice the field width when masked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NxmHeader(pub u32);

impl NxmHeader {
    /// `NXM_OF_ETH_DST`: `eth_dst`.
    pub const ETH_DST: NxmHeader = NxmHeader::new(NXM_0, 1, 6);
    /// `NXM_OF_ETH_SRC`: `eth_src`.
    pub const ETH_SRC: NxmHeader = NxmHeader::new(NXM_0, 2, 6);
    /// `NXM_OF_IP_SRC`: `ipv4_src`.
    pub const IP_SRC: NxmHeader = NxmHeader::new(NXM_0, 7, 4);
    /// `NXM_OF_IP_DST`: `ipv4_dst`.
    pub const IP_DST: NxmHeader = NxmHeader::new(NXM_0, 8, 4);
    /// `NXM_OF_ARP_SPA`: `arp_spa`.
    pub const ARP_SPA: NxmHeader = NxmHeader::new(NXM_0, 16, 4);
    /// `NXM_OF_ARP_TPA`: `arp_tpa`.
    pub const ARP_TPA: NxmHeader = NxmHeader::new(NXM_0, 17, 4);
    /// `NXM_NX_ARP_SHA`: `arp_sha`.
    pub const ARP_SHA: NxmHeader = NxmHeader::new(NXM_1, 17, 6);
    /// `NXM_NX_ARP_THA`: `arp_tha`.
    pub const ARP_THA: NxmHeader = NxmHeader::new(NXM_1, 18, 6);
    /// `NXM_NX_TUN_IPV4_DST`: `tun_dst` (no OXM of its own).
    pub const TUN_IPV4_DST: NxmHeader = NxmHeader::new(NXM_1, 32, 4);
    /// `NXM_NX_CT_STATE`: `ct_state`.
    pub const CT_STATE: NxmHeader = NxmHeader::new(NXM_1, 105, 4);

    /// The header of an unmasked field of `length` bytes.
    pub const fn new(class: u16, field: u8, length: u8) -> NxmHeader {
        NxmHeader((class as u32) << 16 | ((field & 0x7f) as u32) << 9 | length as u32)
    }

    /// The class (`0x0000`/`0x0001` NXM, `0x8000` OpenFlow basic, `0xffff` experimenter).
    pub const fn class(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The field number (7 bits).
    pub const fn field(self) -> u8 {
        ((self.0 >> 9) & 0x7f) as u8
    }

    /// The has-mask bit.
    pub const fn has_mask(self) -> bool {
        self.0 & 0x100 != 0
    }

    /// The payload length in bytes.
    pub const fn length(self) -> u8 {
        self.0 as u8
    }

    /// The field width in bits (the payload without its mask).
    pub const fn bits(self) -> u16 {
        let len = self.length() as u16;
        if self.has_mask() {
            len / 2 * 8
        } else {
            len * 8
        }
    }

    /// The OpenFlow 1.3 basic field (`OFPXMT_OFB_*`) this header names: an OXM basic header's
    /// own field, or the basic field of the NXM headers named here that have one.
    pub fn basic_field(self) -> Option<u8> {
        match (self.class(), self.field()) {
            (OFPXMC_OPENFLOW_BASIC, f) => Some(f),
            (NXM_0, 1) => Some(3),
            (NXM_0, 2) => Some(4),
            (NXM_0, 7) => Some(11),
            (NXM_0, 8) => Some(12),
            (NXM_0, 16) => Some(22),
            (NXM_0, 17) => Some(23),
            (NXM_1, 17) => Some(24),
            (NXM_1, 18) => Some(25),
            _ => None,
        }
    }
}
