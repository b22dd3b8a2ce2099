//! The Nicira NXM fields the controller matches on or sets, as OXM fields of class `0x0001`
//! (`NXM_1`) in OpenFlow 1.3 (Open vSwitch `lib/nx-match.c`, `lib/meta-flow.xml`).
//!
//! Open vSwitch takes and reports these fields with their NXM header in OpenFlow 1.3, so a
//! controller that sends that header reads back exactly what it sent. The codec carries them
//! as [`RawOxm`]: header fields and the payload (value, then mask when the has-mask bit is set).

use super::conntrack::CtState;
use super::{NxError, NxmHeader, NXM_0, NXM_1};
use crate::oxm::{Masked, OxmValue, RawOxm};
use crate::OxmField;
use bytes::BytesMut;
use std::net::Ipv4Addr;

/// A typed Nicira NXM field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NxField {
    /// `ct_state` (`NXM_NX_CT_STATE`, field 105): the connection-tracking state bits.
    CtState(Masked<CtState>),
    /// `tun_dst` (`NXM_NX_TUN_IPV4_DST`, field 32): the remote tunnel endpoint. OpenFlow 1.3
    /// has no field for it; set before output to a flow-based tunnel port.
    TunDst(Masked<Ipv4Addr>),
}

impl NxField {
    /// The field's header without the mask bit.
    pub fn header(&self) -> NxmHeader {
        match self {
            NxField::CtState(_) => NxmHeader::CT_STATE,
            NxField::TunDst(_) => NxmHeader::TUN_IPV4_DST,
        }
    }
}

impl TryFrom<&OxmField> for NxField {
    type Error = NxError;

    fn try_from(f: &OxmField) -> Result<NxField, NxError> {
        let OxmField::Raw(r) = f else {
            return Err(NxError::NotNiciraField);
        };
        if r.class != NXM_0 && r.class != NXM_1 {
            return Err(NxError::NotNiciraField);
        }
        const CT_STATE: (u16, u8) = (NxmHeader::CT_STATE.class(), NxmHeader::CT_STATE.field());
        const TUN_DST: (u16, u8) = (
            NxmHeader::TUN_IPV4_DST.class(),
            NxmHeader::TUN_IPV4_DST.field(),
        );
        match (r.class, r.field) {
            CT_STATE => Ok(NxField::CtState(masked("NXM_NX_CT_STATE", r)?)),
            TUN_DST => Ok(NxField::TunDst(masked("NXM_NX_TUN_IPV4_DST", r)?)),
            (class, field) => Err(NxError::UnknownField { class, field }),
        }
    }
}

impl From<NxField> for OxmField {
    fn from(f: NxField) -> OxmField {
        let mut payload = BytesMut::new();
        let hasmask = match &f {
            NxField::CtState(m) => put_masked(m, &mut payload),
            NxField::TunDst(m) => put_masked(m, &mut payload),
        };
        let header = f.header();
        OxmField::Raw(RawOxm {
            class: header.class(),
            field: header.field(),
            hasmask,
            payload: payload.to_vec(),
        })
    }
}

/// Reads a value (and its mask, with the has-mask bit) of exactly the field's width.
fn masked<T: OxmValue>(what: &'static str, r: &RawOxm) -> Result<Masked<T>, NxError> {
    let expected = if r.hasmask { 2 * T::WIDTH } else { T::WIDTH };
    if r.payload.len() != expected {
        return Err(NxError::Length {
            what,
            len: r.payload.len(),
            expected,
        });
    }
    let value = T::read(&r.payload[..T::WIDTH]);
    Ok(match r.hasmask {
        true => Masked::new(value, T::read(&r.payload[T::WIDTH..])),
        false => Masked::exact(value),
    })
}

/// Writes the value and mask; whether there is a mask.
fn put_masked<T: OxmValue>(m: &Masked<T>, buf: &mut BytesMut) -> bool {
    m.value.write(buf);
    if let Some(mask) = &m.mask {
        mask.write(buf);
    }
    m.mask.is_some()
}
