//! netmaster's controller in the test process, serving hand-set desired state on a private
//! Open vSwitch's controller socket: the reconciler installs and keeps exactly that state.

// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

use crate::common::{wait_until, Ovs};
use crate::desired::Desired;
use netmaster::app::Controller;
use netmaster::desired::SwitchState;
use netmaster::reconcile::ReconcileConfig;
use netmaster::session::{SessionConfig, SwitchHandle};
use netmaster::transport::{ListenAddr, Listener};
use std::sync::Arc;
use std::time::Duration;

/// How long a switch may take to connect.
const WAIT: Duration = Duration::from_secs(30);

/// The in-process controller on the OVS instance's unix controller socket.
pub struct Ctl {
    rt: tokio::runtime::Runtime,
    controller: Arc<Controller>,
}

impl Ctl {
    /// Serves `state` as the desired state of every switch, on `ovs`'s controller socket.
    pub fn start(ovs: &Ovs, state: SwitchState) -> Ctl {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let store = Desired::new(state);
        let rcfg = ReconcileConfig {
            audit_interval: Duration::from_millis(200),
            full_audit_every: 1,
            use_bundles: true,
        };
        let controller = Controller::new(SessionConfig::default(), rcfg, store.subscribe());
        {
            let _runtime = rt.enter();
            store.follow(&controller);
        }
        let listener = rt
            .block_on(Listener::bind(&ListenAddr::Unix(ovs.ctl_sock())))
            .expect("bind the controller socket");
        rt.spawn(controller.clone().serve(vec![listener]));
        Ctl { rt, controller }
    }

    /// The session of the switch with `dpid`, once it has connected.
    pub fn switch(&self, dpid: u64) -> SwitchHandle {
        wait_until(WAIT, "the bridge connects to netmaster", || {
            self.controller.switch(dpid)
        })
    }

    /// What the switch holds, read back over its OpenFlow session as the reconciler's full
    /// audit does.
    pub fn read_back(&self, dpid: u64) -> SwitchState {
        let h = self.switch(dpid);
        self.rt.block_on(async {
            let flows = h.flow_stats().await.expect("flow stats");
            let groups = h.group_desc().await.expect("group desc");
            let meters = h.meter_config().await.expect("meter config");
            SwitchState::from_switch(&flows, &groups, &meters)
        })
    }
}

impl Drop for Ctl {
    fn drop(&mut self) {
        for dpid in self.controller.connected() {
            if let Some(h) = self.controller.switch(dpid) {
                h.close("test over");
            }
        }
    }
}
