//! The ONF bundle extension for OpenFlow 1.3 (experimenter `0x4F4E4600`, types 2300 and 2301),
//! which Open vSwitch accepts for atomic batches.

use super::Message;
use crate::error::Reason;
use crate::wire::{len_placeholder, pad_to, patch_len, DResult, Reader};
use crate::{DecodeError, EncodeError};
use bytes::{BufMut, BytesMut};

/// ONF experimenter id ("ONF\0").
pub const ONF_EXPERIMENTER: u32 = 0x4F4E_4600;
/// `ONFT_BUNDLE_CONTROL`.
pub const ONFT_BUNDLE_CONTROL: u32 = 2300;
/// `ONFT_BUNDLE_ADD_MESSAGE`.
pub const ONFT_BUNDLE_ADD_MESSAGE: u32 = 2301;

/// Bundle flag bits.
pub mod bundle_flags {
    /// Execute atomically.
    pub const ATOMIC: u16 = 1;
    /// Execute in order.
    pub const ORDERED: u16 = 2;
}

/// Bundle control message types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BundleCtrlType {
    /// Open a bundle.
    OpenRequest,
    /// Bundle opened.
    OpenReply,
    /// Close a bundle.
    CloseRequest,
    /// Bundle closed.
    CloseReply,
    /// Commit a bundle.
    CommitRequest,
    /// Bundle committed.
    CommitReply,
    /// Discard a bundle.
    DiscardRequest,
    /// Bundle discarded.
    DiscardReply,
}

impl BundleCtrlType {
    /// Wire value.
    pub fn to_u16(self) -> u16 {
        self as u16
    }

    /// From the wire value.
    pub fn from_u16(v: u16) -> Option<BundleCtrlType> {
        use BundleCtrlType::*;
        [
            OpenRequest,
            OpenReply,
            CloseRequest,
            CloseReply,
            CommitRequest,
            CommitReply,
            DiscardRequest,
            DiscardReply,
        ]
        .get(v as usize)
        .copied()
    }

    /// Name as ovs-ofctl prints it (`OPEN_REQUEST`).
    pub fn name(self) -> &'static str {
        use BundleCtrlType::*;
        match self {
            OpenRequest => "OPEN_REQUEST",
            OpenReply => "OPEN_REPLY",
            CloseRequest => "CLOSE_REQUEST",
            CloseReply => "CLOSE_REPLY",
            CommitRequest => "COMMIT_REQUEST",
            CommitReply => "COMMIT_REPLY",
            DiscardRequest => "DISCARD_REQUEST",
            DiscardReply => "DISCARD_REPLY",
        }
    }
}

/// A bundle property, kept raw (type, body without padding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleProperty {
    /// Property type.
    pub typ: u16,
    /// Body after the 4-byte header.
    pub body: Vec<u8>,
}

/// Bundle control message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleControl {
    /// Bundle id.
    pub bundle_id: u32,
    /// Control type.
    pub typ: BundleCtrlType,
    /// [`bundle_flags`] bits.
    pub flags: u16,
    /// Properties.
    pub properties: Vec<BundleProperty>,
}

impl BundleControl {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<BundleControl> {
        let bundle_id = r.u32("bundle_id")?;
        let at = r.offset();
        let t = r.u16("bundle control type")?;
        let typ = BundleCtrlType::from_u16(t).ok_or_else(|| {
            DecodeError::new(
                at,
                Reason::BadValue {
                    what: crate::Field::BundleControlType,
                    value: t as u64,
                },
            )
        })?;
        let flags = r.u16("flags")?;
        let mut properties = Vec::new();
        while !r.is_empty() {
            let mut p = r.tlv("bundle property", 4, 8)?;
            let typ = p.u16("property type")?;
            p.skip(2, "property length")?;
            properties.push(BundleProperty {
                typ,
                body: p.rest().to_vec(),
            });
        }
        Ok(BundleControl {
            bundle_id,
            typ,
            flags,
            properties,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u32(ONF_EXPERIMENTER);
        buf.put_u32(ONFT_BUNDLE_CONTROL);
        buf.put_u32(self.bundle_id);
        buf.put_u16(self.typ.to_u16());
        buf.put_u16(self.flags);
        for p in &self.properties {
            let start = buf.len();
            buf.put_u16(p.typ);
            let at = len_placeholder(buf);
            buf.put_slice(&p.body);
            patch_len(buf, at, start, "bundle property")?;
            pad_to(buf, start, 8);
        }
        Ok(())
    }
}

/// Bundle add message: one message to execute as part of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleAdd {
    /// Bundle id.
    pub bundle_id: u32,
    /// [`bundle_flags`] bits.
    pub flags: u16,
    /// The embedded message (Open vSwitch requires its xid to equal the outer one).
    pub message: Box<Message>,
    /// Bytes after the embedded message (padding and properties), kept raw.
    pub trailer: Vec<u8>,
}

impl BundleAdd {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<BundleAdd> {
        let bundle_id = r.u32("bundle_id")?;
        r.skip(2, "pad")?;
        let flags = r.u16("flags")?;
        let at = r.offset();
        let len = r.peek_u16(2).ok_or_else(|| {
            r.err(Reason::Truncated {
                what: "embedded message header",
                need: 8,
                have: r.remaining(),
            })
        })? as usize;
        if len < 8 || len > r.remaining() {
            return Err(DecodeError::new(
                at + 2,
                Reason::BadLength {
                    what: "embedded message",
                    len,
                },
            ));
        }
        let inner = r.take(len, "embedded message")?;
        let message = Message::decode(inner).map_err(|mut e| {
            e.offset += at;
            e.msg_type = Some(super::MsgType::Experimenter as u8);
            e
        })?;
        Ok(BundleAdd {
            bundle_id,
            flags,
            message: Box::new(message),
            trailer: r.rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u32(ONF_EXPERIMENTER);
        buf.put_u32(ONFT_BUNDLE_ADD_MESSAGE);
        buf.put_u32(self.bundle_id);
        buf.put_u16(0);
        buf.put_u16(self.flags);
        self.message.encode(buf)?;
        buf.put_slice(&self.trailer);
        Ok(())
    }
}
