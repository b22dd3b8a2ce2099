//! Multipart replies.

use super::stats::*;
use super::{
    bad_type, decode_header, encode_header, multipart_type, table_features, TableFeatures,
};
use crate::msg::Port;
use crate::wire::{DResult, Reader};
use crate::EncodeError;
use bytes::{BufMut, BytesMut};

/// The body of a multipart reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartReplyBody {
    /// `OFPMP_DESC`.
    Desc(Desc),
    /// `OFPMP_FLOW`.
    Flow(Vec<FlowStats>),
    /// `OFPMP_AGGREGATE`.
    Aggregate(AggregateStats),
    /// `OFPMP_TABLE`.
    Table(Vec<TableStats>),
    /// `OFPMP_PORT_STATS`.
    PortStats(Vec<PortStats>),
    /// `OFPMP_QUEUE`.
    Queue(Vec<QueueStats>),
    /// `OFPMP_GROUP`.
    Group(Vec<GroupStats>),
    /// `OFPMP_GROUP_DESC`.
    GroupDesc(Vec<GroupDesc>),
    /// `OFPMP_GROUP_FEATURES`.
    GroupFeatures(GroupFeatures),
    /// `OFPMP_METER`.
    Meter(Vec<MeterStats>),
    /// `OFPMP_METER_CONFIG`.
    MeterConfig(Vec<MeterConfig>),
    /// `OFPMP_METER_FEATURES`.
    MeterFeatures(MeterFeatures),
    /// `OFPMP_TABLE_FEATURES`.
    TableFeatures(Vec<TableFeatures>),
    /// `OFPMP_PORT_DESC`.
    PortDesc(Vec<Port>),
    /// `OFPMP_EXPERIMENTER`.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Experimenter type.
        exp_type: u32,
        /// Data.
        data: Vec<u8>,
    },
}

/// `OFPT_MULTIPART_REPLY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartReply {
    /// [`OFPMPF_MORE`](crate::multipart::OFPMPF_MORE) when more parts follow.
    pub flags: u16,
    /// The body.
    pub body: MultipartReplyBody,
}

impl MultipartReply {
    /// A single-part reply.
    pub fn new(body: MultipartReplyBody) -> MultipartReply {
        MultipartReply { flags: 0, body }
    }

    /// The multipart type number.
    pub fn typ(&self) -> u16 {
        use multipart_type::*;
        use MultipartReplyBody as B;
        match &self.body {
            B::Desc(_) => DESC,
            B::Flow(_) => FLOW,
            B::Aggregate(_) => AGGREGATE,
            B::Table(_) => TABLE,
            B::PortStats(_) => PORT_STATS,
            B::Queue(_) => QUEUE,
            B::Group(_) => GROUP,
            B::GroupDesc(_) => GROUP_DESC,
            B::GroupFeatures(_) => GROUP_FEATURES,
            B::Meter(_) => METER,
            B::MeterConfig(_) => METER_CONFIG,
            B::MeterFeatures(_) => METER_FEATURES,
            B::TableFeatures(_) => TABLE_FEATURES,
            B::PortDesc(_) => PORT_DESC,
            B::Experimenter { .. } => EXPERIMENTER,
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<MultipartReply> {
        use multipart_type::*;
        use MultipartReplyBody as B;
        let (at, typ, flags) = decode_header(r)?;
        let body = match typ {
            DESC => B::Desc(Desc::decode(r)?),
            FLOW => B::Flow(r.many(FlowStats::decode)?),
            AGGREGATE => B::Aggregate(AggregateStats::decode(r)?),
            TABLE => B::Table(r.many(TableStats::decode)?),
            PORT_STATS => B::PortStats(r.many(PortStats::decode)?),
            QUEUE => B::Queue(r.many(QueueStats::decode)?),
            GROUP => B::Group(r.many(GroupStats::decode)?),
            GROUP_DESC => B::GroupDesc(r.many(GroupDesc::decode)?),
            GROUP_FEATURES => B::GroupFeatures(GroupFeatures::decode(r)?),
            METER => B::Meter(r.many(MeterStats::decode)?),
            METER_CONFIG => B::MeterConfig(r.many(MeterConfig::decode)?),
            METER_FEATURES => B::MeterFeatures(MeterFeatures::decode(r)?),
            TABLE_FEATURES => B::TableFeatures(table_features::decode_list(r)?),
            PORT_DESC => B::PortDesc(r.many(Port::decode)?),
            EXPERIMENTER => B::Experimenter {
                experimenter: r.u32("experimenter")?,
                exp_type: r.u32("exp_type")?,
                data: r.rest().to_vec(),
            },
            _ => return Err(bad_type(at, typ)),
        };
        Ok(MultipartReply { flags, body })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        use MultipartReplyBody as B;
        encode_header(buf, self.typ(), self.flags);
        match &self.body {
            B::Desc(d) => d.encode(buf),
            B::Flow(v) => v.iter().try_for_each(|f| f.encode(buf))?,
            B::Aggregate(a) => a.encode(buf),
            B::Table(v) => v.iter().for_each(|t| t.encode(buf)),
            B::PortStats(v) => v.iter().for_each(|p| p.encode(buf)),
            B::Queue(v) => v.iter().for_each(|q| q.encode(buf)),
            B::Group(v) => v.iter().try_for_each(|g| g.encode(buf))?,
            B::GroupDesc(v) => v.iter().try_for_each(|g| g.encode(buf))?,
            B::GroupFeatures(g) => g.encode(buf),
            B::Meter(v) => v.iter().try_for_each(|m| m.encode(buf))?,
            B::MeterConfig(v) => v.iter().try_for_each(|m| m.encode(buf))?,
            B::MeterFeatures(m) => m.encode(buf),
            B::TableFeatures(t) => table_features::encode_list(t, buf)?,
            B::PortDesc(v) => v.iter().for_each(|p| p.encode(buf)),
            B::Experimenter {
                experimenter,
                exp_type,
                data,
            } => {
                buf.put_u32(*experimenter);
                buf.put_u32(*exp_type);
                buf.put_slice(data);
            }
        }
        Ok(())
    }
}
