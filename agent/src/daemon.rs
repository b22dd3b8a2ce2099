//! The agent daemon: sets up the integration bridge (controller, datapath id, VTEP address)
//! and the uplinks once, creates and removes the VXLAN tunnel ports netmaster asks for (its
//! directives, followed with a long poll), and keeps netmaster informed of the bridge's ports
//! with a [`HostReport`](northbound_model::agent::HostReport) — at once after every change and
//! periodically as a keepalive, retrying while netmaster is unreachable. It computes no flows.

use crate::error::{Context, Error};
use crate::naming::{ovsdb_path, HOST_IFNAME_PREFIX};
use crate::netmaster::Netmaster;
use crate::ovsdb::vswitch::{
    BridgeConfig, DatapathType, InterfaceType, PortConfig, SslFiles, Vswitch,
};
use crate::report;
use crate::tunnels::{self, TunnelMode};
use crate::uplinks;
use northbound_model::agent::HostDirectives;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::task::AbortOnDropHandle;

/// The daemon's configuration (the command line of `netplugin`).
#[derive(Clone, Debug)]
pub struct Config {
    /// The host's name in intent (`Host::name`).
    pub host_label: String,
    /// netmaster's REST API.
    pub netmaster: Netmaster,
    /// Path of ovsdb-server's unix socket.
    pub ovsdb: String,
    /// The integration bridge.
    pub bridge: String,
    /// Controller targets of the bridge (`unix:PATH` or `tcp:IP:PORT`): one per netmaster
    /// replica.
    pub controllers: Vec<String>,
    /// VTEP address: the host takes part in VXLAN networks when set.
    pub vtep_ip: Option<Ipv4Addr>,
    /// How the VXLAN tunnels are built (per peer as netmaster asks, or one flow-based port).
    pub tunnel_mode: TunnelMode,
    /// Uplink interfaces (existing devices; missing ones are skipped with a warning).
    pub uplinks: Vec<String>,
    /// Datapath type of the bridge (`None`: an existing bridge's, `system` for a new one).
    pub datapath: Option<DatapathType>,
    /// Datapath id of the bridge.
    pub dpid: u64,
    /// How often the ports are read back (changes are reported at once).
    pub poll: Duration,
    /// How often an unchanged report is sent again (keepalive).
    pub keepalive: Duration,
    /// The CNI socket served for `netplugin-cni` (none: not served).
    pub cni_socket: Option<std::path::PathBuf>,
    /// SR-IOV: a PF whose VFs are created at start-up.
    pub sriov: Option<crate::sriov::PfConfig>,
    /// Where sysfs is (`/sys`; tests use a fake tree).
    pub sysfs_root: std::path::PathBuf,
    /// Set Open vSwitch's `other_config:hw-offload=true` (read by ovs-vswitchd at start).
    pub hw_offload: bool,
    /// The switch's TLS credentials for an `ssl:` controller (written before the bridge).
    pub of_ssl: Option<SslFiles>,
    /// ovs-vswitchd's control socket, for live traces (`None`: ovs-appctl's default).
    pub vswitchd_ctl: Option<std::path::PathBuf>,
    /// The Docker daemon to watch (`unix:///path/to/docker.sock`; none: not watched).
    pub docker: Option<String>,
    /// Docker's network and IPAM driver (none: not served).
    pub docker_driver: Option<DockerDriver>,
}

/// Where and how the Docker network and IPAM driver is served.
#[derive(Clone, Debug)]
pub struct DockerDriver {
    /// Its socket (`/run/docker/plugins/NAME.sock`: the driver `NAME`).
    pub socket: std::path::PathBuf,
    /// Its state file.
    pub state: std::path::PathBuf,
    /// The client that creates networks netmaster lacks (none: they must exist).
    pub creator: Option<Netmaster>,
}

/// The flow-based VXLAN port's name ([`TunnelMode::Flow`]).
pub const VXLAN_PORT: &str = "vxlan0";
/// OpenFlow port requested for [`VXLAN_PORT`].
pub const VXLAN_OFPORT: u16 = 100;

/// Sets up the bridge (and, in flow mode, the tunnel port); idempotent. Uplinks and per-peer
/// tunnels are reconciled by the main loop.
pub async fn setup(cfg: &Config, vs: &Vswitch) -> Result<(), Error> {
    vs.ensure_initialized()
        .await
        .context(|| "initializing the database")?;
    // Before the bridge: its first connection to an `ssl:` controller needs them.
    if let Some(files) = &cfg.of_ssl {
        vs.ensure_ssl(files)
            .await
            .context(|| "the switch's TLS credentials")?;
    }
    vs.ensure_bridge(&BridgeConfig {
        name: cfg.bridge.clone(),
        datapath_type: cfg.datapath,
        datapath_id: cfg.dpid,
        controllers: cfg.controllers.clone(),
        external_ids: [(
            report::BRIDGE_VTEP_KEY.to_string(),
            cfg.vtep_ip.map(|v| v.to_string()).unwrap_or_default(),
        )]
        .into(),
    })
    .await
    .context(|| format!("bridge {}", cfg.bridge))?;
    tracing::info!(bridge = %cfg.bridge, dpid = cfg.dpid, controllers = ?cfg.controllers, "bridge ready");
    if cfg.hw_offload {
        vs.set_hw_offload(true).await.context(|| "hw-offload")?;
    }
    if let Some(pf) = &cfg.sriov {
        let sysfs = crate::sriov::Sysfs::new(&cfg.sysfs_root);
        let vfs =
            crate::sriov::prepare_pf(&sysfs, pf).context(|| format!("SR-IOV PF {}", pf.pf))?;
        tracing::info!(pf = %pf.pf, vfs = vfs.len(), "SR-IOV VFs ready");
    }
    if let (Some(vtep), TunnelMode::Flow) = (cfg.vtep_ip, cfg.tunnel_mode) {
        let vtep = vtep.to_string();
        let mut port = PortConfig::new(VXLAN_PORT, InterfaceType::Vxlan);
        port.options = [
            ("remote_ip", "flow"),
            ("key", "flow"),
            ("local_ip", vtep.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        port.ofport_request = Some(VXLAN_OFPORT);
        port.external_ids =
            report::owned_ids(report::ROLE_TUNNEL, &[(report::VTEP_KEY, vtep.as_str())]);
        vs.ensure_port(&cfg.bridge, &port)
            .await
            .context(|| format!("tunnel port {VXLAN_PORT}"))?;
        tracing::info!(port = VXLAN_PORT, %vtep, "VXLAN port ready");
    }
    Ok(())
}

/// Runs the daemon until the process is stopped.
pub async fn run(cfg: Config) -> Result<(), Error> {
    let netmaster = cfg.netmaster.clone();
    // The CNI socket; the task ends with the daemon (aborted when this future is dropped).
    let _cni = match &cfg.cni_socket {
        Some(sock) => match crate::unix_socket::bind(sock).await {
            Ok(listener) => {
                tracing::info!(socket = %sock.display(), "serving CNI requests");
                Some(AbortOnDropHandle::new(tokio::spawn(
                    crate::cni::server::serve(listener, site(&cfg)),
                )))
            }
            Err(e) => {
                tracing::warn!(error = %e, "CNI socket not served");
                None
            }
        },
        None => None,
    };
    let path = ovsdb_path(&cfg.ovsdb).to_string();
    let mut vs = connect_retrying(&path).await;
    setup(&cfg, &vs).await?;
    // What a previous run (or an interrupted attach/detach) left behind goes before the first
    // report; working endpoints are not touched.
    match crate::netlink::Plumbing::new() {
        Ok(plumbing) => {
            if let Err(e) = crate::restore::reconcile(
                &plumbing,
                &vs,
                &cfg.bridge,
                HOST_IFNAME_PREFIX,
                crate::restore::GRACE,
            )
            .await
            {
                tracing::warn!(error = %e, "restart reconciliation failed; continuing");
            }
        }
        Err(e) => tracing::warn!(error = %e, "no netlink: restart reconciliation skipped"),
    }
    // The directives, followed by a task of their own (a long poll).
    let (directives_tx, mut directives) = watch::channel(None);
    let local_vtep = cfg.vtep_ip;
    let _poller = AbortOnDropHandle::new(tokio::spawn(follow_directives(
        netmaster.clone(),
        cfg.host_label.clone(),
        directives_tx,
    )));
    // The Docker watcher follows the endpoints the directives bind here.
    let _docker = cfg.docker.clone().map(|endpoint| {
        AbortOnDropHandle::new(tokio::spawn(crate::docker::watch(
            endpoint,
            site(&cfg),
            directives.clone(),
        )))
    });
    // Docker's network and IPAM driver.
    let _driver = match &cfg.docker_driver {
        Some(d) => {
            let driver =
                crate::docker::driver::Driver::new(site(&cfg), d.creator.clone(), d.state.clone())
                    .context(|| "the Docker driver's state")?;
            let listener = crate::unix_socket::bind(&d.socket).await?;
            tracing::info!(socket = %d.socket.display(), "serving Docker's network and IPAM driver");
            Some(AbortOnDropHandle::new(tokio::spawn(
                crate::docker::driver::serve(listener, std::sync::Arc::new(driver)),
            )))
        }
        None => None,
    };
    // Live traces, taken from netmaster by a task of their own (a long poll).
    let _tracer = AbortOnDropHandle::new(tokio::spawn(crate::live_trace::follow(
        netmaster.clone(),
        cfg.host_label.clone(),
        crate::live_trace::Tracer {
            bridge: cfg.bridge.clone(),
            vswitchd_ctl: cfg.vswitchd_ctl.clone(),
        },
    )));
    // What the bridge was set up with: no need to read it back on every poll.
    let identity = report::BridgeIdentity {
        dpid: cfg.dpid,
        vtep_ip: cfg.vtep_ip,
    };
    let mut last_sent = None;
    let mut sent_at = Instant::now();
    // Uplinks and tunnels are reconciled at start, when the directives change, after a
    // failure, and with every keepalive (which repairs a port removed by hand).
    let mut ports_due = true;
    loop {
        if ports_due {
            let wanted = directives.borrow_and_update().clone();
            ports_due = !reconcile_ports(&cfg, &vs, local_vtep, wanted.as_ref()).await;
        }
        match report::collect(&vs, &cfg.bridge, Some(&identity)).await {
            Err(e) => {
                // ovsdb-server may have restarted: reconnect and make sure the bridge, tunnel
                // and uplinks are (still) there.
                tracing::warn!(error = %e, "could not read the bridge; reconnecting to ovsdb-server");
                vs = connect_retrying(&path).await;
                if let Err(e) = setup(&cfg, &vs).await {
                    tracing::warn!(error = %e, "bridge set-up failed; retrying");
                }
                ports_due = true;
            }
            Ok(r) => {
                let changed = last_sent.as_ref() != Some(&r);
                if changed || sent_at.elapsed() >= cfg.keepalive {
                    match netmaster.report_host(&cfg.host_label, &r).await {
                        Ok(()) => {
                            if changed {
                                tracing::info!(
                                    endpoints = r.endpoint_ports.len(),
                                    uplinks = r.uplinks.len(),
                                    tunnel = ?r.tunnel,
                                    "host report sent"
                                );
                            } else {
                                ports_due = true;
                            }
                            last_sent = Some(r);
                            sent_at = Instant::now();
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "netmaster unreachable; retrying");
                            last_sent = None;
                        }
                    }
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(cfg.poll) => {}
            r = directives.changed() => {
                if r.is_ok() {
                    ports_due = true;
                }
            }
        }
    }
}

/// What the CNI socket and the Docker watcher plumb into.
fn site(cfg: &Config) -> crate::attach::Site {
    crate::attach::Site {
        netmaster: cfg.netmaster.clone(),
        ovsdb: cfg.ovsdb.clone(),
        bridge: cfg.bridge.clone(),
        host_label: cfg.host_label.clone(),
    }
}

/// Reconciles the uplinks (the flags' and, once known, the directives') and, in per-peer mode
/// with a VTEP, the tunnels; whether everything succeeded.
async fn reconcile_ports(
    cfg: &Config,
    vs: &Vswitch,
    local_vtep: Option<std::net::Ipv4Addr>,
    directives: Option<&HostDirectives>,
) -> bool {
    let ports = match vs.list_ports(&cfg.bridge).await {
        Ok(ports) => ports,
        Err(e) => {
            tracing::warn!(error = %e, "listing the bridge's ports failed; retrying");
            return false;
        }
    };
    let mut ok = true;
    let mut uplinks: std::collections::BTreeSet<String> = cfg.uplinks.iter().cloned().collect();
    if let Some(d) = directives {
        uplinks.extend(d.uplinks.iter().cloned());
    }
    match uplinks::reconcile(vs, &cfg.bridge, &ports, &uplinks, directives.is_some()).await {
        Ok(c) => {
            if !c.ensured.is_empty() || !c.removed.is_empty() {
                tracing::info!(ensured = ?c.ensured, removed = ?c.removed, "uplinks reconciled");
            }
            if !c.missing.is_empty() {
                tracing::debug!(missing = ?c.missing, "uplink interfaces not on this host");
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "uplinks not reconciled; retrying");
            ok = false;
        }
    }
    if let (TunnelMode::PerPeer, Some(local), Some(d)) = (cfg.tunnel_mode, local_vtep, directives) {
        let peers = d.tunnels.iter().copied().collect();
        match tunnels::reconcile(vs, &cfg.bridge, &ports, local, &peers, d.vxlan_port).await {
            Ok(changes) => {
                if changes != tunnels::Changes::default() {
                    tracing::info!(
                        ensured = ?changes.ensured,
                        removed = ?changes.removed,
                        peers = peers.len(),
                        "tunnel ports reconciled"
                    );
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "tunnel ports not reconciled; retrying");
                ok = false;
            }
        }
    }
    ok
}

/// How long one directives long poll waits at netmaster.
const LONG_POLL: Duration = Duration::from_secs(25);

/// Follows netmaster's directives for `host` (a long poll, again and again), publishing each
/// new set on `tx`. After an error (netmaster restarting, say) it asks again without a
/// version, so that the answer comes at once.
async fn follow_directives(
    netmaster: Netmaster,
    host: String,
    tx: watch::Sender<Option<HostDirectives>>,
) {
    let mut after = None;
    let mut warned = false;
    loop {
        match netmaster.directives(&host, after, LONG_POLL).await {
            Ok(d) => {
                warned = false;
                after = Some(d.version);
                tx.send_if_modified(|cur| {
                    let new = cur.as_ref().is_none_or(|c| {
                        c.tunnels != d.tunnels
                            || c.vxlan_port != d.vxlan_port
                            || c.uplinks != d.uplinks
                            || c.endpoints != d.endpoints
                    });
                    *cur = Some(d);
                    new
                });
            }
            Err(e) => {
                if !warned {
                    tracing::warn!(error = %e, "directives not available; retrying");
                    warned = true;
                }
                after = None;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Connects to ovsdb-server, waiting while it is not up yet.
async fn connect_retrying(path: &str) -> Vswitch {
    let mut warned = false;
    loop {
        match Vswitch::connect(path).await {
            Ok(vs) => return vs,
            Err(e) => {
                if !warned {
                    tracing::warn!(%path, error = %e, "ovsdb-server unreachable; retrying");
                    warned = true;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}
