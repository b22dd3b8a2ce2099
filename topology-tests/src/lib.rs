//! The topology-tests harness: emulated hosts on one machine, all inside network namespaces
//! this run creates (nothing is added to the root namespace).
//!
//! ```text
//! <p>-ctl:  bridge mgmt 10.254.0.254/24 — netmaster (OpenFlow :6653, REST :9999)
//!             | veth m<N> <-> mgmt0 10.254.0.N/24
//! <p>-h<N>: ovsdb-server + ovs-vswitchd (userspace datapath, own run dir)
//!           br-int (created by the netplugin agent, netmaster as controller)
//!           br-phy (VTEP address on its internal port) — eth-ul
//!           eth2 (VLAN trunk; on br-int when the host's intent names it: `"Intf": "eth2"`)
//!             | eth-ul <-> u<N> (MTU 1600)     | eth2 <-> v<N>
//! <p>-fab:  bridge ulbr (Linux: the underlay)   vlbr (Open vSwitch, standalone: the physical
//!                                                VLAN switch; trunk ports v<N>, access ports)
//! <p>-<container>: eth0, plugged in by `netplugin attach` run in its host's namespace
//! ```
//!
//! The physical VLAN switch is an Open vSwitch bridge in normal (learning) mode rather than a
//! Linux bridge with VLAN filtering: this machine's kernel has neither bridge VLAN filtering
//! nor 802.1Q interfaces (`Operation not supported`, `Unknown device type`).
//!
//! [`Fabric`] builds and owns all of it; dropping it (also while a failed assertion unwinds)
//! kills the processes it started, by PID, and deletes its namespaces and run directory. Names
//! carry a prefix unique to the run, so runs can share the machine.

pub mod binaries;
pub mod cmd;
pub mod cni;
pub mod docker;
/// A three-member etcd cluster for the replicas of netmaster (the controller tests' own).
#[path = "../../controller/tests/support/etcd.rs"]
pub mod etcd;
pub mod explain;
pub mod fabric;
pub mod fault;
pub mod frames;
pub mod host;
pub mod intent;
pub mod matrix;
pub mod multicast;
pub mod neighbours;
pub mod netns;
pub mod ovs;
pub mod pki;
pub mod timing;
pub mod tokens;
pub mod traffic;

pub use fabric::{Fabric, FabricConfig};

/// Polls `check` every 20 ms until it holds, or panics naming `what` after `timeout`; how long
/// it took.
pub fn wait_for(
    what: &str,
    timeout: std::time::Duration,
    mut check: impl FnMut() -> bool,
) -> std::time::Duration {
    let start = std::time::Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    start.elapsed()
}
pub use host::Host;
pub use matrix::{Endpoint, Matrix};
