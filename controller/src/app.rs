//! The controller process: listeners, the switch registry and one reconciler per switch.

use crate::desired_store::DesiredStore;
use crate::reconcile::{self, ReconcileConfig};
use crate::session::{self, dpid_str, SessionConfig, SessionEvent, SwitchHandle};
use crate::transport::Listener;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tracing::{info, warn};

/// The running controller.
pub struct Controller {
    sessions: Arc<SessionConfig>,
    reconcile: ReconcileConfig,
    store: Arc<DesiredStore>,
    switches: Mutex<HashMap<u64, SwitchHandle>>,
}

impl Controller {
    /// A controller that pushes `store`'s state to every switch that connects.
    pub fn new(
        sessions: SessionConfig,
        reconcile: ReconcileConfig,
        store: Arc<DesiredStore>,
    ) -> Arc<Controller> {
        Arc::new(Controller {
            sessions: Arc::new(sessions),
            reconcile,
            store,
            switches: Mutex::new(HashMap::new()),
        })
    }

    /// The desired-state store.
    pub fn store(&self) -> &Arc<DesiredStore> {
        &self.store
    }

    /// The current session of switch `dpid`.
    pub fn switch(&self, dpid: u64) -> Option<SwitchHandle> {
        self.switches
            .lock()
            .expect("registry lock")
            .get(&dpid)
            .cloned()
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

    /// Accepts switches on every listener and serves them until the process ends.
    pub async fn serve(self: Arc<Self>, listeners: Vec<Listener>) {
        let (events_tx, mut events) = mpsc::unbounded_channel();
        for l in listeners {
            let cfg = self.sessions.clone();
            let tx = events_tx.clone();
            tokio::spawn(async move {
                loop {
                    match l.accept().await {
                        Ok(inc) => {
                            tokio::spawn(session::run(
                                inc.stream,
                                inc.peer,
                                cfg.clone(),
                                tx.clone(),
                            ));
                        }
                        Err(e) => {
                            warn!(error = %e, "accept failed");
                            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        }
                    }
                }
            });
        }
        drop(events_tx);
        while let Some(ev) = events.recv().await {
            self.on_event(ev);
        }
    }

    fn on_event(&self, ev: SessionEvent) {
        match ev {
            SessionEvent::Connected(handle) => {
                let old = self
                    .switches
                    .lock()
                    .expect("registry lock")
                    .insert(handle.dpid(), handle.clone());
                if let Some(old) = old {
                    info!(dpid = %dpid_str(handle.dpid()), old_session = old.session_id(), "reconnect replaces the old session");
                    old.close("replaced by a new connection from the same datapath");
                }
                tokio::spawn(reconcile::run(
                    handle,
                    self.store.clone(),
                    self.reconcile.clone(),
                ));
            }
            SessionEvent::Disconnected {
                dpid, session_id, ..
            } => {
                let mut map = self.switches.lock().expect("registry lock");
                if map.get(&dpid).map(|h| h.session_id()) == Some(session_id) {
                    map.remove(&dpid);
                }
            }
            SessionEvent::PortStatus { .. }
            | SessionEvent::PacketIn { .. }
            | SessionEvent::FlowRemoved { .. } => {}
        }
    }
}
