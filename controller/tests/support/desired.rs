//! Desired state set by hand, for tests that drive the reconcilers without intent: a fixed
//! part for every switch plus a part per switch, published as compiled snapshots fitted to
//! the capabilities of the switches the controller has connected (as netmaster's compile loop
//! does).

// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

use netmaster::app::Controller;
use netmaster::compiled::publisher::Publisher;
use netmaster::compiled::{Capabilities, Compiled};
use netmaster::desired::SwitchState;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Hand-set desired state, published on a [`Publisher`].
pub struct Desired {
    fixed: SwitchState,
    own: Mutex<BTreeMap<u64, SwitchState>>,
    capabilities: Mutex<BTreeMap<u64, Capabilities>>,
    publisher: Publisher,
}

impl Desired {
    /// Every switch gets `fixed`.
    pub fn new(fixed: SwitchState) -> Arc<Desired> {
        let d = Arc::new(Desired {
            fixed,
            own: Mutex::default(),
            capabilities: Mutex::default(),
            publisher: Publisher::default(),
        });
        d.publish();
        d
    }

    /// The snapshots, for [`Controller::new`].
    pub fn subscribe(&self) -> watch::Receiver<Arc<Compiled>> {
        self.publisher.subscribe()
    }

    /// Republishes whenever the switches `controller` has connected change (call it right
    /// after [`Controller::new`], inside a tokio runtime).
    pub fn follow(self: &Arc<Self>, controller: &Controller) {
        let mut caps = controller.capabilities();
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                *me.capabilities.lock().unwrap() = caps.borrow_and_update().clone();
                me.publish();
                if caps.changed().await.is_err() {
                    return;
                }
            }
        });
    }

    /// Replaces the part specific to switch `dpid`.
    pub fn set_switch(&self, dpid: u64, state: SwitchState) {
        self.own.lock().unwrap().insert(dpid, state);
        self.publish();
    }

    /// What an Open vSwitch with datapath id `dpid` should hold.
    pub fn desired_for(&self, dpid: u64) -> SwitchState {
        let own = self.own.lock().unwrap().get(&dpid).cloned();
        let fitted = Compiled::fixed(
            &self.fixed,
            [(dpid, Capabilities::OPEN_VSWITCH, own.unwrap_or_default())],
        );
        fitted.switches[&dpid].state.as_ref().clone()
    }

    fn publish(&self) {
        let own = self.own.lock().unwrap().clone();
        let caps = self.capabilities.lock().unwrap().clone();
        let mut dpids: BTreeMap<u64, Capabilities> = own
            .keys()
            .map(|d| (*d, Capabilities::OPEN_VSWITCH))
            .collect();
        dpids.extend(caps);
        self.publisher.publish(Compiled::fixed(
            &self.fixed,
            dpids
                .into_iter()
                .map(|(d, c)| (d, c, own.get(&d).cloned().unwrap_or_default())),
        ));
    }
}
