//! `OFPT_MULTIPART_REQUEST` / `OFPT_MULTIPART_REPLY` and every OpenFlow 1.3 multipart body.

mod reply;
mod request;
mod stats;
mod table_features;

pub use reply::{MultipartReply, MultipartReplyBody};
pub use request::{FlowStatsRequest, MultipartRequest, MultipartRequestBody};
pub use stats::{
    AggregateStats, Desc, FlowStats, GroupDesc, GroupFeatures, GroupStats, MeterConfig,
    MeterFeatures, MeterStats, PortStats, QueueStats, TableStats,
};
pub use table_features::{prop_name, FeatureId, OxmId, PropValue, TableFeatureProp, TableFeatures};

use crate::error::Reason;
use crate::wire::{DResult, Reader};
use crate::DecodeError;
use bytes::{BufMut, BytesMut};

/// Multipart type numbers (`enum ofp_multipart_type`).
pub mod multipart_type {
    /// Switch description.
    pub const DESC: u16 = 0;
    /// Individual flow statistics.
    pub const FLOW: u16 = 1;
    /// Aggregate flow statistics.
    pub const AGGREGATE: u16 = 2;
    /// Flow table statistics.
    pub const TABLE: u16 = 3;
    /// Port statistics.
    pub const PORT_STATS: u16 = 4;
    /// Queue statistics.
    pub const QUEUE: u16 = 5;
    /// Group counters.
    pub const GROUP: u16 = 6;
    /// Group descriptions.
    pub const GROUP_DESC: u16 = 7;
    /// Group features.
    pub const GROUP_FEATURES: u16 = 8;
    /// Meter statistics.
    pub const METER: u16 = 9;
    /// Meter configuration.
    pub const METER_CONFIG: u16 = 10;
    /// Meter features.
    pub const METER_FEATURES: u16 = 11;
    /// Table features.
    pub const TABLE_FEATURES: u16 = 12;
    /// Port descriptions.
    pub const PORT_DESC: u16 = 13;
    /// Experimenter.
    pub const EXPERIMENTER: u16 = 0xffff;
}

/// `OFPMPF_REQ_MORE` / `OFPMPF_REPLY_MORE`: more parts follow.
pub const OFPMPF_MORE: u16 = 1;

/// Takes a record whose first u16 is its own length (at least `min`).
fn record<'a>(r: &mut Reader<'a>, what: &'static str, min: usize) -> DResult<Reader<'a>> {
    let len = r.peek_u16(0).ok_or_else(|| {
        r.err(Reason::Truncated {
            what,
            need: 2,
            have: r.remaining(),
        })
    })? as usize;
    if len < min || len > r.remaining() {
        return Err(r.err(Reason::BadLength { what, len }));
    }
    r.sub(len, what)
}

fn counters(r: &mut Reader<'_>) -> DResult<(u64, u64)> {
    Ok((r.u64("packet_count")?, r.u64("byte_count")?))
}

/// Reads the multipart header (type, flags, pad); returns the offset of the type, the type and
/// the flags.
fn decode_header(r: &mut Reader<'_>) -> DResult<(usize, u16, u16)> {
    let at = r.offset();
    let typ = r.u16("multipart type")?;
    let flags = r.u16("multipart flags")?;
    r.skip(4, "pad")?;
    Ok((at, typ, flags))
}

/// Writes the multipart header.
fn encode_header(buf: &mut BytesMut, typ: u16, flags: u16) {
    buf.put_u16(typ);
    buf.put_u16(flags);
    buf.put_bytes(0, 4);
}

/// The error for a multipart type outside OpenFlow 1.3.
fn bad_type(at: usize, typ: u16) -> DecodeError {
    DecodeError::new(
        at,
        Reason::BadValue {
            what: crate::Field::MultipartType,
            value: typ as u64,
        },
    )
}
