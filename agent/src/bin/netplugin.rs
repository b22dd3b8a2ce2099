//! `netplugin`: the per-host agent daemon, and `attach`/`detach` for runtimes without CNI.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use netplugin::attach::{self, Target};
use netplugin::attach_vf::{self, VfTarget};
use netplugin::daemon::{self, Config, DockerDriver};
use netplugin::defaults;
use netplugin::naming;
use netplugin::netmaster::Netmaster;
use netplugin::ovsdb::vswitch::{DatapathType, SslFiles};
use netplugin::tunnels::TunnelMode;
use northbound_model::go_flags;
use northbound_model::model::DEFAULT_TENANT;
use northbound_model::token::BearerToken;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "netplugin",
    about = "netplugin's per-host agent: creates ports on the integration bridge and reports them to netmaster",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    daemon: DaemonArgs,
}

#[derive(Args, Debug)]
struct Common {
    /// This host's name in intent.
    #[arg(long = "host-label", default_value = "host1")]
    host_label: String,
    /// Base URL of netmaster's REST API; for replicas, each replica's, comma-separated (a
    /// replica that does not answer is passed over for the next).
    #[arg(long, default_value = "http://127.0.0.1:9999")]
    netmaster: String,
    /// File holding this host's agent token for netmaster's API (when netmaster has
    /// `--api-tokens`).
    #[arg(long = "token-file", value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// CA certificate (PEM) that signs netmaster's API certificate, for an `https://` URL.
    #[arg(long = "ca-cert", value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// ovsdb-server's socket [default: `unix:$OVS_RUNDIR/db.sock`, else
    /// `unix:/var/run/openvswitch/db.sock`, where ovs-vsctl looks].
    #[arg(long)]
    ovsdb: Option<String>,
    /// The integration bridge.
    #[arg(long, default_value = "br-int")]
    bridge: String,
}

impl Common {
    /// `--ovsdb`, or where Open vSwitch's own tools find the database.
    fn ovsdb(&self) -> String {
        self.ovsdb
            .clone()
            .unwrap_or_else(|| defaults::ovsdb_target(std::env::var("OVS_RUNDIR").ok().as_deref()))
    }

    /// The client of netmaster's API, with the token of `--token-file`.
    fn client(&self) -> anyhow::Result<Netmaster> {
        let token = self
            .token_file
            .as_deref()
            .map(BearerToken::from_file)
            .transpose()?;
        Ok(Netmaster::new(
            &self.netmaster,
            token,
            self.ca_cert.as_deref(),
        )?)
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TunnelModeArg {
    PerPeer,
    Flow,
}

#[derive(Args, Debug)]
struct DaemonArgs {
    #[command(flatten)]
    common: Common,
    /// Controller targets of the bridge, one per netmaster replica (comma-separated or
    /// repeated): `unix:PATH`, `tcp:IP:PORT` or `ssl:IP:PORT` [default: each netmaster's host
    /// (from `--netmaster`), port 6653; `ssl:` with `--of-ssl-key`].
    #[arg(long, value_delimiter = ',')]
    controller: Vec<String>,
    /// VTEP address: the host takes part in VXLAN networks.
    #[arg(long = "vtep-ip")]
    vtep_ip: Option<std::net::Ipv4Addr>,
    /// VXLAN tunnels: one port per remote VTEP as netmaster asks (`per-peer`), or one
    /// `remote_ip=flow` port `vxlan0` for all (`flow`).
    #[arg(long = "tunnel-mode", value_enum, default_value = "per-peer")]
    tunnel_mode: TunnelModeArg,
    /// Uplink interface for VLAN networks (repeatable; missing ones are skipped).
    #[arg(long = "uplink")]
    uplinks: Vec<String>,
    /// Datapath type of the bridge [default: an existing bridge's own; `system` for a new one].
    #[arg(long, value_enum)]
    datapath: Option<Datapath>,
    /// Datapath id of the bridge (default: derived from the host label).
    #[arg(long)]
    dpid: Option<u64>,
    /// Seconds between reads of the bridge's ports (changes are reported at once).
    #[arg(long = "poll-s", default_value_t = 1.0)]
    poll_s: f64,
    /// Seconds between keepalive reports.
    #[arg(long = "keepalive-s", default_value_t = 5.0)]
    keepalive_s: f64,
    /// Unix socket served for the CNI plugin `netplugin-cni` (empty: none).
    #[arg(long = "cni-socket", default_value = netplugin::cni::protocol::DEFAULT_SOCKET)]
    cni_socket: PathBuf,
    /// SR-IOV physical function whose VFs are created at start-up (with `--sriov-vfs`).
    #[arg(long = "sriov-pf", requires = "sriov_vfs")]
    sriov_pf: Option<String>,
    /// Number of VFs to create on `--sriov-pf`.
    #[arg(long = "sriov-vfs", requires = "sriov_pf")]
    sriov_vfs: Option<u32>,
    /// Root of sysfs (for tests with a fake tree).
    #[arg(long = "sysfs-root", default_value = "/sys")]
    sysfs_root: PathBuf,
    /// The switch's private key (PEM) for an `ssl:` controller (with --of-ssl-cert and
    /// --of-ssl-ca; written into OVSDB's SSL table, as `ovs-vsctl set-ssl` does).
    #[arg(long = "of-ssl-key", value_name = "FILE", requires_all = ["of_ssl_cert", "of_ssl_ca"])]
    of_ssl_key: Option<PathBuf>,
    /// The switch's certificate (PEM).
    #[arg(long = "of-ssl-cert", value_name = "FILE", requires = "of_ssl_key")]
    of_ssl_cert: Option<PathBuf>,
    /// The CA certificate (PEM) that signs netmaster's certificate.
    #[arg(long = "of-ssl-ca", value_name = "FILE", requires = "of_ssl_key")]
    of_ssl_ca: Option<PathBuf>,
    /// Set Open vSwitch's `other_config:hw-offload=true`.
    #[arg(long = "hw-offload")]
    hw_offload: bool,
    /// ovs-vswitchd's control socket, for netmaster's live traces (`ovs-appctl -t`; default:
    /// ovs-appctl's own, from OVS_RUNDIR).
    #[arg(long = "vswitchd-ctl", value_name = "FILE")]
    vswitchd_ctl: Option<PathBuf>,
    /// Watch this Docker daemon (`unix:///var/run/docker.sock`): a container that starts gets
    /// the endpoints intent binds to this host under its name (or `attachUuid`), and loses
    /// them when it stops.
    #[arg(long, value_name = "ENDPOINT")]
    docker: Option<String>,
    /// Serve Docker's network and IPAM driver on this socket (the driver is named after it;
    /// without a value: /run/docker/plugins/netplugin.sock, the driver `netplugin`).
    #[arg(long = "docker-plugin", value_name = "SOCKET", num_args = 0..=1,
          default_missing_value = netplugin::docker::driver::DEFAULT_SOCKET)]
    docker_plugin: Option<PathBuf>,
    /// Where the Docker driver keeps its pools, networks and endpoints.
    #[arg(long = "docker-driver-state", value_name = "FILE",
          default_value = netplugin::docker::driver::DEFAULT_STATE)]
    docker_driver_state: PathBuf,
    /// File holding a tenant or admin token with which the Docker driver creates the networks
    /// netmaster lacks (without it, `docker network create` needs an existing network).
    #[arg(
        long = "docker-network-token-file",
        value_name = "FILE",
        requires = "docker_plugin"
    )]
    docker_network_token_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Datapath {
    Netdev,
    System,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Plugs a container (network namespace) into its network.
    Attach(AttachArgs),
    /// Unplugs a container.
    Detach(AttachArgs),
}

#[derive(Args, Debug)]
struct AttachArgs {
    /// Container name: its endpoints are `TENANT:NAME` (eth0) and `TENANT:NAME:eth1`, ... (a
    /// container on several networks); every one of them is plugged in (unplugged).
    #[arg(long)]
    container: String,
    /// Only this interface of the container (`eth0`, `eth1`, ...).
    #[arg(long)]
    ifname: Option<String>,
    /// The container's network namespace (`/var/run/netns/NAME` or `/proc/PID/ns/net`).
    #[arg(long)]
    netns: PathBuf,
    /// Tenant.
    #[arg(long, default_value = DEFAULT_TENANT)]
    tenant: String,
    /// Use a VF of this SR-IOV physical function instead of a veth (with `--sriov-vf`).
    #[arg(long = "sriov-pf", requires = "sriov_vf")]
    sriov_pf: Option<String>,
    /// The VF index on `--sriov-pf`.
    #[arg(long = "sriov-vf", requires = "sriov_pf")]
    sriov_vf: Option<u32>,
    /// Root of sysfs (for tests with a fake tree).
    #[arg(long = "sysfs-root", default_value = "/sys")]
    sysfs_root: PathBuf,
    #[command(flatten)]
    common: Common,
}

impl AttachArgs {
    /// The VF to use, if any.
    fn vf(&self) -> Option<VfTarget> {
        Some(VfTarget {
            pf: self.sriov_pf.clone()?,
            vf: self.sriov_vf?,
            sysfs: netplugin::sriov::Sysfs::new(&self.sysfs_root),
        })
    }

    fn target(&self) -> anyhow::Result<Target> {
        Ok(Target {
            container: self.container.clone(),
            tenant: self.tenant.clone(),
            netns: self.netns.clone(),
            netmaster: self.common.client()?,
            ovsdb: self.common.ovsdb(),
            bridge: self.common.bridge.clone(),
            host_label: self.common.host_label.clone(),
            ifname: self.ifname.clone(),
            docker_id: None,
        })
    }
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse_from(go_flags::long_options(&Cli::command(), std::env::args()));
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("netplugin: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Some(Command::Attach(a)) => match a.vf() {
                Some(vf) => attach_vf::attach(&a.target()?, &vf)
                    .await
                    .map(|done| match done.ofport {
                        Some(port) => println!("{port}"),
                        None => println!("-"),
                    })
                    .map_err(anyhow::Error::from),
                None => attach::attach(&a.target()?)
                    .await
                    .map(|ports| {
                        for port in ports {
                            println!("{port}");
                        }
                    })
                    .map_err(anyhow::Error::from),
            },
            Some(Command::Detach(a)) => match a.vf() {
                Some(vf) => attach_vf::detach(&a.target()?, &vf)
                    .await
                    .map(|_| ())
                    .map_err(anyhow::Error::from),
                None => attach::detach(&a.target()?)
                    .await
                    .map(|_| ())
                    .map_err(anyhow::Error::from),
            },
            None => {
                let d = cli.daemon;
                let dpid = d
                    .dpid
                    .unwrap_or_else(|| naming::default_dpid(&d.common.host_label));
                let netmaster = d.common.client()?;
                let controllers = match d.controller.is_empty() {
                    false => d.controller,
                    true => defaults::netmaster_urls(&d.common.netmaster)
                        .map(|url| defaults::controller_target(url, d.of_ssl_key.is_some()))
                        .collect::<Result<_, _>>()?,
                };
                let ovsdb = d.common.ovsdb();
                let docker_driver = match d.docker_plugin {
                    Some(socket) => Some(DockerDriver {
                        socket,
                        state: d.docker_driver_state,
                        creator: d
                            .docker_network_token_file
                            .as_deref()
                            .map(BearerToken::from_file)
                            .transpose()?
                            .map(|token| netmaster.with_token(token)),
                    }),
                    None => None,
                };
                let cfg = Config {
                    host_label: d.common.host_label,
                    netmaster,
                    ovsdb,
                    bridge: d.common.bridge,
                    controllers,
                    vtep_ip: d.vtep_ip,
                    tunnel_mode: match d.tunnel_mode {
                        TunnelModeArg::PerPeer => TunnelMode::PerPeer,
                        TunnelModeArg::Flow => TunnelMode::Flow,
                    },
                    uplinks: d.uplinks,
                    datapath: d.datapath.map(|d| match d {
                        Datapath::Netdev => DatapathType::Netdev,
                        Datapath::System => DatapathType::System,
                    }),
                    dpid,
                    poll: Duration::from_secs_f64(d.poll_s.max(0.05)),
                    keepalive: Duration::from_secs_f64(d.keepalive_s.max(0.1)),
                    cni_socket: Some(d.cni_socket).filter(|p| !p.as_os_str().is_empty()),
                    sriov: d
                        .sriov_pf
                        .zip(d.sriov_vfs)
                        .map(|(pf, vfs)| netplugin::sriov::PfConfig { pf, vfs }),
                    sysfs_root: d.sysfs_root,
                    hw_offload: d.hw_offload,
                    of_ssl: match (d.of_ssl_key, d.of_ssl_cert, d.of_ssl_ca) {
                        (Some(private_key), Some(certificate), Some(ca_cert)) => Some(SslFiles {
                            private_key,
                            certificate,
                            ca_cert,
                        }),
                        _ => None,
                    },
                    vswitchd_ctl: d.vswitchd_ctl,
                    docker: d.docker,
                    docker_driver,
                };
                tokio::select! {
                    r = daemon::run(cfg) => r.map_err(anyhow::Error::from),
                    _ = shutdown() => Ok(()),
                }
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netplugin: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
