//! Operational state netmaster learned rather than was told (the wire types are
//! [`northbound_model::oper`] and [`northbound_model::audit`], re-exported here), and the
//! [`OperService`] trait netmaster implements to show it.

pub use northbound_model::audit::Audit;
pub use northbound_model::oper::{
    MulticastGroupOper, MulticastMemberOper, NetworkInspect, NetworkOper,
};

/// The operational-state service netmaster implements.
pub trait OperService: Send + Sync + 'static {
    /// What is known about network `key` (`tenant:network`); empty for one without state.
    fn network(&self, key: &str) -> NetworkOper;
    /// The sync state of every switch.
    fn audit(&self) -> Audit;
}
