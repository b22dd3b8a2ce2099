//! The records of multipart replies: statistics, descriptions and features.

use super::{counters, record};
use crate::instruction::{decode_instructions, emit_instructions, Instruction};
use crate::msg::{
    group::{decode_buckets, decode_group_type},
    meter::decode_bands,
    Bucket, GroupType, MeterBand,
};
use crate::wire::{len_placeholder, patch_len, put_fixed_str, DResult, Reader};
use crate::{DecodeError, EncodeError, Match, Reason};
use bytes::{BufMut, BytesMut};

const DESC_STR_LEN: usize = 256;
const SERIAL_NUM_LEN: usize = 32;

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

impl FlowStats {
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<FlowStats> {
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

    pub(super) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
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
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<PortStats> {
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

    pub(super) fn encode(&self, buf: &mut BytesMut) {
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
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<GroupStats> {
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
            bucket_stats: s.many(counters)?,
        })
    }

    pub(super) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
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
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<GroupDesc> {
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

    pub(super) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
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
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<MeterStats> {
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
            band_stats: s.many(counters)?,
        })
    }

    pub(super) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
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
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<MeterConfig> {
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

    pub(super) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
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

impl Desc {
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<Desc> {
        Ok(Desc {
            mfr_desc: r.fixed_str(DESC_STR_LEN, "mfr_desc")?,
            hw_desc: r.fixed_str(DESC_STR_LEN, "hw_desc")?,
            sw_desc: r.fixed_str(DESC_STR_LEN, "sw_desc")?,
            serial_num: r.fixed_str(SERIAL_NUM_LEN, "serial_num")?,
            dp_desc: r.fixed_str(DESC_STR_LEN, "dp_desc")?,
        })
    }

    pub(super) fn encode(&self, buf: &mut BytesMut) {
        put_fixed_str(buf, &self.mfr_desc, DESC_STR_LEN);
        put_fixed_str(buf, &self.hw_desc, DESC_STR_LEN);
        put_fixed_str(buf, &self.sw_desc, DESC_STR_LEN);
        put_fixed_str(buf, &self.serial_num, SERIAL_NUM_LEN);
        put_fixed_str(buf, &self.dp_desc, DESC_STR_LEN);
    }
}

impl AggregateStats {
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<AggregateStats> {
        let (packet_count, byte_count) = counters(r)?;
        let flow_count = r.u32("flow_count")?;
        r.skip(4, "pad")?;
        Ok(AggregateStats {
            packet_count,
            byte_count,
            flow_count,
        })
    }

    pub(super) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
        buf.put_u32(self.flow_count);
        buf.put_bytes(0, 4);
    }
}

impl TableStats {
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<TableStats> {
        let table_id = r.u8("table_id")?;
        r.skip(3, "pad")?;
        Ok(TableStats {
            table_id,
            active_count: r.u32("active_count")?,
            lookup_count: r.u64("lookup_count")?,
            matched_count: r.u64("matched_count")?,
        })
    }

    pub(super) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.table_id);
        buf.put_bytes(0, 3);
        buf.put_u32(self.active_count);
        buf.put_u64(self.lookup_count);
        buf.put_u64(self.matched_count);
    }
}

impl QueueStats {
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<QueueStats> {
        Ok(QueueStats {
            port_no: r.u32("port_no")?,
            queue_id: r.u32("queue_id")?,
            tx_bytes: r.u64("tx_bytes")?,
            tx_packets: r.u64("tx_packets")?,
            tx_errors: r.u64("tx_errors")?,
            duration_sec: r.u32("duration_sec")?,
            duration_nsec: r.u32("duration_nsec")?,
        })
    }

    pub(super) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.port_no);
        buf.put_u32(self.queue_id);
        buf.put_u64(self.tx_bytes);
        buf.put_u64(self.tx_packets);
        buf.put_u64(self.tx_errors);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
    }
}

impl GroupFeatures {
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<GroupFeatures> {
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
        Ok(GroupFeatures {
            types,
            capabilities,
            max_groups,
            actions,
        })
    }

    pub(super) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.types);
        buf.put_u32(self.capabilities);
        self.max_groups.iter().for_each(|v| buf.put_u32(*v));
        self.actions.iter().for_each(|v| buf.put_u32(*v));
    }
}

impl MeterFeatures {
    pub(super) fn decode(r: &mut Reader<'_>) -> DResult<MeterFeatures> {
        let f = MeterFeatures {
            max_meter: r.u32("max_meter")?,
            band_types: r.u32("band_types")?,
            capabilities: r.u32("capabilities")?,
            max_bands: r.u8("max_bands")?,
            max_color: r.u8("max_color")?,
        };
        r.skip(2, "pad")?;
        Ok(f)
    }

    pub(super) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.max_meter);
        buf.put_u32(self.band_types);
        buf.put_u32(self.capabilities);
        buf.put_u8(self.max_bands);
        buf.put_u8(self.max_color);
        buf.put_bytes(0, 2);
    }
}
