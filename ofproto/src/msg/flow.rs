//! Flow messages: `OFPT_FLOW_MOD`, `OFPT_FLOW_REMOVED`, `OFPT_PACKET_IN`, `OFPT_PACKET_OUT`.

use crate::action::{decode_actions, emit_actions, Action};
use crate::error::Reason;
use crate::instruction::{decode_instructions, emit_instructions, Instruction};
use crate::wire::{DResult, Reader};
use crate::{EncodeError, Match};
use bytes::{BufMut, BytesMut};

/// `OFP_NO_BUFFER`: the packet is not buffered on the switch.
pub const OFP_NO_BUFFER: u32 = 0xffff_ffff;
/// `OFPG_ANY`: any group (wildcard in requests).
pub const OFPG_ANY: u32 = 0xffff_ffff;
/// `OFPTT_ALL`: all tables.
pub const OFPTT_ALL: u8 = 0xff;

/// Flow-mod flag bits (`enum ofp_flow_mod_flags`).
pub mod flow_flags {
    /// Send a flow-removed message when the flow expires or is deleted.
    pub const SEND_FLOW_REM: u16 = 1 << 0;
    /// Check for overlapping entries first.
    pub const CHECK_OVERLAP: u16 = 1 << 1;
    /// Reset packet and byte counts.
    pub const RESET_COUNTS: u16 = 1 << 2;
    /// Do not keep track of packet count.
    pub const NO_PKT_COUNTS: u16 = 1 << 3;
    /// Do not keep track of byte count.
    pub const NO_BYT_COUNTS: u16 = 1 << 4;
}

/// `enum ofp_flow_mod_command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowModCommand {
    /// New flow.
    Add,
    /// Modify all matching flows.
    Modify,
    /// Modify the entry strictly matching wildcards and priority.
    ModifyStrict,
    /// Delete all matching flows.
    Delete,
    /// Delete the entry strictly matching wildcards and priority.
    DeleteStrict,
}

impl FlowModCommand {
    /// Wire value.
    pub fn to_u8(self) -> u8 {
        self as u8
    }

    /// From the wire value.
    pub fn from_u8(v: u8) -> Option<FlowModCommand> {
        use FlowModCommand::*;
        [Add, Modify, ModifyStrict, Delete, DeleteStrict]
            .get(v as usize)
            .copied()
    }
}

/// `OFPT_FLOW_MOD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowMod {
    /// Opaque controller-issued identifier.
    pub cookie: u64,
    /// Mask on the cookie for modify and delete.
    pub cookie_mask: u64,
    /// Table id.
    pub table_id: u8,
    /// Command.
    pub command: FlowModCommand,
    /// Idle timeout in seconds (0: none).
    pub idle_timeout: u16,
    /// Hard timeout in seconds (0: none).
    pub hard_timeout: u16,
    /// Priority.
    pub priority: u16,
    /// Buffered packet to apply to, or [`OFP_NO_BUFFER`].
    pub buffer_id: u32,
    /// For delete: output port filter (`OFPP_ANY` for none).
    pub out_port: u32,
    /// For delete: output group filter ([`OFPG_ANY`] for none).
    pub out_group: u32,
    /// [`flow_flags`] bits.
    pub flags: u16,
    /// The match.
    pub r#match: Match,
    /// The instructions.
    pub instructions: Vec<Instruction>,
}

impl FlowMod {
    /// An ADD with no timeouts, no buffer and no filters.
    pub fn add(table_id: u8, priority: u16, m: Match, instructions: Vec<Instruction>) -> FlowMod {
        FlowMod {
            cookie: 0,
            cookie_mask: 0,
            table_id,
            command: FlowModCommand::Add,
            idle_timeout: 0,
            hard_timeout: 0,
            priority,
            buffer_id: OFP_NO_BUFFER,
            out_port: crate::action::port_no::ANY,
            out_group: OFPG_ANY,
            flags: 0,
            r#match: m,
            instructions,
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<FlowMod> {
        let cookie = r.u64("cookie")?;
        let cookie_mask = r.u64("cookie_mask")?;
        let table_id = r.u8("table_id")?;
        let at = r.offset();
        let c = r.u8("command")?;
        let command = FlowModCommand::from_u8(c).ok_or_else(|| {
            crate::DecodeError::new(
                at,
                Reason::BadValue {
                    what: crate::Field::FlowModCommand,
                    value: c as u64,
                },
            )
        })?;
        let idle_timeout = r.u16("idle_timeout")?;
        let hard_timeout = r.u16("hard_timeout")?;
        let priority = r.u16("priority")?;
        let buffer_id = r.u32("buffer_id")?;
        let out_port = r.u32("out_port")?;
        let out_group = r.u32("out_group")?;
        let flags = r.u16("flags")?;
        r.skip(2, "pad")?;
        let m = Match::decode(r)?;
        let instructions = decode_instructions(r)?;
        Ok(FlowMod {
            cookie,
            cookie_mask,
            table_id,
            command,
            idle_timeout,
            hard_timeout,
            priority,
            buffer_id,
            out_port,
            out_group,
            flags,
            r#match: m,
            instructions,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u64(self.cookie);
        buf.put_u64(self.cookie_mask);
        buf.put_u8(self.table_id);
        buf.put_u8(self.command.to_u8());
        buf.put_u16(self.idle_timeout);
        buf.put_u16(self.hard_timeout);
        buf.put_u16(self.priority);
        buf.put_u32(self.buffer_id);
        buf.put_u32(self.out_port);
        buf.put_u32(self.out_group);
        buf.put_u16(self.flags);
        buf.put_bytes(0, 2);
        self.r#match.emit(buf)?;
        emit_instructions(&self.instructions, buf)
    }
}

/// `OFPT_FLOW_REMOVED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRemoved {
    /// Cookie of the removed flow.
    pub cookie: u64,
    /// Its priority.
    pub priority: u16,
    /// `OFPRR_*` reason.
    pub reason: u8,
    /// Its table.
    pub table_id: u8,
    /// Time alive, seconds.
    pub duration_sec: u32,
    /// Time alive beyond `duration_sec`, nanoseconds.
    pub duration_nsec: u32,
    /// Its idle timeout.
    pub idle_timeout: u16,
    /// Its hard timeout.
    pub hard_timeout: u16,
    /// Packets matched.
    pub packet_count: u64,
    /// Bytes matched.
    pub byte_count: u64,
    /// Its match.
    pub r#match: Match,
}

impl FlowRemoved {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<FlowRemoved> {
        Ok(FlowRemoved {
            cookie: r.u64("cookie")?,
            priority: r.u16("priority")?,
            reason: r.u8("reason")?,
            table_id: r.u8("table_id")?,
            duration_sec: r.u32("duration_sec")?,
            duration_nsec: r.u32("duration_nsec")?,
            idle_timeout: r.u16("idle_timeout")?,
            hard_timeout: r.u16("hard_timeout")?,
            packet_count: r.u64("packet_count")?,
            byte_count: r.u64("byte_count")?,
            r#match: Match::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u64(self.cookie);
        buf.put_u16(self.priority);
        buf.put_u8(self.reason);
        buf.put_u8(self.table_id);
        buf.put_u32(self.duration_sec);
        buf.put_u32(self.duration_nsec);
        buf.put_u16(self.idle_timeout);
        buf.put_u16(self.hard_timeout);
        buf.put_u64(self.packet_count);
        buf.put_u64(self.byte_count);
        self.r#match.emit(buf)
    }
}

/// `OFPT_PACKET_IN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketIn {
    /// Buffer id, or [`OFP_NO_BUFFER`].
    pub buffer_id: u32,
    /// Full length of the frame.
    pub total_len: u16,
    /// `OFPR_*` reason (0 no match, 1 action, 2 invalid TTL).
    pub reason: u8,
    /// Table that was looked up.
    pub table_id: u8,
    /// Cookie of the flow that sent the packet.
    pub cookie: u64,
    /// Pipeline fields (in_port and others).
    pub r#match: Match,
    /// The frame (or its first bytes).
    pub data: Vec<u8>,
}

impl PacketIn {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<PacketIn> {
        let buffer_id = r.u32("buffer_id")?;
        let total_len = r.u16("total_len")?;
        let reason = r.u8("reason")?;
        let table_id = r.u8("table_id")?;
        let cookie = r.u64("cookie")?;
        let m = Match::decode(r)?;
        r.skip(2, "pad")?;
        Ok(PacketIn {
            buffer_id,
            total_len,
            reason,
            table_id,
            cookie,
            r#match: m,
            data: r.rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u32(self.buffer_id);
        buf.put_u16(self.total_len);
        buf.put_u8(self.reason);
        buf.put_u8(self.table_id);
        buf.put_u64(self.cookie);
        self.r#match.emit(buf)?;
        buf.put_bytes(0, 2);
        buf.put_slice(&self.data);
        Ok(())
    }

    /// The `in_port` from the match, if present.
    pub fn in_port(&self) -> Option<u32> {
        self.r#match.fields.iter().find_map(|f| match f {
            crate::OxmField::InPort(p) => Some(*p),
            _ => None,
        })
    }
}

/// `OFPT_PACKET_OUT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketOut {
    /// Buffer id, or [`OFP_NO_BUFFER`] when `data` holds the frame.
    pub buffer_id: u32,
    /// Ingress port for the actions (`OFPP_CONTROLLER` if none).
    pub in_port: u32,
    /// Actions.
    pub actions: Vec<Action>,
    /// The frame when not buffered.
    pub data: Vec<u8>,
}

impl PacketOut {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<PacketOut> {
        let buffer_id = r.u32("buffer_id")?;
        let in_port = r.u32("in_port")?;
        let len_at = r.offset();
        let actions_len = r.u16("actions_len")? as usize;
        r.skip(6, "pad")?;
        if actions_len > r.remaining() {
            return Err(crate::DecodeError::new(
                len_at,
                Reason::BadLength {
                    what: "packet_out actions",
                    len: actions_len,
                },
            ));
        }
        let mut a = r.sub(actions_len, "packet_out actions")?;
        let actions = decode_actions(&mut a)?;
        Ok(PacketOut {
            buffer_id,
            in_port,
            actions,
            data: r.rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u32(self.buffer_id);
        buf.put_u32(self.in_port);
        let at = crate::wire::len_placeholder(buf);
        buf.put_bytes(0, 6);
        let start = buf.len();
        emit_actions(&self.actions, buf)?;
        let len = buf.len() - start;
        let v = u16::try_from(len).map_err(|_| EncodeError::TooLong {
            what: "actions",
            len,
        })?;
        buf[at..at + 2].copy_from_slice(&v.to_be_bytes());
        buf.put_slice(&self.data);
        Ok(())
    }
}
