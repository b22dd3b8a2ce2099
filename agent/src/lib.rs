//! netplugin: the per-host agent.
//!
//! * [`ovsdb`]: an RFC 7047 OVSDB client (JSON-RPC over a unix socket: `transact`, `monitor`,
//!   `echo`) and typed operations on Open vSwitch bridges, ports and interfaces.
//! * [`netlink`]: container plumbing (veth pairs into network namespaces, addresses, routes).
//! * [`report`]: the host report (the bridge's endpoint, tunnel and uplink ports) sent to
//!   netmaster.
//! * [`netmaster`]: the async client of netmaster's REST API (intent objects, host report,
//!   directives).
//! * [`naming`]: names the agent derives (veth host ends, default datapath id, OVSDB path).
//! * [`daemon`]: the agent daemon (bridge, tunnel and uplink set-up; periodic reports).
//! * [`defaults`]: the OVSDB socket and controller target assumed when no flag gives them.
//! * [`tunnels`]: the per-peer VXLAN ports netmaster asks for.
//! * [`uplinks`]: the uplink ports from the flags and the host's intent.
//! * [`restore`]: reconciliation of veths and endpoint ports when the daemon starts.
//! * [`attach`]: `netplugin attach|detach` for runtimes without CNI.
//! * [`cni`]: the CNI plugin `netplugin-cni` and the daemon's CNI socket.
//! * [`docker`]: the Docker watcher: containers named in intent get their network when they
//!   start.
//! * [`unix_socket`]: binding the agent's unix sockets.
//! * [`error`]: the agent's [`error::Error`]: a context and a typed cause.

pub mod attach;
pub mod attach_vf;
pub mod cni;
pub mod daemon;
pub mod defaults;
pub mod docker;
pub mod error;
pub mod live_trace;
pub mod naming;
pub mod netlink;
pub mod netmaster;
pub mod ovsdb;
pub mod report;
pub mod restore;
pub mod sriov;
pub mod tunnels;
pub mod unix_socket;
pub mod uplinks;
