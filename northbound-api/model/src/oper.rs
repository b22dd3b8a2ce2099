//! Operational state netmaster derived or learned rather than was told: what Contiv's inspect,
//! `GET /api/v1/inspect/{collection}/{key}/`, shows beside an object's intent — `{"Config":
//! <the object, with its key>, "Oper": <its operational state>}` — with Contiv's field names
//! (`numEndpoints`, `allocatedIPAddresses`, `totalEPGs`, ...), and what netplugin adds (a
//! network's multicast memberships, a host's ports).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The answer of `GET /api/v1/inspect/{collection}/{key}/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Inspect {
    /// The object's intent, as `GET /api/v1/{collection}/{key}/` answers it (with its `key`).
    #[serde(rename = "Config")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub config: Value,
    /// What netmaster derived from it and observed (none for rules and netprofiles, as in
    /// Contiv).
    #[serde(rename = "Oper", default, skip_serializing_if = "Option::is_none")]
    pub oper: Option<ObjectOper>,
}

/// The operational state of one object, of its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ObjectOper {
    /// A tenant's.
    Tenant(TenantOper),
    /// A network's.
    Network(NetworkOper),
    /// An endpoint group's.
    EndpointGroup(EndpointGroupOper),
    /// A policy's.
    Policy(PolicyOper),
    /// An endpoint's.
    Endpoint(EndpointOper),
    /// A host's.
    Host(HostOper),
    /// The global settings'.
    Global(GlobalOper),
}

/// A tenant's objects, counted and listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantOper {
    /// Its networks.
    pub total_networks: usize,
    /// Its endpoint groups.
    #[serde(rename = "totalEPGs")]
    pub total_epgs: usize,
    /// Its endpoints.
    pub total_endpoints: usize,
    /// Its policies.
    pub total_policies: usize,
    /// Its netprofiles.
    pub total_netprofiles: usize,
    /// Its networks' state, in key order.
    pub networks: Vec<NetworkOper>,
    /// Its endpoint groups' state, in key order.
    pub endpoint_groups: Vec<EndpointGroupOper>,
}

/// What netmaster allocated and observed on one network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkOper {
    /// The network's key (`tenant:network`).
    pub network: String,
    /// Its VLAN id or VNI.
    pub pkt_tag: u32,
    /// Contiv's network tag (the network's `cfgdTag`, else its key).
    pub network_tag: String,
    /// Its endpoints.
    pub num_endpoints: usize,
    /// IPv4 addresses handed to its endpoints.
    pub allocated_addresses_count: usize,
    /// Those addresses, as ranges (`11.1.0.1-11.1.0.3, 11.1.0.7`).
    #[serde(rename = "allocatedIPAddresses")]
    pub allocated_ip_addresses: String,
    /// The addresses its pool still has (the gateway and the allocated left out), as ranges.
    #[serde(rename = "availableIPAddresses")]
    pub available_ip_addresses: String,
    /// Its endpoints, in key order.
    pub endpoints: Vec<EndpointOper>,
    /// Its IPv4 multicast groups with members (IGMP snooping), in address order.
    pub multicast_groups: Vec<MulticastGroupOper>,
}

/// An endpoint group's endpoints and addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointGroupOper {
    /// The group's key (`tenant:group`).
    pub group: String,
    /// The group's id in the pipeline (the class its endpoints' packets carry).
    pub pkt_tag: u64,
    /// Contiv's group tag (the group's `cfgdTag`, else its key).
    pub group_tag: String,
    /// Its endpoints.
    pub num_endpoints: usize,
    /// IPv4 addresses of its endpoints, as ranges.
    #[serde(rename = "allocatedIPAddresses")]
    pub allocated_ip_addresses: String,
    /// What its pool (its `ipPool`, else its network's) still has, as ranges.
    #[serde(rename = "availableIPAddresses")]
    pub available_ip_addresses: String,
    /// Its endpoints, in key order.
    pub endpoints: Vec<EndpointOper>,
}

/// The endpoints a policy applies to (those of the groups that name it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyOper {
    /// Their number.
    pub num_endpoints: usize,
    /// The groups that name the policy, in key order.
    pub endpoint_groups: Vec<String>,
    /// The endpoints, in key order.
    pub endpoints: Vec<EndpointOper>,
}

/// Where an endpoint is and what it has, in Contiv's names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointOper {
    /// The endpoint's key (`tenant:container`).
    pub key: String,
    /// Contiv's endpoint id: the key.
    #[serde(rename = "endpointID")]
    pub endpoint_id: String,
    /// The container's name.
    pub container_name: String,
    /// Its network's key.
    pub network: String,
    /// Its group's key, if it has one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint_group_key: String,
    /// Its IPv4 address, then its IPv6 address if it has one.
    pub ip_address: Vec<String>,
    /// Its MAC address.
    pub mac_address: String,
    /// The host its port is on (empty while not plugged in).
    pub homing_host: String,
    /// Its OpenFlow port on the host's bridge (none while not plugged in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ofport: Option<u32>,
    /// The host's VTEP address, if it has one.
    #[serde(rename = "vtepIP", default, skip_serializing_if = "String::is_empty")]
    pub vtep_ip: String,
}

/// A host: its agent, its switch and the endpoints plugged into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostOper {
    /// Whether its agent has reported.
    pub reporting: bool,
    /// Its switch's datapath id (as the agent reported it), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpid: Option<u64>,
    /// Its VTEP address as the agent reported it.
    #[serde(rename = "vtepIP", default, skip_serializing_if = "String::is_empty")]
    pub vtep_ip: String,
    /// The endpoints plugged into its switch.
    pub num_endpoints: usize,
    /// Those endpoints, in key order.
    pub endpoints: Vec<EndpointOper>,
}

/// The fabric as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GlobalOper {
    /// Networks in every tenant.
    pub num_networks: usize,
    /// VLAN ids in use, as ranges.
    pub vlans_in_use: String,
    /// VNIs in use, as ranges.
    pub vxlans_in_use: String,
    /// The lowest VNI of the global range that is free (0 when none is).
    #[serde(rename = "freeVXLANsStart")]
    pub free_vxlans_start: u32,
    /// Hosts whose agent reports.
    pub num_hosts: usize,
}

/// One multicast group of a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MulticastGroupOper {
    /// The group address.
    pub group: String,
    /// Its members, in endpoint-key order.
    pub members: Vec<MulticastMemberOper>,
}

/// One member of a multicast group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MulticastMemberOper {
    /// The endpoint's key (`tenant:container`).
    pub endpoint: String,
    /// The host it is on.
    pub host: String,
    /// Milliseconds until the membership ends unless a report renews it.
    pub expires_in_ms: u64,
}
