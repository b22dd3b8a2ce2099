//! The agent protocol on the server side: the host reports and directives (the wire types are
//! [`northbound_model::agent`], re-exported here) and the [`AgentService`] trait the controller
//! implements to receive reports and give directives.

pub use northbound_model::agent::{
    BoundEndpoint, EndpointReadiness, HostDirectives, HostReport, TunnelReport, MAX_READY_WAIT_MS,
    MAX_WAIT_S,
};
pub use northbound_model::live_trace::{TraceAnswer, TraceJob, MAX_TRACE_OUTPUT};

use std::collections::BTreeMap;

/// Why a host report was refused; nothing of it was kept.
#[derive(Debug, thiserror::Error)]
pub enum ReportRefused {
    /// The report does not describe a usable bridge (a dpid of 0, a port out of range).
    #[error("{0}")]
    Invalid(String),
    /// It conflicts with another host's report (the same dpid).
    #[error("{0}")]
    Conflict(String),
    /// The report could not be kept.
    #[error("{0}")]
    Failed(String),
}

/// The agent service: what netmaster does with the agents' host reports.
pub trait AgentService: Send + Sync + 'static {
    /// Replaces `host`'s report, or says why not (e.g. its dpid is 0).
    fn report(&self, host: &str, report: HostReport) -> Result<(), ReportRefused>;
    /// The latest report of every host that reported, by host name.
    fn reports(&self) -> BTreeMap<String, HostReport>;
    /// What `host`'s agent should create now (also for a host that never reported).
    fn directives(&self, host: &str) -> HostDirectives;
    /// A receiver of the directives' version, to wait for a change.
    fn directive_changes(&self) -> tokio::sync::watch::Receiver<u64>;
    /// Whether endpoint `key`, plugged in on `host`, is usable; `since` is the snapshot an
    /// earlier answer named (the first one seen that places it).
    fn endpoint_readiness(&self, host: &str, key: &str, since: Option<u64>) -> EndpointReadiness;
    /// The live traces queued for `host`'s agent; each is handed out once.
    fn trace_jobs(&self, host: &str) -> Vec<TraceJob>;
    /// A receiver that changes whenever a live trace is queued, to wait for one.
    fn trace_job_changes(&self) -> tokio::sync::watch::Receiver<u64>;
    /// `host`'s agent's answer to live trace `id`; refused (invalid) when `host` was not
    /// asked for it or it is no longer awaited.
    fn trace_answer(&self, host: &str, id: u64, answer: TraceAnswer) -> Result<(), ReportRefused>;
}
