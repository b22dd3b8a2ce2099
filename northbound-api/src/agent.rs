//! The agent protocol on the server side: the host reports and directives (the wire types are
//! [`northbound_model::agent`], re-exported here) and the [`AgentService`] trait the controller
//! implements to receive reports and give directives.

pub use northbound_model::agent::{HostDirectives, HostReport, TunnelReport, MAX_WAIT_S};

use crate::service::ApiError;
use std::collections::BTreeMap;

/// The agent service: what netmaster does with the agents' host reports.
pub trait AgentService: Send + Sync + 'static {
    /// Replaces `host`'s report (a 400 [`ApiError`] when the report is unusable, e.g. its
    /// VTEP does not parse or its dpid is 0).
    fn report(&self, host: &str, report: HostReport) -> Result<(), ApiError>;
    /// The latest report of every host that reported, by host name.
    fn reports(&self) -> BTreeMap<String, HostReport>;
    /// What `host`'s agent should create now (also for a host that never reported).
    fn directives(&self, host: &str) -> HostDirectives;
    /// A receiver of the directives' version, to wait for a change.
    fn directive_changes(&self) -> tokio::sync::watch::Receiver<u64>;
}
