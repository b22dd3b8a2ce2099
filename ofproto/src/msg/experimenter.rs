//! `OFPT_EXPERIMENTER` messages.

use super::bundle::{
    BundleAdd, BundleControl, ONFT_BUNDLE_ADD_MESSAGE, ONFT_BUNDLE_CONTROL, ONF_EXPERIMENTER,
};
use super::Body;
use crate::wire::{DResult, Reader};
use bytes::{BufMut, BytesMut};

/// An experimenter message other than the ONF bundle messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Experimenter {
    /// Experimenter id.
    pub experimenter: u32,
    /// Experimenter-defined type.
    pub exp_type: u32,
    /// Payload.
    pub data: Vec<u8>,
}

impl Experimenter {
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.experimenter);
        buf.put_u32(self.exp_type);
        buf.put_slice(&self.data);
    }
}

/// Decodes an experimenter message, recognising the ONF bundle extension.
pub(crate) fn decode_experimenter(r: &mut Reader<'_>) -> DResult<Body> {
    let experimenter = r.u32("experimenter id")?;
    let exp_type = r.u32("experimenter type")?;
    Ok(match (experimenter, exp_type) {
        (ONF_EXPERIMENTER, ONFT_BUNDLE_CONTROL) => Body::BundleControl(BundleControl::decode(r)?),
        (ONF_EXPERIMENTER, ONFT_BUNDLE_ADD_MESSAGE) => Body::BundleAdd(BundleAdd::decode(r)?),
        _ => Body::Experimenter(Experimenter {
            experimenter,
            exp_type,
            data: r.rest().to_vec(),
        }),
    })
}
