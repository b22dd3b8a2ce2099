//! `OFPT_MULTIPART_REQUEST` / `OFPT_MULTIPART_REPLY` and every OpenFlow 1.3 multipart body.

mod table_features;

pub use table_features::{prop_name, FeatureId, OxmId, PropValue, TableFeatureProp, TableFeatures};

use crate::error::Reason;
use crate::instruction::{decode_instructions, emit_instructions, Instruction};
use crate::msg::{
    group::{decode_buckets, decode_group_type},
    meter::decode_bands,
    Bucket, GroupType, MeterBand, Port,
};
use crate::wire::{len_placeholder, patch_len, put_fixed_str, DResult, Reader};
use crate::{DecodeError, EncodeError, Match};
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
    /// [`OFPMPF_MORE`] when more parts follow.
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
        let at = r.offset();
        let typ = r.u16("multipart type")?;
        let flags = r.u16("multipart flags")?;
        r.skip(4, "pad")?;
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
            _ => {
                return Err(DecodeError::new(
                    at,
                    Reason::BadValue {
                        what: "multipart type",
                        value: typ as u64,
                    },
                ))
            }
        };
        Ok(MultipartRequest { flags, body })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        use MultipartRequestBody as B;
        buf.put_u16(self.typ());
        buf.put_u16(self.flags);
        buf.put_bytes(0, 4);
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

/// `ofp_desc`: switch description strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Desc {
    /// Manufacturer.
    pub mfr_desc: String,
    /// Hardware.
    pub hw_desc: String,
    /// Software.
    pub sw_desc: String,
    /// Serial number.
    pub serial_num: String,
    /// Datapath description.
    pub dp_desc: String,
}

/// `ofp_flow_stats`: one flow entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowStats {
    /// Table.
    pub table_id: u8,
    /// Age, seconds.
    pub duration_sec: u32,
    /// Age beyond `duration_sec`, nanoseconds.
    pub duration_nsec: u32,
    /// Priority.
    pub priority: u16,
    /// Idle timeout.
    pub idle_timeout: u16,
    /// Hard timeout.
    pub hard_timeout: u16,
    /// Flow-mod flags.
    pub flags: u16,
    /// Cookie.
    pub cookie: u64,
    /// Packets matched.
    pub packet_count: u64,
    /// Bytes matched.
    pub byte_count: u64,
    /// Match.
    pub r#match: Match,
    /// Instructions.
    pub instructions: Vec<Instruction>,
}

/// `ofp_aggregate_stats_reply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AggregateStats {
    /// Packets.
    pub packet_count: u64,
    /// Bytes.
    pub byte_count: u64,
    /// Flows.
    pub flow_count: u32,
}

/// `ofp_table_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableStats {
    /// Table.
    pub table_id: u8,
    /// Active entries.
    pub active_count: u32,
    /// Packets looked up.
    pub lookup_count: u64,
    /// Packets that hit.
    pub matched_count: u64,
}

/// `ofp_port_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortStats {
    /// Port.
    pub port_no: u32,
    /// Received packets.
    pub rx_packets: u64,
    /// Transmitted packets.
    pub tx_packets: u64,
    /// Received bytes.
    pub rx_bytes: u64,
    /// Transmitted bytes.
    pub tx_bytes: u64,
    /// Receive drops.
    pub rx_dropped: u64,
    /// Transmit drops.
    pub tx_dropped: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Transmit errors.
    pub tx_errors: u64,
    /// Frame alignment errors.
    pub rx_frame_err: u64,
    /// Overruns.
    pub rx_over_err: u64,
    /// CRC errors.
    pub rx_crc_err: u64,
    /// Collisions.
    pub collisions: u64,
    /// Age, seconds.
    pub duration_sec: u32,
    /// Age beyond seconds, nanoseconds.
    pub duration_nsec: u32,
}

/// `ofp_queue_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// Port.
    pub port_no: u32,
    /// Queue.
    pub queue_id: u32,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Overruns.
    pub tx_errors: u64,
    /// Age, seconds.
    pub duration_sec: u32,
    /// Age beyond seconds, nanoseconds.
    pub duration_nsec: u32,
}

/// `ofp_group_stats`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupStats {
    /// Group.
    pub group_id: u32,
    /// Flows or groups forwarding to it.
    pub ref_count: u32,
    /// Packets.
    pub packet_count: u64,
    /// Bytes.
    pub byte_count: u64,
    /// Age, seconds.
    pub duration_sec: u32,
    /// Age beyond seconds, nanoseconds.
    pub duration_nsec: u32,
    /// Per-bucket (packets, bytes).
    pub bucket_stats: Vec<(u64, u64)>,
}

/// `ofp_group_desc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDesc {
    /// Type.
    pub group_type: GroupType,
    /// Group.
    pub group_id: u32,
    /// Buckets.
    pub buckets: Vec<Bucket>,
}

/// `ofp_group_features`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupFeatures {
    /// Bitmap of supported group types.
    pub types: u32,
    /// `OFPGFC_*` bits.
    pub capabilities: u32,
    /// Maximum groups per type.
    pub max_groups: [u32; 4],
    /// Supported action bitmaps per type.
    pub actions: [u32; 4],
}

/// `ofp_meter_stats`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MeterStats {
    /// Meter.
    pub meter_id: u32,
    /// Flows using it.
    pub flow_count: u32,
    /// Packets in.
    pub packet_in_count: u64,
    /// Bytes in.
    pub byte_in_count: u64,
    /// Age, seconds.
    pub duration_sec: u32,
    /// Age beyond seconds, nanoseconds.
    pub duration_nsec: u32,
    /// Per-band (packets, bytes).
    pub band_stats: Vec<(u64, u64)>,
}

/// `ofp_meter_config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterConfig {
    /// Meter flags.
    pub flags: u16,
    /// Meter.
    pub meter_id: u32,
    /// Bands.
    pub bands: Vec<MeterBand>,
}

/// `ofp_meter_features`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MeterFeatures {
    /// Maximum meters.
    pub max_meter: u32,
    /// Bitmap of band types.
    pub band_types: u32,
    /// Bitmap of meter flags.
    pub capabilities: u32,
    /// Maximum bands per meter.
    pub max_bands: u8,
    /// Maximum colour value.
    pub max_color: u8,
}

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
    /// [`OFPMPF_MORE`] when more parts follow.
    pub flags: u16,
    /// The body.
    pub body: MultipartReplyBody,
}

/// Reads `T`s until the reader is exhausted.
fn many<T>(r: &mut Reader<'_>, f: impl Fn(&mut Reader<'_>) -> DResult<T>) -> DResult<Vec<T>> {
    let mut v = Vec::new();
    while !r.is_empty() {
        v.push(f(r)?);
    }
    Ok(v)
}

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

impl FlowStats {
    fn decode(r: &mut Reader<'_>) -> DResult<FlowStats> {
        let mut s = record(r, "flow stats", 56)?;
        s.skip(2, "length")?;
        let table_id = s.u8("table_id")?;
        s.skip(1, "pad")?;
        let duration_sec = s.u32("duration_sec")?;
        let duration_nsec = s.u32("duration_nsec")?;
        let priority = s.u16("priority")?;
        let idle_timeout = s.u16("idle_timeout")?;
        let hard_timeout = s.u16("hard_timeout")?;
        let flags = s.u16("flags")?;
        s.skip(4, "pad")?;
        let cookie = s.u64("cookie")?;
        let (packet_count, byte_count) = counters(&mut s)?;
        let m = Match::decode(&mut s)?;
        Ok(FlowStats {
            table_id,
            duration_sec,
            duration_nsec,
            priority,
            idle_timeout,
            hard_timeout,
            flags,
            cookie,
            packet_count,
            byte_count,
            r#match: m,
            instructions: decode_instructions(&mut s)?,
        })
    }

    fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        let at = len_placeholder(buf);
        buf.put_u8(self.table_id);
        buf.put_u8(0);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
        buf.put_u16(self.priority);
        buf.put_u16(self.idle_timeout);
        buf.put_u16(self.hard_timeout);
        buf.put_u16(self.flags);
        buf.put_bytes(0, 4);
        buf.put_u64(self.cookie);
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
        self.r#match.emit(buf)?;
        emit_instructions(&self.instructions, buf)?;
        patch_len(buf, at, start, "flow stats")
    }
}

impl PortStats {
    fn decode(r: &mut Reader<'_>) -> DResult<PortStats> {
        let port_no = r.u32("port_no")?;
        r.skip(4, "pad")?;
        let mut c = [0u64; 12];
        for v in c.iter_mut() {
            *v = r.u64("port counter")?;
        }
        Ok(PortStats {
            port_no,
            rx_packets: c[0],
            tx_packets: c[1],
            rx_bytes: c[2],
            tx_bytes: c[3],
            rx_dropped: c[4],
            tx_dropped: c[5],
            rx_errors: c[6],
            tx_errors: c[7],
            rx_frame_err: c[8],
            rx_over_err: c[9],
            rx_crc_err: c[10],
            collisions: c[11],
            duration_sec: r.u32("duration_sec")?,
            duration_nsec: r.u32("duration_nsec")?,
        })
    }

    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.port_no);
        buf.put_bytes(0, 4);
        for v in [
            self.rx_packets,
            self.tx_packets,
            self.rx_bytes,
            self.tx_bytes,
            self.rx_dropped,
            self.tx_dropped,
            self.rx_errors,
            self.tx_errors,
            self.rx_frame_err,
            self.rx_over_err,
            self.rx_crc_err,
            self.collisions,
        ] {
            buf.put_u64(v);
        }
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
    }
}

impl GroupStats {
    fn decode(r: &mut Reader<'_>) -> DResult<GroupStats> {
        let mut s = record(r, "group stats", 40)?;
        s.skip(4, "length and pad")?;
        let group_id = s.u32("group_id")?;
        let ref_count = s.u32("ref_count")?;
        s.skip(4, "pad")?;
        let (packet_count, byte_count) = counters(&mut s)?;
        let duration_sec = s.u32("duration_sec")?;
        let duration_nsec = s.u32("duration_nsec")?;
        Ok(GroupStats {
            group_id,
            ref_count,
            packet_count,
            byte_count,
            duration_sec,
            duration_nsec,
            bucket_stats: many(&mut s, counters)?,
        })
    }

    fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        let at = len_placeholder(buf);
        buf.put_bytes(0, 2);
        buf.put_u32(self.group_id);
        buf.put_u32(self.ref_count);
        buf.put_bytes(0, 4);
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
        for (p, b) in &self.bucket_stats {
            buf.put_u64(*p);
            buf.put_u64(*b);
        }
        patch_len(buf, at, start, "group stats")
    }
}

impl GroupDesc {
    fn decode(r: &mut Reader<'_>) -> DResult<GroupDesc> {
        let mut s = record(r, "group desc", 8)?;
        s.skip(2, "length")?;
        let group_type = decode_group_type(&mut s)?;
        s.skip(1, "pad")?;
        let group_id = s.u32("group_id")?;
        Ok(GroupDesc {
            group_type,
            group_id,
            buckets: decode_buckets(&mut s)?,
        })
    }

    fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        let at = len_placeholder(buf);
        buf.put_u8(self.group_type.to_u8());
        buf.put_u8(0);
        buf.put_u32(self.group_id);
        for b in &self.buckets {
            b.encode(buf)?;
        }
        patch_len(buf, at, start, "group desc")
    }
}

impl MeterStats {
    fn decode(r: &mut Reader<'_>) -> DResult<MeterStats> {
        let at = r.offset();
        let len = r.peek_u16(4).ok_or_else(|| {
            r.err(Reason::Truncated {
                what: "meter stats",
                need: 6,
                have: r.remaining(),
            })
        })? as usize;
        if len < 40 || len > r.remaining() {
            return Err(DecodeError::new(
                at + 4,
                Reason::BadLength {
                    what: "meter stats",
                    len,
                },
            ));
        }
        let mut s = r.sub(len, "meter stats")?;
        let meter_id = s.u32("meter_id")?;
        s.skip(8, "length and pad")?;
        let flow_count = s.u32("flow_count")?;
        let packet_in_count = s.u64("packet_in_count")?;
        let byte_in_count = s.u64("byte_in_count")?;
        let duration_sec = s.u32("duration_sec")?;
        let duration_nsec = s.u32("duration_nsec")?;
        Ok(MeterStats {
            meter_id,
            flow_count,
            packet_in_count,
            byte_in_count,
            duration_sec,
            duration_nsec,
            band_stats: many(&mut s, counters)?,
        })
    }

    fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        buf.put_u32(self.meter_id);
        let at = len_placeholder(buf);
        buf.put_bytes(0, 6);
        buf.put_u32(self.flow_count);
        buf.put_u64(self.packet_in_count);
        buf.put_u64(self.byte_in_count);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
        for (p, b) in &self.band_stats {
            buf.put_u64(*p);
            buf.put_u64(*b);
        }
        patch_len(buf, at, start, "meter stats")
    }
}

impl MeterConfig {
    fn decode(r: &mut Reader<'_>) -> DResult<MeterConfig> {
        let mut s = record(r, "meter config", 8)?;
        s.skip(2, "length")?;
        let flags = s.u16("flags")?;
        let meter_id = s.u32("meter_id")?;
        Ok(MeterConfig {
            flags,
            meter_id,
            bands: decode_bands(&mut s)?,
        })
    }

    fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        let at = len_placeholder(buf);
        buf.put_u16(self.flags);
        buf.put_u32(self.meter_id);
        for b in &self.bands {
            b.encode(buf)?;
        }
        patch_len(buf, at, start, "meter config")
    }
}

const DESC_STR_LEN: usize = 256;
const SERIAL_NUM_LEN: usize = 32;

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
        let at = r.offset();
        let typ = r.u16("multipart type")?;
        let flags = r.u16("multipart flags")?;
        r.skip(4, "pad")?;
        let body = match typ {
            DESC => B::Desc(Desc {
                mfr_desc: r.fixed_str(DESC_STR_LEN, "mfr_desc")?,
                hw_desc: r.fixed_str(DESC_STR_LEN, "hw_desc")?,
                sw_desc: r.fixed_str(DESC_STR_LEN, "sw_desc")?,
                serial_num: r.fixed_str(SERIAL_NUM_LEN, "serial_num")?,
                dp_desc: r.fixed_str(DESC_STR_LEN, "dp_desc")?,
            }),
            FLOW => B::Flow(many(r, FlowStats::decode)?),
            AGGREGATE => {
                let (packet_count, byte_count) = counters(r)?;
                let flow_count = r.u32("flow_count")?;
                r.skip(4, "pad")?;
                B::Aggregate(AggregateStats {
                    packet_count,
                    byte_count,
                    flow_count,
                })
            }
            TABLE => B::Table(many(r, |r| {
                let table_id = r.u8("table_id")?;
                r.skip(3, "pad")?;
                Ok(TableStats {
                    table_id,
                    active_count: r.u32("active_count")?,
                    lookup_count: r.u64("lookup_count")?,
                    matched_count: r.u64("matched_count")?,
                })
            })?),
            PORT_STATS => B::PortStats(many(r, PortStats::decode)?),
            QUEUE => B::Queue(many(r, |r| {
                Ok(QueueStats {
                    port_no: r.u32("port_no")?,
                    queue_id: r.u32("queue_id")?,
                    tx_bytes: r.u64("tx_bytes")?,
                    tx_packets: r.u64("tx_packets")?,
                    tx_errors: r.u64("tx_errors")?,
                    duration_sec: r.u32("duration_sec")?,
                    duration_nsec: r.u32("duration_nsec")?,
                })
            })?),
            GROUP => B::Group(many(r, GroupStats::decode)?),
            GROUP_DESC => B::GroupDesc(many(r, GroupDesc::decode)?),
            GROUP_FEATURES => {
                let types = r.u32("types")?;
                let capabilities = r.u32("capabilities")?;
                let mut max_groups = [0u32; 4];
                for v in max_groups.iter_mut() {
                    *v = r.u32("max_groups")?;
                }
                let mut actions = [0u32; 4];
                for v in actions.iter_mut() {
                    *v = r.u32("actions")?;
                }
                B::GroupFeatures(GroupFeatures {
                    types,
                    capabilities,
                    max_groups,
                    actions,
                })
            }
            METER => B::Meter(many(r, MeterStats::decode)?),
            METER_CONFIG => B::MeterConfig(many(r, MeterConfig::decode)?),
            METER_FEATURES => {
                let f = MeterFeatures {
                    max_meter: r.u32("max_meter")?,
                    band_types: r.u32("band_types")?,
                    capabilities: r.u32("capabilities")?,
                    max_bands: r.u8("max_bands")?,
                    max_color: r.u8("max_color")?,
                };
                r.skip(2, "pad")?;
                B::MeterFeatures(f)
            }
            TABLE_FEATURES => B::TableFeatures(table_features::decode_list(r)?),
            PORT_DESC => B::PortDesc(many(r, Port::decode)?),
            EXPERIMENTER => B::Experimenter {
                experimenter: r.u32("experimenter")?,
                exp_type: r.u32("exp_type")?,
                data: r.rest().to_vec(),
            },
            _ => {
                return Err(DecodeError::new(
                    at,
                    Reason::BadValue {
                        what: "multipart type",
                        value: typ as u64,
                    },
                ))
            }
        };
        Ok(MultipartReply { flags, body })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        use MultipartReplyBody as B;
        buf.put_u16(self.typ());
        buf.put_u16(self.flags);
        buf.put_bytes(0, 4);
        match &self.body {
            B::Desc(d) => {
                put_fixed_str(buf, &d.mfr_desc, DESC_STR_LEN);
                put_fixed_str(buf, &d.hw_desc, DESC_STR_LEN);
                put_fixed_str(buf, &d.sw_desc, DESC_STR_LEN);
                put_fixed_str(buf, &d.serial_num, SERIAL_NUM_LEN);
                put_fixed_str(buf, &d.dp_desc, DESC_STR_LEN);
            }
            B::Flow(v) => v.iter().try_for_each(|f| f.encode(buf))?,
            B::Aggregate(a) => {
                buf.put_u64(a.packet_count);
                buf.put_u64(a.byte_count);
                buf.put_u32(a.flow_count);
                buf.put_bytes(0, 4);
            }
            B::Table(v) => {
                for t in v {
                    buf.put_u8(t.table_id);
                    buf.put_bytes(0, 3);
                    buf.put_u32(t.active_count);
                    buf.put_u64(t.lookup_count);
                    buf.put_u64(t.matched_count);
                }
            }
            B::PortStats(v) => v.iter().for_each(|p| p.encode(buf)),
            B::Queue(v) => {
                for q in v {
                    buf.put_u32(q.port_no);
                    buf.put_u32(q.queue_id);
                    buf.put_u64(q.tx_bytes);
                    buf.put_u64(q.tx_packets);
                    buf.put_u64(q.tx_errors);
                    buf.put_u32(q.duration_sec);
                    buf.put_u32(q.duration_nsec);
                }
            }
            B::Group(v) => v.iter().try_for_each(|g| g.encode(buf))?,
            B::GroupDesc(v) => v.iter().try_for_each(|g| g.encode(buf))?,
            B::GroupFeatures(g) => {
                buf.put_u32(g.types);
                buf.put_u32(g.capabilities);
                g.max_groups.iter().for_each(|v| buf.put_u32(*v));
                g.actions.iter().for_each(|v| buf.put_u32(*v));
            }
            B::Meter(v) => v.iter().try_for_each(|m| m.encode(buf))?,
            B::MeterConfig(v) => v.iter().try_for_each(|m| m.encode(buf))?,
            B::MeterFeatures(m) => {
                buf.put_u32(m.max_meter);
                buf.put_u32(m.band_types);
                buf.put_u32(m.capabilities);
                buf.put_u8(m.max_bands);
                buf.put_u8(m.max_color);
                buf.put_bytes(0, 2);
            }
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
