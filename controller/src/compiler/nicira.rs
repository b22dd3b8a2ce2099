//! Open vSwitch's Nicira extension actions that the compiler uses, built as raw OpenFlow 1.3
//! experimenter actions ([`Action::Experimenter`]).
//!
//! `NXAST_REG_MOVE` (`move:SRC[]->DST[]` in `ovs-ofctl`): OpenFlow 1.3 has no action that
//! copies one header field into another, which the ARP responder needs (`eth_src -> eth_dst`,
//! `arp_sha -> arp_tha`, `arp_spa -> arp_tpa`). `NXAST_CT` ([`ct`]) and the `ct_state` match
//! ([`ct_state_match`]): connection tracking for stateful default-deny groups.
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
//! Copies `src[src_ofs .. src_ofs + n_bits]` to `dst[dst_ofs .. dst_ofs + n_bits]`. The two
//! headers are 32-bit NXM/OXM headers (`class << 16 | field << 9 | hasmask << 8 | length`)
//! without a mask. The codec keeps everything after the vendor id as the action's `data`: the
//! 16 bytes from `subtype` on.
//!
//! # Which headers
//!
//! Open vSwitch 3.1 encodes a `move` in OpenFlow 1.3 as `NXAST_REG_MOVE` (not the ONF
//! `copy_field` experimenter action) and writes both fields with their *oldest* header, the
//! Nicira NXM one (`nx_put_mff_header(..., version 0, ...)`), in flow-mods (`ovs-ofctl
//! add-flow ... actions=move:eth_src->eth_dst`) as well as in flow-stats replies. The compiler
//! therefore sends exactly those headers, so that what the switch reports back is byte for
//! byte what was sent and the reconciler sees no difference (see `docs/pipeline.md`, "Rules
//! for the compiler"). Checked with `ovs-ofctl ofp-print` and a private Open vSwitch 3.1
//! (`controller/tests/ovs_arp.rs`).

use ofproto::Action;

/// Nicira's experimenter (vendor) id, `NX_VENDOR_ID`.
pub const NX_VENDOR_ID: u32 = 0x0000_2320;
/// Subtype of `NXAST_REG_MOVE`.
pub const NXAST_REG_MOVE: u16 = 6;

/// A field that `NXAST_REG_MOVE` can copy, with the NXM header Open vSwitch uses for it in
/// OpenFlow 1.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NxmField {
    /// `NXM_OF_ETH_DST` (class `0x0000`, field 1, 6 bytes): `eth_dst`.
    EthDst,
    /// `NXM_OF_ETH_SRC` (class `0x0000`, field 2, 6 bytes): `eth_src`.
    EthSrc,
    /// `NXM_OF_ARP_SPA` (class `0x0000`, field 16, 4 bytes): `arp_spa`.
    ArpSpa,
    /// `NXM_OF_ARP_TPA` (class `0x0000`, field 17, 4 bytes): `arp_tpa`.
    ArpTpa,
    /// `NXM_NX_ARP_SHA` (class `0x0001`, field 17, 6 bytes): `arp_sha`.
    ArpSha,
    /// `NXM_NX_ARP_THA` (class `0x0001`, field 18, 6 bytes): `arp_tha`.
    ArpTha,
}

impl NxmField {
    /// (class, field, length in bytes).
    const fn parts(self) -> (u16, u8, u8) {
        match self {
            NxmField::EthDst => (0x0000, 1, 6),
            NxmField::EthSrc => (0x0000, 2, 6),
            NxmField::ArpSpa => (0x0000, 16, 4),
            NxmField::ArpTpa => (0x0000, 17, 4),
            NxmField::ArpSha => (0x0001, 17, 6),
            NxmField::ArpTha => (0x0001, 18, 6),
        }
    }

    /// The 32-bit NXM header (no mask).
    pub const fn header(self) -> u32 {
        let (class, field, len) = self.parts();
        (class as u32) << 16 | (field as u32) << 9 | len as u32
    }

    /// Width in bits.
    pub const fn bits(self) -> u16 {
        self.parts().2 as u16 * 8
    }
}

/// `move:SRC[]->DST[]`: copies the whole of `src` into `dst` (`NXAST_REG_MOVE`, offsets 0,
/// `n_bits` the width of `src`). Both fields must be equally wide.
pub fn reg_move(src: NxmField, dst: NxmField) -> Action {
    assert_eq!(
        src.bits(),
        dst.bits(),
        "move between fields of different widths"
    );
    let mut data = Vec::with_capacity(16);
    data.extend_from_slice(&NXAST_REG_MOVE.to_be_bytes());
    data.extend_from_slice(&src.bits().to_be_bytes()); // n_bits
    data.extend_from_slice(&0u16.to_be_bytes()); // src_ofs
    data.extend_from_slice(&0u16.to_be_bytes()); // dst_ofs
    data.extend_from_slice(&src.header().to_be_bytes());
    data.extend_from_slice(&dst.header().to_be_bytes());
    Action::Experimenter {
        experimenter: NX_VENDOR_ID,
        data,
    }
}

/// Subtype of `NXAST_CT` (conntrack).
pub const NXAST_CT: u16 = 35;
/// `NX_CT_F_COMMIT`: commit the connection to the tracker.
const NX_CT_F_COMMIT: u16 = 1;
/// `NX_CT_RECIRC_NONE`: no recirculation.
const NX_CT_RECIRC_NONE: u8 = 255;

/// Open vSwitch's conntrack action `ct(zone=ZONE[,table=T][,commit])` (`struct
/// nx_action_conntrack`, 24 bytes: subtype, flags, zone source 0 = immediate, the zone,
/// recirculation table or 255, 3 bytes pad, alg 0; no nested actions). `table` sends the
/// packet, now tracked (`ct_state` set), through that table again.
pub fn ct(zone: u16, table: Option<u8>, commit: bool) -> Action {
    let mut data = Vec::with_capacity(16);
    data.extend_from_slice(&NXAST_CT.to_be_bytes());
    let flags = if commit { NX_CT_F_COMMIT } else { 0 };
    data.extend_from_slice(&flags.to_be_bytes());
    data.extend_from_slice(&0u32.to_be_bytes()); // zone_src: immediate
    data.extend_from_slice(&zone.to_be_bytes());
    data.push(table.unwrap_or(NX_CT_RECIRC_NONE));
    data.extend_from_slice(&[0, 0, 0]); // pad
    data.extend_from_slice(&0u16.to_be_bytes()); // alg
    Action::Experimenter {
        experimenter: NX_VENDOR_ID,
        data,
    }
}

/// Whether `a` is a conntrack action that only commits the connection (no recirculation, no
/// nested actions): it records state and changes nothing about the packet or its path, so a
/// switch without conntrack can do the rest of the flow without it.
pub fn is_ct_commit_only(a: &Action) -> bool {
    match a {
        Action::Experimenter { experimenter, data } => {
            *experimenter == NX_VENDOR_ID
                && data.len() == 16
                && data[..2] == NXAST_CT.to_be_bytes()
                && u16::from_be_bytes([data[2], data[3]]) & NX_CT_F_COMMIT != 0
                && data[10] == NX_CT_RECIRC_NONE
        }
        _ => false,
    }
}

/// Bits of Open vSwitch's `ct_state`.
pub mod ct_state {
    /// The start of a new connection.
    pub const NEW: u32 = 1 << 0;
    /// Part of an established connection.
    pub const EST: u32 = 1 << 1;
    /// Related to an established connection (ICMP errors).
    pub const REL: u32 = 1 << 2;
    /// Went through the tracker.
    pub const TRK: u32 = 1 << 5;
}

/// A match on `ct_state` (`NXM_NX_CT_STATE`, class 1, field 105): the bits of `mask` equal
/// those of `value`.
pub fn ct_state_match(value: u32, mask: u32) -> ofproto::OxmField {
    let mut payload = value.to_be_bytes().to_vec();
    payload.extend_from_slice(&mask.to_be_bytes());
    ofproto::OxmField::Raw(ofproto::oxm::RawOxm {
        class: 0x0001,
        field: 105,
        hasmask: true,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use ofproto::msg::FlowMod;
    use ofproto::{Body, Instruction, Match, Message};

    #[test]
    fn headers_are_the_nxm_ones() {
        assert_eq!(NxmField::EthDst.header(), 0x0000_0206);
        assert_eq!(NxmField::EthSrc.header(), 0x0000_0406);
        assert_eq!(NxmField::ArpSpa.header(), 0x0000_2004);
        assert_eq!(NxmField::ArpTpa.header(), 0x0000_2204);
        assert_eq!(NxmField::ArpSha.header(), 0x0001_2206);
        assert_eq!(NxmField::ArpTha.header(), 0x0001_2406);
    }

    /// The exact 24 bytes of `move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]` that `ovs-ofctl
    /// ofp-print` decodes as such (and that Open vSwitch 3.1 reports back in flow stats).
    #[test]
    fn eth_src_to_eth_dst_encodes_like_open_vswitch() {
        let action = reg_move(NxmField::EthSrc, NxmField::EthDst);
        let fm = FlowMod::add(
            10,
            100,
            Match::new(),
            vec![Instruction::ApplyActions(vec![action])],
        );
        let mut buf = BytesMut::new();
        Message::new(1, Body::FlowMod(fm))
            .encode(&mut buf)
            .expect("encodes");
        let want: [u8; 24] = [
            0xff, 0xff, 0x00, 0x18, 0x00, 0x00, 0x23, 0x20, // experimenter, len 24, NX
            0x00, 0x06, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, // REG_MOVE, 48 bits, offsets 0
            0x00, 0x00, 0x04, 0x06, 0x00, 0x00, 0x02, 0x06, // NXM_OF_ETH_SRC, NXM_OF_ETH_DST
        ];
        assert!(buf.ends_with(&want), "{:02x?}", &buf[..]);
    }

    /// `ct(table=30,zone=7)` and `ct(commit,zone=7)` with `ct_state=-trk` and
    /// `ct_state=+est+trk`, as the real `ovs-ofctl ofp-print` reads them.
    #[test]
    fn conntrack_reads_back_in_ovs_ofctl() {
        let print = |m: Match, action: Action| {
            let fm = FlowMod::add(
                30,
                100,
                m.with(ofproto::OxmField::EthType(0x0800)),
                vec![Instruction::ApplyActions(vec![action])],
            );
            let mut buf = BytesMut::new();
            Message::new(1, Body::FlowMod(fm))
                .encode(&mut buf)
                .expect("encodes");
            let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
            let out = std::process::Command::new("ovs-ofctl")
                .args(["ofp-print", &hex])
                .output()
                .expect("ovs-ofctl (install openvswitch-switch)");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let text = print(
            Match::new().with(ct_state_match(0, ct_state::TRK)),
            ct(7, Some(30), false),
        );
        assert!(text.contains("ct_state=-trk,ip"), "{text}");
        assert!(text.contains("actions=ct(table=30,zone=7)"), "{text}");
        let text = print(
            Match::new().with(ct_state_match(
                ct_state::EST | ct_state::TRK,
                ct_state::EST | ct_state::TRK,
            )),
            ct(7, None, true),
        );
        assert!(text.contains("ct_state=+est+trk,ip"), "{text}");
        assert!(text.contains("actions=ct(commit,zone=7)"), "{text}");
    }
}
