//! Where the reconcilers find what each switch should hold, and learn that it changed.

use crate::desired::SwitchState;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::watch;

/// The desired state of every switch: a part common to all switches (the base pipeline and
/// static flows) plus a part per datapath id (from intent, later). Readers get a merged copy;
/// every change bumps a version that reconcilers watch.
pub struct DesiredStore {
    common: RwLock<Arc<SwitchState>>,
    per_switch: RwLock<HashMap<u64, Arc<SwitchState>>>,
    version: watch::Sender<u64>,
}

impl DesiredStore {
    /// A store whose every switch gets `common`.
    pub fn new(common: SwitchState) -> DesiredStore {
        DesiredStore {
            common: RwLock::new(Arc::new(common)),
            per_switch: RwLock::new(HashMap::new()),
            version: watch::channel(0).0,
        }
    }

    /// What switch `dpid` should hold.
    pub fn desired_for(&self, dpid: u64) -> SwitchState {
        let mut state = (**self.common.read().expect("store lock")).clone();
        if let Some(own) = self.per_switch.read().expect("store lock").get(&dpid) {
            state
                .flows
                .extend(own.flows.iter().map(|(k, v)| (k.clone(), v.clone())));
            state
                .groups
                .extend(own.groups.iter().map(|(k, v)| (*k, v.clone())));
            state
                .meters
                .extend(own.meters.iter().map(|(k, v)| (*k, v.clone())));
        }
        state
    }

    /// Replaces the part common to all switches.
    pub fn set_common(&self, state: SwitchState) {
        *self.common.write().expect("store lock") = Arc::new(state);
        self.bump();
    }

    /// Replaces the part specific to switch `dpid`.
    pub fn set_switch(&self, dpid: u64, state: SwitchState) {
        self.per_switch
            .write()
            .expect("store lock")
            .insert(dpid, Arc::new(state));
        self.bump();
    }

    /// Replaces the per-switch parts of every switch at once (switches absent from `states`
    /// keep only the common part).
    pub fn set_switches(&self, states: impl IntoIterator<Item = (u64, SwitchState)>) {
        *self.per_switch.write().expect("store lock") = states
            .into_iter()
            .map(|(dpid, s)| (dpid, Arc::new(s)))
            .collect();
        self.bump();
    }

    /// A receiver that sees every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn bump(&self) {
        self.version.send_modify(|v| *v += 1);
    }
}
