//! `netctl <object> ls|inspect|create|rm`: the intent objects, one kind at a time, with
//! Contiv netctl's flags (its short ones included) beside netctl's own long ones.

use super::list::{list, ListArgs};
use super::CliResult;
use crate::addr::{Ipv4Addr, Ipv4Range, Ipv4Selector, Ipv4Subnet, Ipv6Addr, Ipv6Subnet, MacAddr};
use crate::client::Client;
use crate::model::{
    Direction, Encap, Endpoint, EndpointGroup, Host, Kind, MulticastConfig, NetProfile, Network,
    NetworkType, Object, Policy, Rule, RuleAction, Tenant, Unregistered, DEFAULT_TENANT,
};
use clap::{Args, Subcommand};

/// What to do with objects of one kind.
#[derive(Subcommand)]
pub(super) enum Verb<C: Args> {
    /// List them: a tenant's (`-t`, default `default`) or all (`-a`), as a table, JSON (`-j`)
    /// or names (`-q`).
    #[command(visible_alias = "list")]
    Ls(ListArgs),
    /// Show one, as JSON: its intent (`Config`) and its operational state (`Oper`).
    Inspect(KeyArgs),
    /// Create (or replace) one.
    Create(C),
    /// Delete one.
    #[command(visible_alias = "delete")]
    Rm(KeyArgs),
}

/// An object's key.
#[derive(Args)]
pub(super) struct KeyArgs {
    /// Key: a name, or `tenant:name` for tenant objects.
    key: String,
    /// Tenant of a key given without `tenant:`.
    #[arg(short, long, default_value = DEFAULT_TENANT)]
    tenant: String,
}

impl KeyArgs {
    /// The key of the object of `kind` named on the command line.
    pub(super) fn key(&self, kind: Kind) -> String {
        let depth = match kind {
            Kind::Global | Kind::Tenant | Kind::Host => 0,
            Kind::Rule => 2,
            _ => 1,
        };
        if self.key.matches(':').count() < depth {
            format!("{}:{}", self.tenant, self.key)
        } else {
            self.key.clone()
        }
    }
}

/// A tenant.
#[derive(Args)]
pub(super) struct TenantArgs {
    /// Name.
    name: String,
    /// The network its containers join when none is named.
    #[arg(long)]
    default_network: Option<String>,
}

/// A network.
#[derive(Args)]
pub(super) struct NetworkArgs {
    /// Name.
    name: String,
    /// Tenant.
    #[arg(short, long, default_value = DEFAULT_TENANT)]
    tenant: String,
    /// Network type: data (Contiv's infra is not supported).
    #[arg(short, long = "nw-type", default_value = "data", value_parser = parse_network_type)]
    nw_type: NetworkType,
    /// Encapsulation: vlan or vxlan.
    #[arg(short, long, default_value = "vxlan", value_parser = parse_encap)]
    encap: Encap,
    /// VLAN id or VNI (allocated when absent).
    #[arg(short, long)]
    pkt_tag: Option<u32>,
    /// IPv4 subnet, a.b.c.d/len (or a.b.c.d-a.b.c.e/len to allocate from that range).
    #[arg(short, long)]
    subnet: Ipv4Subnet,
    /// IPv4 gateway.
    #[arg(short, long)]
    gateway: Option<Ipv4Addr>,
    /// IPv6 subnet.
    #[arg(long, visible_aliases = ["subnetv6", "s6"])]
    ipv6_subnet: Option<Ipv6Subnet>,
    /// IPv6 gateway.
    #[arg(long, visible_aliases = ["gatewayv6", "g6"])]
    ipv6_gateway: Option<Ipv6Addr>,
    /// Contiv's configured tag: the network's name in an orchestrator.
    #[arg(long = "nw-tag", visible_alias = "tag")]
    cfgd_tag: Option<String>,
    /// netmaster sends IGMP general queries to the network's endpoints.
    #[arg(long)]
    igmp_querier: bool,
    /// IGMP query interval in seconds.
    #[arg(long, default_value_t = 125)]
    igmp_query_interval: u32,
    /// Multicast to a group without members: flood or drop.
    #[arg(long, default_value = "flood", value_parser = parse_unregistered)]
    unregistered_multicast: Unregistered,
}

/// A value of one of the model's enums, by its JSON name.
pub(super) fn by_json_name<T: serde::de::DeserializeOwned>(
    s: &str,
    expected: &str,
) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("`{s}` is not {expected}"))
}

fn parse_unregistered(s: &str) -> Result<Unregistered, String> {
    by_json_name(s, "flood or drop")
}

fn parse_encap(s: &str) -> Result<Encap, String> {
    by_json_name(s, "vlan or vxlan")
}

fn parse_network_type(s: &str) -> Result<NetworkType, String> {
    by_json_name(s, "data or infra")
}

/// An endpoint group: `group create [NETWORK] GROUP` as Contiv's netctl takes it, or
/// `group create GROUP --network NETWORK`.
#[derive(Args)]
pub(super) struct GroupArgs {
    /// `NETWORK GROUP`, or `GROUP` with `--network`.
    #[arg(num_args = 1..=2, required = true, value_names = ["NETWORK", "GROUP"])]
    names: Vec<String>,
    /// Tenant.
    #[arg(short, long, default_value = DEFAULT_TENANT)]
    tenant: String,
    /// Network of its endpoints (when only the group is named).
    #[arg(long)]
    network: Option<String>,
    /// Address range for its endpoints, a.b.c.d-a.b.c.e.
    #[arg(short = 'r', long)]
    ip_pool: Option<Ipv4Range>,
    /// Attached policy (repeatable).
    #[arg(short, long)]
    policy: Vec<String>,
    /// Attached QoS profile.
    #[arg(short = 'n', long = "networkprofile", visible_alias = "net-profile")]
    net_profile: Option<String>,
    /// Contiv's external contracts (ACI; not supported: refused by netmaster).
    #[arg(short = 'e', long = "external-contract")]
    external_contracts: Vec<String>,
    /// Contiv's configured tag: the group's name in an orchestrator.
    #[arg(long = "epg-tag", visible_alias = "tag")]
    cfgd_tag: Option<String>,
    /// Stateful default-deny: only what a rule allows comes in, plus replies.
    #[arg(long)]
    default_deny: bool,
}

/// An endpoint.
#[derive(Args)]
pub(super) struct EndpointArgs {
    /// Container name.
    container: String,
    /// Tenant.
    #[arg(short, long, default_value = DEFAULT_TENANT)]
    tenant: String,
    /// Network.
    #[arg(short, long)]
    network: String,
    /// Endpoint group.
    #[arg(short, long)]
    group: Option<String>,
    /// Host the container runs on.
    #[arg(long)]
    host: Option<String>,
    /// Interface name in the container.
    #[arg(long)]
    interface: Option<String>,
    /// MAC address (allocated when absent).
    #[arg(long)]
    mac: Option<MacAddr>,
    /// IPv4 address (allocated when absent).
    #[arg(long)]
    ip: Option<Ipv4Addr>,
    /// IPv6 address.
    #[arg(long)]
    ipv6: Option<Ipv6Addr>,
    /// A VM or server outside the cluster, behind the uplinks (VLAN networks; needs `--mac`).
    #[arg(long)]
    external: bool,
}

/// A host.
#[derive(Args)]
pub(super) struct HostArgs {
    /// Name (the agent's host label).
    name: String,
    /// VTEP address.
    #[arg(long)]
    vtep_ip: Option<Ipv4Addr>,
    /// Uplink interface (repeatable).
    #[arg(short, long)]
    uplink: Vec<String>,
    /// Datapath id of the integration bridge.
    #[arg(long)]
    dpid: Option<u64>,
}

/// A policy.
#[derive(Args)]
pub(super) struct PolicyArgs {
    /// Name.
    name: String,
    /// Tenant.
    #[arg(short, long, default_value = DEFAULT_TENANT)]
    tenant: String,
}

/// A QoS profile.
#[derive(Args)]
pub(super) struct NetProfileArgs {
    /// Name.
    name: String,
    /// Tenant.
    #[arg(short, long, default_value = DEFAULT_TENANT)]
    tenant: String,
    /// Rate limit, e.g. 10Mbps.
    #[arg(short, long)]
    bandwidth: Option<String>,
    /// Burst in kilobits.
    #[arg(short = 's', long)]
    burst: Option<u32>,
    /// DSCP to set (0..=63).
    #[arg(short, long)]
    dscp: Option<u8>,
}

/// A rule of a policy (`rule create` and Contiv's `policy rule-add POLICY RULE-ID`).
#[derive(Args)]
pub(super) struct RuleArgs {
    /// The policy.
    policy: String,
    /// The rule's id within the policy.
    rule_id: String,
    /// Tenant.
    #[arg(short, long, default_value = DEFAULT_TENANT)]
    tenant: String,
    /// in (to the group's endpoints) or out (from them).
    #[arg(short, long, default_value = "in", value_parser = parse_direction)]
    direction: Direction,
    /// 1..=100, higher wins.
    #[arg(short, long, default_value_t = 1)]
    priority: u8,
    /// Senders' endpoint group (in).
    #[arg(short = 'g', long)]
    from_group: Option<String>,
    /// Receivers' endpoint group (out).
    #[arg(short = 'e', long)]
    to_group: Option<String>,
    /// Senders' network (in).
    #[arg(short = 'n', long)]
    from_network: Option<String>,
    /// Receivers' network (out).
    #[arg(short = 'o', long)]
    to_network: Option<String>,
    /// Senders' IPv4 address, prefix or range (in).
    #[arg(short = 'i', long, visible_alias = "from-ip-address")]
    from_ip: Option<Ipv4Selector>,
    /// Receivers' IPv4 address, prefix or range (out).
    #[arg(short = 's', long, visible_alias = "to-ip-address")]
    to_ip: Option<Ipv4Selector>,
    /// tcp, udp, icmp or a protocol number.
    #[arg(short = 'l', long)]
    protocol: Option<String>,
    /// TCP/UDP destination port.
    #[arg(short = 'P', long, default_value_t = 0)]
    port: u16,
    /// allow or deny.
    #[arg(short = 'j', long, short_alias = 'a', default_value = "allow", value_parser = parse_action)]
    action: RuleAction,
}

fn parse_direction(s: &str) -> Result<Direction, String> {
    by_json_name(s, "in or out")
}

fn parse_action(s: &str) -> Result<RuleAction, String> {
    by_json_name(s, "allow or deny")
}

/// Builds the object a `create` describes.
pub(super) trait Create: Args {
    /// The kind of object it creates.
    const KIND: Kind;
    /// The object, or why the command line does not describe one.
    fn object(self) -> CliResult<Object>;
}

impl Create for TenantArgs {
    const KIND: Kind = Kind::Tenant;
    fn object(self) -> CliResult<Object> {
        Ok(Object::Tenant(Tenant {
            default_network: self.default_network,
            ..Tenant::named(self.name)
        }))
    }
}

impl Create for NetworkArgs {
    const KIND: Kind = Kind::Network;
    fn object(self) -> CliResult<Object> {
        Ok(Object::Network(Network {
            tenant_name: self.tenant,
            network_name: self.name,
            nw_type: self.nw_type,
            encap: self.encap,
            pkt_tag: self.pkt_tag,
            subnet: self.subnet,
            gateway: self.gateway,
            ipv6_subnet: self.ipv6_subnet,
            ipv6_gateway: self.ipv6_gateway,
            multicast: MulticastConfig {
                querier: self.igmp_querier,
                query_interval_s: self.igmp_query_interval,
                unregistered: self.unregistered_multicast,
            },
            cfgd_tag: self.cfgd_tag,
        }))
    }
}

impl Create for GroupArgs {
    const KIND: Kind = Kind::EndpointGroup;
    fn object(self) -> CliResult<Object> {
        let (network, group) = match (self.names.as_slice(), self.network) {
            ([network, group], None) => (network.clone(), group.clone()),
            ([_, _], Some(_)) => {
                return Err("give the network either before the group or with --network".into())
            }
            ([group], Some(network)) => (network, group.clone()),
            _ => return Err("name the network: `group create NETWORK GROUP`".into()),
        };
        Ok(Object::EndpointGroup(EndpointGroup {
            tenant_name: self.tenant,
            group_name: group,
            network_name: network,
            ip_pool: self.ip_pool,
            policies: self.policy,
            net_profile: self.net_profile,
            default_deny: self.default_deny,
            cfgd_tag: self.cfgd_tag,
            ext_contracts_grps: self.external_contracts,
        }))
    }
}

impl Create for EndpointArgs {
    const KIND: Kind = Kind::Endpoint;
    fn object(self) -> CliResult<Object> {
        Ok(Object::Endpoint(Endpoint {
            tenant_name: self.tenant,
            network_name: self.network,
            group_name: self.group,
            container_name: self.container,
            host: self.host,
            interface: self.interface,
            mac_address: self.mac,
            ip_address: self.ip,
            ipv6_address: self.ipv6,
            external: self.external,
            attach_uuid: None,
            sandbox: None,
        }))
    }
}

impl Create for HostArgs {
    const KIND: Kind = Kind::Host;
    fn object(self) -> CliResult<Object> {
        Ok(Object::Host(Host {
            name: self.name,
            vtep_ip: self.vtep_ip,
            uplinks: self.uplink,
            dpid: self.dpid,
        }))
    }
}

impl Create for PolicyArgs {
    const KIND: Kind = Kind::Policy;
    fn object(self) -> CliResult<Object> {
        Ok(Object::Policy(Policy {
            tenant_name: self.tenant,
            policy_name: self.name,
        }))
    }
}

impl Create for NetProfileArgs {
    const KIND: Kind = Kind::NetProfile;
    fn object(self) -> CliResult<Object> {
        Ok(Object::NetProfile(NetProfile {
            tenant_name: self.tenant,
            profile_name: self.name,
            bandwidth: self.bandwidth,
            burst: self.burst,
            dscp: self.dscp,
        }))
    }
}

impl Create for RuleArgs {
    const KIND: Kind = Kind::Rule;
    fn object(self) -> CliResult<Object> {
        Ok(Object::Rule(Rule {
            tenant_name: self.tenant,
            policy_name: self.policy,
            rule_id: self.rule_id,
            direction: self.direction,
            priority: self.priority,
            from_endpoint_group: self.from_group,
            to_endpoint_group: self.to_group,
            from_network: self.from_network,
            to_network: self.to_network,
            from_ip_address: self.from_ip,
            to_ip_address: self.to_ip,
            protocol: self.protocol,
            port: self.port,
            action: self.action,
        }))
    }
}

/// Runs `verb` on objects of `C`'s kind.
pub(super) fn object_command<C: Create>(client: &Client, verb: Verb<C>) -> CliResult<()> {
    match verb {
        Verb::Ls(args) => list(client, C::KIND, &args, |_| true),
        // Like Contiv's: the intent (`Config`) and the operational state (`Oper`).
        Verb::Inspect(key) => {
            let inspect = client.inspect(C::KIND, &key.key(C::KIND))?;
            println!("{}", serde_json::to_string_pretty(&inspect)?);
            Ok(())
        }
        Verb::Create(args) => {
            client.put(&args.object()?)?;
            Ok(())
        }
        Verb::Rm(key) => Ok(client.delete(C::KIND, &key.key(C::KIND))?),
    }
}
