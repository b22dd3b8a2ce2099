//! Switch-level messages: features, configuration, table mod and role.

use crate::error::Reason;
use crate::wire::{DResult, Reader};
use bytes::{BufMut, BytesMut};

/// `OFPT_FEATURES_REPLY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeaturesReply {
    /// Datapath id.
    pub datapath_id: u64,
    /// Packets the switch can buffer.
    pub n_buffers: u32,
    /// Number of flow tables.
    pub n_tables: u8,
    /// Auxiliary connection id (0 for the main connection).
    pub auxiliary_id: u8,
    /// `OFPC_*` capability bits.
    pub capabilities: u32,
    /// Reserved field.
    pub reserved: u32,
}

impl FeaturesReply {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<FeaturesReply> {
        let f = FeaturesReply {
            datapath_id: r.u64("datapath_id")?,
            n_buffers: r.u32("n_buffers")?,
            n_tables: r.u8("n_tables")?,
            auxiliary_id: r.u8("auxiliary_id")?,
            capabilities: {
                r.skip(2, "pad")?;
                r.u32("capabilities")?
            },
            reserved: r.u32("reserved")?,
        };
        Ok(f)
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u64(self.datapath_id);
        buf.put_u32(self.n_buffers);
        buf.put_u8(self.n_tables);
        buf.put_u8(self.auxiliary_id);
        buf.put_bytes(0, 2);
        buf.put_u32(self.capabilities);
        buf.put_u32(self.reserved);
    }
}

/// `OFPT_GET_CONFIG_REPLY` / `OFPT_SET_CONFIG` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SwitchConfig {
    /// `OFPC_FRAG_*` flags.
    pub flags: u16,
    /// Bytes of a table-miss packet sent to the controller.
    pub miss_send_len: u16,
}

impl SwitchConfig {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<SwitchConfig> {
        Ok(SwitchConfig {
            flags: r.u16("flags")?,
            miss_send_len: r.u16("miss_send_len")?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u16(self.flags);
        buf.put_u16(self.miss_send_len);
    }
}

/// `OFPT_TABLE_MOD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableMod {
    /// Table id (`0xff` for all tables).
    pub table_id: u8,
    /// `OFPTC_*` config bits.
    pub config: u32,
}

impl TableMod {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<TableMod> {
        let table_id = r.u8("table_id")?;
        r.skip(3, "pad")?;
        Ok(TableMod {
            table_id,
            config: r.u32("config")?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.table_id);
        buf.put_bytes(0, 3);
        buf.put_u32(self.config);
    }
}

/// A controller role (`enum ofp_controller_role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Do not change the role.
    NoChange,
    /// Full access, several controllers may be equal.
    Equal,
    /// Full access, one master.
    Master,
    /// Read-only access.
    Slave,
}

impl Role {
    /// The wire value.
    pub fn to_u32(self) -> u32 {
        match self {
            Role::NoChange => 0,
            Role::Equal => 1,
            Role::Master => 2,
            Role::Slave => 3,
        }
    }

    /// From the wire value.
    pub fn from_u32(v: u32) -> Option<Role> {
        Some(match v {
            0 => Role::NoChange,
            1 => Role::Equal,
            2 => Role::Master,
            3 => Role::Slave,
            _ => return None,
        })
    }

    /// The lower-case name (`master`).
    pub fn name(self) -> &'static str {
        match self {
            Role::NoChange => "nochange",
            Role::Equal => "equal",
            Role::Master => "master",
            Role::Slave => "slave",
        }
    }
}

/// `OFPT_ROLE_REQUEST` / `OFPT_ROLE_REPLY` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleMessage {
    /// The role.
    pub role: Role,
    /// Master election generation id.
    pub generation_id: u64,
}

impl RoleMessage {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<RoleMessage> {
        let at = r.offset();
        let v = r.u32("role")?;
        let role = Role::from_u32(v).ok_or_else(|| {
            crate::DecodeError::new(
                at,
                Reason::BadValue {
                    what: crate::Field::Role,
                    value: v as u64,
                },
            )
        })?;
        r.skip(4, "pad")?;
        Ok(RoleMessage {
            role,
            generation_id: r.u64("generation_id")?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.role.to_u32());
        buf.put_bytes(0, 4);
        buf.put_u64(self.generation_id);
    }
}
