//! `netctl audit`, `netctl flows` and `netctl trace`: what netmaster did with the intent.

use super::CliResult;
use crate::audit_report;
use crate::client::Client;
use crate::flows::SwitchSelector;
use crate::trace::{TraceIngress, TraceProtocol, TraceRequest, TraceTarget};
use crate::{flows_report, trace_report};
use clap::Args;

/// `netctl audit`.
#[derive(Args)]
pub(super) struct AuditArgs {
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
pub(super) struct FlowsArgs {
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
pub(super) struct TraceArgs {
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

/// `netctl audit`: the table (or JSON); an error naming the switches out of sync too long.
pub(super) fn audit(client: &Client, args: &AuditArgs) -> CliResult<()> {
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
pub(super) fn flows(client: &Client, args: &FlowsArgs) -> CliResult<()> {
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
pub(super) fn trace(client: &Client, args: TraceArgs) -> CliResult<()> {
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
