//! One OpenFlow 1.3 session per switch, each in its own tokio task.
//!
//! The protocol lives in [`core`], a synchronous state machine without I/O: the handshake
//! (HELLO version negotiation, FEATURES, SET_CONFIG, PORT_DESC, DESC, ROLE_REQUEST), xids and
//! the matching of replies to requests (multipart sequences are gathered, errors answer their
//! request), echo keepalive, and the policing of a switch that sends garbage or floods (it is
//! answered with OFPT_ERROR and dropped without affecting any other session). [`run`] is the
//! thin tokio driver around it: it reads frames into the core, writes what the core sends,
//! sleeps until the core's next timeout, executes the commands of [`SwitchHandle`]s and
//! forwards the core's events as [`SessionEvent`]s. Every channel on that path is bounded.

mod conn;
pub mod core;
mod handle;
mod sampled;
pub use sampled::Sampled;

pub use self::core::{BatchErrors, RequestError, SwitchInfo};
pub use handle::{BundleError, PostError, SwitchHandle};

use crate::transport::BoxedStream;
use ofproto::msg::{FlowRemoved, PacketIn, PortStatus, Role};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// The role this controller claims on every switch, with the generation id of a master or
/// slave claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// Role to request (`Equal` sends no ROLE_REQUEST).
    pub role: Role,
    /// Generation id for master/slave role requests.
    pub generation_id: u64,
}

impl Claim {
    /// The claim of a controller alone on its switches: EQUAL, no role request.
    pub const EQUAL: Claim = Claim {
        role: Role::Equal,
        generation_id: 0,
    };

    /// A claim that never changes.
    pub fn fixed(self) -> watch::Receiver<Claim> {
        watch::channel(self).1
    }
}

/// Settings shared by all sessions.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The role claimed on every switch: fixed (`--of-role`), or changed by the replicas'
    /// election (each session asks for the new role when it changes).
    pub claim: watch::Receiver<Claim>,
    /// Idle time after which an ECHO_REQUEST is sent.
    pub echo_interval: Duration,
    /// Silence after which the switch is considered dead.
    pub dead_after: Duration,
    /// Time allowed for the whole handshake.
    pub handshake_timeout: Duration,
    /// Time allowed for a request's reply.
    pub request_timeout: Duration,
    /// Messages per second a switch may send on average (twice that in a burst).
    pub max_msgs_per_sec: u32,
    /// Undecodable messages tolerated before the switch is disconnected.
    pub max_bad_messages: u32,
    /// `miss_send_len` set with SET_CONFIG.
    pub miss_send_len: u16,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            claim: Claim::EQUAL.fixed(),
            echo_interval: Duration::from_secs(5),
            dead_after: Duration::from_secs(15),
            handshake_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_msgs_per_sec: 20_000,
            max_bad_messages: 10,
            miss_send_len: 0xffff,
        }
    }
}

/// What sessions report to the rest of the controller.
#[derive(Debug)]
pub enum SessionEvent {
    /// A switch finished its handshake.
    Connected(SwitchHandle),
    /// A switch reported a port change (the handle's port table is already updated).
    PortStatus {
        /// Datapath id.
        dpid: u64,
        /// The message.
        status: PortStatus,
    },
    /// A packet sent to the controller.
    PacketIn {
        /// Datapath id.
        dpid: u64,
        /// The session it came from.
        session_id: u64,
        /// The message.
        packet_in: PacketIn,
    },
    /// A flow expired or was deleted.
    FlowRemoved {
        /// Datapath id.
        dpid: u64,
        /// The message.
        removed: FlowRemoved,
    },
    /// A session ended.
    Disconnected {
        /// Datapath id.
        dpid: u64,
        /// Which session (a reconnected switch has a new one).
        session_id: u64,
        /// Why.
        reason: String,
    },
}

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// Runs a session on an accepted stream until it ends: the switch disconnects or misbehaves,
/// a handle closes it, or `shutdown` is cancelled. Handshake failures are logged and end the
/// session; they never affect other sessions. Events wait for room in `events` (the session
/// stops reading from its switch meanwhile).
pub async fn run(
    stream: BoxedStream,
    peer: String,
    identity: Option<String>,
    cfg: Arc<SessionConfig>,
    events: mpsc::Sender<SessionEvent>,
    shutdown: CancellationToken,
) {
    let session_id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
    conn::drive(stream, peer, identity, session_id, cfg, events, shutdown).await;
}

/// Formats a datapath id as Open vSwitch does (16 hex digits).
pub fn dpid_str(dpid: u64) -> String {
    format!("{dpid:016x}")
}
