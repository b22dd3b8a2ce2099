//! Operational state netmaster learned rather than was told (the wire types are
//! [`northbound_model::oper`], [`northbound_model::audit`], [`northbound_model::flows`] and
//! [`northbound_model::trace`], re-exported here), and the [`OperService`] trait netmaster
//! implements to show it.

pub use northbound_model::audit::Audit;
pub use northbound_model::console::ConsoleState;
pub use northbound_model::flows::{SwitchFlows, SwitchSelector};
pub use northbound_model::info::{NetmasterInfo, ReplicaState, VersionInfo};
pub use northbound_model::oper::{
    EndpointGroupOper, EndpointOper, GlobalOper, HostOper, Inspect, MulticastGroupOper,
    MulticastMemberOper, NetworkOper, ObjectOper, PolicyOper, TenantOper,
};
pub use northbound_model::trace::{TraceReport, TraceRequest};

use northbound_model::model::Kind;
use std::future::Future;
use std::pin::Pin;

/// Why netmaster could not show what was asked.
#[derive(Debug, thiserror::Error)]
pub enum OperError {
    /// The request is wrong in itself (a packet that cannot be built, an endpoint without
    /// an address).
    #[error("{0}")]
    Invalid(String),
    /// It names a switch, host, tenant or endpoint that does not exist (or is not placed).
    #[error("{0}")]
    NotFound(String),
    /// The switch did not answer.
    #[error("{0}")]
    Switch(String),
    /// netmaster failed (a bug).
    #[error("{0}")]
    Failed(String),
}

/// What an asynchronous [`OperService`] call returns.
pub type OperFuture<T> = Pin<Box<dyn Future<Output = Result<T, OperError>> + Send + 'static>>;

/// The operational-state service netmaster implements.
pub trait OperService: Send + Sync + 'static {
    /// The operational state of the object of `kind` with `key` (Contiv's inspect `Oper`);
    /// none for an object netmaster has not compiled yet, and for kinds without one (rules,
    /// netprofiles).
    fn inspect(&self, kind: Kind, key: &str) -> Option<ObjectOper>;
    /// The build that answers (`GET /version`).
    fn version(&self) -> VersionInfo;
    /// This netmaster and the agents it hears from (`GET /info`).
    fn info(&self) -> NetmasterInfo;
    /// The sync state of every switch.
    fn audit(&self) -> Audit;
    /// The flows a switch holds now, read from it, each with its owner; only those the
    /// owner filter selects ([`northbound_model::flows::FlowOwner::selected_by`]) when given.
    fn flows(&self, switch: SwitchSelector, owner: Option<String>) -> OperFuture<SwitchFlows>;
    /// Traces a packet through the compiled pipeline of the switches on its way; with
    /// `request.live`, also asks Open vSwitch on each of them.
    fn trace(&self, request: TraceRequest) -> OperFuture<TraceReport>;
    /// The whole fabric, for the web console.
    fn console(&self) -> OperFuture<ConsoleState>;
    /// A receiver whose value changes whenever what the console shows may have changed.
    fn console_changes(&self) -> tokio::sync::watch::Receiver<u64>;
    /// Where writes go: this netmaster, or (a follower replica) the leader.
    fn writes(&self) -> Writes;
    /// Every metric in Prometheus's text format (`GET /metrics`).
    fn metrics(&self) -> String {
        String::new()
    }
    /// Counts an answered API request: its method, its route (the path pattern, e.g.
    /// `/api/v1/{collection}/{key}`) and its status.
    fn record_request(&self, _method: &str, _route: &str, _status: u16) {}
}

/// Where this netmaster sends a write (a request other than GET and HEAD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Writes {
    /// It takes them: a single netmaster, or the leader of the replicas.
    Here,
    /// A follower: the leader at this API URL takes them (answered 307 with `Location`).
    Leader(String),
    /// A follower while no leader is elected (answered 503).
    NoLeader,
}
