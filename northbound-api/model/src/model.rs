//! The intent object model, with Contiv's JSON field names (camelCase) and keys
//! (`tenant:name`).
//!
//! Fields the controller allocates (a network's `pktTag`, an endpoint's `ipAddress` and
//! `macAddress`) may be left out when creating an object; reading it back shows the allocated
//! values.

use crate::addr::{
    IdRanges, Ipv4Addr, Ipv4Range, Ipv4Selector, Ipv4Subnet, Ipv6Addr, Ipv6Subnet, MacAddr,
};
use serde::{Deserialize, Serialize};

/// Forwarding mode of the fabric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FwdMode {
    /// Layer-2 bridging only.
    #[default]
    Bridge,
    /// Gateways route between the networks of a tenant.
    Routing,
}

/// How ARP requests are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ArpMode {
    /// ARP for known endpoints is answered locally, never flooded to other hosts.
    #[default]
    Proxy,
    /// ARP is flooded like other broadcasts.
    Flood,
    /// A request for a known endpoint is sent to that endpoint only (its destination MAC
    /// rewritten to the endpoint's), which answers it itself: never flooded, never seen by
    /// another tenant, and forwarded by the datapath without an upcall (proxy mode's in-place
    /// reply needs ovs-vswitchd's slow path for every request).
    Directed,
}

/// Encapsulation of a network between hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Encap {
    /// 802.1Q VLAN tag on uplinks.
    Vlan,
    /// VXLAN tunnels between VTEPs.
    #[default]
    Vxlan,
}

/// Fabric-wide settings (key `global`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Global {
    /// Always `global`.
    #[serde(default = "global_name")]
    pub name: String,
    /// VLAN ids the controller may allocate, e.g. `1-4094` or `100-200,300`.
    #[serde(default = "default_vlans")]
    pub vlans: IdRanges,
    /// VXLAN network ids the controller may allocate, e.g. `1-10000`.
    #[serde(default = "default_vxlans")]
    pub vxlans: IdRanges,
    /// Forwarding mode.
    #[serde(default)]
    pub fwd_mode: FwdMode,
    /// ARP mode.
    #[serde(default)]
    pub arp_mode: ArpMode,
    /// VXLAN UDP port.
    #[serde(default = "default_vxlan_port")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 65535))]
    pub vxlan_port: u16,
    /// MTU of the underlay; container interfaces get this minus the encapsulation overhead.
    #[serde(default = "default_mtu")]
    #[cfg_attr(feature = "openapi", schema(minimum = 576, maximum = 9216))]
    pub mtu: u16,
    /// Contiv's infrastructure type: only `default` (netplugin's own fabric); Contiv's `aci`
    /// and `aci-opflex` are not supported.
    #[serde(default)]
    pub network_infra_type: NetworkInfraType,
    /// Contiv's private subnet for host access to containers in routing mode (`a.b.c.d/16`):
    /// kept and shown; netplugin gives hosts no interface on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pvt_subnet: Option<Ipv4Subnet>,
    /// The address (link-local, `169.254.0.0/16`) at which every network answers DNS for the
    /// names of its tenant's endpoints: `container` and `container.network`. Containers
    /// reach it through their first interface; give it to the runtime as the name server
    /// (`docker run --dns`, the CNI result's `dns`). Absent: no DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Ipv4, example = "169.254.0.53"))]
    pub dns_address: Option<Ipv4Addr>,
}

/// Contiv's `networkInfraType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NetworkInfraType {
    /// netplugin's own fabric.
    #[default]
    #[serde(rename = "default")]
    Default,
    /// Cisco ACI (not supported: refused).
    #[serde(rename = "aci")]
    Aci,
    /// Cisco ACI with OpFlex (not supported: refused).
    #[serde(rename = "aci-opflex")]
    AciOpflex,
}

/// Contiv's `nwType` of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum NetworkType {
    /// A network of containers.
    #[default]
    Data,
    /// Contiv's infrastructure network, where the hosts themselves have an interface (not
    /// supported: refused).
    Infra,
}

fn global_name() -> String {
    "global".into()
}
fn default_vlans() -> IdRanges {
    "1-4094".parse().expect("a valid range")
}
fn default_vxlans() -> IdRanges {
    "1-10000".parse().expect("a valid range")
}
fn default_vxlan_port() -> u16 {
    4789
}
fn default_mtu() -> u16 {
    1500
}

impl Default for Global {
    fn default() -> Self {
        Global {
            name: global_name(),
            vlans: default_vlans(),
            vxlans: default_vxlans(),
            fwd_mode: FwdMode::default(),
            arp_mode: ArpMode::default(),
            vxlan_port: default_vxlan_port(),
            mtu: default_mtu(),
            network_infra_type: NetworkInfraType::Default,
            pvt_subnet: None,
            dns_address: None,
        }
    }
}

/// Contiv's tenant that always exists (netmaster creates it at start, and a desired-state
/// replace keeps it): objects created without naming a tenant are its.
pub const DEFAULT_TENANT: &str = "default";

/// A tenant: a separate address space (key: its name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tenant {
    /// Name.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub tenant_name: String,
    /// The network the tenant's containers join when none is named (Contiv's
    /// `defaultNetwork`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub default_network: Option<String>,
    /// The VLAN ids the tenant's VLAN networks get their tags from, instead of the global
    /// `vlans` (the original intent files' per-tenant `Vlans`). Tags stay unique across the
    /// fabric: two tenants' ranges may overlap, their networks never share a tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlans: Option<IdRanges>,
    /// The VNIs the tenant's VXLAN networks get their tags from, instead of the global
    /// `vxlans` (per-tenant `Vxlans`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vxlans: Option<IdRanges>,
    /// The pool the subnets of the tenant's networks are carved from when an intent file gives
    /// none (the original's per-tenant `SubnetPool`; `netctl -add-cfg` carves from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_pool: Option<Ipv4Subnet>,
    /// The prefix length of those subnets (the original's `AllocSubnetLen`; 24 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 30))]
    pub alloc_subnet_len: Option<u8>,
}

impl Tenant {
    /// A tenant with only its name: no default network, its tags from the global ranges.
    pub fn named(name: impl Into<String>) -> Tenant {
        Tenant {
            tenant_name: name.into(),
            default_network: None,
            vlans: None,
            vxlans: None,
            subnet_pool: None,
            alloc_subnet_len: None,
        }
    }
}

/// A network of a tenant (key `tenant:network`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Network {
    /// Owning tenant.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub tenant_name: String,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub network_name: String,
    /// Contiv's network type: `data` (the only one supported).
    #[serde(default)]
    pub nw_type: NetworkType,
    /// Encapsulation.
    #[serde(default)]
    pub encap: Encap,
    /// VLAN id or VNI; allocated from the global ranges when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 16777215))]
    pub pkt_tag: Option<u32>,
    /// IPv4 subnet, `a.b.c.d/len`, or `a.b.c.d-a.b.c.e/len` to allocate only from that range.
    pub subnet: Ipv4Subnet,
    /// IPv4 gateway (inside the subnet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Ipv4))]
    pub gateway: Option<Ipv4Addr>,
    /// IPv6 subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_subnet: Option<Ipv6Subnet>,
    /// IPv6 gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Ipv6))]
    pub ipv6_gateway: Option<Ipv6Addr>,
    /// IPv4 multicast: IGMP snooping settings.
    #[serde(default, skip_serializing_if = "MulticastConfig::is_default")]
    pub multicast: MulticastConfig,
    /// Contiv's configured tag: the network's name in an orchestrator (kept and shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub cfgd_tag: Option<String>,
}

impl Network {
    /// VXLAN network `tenant:name` on `subnet`: VNI allocated, no gateway, no IPv6, default
    /// multicast settings.
    pub fn vxlan(
        tenant: impl Into<String>,
        name: impl Into<String>,
        subnet: Ipv4Subnet,
    ) -> Network {
        Network {
            tenant_name: tenant.into(),
            network_name: name.into(),
            nw_type: NetworkType::default(),
            encap: Encap::Vxlan,
            pkt_tag: None,
            subnet,
            gateway: None,
            ipv6_subnet: None,
            ipv6_gateway: None,
            multicast: MulticastConfig::default(),
            cfgd_tag: None,
        }
    }
}

/// What a network does with IPv4 multicast. IGMP snooping is always on: a group with members
/// goes to its members only (across hosts by head-end replication).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MulticastConfig {
    /// netmaster sends IGMP general queries to the network's endpoints every
    /// `queryIntervalS`, so that memberships are refreshed (and expire when no longer
    /// reported). Without it, memberships learned from unsolicited reports expire after the
    /// group membership interval (2 × `queryIntervalS` + 10 s).
    #[serde(default, skip_serializing_if = "is_false")]
    pub querier: bool,
    /// IGMP query interval in seconds (1..=3600).
    #[serde(default = "default_query_interval_s")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3600))]
    pub query_interval_s: u32,
    /// What happens to IPv4 multicast to a group without members (224.0.0.0/24, the
    /// link-local control block, is always flooded).
    #[serde(default)]
    pub unregistered: Unregistered,
}

fn default_query_interval_s() -> u32 {
    125
}

impl Default for MulticastConfig {
    fn default() -> Self {
        MulticastConfig {
            querier: false,
            query_interval_s: default_query_interval_s(),
            unregistered: Unregistered::default(),
        }
    }
}

impl MulticastConfig {
    /// Whether these are the default settings (left out of the JSON).
    pub fn is_default(&self) -> bool {
        *self == MulticastConfig::default()
    }
}

/// The treatment of multicast to a group nobody joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Unregistered {
    /// To every endpoint of the network, like broadcast.
    #[default]
    Flood,
    /// Nowhere.
    Drop,
}

/// An endpoint group (key `tenant:group`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointGroup {
    /// Owning tenant.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub tenant_name: String,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub group_name: String,
    /// The network its endpoints are on.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub network_name: String,
    /// Sub-range of the network's subnet for its endpoints, `a.b.c.d-a.b.c.e`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_pool: Option<Ipv4Range>,
    /// Attached policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::openapi::Name>))]
    pub policies: Vec<String>,
    /// Attached QoS profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub net_profile: Option<String>,
    /// Stateful default-deny: new connections into the group's endpoints are dropped unless a
    /// rule allows them, and replies to connections they opened are let in (connection
    /// tracking). Without it, Contiv's stateless default-allow.
    #[serde(default, skip_serializing_if = "is_false")]
    pub default_deny: bool,
    /// Contiv's configured tag: the group's name in an orchestrator (kept and shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub cfgd_tag: Option<String>,
    /// Contiv's external contracts groups (ACI): only the empty list is accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::openapi::Name>, max_items = 0))]
    pub ext_contracts_grps: Vec<String>,
}

/// An endpoint: a container (or other workload) interface. Its key is `tenant:container` for
/// the container's first interface (`interface` absent or `eth0`), and
/// `tenant:container:interface` for another one: a container on several networks has one
/// endpoint per network (`eth0`, `eth1`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoint {
    /// Owning tenant.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub tenant_name: String,
    /// Network (or the group's network).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub network_name: String,
    /// Endpoint group, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub group_name: Option<String>,
    /// Container name.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub container_name: String,
    /// Host the container runs on (may be bound later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub host: Option<String>,
    /// Interface name inside the container (`eth0` when absent); a container's interfaces
    /// other than `eth0` are endpoints of their own (see the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    /// The runtime container (its name or id) whose network namespace the endpoint goes into,
    /// when it is not the one `containerName` names: a pod's infra container, say. Contiv's
    /// `AttachUUID`. The agent's Docker watcher plumbs the endpoint when that container starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub attach_uuid: Option<String>,
    /// The runtime sandbox (CNI's container id) that created the endpoint on demand: the
    /// CNI DEL of that sandbox deletes it. Endpoints declared in intent have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub sandbox: Option<String>,
    /// MAC address; allocated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2}){5}$", example = "02:02:0a:01:01:02"))]
    pub mac_address: Option<MacAddr>,
    /// IPv4 address; allocated from the network (or group pool) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Ipv4))]
    pub ip_address: Option<Ipv4Addr>,
    /// IPv6 address; allocated when the network has an IPv6 subnet and this is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Ipv6))]
    pub ipv6_address: Option<Ipv6Addr>,
    /// A workload outside the cluster (a VM or bare-metal server) on a VLAN network, reached
    /// through the hosts' uplinks: it has no host and no port, and needs its real
    /// `macAddress` (the switches answer ARP for it and send its frames straight to the uplink).
    #[serde(default, skip_serializing_if = "is_false")]
    pub external: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A container's first interface, the one an endpoint without `interface` is.
pub const DEFAULT_IFNAME: &str = "eth0";

impl Endpoint {
    /// Endpoint `tenant:container` on `network`: no group, host, interface, runtime
    /// container or sandbox; its addresses allocated by netmaster.
    pub fn named(
        tenant: impl Into<String>,
        network: impl Into<String>,
        container: impl Into<String>,
    ) -> Endpoint {
        Endpoint {
            tenant_name: tenant.into(),
            network_name: network.into(),
            group_name: None,
            container_name: container.into(),
            host: None,
            interface: None,
            attach_uuid: None,
            sandbox: None,
            mac_address: None,
            ip_address: None,
            ipv6_address: None,
            external: false,
        }
    }

    /// The interface inside the container.
    pub fn ifname(&self) -> &str {
        self.interface.as_deref().unwrap_or(DEFAULT_IFNAME)
    }

    /// The endpoint's key: `tenant:container`, or `tenant:container:interface` for an
    /// interface other than [`DEFAULT_IFNAME`].
    pub fn key(&self) -> String {
        endpoint_key(&self.tenant_name, &self.container_name, self.ifname())
    }
}

/// The key of `container`'s endpoint of `tenant` on its interface `ifname`.
pub fn endpoint_key(tenant: &str, container: &str, ifname: &str) -> String {
    if ifname == DEFAULT_IFNAME {
        format!("{tenant}:{container}")
    } else {
        format!("{tenant}:{container}:{ifname}")
    }
}

/// A host running the agent (key: its name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Host {
    /// Name (`--host-label` of the agent).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub name: String,
    /// VTEP (underlay) IPv4 address for VXLAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Ipv4))]
    pub vtep_ip: Option<Ipv4Addr>,
    /// Uplink interfaces for VLAN networks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uplinks: Vec<String>,
    /// Datapath id of the host's integration bridge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpid: Option<u64>,
}

/// A policy of a tenant (key `tenant:policy`): a set of [`Rule`]s, applied to the endpoint
/// groups that name it in their `policies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Owning tenant.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub tenant_name: String,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub policy_name: String,
}

/// Which traffic of a group a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Traffic into the group's endpoints (`from*` fields select the senders).
    #[default]
    In,
    /// Traffic out of the group's endpoints (`to*` fields select the receivers).
    Out,
}

/// What a rule does with the traffic it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RuleAction {
    /// Let it through.
    #[default]
    Allow,
    /// Drop it.
    Deny,
}

/// A rule of a policy (key `tenant:policy:ruleId`), Contiv's semantics: the highest-priority
/// rule that matches decides; traffic no rule matches is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// Owning tenant.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub tenant_name: String,
    /// The policy it belongs to.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub policy_name: String,
    /// Its id within the policy.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub rule_id: String,
    /// In or out of the group the policy is attached to.
    #[serde(default)]
    pub direction: Direction,
    /// 1..=100, higher wins (deny wins a tie).
    #[serde(default = "default_priority")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub priority: u8,
    /// Senders (direction in): an endpoint group of the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub from_endpoint_group: Option<String>,
    /// Receivers (direction out): an endpoint group of the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub to_endpoint_group: Option<String>,
    /// Senders (direction in): a network of the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub from_network: Option<String>,
    /// Receivers (direction out): a network of the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub to_network: Option<String>,
    /// Senders (direction in): an IPv4 address, prefix `a.b.c.d/len` or range `a.b.c.d-a.b.c.e`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ip_address: Option<Ipv4Selector>,
    /// Receivers (direction out): an IPv4 address, prefix or range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ip_address: Option<Ipv4Selector>,
    /// `tcp`, `udp`, `icmp` or an IP protocol number; any when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// TCP or UDP destination port; any when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "openapi", schema(maximum = 65535))]
    pub port: u16,
    /// Allow or deny.
    #[serde(default)]
    pub action: RuleAction,
}

fn default_priority() -> u8 {
    1
}

fn is_zero(p: &u16) -> bool {
    *p == 0
}

/// A QoS profile of a tenant (key `tenant:profile`), applied to the endpoints of the groups
/// that name it in their `netProfile`: a rate limit on what they send, and optionally a DSCP
/// mark on their IPv4 packets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetProfile {
    /// Owning tenant.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub tenant_name: String,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub profile_name: String,
    /// Rate limit such as `10Mbps`, `500Kbps`, `1Gbps` (none when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<String>,
    /// Burst in kilobits (default: half a second at the rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 4294967295u32))]
    pub burst: Option<u32>,
    /// DSCP (0..=63) set on the group's IPv4 packets (Contiv's spelling, `DSCP`; `dscp` is
    /// accepted too).
    #[serde(
        rename = "DSCP",
        alias = "dscp",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(maximum = 63))]
    pub dscp: Option<u8>,
}

/// The kinds of object, with their REST collection names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// `globals`.
    Global,
    /// `tenants`.
    Tenant,
    /// `networks`.
    Network,
    /// `endpointGroups`.
    EndpointGroup,
    /// `endpoints`.
    Endpoint,
    /// `hosts`.
    Host,
    /// `policys` (Contiv's spelling).
    Policy,
    /// `rules`.
    Rule,
    /// `netprofiles`.
    NetProfile,
}

impl Kind {
    /// Every kind, parents before children.
    pub const ALL: [Kind; 9] = [
        Kind::Global,
        Kind::Tenant,
        Kind::Host,
        Kind::Network,
        Kind::Policy,
        Kind::NetProfile,
        Kind::EndpointGroup,
        Kind::Endpoint,
        Kind::Rule,
    ];

    /// The REST collection (`/api/v1/<collection>/`).
    pub fn collection(self) -> &'static str {
        match self {
            Kind::Global => "globals",
            Kind::Tenant => "tenants",
            Kind::Network => "networks",
            Kind::EndpointGroup => "endpointGroups",
            Kind::Endpoint => "endpoints",
            Kind::Host => "hosts",
            Kind::Policy => "policys",
            Kind::Rule => "rules",
            Kind::NetProfile => "netprofiles",
        }
    }

    /// The tenant an object of this kind with `key` belongs to: the key itself for a tenant,
    /// the part before the first `:` for a tenant's objects, none for globals and hosts.
    pub fn tenant_in_key(self, key: &str) -> Option<&str> {
        match self {
            Kind::Global | Kind::Host => None,
            Kind::Tenant => Some(key),
            _ => Some(key.split_once(':').map_or(key, |(t, _)| t)),
        }
    }

    /// The kind of a REST collection name.
    pub fn from_collection(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.collection() == s)
    }
}

/// [`Object`] under a name utoipa does not read as "any JSON object" (it does so with every
/// type named `Object`): the type to name in OpenAPI annotations.
#[cfg(feature = "openapi")]
pub type IntentObject = Object;

/// Any intent object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "kind",
    content = "spec",
    rename_all = "camelCase",
    deny_unknown_fields
)]
pub enum Object {
    /// Global settings.
    Global(Global),
    /// A tenant.
    Tenant(Tenant),
    /// A network.
    Network(Network),
    /// An endpoint group.
    EndpointGroup(EndpointGroup),
    /// An endpoint.
    Endpoint(Endpoint),
    /// A host.
    Host(Host),
    /// A policy.
    Policy(Policy),
    /// A rule of a policy.
    Rule(Rule),
    /// A QoS profile.
    NetProfile(NetProfile),
}

impl Object {
    /// The object's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Object::Global(_) => Kind::Global,
            Object::Tenant(_) => Kind::Tenant,
            Object::Network(_) => Kind::Network,
            Object::EndpointGroup(_) => Kind::EndpointGroup,
            Object::Endpoint(_) => Kind::Endpoint,
            Object::Host(_) => Kind::Host,
            Object::Policy(_) => Kind::Policy,
            Object::Rule(_) => Kind::Rule,
            Object::NetProfile(_) => Kind::NetProfile,
        }
    }

    /// The object's key: `global`, a tenant or host name, or `tenant:name`.
    pub fn key(&self) -> String {
        match self {
            Object::Global(g) => g.name.clone(),
            Object::Tenant(t) => t.tenant_name.clone(),
            Object::Network(n) => format!("{}:{}", n.tenant_name, n.network_name),
            Object::EndpointGroup(g) => format!("{}:{}", g.tenant_name, g.group_name),
            Object::Endpoint(e) => e.key(),
            Object::Host(h) => h.name.clone(),
            Object::Policy(p) => format!("{}:{}", p.tenant_name, p.policy_name),
            Object::Rule(r) => format!("{}:{}:{}", r.tenant_name, r.policy_name, r.rule_id),
            Object::NetProfile(p) => format!("{}:{}", p.tenant_name, p.profile_name),
        }
    }
}
