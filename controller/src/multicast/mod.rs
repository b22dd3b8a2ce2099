//! IPv4 multicast: IGMP snooping as a packet-in application, and netmaster as the IGMP
//! querier of the networks that ask for one.
//!
//! The switches send every IGMP frame of a local endpoint to netmaster (table 10, see
//! [`crate::compiler::multicast`]). [`snooping::Snooping`] turns reports and leaves into
//! memberships ([`membership::Memberships`]), which are part of the observed topology: each
//! change recompiles the intent, and the reconcilers give every switch its per-group OpenFlow
//! groups. [`querier::run`] sends the general queries and expires memberships nobody renewed.

pub mod igmp;
pub mod membership;
pub mod querier;
pub mod snooping;
