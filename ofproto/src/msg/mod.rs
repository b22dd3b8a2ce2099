//! OpenFlow 1.3 messages: the header, the message enum and one module per message family.

mod async_config;
mod bundle;
mod error_msg;
mod experimenter;
mod flow;
pub(crate) mod group;
mod hello;
pub(crate) mod meter;
mod port;
mod queue;
mod switch;

pub use async_config::AsyncConfig;
pub use bundle::{
    bundle_flags, BundleAdd, BundleControl, BundleCtrlType, BundleProperty, ONF_EXPERIMENTER,
};
pub use error_msg::{error_name, error_type, error_type_name, ErrorMsg};
pub use experimenter::Experimenter;
pub use flow::{
    flow_flags, FlowMod, FlowModCommand, FlowRemoved, PacketIn, PacketOut, OFPG_ANY, OFPTT_ALL,
    OFP_NO_BUFFER,
};
pub use group::{group_id, Bucket, GroupMod, GroupModCommand, GroupType};
pub use hello::{Hello, HelloElement};
pub use meter::{meter_flags, meter_id, MeterBand, MeterMod, MeterModCommand};
pub use port::{Port, PortMod, PortStatus};
pub use queue::{PacketQueue, QueueGetConfigReply, QueueProperty};
pub use switch::{FeaturesReply, Role, RoleMessage, SwitchConfig, TableMod};

use crate::error::Reason;
use crate::multipart::{MultipartReply, MultipartRequest};
use crate::wire::{DResult, Reader};
use crate::{DecodeError, EncodeError};
use bytes::{BufMut, Bytes, BytesMut};

/// The OpenFlow 1.3 wire version.
pub const OFP_VERSION: u8 = 0x04;
/// Length of `ofp_header`.
pub const OFP_HEADER_LEN: usize = 8;

macro_rules! msg_types {
    ($( $v:ident = $n:literal, $name:literal; )*) => {
        /// OpenFlow 1.3 message types (`enum ofp_type`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum MsgType {
            $(
                #[doc = concat!("`", $name, "`")]
                $v = $n,
            )*
        }

        impl MsgType {
            /// The type for a wire number.
            pub fn from_u8(n: u8) -> Option<MsgType> {
                match n {
                    $( $n => Some(MsgType::$v), )*
                    _ => None,
                }
            }

            /// The specification's name (`OFPT_FLOW_MOD`), or `OFPT_<n>` for unknown types.
            pub fn name_of(n: u8) -> String {
                match n {
                    $( $n => $name.to_string(), )*
                    _ => format!("OFPT_{n}"),
                }
            }
        }
    };
}

msg_types! {
    Hello = 0, "OFPT_HELLO";
    Error = 1, "OFPT_ERROR";
    EchoRequest = 2, "OFPT_ECHO_REQUEST";
    EchoReply = 3, "OFPT_ECHO_REPLY";
    Experimenter = 4, "OFPT_EXPERIMENTER";
    FeaturesRequest = 5, "OFPT_FEATURES_REQUEST";
    FeaturesReply = 6, "OFPT_FEATURES_REPLY";
    GetConfigRequest = 7, "OFPT_GET_CONFIG_REQUEST";
    GetConfigReply = 8, "OFPT_GET_CONFIG_REPLY";
    SetConfig = 9, "OFPT_SET_CONFIG";
    PacketIn = 10, "OFPT_PACKET_IN";
    FlowRemoved = 11, "OFPT_FLOW_REMOVED";
    PortStatus = 12, "OFPT_PORT_STATUS";
    PacketOut = 13, "OFPT_PACKET_OUT";
    FlowMod = 14, "OFPT_FLOW_MOD";
    GroupMod = 15, "OFPT_GROUP_MOD";
    PortMod = 16, "OFPT_PORT_MOD";
    TableMod = 17, "OFPT_TABLE_MOD";
    MultipartRequest = 18, "OFPT_MULTIPART_REQUEST";
    MultipartReply = 19, "OFPT_MULTIPART_REPLY";
    BarrierRequest = 20, "OFPT_BARRIER_REQUEST";
    BarrierReply = 21, "OFPT_BARRIER_REPLY";
    QueueGetConfigRequest = 22, "OFPT_QUEUE_GET_CONFIG_REQUEST";
    QueueGetConfigReply = 23, "OFPT_QUEUE_GET_CONFIG_REPLY";
    RoleRequest = 24, "OFPT_ROLE_REQUEST";
    RoleReply = 25, "OFPT_ROLE_REPLY";
    GetAsyncRequest = 26, "OFPT_GET_ASYNC_REQUEST";
    GetAsyncReply = 27, "OFPT_GET_ASYNC_REPLY";
    SetAsync = 28, "OFPT_SET_ASYNC";
    MeterMod = 29, "OFPT_METER_MOD";
}

/// The body of a message, one variant per message (bundle messages have their own variants
/// although they travel as `OFPT_EXPERIMENTER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `OFPT_HELLO`.
    Hello(Hello),
    /// `OFPT_ERROR`.
    Error(ErrorMsg),
    /// `OFPT_ECHO_REQUEST` with its payload.
    EchoRequest(Vec<u8>),
    /// `OFPT_ECHO_REPLY` with its payload.
    EchoReply(Vec<u8>),
    /// `OFPT_EXPERIMENTER` other than the ONF bundle messages.
    Experimenter(Experimenter),
    /// `OFPT_FEATURES_REQUEST`.
    FeaturesRequest,
    /// `OFPT_FEATURES_REPLY`.
    FeaturesReply(FeaturesReply),
    /// `OFPT_GET_CONFIG_REQUEST`.
    GetConfigRequest,
    /// `OFPT_GET_CONFIG_REPLY`.
    GetConfigReply(SwitchConfig),
    /// `OFPT_SET_CONFIG`.
    SetConfig(SwitchConfig),
    /// `OFPT_PACKET_IN`.
    PacketIn(PacketIn),
    /// `OFPT_FLOW_REMOVED`.
    FlowRemoved(FlowRemoved),
    /// `OFPT_PORT_STATUS`.
    PortStatus(PortStatus),
    /// `OFPT_PACKET_OUT`.
    PacketOut(PacketOut),
    /// `OFPT_FLOW_MOD`.
    FlowMod(FlowMod),
    /// `OFPT_GROUP_MOD`.
    GroupMod(GroupMod),
    /// `OFPT_PORT_MOD`.
    PortMod(PortMod),
    /// `OFPT_TABLE_MOD`.
    TableMod(TableMod),
    /// `OFPT_MULTIPART_REQUEST`.
    MultipartRequest(MultipartRequest),
    /// `OFPT_MULTIPART_REPLY`.
    MultipartReply(MultipartReply),
    /// `OFPT_BARRIER_REQUEST`.
    BarrierRequest,
    /// `OFPT_BARRIER_REPLY`.
    BarrierReply,
    /// `OFPT_QUEUE_GET_CONFIG_REQUEST` for a port.
    QueueGetConfigRequest(u32),
    /// `OFPT_QUEUE_GET_CONFIG_REPLY`.
    QueueGetConfigReply(QueueGetConfigReply),
    /// `OFPT_ROLE_REQUEST`.
    RoleRequest(RoleMessage),
    /// `OFPT_ROLE_REPLY`.
    RoleReply(RoleMessage),
    /// `OFPT_GET_ASYNC_REQUEST`.
    GetAsyncRequest,
    /// `OFPT_GET_ASYNC_REPLY`.
    GetAsyncReply(AsyncConfig),
    /// `OFPT_SET_ASYNC`.
    SetAsync(AsyncConfig),
    /// `OFPT_METER_MOD`.
    MeterMod(MeterMod),
    /// ONF bundle control (`OFPT_EXPERIMENTER`, ONF, type 2300).
    BundleControl(BundleControl),
    /// ONF bundle add message (`OFPT_EXPERIMENTER`, ONF, type 2301).
    BundleAdd(BundleAdd),
}

impl Body {
    /// The header type of this body.
    pub fn msg_type(&self) -> MsgType {
        match self {
            Body::Hello(_) => MsgType::Hello,
            Body::Error(_) => MsgType::Error,
            Body::EchoRequest(_) => MsgType::EchoRequest,
            Body::EchoReply(_) => MsgType::EchoReply,
            Body::Experimenter(_) | Body::BundleControl(_) | Body::BundleAdd(_) => {
                MsgType::Experimenter
            }
            Body::FeaturesRequest => MsgType::FeaturesRequest,
            Body::FeaturesReply(_) => MsgType::FeaturesReply,
            Body::GetConfigRequest => MsgType::GetConfigRequest,
            Body::GetConfigReply(_) => MsgType::GetConfigReply,
            Body::SetConfig(_) => MsgType::SetConfig,
            Body::PacketIn(_) => MsgType::PacketIn,
            Body::FlowRemoved(_) => MsgType::FlowRemoved,
            Body::PortStatus(_) => MsgType::PortStatus,
            Body::PacketOut(_) => MsgType::PacketOut,
            Body::FlowMod(_) => MsgType::FlowMod,
            Body::GroupMod(_) => MsgType::GroupMod,
            Body::PortMod(_) => MsgType::PortMod,
            Body::TableMod(_) => MsgType::TableMod,
            Body::MultipartRequest(_) => MsgType::MultipartRequest,
            Body::MultipartReply(_) => MsgType::MultipartReply,
            Body::BarrierRequest => MsgType::BarrierRequest,
            Body::BarrierReply => MsgType::BarrierReply,
            Body::QueueGetConfigRequest(_) => MsgType::QueueGetConfigRequest,
            Body::QueueGetConfigReply(_) => MsgType::QueueGetConfigReply,
            Body::RoleRequest(_) => MsgType::RoleRequest,
            Body::RoleReply(_) => MsgType::RoleReply,
            Body::GetAsyncRequest => MsgType::GetAsyncRequest,
            Body::GetAsyncReply(_) => MsgType::GetAsyncReply,
            Body::SetAsync(_) => MsgType::SetAsync,
            Body::MeterMod(_) => MsgType::MeterMod,
        }
    }
}

/// One OpenFlow message: header fields and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Wire version: always `0x04` except for a HELLO or ERROR from a peer of another version.
    pub version: u8,
    /// Transaction id.
    pub xid: u32,
    /// The body.
    pub body: Body,
}

/// Reads the length field of a header, if 8 bytes are available.
pub fn peek_length(buf: &[u8]) -> Option<usize> {
    buf.get(2..4)
        .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
}

impl Message {
    /// An OpenFlow 1.3 message.
    pub fn new(xid: u32, body: Body) -> Message {
        Message {
            version: OFP_VERSION,
            xid,
            body,
        }
    }

    /// The header type.
    pub fn msg_type(&self) -> MsgType {
        self.body.msg_type()
    }

    /// Decodes exactly one message; `buf` must hold the whole message and nothing more.
    pub fn decode(buf: &[u8]) -> Result<Message, DecodeError> {
        let mut r = Reader::new(buf);
        let version = r.u8("header")?;
        let typ = r.u8("header")?;
        Message::decode_after_type(&mut r, version, typ).map_err(|e| e.with_type(typ))
    }

    fn decode_after_type(r: &mut Reader<'_>, version: u8, typ: u8) -> DResult<Message> {
        let len = r.u16("header")? as usize;
        let xid = r.u32("header")?;
        if len < OFP_HEADER_LEN {
            return Err(DecodeError::new(
                2,
                Reason::BadLength {
                    what: "message",
                    len,
                },
            ));
        }
        if len != r.remaining() + OFP_HEADER_LEN {
            return Err(DecodeError::new(
                2,
                Reason::BadLength {
                    what: "message",
                    len,
                },
            ));
        }
        let hello_or_error = typ == MsgType::Hello as u8 || typ == MsgType::Error as u8;
        if version != OFP_VERSION && !hello_or_error {
            return Err(DecodeError::new(0, Reason::BadVersion(version)));
        }
        let body = decode_body(r, typ)?;
        r.finish("message body")?;
        Ok(Message { version, xid, body })
    }

    /// Appends the encoded message to `buf`. On error `buf` is left as it was.
    pub fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        let res = self.encode_inner(buf, start);
        if res.is_err() {
            buf.truncate(start);
        }
        res
    }

    fn encode_inner(&self, buf: &mut BytesMut, start: usize) -> Result<(), EncodeError> {
        buf.put_u8(self.version);
        buf.put_u8(self.msg_type() as u8);
        let at = crate::wire::len_placeholder(buf);
        buf.put_u32(self.xid);
        encode_body(&self.body, buf)?;
        crate::wire::patch_len(buf, at, start, "message")
    }

    /// The encoded message as bytes.
    pub fn to_bytes(&self) -> Result<Bytes, EncodeError> {
        let mut b = BytesMut::with_capacity(64);
        self.encode(&mut b)?;
        Ok(b.freeze())
    }
}

fn decode_body(r: &mut Reader<'_>, typ: u8) -> DResult<Body> {
    let t = MsgType::from_u8(typ).ok_or_else(|| {
        DecodeError::new(
            1,
            Reason::BadValue {
                what: crate::Field::MessageType,
                value: typ as u64,
            },
        )
    })?;
    let empty = |r: &mut Reader<'_>, b: Body| -> DResult<Body> {
        r.finish("message without body")?;
        Ok(b)
    };
    Ok(match t {
        MsgType::Hello => Body::Hello(Hello::decode(r)?),
        MsgType::Error => Body::Error(ErrorMsg::decode(r)?),
        MsgType::EchoRequest => Body::EchoRequest(r.rest().to_vec()),
        MsgType::EchoReply => Body::EchoReply(r.rest().to_vec()),
        MsgType::Experimenter => experimenter::decode_experimenter(r)?,
        MsgType::FeaturesRequest => empty(r, Body::FeaturesRequest)?,
        MsgType::FeaturesReply => Body::FeaturesReply(FeaturesReply::decode(r)?),
        MsgType::GetConfigRequest => empty(r, Body::GetConfigRequest)?,
        MsgType::GetConfigReply => Body::GetConfigReply(SwitchConfig::decode(r)?),
        MsgType::SetConfig => Body::SetConfig(SwitchConfig::decode(r)?),
        MsgType::PacketIn => Body::PacketIn(PacketIn::decode(r)?),
        MsgType::FlowRemoved => Body::FlowRemoved(FlowRemoved::decode(r)?),
        MsgType::PortStatus => Body::PortStatus(PortStatus::decode(r)?),
        MsgType::PacketOut => Body::PacketOut(PacketOut::decode(r)?),
        MsgType::FlowMod => Body::FlowMod(FlowMod::decode(r)?),
        MsgType::GroupMod => Body::GroupMod(GroupMod::decode(r)?),
        MsgType::PortMod => Body::PortMod(PortMod::decode(r)?),
        MsgType::TableMod => Body::TableMod(TableMod::decode(r)?),
        MsgType::MultipartRequest => Body::MultipartRequest(MultipartRequest::decode(r)?),
        MsgType::MultipartReply => Body::MultipartReply(MultipartReply::decode(r)?),
        MsgType::BarrierRequest => empty(r, Body::BarrierRequest)?,
        MsgType::BarrierReply => empty(r, Body::BarrierReply)?,
        MsgType::QueueGetConfigRequest => {
            let port = r.u32("port")?;
            r.skip(4, "pad")?;
            Body::QueueGetConfigRequest(port)
        }
        MsgType::QueueGetConfigReply => Body::QueueGetConfigReply(QueueGetConfigReply::decode(r)?),
        MsgType::RoleRequest => Body::RoleRequest(RoleMessage::decode(r)?),
        MsgType::RoleReply => Body::RoleReply(RoleMessage::decode(r)?),
        MsgType::GetAsyncRequest => empty(r, Body::GetAsyncRequest)?,
        MsgType::GetAsyncReply => Body::GetAsyncReply(AsyncConfig::decode(r)?),
        MsgType::SetAsync => Body::SetAsync(AsyncConfig::decode(r)?),
        MsgType::MeterMod => Body::MeterMod(MeterMod::decode(r)?),
    })
}

fn encode_body(body: &Body, buf: &mut BytesMut) -> Result<(), EncodeError> {
    match body {
        Body::Hello(h) => h.encode(buf),
        Body::Error(e) => e.encode(buf),
        Body::EchoRequest(d) | Body::EchoReply(d) => buf.put_slice(d),
        Body::Experimenter(e) => e.encode(buf),
        Body::FeaturesRequest
        | Body::GetConfigRequest
        | Body::BarrierRequest
        | Body::BarrierReply
        | Body::GetAsyncRequest => {}
        Body::FeaturesReply(f) => f.encode(buf),
        Body::GetConfigReply(c) | Body::SetConfig(c) => c.encode(buf),
        Body::PacketIn(p) => return p.encode(buf),
        Body::FlowRemoved(f) => return f.encode(buf),
        Body::PortStatus(p) => p.encode(buf),
        Body::PacketOut(p) => return p.encode(buf),
        Body::FlowMod(f) => return f.encode(buf),
        Body::GroupMod(g) => return g.encode(buf),
        Body::PortMod(p) => p.encode(buf),
        Body::TableMod(t) => t.encode(buf),
        Body::MultipartRequest(m) => return m.encode(buf),
        Body::MultipartReply(m) => return m.encode(buf),
        Body::QueueGetConfigRequest(port) => {
            buf.put_u32(*port);
            buf.put_bytes(0, 4);
        }
        Body::QueueGetConfigReply(q) => return q.encode(buf),
        Body::RoleRequest(r) | Body::RoleReply(r) => r.encode(buf),
        Body::GetAsyncReply(a) | Body::SetAsync(a) => a.encode(buf),
        Body::MeterMod(m) => return m.encode(buf),
        Body::BundleControl(b) => return b.encode(buf),
        Body::BundleAdd(b) => return b.encode(buf),
    }
    Ok(())
}
