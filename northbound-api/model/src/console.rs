//! What the web console (`/ui/`) shows: one document of the whole fabric (`GET
//! /ui/api/state`), fetched again whenever the event stream (`GET /ui/api/events`) says it
//! changed.

use crate::audit::SyncState;
use crate::model::Encap;
use crate::oper::MulticastGroupOper;
use serde::{Deserialize, Serialize};

/// The fabric as the console draws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsoleState {
    /// The compiled snapshot shown.
    pub snapshot: u64,
    /// Every host with a switch, in name order.
    pub hosts: Vec<ConsoleHost>,
    /// The links between them.
    pub links: Vec<ConsoleLink>,
    /// Every tenant, with its networks, endpoints and policies.
    pub tenants: Vec<ConsoleTenant>,
    /// Recent events, oldest first.
    pub events: Vec<ConsoleEvent>,
}

/// A host and its switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsoleHost {
    /// Its name.
    pub name: String,
    /// Its switch's datapath id.
    pub dpid: u64,
    /// Its VTEP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vtep: Option<String>,
    /// Where its switch stands against the latest snapshot.
    pub state: SyncState,
    /// Flows the switch should hold.
    pub desired_flows: usize,
    /// Flows it held when last read (absent when it is not connected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flows: Option<usize>,
    /// Drift repairs since it connected.
    pub repairs: u64,
    /// Its endpoints' ports.
    pub endpoints: usize,
    /// Its uplink ports.
    pub uplinks: usize,
    /// Its tunnel ports.
    pub tunnels: usize,
}

/// A link of the fabric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsoleLink {
    /// One end: a host.
    pub a: String,
    /// The other end: a host (a tunnel) or [`PHYSICAL_NETWORK`] (an uplink).
    pub b: String,
    /// What carries it.
    pub kind: LinkKind,
}

/// The name of the physical network's node, the other end of every uplink.
pub const PHYSICAL_NETWORK: &str = "physical network";

/// What carries a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    /// A VXLAN tunnel between two hosts.
    Tunnel,
    /// A host's VLAN uplink into the physical network.
    Uplink,
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsoleTenant {
    /// Its name.
    pub name: String,
    /// Its networks, in name order.
    pub networks: Vec<ConsoleNetwork>,
    /// Its endpoint groups, in name order.
    pub groups: Vec<ConsoleGroup>,
    /// Its policies, in name order.
    pub policies: Vec<ConsolePolicy>,
}

/// An endpoint group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsoleGroup {
    /// Its name.
    pub name: String,
    /// Its network.
    pub network: String,
    /// The policies attached to it.
    pub policies: Vec<String>,
    /// Its QoS profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_profile: Option<String>,
    /// Stateful, denying what no rule allows.
    pub default_deny: bool,
    /// How many endpoints it has.
    pub endpoints: usize,
}

/// A network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsoleNetwork {
    /// Its name.
    pub name: String,
    /// VLAN or VXLAN.
    pub encap: Encap,
    /// Its VLAN or VNI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<u32>,
    /// Its IPv4 subnet.
    pub subnet: String,
    /// Its gateway address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// Its endpoints, in name order.
    pub endpoints: Vec<ConsoleEndpoint>,
    /// Its multicast groups with members.
    pub multicast: Vec<MulticastGroupOper>,
}

/// An endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsoleEndpoint {
    /// Its container name.
    pub name: String,
    /// Its IPv4 address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Its MAC address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// The host it is on (where an agent reported its port).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Its endpoint group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// A policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsolePolicy {
    /// Its name.
    pub name: String,
    /// Its rules, in id order.
    pub rules: Vec<ConsoleRule>,
}

/// A rule and how often its flows were hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsoleRule {
    /// Its id.
    pub id: String,
    /// What it says: `in from web tcp/5432 allow (priority 10)`.
    pub text: String,
    /// Packets that hit its flows on every connected switch.
    pub packets: u64,
    /// Bytes that hit them.
    pub bytes: u64,
}

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsoleEvent {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What kind of thing.
    pub kind: EventKind,
    /// What it happened to: a switch (`host1 0000000000000001`), a request (`POST /api/v1/...`).
    pub subject: String,
    /// What happened.
    pub text: String,
}

/// The kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum EventKind {
    /// A switch connected.
    Connect,
    /// A switch disconnected.
    Disconnect,
    /// A reconciliation read a switch and sent the difference.
    Reconcile,
    /// Drift repaired (a flow deleted or changed by hand put back).
    Repair,
    /// A reconciliation failed.
    Failure,
    /// A request was refused.
    Rejected,
}
