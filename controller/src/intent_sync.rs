//! Keeps the desired state of every switch equal to the compiled intent: after every accepted
//! intent change (and every topology change), the whole intent is recompiled — a pure function —
//! and handed to the reconcilers, which send each switch only what changed for it.

use crate::compiler::{compile, HostPorts, Topology, TunnelMode};
use crate::desired_store::DesiredStore;
use crate::intent::service::IntentDb;
use crate::intent::Snapshot;
use northbound_api::agent::{AgentService, HostReport, TunnelReport};
use northbound_api::service::ApiError;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Instant;
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
#[derive(Default)]
pub struct ObservedTopology {
    topo: RwLock<Topology>,
    version: watch::Sender<u64>,
    file: Option<PathBuf>,
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
        Ok(ObservedTopology {
            topo: RwLock::new(topo),
            version: watch::Sender::new(0),
            file: Some(file),
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
}

/// The topology to compile with: the observed one, plus every intent host with a dpid that the
/// agents have not reported yet.
fn effective_topology(snapshot: &Snapshot, observed: &ObservedTopology) -> Topology {
    let mut topo = observed.get();
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
    let compiled = compile(&snapshot, &effective_topology(&snapshot, observed));
    let switches = compiled.len();
    let flows: usize = compiled.values().map(|s| s.flows.len()).sum();
    store.set_switches(compiled);
    info!(
        version = db.version(),
        switches,
        flows,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "intent compiled"
    );
}

/// Recompiles on every intent or topology change until the process ends.
pub async fn run(db: Arc<IntentDb>, observed: Arc<ObservedTopology>, store: Arc<DesiredStore>) {
    let mut intent = db.subscribe();
    let mut topo = observed.subscribe();
    loop {
        compile_now(&db, &observed, &store);
        tokio::select! {
            r = intent.changed() => if r.is_err() { return },
            r = topo.changed() => if r.is_err() { return },
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
}
