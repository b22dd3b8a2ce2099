//! netplugin: the per-host agent.
//!
//! * [`ovsdb`]: an RFC 7047 OVSDB client (JSON-RPC over a unix socket: `transact`, `monitor`,
//!   `echo`) and typed operations on Open vSwitch bridges, ports and interfaces.
//! * [`netlink`]: container plumbing (veth pairs into network namespaces, addresses, routes).

pub mod netlink;
pub mod ovsdb;
