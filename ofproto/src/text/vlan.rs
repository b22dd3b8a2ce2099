//! The VLAN part of a match in Open vSwitch's terms: one 16-bit TCI (VID, present bit and PCP)
//! written as `dl_vlan`, `dl_vlan_pcp` or `vlan_tci`, and mapped to `VLAN_VID` / `VLAN_PCP` the
//! way Open vSwitch maps it for OpenFlow 1.3.

use super::TextError;
use crate::oxm::{Masked, OxmField, OFPVID_PRESENT};

/// VID plus the present ("CFI") bit.
const VID_CFI: u16 = 0x1fff;
/// The VID alone.
const VID: u16 = 0x0fff;
/// The PCP bits of a TCI.
const PCP: u16 = 0xe000;

/// Writes VLAN_VID and VLAN_PCP as `ovs-ofctl` prints them; `None` when they have no exact
/// TCI equivalent (the caller then writes `vlan_vid=` / `vlan_pcp=` literally).
pub(crate) fn format_tci(vid: Masked<u16>, pcp: Option<u8>) -> Option<Vec<String>> {
    let mut value = vid.value;
    let mut mask = vid.mask.unwrap_or(VID_CFI);
    let canonical = mask != 0
        && (value | mask) & !VID_CFI == 0
        && value & !mask == 0
        && !(vid.mask.is_some() && mask == VID_CFI);
    if !canonical {
        return None;
    }
    if let Some(p) = pcp {
        if p > 7 || value == 0 {
            return None;
        }
        value |= (p as u16) << 13;
        mask |= PCP;
    }
    let present = mask & value & OFPVID_PRESENT != 0;
    let (vid_mask, pcp_mask) = (mask & VID, mask & PCP);
    if present
        && matches!(vid_mask, 0 | VID)
        && matches!(pcp_mask, 0 | PCP)
        && (vid_mask | pcp_mask) != 0
    {
        let mut out = Vec::new();
        if vid_mask != 0 {
            out.push(format!("dl_vlan={}", value & VID));
        }
        if pcp_mask != 0 {
            out.push(format!("dl_vlan_pcp={}", value >> 13));
        }
        Some(out)
    } else if mask == 0xffff {
        Some(vec![format!("vlan_tci=0x{value:04x}")])
    } else {
        Some(vec![format!("vlan_tci=0x{value:04x}/0x{mask:04x}")])
    }
}

/// Accumulates `dl_vlan`, `dl_vlan_pcp` and `vlan_tci` into one TCI value and mask.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Tci {
    value: u16,
    mask: u16,
}

impl Tci {
    /// `dl_vlan=VID` (`0xffff` for "no VLAN tag").
    pub(crate) fn vlan(&mut self, vid: u16) {
        self.value &= !VID_CFI;
        if vid != 0xffff {
            self.value |= OFPVID_PRESENT | vid;
        }
        self.mask |= VID_CFI;
    }

    /// `dl_vlan_pcp=PCP`.
    pub(crate) fn pcp(&mut self, pcp: u8) {
        self.value = (self.value & !PCP) | OFPVID_PRESENT | (pcp as u16) << 13;
        self.mask |= PCP | OFPVID_PRESENT;
    }

    /// `vlan_tci=VALUE/MASK`.
    pub(crate) fn set(&mut self, value: u16, mask: u16) {
        self.value = value;
        self.mask = mask;
    }

    /// The OXM fields for the TCI, as Open vSwitch encodes them for OpenFlow 1.3.
    pub(crate) fn into_fields(self) -> Result<Vec<OxmField>, TextError> {
        let mut out = Vec::new();
        let (vid, vid_mask) = (self.value & VID_CFI, self.mask & VID_CFI);
        if vid_mask == VID_CFI {
            out.push(OxmField::VlanVid(Masked::exact(vid)));
        } else if vid_mask != 0 {
            out.push(OxmField::VlanVid(Masked::new(vid, vid_mask)));
        }
        let text = || format!("0x{:04x}/0x{:04x}", self.value, self.mask);
        match self.mask & PCP {
            0 => {}
            PCP if vid != 0 => out.push(OxmField::VlanPcp((self.value >> 13) as u8)),
            PCP if self.value & PCP == 0 => {}
            PCP => {
                return Err(TextError::bad(
                    "vlan_tci",
                    &text(),
                    "a VLAN tag (VID or the 0x1000 present bit) along with a priority",
                ))
            }
            _ => {
                return Err(TextError::bad(
                    "vlan_tci",
                    &text(),
                    "all three PCP bits (0xe000) masked or none: OpenFlow 1.3 cannot mask VLAN_PCP",
                ))
            }
        }
        Ok(out)
    }
}
