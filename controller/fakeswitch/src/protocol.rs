//! The switch side of an OpenFlow 1.3 session over any byte stream.
//!
//! On connect the switch sends HELLO, then answers each message in arrival order; every
//! modification is applied before the next message is read, so a BARRIER_REPLY follows the
//! effects of everything before it. Errors are sent as OFPT_ERROR with the request's xid and
//! its first 64 bytes. A frame whose header length is below 8 cannot be skipped, so it ends
//! the session, as in Open vSwitch.

use crate::bundle::{self, Bundle};
use crate::datapath::{Datapath, RemovedFlow};
use crate::error::OfError;
use crate::multipart;
use crate::state::{default_async, lock, Conn, Shared, SharedRef};
use bytes::BytesMut;
use futures_util::StreamExt;
use ofproto::codec::split_frame;
use ofproto::msg::{
    error_type, ErrorMsg, FeaturesReply, Hello, HelloElement, PortStatus, QueueGetConfigReply,
    Role, RoleMessage,
};
use ofproto::{Body, DecodeError, Field, Message, Reason};
use std::collections::BTreeMap;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::codec::{Decoder, FramedRead};

/// `OFPC_FLOW_STATS | OFPC_TABLE_STATS | OFPC_PORT_STATS | OFPC_GROUP_STATS`.
const CAPABILITIES: u32 = 0x0f;

/// `OFPPR_MODIFY`.
const OFPPR_MODIFY: u8 = 2;

/// Splits the stream into raw frames (decoding is done by the session, which needs the raw
/// bytes for error replies).
struct RawFrames;

impl Decoder for RawFrames {
    type Item = BytesMut;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>, std::io::Error> {
        split_frame(src)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))
    }
}

/// Per-connection state that lives in the session task.
pub(crate) struct Session {
    pub id: u64,
    pub bundles: BTreeMap<u32, Bundle>,
}

/// Whether the session goes on after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Continue,
    Close,
}

/// Something a modification makes the switch tell its controllers.
pub(crate) enum Notice {
    Removed(Vec<RemovedFlow>),
    Port(PortStatus),
}

/// Applies a modification message to a datapath.
pub(crate) fn apply_mod(dp: &mut Datapath, body: &Body) -> Result<Vec<Notice>, OfError> {
    Ok(match body {
        Body::FlowMod(fm) => vec![Notice::Removed(dp.flow_mod(fm)?)],
        Body::GroupMod(gm) => vec![Notice::Removed(dp.group_mod(gm)?)],
        Body::MeterMod(mm) => vec![Notice::Removed(dp.meter_mod(mm)?)],
        Body::PortMod(pm) => vec![Notice::Port(PortStatus {
            reason: OFPPR_MODIFY,
            desc: dp.port_mod(pm)?,
        })],
        Body::PacketOut(_) | Body::TableMod(_) => Vec::new(),
        _ => return Err(OfError::BAD_TYPE),
    })
}

/// Sends the notices to the controllers.
pub(crate) fn notify(s: &mut Shared, notices: Vec<Notice>) {
    for n in notices {
        match n {
            Notice::Removed(r) => s.notify_removed(&r),
            Notice::Port(p) => s.notify_port_status(p),
        }
    }
}

/// The OFPT_ERROR reply for `err`.
pub(crate) fn error_msg(xid: u32, err: OfError, request: &[u8]) -> Message {
    Message::new(xid, Body::Error(err.to_error_msg(request)))
}

/// The error a switch answers to a message it could not decode.
fn decode_error(e: &DecodeError) -> OfError {
    match &e.reason {
        Reason::BadVersion(_) => OfError::BAD_VERSION,
        Reason::BadValue { what, .. } => match what {
            Field::MessageType => OfError::BAD_TYPE,
            Field::MultipartType => OfError::BAD_MULTIPART,
            Field::BundleControlType => OfError::BUNDLE_BAD_TYPE,
            Field::Role => OfError::ROLE_BAD_ROLE,
            Field::FlowModCommand => OfError::FLOW_MOD_BAD_COMMAND,
            Field::GroupType => OfError::GROUP_BAD_TYPE,
            Field::MatchType => OfError::BAD_REQUEST_LEN,
        },
        _ => OfError::BAD_REQUEST_LEN,
    }
}

/// Starts the switch side of a session on `stream`; the task ends when the peer closes the
/// stream, the stream breaks, HELLO negotiation fails or the handle disconnects.
pub(crate) fn spawn<S>(shared: SharedRef, stream: S) -> JoinHandle<()>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<bytes::Bytes>();
    let (close_tx, mut close_rx) = watch::channel(false);
    let id = {
        let mut s = lock(&shared);
        let id = s.next_conn;
        s.next_conn += 1;
        s.conns.insert(
            id,
            Conn {
                tx,
                close: close_tx,
                role: Role::Equal,
                async_config: default_async(),
            },
        );
        let version = s.opts.version;
        let mut hello = Message::new(
            s.xid(),
            Body::Hello(Hello {
                elements: vec![HelloElement::VersionBitmap(bitmap(version))],
            }),
        );
        hello.version = version;
        s.send(id, &hello);
        id
    };
    tokio::spawn(async move {
        let (rd, mut wr) = tokio::io::split(stream);
        let writer = tokio::spawn(async move {
            while let Some(b) = rx.recv().await {
                if wr.write_all(&b).await.is_err() {
                    break;
                }
            }
            let _ = wr.shutdown().await;
        });
        let mut frames = FramedRead::new(rd, RawFrames);
        let mut sess = Session {
            id,
            bundles: BTreeMap::new(),
        };
        loop {
            tokio::select! {
                changed = close_rx.changed() => {
                    if changed.is_err() || *close_rx.borrow() {
                        break;
                    }
                }
                frame = frames.next() => match frame {
                    Some(Ok(frame)) => {
                        let ctl = handle_frame(&mut lock(&shared), &mut sess, &frame);
                        if ctl == Control::Close {
                            break;
                        }
                    }
                    Some(Err(_)) | None => break,
                },
            }
        }
        // Dropping the connection's sender lets the writer flush what is queued and stop.
        lock(&shared).conns.remove(&id);
        let _ = writer.await;
    })
}

/// A HELLO version bitmap with only `version`.
fn bitmap(version: u8) -> Vec<u32> {
    let mut words = vec![0u32; version as usize / 32 + 1];
    words[version as usize / 32] |= 1 << (version % 32);
    words
}

fn handle_frame(s: &mut Shared, sess: &mut Session, frame: &[u8]) -> Control {
    let xid = u32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let msg = match Message::decode(frame) {
        Ok(m) => m,
        Err(e) => {
            s.send(sess.id, &error_msg(xid, decode_error(&e), frame));
            return Control::Continue;
        }
    };
    s.received.push(msg.clone());
    dispatch(s, sess, msg, frame)
}

fn is_slave(s: &Shared, id: u64) -> bool {
    s.conns.get(&id).is_some_and(|c| c.role == Role::Slave)
}

fn dispatch(s: &mut Shared, sess: &mut Session, msg: Message, frame: &[u8]) -> Control {
    let id = sess.id;
    let xid = msg.xid;
    let reply = |s: &Shared, body: Body| s.send(id, &Message::new(xid, body));
    let fail = |s: &Shared, e: OfError| s.send(id, &error_msg(xid, e, frame));
    match msg.body {
        Body::Hello(h) => {
            let ours = s.opts.version;
            let ok = h.supports(ours).unwrap_or(msg.version >= ours);
            if !ok {
                let mut m = Message::new(
                    xid,
                    Body::Error(ErrorMsg::Standard {
                        typ: error_type::HELLO_FAILED,
                        code: error_type::HELLO_INCOMPATIBLE,
                        data: format!("fakeswitch supports only version {ours:#04x}").into_bytes(),
                    }),
                );
                m.version = ours;
                s.send(id, &m);
                return Control::Close;
            }
        }
        Body::Error(_) | Body::EchoReply(_) => {}
        Body::EchoRequest(d) => {
            if !s.opts.stall_echo {
                reply(s, Body::EchoReply(d));
            }
        }
        Body::FeaturesRequest => reply(
            s,
            Body::FeaturesReply(FeaturesReply {
                datapath_id: s.opts.dpid,
                n_buffers: 0,
                n_tables: crate::datapath::N_TABLES,
                auxiliary_id: 0,
                capabilities: CAPABILITIES,
                reserved: 0,
            }),
        ),
        Body::GetConfigRequest => reply(s, Body::GetConfigReply(s.switch_config)),
        Body::SetConfig(c) => s.switch_config = c,
        ref body @ (Body::FlowMod(_)
        | Body::GroupMod(_)
        | Body::MeterMod(_)
        | Body::PortMod(_)
        | Body::PacketOut(_)
        | Body::TableMod(_)) => {
            if is_slave(s, id) {
                fail(s, OfError::IS_SLAVE);
            } else {
                match apply_mod(&mut s.dp, body) {
                    Ok(n) => notify(s, n),
                    Err(e) => fail(s, e),
                }
            }
        }
        Body::MultipartRequest(req) => match multipart::reply(&s.dp, &s.opts, &req) {
            Ok(parts) => {
                for p in parts {
                    reply(s, Body::MultipartReply(p));
                }
            }
            Err(e) => fail(s, e),
        },
        Body::BarrierRequest => reply(s, Body::BarrierReply),
        Body::QueueGetConfigRequest(port) => reply(
            s,
            Body::QueueGetConfigReply(QueueGetConfigReply {
                port,
                queues: Vec::new(),
            }),
        ),
        Body::RoleRequest(rm) => match role_request(s, id, rm) {
            Ok(r) => reply(s, Body::RoleReply(r)),
            Err(e) => fail(s, e),
        },
        Body::GetAsyncRequest => {
            let cfg = s
                .conns
                .get(&id)
                .map_or_else(default_async, |c| c.async_config);
            reply(s, Body::GetAsyncReply(cfg));
        }
        Body::SetAsync(cfg) => {
            if let Some(c) = s.conns.get_mut(&id) {
                c.async_config = cfg;
            }
        }
        Body::BundleControl(bc) => bundle::control(s, sess, xid, &bc, frame),
        Body::BundleAdd(ba) => bundle::add(s, sess, xid, &ba, frame),
        Body::Experimenter(_) => fail(s, OfError::BAD_EXPERIMENTER),
        _ => fail(s, OfError::BAD_TYPE),
    }
    Control::Continue
}

/// OpenFlow 1.3 role request rules (section 6.3.5): master/slave requests carry a generation
/// id that must not be older (as a signed 64-bit distance) than the last one seen; a new
/// master turns the previous master into a slave.
fn role_request(s: &mut Shared, id: u64, rm: RoleMessage) -> Result<RoleMessage, OfError> {
    let current = s.conns.get(&id).map_or(Role::Equal, |c| c.role);
    let role = match rm.role {
        Role::NoChange => current,
        Role::Equal => Role::Equal,
        Role::Master | Role::Slave => {
            if let Some(g) = s.generation_id {
                if (rm.generation_id.wrapping_sub(g) as i64) < 0 {
                    return Err(OfError::ROLE_STALE);
                }
            }
            s.generation_id = Some(rm.generation_id);
            rm.role
        }
    };
    if role == Role::Master {
        for (other, c) in s.conns.iter_mut() {
            if *other != id && c.role == Role::Master {
                c.role = Role::Slave;
            }
        }
    }
    if let Some(c) = s.conns.get_mut(&id) {
        c.role = role;
    }
    Ok(RoleMessage {
        role,
        generation_id: s.generation_id.unwrap_or(0),
    })
}
