//! Keeps the desired state of every switch equal to the compiled intent: after every accepted
//! intent change (and every topology change), the whole intent is recompiled — a pure function —
//! and handed to the reconcilers, which send each switch only what changed for it.

use crate::compiler::{compile, Topology};
use crate::desired_store::DesiredStore;
use crate::intent::service::IntentDb;
use crate::intent::Snapshot;
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tokio::sync::watch;
use tracing::info;

/// The topology the agents report (ports, tunnels, uplinks per host), shared with the
/// compiler loop. Hosts declared in intent but not reported yet are compiled from their
/// intent (dpid, VTEP) alone.
#[derive(Default)]
pub struct ObservedTopology {
    topo: RwLock<Topology>,
    version: watch::Sender<u64>,
}

impl ObservedTopology {
    /// The current topology.
    pub fn get(&self) -> Topology {
        self.topo.read().expect("topology lock").clone()
    }

    /// Replaces the topology and wakes the compiler.
    pub fn set(&self, topo: Topology) {
        *self.topo.write().expect("topology lock") = topo;
        self.version.send_modify(|v| *v += 1);
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }
}

/// The topology to compile with: the observed one, plus every intent host with a dpid that the
/// agents have not reported yet.
fn effective_topology(snapshot: &Snapshot, observed: &ObservedTopology) -> Topology {
    let mut topo = observed.get();
    for (name, host) in &snapshot.hosts {
        if let (false, Some(dpid)) = (topo.hosts.contains_key(name), host.dpid) {
            let mut h = crate::compiler::HostPorts::new(dpid);
            h.vtep_ip = host.vtep_ip.as_deref().and_then(|v| v.parse().ok());
            topo.hosts.insert(name.clone(), h);
        }
    }
    topo
}

/// Recompiles on every intent or topology change until the process ends.
pub async fn run(db: Arc<IntentDb>, observed: Arc<ObservedTopology>, store: Arc<DesiredStore>) {
    let mut intent = db.subscribe();
    let mut topo = observed.subscribe();
    loop {
        let started = Instant::now();
        let snapshot = db.snapshot();
        let compiled = compile(&snapshot, &effective_topology(&snapshot, &observed));
        let switches = compiled.len();
        let flows: usize = compiled.values().map(|s| s.flows.len()).sum();
        store.set_switches(compiled);
        info!(
            version = db.version(),
            switches,
            flows,
            ms = started.elapsed().as_secs_f64() * 1e3,
            "intent compiled"
        );
        tokio::select! {
            r = intent.changed() => if r.is_err() { return },
            r = topo.changed() => if r.is_err() { return },
        }
    }
}
