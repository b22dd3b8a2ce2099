//! One emulated OpenFlow 1.3 switch: the switch side of the protocol, as Open vSwitch answers
//! (HELLO, features, config, echo, barrier, roles with generation ids, asynchronous config,
//! multipart statistics split over parts, the ONF bundle extension), over [`Tables`] that keep
//! what the controller wrote. It notes, by its own clock, when it was connected, asked for its
//! features, read and written: the figures the fleet reports come from these notes, never from
//! the controller.

use crate::echo::{InFlight, Sender};
use crate::tables::{error_msg, Refusal, Tables, EXPERIMENTER};
use bytes::BytesMut;
use fakeswitch::split_multipart;
use futures_util::StreamExt;
use ofproto::codec::OfCodec;
use ofproto::msg::{
    AsyncConfig, BundleControl, BundleCtrlType, FeaturesReply, Hello, Role, RoleMessage,
    SwitchConfig,
};
use ofproto::multipart::{
    Desc, MultipartReply, MultipartReplyBody as R, MultipartRequest, MultipartRequestBody as Q,
    OFPMPF_MORE,
};
use ofproto::{Body, Message};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio_util::codec::FramedRead;

/// `OFPET_BAD_REQUEST`, `OFPBRC_IS_SLAVE`.
const IS_SLAVE: Refusal = (1, 10);
/// `OFPET_BAD_REQUEST`, `OFPBRC_BAD_TYPE`.
const BAD_TYPE: Refusal = (1, 1);
/// `OFPET_ROLE_REQUEST_FAILED`, `OFPRRFC_STALE`.
const ROLE_STALE: Refusal = (11, 0);
/// `OFPET_BAD_REQUEST`, `OFPBRC_BAD_LEN`: a message that does not decode.
const BAD_LEN: Refusal = (1, 6);
/// ONF bundle errors, as Open vSwitch answers them in OpenFlow 1.3: `ONFERR_ET_BAD_ID`.
const BUNDLE_BAD_ID: Refusal = (EXPERIMENTER, 2302);
/// `ONFERR_ET_MSG_FAILED`.
const BUNDLE_MSG_FAILED: Refusal = (EXPERIMENTER, 2313);
/// Tables of an Open vSwitch bridge.
const N_TABLES: u8 = 254;
/// How often a switch under load gives up late requests and tops its window up.
const TICK: Duration = Duration::from_millis(20);
/// Records per multipart reply part at most (fewer when a part would pass 64 KiB).
const PART_RECORDS: usize = 512;

/// What a switch noted about itself.
#[derive(Debug, Clone, Default)]
pub struct Notes {
    /// Connections made to the controller.
    pub connects: u64,
    /// When the current connection was made.
    pub connected_at: Option<Instant>,
    /// When the controller asked for its features on the current connection.
    pub features_at: Option<Instant>,
    /// When the current connection had answered a full read-back: flows, groups and meters.
    pub read_back_at: Option<Instant>,
    /// FLOW_MODs applied (bundled ones included), over all connections.
    pub flow_mods: u64,
    /// GROUP_MODs applied.
    pub group_mods: u64,
    /// METER_MODs applied.
    pub meter_mods: u64,
    /// Bundles committed.
    pub bundles: u64,
    /// Modifications refused (with an OpenFlow error).
    pub refused: u64,
    /// When the last table write was applied.
    pub last_write_at: Option<Instant>,
    /// The role the controller holds on the current connection.
    pub role: Option<Role>,
    /// Echo requests sent as PACKET_INs.
    pub echo_sent: u64,
    /// Right echo replies, and how long each took.
    pub echo_answered: Vec<Duration>,
    /// Wrong replies, and what was wrong with the first.
    pub echo_wrong: u64,
    /// What was wrong with the first wrong reply.
    pub echo_first_wrong: Option<&'static str>,
    /// Requests unanswered for [`crate::echo::PATIENCE`], or lost with their connection.
    pub echo_missing: u64,
    /// Connections that ended while the packet-in load was on.
    pub echo_sessions_lost: u64,
}

impl Notes {
    /// Every table write applied.
    pub fn writes(&self) -> u64 {
        self.flow_mods + self.group_mods + self.meter_mods
    }
}

#[derive(Debug, Default)]
struct State {
    tables: Tables,
    notes: Notes,
    generation: Option<u64>,
    config: SwitchConfig,
}

/// One switch; clones share it.
#[derive(Debug, Clone)]
pub struct Switch {
    /// Its datapath id.
    pub dpid: u64,
    state: Arc<Mutex<State>>,
    /// Echo requests to keep in flight (`None`: no packet-in load).
    window: Arc<watch::Sender<Option<usize>>>,
}

/// What one connection keeps: its role, its async config and its open bundles.
struct Connection {
    role: Role,
    async_config: AsyncConfig,
    bundles: BTreeMap<u32, Vec<Message>>,
    /// Which parts of a read-back this connection has answered: flows, groups, meters.
    read: [bool; 3],
    /// Its echo requests in flight.
    in_flight: InFlight,
}

impl Switch {
    /// A switch without flows.
    pub fn new(dpid: u64) -> Switch {
        Switch {
            dpid,
            state: Arc::default(),
            window: Arc::new(watch::channel(None).0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What it noted so far.
    pub fn notes(&self) -> Notes {
        self.lock().notes.clone()
    }

    /// Keeps `window` echo requests in flight from now on (`None`: sends no more).
    pub fn set_load(&self, window: Option<usize>) {
        self.window.send_replace(window);
    }

    /// Its flow, group and meter counts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let s = self.lock();
        (
            s.tables.flow_count(),
            s.tables.group_count(),
            s.tables.meter_count(),
        )
    }

    /// Serves one connection until the controller closes it or it breaks.
    pub async fn serve<S: AsyncRead + AsyncWrite>(&self, stream: S) {
        let (rd, mut wr) = tokio::io::split(stream);
        {
            let mut s = self.lock();
            s.notes.connects += 1;
            s.notes.connected_at = Some(Instant::now());
            s.notes.features_at = None;
            s.notes.read_back_at = None;
            s.notes.role = None;
        }
        let mut conn = Connection {
            role: Role::Equal,
            async_config: default_async(),
            bundles: BTreeMap::new(),
            read: [false; 3],
            in_flight: InFlight::default(),
        };
        let mut out = BytesMut::new();
        push(&mut out, &Message::new(0, Body::Hello(Hello::of13())));
        if wr.write_all(&out.split()).await.is_err() {
            return;
        }
        let mut frames = FramedRead::new(rd, OfCodec);
        let mut load = self.window.subscribe();
        loop {
            // Only a switch under load, or with requests in flight, wakes up on its own: ten
            // thousand idle switches cost nothing between messages.
            let active = load.borrow().is_some() || !conn.in_flight.is_empty();
            let frame = tokio::select! {
                frame = frames.next() => frame,
                changed = load.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    self.echo_tick(&mut conn, &mut out);
                    if !out.is_empty() && wr.write_all(&out.split()).await.is_err() {
                        break;
                    }
                    continue;
                }
                _ = tokio::time::sleep(TICK), if active => {
                    self.echo_tick(&mut conn, &mut out);
                    if !out.is_empty() && wr.write_all(&out.split()).await.is_err() {
                        break;
                    }
                    continue;
                }
            };
            let Some(frame) = frame else { break };
            match frame {
                Ok(Ok(msg)) => self.handle(&mut conn, msg, &mut out),
                Ok(Err(bad)) => {
                    let xid = bad
                        .frame
                        .get(4..8)
                        .map_or(0, |b| u32::from_be_bytes(b.try_into().expect("four bytes")));
                    push(
                        &mut out,
                        &Message::new(xid, Body::Error(error_msg(BAD_LEN, &bad.frame))),
                    );
                }
                Err(_) => break,
            }
            // Replies go out once the frames already read are handled.
            if frames.read_buffer().len() < ofproto::OFP_HEADER_LEN
                && !out.is_empty()
                && wr.write_all(&out.split()).await.is_err()
            {
                break;
            }
        }
        let _ = wr.shutdown().await;
        let abandoned = conn.in_flight.abandon();
        let under_load = self.window.borrow().is_some();
        let mut s = self.lock();
        s.notes.echo_missing += abandoned;
        if under_load {
            s.notes.echo_sessions_lost += 1;
        }
    }

    fn handle(&self, conn: &mut Connection, msg: Message, out: &mut BytesMut) {
        let xid = msg.xid;
        let reply = |out: &mut BytesMut, body: Body| push(out, &Message::new(xid, body));
        let frame = || msg.to_bytes().unwrap_or_default();
        let refuse = |out: &mut BytesMut, r: Refusal, frame: &[u8]| {
            push(out, &Message::new(xid, Body::Error(error_msg(r, frame))))
        };
        match &msg.body {
            Body::Hello(_) | Body::EchoReply(_) | Body::Error(_) => {}
            Body::EchoRequest(d) => reply(out, Body::EchoReply(d.clone())),
            Body::FeaturesRequest => {
                self.lock().notes.features_at = Some(Instant::now());
                reply(
                    out,
                    Body::FeaturesReply(FeaturesReply {
                        datapath_id: self.dpid,
                        n_buffers: 0,
                        n_tables: N_TABLES,
                        auxiliary_id: 0,
                        // Flow, table and port statistics, group statistics.
                        capabilities: 0x0f,
                        reserved: 0,
                    }),
                );
            }
            Body::GetConfigRequest => reply(out, Body::GetConfigReply(self.lock().config)),
            Body::SetConfig(c) => self.lock().config = *c,
            Body::BarrierRequest => reply(out, Body::BarrierReply),
            Body::GetAsyncRequest => reply(out, Body::GetAsyncReply(conn.async_config)),
            Body::SetAsync(c) => conn.async_config = *c,
            Body::RoleRequest(r) => match self.role_request(conn, r) {
                Ok(answer) => reply(out, Body::RoleReply(answer)),
                Err(e) => refuse(out, e, &frame()),
            },
            Body::FlowMod(_) | Body::GroupMod(_) | Body::MeterMod(_) => {
                if conn.role == Role::Slave {
                    return refuse(out, IS_SLAVE, &frame());
                }
                let mut s = self.lock();
                let State { tables, notes, .. } = &mut *s;
                if let Err(e) = apply(tables, notes, &msg.body) {
                    notes.refused += 1;
                    drop(s);
                    refuse(out, e, &frame());
                }
            }
            Body::BundleAdd(add) => {
                if conn.role == Role::Slave {
                    return refuse(out, IS_SLAVE, &frame());
                }
                conn.bundles
                    .entry(add.bundle_id)
                    .or_default()
                    .push((*add.message).clone());
            }
            Body::BundleControl(bc) => self.bundle_control(conn, xid, bc, &frame(), out),
            Body::MultipartRequest(req) => self.multipart(conn, xid, req, out),
            Body::PacketOut(po) => {
                let sender = Sender::of(self.dpid);
                let mut s = self.lock();
                match sender.check(po) {
                    Ok(seq) => {
                        if let Some(took) = conn.in_flight.answered(seq) {
                            s.notes.echo_answered.push(took);
                        }
                    }
                    Err(why) => {
                        s.notes.echo_wrong += 1;
                        s.notes.echo_first_wrong.get_or_insert(why);
                    }
                }
                drop(s);
                let window = *self.window.borrow();
                if let Some(w) = window {
                    self.send_echoes(conn, w, out);
                }
            }
            _ => refuse(out, BAD_TYPE, &frame()),
        }
    }

    /// Gives up requests unanswered too long and keeps the window full.
    fn echo_tick(&self, conn: &mut Connection, out: &mut BytesMut) {
        let expired = conn.in_flight.expire();
        self.lock().notes.echo_missing += expired;
        let window = *self.window.borrow();
        if let Some(w) = window {
            self.send_echoes(conn, w, out);
        }
    }

    fn send_echoes(&self, conn: &mut Connection, window: usize, out: &mut BytesMut) {
        let sender = Sender::of(self.dpid);
        let seqs = conn.in_flight.top_up(window);
        self.lock().notes.echo_sent += seqs.len() as u64;
        for seq in seqs {
            push(out, &Message::new(0, Body::PacketIn(sender.packet_in(seq))));
        }
    }

    /// OpenFlow 1.3's role rules: a master or slave claim must not carry a generation id
    /// older (as a signed distance) than the last one seen.
    fn role_request(&self, conn: &mut Connection, r: &RoleMessage) -> Result<RoleMessage, Refusal> {
        let mut s = self.lock();
        let role = match r.role {
            Role::NoChange => conn.role,
            Role::Equal => Role::Equal,
            Role::Master | Role::Slave => {
                if let Some(g) = s.generation {
                    if (r.generation_id.wrapping_sub(g) as i64) < 0 {
                        return Err(ROLE_STALE);
                    }
                }
                s.generation = Some(r.generation_id);
                r.role
            }
        };
        conn.role = role;
        s.notes.role = Some(role);
        Ok(RoleMessage {
            role,
            generation_id: s.generation.unwrap_or(0),
        })
    }

    fn bundle_control(
        &self,
        conn: &mut Connection,
        xid: u32,
        bc: &BundleControl,
        frame: &[u8],
        out: &mut BytesMut,
    ) {
        let refuse = |out: &mut BytesMut, r: Refusal| {
            push(out, &Message::new(xid, Body::Error(error_msg(r, frame))))
        };
        if conn.role == Role::Slave {
            return refuse(out, IS_SLAVE);
        }
        let answer = match bc.typ {
            BundleCtrlType::OpenRequest => {
                conn.bundles.entry(bc.bundle_id).or_default();
                BundleCtrlType::OpenReply
            }
            BundleCtrlType::CloseRequest if conn.bundles.contains_key(&bc.bundle_id) => {
                BundleCtrlType::CloseReply
            }
            BundleCtrlType::DiscardRequest if conn.bundles.remove(&bc.bundle_id).is_some() => {
                BundleCtrlType::DiscardReply
            }
            BundleCtrlType::CommitRequest => {
                let Some(messages) = conn.bundles.remove(&bc.bundle_id) else {
                    return refuse(out, BUNDLE_BAD_ID);
                };
                // All or nothing: applied to a copy, which replaces the tables if every
                // message succeeded.
                let mut s = self.lock();
                let mut trial = s.tables.clone();
                let mut notes = s.notes.clone();
                for m in &messages {
                    if let Err(e) = apply(&mut trial, &mut notes, &m.body) {
                        s.notes.refused += 1;
                        drop(s);
                        let bytes = m.to_bytes().unwrap_or_default();
                        push(out, &Message::new(m.xid, Body::Error(error_msg(e, &bytes))));
                        return refuse(out, BUNDLE_MSG_FAILED);
                    }
                }
                notes.bundles += 1;
                s.tables = trial;
                s.notes = notes;
                BundleCtrlType::CommitReply
            }
            _ => return refuse(out, BUNDLE_BAD_ID),
        };
        let reply = BundleControl {
            bundle_id: bc.bundle_id,
            typ: answer,
            flags: bc.flags,
            properties: Vec::new(),
        };
        push(out, &Message::new(xid, Body::BundleControl(reply)));
    }

    fn multipart(
        &self,
        conn: &mut Connection,
        xid: u32,
        req: &MultipartRequest,
        out: &mut BytesMut,
    ) {
        let bodies = {
            let s = self.lock();
            match &req.body {
                Q::Desc => vec![R::Desc(Desc {
                    // Open vSwitch's hardware description: netmaster then sends its Nicira
                    // extensions, which these tables keep like any other action.
                    mfr_desc: "netplugin ofbench".into(),
                    hw_desc: "Open vSwitch".into(),
                    sw_desc: env!("CARGO_PKG_VERSION").into(),
                    serial_num: String::new(),
                    dp_desc: format!("emulated switch {:#x}", self.dpid),
                })],
                Q::PortDesc => vec![R::PortDesc(Vec::new())],
                Q::Flow(f) => split_multipart(s.tables.flow_stats(f), PART_RECORDS, R::Flow),
                Q::Aggregate(f) => vec![R::Aggregate(s.tables.aggregate(f))],
                Q::GroupDesc => split_multipart(s.tables.group_descs(), PART_RECORDS, R::GroupDesc),
                Q::MeterConfig(_) => {
                    split_multipart(s.tables.meter_configs(), PART_RECORDS, R::MeterConfig)
                }
                _ => {
                    drop(s);
                    let frame = Message::new(xid, Body::MultipartRequest(req.clone()))
                        .to_bytes()
                        .unwrap_or_default();
                    return push(
                        out,
                        &Message::new(xid, Body::Error(error_msg(BAD_TYPE, &frame))),
                    );
                }
            }
        };
        let part = match &req.body {
            Q::Flow(_) => Some(0),
            Q::GroupDesc => Some(1),
            Q::MeterConfig(_) => Some(2),
            _ => None,
        };
        let n = bodies.len();
        for (i, body) in bodies.into_iter().enumerate() {
            let flags = if i + 1 < n { OFPMPF_MORE } else { 0 };
            push(
                out,
                &Message::new(xid, Body::MultipartReply(MultipartReply { flags, body })),
            );
        }
        if let Some(p) = part {
            conn.read[p] = true;
            if conn.read == [true; 3] {
                let mut s = self.lock();
                if s.notes.read_back_at.is_none() {
                    s.notes.read_back_at = Some(Instant::now());
                }
            }
        }
    }
}

/// Applies one table write and notes it.
fn apply(tables: &mut Tables, notes: &mut Notes, body: &Body) -> Result<(), Refusal> {
    match body {
        Body::FlowMod(fm) => {
            tables.flow_mod(fm)?;
            notes.flow_mods += 1;
        }
        Body::GroupMod(gm) => {
            tables.group_mod(gm)?;
            notes.group_mods += 1;
        }
        Body::MeterMod(mm) => {
            tables.meter_mod(mm)?;
            notes.meter_mods += 1;
        }
        _ => return Err(BAD_TYPE),
    }
    notes.last_write_at = Some(Instant::now());
    Ok(())
}

/// Appends `msg`'s encoding to `out` (a message that does not encode is a bug here).
fn push(out: &mut BytesMut, msg: &Message) {
    msg.encode(out).expect("ofbench's own messages encode");
}

/// Open vSwitch's default asynchronous configuration: packet-ins and port status to masters
/// and equals, port status to slaves.
fn default_async() -> AsyncConfig {
    AsyncConfig {
        packet_in_mask: [0b11, 0],
        port_status_mask: [0b111, 0b111],
        flow_removed_mask: [0b1111, 0],
    }
}
