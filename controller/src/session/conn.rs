//! The session task: reads and dispatches switch messages, executes handle commands, keeps the
//! connection alive, and polices misbehaving switches. Writing happens in a separate task so
//! that a large batch never stops the reading side.

use super::handle::{Command, SwitchHandle};
use super::handshake::Handshake;
use super::pending::{describe_error, Pending, Routed};
use super::{dpid_str, SessionConfig, SessionEvent};
use crate::transport::BoxedStream;
use futures_util::{SinkExt, StreamExt};
use ofproto::codec::{BadFrame, CodecError, OfCodec};
use ofproto::msg::{error_type, ErrorMsg, PortStatus};
use ofproto::{Body, DecodeError, Message, MsgType, Reason};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{ReadHalf, WriteHalf};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio_util::codec::{FramedRead, FramedWrite};
use tracing::{debug, info, warn};

/// The framed reading side of a session.
pub(super) type Reader = FramedRead<ReadHalf<BoxedStream>, OfCodec>;

type Writer = FramedWrite<WriteHalf<BoxedStream>, OfCodec>;

/// How long one flush to the switch may take before the switch counts as stalled.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Transaction id allocator (never 0).
pub(super) struct Xids(u32);

impl Xids {
    /// The next xid.
    pub fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(1).max(1);
        self.0
    }
}

/// Token bucket limiting how many messages per second a switch may send.
struct RateLimit {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    fn new(per_sec: u32) -> RateLimit {
        RateLimit {
            rate: per_sec as f64,
            tokens: 2.0 * per_sec as f64,
            last: Instant::now(),
        }
    }

    /// Takes a token; false when the switch exceeds its rate.
    fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(2.0 * self.rate);
        self.last = now;
        self.tokens -= 1.0;
        self.tokens >= 0.0
    }
}

/// The OFPT_ERROR (type, code) that answers an undecodable message.
fn error_for(e: &DecodeError) -> (u16, u16) {
    match &e.reason {
        Reason::BadVersion(_) => (error_type::BAD_REQUEST, 0),
        Reason::BadValue {
            what: "message type",
            ..
        } => (error_type::BAD_REQUEST, 1),
        Reason::BadValue {
            what: "multipart type",
            ..
        } => (error_type::BAD_REQUEST, 2),
        Reason::BadValue {
            what: "match type", ..
        } => (error_type::BAD_MATCH, 0),
        _ => (error_type::BAD_REQUEST, error_type::BAD_REQUEST_BAD_LEN),
    }
}

/// Message types only a controller sends: a switch sending one gets OFPBRC_BAD_TYPE.
fn controller_only(t: MsgType) -> bool {
    use MsgType::*;
    matches!(
        t,
        FeaturesRequest
            | GetConfigRequest
            | SetConfig
            | PacketOut
            | FlowMod
            | GroupMod
            | PortMod
            | TableMod
            | MultipartRequest
            | BarrierRequest
            | QueueGetConfigRequest
            | RoleRequest
            | GetAsyncRequest
            | SetAsync
            | MeterMod
    )
}

async fn write_loop(mut w: Writer, mut rx: UnboundedReceiver<Vec<Message>>) -> Result<(), String> {
    while let Some(batch) = rx.recv().await {
        let mut pending = vec![batch];
        while let Ok(more) = rx.try_recv() {
            pending.push(more);
        }
        for m in pending.into_iter().flatten() {
            let fed = tokio::time::timeout(WRITE_TIMEOUT, w.feed(m)).await;
            match fed {
                Err(_) => return Err("switch stalled: not reading".into()),
                Ok(Err(CodecError::Encode(e))) => warn!(error = %e, "message not sent"),
                Ok(Err(e)) => return Err(format!("write failed: {e}")),
                Ok(Ok(())) => {}
            }
        }
        match tokio::time::timeout(WRITE_TIMEOUT, SinkExt::<Message>::flush(&mut w)).await {
            Err(_) => return Err("switch stalled: not reading".into()),
            Ok(Err(e)) => return Err(format!("write failed: {e}")),
            Ok(Ok(())) => {}
        }
    }
    Ok(())
}

/// One running session after its handshake.
pub(super) struct Connection {
    cfg: Arc<SessionConfig>,
    handle: SwitchHandle,
    events: UnboundedSender<SessionEvent>,
    out: UnboundedSender<Vec<Message>>,
    xids: Xids,
    pending: Pending,
    last_rx: Instant,
    bad_messages: u32,
    limit: RateLimit,
}

impl Connection {
    /// Handshakes, then serves the switch until the session ends.
    pub async fn start(
        stream: BoxedStream,
        peer: String,
        session_id: u64,
        cfg: Arc<SessionConfig>,
        events: UnboundedSender<SessionEvent>,
    ) {
        let (rd, wr) = tokio::io::split(stream);
        let mut reader = FramedRead::new(rd, OfCodec);
        let (out, out_rx) = mpsc::unbounded_channel();
        let mut writer: JoinHandle<Result<(), String>> =
            tokio::spawn(write_loop(FramedWrite::new(wr, OfCodec), out_rx));
        let mut xids = Xids(0);
        let mut hs = Handshake {
            reader: &mut reader,
            out: &out,
            xids: &mut xids,
            early: Vec::new(),
        };
        let result = tokio::time::timeout(cfg.handshake_timeout, hs.run(&cfg, &peer)).await;
        let early = std::mem::take(&mut hs.early);
        let info = match result {
            Ok(Ok(info)) => info,
            Ok(Err(reason)) => return finish_early(out, writer, &peer, &reason).await,
            Err(_) => return finish_early(out, writer, &peer, "handshake timed out").await,
        };
        let dpid = info.features.datapath_id;
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let n_ports = info.ports.len();
        let handle = SwitchHandle::new(dpid, session_id, cfg.request_timeout, cmd_tx, info);
        info!(dpid = %dpid_str(dpid), %peer, session_id, ports = n_ports, role = cfg.role.name(), "switch connected");
        let _ = events.send(SessionEvent::Connected(handle.clone()));
        let mut conn = Connection {
            limit: RateLimit::new(cfg.max_msgs_per_sec),
            cfg,
            handle,
            events,
            out,
            xids,
            pending: Pending::default(),
            last_rx: Instant::now(),
            bad_messages: 0,
        };
        for m in early {
            conn.dispatch(m);
        }
        let reason = conn.serve(&mut reader, cmd_rx, &mut writer).await;
        conn.pending.fail_all();
        info!(dpid = %dpid_str(dpid), session_id, %reason, "switch disconnected");
        let _ = conn.events.send(SessionEvent::Disconnected {
            dpid,
            session_id,
            reason,
        });
        drop(conn);
        let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
    }

    fn send(&mut self, xid: u32, body: Body) {
        let _ = self.out.send(vec![Message::new(xid, body)]);
    }

    fn send_error(&mut self, xid: u32, typ: u16, code: u16, request: &[u8]) {
        self.send(xid, Body::Error(ErrorMsg::new(typ, code, request)));
    }

    async fn serve(
        &mut self,
        reader: &mut Reader,
        mut cmds: UnboundedReceiver<Command>,
        writer: &mut JoinHandle<Result<(), String>>,
    ) -> String {
        let mut tick = tokio::time::interval(self.cfg.echo_interval.min(Duration::from_secs(1)));
        let mut last_echo = Instant::now();
        loop {
            tokio::select! {
                frame = reader.next() => match frame {
                    None => return "connection closed by the switch".into(),
                    Some(Ok(Ok(m))) => {
                        self.last_rx = Instant::now();
                        if !self.limit.take() {
                            return format!(
                                "flooding: more than {} messages/s",
                                self.cfg.max_msgs_per_sec
                            );
                        }
                        self.dispatch(m);
                    }
                    Some(Ok(Err(BadFrame { error, frame }))) => {
                        self.last_rx = Instant::now();
                        if let Some(reason) = self.bad_message(&error, &frame) {
                            return reason;
                        }
                    }
                    Some(Err(CodecError::BadLength(len))) => {
                        self.send_error(0, error_type::BAD_REQUEST, error_type::BAD_REQUEST_BAD_LEN, &[]);
                        return format!("garbage: header length {len} below 8");
                    }
                    Some(Err(e)) => return format!("read failed: {e}"),
                },
                cmd = cmds.recv() => match cmd {
                    None => return "no handle left".into(),
                    Some(Command::Close { reason }) => return reason,
                    Some(Command::Request { body, tx }) => {
                        let xid = self.xids.next();
                        self.pending.add_request(xid, tx);
                        self.send(xid, body);
                    }
                    Some(Command::Batch { bodies, tx }) => self.batch(bodies, tx),
                },
                _ = tick.tick() => {
                    let idle = self.last_rx.elapsed();
                    if idle > self.cfg.dead_after {
                        return format!("dead peer: silent for {} ms", idle.as_millis());
                    }
                    if idle >= self.cfg.echo_interval && last_echo.elapsed() >= self.cfg.echo_interval {
                        last_echo = Instant::now();
                        let xid = self.xids.next();
                        self.send(xid, Body::EchoRequest(Vec::new()));
                    }
                    self.pending.prune();
                },
                res = &mut *writer => {
                    return match res {
                        Ok(Err(e)) => e,
                        _ => "writer ended".into(),
                    };
                }
            }
        }
    }

    fn batch(&mut self, bodies: Vec<Body>, tx: super::pending::BatchTx) {
        let mut msgs = Vec::with_capacity(bodies.len() + 1);
        let first = self.xids.next();
        let mut xid = first;
        let mut last = first;
        for (i, mut body) in bodies.into_iter().enumerate() {
            if i > 0 {
                xid = self.xids.next();
            }
            if let Body::BundleAdd(add) = &mut body {
                // Open vSwitch requires the embedded message to carry the outer xid.
                add.message.xid = xid;
            }
            last = xid;
            msgs.push(Message::new(xid, body));
        }
        let barrier = if msgs.is_empty() {
            first
        } else {
            self.xids.next()
        };
        self.pending.add_batch(first, last, barrier, tx);
        msgs.push(Message::new(barrier, Body::BarrierRequest));
        let _ = self.out.send(msgs);
    }

    /// Answers an undecodable message; returns a reason when the switch must be dropped.
    fn bad_message(&mut self, error: &DecodeError, frame: &[u8]) -> Option<String> {
        let xid = frame
            .get(4..8)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .unwrap_or(0);
        let (typ, code) = error_for(error);
        self.send_error(xid, typ, code, frame);
        self.bad_messages += 1;
        let dpid = dpid_str(self.handle.dpid());
        warn!(%dpid, %error, "undecodable message from switch");
        (self.bad_messages > self.cfg.max_bad_messages)
            .then(|| format!("garbage: {} undecodable messages", self.bad_messages))
    }

    fn dispatch(&mut self, m: Message) {
        let dpid = self.handle.dpid();
        match m.body {
            Body::EchoRequest(d) => self.send(m.xid, Body::EchoReply(d)),
            Body::Hello(_) => {}
            Body::PortStatus(status) => {
                self.track_port(&status);
                let _ = self.events.send(SessionEvent::PortStatus { dpid, status });
            }
            Body::PacketIn(packet_in) => {
                let _ = self.events.send(SessionEvent::PacketIn { dpid, packet_in });
            }
            Body::FlowRemoved(removed) => {
                let _ = self
                    .events
                    .send(SessionEvent::FlowRemoved { dpid, removed });
            }
            body => {
                let t = body.msg_type();
                if let Routed::Unsolicited(m) = self.pending.route(Message { body, ..m }) {
                    self.unsolicited(m, t);
                }
            }
        }
    }

    fn unsolicited(&mut self, m: Message, t: MsgType) {
        let dpid = dpid_str(self.handle.dpid());
        match &m.body {
            Body::Error(e) => {
                warn!(%dpid, xid = m.xid, error = %describe_error(e), "switch reported an error")
            }
            _ if controller_only(t) => {
                let bytes = m.to_bytes().map(|b| b.to_vec()).unwrap_or_default();
                self.send_error(
                    m.xid,
                    error_type::BAD_REQUEST,
                    error_type::BAD_REQUEST_BAD_TYPE,
                    &bytes,
                );
            }
            _ => debug!(%dpid, xid = m.xid, msg = ?t, "unsolicited message ignored"),
        }
    }

    fn track_port(&mut self, status: &PortStatus) {
        let port = status.desc.clone();
        self.handle.update_info(|info| {
            if status.reason == 1 {
                info.ports.remove(&port.port_no);
            } else {
                info.ports.insert(port.port_no, port);
            }
        });
    }
}

async fn finish_early(
    out: UnboundedSender<Vec<Message>>,
    writer: JoinHandle<Result<(), String>>,
    peer: &str,
    reason: &str,
) {
    warn!(%peer, %reason, "handshake failed");
    drop(out);
    let _ = tokio::time::timeout(Duration::from_secs(1), writer).await;
}
