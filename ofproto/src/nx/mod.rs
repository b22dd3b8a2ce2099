//! Open vSwitch's Nicira extensions as typed values: the experimenter actions and NXM match
//! fields the controller uses, encoded to and decoded from what the codec carries losslessly
//! ([`Action::Experimenter`] with Nicira's vendor id, [`OxmField::Raw`] of an NXM class).
//!
//! | extension | `ovs-ofctl` | typed as |
//! |---|---|---|
//! | `NXAST_REG_MOVE` | `move:SRC[]->DST[]` | [`NxAction::RegMove`] ([`RegMove`]) |
//! | `NXAST_CT` | `ct(commit,table=T,zone=Z)` | [`NxAction::Conntrack`] ([`Conntrack`]) |
//! | `NXM_NX_CT_STATE` | `ct_state=+est+trk` | [`NxField::CtState`] ([`CtState`]) |
//! | `NXM_NX_TUN_IPV4_DST` | `tun_dst=IP` | [`NxField::TunDst`] |
//!
//! Decoding is strict, so that every typed value re-encodes to the identical bytes: a form
//! this module does not type (another subtype, nested conntrack actions, non-zero padding) is
//! an [`NxError`], never a silent approximation. Wire formats follow Open vSwitch's
//! `include/openflow/nicira-ext.h`, `lib/ofp-actions.c` and `lib/nx-match.c`; `ovs-ofctl
//! ofp-print` reads back what this module writes (`ofproto/tests/nx.rs`).

mod conntrack;
mod error;
mod field;
mod header;
mod reg_move;

pub use conntrack::{is_ct_commit_only, Conntrack, CtState, NXAST_CT};
pub use error::NxError;
pub use field::NxField;
pub use header::{NxmHeader, NXM_0, NXM_1};
pub use reg_move::{RegMove, NXAST_REG_MOVE};

use crate::{Action, OxmField};

/// Nicira's experimenter (vendor) id, `NX_VENDOR_ID`.
pub const NX_VENDOR_ID: u32 = 0x0000_2320;

/// A typed Nicira experimenter action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NxAction {
    /// `NXAST_REG_MOVE`.
    RegMove(RegMove),
    /// `NXAST_CT`.
    Conntrack(Conntrack),
}

impl NxAction {
    /// Reads the `data` of a Nicira experimenter action: everything after the vendor id,
    /// from the 16-bit subtype on.
    pub fn decode(data: &[u8]) -> Result<NxAction, NxError> {
        let subtype = match data {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => {
                return Err(NxError::Length {
                    what: "Nicira action subtype",
                    len: data.len(),
                    expected: 2,
                })
            }
        };
        match subtype {
            NXAST_REG_MOVE => RegMove::decode(data).map(NxAction::RegMove),
            NXAST_CT => Conntrack::decode(data).map(NxAction::Conntrack),
            other => Err(NxError::UnknownSubtype(other)),
        }
    }

    /// The action's `data`: everything after the vendor id.
    pub fn encode(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(16);
        match self {
            NxAction::RegMove(m) => m.encode(&mut data),
            NxAction::Conntrack(c) => c.encode(&mut data),
        }
        data
    }
}

impl TryFrom<&Action> for NxAction {
    type Error = NxError;

    fn try_from(a: &Action) -> Result<NxAction, NxError> {
        match a {
            Action::Experimenter { experimenter, data } if *experimenter == NX_VENDOR_ID => {
                NxAction::decode(data)
            }
            _ => Err(NxError::NotNiciraAction),
        }
    }
}

impl From<NxAction> for Action {
    fn from(a: NxAction) -> Action {
        Action::Experimenter {
            experimenter: NX_VENDOR_ID,
            data: a.encode(),
        }
    }
}

impl From<RegMove> for Action {
    fn from(m: RegMove) -> Action {
        NxAction::RegMove(m).into()
    }
}

impl From<Conntrack> for Action {
    fn from(c: Conntrack) -> Action {
        NxAction::Conntrack(c).into()
    }
}

/// A `set_field` of a Nicira field.
impl From<NxField> for Action {
    fn from(f: NxField) -> Action {
        Action::SetField(OxmField::from(f))
    }
}
