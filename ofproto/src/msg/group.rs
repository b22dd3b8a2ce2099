//! `OFPT_GROUP_MOD` and buckets (shared with group-desc replies).

use crate::action::{decode_actions, emit_actions, Action};
use crate::error::Reason;
use crate::wire::{len_placeholder, patch_len, DResult, Reader};
use crate::EncodeError;
use bytes::{BufMut, BytesMut};

/// Group id numbers (`enum ofp_group`).
pub mod group_id {
    /// Last usable group number.
    pub const MAX: u32 = 0xffff_ff00;
    /// All groups (delete / stats).
    pub const ALL: u32 = 0xffff_fffc;
    /// Wildcard group.
    pub const ANY: u32 = 0xffff_ffff;
}

/// `enum ofp_group_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupType {
    /// Every bucket is executed (multicast, flooding).
    All,
    /// One bucket is chosen (load balancing).
    Select,
    /// The single bucket is executed.
    Indirect,
    /// The first live bucket is executed.
    FastFailover,
}

impl GroupType {
    /// Wire value.
    pub fn to_u8(self) -> u8 {
        self as u8
    }

    /// From the wire value.
    pub fn from_u8(v: u8) -> Option<GroupType> {
        use GroupType::*;
        [All, Select, Indirect, FastFailover]
            .get(v as usize)
            .copied()
    }

    /// ovs-ofctl name (`all`, `select`, `indirect`, `ff`).
    pub fn name(self) -> &'static str {
        match self {
            GroupType::All => "all",
            GroupType::Select => "select",
            GroupType::Indirect => "indirect",
            GroupType::FastFailover => "ff",
        }
    }
}

/// `enum ofp_group_mod_command` (and Open vSwitch's extensions as [`GroupModCommand::Other`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupModCommand {
    /// New group.
    Add,
    /// Replace the buckets.
    Modify,
    /// Delete the group.
    Delete,
    /// A command number outside OpenFlow 1.3 (e.g. OVS `ADD_OR_MOD` 0x8000).
    Other(u16),
}

impl GroupModCommand {
    /// Wire value.
    pub fn to_u16(self) -> u16 {
        match self {
            GroupModCommand::Add => 0,
            GroupModCommand::Modify => 1,
            GroupModCommand::Delete => 2,
            GroupModCommand::Other(v) => v,
        }
    }

    /// From the wire value.
    pub fn from_u16(v: u16) -> GroupModCommand {
        match v {
            0 => GroupModCommand::Add,
            1 => GroupModCommand::Modify,
            2 => GroupModCommand::Delete,
            v => GroupModCommand::Other(v),
        }
    }
}

/// `ofp_bucket`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bucket {
    /// Relative weight (select groups).
    pub weight: u16,
    /// Port whose liveness decides (fast failover), `OFPP_ANY` for none.
    pub watch_port: u32,
    /// Group whose liveness decides (fast failover), `OFPG_ANY` for none.
    pub watch_group: u32,
    /// Actions.
    pub actions: Vec<Action>,
}

impl Bucket {
    /// A bucket with no weight or watch, for `all` and `indirect` groups.
    pub fn new(actions: Vec<Action>) -> Bucket {
        Bucket {
            weight: 0,
            watch_port: crate::action::port_no::ANY,
            watch_group: group_id::ANY,
            actions,
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<Bucket> {
        let at = r.offset();
        let len = r.peek_u16(0).ok_or_else(|| {
            r.err(Reason::Truncated {
                what: "bucket",
                need: 2,
                have: r.remaining(),
            })
        })? as usize;
        if len < 16 || !len.is_multiple_of(8) || len > r.remaining() {
            return Err(crate::DecodeError::new(
                at,
                Reason::BadLength {
                    what: "bucket",
                    len,
                },
            ));
        }
        let mut b = r.sub(len, "bucket")?;
        b.skip(2, "bucket len")?;
        let weight = b.u16("weight")?;
        let watch_port = b.u32("watch_port")?;
        let watch_group = b.u32("watch_group")?;
        b.skip(4, "pad")?;
        Ok(Bucket {
            weight,
            watch_port,
            watch_group,
            actions: decode_actions(&mut b)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        let at = len_placeholder(buf);
        buf.put_u16(self.weight);
        buf.put_u32(self.watch_port);
        buf.put_u32(self.watch_group);
        buf.put_bytes(0, 4);
        emit_actions(&self.actions, buf)?;
        patch_len(buf, at, start, "bucket")
    }
}

/// Reads buckets until the reader is exhausted.
pub(crate) fn decode_buckets(r: &mut Reader<'_>) -> DResult<Vec<Bucket>> {
    r.many(Bucket::decode)
}

/// `OFPT_GROUP_MOD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMod {
    /// Command.
    pub command: GroupModCommand,
    /// Group type.
    pub group_type: GroupType,
    /// Group id.
    pub group_id: u32,
    /// Buckets.
    pub buckets: Vec<Bucket>,
}

/// Reads a group type byte.
pub(crate) fn decode_group_type(r: &mut Reader<'_>) -> DResult<GroupType> {
    let at = r.offset();
    let t = r.u8("group type")?;
    GroupType::from_u8(t).ok_or_else(|| {
        crate::DecodeError::new(
            at,
            Reason::BadValue {
                what: crate::Field::GroupType,
                value: t as u64,
            },
        )
    })
}

impl GroupMod {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<GroupMod> {
        let command = GroupModCommand::from_u16(r.u16("command")?);
        let group_type = decode_group_type(r)?;
        r.skip(1, "pad")?;
        let group_id = r.u32("group_id")?;
        Ok(GroupMod {
            command,
            group_type,
            group_id,
            buckets: decode_buckets(r)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u16(self.command.to_u16());
        buf.put_u8(self.group_type.to_u8());
        buf.put_u8(0);
        buf.put_u32(self.group_id);
        self.buckets.iter().try_for_each(|b| b.encode(buf))
    }
}
