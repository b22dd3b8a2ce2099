//! The controller process: listeners, the switch registry and one reconciler per switch.
//!
//! Every task it starts (accept loops, sessions, reconcilers) is tracked and stops when the
//! controller shuts down ([`Controller::shutdown`]); sessions report through one bounded event
//! channel.

use crate::compiled::{Capabilities, Compiled};
use crate::metrics::METRICS;
use crate::reconcile::status::SyncStatus;
use crate::reconcile::{self, ReconcileConfig};
use crate::session::{self, dpid_str, Claim, SessionConfig, SessionEvent, SwitchHandle};
use crate::transport::{BoxedStream, Incoming, Listener};
use ofproto::msg::PacketIn;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

/// Session events that may wait for the event loop; beyond that, sessions wait (and stop
/// reading from their switches).
const EVENT_CAPACITY: usize = 1024;

/// An application that takes the packets switches send to the controller. It is called on
/// the controller's event loop for every packet-in of every switch, so it must not block (to
/// answer, it uses [`SwitchHandle::post`], which never waits); each application picks its own
/// packets (by the cookie of the flow that sent them).
pub trait PacketInApp: Send + Sync {
    /// A packet sent by switch `dpid`.
    fn packet_in(&self, dpid: u64, packet_in: &PacketIn);
}

/// Sends `frame` out of port `port` of the switch of `handle` (a packet-out, as from the
/// controller): how a packet-in application answers; logs, naming `what`, when the switch's
/// session cannot take it.
pub fn send_frame(handle: &SwitchHandle, port: u32, frame: Vec<u8>, what: &str) {
    let out = ofproto::msg::PacketOut {
        buffer_id: ofproto::msg::OFP_NO_BUFFER,
        in_port: ofproto::action::port_no::CONTROLLER,
        actions: vec![ofproto::Action::output(port)],
        data: frame,
    };
    if let Err(e) = handle.post(vec![ofproto::msg::Body::PacketOut(out)]) {
        warn!(dpid = %dpid_str(handle.dpid()), error = %e, "{what} not sent");
    }
}

/// Whether the switch whose TLS certificate proves a name (the second argument) may be the
/// datapath id it claims (the first): why not, if not.
pub type IdentityCheck = Box<dyn Fn(u64, &str) -> Result<(), IdentityRefusal> + Send + Sync>;

/// Why a switch's certificate may not be the datapath id it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityRefusal {
    /// The datapath is another's.
    #[error("{0}")]
    NotOwner(String),
    /// Nobody owns the datapath yet (its host's agent may be about to report it).
    #[error("{0}")]
    NoOwner(String),
}

/// How long a switch whose datapath nobody owns yet waits for its owner before it is refused:
/// an agent reports its bridge right after creating it, and the bridge connects at once.
const OWNER_GRACE: Duration = Duration::from_secs(5);

/// Connections whose set-up (a TLS handshake) failed, logged at most once a second.
static SETUP_FAILURES: crate::session::Sampled =
    crate::session::Sampled::new(Duration::from_secs(1));

/// A connected switch: its session and where its reconciler stands.
struct Registered {
    handle: SwitchHandle,
    sync: watch::Receiver<SyncStatus>,
}

/// What the registry knows of one switch.
#[derive(Clone)]
pub enum SwitchView {
    /// It is connected.
    Connected {
        /// Its session.
        handle: SwitchHandle,
        /// Where its reconciler stands.
        sync: SyncStatus,
    },
    /// It is not connected, since then.
    Gone(SystemTime),
}

/// How long a live session has to answer an echo when another connection claims its
/// datapath id.
const LIVENESS_PROBE: Duration = Duration::from_secs(1);

/// Closes the session of a switch whose certificate may not be its datapath id.
fn refuse_identity(handle: &SwitchHandle, why: &str) {
    warn!(dpid = %dpid_str(handle.dpid()), peer = %handle.info().peer, identity = handle.identity().unwrap_or_default(), %why, "refused a switch whose certificate does not own the datapath id");
    handle.close("its certificate does not own its datapath id");
}

/// Whether `h`'s switch answers an echo request within [`LIVENESS_PROBE`].
async fn answers_echo(h: &SwitchHandle) -> bool {
    let probe = h.request(ofproto::Body::EchoRequest(b"netmaster-liveness".to_vec()));
    matches!(tokio::time::timeout(LIVENESS_PROBE, probe).await, Ok(Ok(_)))
}

/// The running controller.
pub struct Controller {
    apps: RwLock<Vec<Arc<dyn PacketInApp>>>,
    sessions: Arc<SessionConfig>,
    reconcile: ReconcileConfig,
    compiled: watch::Receiver<Arc<Compiled>>,
    capabilities: watch::Sender<BTreeMap<u64, Capabilities>>,
    switches: Mutex<HashMap<u64, Registered>>,
    /// When each switch that is not connected lost its connection (or when the controller
    /// started, for one that never connected).
    gone_since: Mutex<HashMap<u64, SystemTime>>,
    started: SystemTime,
    identity_check: RwLock<Option<IdentityCheck>>,
    events_tx: mpsc::Sender<SessionEvent>,
    events_rx: Mutex<Option<mpsc::Receiver<SessionEvent>>>,
    /// Every task the controller started, [`Controller::serve`] included.
    tasks: TaskTracker,
    /// Cancelled by [`Controller::shutdown`].
    shutdown: CancellationToken,
}

impl Controller {
    /// A controller that gives every switch that connects the state the snapshots `compiled`
    /// receives fit to it.
    pub fn new(
        sessions: SessionConfig,
        reconcile: ReconcileConfig,
        compiled: watch::Receiver<Arc<Compiled>>,
    ) -> Arc<Controller> {
        let (events_tx, events_rx) = mpsc::channel(EVENT_CAPACITY);
        Arc::new(Controller {
            apps: RwLock::new(Vec::new()),
            sessions: Arc::new(sessions),
            reconcile,
            compiled,
            capabilities: watch::channel(BTreeMap::new()).0,
            switches: Mutex::new(HashMap::new()),
            gone_since: Mutex::new(HashMap::new()),
            started: SystemTime::now(),
            identity_check: RwLock::new(None),
            events_tx,
            events_rx: Mutex::new(Some(events_rx)),
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
        })
    }

    /// Adds an application that sees every packet-in.
    pub fn add_app(&self, app: Arc<dyn PacketInApp>) {
        self.apps.write().expect("apps lock").push(app);
    }

    /// A receiver of the capabilities of the connected switches (an input of the compile).
    pub fn capabilities(&self) -> watch::Receiver<BTreeMap<u64, Capabilities>> {
        self.capabilities.subscribe()
    }

    /// The current session of switch `dpid`.
    pub fn switch(&self, dpid: u64) -> Option<SwitchHandle> {
        self.switches
            .lock()
            .expect("registry lock")
            .get(&dpid)
            .map(|r| r.handle.clone())
    }

    /// What the registry knows of switch `dpid`.
    pub fn view(&self, dpid: u64) -> SwitchView {
        if let Some(r) = self.switches.lock().expect("registry lock").get(&dpid) {
            return SwitchView::Connected {
                handle: r.handle.clone(),
                sync: r.sync.borrow().clone(),
            };
        }
        let gone = self.gone_since.lock().expect("registry lock");
        SwitchView::Gone(gone.get(&dpid).copied().unwrap_or(self.started))
    }

    /// Datapath ids of the connected switches.
    pub fn connected(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .switches
            .lock()
            .expect("registry lock")
            .keys()
            .copied()
            .collect();
        v.sort_unstable();
        v
    }

    /// Runs a session for a switch connected over `stream` (any transport).
    pub fn attach(&self, stream: BoxedStream, peer: String) {
        self.tasks.spawn(session::run(
            stream,
            peer,
            None,
            self.sessions.clone(),
            self.events_tx.clone(),
            self.shutdown.clone(),
        ));
    }

    /// Sets the check of a TLS switch's identity: `check(dpid, name)` says why the switch
    /// whose certificate proves `name` may not be datapath `dpid`, or lets it be.
    pub fn set_identity_check(&self, check: IdentityCheck) {
        *self.identity_check.write().expect("identity check lock") = Some(check);
    }

    /// Runs a session for an accepted connection once it is set up (its TLS handshake done,
    /// within the session handshake timeout).
    fn attach_incoming(&self, incoming: Incoming) {
        let (sessions, events, shutdown) = (
            self.sessions.clone(),
            self.events_tx.clone(),
            self.shutdown.clone(),
        );
        self.tasks.spawn(async move {
            let peer = incoming.peer;
            let connected =
                tokio::time::timeout(sessions.handshake_timeout, incoming.connecting).await;
            match connected {
                Ok(Ok(c)) => {
                    session::run(c.stream, peer, c.identity, sessions, events, shutdown).await
                }
                Ok(Err(e)) => {
                    if let Some(suppressed) = SETUP_FAILURES.sample(std::time::Instant::now()) {
                        warn!(%peer, error = %e, suppressed, "connection set-up failed");
                    }
                }
                Err(_) => {
                    if let Some(suppressed) = SETUP_FAILURES.sample(std::time::Instant::now()) {
                        warn!(%peer, suppressed, "connection set-up timed out");
                    }
                }
            }
        });
    }

    /// Accepts switches on every listener and serves them (and those given to
    /// [`Controller::attach`]) until [`Controller::shutdown`]. Call it once.
    pub async fn serve(self: Arc<Self>, listeners: Vec<Listener>) {
        let Some(events) = self.events_rx.lock().expect("events lock").take() else {
            warn!("Controller::serve called twice");
            return;
        };
        let tasks = self.tasks.clone();
        tasks.track_future(self.event_loop(listeners, events)).await;
    }

    /// Stops accepting, ends every session (their handles report closed) and every task the
    /// controller started, and returns once all of them have finished.
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// Whether the identity a TLS switch proved may be its datapath id (always, without TLS or
    /// without a check).
    fn identity_allows(&self, handle: &SwitchHandle) -> Result<(), IdentityRefusal> {
        let Some(name) = handle.identity() else {
            return Ok(());
        };
        match &*self.identity_check.read().expect("identity check lock") {
            Some(check) => check(handle.dpid(), name),
            None => Ok(()),
        }
    }

    /// Registers a switch whose identity is settled, unless another connection holds its
    /// datapath id and still answers.
    fn admit(self: &Arc<Self>, handle: SwitchHandle) {
        let live = self.switch(handle.dpid()).filter(|old| !old.is_closed());
        match live {
            None => self.register(handle),
            // Without proof of identity, a second connection that claims the datapath
            // id of a live session is an impostor (or a duplicate): the live session
            // stays. A session that no longer answers is replaced, as a restarted
            // switch's is.
            Some(old) => {
                let me = self.clone();
                let contest = async move {
                    if answers_echo(&old).await {
                        warn!(dpid = %dpid_str(handle.dpid()), peer = %handle.info().peer, live_peer = %old.info().peer, "refused a connection claiming the datapath id of a live session");
                        handle.close("its datapath id belongs to a live session");
                    } else {
                        me.register(handle);
                    }
                };
                self.tasks
                    .spawn(self.shutdown.clone().run_until_cancelled_owned(contest));
            }
        }
    }

    /// Makes `handle` the session of its switch (replacing an older one) and starts its
    /// reconciler.
    fn register(&self, handle: SwitchHandle) {
        let (status, sync) = watch::channel(SyncStatus::default());
        let registered = Registered {
            handle: handle.clone(),
            sync,
        };
        let old = self
            .switches
            .lock()
            .expect("registry lock")
            .insert(handle.dpid(), registered)
            .map(|r| r.handle);
        if let Some(old) = old {
            info!(dpid = %dpid_str(handle.dpid()), old_session = old.session_id(), "reconnect replaces the old session");
            old.close("replaced by a new connection from the same datapath");
        }
        let caps = Capabilities {
            nicira: handle.info().speaks_nicira(),
        };
        self.capabilities
            .send_if_modified(|all| all.insert(handle.dpid(), caps) != Some(caps));
        let reconciler = reconcile::run(
            handle.clone(),
            self.compiled.clone(),
            self.reconcile.clone(),
            status,
        );
        self.tasks
            .spawn(self.shutdown.clone().run_until_cancelled_owned(reconciler));
        let claim = *self.sessions.claim.borrow();
        if handle.info().role != claim.role {
            self.claim_on(handle, claim);
        }
    }

    /// Asks `handle`'s switch for the role of `claim` (in a task of its own).
    fn claim_on(&self, handle: SwitchHandle, claim: Claim) {
        let ask = async move {
            match handle.claim(claim).await {
                Ok(()) => {
                    info!(dpid = %dpid_str(handle.dpid()), role = claim.role.name(), generation_id = claim.generation_id, "role granted")
                }
                Err(e) => {
                    warn!(dpid = %dpid_str(handle.dpid()), role = claim.role.name(), generation_id = claim.generation_id, error = %e, "role refused")
                }
            }
        };
        self.tasks
            .spawn(self.shutdown.clone().run_until_cancelled_owned(ask));
    }

    /// Asks every connected switch for the new role whenever the claim changes (the replicas'
    /// election).
    async fn follow_claim(self: Arc<Self>) {
        let mut claims = self.sessions.claim.clone();
        while claims.changed().await.is_ok() {
            let claim = *claims.borrow_and_update();
            let handles: Vec<SwitchHandle> = self
                .switches
                .lock()
                .expect("registry lock")
                .values()
                .map(|r| r.handle.clone())
                .collect();
            info!(
                role = claim.role.name(),
                generation_id = claim.generation_id,
                switches = handles.len(),
                "claiming a new role on every switch"
            );
            for h in handles {
                self.claim_on(h, claim);
            }
        }
    }

    async fn event_loop(
        self: Arc<Self>,
        listeners: Vec<Listener>,
        mut events: mpsc::Receiver<SessionEvent>,
    ) {
        for l in listeners {
            let me = self.clone();
            let accept = async move {
                loop {
                    match l.accept().await {
                        Ok(inc) => me.attach_incoming(inc),
                        Err(e) => {
                            warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            };
            self.tasks
                .spawn(self.shutdown.clone().run_until_cancelled_owned(accept));
        }
        self.tasks.spawn(
            self.shutdown
                .clone()
                .run_until_cancelled_owned(self.clone().follow_claim()),
        );
        loop {
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(ev) => self.on_event(ev),
                    None => return,
                },
                _ = self.shutdown.cancelled() => return,
            }
        }
    }

    fn on_event(self: &Arc<Self>, ev: SessionEvent) {
        match ev {
            SessionEvent::Connected(handle) => match self.identity_allows(&handle) {
                Ok(()) => self.admit(handle),
                Err(IdentityRefusal::NotOwner(why)) => refuse_identity(&handle, &why),
                Err(IdentityRefusal::NoOwner(_)) => {
                    let me = self.clone();
                    let wait = async move {
                        let deadline = tokio::time::Instant::now() + OWNER_GRACE;
                        loop {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            match me.identity_allows(&handle) {
                                Ok(()) => return me.admit(handle),
                                Err(IdentityRefusal::NoOwner(why))
                                    if tokio::time::Instant::now() >= deadline =>
                                {
                                    return refuse_identity(&handle, &why)
                                }
                                Err(IdentityRefusal::NoOwner(_)) if !handle.is_closed() => {}
                                Err(IdentityRefusal::NoOwner(_)) => return,
                                Err(IdentityRefusal::NotOwner(why)) => {
                                    return refuse_identity(&handle, &why)
                                }
                            }
                        }
                    };
                    self.tasks
                        .spawn(self.shutdown.clone().run_until_cancelled_owned(wait));
                }
            },
            SessionEvent::Disconnected {
                dpid, session_id, ..
            } => {
                let mut map = self.switches.lock().expect("registry lock");
                if map.get(&dpid).map(|r| r.handle.session_id()) == Some(session_id) {
                    map.remove(&dpid);
                    self.gone_since
                        .lock()
                        .expect("registry lock")
                        .insert(dpid, SystemTime::now());
                    self.capabilities
                        .send_if_modified(|all| all.remove(&dpid).is_some());
                }
            }
            SessionEvent::PacketIn {
                dpid,
                session_id,
                packet_in,
            } => {
                // Only the registered session speaks for its switch.
                if self.switch(dpid).map(|h| h.session_id()) != Some(session_id) {
                    return;
                }
                METRICS.packet_in(packet_in.cookie);
                for app in self.apps.read().expect("apps lock").iter() {
                    app.packet_in(dpid, &packet_in);
                }
            }
            SessionEvent::PortStatus { .. } | SessionEvent::FlowRemoved { .. } => {}
        }
    }
}
