//! The state a [`crate::FakeSwitch`] handle shares with its sessions: the datapath, the
//! options, the connected controllers and the log of received messages.

use crate::datapath::{Datapath, RemovedFlow};
use bytes::Bytes;
use ofproto::msg::{FlowRemoved, PortStatus, Role, SwitchConfig};
use ofproto::multipart::Desc;
use ofproto::{Body, Message};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, watch};

/// `OFPCML_NO_BUFFER`-style default `miss_send_len` of a fresh switch.
pub(crate) const DEFAULT_MISS_SEND_LEN: u16 = 128;

/// Options set through the builder methods (some can change while connected).
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub dpid: u64,
    /// The version advertised in HELLO (and required of the peer).
    pub version: u8,
    pub bundles: bool,
    pub stall_echo: bool,
    /// Most records per multipart reply part.
    pub multipart_limit: usize,
    pub desc: Desc,
}

/// One connected controller.
#[derive(Debug)]
pub(crate) struct Conn {
    pub tx: mpsc::UnboundedSender<Bytes>,
    pub close: watch::Sender<bool>,
    pub role: Role,
    pub async_config: ofproto::msg::AsyncConfig,
}

/// The default asynchronous configuration of OpenFlow 1.3 (section 7.3.10): everything for
/// master/equal, only port status for slaves.
pub(crate) fn default_async() -> ofproto::msg::AsyncConfig {
    ofproto::msg::AsyncConfig {
        packet_in_mask: [0x7, 0],
        port_status_mask: [0x7, 0x7],
        flow_removed_mask: [0xf, 0],
    }
}

/// Everything behind the handle's mutex.
#[derive(Debug)]
pub(crate) struct Shared {
    pub dp: Datapath,
    pub opts: Options,
    pub received: Vec<Message>,
    pub conns: BTreeMap<u64, Conn>,
    pub next_conn: u64,
    pub next_xid: u32,
    /// The last generation id seen in a master/slave role request.
    pub generation_id: Option<u64>,
    pub switch_config: SwitchConfig,
}

/// The handle's shared state.
pub(crate) type SharedRef = Arc<Mutex<Shared>>;

/// Locks the state, ignoring poisoning (a panicking test thread must not hide the state).
pub(crate) fn lock(s: &SharedRef) -> MutexGuard<'_, Shared> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(dpid: u64) -> Shared {
        Shared {
            dp: Datapath::new(),
            opts: Options {
                dpid,
                version: ofproto::OFP_VERSION,
                bundles: true,
                stall_echo: false,
                multipart_limit: 100,
                // Like Open vSwitch's: the switch models the Nicira extensions netmaster uses
                // (`FakeSwitch::without_nicira` poses as a switch of another vendor).
                desc: Desc {
                    mfr_desc: "Nicira, Inc.".into(),
                    hw_desc: "fakeswitch".into(),
                    sw_desc: env!("CARGO_PKG_VERSION").into(),
                    serial_num: format!("{dpid:016x}"),
                    dp_desc: format!("fakeswitch dpid {dpid:#018x}"),
                },
            },
            received: Vec::new(),
            conns: BTreeMap::new(),
            next_conn: 0,
            next_xid: 1,
            generation_id: None,
            switch_config: SwitchConfig {
                flags: 0,
                miss_send_len: DEFAULT_MISS_SEND_LEN,
            },
        }
    }

    /// A fresh xid for a message the switch starts.
    pub fn xid(&mut self) -> u32 {
        let x = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1).max(1);
        x
    }

    /// Queues raw bytes for one connection.
    pub fn send_raw(&self, conn: u64, bytes: Bytes) {
        if let Some(c) = self.conns.get(&conn) {
            let _ = c.tx.send(bytes);
        }
    }

    /// Queues a message for one connection.
    pub fn send(&self, conn: u64, msg: &Message) {
        match msg.to_bytes() {
            Ok(b) => self.send_raw(conn, b),
            Err(e) => eprintln!("fakeswitch: cannot encode {:?}: {e}", msg.msg_type()),
        }
    }

    /// Queues a message for every connection.
    pub fn broadcast(&self, msg: &Message) {
        for id in self.conns.keys() {
            self.send(*id, msg);
        }
    }

    fn async_index(role: Role) -> usize {
        usize::from(role == Role::Slave)
    }

    /// Sends FLOW_REMOVED for removed entries that asked for it, to the connections whose
    /// asynchronous configuration wants the reason.
    pub fn notify_removed(&mut self, removed: &[RemovedFlow]) {
        for r in removed {
            if r.entry.flags & ofproto::msg::flow_flags::SEND_FLOW_REM == 0 {
                continue;
            }
            let d = r.entry.duration();
            let body = Body::FlowRemoved(FlowRemoved {
                cookie: r.entry.cookie,
                priority: r.entry.priority,
                reason: r.reason,
                table_id: r.entry.table_id,
                duration_sec: d.as_secs() as u32,
                duration_nsec: d.subsec_nanos(),
                idle_timeout: r.entry.idle_timeout,
                hard_timeout: r.entry.hard_timeout,
                packet_count: r.entry.packet_count,
                byte_count: r.entry.byte_count,
                r#match: r.entry.r#match.clone(),
            });
            let msg = Message::new(self.xid(), body);
            for (id, c) in &self.conns {
                let mask = c.async_config.flow_removed_mask[Self::async_index(c.role)];
                if mask & (1 << r.reason) != 0 {
                    self.send(*id, &msg);
                }
            }
        }
    }

    /// Sends PORT_STATUS to the connections whose asynchronous configuration wants the reason.
    pub fn notify_port_status(&mut self, ps: PortStatus) {
        let reason = ps.reason;
        let msg = Message::new(self.xid(), Body::PortStatus(ps));
        for (id, c) in &self.conns {
            let mask = c.async_config.port_status_mask[Self::async_index(c.role)];
            if mask & (1u32 << reason.min(31)) != 0 {
                self.send(*id, &msg);
            }
        }
    }
}
