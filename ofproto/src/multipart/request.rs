//! Multipart requests.

use super::{
    bad_type, decode_header, encode_header, multipart_type, table_features, TableFeatures,
};
use crate::wire::{DResult, Reader};
use crate::{EncodeError, Match};
use bytes::{BufMut, BytesMut};

/// Body of a flow or aggregate statistics request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowStatsRequest {
    /// Table (`0xff` for all).
    pub table_id: u8,
    /// Output port filter (`OFPP_ANY` for none).
    pub out_port: u32,
    /// Output group filter (`OFPG_ANY` for none).
    pub out_group: u32,
    /// Cookie filter.
    pub cookie: u64,
    /// Cookie filter mask (0: no filter).
    pub cookie_mask: u64,
    /// Match filter.
    pub r#match: Match,
}

impl FlowStatsRequest {
    /// Every flow of every table.
    pub fn all() -> FlowStatsRequest {
        FlowStatsRequest {
            table_id: 0xff,
            out_port: crate::action::port_no::ANY,
            out_group: crate::msg::group::group_id::ANY,
            cookie: 0,
            cookie_mask: 0,
            r#match: Match::new(),
        }
    }

    fn decode(r: &mut Reader<'_>) -> DResult<FlowStatsRequest> {
        let table_id = r.u8("table_id")?;
        r.skip(3, "pad")?;
        let out_port = r.u32("out_port")?;
        let out_group = r.u32("out_group")?;
        r.skip(4, "pad")?;
        Ok(FlowStatsRequest {
            table_id,
            out_port,
            out_group,
            cookie: r.u64("cookie")?,
            cookie_mask: r.u64("cookie_mask")?,
            r#match: Match::decode(r)?,
        })
    }

    fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u8(self.table_id);
        buf.put_bytes(0, 3);
        buf.put_u32(self.out_port);
        buf.put_u32(self.out_group);
        buf.put_bytes(0, 4);
        buf.put_u64(self.cookie);
        buf.put_u64(self.cookie_mask);
        self.r#match.emit(buf)
    }
}

/// The body of a multipart request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartRequestBody {
    /// `OFPMP_DESC`.
    Desc,
    /// `OFPMP_FLOW`.
    Flow(FlowStatsRequest),
    /// `OFPMP_AGGREGATE`.
    Aggregate(FlowStatsRequest),
    /// `OFPMP_TABLE`.
    Table,
    /// `OFPMP_PORT_STATS` for a port (`OFPP_ANY` for all).
    PortStats(u32),
    /// `OFPMP_QUEUE`.
    Queue {
        /// Port (`OFPP_ANY` for all).
        port_no: u32,
        /// Queue (`OFPQ_ALL` for all).
        queue_id: u32,
    },
    /// `OFPMP_GROUP` for a group (`OFPG_ALL` for all).
    Group(u32),
    /// `OFPMP_GROUP_DESC`.
    GroupDesc,
    /// `OFPMP_GROUP_FEATURES`.
    GroupFeatures,
    /// `OFPMP_METER` for a meter (`OFPM_ALL` for all).
    Meter(u32),
    /// `OFPMP_METER_CONFIG` for a meter (`OFPM_ALL` for all).
    MeterConfig(u32),
    /// `OFPMP_METER_FEATURES`.
    MeterFeatures,
    /// `OFPMP_TABLE_FEATURES` (empty to query, non-empty to set).
    TableFeatures(Vec<TableFeatures>),
    /// `OFPMP_PORT_DESC`.
    PortDesc,
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

/// `OFPT_MULTIPART_REQUEST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartRequest {
    /// [`OFPMPF_MORE`](crate::multipart::OFPMPF_MORE) when more parts follow.
    pub flags: u16,
    /// The body.
    pub body: MultipartRequestBody,
}

impl MultipartRequest {
    /// A single-part request.
    pub fn new(body: MultipartRequestBody) -> MultipartRequest {
        MultipartRequest { flags: 0, body }
    }

    /// The multipart type number.
    pub fn typ(&self) -> u16 {
        use multipart_type::*;
        use MultipartRequestBody as B;
        match &self.body {
            B::Desc => DESC,
            B::Flow(_) => FLOW,
            B::Aggregate(_) => AGGREGATE,
            B::Table => TABLE,
            B::PortStats(_) => PORT_STATS,
            B::Queue { .. } => QUEUE,
            B::Group(_) => GROUP,
            B::GroupDesc => GROUP_DESC,
            B::GroupFeatures => GROUP_FEATURES,
            B::Meter(_) => METER,
            B::MeterConfig(_) => METER_CONFIG,
            B::MeterFeatures => METER_FEATURES,
            B::TableFeatures(_) => TABLE_FEATURES,
            B::PortDesc => PORT_DESC,
            B::Experimenter { .. } => EXPERIMENTER,
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<MultipartRequest> {
        use multipart_type::*;
        use MultipartRequestBody as B;
        let (at, typ, flags) = decode_header(r)?;
        let id_pad = |r: &mut Reader<'_>, what| -> DResult<u32> {
            let v = r.u32(what)?;
            r.skip(4, "pad")?;
            Ok(v)
        };
        let body = match typ {
            DESC => B::Desc,
            FLOW => B::Flow(FlowStatsRequest::decode(r)?),
            AGGREGATE => B::Aggregate(FlowStatsRequest::decode(r)?),
            TABLE => B::Table,
            PORT_STATS => B::PortStats(id_pad(r, "port_no")?),
            QUEUE => B::Queue {
                port_no: r.u32("port_no")?,
                queue_id: r.u32("queue_id")?,
            },
            GROUP => B::Group(id_pad(r, "group_id")?),
            GROUP_DESC => B::GroupDesc,
            GROUP_FEATURES => B::GroupFeatures,
            METER => B::Meter(id_pad(r, "meter_id")?),
            METER_CONFIG => B::MeterConfig(id_pad(r, "meter_id")?),
            METER_FEATURES => B::MeterFeatures,
            TABLE_FEATURES => B::TableFeatures(table_features::decode_list(r)?),
            PORT_DESC => B::PortDesc,
            EXPERIMENTER => B::Experimenter {
                experimenter: r.u32("experimenter")?,
                exp_type: r.u32("exp_type")?,
                data: r.rest().to_vec(),
            },
            _ => return Err(bad_type(at, typ)),
        };
        Ok(MultipartRequest { flags, body })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        use MultipartRequestBody as B;
        encode_header(buf, self.typ(), self.flags);
        let id_pad = |buf: &mut BytesMut, v: u32| {
            buf.put_u32(v);
            buf.put_bytes(0, 4);
        };
        match &self.body {
            B::Desc
            | B::Table
            | B::GroupDesc
            | B::GroupFeatures
            | B::MeterFeatures
            | B::PortDesc => {}
            B::Flow(f) | B::Aggregate(f) => f.encode(buf)?,
            B::PortStats(p) => id_pad(buf, *p),
            B::Queue { port_no, queue_id } => {
                buf.put_u32(*port_no);
                buf.put_u32(*queue_id);
            }
            B::Group(v) | B::Meter(v) | B::MeterConfig(v) => id_pad(buf, *v),
            B::TableFeatures(t) => table_features::encode_list(t, buf)?,
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
