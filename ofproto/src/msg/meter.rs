//! `OFPT_METER_MOD` and meter bands (shared with meter-config replies).

use crate::wire::{len_placeholder, patch_len, DResult, Reader};
use crate::EncodeError;
use bytes::{BufMut, BytesMut};

/// Meter flag bits (`enum ofp_meter_flags`).
pub mod meter_flags {
    /// Rates in kb/s.
    pub const KBPS: u16 = 1 << 0;
    /// Rates in packets/s.
    pub const PKTPS: u16 = 1 << 1;
    /// Use the burst size.
    pub const BURST: u16 = 1 << 2;
    /// Collect statistics.
    pub const STATS: u16 = 1 << 3;
}

/// Meter ids (`enum ofp_meter`).
pub mod meter_id {
    /// Last usable meter.
    pub const MAX: u32 = 0xffff_0000;
    /// Meter for slow-datapath traffic.
    pub const SLOWPATH: u32 = 0xffff_fffd;
    /// Meter for controller traffic.
    pub const CONTROLLER: u32 = 0xffff_fffe;
    /// All meters (stats / delete).
    pub const ALL: u32 = 0xffff_ffff;
}

/// `enum ofp_meter_mod_command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeterModCommand {
    /// New meter.
    Add,
    /// Modify a meter.
    Modify,
    /// Delete a meter.
    Delete,
    /// Another command number, kept.
    Other(u16),
}

impl MeterModCommand {
    /// Wire value.
    pub fn to_u16(self) -> u16 {
        match self {
            MeterModCommand::Add => 0,
            MeterModCommand::Modify => 1,
            MeterModCommand::Delete => 2,
            MeterModCommand::Other(v) => v,
        }
    }

    /// From the wire value.
    pub fn from_u16(v: u16) -> MeterModCommand {
        match v {
            0 => MeterModCommand::Add,
            1 => MeterModCommand::Modify,
            2 => MeterModCommand::Delete,
            v => MeterModCommand::Other(v),
        }
    }
}

/// A meter band.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MeterBand {
    /// `OFPMBT_DROP`: drop packets above the rate.
    Drop {
        /// Rate (kb/s or packets/s per the meter flags).
        rate: u32,
        /// Burst size.
        burst_size: u32,
    },
    /// `OFPMBT_DSCP_REMARK`: raise the drop precedence of the DSCP above the rate.
    DscpRemark {
        /// Rate.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Number of precedence levels to add.
        prec_level: u8,
    },
    /// `OFPMBT_EXPERIMENTER`.
    Experimenter {
        /// Rate.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Experimenter id.
        experimenter: u32,
        /// Data after the experimenter id.
        data: Vec<u8>,
    },
    /// Unknown band type, kept raw.
    Unknown {
        /// Band type.
        typ: u16,
        /// Rate.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Bytes after the common 12-byte header.
        body: Vec<u8>,
    },
}

impl MeterBand {
    /// Rate of the band.
    pub fn rate(&self) -> u32 {
        match self {
            MeterBand::Drop { rate, .. }
            | MeterBand::DscpRemark { rate, .. }
            | MeterBand::Experimenter { rate, .. }
            | MeterBand::Unknown { rate, .. } => *rate,
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<MeterBand> {
        let mut b = r.tlv("meter band", 12, 1)?;
        let typ = b.u16("band type")?;
        b.skip(2, "band length")?;
        let rate = b.u32("rate")?;
        let burst_size = b.u32("burst_size")?;
        Ok(match typ {
            1 if b.remaining() == 4 => MeterBand::Drop { rate, burst_size },
            2 if b.remaining() == 4 => MeterBand::DscpRemark {
                rate,
                burst_size,
                prec_level: b.u8("prec_level")?,
            },
            0xffff if b.remaining() >= 4 => MeterBand::Experimenter {
                rate,
                burst_size,
                experimenter: b.u32("experimenter")?,
                data: b.rest().to_vec(),
            },
            _ => MeterBand::Unknown {
                typ,
                rate,
                burst_size,
                body: b.rest().to_vec(),
            },
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        let (typ, burst) = match self {
            MeterBand::Drop { burst_size, .. } => (1, burst_size),
            MeterBand::DscpRemark { burst_size, .. } => (2, burst_size),
            MeterBand::Experimenter { burst_size, .. } => (0xffff, burst_size),
            MeterBand::Unknown {
                typ, burst_size, ..
            } => (*typ, burst_size),
        };
        buf.put_u16(typ);
        let at = len_placeholder(buf);
        buf.put_u32(self.rate());
        buf.put_u32(*burst);
        match self {
            MeterBand::Drop { .. } => buf.put_bytes(0, 4),
            MeterBand::DscpRemark { prec_level, .. } => {
                buf.put_u8(*prec_level);
                buf.put_bytes(0, 3);
            }
            MeterBand::Experimenter {
                experimenter, data, ..
            } => {
                buf.put_u32(*experimenter);
                buf.put_slice(data);
            }
            MeterBand::Unknown { body, .. } => buf.put_slice(body),
        }
        patch_len(buf, at, start, "meter band")
    }
}

/// Reads bands until the reader is exhausted.
pub(crate) fn decode_bands(r: &mut Reader<'_>) -> DResult<Vec<MeterBand>> {
    r.many(MeterBand::decode)
}

/// `OFPT_METER_MOD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterMod {
    /// Command.
    pub command: MeterModCommand,
    /// [`meter_flags`] bits.
    pub flags: u16,
    /// Meter id.
    pub meter_id: u32,
    /// Bands.
    pub bands: Vec<MeterBand>,
}

impl MeterMod {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<MeterMod> {
        Ok(MeterMod {
            command: MeterModCommand::from_u16(r.u16("command")?),
            flags: r.u16("flags")?,
            meter_id: r.u32("meter_id")?,
            bands: decode_bands(r)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u16(self.command.to_u16());
        buf.put_u16(self.flags);
        buf.put_u32(self.meter_id);
        self.bands.iter().try_for_each(|b| b.encode(buf))
    }
}
