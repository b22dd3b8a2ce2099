//! netmaster: the OpenFlow 1.3 controller of netplugin.
//!
//! * [`transport`] accepts switch connections (TCP, unix socket; pluggable).
//! * [`session`] runs one tokio task per switch around a sans-I/O core ([`session::core`]):
//!   handshake, keepalive, xid matching, roles, policing.
//! * [`desired`] holds the flows, groups and meters each switch should have; [`cookie`] says
//!   who owns a flow; [`pipeline`] gives the fixed base pipeline.
//! * [`compiler`] turns intent ([`intent::Snapshot`]) and the observed topology into the
//!   desired state of every switch (a pure function); [`compiled`] gathers every input of a
//!   compile and publishes its result, one immutable snapshot, on one channel.
//! * [`observed`] holds what the agents report; [`multicast`] what IGMP snooping learns;
//!   [`store`] keeps them with the intent across restarts.
//! * [`reconcile`] diffs desired against actual state and sends only the difference, and
//!   says where every switch stands ([`reconcile::status`]); [`oper`] shows it, with what
//!   IGMP snooping learned and Contiv's inspect of every object ([`inspect`]).
//! * [`replica`] runs netmaster as replicas on etcd: one leader (OpenFlow MASTER, the only
//!   writer), followers (SLAVE) that serve reads from their watched copy.
//!
//! The in-memory OpenFlow 1.3 switch used by the tests is the `fakeswitch` crate beside this one.

pub mod app;
pub mod checksum;
pub mod compiled;
pub mod compiler;
pub mod console;
pub mod cookie;
pub mod desired;
pub mod dns;
pub mod explain;
pub mod gateway_echo;
pub mod inspect;
pub mod intent;
pub mod ipv4_frame;
pub mod metrics;
pub mod multicast;
pub mod observed;
pub mod oper;
pub mod pipeline;
pub mod reconcile;
pub mod replica;
pub mod session;
pub mod static_flows;
pub mod store;
pub mod transport;
