//! `OFPT_QUEUE_GET_CONFIG_REPLY` and queue properties.

use crate::wire::{len_placeholder, pad_to, patch_len, DResult, Reader};
use crate::EncodeError;
use bytes::{BufMut, BytesMut};

/// A queue property (`ofp_queue_prop_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueProperty {
    /// Minimum rate in 1/10 of a percent.
    MinRate(u16),
    /// Maximum rate in 1/10 of a percent.
    MaxRate(u16),
    /// Experimenter property.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Data after the id and its padding.
        data: Vec<u8>,
    },
    /// Unknown property, kept raw.
    Unknown {
        /// Property type.
        typ: u16,
        /// Bytes after the 8-byte property header.
        body: Vec<u8>,
    },
}

/// `ofp_packet_queue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketQueue {
    /// Queue id.
    pub queue_id: u32,
    /// Port the queue is attached to.
    pub port: u32,
    /// Properties.
    pub properties: Vec<QueueProperty>,
}

/// `OFPT_QUEUE_GET_CONFIG_REPLY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueGetConfigReply {
    /// Port queried.
    pub port: u32,
    /// Its queues.
    pub queues: Vec<PacketQueue>,
}

impl QueueProperty {
    fn decode(r: &mut Reader<'_>) -> DResult<QueueProperty> {
        let mut p = r.tlv("queue property", 8, 8)?;
        let typ = p.u16("property type")?;
        p.skip(6, "property header")?;
        Ok(match typ {
            1 | 2 if p.remaining() == 8 => {
                let rate = p.u16("rate")?;
                if typ == 1 {
                    QueueProperty::MinRate(rate)
                } else {
                    QueueProperty::MaxRate(rate)
                }
            }
            0xffff if p.remaining() >= 8 => {
                let experimenter = p.u32("experimenter")?;
                p.skip(4, "pad")?;
                QueueProperty::Experimenter {
                    experimenter,
                    data: p.rest().to_vec(),
                }
            }
            _ => QueueProperty::Unknown {
                typ,
                body: p.rest().to_vec(),
            },
        })
    }

    fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        let typ = match self {
            QueueProperty::MinRate(_) => 1,
            QueueProperty::MaxRate(_) => 2,
            QueueProperty::Experimenter { .. } => 0xffff,
            QueueProperty::Unknown { typ, .. } => *typ,
        };
        buf.put_u16(typ);
        let at = len_placeholder(buf);
        buf.put_bytes(0, 4);
        match self {
            QueueProperty::MinRate(r) | QueueProperty::MaxRate(r) => {
                buf.put_u16(*r);
                buf.put_bytes(0, 6);
            }
            QueueProperty::Experimenter { experimenter, data } => {
                buf.put_u32(*experimenter);
                buf.put_bytes(0, 4);
                buf.put_slice(data);
            }
            QueueProperty::Unknown { body, .. } => buf.put_slice(body),
        }
        patch_len(buf, at, start, "queue property")?;
        pad_to(buf, start, 8);
        Ok(())
    }
}

impl PacketQueue {
    /// Reads one `ofp_packet_queue`.
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<PacketQueue> {
        let at = r.offset();
        let queue_id = r.u32("queue_id")?;
        let port = r.u32("port")?;
        let len = r.u16("queue length")? as usize;
        if len < 16 {
            return Err(crate::DecodeError::new(
                at + 8,
                crate::Reason::BadLength {
                    what: "packet queue",
                    len,
                },
            ));
        }
        r.skip(6, "pad")?;
        let mut body = r.sub(len - 16, "queue properties")?;
        let properties = body.many(QueueProperty::decode)?;
        Ok(PacketQueue {
            queue_id,
            port,
            properties,
        })
    }

    fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        buf.put_u32(self.queue_id);
        buf.put_u32(self.port);
        let at = len_placeholder(buf);
        buf.put_bytes(0, 6);
        for p in &self.properties {
            p.encode(buf)?;
        }
        patch_len(buf, at, start, "packet queue")
    }
}

impl QueueGetConfigReply {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<QueueGetConfigReply> {
        let port = r.u32("port")?;
        r.skip(4, "pad")?;
        let queues = r.many(PacketQueue::decode)?;
        Ok(QueueGetConfigReply { port, queues })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        buf.put_u32(self.port);
        buf.put_bytes(0, 4);
        self.queues.iter().try_for_each(|q| q.encode(buf))
    }
}
