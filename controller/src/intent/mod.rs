//! Intent: the validated object store behind the northbound API.
//!
//! [`Snapshot`] is the read-only view the compiler consumes: every object with its allocated
//! fields filled in (a network's `pkt_tag`, an endpoint's addresses), plus stable numeric ids
//! for networks and endpoints (used in metadata and cookies), which never change while the
//! object exists and are never reused for another object.
//!
//! * [`addr`] parses subnets, ranges and MACs; [`ipam`] allocates addresses, tags and ids.
//! * [`contiv`] refuses the Contiv features netplugin does not have, by name.
//! * [`state`] validates a batch and applies it (all-or-nothing by working on a copy).
//! * [`crate::store`] persists objects and allocator state (redb file, or memory).
//! * [`service`] is [`service::IntentDb`], the `IntentService` the REST API drives.

pub mod addr;
pub mod contiv;
pub mod ipam;
pub mod service;
pub mod state;

use imbl::OrdMap;
use northbound_api::model::{
    Endpoint, EndpointGroup, Global, Host, NetProfile, Network, Policy, Rule, Tenant,
};

/// Everything the compiler needs from intent, keyed as the API keys objects
/// (`tenant:name`, or the plain name for tenants and hosts).
///
/// Its maps are persistent ([`OrdMap`]): a clone shares them, and a write copies only the
/// path to what it changes, so a snapshot per write and per compile costs O(the change), and
/// two snapshots are compared ([`OrdMap::diff`]) without visiting what they share.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// Global settings.
    pub global: Global,
    /// Tenants by name.
    pub tenants: OrdMap<String, Tenant>,
    /// Networks by `tenant:network`; `pkt_tag` is always set.
    pub networks: OrdMap<String, Network>,
    /// Endpoint groups by `tenant:group`.
    pub groups: OrdMap<String, EndpointGroup>,
    /// Endpoints by `tenant:container`; `mac_address` and `ip_address` are always set.
    pub endpoints: OrdMap<String, Endpoint>,
    /// Hosts by name.
    pub hosts: OrdMap<String, Host>,
    /// Policies by `tenant:policy`.
    pub policies: OrdMap<String, Policy>,
    /// Rules by `tenant:policy:ruleId`.
    pub rules: OrdMap<String, Rule>,
    /// QoS profiles by `tenant:profile`.
    pub profiles: OrdMap<String, NetProfile>,
    /// Stable network ids (1..=0xffffff) by network key.
    pub network_ids: OrdMap<String, u32>,
    /// Stable endpoint-group ids (1..=0xffff) by group key.
    pub group_ids: OrdMap<String, u16>,
    /// Stable endpoint ids (1..=2^40-1) by endpoint key.
    pub endpoint_ids: OrdMap<String, u64>,
}
