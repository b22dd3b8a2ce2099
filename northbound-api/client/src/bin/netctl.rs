//! `netctl`: the command-line client of netmaster's REST API.
//!
//! ```text
//! netctl [--netmaster URL] -cfg FILE                # desired state: the file replaces everything
//! netctl -add-cfg FILE | -del-cfg FILE              # add (or delete) the file's objects
//! netctl -host-bindings-cfg FILE                    # bind containers to hosts
//! netctl tenant|network|group|endpoint|host ls      # table
//! netctl network inspect t1:net1                    # JSON (or `-t t1 net1`)
//! netctl network create -t t1 --encap vxlan --subnet 10.1.1.0/24 --gateway 10.1.1.254 net1
//! netctl network rm t1:net1
//! netctl policy create -t t1 db-policy                # then: group create ... --policy db-policy
//! netctl rule create -t t1 db-policy 1 --direction in --from-group web --protocol tcp --port 5432 --action allow
//! netctl audit                                      # every switch's sync state
//! netctl flows --host host1 [--owner t1:web1]       # the switch's flows with their owners
//! netctl trace -t t1 --from web1 --to db1 --proto tcp --dport 5432 [--live] [--via tunnel:host2]
//! ```
//!
//! The files are the original netplugin's intent files (see `northbound_client::intent_file`);
//! `-` reads standard input. The single-dash long options are the original's and are accepted
//! as such (as well as with two dashes). Errors go to standard error, with a non-zero exit.

use clap::{Args, Parser, Subcommand};
use northbound_client::addr::{
    Ipv4Addr, Ipv4Range, Ipv4Selector, Ipv4Subnet, Ipv6Addr, Ipv6Subnet, MacAddr,
};
use northbound_client::audit_report;
use northbound_client::client::Client;
use northbound_client::flows::SwitchSelector;
use northbound_client::intent_file::{self, IntentFile};
use northbound_client::model::{
    Direction, Encap, Endpoint, EndpointGroup, Host, Kind, MulticastConfig, NetProfile, Network,
    Object, Policy, Rule, RuleAction, Tenant, Unregistered,
};
use northbound_client::text::printable;
use northbound_client::token::BearerToken;
use northbound_client::trace::{TraceIngress, TraceProtocol, TraceRequest, TraceTarget};
use northbound_client::wire;
use northbound_client::{flows_report, trace_report};
use std::fmt::Display;
use std::io::Read;
use std::process::ExitCode;

/// netctl: manage netmaster's intent.
#[derive(Parser)]
#[command(name = "netctl", arg_required_else_help = true)]
struct Cli {
    /// Netmaster's REST API.
    #[arg(long, global = true, default_value = "http://127.0.0.1:9999")]
    netmaster: String,
    /// CA certificate (PEM) that signs netmaster's API certificate, for an `https://` URL.
    #[arg(long, global = true, value_name = "FILE", env = "NETMASTER_CA_CERT")]
    ca_cert: Option<std::path::PathBuf>,
    /// Bearer token for netmaster's API (when it has `--api-tokens`).
    #[arg(long, global = true, env = "NETMASTER_TOKEN", hide_env_values = true)]
    token: Option<BearerToken>,
    /// Intent file of the desired state: objects not in it are deleted (`-` for stdin).
    #[arg(long, value_name = "FILE", group = "config")]
    cfg: Option<String>,
    /// Intent file whose objects are created or replaced.
    #[arg(long, value_name = "FILE", group = "config")]
    add_cfg: Option<String>,
    /// Intent file whose objects (except the global settings) are deleted.
    #[arg(long, value_name = "FILE", group = "config")]
    del_cfg: Option<String>,
    /// Container-to-host bindings: `[{"Container": .., "Host": ..}, ..]`.
    #[arg(long, value_name = "FILE", group = "config")]
    host_bindings_cfg: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// The original's single-dash long options, rewritten to clap's double-dash form.
const SINGLE_DASH: [&str; 5] = [
    "cfg",
    "add-cfg",
    "del-cfg",
    "host-bindings-cfg",
    "netmaster",
];

/// Maps `-cfg FILE` (and `-cfg=FILE`) to `--cfg FILE`, for each of [`SINGLE_DASH`], up to `--`.
fn long_options(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut done = false;
    args.into_iter()
        .map(|arg| {
            done |= arg == "--";
            let name = arg
                .strip_prefix('-')
                .filter(|_| !done && !arg.starts_with("--"));
            match name.map(|n| n.split_once('=').map_or(n, |(n, _)| n)) {
                Some(n) if SINGLE_DASH.contains(&n) => format!("-{arg}"),
                _ => arg,
            }
        })
        .collect()
}

#[derive(Subcommand)]
enum Command {
    /// Tenants.
    #[command(subcommand)]
    Tenant(Verb<TenantArgs>),
    /// Networks.
    #[command(subcommand, alias = "net")]
    Network(Verb<NetworkArgs>),
    /// Endpoint groups.
    #[command(subcommand, alias = "epg")]
    Group(Verb<GroupArgs>),
    /// Endpoints.
    #[command(subcommand, alias = "ep")]
    Endpoint(Verb<EndpointArgs>),
    /// Hosts.
    #[command(subcommand)]
    Host(Verb<HostArgs>),
    /// Policies (attached to endpoint groups with `group create --policy`).
    #[command(subcommand)]
    Policy(Verb<PolicyArgs>),
    /// Rules of policies (key `tenant:policy:ruleId`).
    #[command(subcommand)]
    Rule(Verb<RuleArgs>),
    /// QoS profiles (attached to endpoint groups with `group create --net-profile`).
    #[command(subcommand, alias = "netprofile")]
    NetProfile(Verb<NetProfileArgs>),
    /// Every switch's sync state against the latest compiled snapshot: exits with 1 when one
    /// has been out of sync (pending, failed, disconnected) for longer than the bound.
    Audit(AuditArgs),
    /// A switch's flows, read from it now through netmaster, as `ovs-ofctl dump-flows` prints
    /// them, each followed by the object it was compiled from.
    Flows(FlowsArgs),
    /// Traces a packet from an endpoint through the compiled pipeline of every switch on its
    /// way (like ovn-trace): the tables, the matching flows and their owners, the verdict.
    Trace(TraceArgs),
    /// Prints the API's OpenAPI 3.1 document (JSON), e.g. for a client generator or
    /// schemathesis.
    Openapi,
}

/// `netctl audit`.
#[derive(Args)]
struct AuditArgs {
    /// Print the audit as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Seconds a switch may stay out of sync before the exit status says so.
    #[arg(long, value_name = "S", default_value_t = 30)]
    max_out_of_sync_s: u64,
}

/// `netctl flows`.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["host", "switch"])))]
struct FlowsArgs {
    /// The host whose switch to read.
    #[arg(long)]
    host: Option<String>,
    /// The switch's datapath id (`0x2a`, `42`, or 16 hex digits as `netctl audit` prints it).
    #[arg(long, value_parser = parse_dpid)]
    switch: Option<u64>,
    /// Only the flows of this owner: a kind (`basePipeline`, `endpoint`, `rule`, `foreign`,
    /// ...), an object's key (`blue:web1`), or a tenant or policy (`blue`, `blue:dbp`).
    #[arg(long)]
    owner: Option<String>,
    /// Print the flows as JSON.
    #[arg(long)]
    json: bool,
}

/// `netctl trace`.
#[derive(Args)]
struct TraceArgs {
    /// The tenant of both ends.
    #[arg(long, short = 't')]
    tenant: String,
    /// The sending endpoint's container name.
    #[arg(long)]
    from: String,
    /// The destination: an endpoint's container name or an IPv4 address.
    #[arg(long)]
    to: String,
    /// The protocol.
    #[arg(long, value_enum, default_value = "icmp")]
    proto: Proto,
    /// The TCP or UDP destination port.
    #[arg(long)]
    dport: Option<u16>,
    /// The TCP or UDP source port.
    #[arg(long)]
    sport: Option<u16>,
    /// Where the packet enters when not at the sender's port: `uplink:HOST` or `tunnel:HOST`
    /// (as if it had crossed the fabric, with the network's VLAN or VNI).
    #[arg(long, value_name = "PORT:HOST", value_parser = parse_ingress)]
    via: Option<TraceIngress>,
    /// Also ask Open vSwitch itself on every switch on the way (`ofproto/trace`, through the
    /// hosts' agents) and show where it differs.
    #[arg(long)]
    live: bool,
    /// Print the trace as JSON.
    #[arg(long)]
    json: bool,
}

/// A traced packet's protocol.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Proto {
    Icmp,
    Tcp,
    Udp,
}

/// `uplink:HOST` or `tunnel:HOST`.
fn parse_ingress(text: &str) -> Result<TraceIngress, String> {
    TraceIngress::parse(text).ok_or_else(|| format!("`{text}` is not uplink:HOST or tunnel:HOST"))
}

/// A datapath id: `0x`-prefixed hexadecimal, 16 hexadecimal digits, or decimal.
fn parse_dpid(text: &str) -> Result<u64, String> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| (text.len() == 16).then_some(text));
    match hex {
        Some(h) => u64::from_str_radix(h, 16),
        None => text.parse(),
    }
    .map_err(|_| format!("`{text}` is no datapath id"))
}

/// What to do with objects of one kind.
#[derive(Subcommand)]
enum Verb<C: Args> {
    /// List them, as a table.
    Ls,
    /// Show one, as JSON.
    Inspect(KeyArgs),
    /// Create (or replace) one.
    Create(C),
    /// Delete one.
    Rm(KeyArgs),
}

/// An object's key.
#[derive(Args)]
struct KeyArgs {
    /// Key: a name, or `tenant:name` for tenant objects.
    key: String,
    /// Tenant of a key given without `tenant:`.
    #[arg(short, long, default_value = "default")]
    tenant: String,
}

impl KeyArgs {
    fn key(&self, kind: Kind) -> String {
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
struct TenantArgs {
    /// Name.
    name: String,
}

/// A network.
#[derive(Args)]
struct NetworkArgs {
    /// Name.
    name: String,
    /// Tenant.
    #[arg(short, long, default_value = "default")]
    tenant: String,
    /// Encapsulation: vlan or vxlan.
    #[arg(short, long, default_value = "vxlan", value_parser = parse_encap)]
    encap: Encap,
    /// VLAN id or VNI (allocated when absent).
    #[arg(short, long)]
    pkt_tag: Option<u32>,
    /// IPv4 subnet, a.b.c.d/len.
    #[arg(short, long)]
    subnet: Ipv4Subnet,
    /// IPv4 gateway.
    #[arg(short, long)]
    gateway: Option<Ipv4Addr>,
    /// IPv6 subnet.
    #[arg(long)]
    ipv6_subnet: Option<Ipv6Subnet>,
    /// IPv6 gateway.
    #[arg(long)]
    ipv6_gateway: Option<Ipv6Addr>,
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

fn parse_unregistered(s: &str) -> Result<Unregistered, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("`{s}` is neither flood nor drop"))
}

fn parse_encap(s: &str) -> Result<Encap, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("`{s}` is neither vlan nor vxlan"))
}

/// An endpoint group.
#[derive(Args)]
struct GroupArgs {
    /// Name.
    name: String,
    /// Tenant.
    #[arg(short, long, default_value = "default")]
    tenant: String,
    /// Network of its endpoints.
    #[arg(short, long)]
    network: String,
    /// Address range for its endpoints, a.b.c.d-a.b.c.e.
    #[arg(long)]
    ip_pool: Option<Ipv4Range>,
    /// Attached policy (repeatable).
    #[arg(short, long)]
    policy: Vec<String>,
    /// Attached QoS profile.
    #[arg(long)]
    net_profile: Option<String>,
    /// Stateful default-deny: only what a rule allows comes in, plus replies.
    #[arg(long)]
    default_deny: bool,
}

/// An endpoint.
#[derive(Args)]
struct EndpointArgs {
    /// Container name.
    container: String,
    /// Tenant.
    #[arg(short, long, default_value = "default")]
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
struct HostArgs {
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
struct PolicyArgs {
    /// Name.
    name: String,
    /// Tenant.
    #[arg(short, long, default_value = "default")]
    tenant: String,
}

/// A QoS profile.
#[derive(Args)]
struct NetProfileArgs {
    /// Name.
    name: String,
    /// Tenant.
    #[arg(short, long, default_value = "default")]
    tenant: String,
    /// Rate limit, e.g. 10Mbps.
    #[arg(short, long)]
    bandwidth: Option<String>,
    /// Burst in kilobits.
    #[arg(long)]
    burst: Option<u32>,
    /// DSCP to set (0..=63).
    #[arg(long)]
    dscp: Option<u8>,
}

impl Create for NetProfileArgs {
    const KIND: Kind = Kind::NetProfile;
    fn object(self) -> Object {
        Object::NetProfile(NetProfile {
            tenant_name: self.tenant,
            profile_name: self.name,
            bandwidth: self.bandwidth,
            burst: self.burst,
            dscp: self.dscp,
        })
    }
}

/// A rule of a policy.
#[derive(Args)]
struct RuleArgs {
    /// The policy.
    policy: String,
    /// The rule's id within the policy.
    rule_id: String,
    /// Tenant.
    #[arg(short, long, default_value = "default")]
    tenant: String,
    /// in (to the group's endpoints) or out (from them).
    #[arg(short, long, default_value = "in", value_parser = parse_direction)]
    direction: Direction,
    /// 1..=100, higher wins.
    #[arg(short, long, default_value_t = 1)]
    priority: u8,
    /// Senders' endpoint group (in).
    #[arg(long)]
    from_group: Option<String>,
    /// Receivers' endpoint group (out).
    #[arg(long)]
    to_group: Option<String>,
    /// Senders' network (in).
    #[arg(long)]
    from_network: Option<String>,
    /// Receivers' network (out).
    #[arg(long)]
    to_network: Option<String>,
    /// Senders' IPv4 address, prefix or range (in).
    #[arg(long)]
    from_ip: Option<Ipv4Selector>,
    /// Receivers' IPv4 address, prefix or range (out).
    #[arg(long)]
    to_ip: Option<Ipv4Selector>,
    /// tcp, udp, icmp or a protocol number.
    #[arg(long)]
    protocol: Option<String>,
    /// TCP/UDP destination port.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// allow or deny.
    #[arg(short, long, default_value = "allow", value_parser = parse_action)]
    action: RuleAction,
}

fn parse_direction(s: &str) -> Result<Direction, String> {
    match s {
        "in" => Ok(Direction::In),
        "out" => Ok(Direction::Out),
        _ => Err(format!("`{s}` is neither `in` nor `out`")),
    }
}

fn parse_action(s: &str) -> Result<RuleAction, String> {
    match s {
        "allow" => Ok(RuleAction::Allow),
        "deny" => Ok(RuleAction::Deny),
        _ => Err(format!("`{s}` is neither `allow` nor `deny`")),
    }
}

impl Create for PolicyArgs {
    const KIND: Kind = Kind::Policy;
    fn object(self) -> Object {
        Object::Policy(Policy {
            tenant_name: self.tenant,
            policy_name: self.name,
        })
    }
}

impl Create for RuleArgs {
    const KIND: Kind = Kind::Rule;
    fn object(self) -> Object {
        Object::Rule(Rule {
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
        })
    }
}

/// Builds the object a `create` describes.
trait Create: Args {
    const KIND: Kind;
    fn object(self) -> Object;
}

impl Create for TenantArgs {
    const KIND: Kind = Kind::Tenant;
    fn object(self) -> Object {
        Object::Tenant(Tenant {
            tenant_name: self.name,
        })
    }
}

impl Create for NetworkArgs {
    const KIND: Kind = Kind::Network;
    fn object(self) -> Object {
        Object::Network(Network {
            tenant_name: self.tenant,
            network_name: self.name,
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
        })
    }
}

impl Create for GroupArgs {
    const KIND: Kind = Kind::EndpointGroup;
    fn object(self) -> Object {
        Object::EndpointGroup(EndpointGroup {
            tenant_name: self.tenant,
            group_name: self.name,
            network_name: self.network,
            ip_pool: self.ip_pool,
            policies: self.policy,
            net_profile: self.net_profile,
            default_deny: self.default_deny,
        })
    }
}

impl Create for EndpointArgs {
    const KIND: Kind = Kind::Endpoint;
    fn object(self) -> Object {
        Object::Endpoint(Endpoint {
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
        })
    }
}

impl Create for HostArgs {
    const KIND: Kind = Kind::Host;
    fn object(self) -> Object {
        Object::Host(Host {
            name: self.name,
            vtep_ip: self.vtep_ip,
            uplinks: self.uplink,
            dpid: self.dpid,
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(long_options(std::env::args()));
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netctl: {}", printable(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

fn run(cli: Cli) -> CliResult<()> {
    let mut client = Client::new(&cli.netmaster).with_token(cli.token.clone());
    if let Some(ca) = &cli.ca_cert {
        client = client.with_ca_cert(ca)?;
    }
    let files = [&cli.cfg, &cli.add_cfg, &cli.del_cfg, &cli.host_bindings_cfg];
    if cli.command.is_some() && files.iter().any(|f| f.is_some()) {
        return Err("a configuration file option can't be combined with a subcommand".into());
    }
    if let Some(path) = &cli.cfg {
        let batch = read_intent(path)?.to_batch(true)?;
        return report(&client, &batch, "desired state applied");
    }
    if let Some(path) = &cli.add_cfg {
        let batch = read_intent(path)?.to_batch(false)?;
        return report(&client, &batch, "added");
    }
    if let Some(path) = &cli.del_cfg {
        let batch = read_intent(path)?.to_delete_batch()?;
        client.apply(&batch)?;
        println!("{} objects deleted", batch.deletes.len());
        return Ok(());
    }
    if let Some(path) = &cli.host_bindings_cfg {
        let bindings =
            intent_file::parse_host_bindings(&read(path)?).map_err(|e| format!("{path}: {e}"))?;
        let endpoints: Vec<Endpoint> = client
            .list(Kind::Endpoint)?
            .into_iter()
            .filter_map(|o| match o {
                Object::Endpoint(e) => Some(e),
                _ => None,
            })
            .collect();
        let bound = intent_file::bind_hosts(&bindings, &endpoints)?;
        let batch = northbound_client::batch::Batch {
            upserts: bound.into_iter().map(Object::Endpoint).collect(),
            ..Default::default()
        };
        return report(&client, &batch, "endpoints bound");
    }
    match cli.command {
        Some(Command::Tenant(verb)) => object_command(&client, verb),
        Some(Command::Network(verb)) => object_command(&client, verb),
        Some(Command::Group(verb)) => object_command(&client, verb),
        Some(Command::Endpoint(verb)) => object_command(&client, verb),
        Some(Command::Host(verb)) => object_command(&client, verb),
        Some(Command::Policy(verb)) => object_command(&client, verb),
        Some(Command::Rule(verb)) => object_command(&client, verb),
        Some(Command::NetProfile(verb)) => object_command(&client, verb),
        Some(Command::Audit(args)) => audit(&client, &args),
        Some(Command::Flows(args)) => flows(&client, &args),
        Some(Command::Trace(args)) => trace(&client, args),
        Some(Command::Openapi) => {
            println!("{}", serde_json::to_string_pretty(&client.openapi()?)?);
            Ok(())
        }
        None => Err("nothing to do (see --help)".into()),
    }
}

/// `netctl audit`: the table (or JSON); an error naming the switches out of sync too long.
fn audit(client: &Client, args: &AuditArgs) -> CliResult<()> {
    let audit = client.audit()?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&audit)?);
    } else {
        print!("{}", audit_report::render(&audit, now_ms));
    }
    let late = audit_report::out_of_sync_for(&audit, now_ms, args.max_out_of_sync_s * 1000);
    if late.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = late.iter().map(|s| format!("{:016x}", s.dpid)).collect();
    Err(format!(
        "out of sync for more than {} s: {}",
        args.max_out_of_sync_s,
        names.join(", ")
    )
    .into())
}

/// `netctl flows`: the switch's flows with their owners (or JSON).
fn flows(client: &Client, args: &FlowsArgs) -> CliResult<()> {
    let switch = match (&args.host, args.switch) {
        (Some(host), _) => SwitchSelector::Host(host.clone()),
        (None, Some(dpid)) => SwitchSelector::Dpid(dpid),
        (None, None) => return Err("give --host or --switch".into()),
    };
    let flows = client.flows(&switch, args.owner.as_deref())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&flows)?);
    } else {
        print!("{}", flows_report::render(&flows));
    }
    Ok(())
}

/// `netctl trace`: the packet's way and its verdict (or JSON).
fn trace(client: &Client, args: TraceArgs) -> CliResult<()> {
    let request = TraceRequest {
        tenant: args.tenant,
        from: args.from,
        to: TraceTarget::parse(&args.to),
        protocol: match args.proto {
            Proto::Icmp => TraceProtocol::Icmp,
            Proto::Tcp => TraceProtocol::Tcp,
            Proto::Udp => TraceProtocol::Udp,
        },
        dport: args.dport,
        sport: args.sport,
        live: args.live,
        ingress: args.via,
    };
    let report = client.trace(&request)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", trace_report::render(&report));
    }
    Ok(())
}

/// Reads a file, or standard input for `-`.
fn read(path: &str) -> CliResult<String> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}").into())
    }
}

fn read_intent(path: &str) -> CliResult<IntentFile> {
    Ok(intent_file::parse(&read(path)?).map_err(|e| format!("{path}: {e}"))?)
}

fn report(client: &Client, batch: &northbound_client::batch::Batch, what: &str) -> CliResult<()> {
    let stored = client.apply(batch)?;
    println!("{what}: {} objects", stored.len());
    Ok(())
}

fn object_command<C: Create>(client: &Client, verb: Verb<C>) -> CliResult<()> {
    match verb {
        Verb::Ls => print!("{}", table(C::KIND, &client.list(C::KIND)?)),
        // Like Contiv's, a network's inspection has its operational state beside its intent.
        Verb::Inspect(key) if C::KIND == Kind::Network => {
            let inspect = client.inspect_network(&key.key(C::KIND))?;
            println!("{}", serde_json::to_string_pretty(&inspect)?);
        }
        Verb::Inspect(key) => {
            let object = client.get(C::KIND, &key.key(C::KIND))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&wire::to_value(&object))?
            );
        }
        Verb::Create(args) => {
            client.put(&args.object())?;
        }
        Verb::Rm(key) => client.delete(C::KIND, &key.key(C::KIND))?,
    }
    Ok(())
}

/// The objects as an aligned table with a header.
fn table(kind: Kind, objects: &[Object]) -> String {
    fn opt<T: Display>(s: &Option<T>) -> String {
        s.as_ref().map_or_else(|| "-".into(), T::to_string)
    }
    let header: &[&str] = match kind {
        Kind::Global => &["NAME", "VLANS", "VXLANS"],
        Kind::Tenant => &["NAME"],
        Kind::Network => &["TENANT", "NETWORK", "ENCAP", "PKTTAG", "SUBNET", "GATEWAY"],
        Kind::EndpointGroup => &["TENANT", "GROUP", "NETWORK", "IPPOOL", "POLICIES"],
        Kind::Endpoint => &[
            "TENANT",
            "CONTAINER",
            "NETWORK",
            "GROUP",
            "HOST",
            "IP",
            "MAC",
        ],
        Kind::Host => &["NAME", "VTEPIP", "UPLINKS", "DPID"],
        Kind::Policy => &["TENANT", "POLICY"],
        Kind::NetProfile => &["TENANT", "PROFILE", "BANDWIDTH", "BURST", "DSCP"],
        Kind::Rule => &[
            "TENANT", "POLICY", "RULE", "DIR", "PRIO", "FROM", "TO", "PROTO", "PORT", "ACTION",
        ],
    };
    let mut rows = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    for object in objects {
        rows.push(match object {
            Object::Global(g) => vec![g.name.clone(), g.vlans.to_string(), g.vxlans.to_string()],
            Object::Tenant(t) => vec![t.tenant_name.clone()],
            Object::Network(n) => vec![
                n.tenant_name.clone(),
                n.network_name.clone(),
                wire::to_value(object)["encap"]
                    .as_str()
                    .unwrap_or("-")
                    .into(),
                n.pkt_tag.map_or("-".into(), |t| t.to_string()),
                n.subnet.to_string(),
                opt(&n.gateway),
            ],
            Object::EndpointGroup(g) => vec![
                g.tenant_name.clone(),
                g.group_name.clone(),
                g.network_name.clone(),
                opt(&g.ip_pool),
                if g.policies.is_empty() {
                    "-".into()
                } else {
                    g.policies.join(",")
                },
            ],
            Object::Endpoint(e) => vec![
                e.tenant_name.clone(),
                e.container_name.clone(),
                e.network_name.clone(),
                opt(&e.group_name),
                opt(&e.host),
                opt(&e.ip_address),
                opt(&e.mac_address),
            ],
            Object::Host(h) => vec![
                h.name.clone(),
                opt(&h.vtep_ip),
                if h.uplinks.is_empty() {
                    "-".into()
                } else {
                    h.uplinks.join(",")
                },
                h.dpid.map_or("-".into(), |d| format!("{d:#x}")),
            ],
            Object::Policy(p) => vec![p.tenant_name.clone(), p.policy_name.clone()],
            Object::NetProfile(p) => vec![
                p.tenant_name.clone(),
                p.profile_name.clone(),
                opt(&p.bandwidth),
                p.burst.map_or("-".into(), |b| b.to_string()),
                p.dscp.map_or("-".into(), |d| d.to_string()),
            ],
            Object::Rule(r) => {
                let v = wire::to_value(object);
                let side = |g: &Option<String>, n: &Option<String>, ip: &Option<Ipv4Selector>| {
                    g.clone()
                        .or_else(|| n.clone())
                        .or_else(|| ip.map(|ip| ip.to_string()))
                        .unwrap_or_else(|| "any".into())
                };
                vec![
                    r.tenant_name.clone(),
                    r.policy_name.clone(),
                    r.rule_id.clone(),
                    v["direction"].as_str().unwrap_or("-").into(),
                    r.priority.to_string(),
                    side(&r.from_endpoint_group, &r.from_network, &r.from_ip_address),
                    side(&r.to_endpoint_group, &r.to_network, &r.to_ip_address),
                    r.protocol.clone().unwrap_or_else(|| "any".into()),
                    if r.port == 0 {
                        "any".into()
                    } else {
                        r.port.to_string()
                    },
                    v["action"].as_str().unwrap_or("-").into(),
                ]
            }
        });
    }
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| r.iter().map(|c| printable(c)).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::long_options;

    fn args(list: &[&str]) -> Vec<String> {
        long_options(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn single_dash_long_options() {
        assert_eq!(
            args(&["netctl", "-cfg", "f.json", "-netmaster=http://x"]),
            ["netctl", "--cfg", "f.json", "--netmaster=http://x"]
        );
        assert_eq!(
            args(&["netctl", "-host-bindings-cfg", "-", "--add-cfg", "a"]),
            ["netctl", "--host-bindings-cfg", "-", "--add-cfg", "a"]
        );
        assert_eq!(
            args(&["netctl", "network", "create", "-t", "t1", "--", "-cfg"]),
            ["netctl", "network", "create", "-t", "t1", "--", "-cfg"]
        );
    }
}
