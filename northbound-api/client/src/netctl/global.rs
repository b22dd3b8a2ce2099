//! `netctl global info|inspect|set`: the fabric-wide settings, as Contiv's netctl shows and
//! changes them (`set` changes only the settings it is given).

use super::objects::by_json_name;
use super::CliResult;
use crate::addr::{IdRanges, Ipv4Subnet};
use crate::client::Client;
use crate::model::{ArpMode, FwdMode, Global, Kind, NetworkInfraType, Object};
use crate::wire;
use clap::{Args, Subcommand};

/// What to do with the global settings.
#[derive(Subcommand)]
pub(super) enum GlobalVerb {
    /// Shows them, one per line (or as JSON with `-j`).
    Info(InfoArgs),
    /// Shows them as JSON.
    Inspect,
    /// Changes the settings given; the others stay.
    Set(SetArgs),
}

/// `global info`.
#[derive(Args)]
pub(super) struct InfoArgs {
    /// As JSON.
    #[arg(short, long)]
    json: bool,
}

/// `global set`.
#[derive(Args)]
pub(super) struct SetArgs {
    /// Fabric mode: default (Contiv's aci and aci-opflex are not supported).
    #[arg(short = 'f', long, value_parser = parse_infra)]
    fabric_mode: Option<NetworkInfraType>,
    /// VLAN ids netmaster allocates from, e.g. 1-4094.
    #[arg(short = 'v', long)]
    vlan_range: Option<IdRanges>,
    /// VXLAN ids netmaster allocates from, e.g. 1-10000.
    #[arg(short = 'x', long)]
    vxlan_range: Option<IdRanges>,
    /// Forwarding mode: bridge or routing.
    #[arg(short = 'b', long, value_parser = parse_fwd_mode)]
    fwd_mode: Option<FwdMode>,
    /// ARP mode: proxy, flood or directed.
    #[arg(short = 'a', long, value_parser = parse_arp_mode)]
    arp_mode: Option<ArpMode>,
    /// Contiv's /16 private subnet for host access (kept and shown).
    #[arg(short = 's', long)]
    private_subnet: Option<Ipv4Subnet>,
    /// MTU of the underlay.
    #[arg(long)]
    mtu: Option<u16>,
    /// The link-local address at which every network answers DNS for its tenant's names
    /// (e.g. 169.254.0.53).
    #[arg(long)]
    dns_address: Option<std::net::Ipv4Addr>,
}

fn parse_infra(s: &str) -> Result<NetworkInfraType, String> {
    by_json_name(s, "default, aci or aci-opflex")
}

fn parse_fwd_mode(s: &str) -> Result<FwdMode, String> {
    by_json_name(s, "bridge or routing")
}

fn parse_arp_mode(s: &str) -> Result<ArpMode, String> {
    by_json_name(s, "proxy, flood or directed")
}

/// The global settings as they are now.
fn current(client: &Client) -> CliResult<Global> {
    match client.get(Kind::Global, "global")? {
        Object::Global(g) => Ok(g),
        other => Err(format!(
            "netmaster answered a {:?} for the global settings",
            other.kind()
        )
        .into()),
    }
}

/// A setting's JSON name as the API writes it (`bridge`, `proxy`, `default`).
fn json_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "-".into(),
    }
}

/// Runs a `global` command.
pub(super) fn global_command(client: &Client, verb: GlobalVerb) -> CliResult<()> {
    match verb {
        GlobalVerb::Info(InfoArgs { json: true }) | GlobalVerb::Inspect => {
            let global = Object::Global(current(client)?);
            println!(
                "{}",
                serde_json::to_string_pretty(&wire::to_value(&global))?
            );
        }
        GlobalVerb::Info(InfoArgs { json: false }) => {
            let g = current(client)?;
            println!("Fabric mode: {}", json_name(&g.network_infra_type));
            println!("Forward mode: {}", json_name(&g.fwd_mode));
            println!("ARP mode: {}", json_name(&g.arp_mode));
            println!("Vlan Range: {}", g.vlans);
            println!("Vxlan range: {}", g.vxlans);
            println!(
                "Private subnet: {}",
                g.pvt_subnet.map_or_else(String::new, |s| s.to_string())
            );
            println!("MTU: {}", g.mtu);
            println!(
                "DNS address: {}",
                g.dns_address.map_or_else(String::new, |a| a.to_string())
            );
        }
        GlobalVerb::Set(set) => {
            let mut g = current(client)?;
            g.network_infra_type = set.fabric_mode.unwrap_or(g.network_infra_type);
            g.vlans = set.vlan_range.unwrap_or(g.vlans);
            g.vxlans = set.vxlan_range.unwrap_or(g.vxlans);
            g.fwd_mode = set.fwd_mode.unwrap_or(g.fwd_mode);
            g.arp_mode = set.arp_mode.unwrap_or(g.arp_mode);
            g.pvt_subnet = set.private_subnet.or(g.pvt_subnet);
            g.mtu = set.mtu.unwrap_or(g.mtu);
            g.dns_address = set.dns_address.or(g.dns_address);
            client.put(&Object::Global(g))?;
        }
    }
    Ok(())
}
