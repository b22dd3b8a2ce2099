//! `netctl` (also installed as `netdcli`, the original's name): the command-line client of
//! netmaster's REST API.
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

mod debug;
mod files;
mod global;
mod ipam;
mod list;
mod objects;
mod policy;
mod table;

use crate::client::Client;
use crate::text::printable;
use crate::token::BearerToken;
use clap::{CommandFactory, Parser, Subcommand};
use debug::{AuditArgs, FlowsArgs, TraceArgs};
use global::{global_command, GlobalVerb};
use ipam::{ipam_command, IpamVerb};
use northbound_model::go_flags;
use objects::{
    object_command, EndpointArgs, GroupArgs, HostArgs, NetProfileArgs, NetworkArgs, RuleArgs,
    TenantArgs, Verb,
};
use policy::{policy_command, PolicyVerb};
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
    /// The fabric-wide settings.
    #[command(subcommand)]
    Global(GlobalVerb),
    /// Addresses managed elsewhere: imported as their owners' endpoints, exported.
    #[command(subcommand)]
    Ipam(IpamVerb),
    /// Hosts.
    #[command(subcommand)]
    Host(Verb<HostArgs>),
    /// Policies (attached to endpoint groups with `group create --policy`) and their rules.
    #[command(subcommand)]
    Policy(PolicyVerb),
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
    /// Prints netctl's version and netmaster's, as Contiv's netctl does.
    Version,
}

/// Runs the command line of the process, as the program `name` (`netctl` or `netdcli`).
pub fn main(name: &'static str) -> ExitCode {
    let command = Cli::command().name(name);
    let args = go_flags::long_options(&command, std::env::args());
    let cli = match command
        .try_get_matches_from(args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {}", printable(&e.to_string()));
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
        return files::desired_state(&client, path);
    }
    if let Some(path) = &cli.add_cfg {
        return files::add(&client, path);
    }
    if let Some(path) = &cli.del_cfg {
        return files::delete(&client, path);
    }
    if let Some(path) = &cli.host_bindings_cfg {
        return files::bind_hosts(&client, path);
    }
    match cli.command {
        Some(Command::Tenant(verb)) => object_command(&client, verb),
        Some(Command::Network(verb)) => object_command(&client, verb),
        Some(Command::Group(verb)) => object_command(&client, verb),
        Some(Command::Endpoint(verb)) => object_command(&client, verb),
        Some(Command::Host(verb)) => object_command(&client, verb),
        Some(Command::Policy(verb)) => policy_command(&client, verb),
        Some(Command::Global(verb)) => global_command(&client, verb),
        Some(Command::Ipam(verb)) => ipam_command(&client, verb),
        Some(Command::Rule(verb)) => object_command(&client, verb),
        Some(Command::NetProfile(verb)) => object_command(&client, verb),
        Some(Command::Audit(args)) => debug::audit(&client, &args),
        Some(Command::Flows(args)) => debug::flows(&client, &args),
        Some(Command::Trace(args)) => debug::trace(&client, args),
        Some(Command::Version) => {
            let server = client.version()?;
            println!("Client Version:");
            println!("Version: {}", env!("CARGO_PKG_VERSION"));
            println!(
                "GitCommit: {}",
                option_env!("NETPLUGIN_GIT_COMMIT").unwrap_or_default()
            );
            println!(
                "BuildTime: {}",
                option_env!("NETPLUGIN_BUILD_TIME").unwrap_or_default()
            );
            println!();
            println!("Server Version:");
            println!("Version: {}", server.version);
            println!("GitCommit: {}", server.git_commit);
            println!("BuildTime: {}", server.build_time);
            Ok(())
        }
        Some(Command::Openapi) => {
            println!("{}", serde_json::to_string_pretty(&client.openapi()?)?);
            Ok(())
        }
        None => Err("nothing to do (see --help)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
