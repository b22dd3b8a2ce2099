//! An in-memory OpenFlow 1.3 switch for netmaster's tests.
//!
//! A [`FakeSwitch`] holds a [`Datapath`] (254 flow tables, groups, meters, ports) and speaks the
//! switch side of OpenFlow 1.3 over any `AsyncRead + AsyncWrite` stream, such as one end of
//! [`tokio::io::duplex`]. Tests drive it through the controller under test, then look at its
//! state ([`FakeSwitch::flows`], [`FakeSwitch::received`]) or ask where a packet would go
//! ([`FakeSwitch::trace`]).
//!
//! # What is modelled
//!
//! * FLOW_MOD (OpenFlow 1.3 add/replace, modify, delete, strict and not, cookie, out_port and
//!   out_group filters, `CHECK_OVERLAP`, `RESET_COUNTS`, validation of tables, goto, groups,
//!   meters, prerequisites), GROUP_MOD (four types, chaining, loops, delete removes the flows
//!   that use the group), METER_MOD (config and counters; rates are not enforced), PORT_MOD.
//!   See [`datapath`].
//! * The pipeline: matching, instructions, actions, the action set, groups, port liveness,
//!   counters. See [`trace`].
//! * The session: handshake, echo, features, config, barrier, roles with generation ids, async
//!   config, multipart statistics split with `OFPMPF_MORE`, the ONF bundle extension, errors
//!   with the request's xid and first 64 bytes, FLOW_REMOVED and PORT_STATUS.
//!
//! Not modelled: flow timeouts, packet buffering, PACKET_IN (a trace records an output to
//! `CONTROLLER` instead), PACKET_OUT execution (it is logged only), queues, table features
//! set requests, experimenter (e.g. Nicira) actions and match fields (accepted, never
//! executed or matched; the one exception is `set_field` of Open vSwitch's `tun_dst`, which
//! sets [`Packet::tun_dst`]), OpenFlow versions other than 1.3.
//!
//! ```
//! use fakeswitch::{port, FakeSwitch, Packet};
//! use ofproto::msg::FlowModCommand;
//! use ofproto::text::parse_flow_mod;
//!
//! let fs = FakeSwitch::new(0x1).with_ports(vec![port(1), port(2), port(3)]);
//! // In a test, the controller would install this over a session:
//! //     let (switch_end, controller_end) = tokio::io::duplex(1 << 16);
//! //     let task = fs.serve(switch_end);
//! let flow = parse_flow_mod("priority=10,arp,actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:2",
//!                           FlowModCommand::Add).unwrap();
//! fs.apply_flow_mod(flow).unwrap();
//! let pkt = Packet::arp_request(1, "02:00:00:00:00:01".parse().unwrap(),
//!                               [10, 0, 0, 1].into(), [10, 0, 0, 2].into());
//! let trace = fs.trace(&pkt);
//! assert_eq!(trace.ports(), vec![2]);
//! assert_eq!(trace.output_to(2).unwrap().vlan_vid(), Some(100));
//! ```

mod bundle;
pub mod datapath;
pub mod error;
pub mod matching;
mod multipart;
pub mod packet;
mod protocol;
mod reg_move;
mod state;
pub mod trace;

pub use datapath::{Datapath, FlowEntry, GroupEntry, MeterEntry, PortCounters, RemovedFlow};
pub use error::OfError;
pub use matching::CanonicalMatch;
pub use multipart::split as split_multipart;
pub use ofproto::MacAddr;
pub use packet::{MplsTag, Packet, VlanTag};
pub use trace::Trace;

use bytes::Bytes;
use ofproto::msg::{
    FlowMod, FlowModCommand, GroupMod, MeterMod, Port, PortStatus, Role, SwitchConfig,
};
use ofproto::multipart::{FlowStats, GroupDesc, MeterConfig};
use ofproto::{Body, Match, Message, MsgType};
use state::{lock, Shared, SharedRef};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinHandle;

/// `OFPPR_ADD`.
pub const OFPPR_ADD: u8 = 0;
/// `OFPPR_DELETE`.
pub const OFPPR_DELETE: u8 = 1;
/// `OFPPR_MODIFY`.
pub const OFPPR_MODIFY: u8 = 2;

/// A port description for tests: named `p<N>`, Ethernet address `02:00:00:00:<N>` (the low 32
/// bits of N), link up and live, 10 Gb/s.
pub fn port(port_no: u32) -> Port {
    let n = port_no.to_be_bytes();
    Port {
        port_no,
        hw_addr: MacAddr([0x02, 0x00, n[0], n[1], n[2], n[3]]),
        name: format!("p{port_no}"),
        config: 0,
        state: datapath::OFPPS_LIVE,
        curr: 1 << 6,
        advertised: 0,
        supported: 0,
        peer: 0,
        curr_speed: 10_000_000,
        max_speed: 10_000_000,
    }
}

/// A handle on one fake switch; clones share the same switch.
#[derive(Clone, Debug)]
pub struct FakeSwitch {
    shared: SharedRef,
}

impl FakeSwitch {
    /// A switch with datapath id `dpid`, no ports, no flows, bundles supported.
    pub fn new(dpid: u64) -> FakeSwitch {
        FakeSwitch {
            shared: Arc::new(Mutex::new(Shared::new(dpid))),
        }
    }

    /// The datapath id.
    pub fn dpid(&self) -> u64 {
        lock(&self.shared).opts.dpid
    }

    /// Sets the ports (builder style); see [`port`].
    pub fn with_ports(self, ports: Vec<Port>) -> Self {
        {
            let mut s = lock(&self.shared);
            for p in ports {
                s.dp.set_port(p);
            }
        }
        self
    }

    /// Makes the switch refuse the bundle extension: bundle messages get
    /// `OFPET_BAD_REQUEST/OFPBRC_BAD_EXPERIMENTER`.
    pub fn without_bundles(self) -> Self {
        self.set_bundles(false);
        self
    }

    /// Poses as a switch of another vendor: its description names no Nicira, and flows or
    /// groups using a vendor extension (experimenter actions, `NXM` fields) are refused with
    /// `OFPBAC_BAD_EXPERIMENTER`, `OFPBAC_BAD_SET_TYPE` or `OFPBMC_BAD_FIELD`.
    pub fn without_nicira(self) -> Self {
        {
            let mut s = lock(&self.shared);
            s.opts.desc.mfr_desc = "netplugin".into();
            s.opts.desc.hw_desc = "fakeswitch (no Nicira extensions)".into();
            s.dp.nicira = false;
        }
        self
    }

    /// Stops (or resumes) answering ECHO_REQUEST, builder style.
    pub fn stall_echo(self, stall: bool) -> Self {
        self.set_stall_echo(stall);
        self
    }

    /// Advertises `version` instead of OpenFlow 1.3 in HELLO and requires the peer to support
    /// it (the switch still only speaks 1.3; this is for negotiation-failure tests).
    pub fn advertise_version(self, version: u8) -> Self {
        lock(&self.shared).opts.version = version;
        self
    }

    /// Sets the most records per multipart reply part (default 100).
    pub fn multipart_limit(self, n: usize) -> Self {
        lock(&self.shared).opts.multipart_limit = n.max(1);
        self
    }

    /// Stops (or resumes) answering ECHO_REQUEST on live sessions.
    pub fn set_stall_echo(&self, stall: bool) {
        lock(&self.shared).opts.stall_echo = stall;
    }

    /// Turns bundle support on or off on live sessions.
    pub fn set_bundles(&self, on: bool) {
        lock(&self.shared).opts.bundles = on;
    }

    /// Runs the switch side of a session on `stream` until the peer closes it, it breaks,
    /// HELLO negotiation fails, or [`FakeSwitch::disconnect`] is called. Several sessions
    /// (controllers) may share one switch. Must be called inside a Tokio runtime.
    pub fn serve<S>(&self, stream: S) -> JoinHandle<()>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        protocol::spawn(self.shared.clone(), stream)
    }

    /// Connects to a controller listening on TCP and serves the session.
    pub async fn connect_tcp(
        &self,
        addr: impl tokio::net::ToSocketAddrs,
    ) -> std::io::Result<JoinHandle<()>> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(self.serve(stream))
    }

    /// Connects to a controller listening on a Unix socket and serves the session.
    #[cfg(unix)]
    pub async fn connect_unix(
        &self,
        path: impl AsRef<std::path::Path>,
    ) -> std::io::Result<JoinHandle<()>> {
        let stream = tokio::net::UnixStream::connect(path).await?;
        Ok(self.serve(stream))
    }

    /// The number of live sessions.
    pub fn connections(&self) -> usize {
        lock(&self.shared).conns.len()
    }

    /// Closes every session from the switch side (queued messages are still sent).
    pub fn disconnect(&self) {
        for c in lock(&self.shared).conns.values() {
            let _ = c.close.send(true);
        }
    }

    /// The roles of the live sessions, in connection order.
    pub fn roles(&self) -> Vec<Role> {
        lock(&self.shared).conns.values().map(|c| c.role).collect()
    }

    /// The last generation id of a master/slave role request.
    pub fn generation_id(&self) -> Option<u64> {
        lock(&self.shared).generation_id
    }

    /// The configuration set by SET_CONFIG.
    pub fn switch_config(&self) -> SwitchConfig {
        lock(&self.shared).switch_config
    }

    /// A snapshot of every flow entry, by table then lookup order.
    pub fn flows(&self) -> Vec<FlowEntry> {
        lock(&self.shared).dp.flows()
    }

    /// A snapshot of the flow entries of one table, in lookup order.
    pub fn flows_in(&self, table: u8) -> Vec<FlowEntry> {
        lock(&self.shared)
            .dp
            .tables
            .get(table as usize)
            .cloned()
            .unwrap_or_default()
    }

    /// A snapshot of the groups, by id.
    pub fn groups(&self) -> Vec<GroupEntry> {
        lock(&self.shared).dp.groups().values().cloned().collect()
    }

    /// A snapshot of the meters, by id.
    pub fn meters(&self) -> Vec<MeterEntry> {
        lock(&self.shared).dp.meters().values().cloned().collect()
    }

    /// The ports, by number.
    pub fn ports(&self) -> Vec<Port> {
        lock(&self.shared).dp.ports().values().cloned().collect()
    }

    /// Runs `f` on the datapath (for what the other methods do not offer).
    pub fn with_datapath<R>(&self, f: impl FnOnce(&mut Datapath) -> R) -> R {
        f(&mut lock(&self.shared).dp)
    }

    /// Traces a packet through the pipeline (updating counters); see [`trace`].
    pub fn trace(&self, packet: &Packet) -> Trace {
        lock(&self.shared).dp.trace(packet)
    }

    /// Applies a FLOW_MOD directly, as if from a controller that is not watching (drift).
    /// Connected controllers still get FLOW_REMOVED for removed flows that asked for it.
    pub fn apply_flow_mod(&self, fm: FlowMod) -> Result<(), OfError> {
        self.apply_mod(Body::FlowMod(fm))
    }

    /// Applies a GROUP_MOD directly.
    pub fn apply_group_mod(&self, gm: GroupMod) -> Result<(), OfError> {
        self.apply_mod(Body::GroupMod(gm))
    }

    /// Applies a METER_MOD directly.
    pub fn apply_meter_mod(&self, mm: MeterMod) -> Result<(), OfError> {
        self.apply_mod(Body::MeterMod(mm))
    }

    /// Applies a FLOW_MOD, GROUP_MOD, METER_MOD or PORT_MOD directly (any other message is
    /// refused with `OFPBRC_BAD_TYPE`): what a reconciler's plan would do to the switch.
    pub fn apply_mod(&self, body: Body) -> Result<(), OfError> {
        let mut s = lock(&self.shared);
        let notices = protocol::apply_mod(&mut s.dp, &body)?;
        protocol::notify(&mut s, notices);
        Ok(())
    }

    /// The switch's flows, groups and meters as a controller reads them back (flow-stats,
    /// group-desc and meter-config records).
    pub fn read_back(&self) -> (Vec<FlowStats>, Vec<GroupDesc>, Vec<MeterConfig>) {
        let flows = self.flows().iter().map(FlowEntry::to_flow_stats).collect();
        let groups = self
            .groups()
            .iter()
            .map(GroupEntry::to_group_desc)
            .collect();
        let meters = self
            .meters()
            .iter()
            .map(MeterEntry::to_meter_config)
            .collect();
        (flows, groups, meters)
    }

    /// Deletes the flows of `table` (`0xff`: all tables) whose cookie matches under the mask.
    /// Returns how many were removed.
    pub fn delete_flows(&self, table: u8, cookie: u64, cookie_mask: u64) -> usize {
        let mut fm = FlowMod::add(table, 0, Match::new(), Vec::new());
        fm.command = FlowModCommand::Delete;
        fm.cookie = cookie;
        fm.cookie_mask = cookie_mask;
        let mut s = lock(&self.shared);
        match s.dp.flow_mod(&fm) {
            Ok(removed) => {
                s.notify_removed(&removed);
                removed.len()
            }
            Err(_) => 0,
        }
    }

    /// Every message received so far, in order (undecodable frames are not logged).
    pub fn received(&self) -> Vec<Message> {
        lock(&self.shared).received.clone()
    }

    /// Every FLOW_MOD received, including those inside bundles (in arrival order of the
    /// FLOW_MOD or BUNDLE_ADD message, whether or not it was applied).
    pub fn received_flow_mods(&self) -> Vec<FlowMod> {
        lock(&self.shared)
            .received
            .iter()
            .filter_map(|m| match &m.body {
                Body::FlowMod(f) => Some(f.clone()),
                Body::BundleAdd(b) => match &b.message.body {
                    Body::FlowMod(f) => Some(f.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// How many messages of a type were received (bundled messages count as
    /// `OFPT_EXPERIMENTER`).
    pub fn received_count(&self, typ: MsgType) -> usize {
        lock(&self.shared)
            .received
            .iter()
            .filter(|m| m.msg_type() == typ)
            .count()
    }

    /// Forgets the received messages.
    pub fn clear_received(&self) {
        lock(&self.shared).received.clear();
    }

    /// Applies a port change (`OFPPR_ADD`/`MODIFY` set the port, `OFPPR_DELETE` removes it)
    /// and sends PORT_STATUS to the controllers.
    pub fn send_port_status(&self, reason: u8, port: Port) {
        let mut s = lock(&self.shared);
        if reason == OFPPR_DELETE {
            s.dp.remove_port(port.port_no);
        } else {
            s.dp.set_port(port.clone());
        }
        s.notify_port_status(PortStatus { reason, desc: port });
    }

    /// Brings a port's link up or down (state `LINK_DOWN`/`LIVE`) and sends PORT_STATUS.
    /// Returns false for an unknown port.
    pub fn set_port_live(&self, port_no: u32, live: bool) -> bool {
        let Some(mut p) = lock(&self.shared).dp.ports().get(&port_no).cloned() else {
            return false;
        };
        if live {
            p.state = (p.state & !datapath::OFPPS_LINK_DOWN) | datapath::OFPPS_LIVE;
        } else {
            p.state = (p.state & !datapath::OFPPS_LIVE) | datapath::OFPPS_LINK_DOWN;
        }
        self.send_port_status(OFPPR_MODIFY, p);
        true
    }

    /// Sends raw bytes to every connected controller (garbage, floods, hand-made messages).
    pub fn inject_raw(&self, bytes: impl Into<Bytes>) {
        let bytes = bytes.into();
        let s = lock(&self.shared);
        for id in s.conns.keys() {
            s.send_raw(*id, bytes.clone());
        }
    }

    /// Sends a message to every connected controller (xid 0 is replaced by a fresh one).
    pub fn send_message(&self, mut msg: Message) {
        let mut s = lock(&self.shared);
        if msg.xid == 0 {
            msg.xid = s.xid();
        }
        s.broadcast(&msg);
    }

    /// Sends an ECHO_REQUEST to every connected controller (the switch never does on its own).
    pub fn send_echo_request(&self, payload: Vec<u8>) {
        self.send_message(Message::new(0, Body::EchoRequest(payload)));
    }

    /// Polls `cond` every few milliseconds until it holds or `timeout` passes; returns whether
    /// it held.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        mut cond: impl FnMut(&FakeSwitch) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if cond(self) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}
