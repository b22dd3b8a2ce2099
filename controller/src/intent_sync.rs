//! Keeps the desired state of every switch equal to the compiled intent: after every accepted
//! intent change (and every topology change), the whole intent is recompiled — a pure function —
//! and handed to the reconcilers, which send each switch only what changed for it.

use crate::compiler::{compile_all, HostPorts, Topology, TunnelMode};
use crate::desired_store::DesiredStore;
use crate::intent::service::IntentDb;
use crate::intent::Snapshot;
use crate::multicast::snooping::Snooping;
use northbound_api::agent::{AgentService, HostDirectives, HostReport, TunnelReport};
use northbound_api::service::ApiError;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::info;

/// The topology the agents report (ports, tunnels, uplinks per host), shared with the
/// compiler loop. Hosts declared in intent but not reported yet are compiled from their
/// intent (dpid, VTEP) alone; once a host's agent reports, its report replaces that.
///
/// It is the controller's [`AgentService`]: `PUT /api/v1/agents/{host}/` replaces the host's
/// entry and wakes the compiler (an identical report, e.g. a keepalive, changes nothing).
///
/// With a file ([`ObservedTopology::persistent`]) the reports survive a restart, so that a
/// restarted netmaster finds every switch in sync instead of compiling hosts without their
/// ports until the agents report again.
///
/// The multicast memberships IGMP snooping learns are observed topology too
/// ([`ObservedTopology::snooping`]).
///
/// It also holds the agents' directives (the tunnels the compiler found each host needs) and
/// when each host last reported, so that a host that is gone can be forgotten
/// ([`ObservedTopology::expire`]).
#[derive(Default)]
pub struct ObservedTopology {
    topo: RwLock<Topology>,
    version: watch::Sender<u64>,
    file: Option<PathBuf>,
    last_seen: RwLock<HashMap<String, Instant>>,
    directives: RwLock<Directives>,
    directive_version: watch::Sender<u64>,
    snooping: Arc<Snooping>,
}

/// What the agents are asked to create.
#[derive(Debug, Default, PartialEq, Eq)]
struct Directives {
    /// Remote VTEPs by host name.
    tunnels: BTreeMap<String, BTreeSet<Ipv4Addr>>,
    /// The VXLAN UDP port.
    vxlan_port: u16,
    /// Uplink interfaces by host name (from intent).
    uplinks: BTreeMap<String, Vec<String>>,
}

impl ObservedTopology {
    /// A topology kept in `file` (JSON: host name → report), loaded now if it exists and
    /// rewritten atomically (temporary file + rename) on every change.
    pub fn persistent(file: PathBuf) -> Result<ObservedTopology, String> {
        let mut topo = Topology::default();
        match std::fs::read(&file) {
            Ok(bytes) => {
                let reports: BTreeMap<String, HostReport> = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                for (host, report) in reports {
                    let ports = host_ports(&host, &report)
                        .map_err(|e| format!("{}: {}", file.display(), e.message))?;
                    topo.hosts.insert(host, ports);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", file.display())),
        }
        let now = Instant::now();
        let last_seen = topo.hosts.keys().map(|h| (h.clone(), now)).collect();
        Ok(ObservedTopology {
            topo: RwLock::new(topo),
            file: Some(file),
            last_seen: RwLock::new(last_seen),
            ..ObservedTopology::default()
        })
    }

    fn save(&self) -> Result<(), ApiError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let fail = |e: &dyn std::fmt::Display| ApiError {
            status: 500,
            message: format!("saving host reports to {}: {e}", file.display()),
        };
        let json = serde_json::to_vec_pretty(&self.reports()).map_err(|e| fail(&e))?;
        let tmp = file.with_extension("tmp");
        std::fs::write(&tmp, json).map_err(|e| fail(&e))?;
        std::fs::rename(&tmp, file).map_err(|e| fail(&e))
    }

    /// The topology with `snooping` as its IGMP snooping application (e.g. a persistent one).
    pub fn with_snooping(mut self, snooping: Snooping) -> ObservedTopology {
        self.snooping = Arc::new(snooping);
        self
    }

    /// The IGMP snooping application, whose memberships are compiled with the hosts.
    pub fn snooping(&self) -> &Arc<Snooping> {
        &self.snooping
    }

    /// The current topology.
    pub fn get(&self) -> Topology {
        self.topo.read().expect("topology lock").clone()
    }

    /// Replaces the topology and wakes the compiler.
    pub fn set(&self, topo: Topology) {
        *self.topo.write().expect("topology lock") = topo;
        self.version.send_modify(|v| *v += 1);
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Sets the directives of every host; wakes the agents' long polls only if they changed.
    fn set_directives(
        &self,
        tunnels: BTreeMap<String, BTreeSet<Ipv4Addr>>,
        vxlan_port: u16,
        uplinks: BTreeMap<String, Vec<String>>,
    ) {
        let next = Directives {
            tunnels,
            vxlan_port,
            uplinks,
        };
        let mut current = self.directives.write().expect("directives lock");
        if *current != next {
            *current = next;
            drop(current);
            self.directive_version.send_modify(|v| *v += 1);
        }
    }

    /// Forgets every host that has not reported for `timeout` and whose switch is not
    /// connected (`connected` holds the datapath ids of the connected switches): a host whose
    /// agent restarts keeps its place, one that is gone altogether is compiled away, and its
    /// peers are asked to remove their tunnels to it. The forgotten hosts, by name.
    pub fn expire(&self, timeout: Duration, connected: &[u64]) -> Vec<String> {
        let stale: Vec<String> = {
            let mut topo = self.topo.write().expect("topology lock");
            let mut seen = self.last_seen.write().expect("last-seen lock");
            let stale: Vec<String> = topo
                .hosts
                .iter()
                .filter(|(name, h)| {
                    !connected.contains(&h.dpid)
                        && seen.get(*name).is_none_or(|t| t.elapsed() >= timeout)
                })
                .map(|(name, _)| name.clone())
                .collect();
            for name in &stale {
                topo.hosts.remove(name);
                seen.remove(name);
            }
            stale
        };
        if !stale.is_empty() {
            if let Err(e) = self.save() {
                tracing::warn!(error = %e.message, "host reports not saved");
            }
            self.version.send_modify(|v| *v += 1);
        }
        stale
    }
}

/// The highest OpenFlow port number of a physical or logical port (`OFPP_MAX`).
const OFPP_MAX: u32 = 0xffff_ff00;

/// `port` as a port of `host`'s bridge, or a 400 naming `what`.
fn check_port(host: &str, what: &str, port: u32) -> Result<u32, ApiError> {
    if (1..=OFPP_MAX).contains(&port) {
        Ok(port)
    } else {
        Err(ApiError::invalid(format!(
            "host `{host}`: {what}: {port} is not an OpenFlow port number (1..={OFPP_MAX})"
        )))
    }
}

/// `addr` as an IPv4 address, or a 400 naming `what`.
fn parse_vtep(host: &str, what: &str, addr: &str) -> Result<Ipv4Addr, ApiError> {
    addr.parse().map_err(|_| {
        ApiError::invalid(format!(
            "host `{host}`: {what} `{addr}` is not an IPv4 address"
        ))
    })
}

/// A host report as the compiler's [`HostPorts`]: a 400 if its dpid is 0, an address does not
/// parse as IPv4 or a port is not an OpenFlow port number.
pub fn host_ports(host: &str, report: &HostReport) -> Result<HostPorts, ApiError> {
    if report.dpid == 0 {
        return Err(ApiError::invalid(format!(
            "host `{host}`: dpid must not be 0"
        )));
    }
    let mut h = HostPorts::new(report.dpid);
    h.vtep_ip = match &report.vtep_ip {
        Some(v) => Some(parse_vtep(host, "vtepIp", v)?),
        None => None,
    };
    for (key, &port) in &report.endpoint_ports {
        let port = check_port(host, &format!("port of endpoint `{key}`"), port)?;
        h.endpoint_ports.insert(key.clone(), port);
    }
    h.uplinks = report
        .uplinks
        .iter()
        .map(|&p| check_port(host, "uplink", p))
        .collect::<Result<_, _>>()?;
    h.uplinks.sort_unstable();
    h.uplinks.dedup();
    h.tunnel = match &report.tunnel {
        None => None,
        Some(TunnelReport::Flow { port }) => Some(TunnelMode::Flow {
            port: check_port(host, "tunnel port", *port)?,
        }),
        Some(TunnelReport::PerPeer { ports }) => {
            let mut by_vtep = BTreeMap::new();
            for (vtep, &port) in ports {
                let ip = parse_vtep(host, "tunnel peer", vtep)?;
                by_vtep.insert(ip, check_port(host, &format!("tunnel port to {ip}"), port)?);
            }
            Some(TunnelMode::PerPeer { ports: by_vtep })
        }
    };
    Ok(h)
}

/// The report that [`host_ports`] converts into `h`.
fn host_report(h: &HostPorts) -> HostReport {
    HostReport {
        dpid: h.dpid,
        vtep_ip: h.vtep_ip.map(|v| v.to_string()),
        endpoint_ports: h.endpoint_ports.clone(),
        uplinks: h.uplinks.clone(),
        tunnel: h.tunnel.as_ref().map(|t| match t {
            TunnelMode::Flow { port } => TunnelReport::Flow { port: *port },
            TunnelMode::PerPeer { ports } => TunnelReport::PerPeer {
                ports: ports.iter().map(|(ip, p)| (ip.to_string(), *p)).collect(),
            },
        }),
    }
}

impl AgentService for ObservedTopology {
    /// Replaces `host`'s entry: a 400 if the report does not convert (see [`host_ports`]), a
    /// 409 if another reported host has the same dpid (one switch cannot be two hosts).
    fn report(&self, host: &str, report: HostReport) -> Result<(), ApiError> {
        let ports = host_ports(host, &report)?;
        let mut topo = self.topo.write().expect("topology lock");
        self.last_seen
            .write()
            .expect("last-seen lock")
            .insert(host.to_owned(), Instant::now());
        if let Some((other, _)) = topo
            .hosts
            .iter()
            .find(|(name, h)| h.dpid == ports.dpid && name.as_str() != host)
        {
            return Err(ApiError::conflict(format!(
                "host `{host}`: dpid {:#x} is already host `{other}`'s",
                ports.dpid
            )));
        }
        if topo.hosts.get(host) != Some(&ports) {
            topo.hosts.insert(host.to_owned(), ports);
            drop(topo);
            self.save()?;
            self.version.send_modify(|v| *v += 1);
        }
        Ok(())
    }

    fn reports(&self) -> BTreeMap<String, HostReport> {
        let topo = self.topo.read().expect("topology lock");
        topo.hosts
            .iter()
            .map(|(name, h)| (name.clone(), host_report(h)))
            .collect()
    }

    fn directives(&self, host: &str) -> HostDirectives {
        let version = *self.directive_version.borrow();
        let d = self.directives.read().expect("directives lock");
        HostDirectives {
            version,
            tunnels: d
                .tunnels
                .get(host)
                .map(|t| t.iter().map(Ipv4Addr::to_string).collect())
                .unwrap_or_default(),
            vxlan_port: d.vxlan_port,
            uplinks: d.uplinks.get(host).cloned().unwrap_or_default(),
        }
    }

    fn directive_changes(&self) -> watch::Receiver<u64> {
        self.directive_version.subscribe()
    }
}

/// The topology to compile with: the observed one, plus every intent host with a dpid that the
/// agents have not reported yet.
fn effective_topology(snapshot: &Snapshot, observed: &ObservedTopology) -> Topology {
    let mut topo = observed.get();
    topo.multicast = observed.snooping.view();
    for (name, host) in &snapshot.hosts {
        if let (false, Some(dpid)) = (topo.hosts.contains_key(name), host.dpid) {
            let mut h = crate::compiler::HostPorts::new(dpid);
            h.vtep_ip = host.vtep_ip.as_deref().and_then(|v| v.parse().ok());
            topo.hosts.insert(name.clone(), h);
        }
    }
    topo
}

/// Compiles the current intent and topology into the desired-state store. netmaster calls it
/// once before accepting switches, so that a reconnecting switch is compared with its full
/// desired state, never with a partial one.
pub fn compile_now(db: &IntentDb, observed: &ObservedTopology, store: &DesiredStore) {
    let started = Instant::now();
    let snapshot = db.snapshot();
    let compiled = compile_all(&snapshot, &effective_topology(&snapshot, observed));
    let switches = compiled.switches.len();
    let flows: usize = compiled.switches.values().map(|s| s.flows.len()).sum();
    store.set_switches(compiled.switches);
    observed.snooping.set_plan(compiled.multicast);
    let uplinks = snapshot
        .hosts
        .iter()
        .map(|(name, h)| (name.clone(), h.uplinks.clone()))
        .collect();
    observed.set_directives(compiled.tunnels, snapshot.global.vxlan_port, uplinks);
    info!(
        version = db.version(),
        switches,
        flows,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "intent compiled"
    );
}

/// Recompiles on every intent, topology or multicast membership change until the process
/// ends.
pub async fn run(db: Arc<IntentDb>, observed: Arc<ObservedTopology>, store: Arc<DesiredStore>) {
    let mut intent = db.subscribe();
    let mut topo = observed.subscribe();
    let mut memberships = observed.snooping.subscribe();
    loop {
        compile_now(&db, &observed, &store);
        tokio::select! {
            r = intent.changed() => if r.is_err() { return },
            r = topo.changed() => if r.is_err() { return },
            r = memberships.changed() => if r.is_err() { return },
        }
    }
}

/// Forgets hosts that are gone ([`ObservedTopology::expire`]), checking four times per
/// `timeout`; `connected` lists the datapath ids of the connected switches.
pub async fn expire_hosts(
    observed: Arc<ObservedTopology>,
    timeout: Duration,
    connected: impl Fn() -> Vec<u64> + Send + 'static,
) {
    let mut tick = tokio::time::interval((timeout / 4).max(Duration::from_millis(100)));
    loop {
        tick.tick().await;
        let gone = observed.expire(timeout, &connected());
        if !gone.is_empty() {
            info!(hosts = ?gone, "hosts gone: no report and no switch connection");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_survive_a_restart_when_persistent() {
        let dir = std::env::temp_dir().join(format!("nm-agents-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("intent.agents.json");
        let _ = std::fs::remove_file(&file);
        let topo = ObservedTopology::persistent(file.clone()).unwrap();
        assert!(topo.reports().is_empty());
        topo.report("host1", report()).unwrap();
        drop(topo);
        let again = ObservedTopology::persistent(file.clone()).unwrap();
        assert_eq!(
            again.reports(),
            [(
                "host1".to_string(),
                host_report(&host_ports("host1", &report()).unwrap())
            )]
            .into()
        );
        assert_eq!(again.get().hosts["host1"].endpoint_ports["t1:c1"], 5);
        std::fs::write(&file, b"{ not json").unwrap();
        assert!(ObservedTopology::persistent(file.clone()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn report() -> HostReport {
        HostReport {
            dpid: 0x1,
            vtep_ip: Some("192.168.2.10".into()),
            endpoint_ports: [("t1:c1".to_string(), 5), ("t1:c2".to_string(), 6)].into(),
            uplinks: vec![2, 3],
            tunnel: Some(TunnelReport::PerPeer {
                ports: [("192.168.2.11".to_string(), 7)].into(),
            }),
        }
    }

    #[test]
    fn a_report_converts_and_reads_back() {
        let unsorted = HostReport {
            uplinks: vec![3, 2, 3],
            ..report()
        };
        let h = host_ports("host1", &unsorted).unwrap();
        assert_eq!(h.dpid, 1);
        assert_eq!(h.vtep_ip, Some(Ipv4Addr::new(192, 168, 2, 10)));
        assert_eq!(h.uplinks, [2, 3], "lowest first, once each");
        assert_eq!(host_report(&h), report());
        assert_eq!(
            h.tunnel_port_to(Ipv4Addr::new(192, 168, 2, 11)),
            Some((7, false))
        );
        let flow = HostReport {
            tunnel: Some(TunnelReport::Flow { port: 4 }),
            uplinks: vec![2],
            ..report()
        };
        assert_eq!(host_report(&host_ports("h", &flow).unwrap()), flow);
    }

    #[test]
    fn unusable_reports_are_400() {
        let cases = [
            (
                HostReport {
                    dpid: 0,
                    ..report()
                },
                "dpid",
            ),
            (
                HostReport {
                    vtep_ip: Some("10.0.0".into()),
                    ..report()
                },
                "10.0.0",
            ),
            (
                HostReport {
                    uplinks: vec![0],
                    ..report()
                },
                "uplink",
            ),
            (
                HostReport {
                    tunnel: Some(TunnelReport::PerPeer {
                        ports: [("peer".to_string(), 7)].into(),
                    }),
                    ..report()
                },
                "peer",
            ),
            (
                HostReport {
                    tunnel: Some(TunnelReport::Flow { port: 0xffff_fffe }),
                    ..report()
                },
                "tunnel port",
            ),
        ];
        let topo = ObservedTopology::default();
        for (r, needle) in cases {
            let e = topo.report("host1", r).unwrap_err();
            assert_eq!(e.status, 400);
            assert!(e.message.contains(needle), "{e} lacks {needle}");
        }
        assert!(topo.reports().is_empty());
        assert_eq!(*topo.version.borrow(), 0);
    }

    #[test]
    fn a_report_replaces_the_host_and_wakes_the_compiler_once() {
        let topo = ObservedTopology::default();
        let rx = topo.subscribe();
        topo.report("host1", report()).unwrap();
        assert_eq!(*rx.borrow(), 1);
        topo.report("host1", report()).unwrap(); // a keepalive
        assert_eq!(*rx.borrow(), 1);
        let moved = HostReport {
            endpoint_ports: [("t1:c1".to_string(), 9)].into(),
            ..report()
        };
        topo.report("host1", moved.clone()).unwrap();
        assert_eq!(*rx.borrow(), 2);
        assert_eq!(topo.reports(), [("host1".to_string(), moved)].into());
        assert_eq!(topo.get().hosts["host1"].endpoint_ports["t1:c1"], 9);
        let e = topo.report("host2", report()).unwrap_err();
        assert_eq!(e.status, 409, "{e}");
        assert_eq!(*rx.borrow(), 2);
    }

    #[test]
    fn gone_hosts_expire_unless_reporting_or_connected() {
        let topo = ObservedTopology::default();
        topo.report("host1", report()).unwrap();
        let other = HostReport {
            dpid: 2,
            ..report()
        };
        topo.report("host2", other).unwrap();
        let rx = topo.subscribe();
        let v = *rx.borrow();
        assert!(
            topo.expire(Duration::from_secs(60), &[]).is_empty(),
            "fresh"
        );
        std::thread::sleep(Duration::from_millis(30));
        // host1's switch is connected: it stays although its agent is silent.
        assert_eq!(topo.expire(Duration::from_millis(20), &[1]), ["host2"]);
        assert_eq!(*rx.borrow(), v + 1, "the compiler is woken");
        assert_eq!(topo.reports().keys().collect::<Vec<_>>(), ["host1"]);
        assert_eq!(topo.expire(Duration::from_millis(20), &[]), ["host1"]);
        assert!(topo.reports().is_empty());
        assert!(topo.expire(Duration::from_millis(20), &[]).is_empty());
    }

    #[test]
    fn directives_change_only_when_the_tunnels_do() {
        let topo = ObservedTopology::default();
        let rx = topo.directive_changes();
        let d = topo.directives("host1");
        assert_eq!((d.version, d.tunnels.len()), (0, 0));
        let wanted: BTreeMap<String, BTreeSet<Ipv4Addr>> =
            [("host1".to_string(), [Ipv4Addr::new(10, 200, 0, 2)].into())].into();
        let uplinks: BTreeMap<String, Vec<String>> =
            [("host1".to_string(), vec!["eth2".to_string()])].into();
        topo.set_directives(wanted.clone(), 4789, uplinks.clone());
        assert_eq!(*rx.borrow(), 1);
        topo.set_directives(wanted.clone(), 4789, uplinks.clone());
        assert_eq!(
            *rx.borrow(),
            1,
            "same tunnels, port and uplinks: no wake-up"
        );
        assert_eq!(topo.directives("host1").uplinks, ["eth2"]);
        let d = topo.directives("host1");
        assert_eq!(d.tunnels, ["10.200.0.2"]);
        assert_eq!((d.version, d.vxlan_port), (1, 4789));
        topo.set_directives(wanted, 8472, uplinks);
        assert_eq!(topo.directives("host1").vxlan_port, 8472);
        assert_eq!(topo.directives("host9").tunnels, Vec::<String>::new());
    }
}
