//! netmaster: the OpenFlow 1.3 controller of netplugin.
//!
//! * [`transport`] accepts switch connections (TCP, unix socket; pluggable).
//! * [`session`] runs one tokio task per switch around a sans-I/O core ([`session::core`]):
//!   handshake, keepalive, xid matching, roles, policing.
//! * [`desired`] holds the flows, groups and meters each switch should have; [`cookie`] says
//!   who owns a flow; [`pipeline`] gives the fixed base pipeline.
//! * [`compiler`] turns intent ([`intent::Snapshot`]) and the observed topology into the
//!   desired state of every switch (a pure function).
//! * [`reconcile`] diffs desired against actual state and sends only the difference.
//!
//! The in-memory OpenFlow 1.3 switch used by the tests is the `fakeswitch` crate beside this one.

pub mod app;
pub mod checksum;
pub mod compiler;
pub mod cookie;
pub mod desired;
pub mod desired_store;
pub mod gateway_echo;
pub mod intent;
pub mod intent_sync;
pub mod multicast;
pub mod pipeline;
pub mod reconcile;
pub mod session;
pub mod static_flows;
pub mod transport;
