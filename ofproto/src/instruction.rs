//! OpenFlow 1.3 instructions (`ofp_instruction_*`).

use crate::action::{decode_actions, emit_actions, Action};
use crate::wire::{len_placeholder, pad_to, patch_len, DResult, Reader};
use crate::EncodeError;
use bytes::{BufMut, BytesMut};

/// Instruction type numbers (`enum ofp_instruction_type`).
pub mod instruction_type {
    /// Go to a later table.
    pub const GOTO_TABLE: u16 = 1;
    /// Write metadata under a mask.
    pub const WRITE_METADATA: u16 = 2;
    /// Merge actions into the action set.
    pub const WRITE_ACTIONS: u16 = 3;
    /// Apply actions immediately.
    pub const APPLY_ACTIONS: u16 = 4;
    /// Clear the action set.
    pub const CLEAR_ACTIONS: u16 = 5;
    /// Apply a meter.
    pub const METER: u16 = 6;
    /// Experimenter instruction.
    pub const EXPERIMENTER: u16 = 0xffff;
}

/// One instruction of a flow entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Instruction {
    /// Continue in table `n`.
    GotoTable(u8),
    /// `metadata = (metadata & !mask) | (value & mask)`.
    WriteMetadata {
        /// The value.
        metadata: u64,
        /// Which bits to write.
        mask: u64,
    },
    /// Merge into the action set.
    WriteActions(Vec<Action>),
    /// Apply now.
    ApplyActions(Vec<Action>),
    /// Empty the action set.
    ClearActions,
    /// Send through a meter.
    Meter(u32),
    /// Experimenter instruction, kept raw.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Everything after the id.
        data: Vec<u8>,
    },
    /// Unknown instruction type, kept raw.
    Unknown {
        /// Instruction type.
        typ: u16,
        /// Everything after the 4-byte header.
        body: Vec<u8>,
    },
}

impl Instruction {
    /// Whether the instruction is or carries a vendor extension ([`Action::is_extension`]).
    pub fn uses_extensions(&self) -> bool {
        match self {
            Instruction::Experimenter { .. } => true,
            Instruction::ApplyActions(a) | Instruction::WriteActions(a) => {
                a.iter().any(Action::is_extension)
            }
            _ => false,
        }
    }

    /// The instruction type number.
    pub fn typ(&self) -> u16 {
        use instruction_type::*;
        match self {
            Instruction::GotoTable(_) => GOTO_TABLE,
            Instruction::WriteMetadata { .. } => WRITE_METADATA,
            Instruction::WriteActions(_) => WRITE_ACTIONS,
            Instruction::ApplyActions(_) => APPLY_ACTIONS,
            Instruction::ClearActions => CLEAR_ACTIONS,
            Instruction::Meter(_) => METER,
            Instruction::Experimenter { .. } => EXPERIMENTER,
            Instruction::Unknown { typ, .. } => *typ,
        }
    }

    /// Rank in the order OpenFlow 1.3 executes instructions (section 5.9): meter, apply-actions,
    /// clear-actions, write-actions, write-metadata, goto-table; experimenter and unknown last.
    /// Open vSwitch also reports a flow's instructions in this order.
    pub fn execution_rank(&self) -> u8 {
        match self {
            Instruction::Meter(_) => 0,
            Instruction::ApplyActions(_) => 1,
            Instruction::ClearActions => 2,
            Instruction::WriteActions(_) => 3,
            Instruction::WriteMetadata { .. } => 4,
            Instruction::GotoTable(_) => 5,
            Instruction::Experimenter { .. } | Instruction::Unknown { .. } => 6,
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<Instruction> {
        let (typ, mut i, len) = r.tlv8("instruction")?;
        let want = |n| len.expect(n);
        use instruction_type::*;
        Ok(match typ {
            GOTO_TABLE => {
                want(8)?;
                Instruction::GotoTable(i.u8("table id")?)
            }
            WRITE_METADATA => {
                want(24)?;
                i.skip(4, "pad")?;
                Instruction::WriteMetadata {
                    metadata: i.u64("metadata")?,
                    mask: i.u64("metadata mask")?,
                }
            }
            WRITE_ACTIONS | APPLY_ACTIONS => {
                i.skip(4, "pad")?;
                let acts = decode_actions(&mut i)?;
                if typ == WRITE_ACTIONS {
                    Instruction::WriteActions(acts)
                } else {
                    Instruction::ApplyActions(acts)
                }
            }
            CLEAR_ACTIONS => {
                want(8)?;
                Instruction::ClearActions
            }
            METER => {
                want(8)?;
                Instruction::Meter(i.u32("meter id")?)
            }
            EXPERIMENTER => Instruction::Experimenter {
                experimenter: i.u32("experimenter id")?,
                data: i.rest().to_vec(),
            },
            _ => Instruction::Unknown {
                typ,
                body: i.rest().to_vec(),
            },
        })
    }

    pub(crate) fn emit(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        buf.put_u16(self.typ());
        let at = len_placeholder(buf);
        match self {
            Instruction::GotoTable(t) => {
                buf.put_u8(*t);
                buf.put_bytes(0, 3);
            }
            Instruction::WriteMetadata { metadata, mask } => {
                buf.put_bytes(0, 4);
                buf.put_u64(*metadata);
                buf.put_u64(*mask);
            }
            Instruction::WriteActions(a) | Instruction::ApplyActions(a) => {
                buf.put_bytes(0, 4);
                emit_actions(a, buf)?;
            }
            Instruction::ClearActions => buf.put_bytes(0, 4),
            Instruction::Meter(m) => buf.put_u32(*m),
            Instruction::Experimenter { experimenter, data } => {
                buf.put_u32(*experimenter);
                buf.put_slice(data);
            }
            Instruction::Unknown { body, .. } => buf.put_slice(body),
        }
        pad_to(buf, start, 8);
        patch_len(buf, at, start, "instruction")
    }
}

/// Reads instructions until the reader is exhausted.
pub(crate) fn decode_instructions(r: &mut Reader<'_>) -> DResult<Vec<Instruction>> {
    r.many(Instruction::decode)
        .map_err(|e| e.within(crate::Part::Instruction))
}

/// Writes a list of instructions.
pub(crate) fn emit_instructions(
    list: &[Instruction],
    buf: &mut BytesMut,
) -> Result<(), EncodeError> {
    list.iter().try_for_each(|i| i.emit(buf))
}
