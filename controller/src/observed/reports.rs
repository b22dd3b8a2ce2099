//! The agents' host reports: validated, kept in the store's `agents` table (one row per host,
//! written in a store transaction before the report is acknowledged) and in memory for the
//! compiler. Hosts declared in intent but not reported yet are compiled from their intent
//! alone; once a host's agent reports, its report replaces that.

use crate::compiler::{HostPorts, TunnelMode};
use crate::store::{decode, encode, Store, StoreError, Table, Txn};
use northbound_api::agent::{HostReport, TunnelReport};
use northbound_api::{addr, name};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::watch;

/// Why a report was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The report does not describe a usable bridge (a 400).
    #[error("host `{host}`: {what}")]
    Invalid {
        /// The reporting host.
        host: String,
        /// What is wrong.
        what: String,
    },
    /// Another host already reported the same datapath id (a 409).
    #[error("host `{host}`: dpid {dpid:#x} is already host `{other}`'s")]
    DpidTaken {
        /// The reporting host.
        host: String,
        /// The datapath id.
        dpid: u64,
        /// The host that has it.
        other: String,
    },
    /// Another host already reported the same VTEP address (a 409): its tunnels would
    /// carry this host's traffic.
    #[error("host `{host}`: VTEP {vtep} is already host `{other}`'s")]
    VtepTaken {
        /// The reporting host.
        host: String,
        /// The address.
        vtep: std::net::Ipv4Addr,
        /// The host that has it.
        other: String,
    },
    /// The report contradicts what intent declares (a 409).
    #[error("host `{host}`: {what}")]
    Contradicts {
        /// The reporting host.
        host: String,
        /// How.
        what: String,
    },
    /// The store failed: the report was not kept (a 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The highest OpenFlow port number of a physical or logical port (`OFPP_MAX`).
const OFPP_MAX: u32 = 0xffff_ff00;

fn invalid(host: &str, what: String) -> ReportError {
    ReportError::Invalid {
        host: host.to_owned(),
        what,
    }
}

/// `port` as a port of `host`'s bridge, or an error naming `what`.
fn check_port(host: &str, what: &str, port: u32) -> Result<u32, ReportError> {
    if (1..=OFPP_MAX).contains(&port) {
        Ok(port)
    } else {
        Err(invalid(
            host,
            format!("{what}: {port} is not an OpenFlow port number (1..={OFPP_MAX})"),
        ))
    }
}

/// Refuses an endpoint key that is not `tenant:container` or `tenant:container:interface`
/// with valid names.
fn check_endpoint_key(host: &str, key: &str) -> Result<(), ReportError> {
    let parts: Vec<&str> = key.split(':').collect();
    let valid = (2..=3).contains(&parts.len()) && parts.iter().all(|p| name::check(p).is_ok());
    if valid {
        Ok(())
    } else {
        Err(invalid(
            host,
            format!(
                "endpoint key {key:?} is not tenant:container or tenant:container:interface (valid names)"
            ),
        ))
    }
}

/// A host report as the compiler's [`HostPorts`]: refused if its dpid is 0 or a port is not an
/// OpenFlow port number.
pub fn host_ports(host: &str, report: &HostReport) -> Result<HostPorts, ReportError> {
    if report.dpid == 0 {
        return Err(invalid(host, "dpid must not be 0".into()));
    }
    let mut h = HostPorts::new(report.dpid);
    if let Some(vtep) = report.vtep_ip.filter(|ip| !addr::is_host_address(*ip)) {
        return Err(invalid(
            host,
            format!("vtepIp {vtep} is not a host's unicast address (0/8, loopback, multicast and 240/4 are not)"),
        ));
    }
    h.vtep_ip = report.vtep_ip;
    for (key, &port) in &report.endpoint_ports {
        check_endpoint_key(host, key)?;
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
            for (&ip, &port) in ports {
                by_vtep.insert(ip, check_port(host, &format!("tunnel port to {ip}"), port)?);
            }
            Some(TunnelMode::PerPeer { ports: by_vtep })
        }
    };
    Ok(h)
}

/// The report that [`host_ports`] converts into `h`.
pub fn host_report(h: &HostPorts) -> HostReport {
    HostReport {
        dpid: h.dpid,
        vtep_ip: h.vtep_ip,
        endpoint_ports: h.endpoint_ports.clone(),
        uplinks: h.uplinks.clone(),
        tunnel: h.tunnel.as_ref().map(|t| match t {
            TunnelMode::Flow { port } => TunnelReport::Flow { port: *port },
            TunnelMode::PerPeer { ports } => TunnelReport::PerPeer {
                ports: ports.clone(),
            },
        }),
    }
}

/// Every host's latest report, in the store and in memory.
pub struct AgentReports {
    store: Arc<dyn Store>,
    /// Serialises writers: the dpid check, the store commit and the memory update are one step.
    writer: Mutex<()>,
    hosts: RwLock<imbl::OrdMap<String, HostPorts>>,
    version: watch::Sender<u64>,
}

impl AgentReports {
    /// The reports kept in `store` (its `agents` table).
    pub fn open(store: Arc<dyn Store>) -> Result<AgentReports, StoreError> {
        Ok(AgentReports {
            hosts: RwLock::new(Self::load(store.as_ref())?),
            store,
            writer: Mutex::new(()),
            version: watch::channel(0).0,
        })
    }

    /// Loads the reports again from the store, which another replica changed; the version is
    /// bumped when they differ.
    pub fn reload(&self) -> Result<(), StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let hosts = Self::load(self.store.as_ref())?;
        let changed = {
            let mut current = self.hosts.write().expect("reports lock");
            let changed = *current != hosts;
            *current = hosts;
            changed
        };
        if changed {
            self.version.send_modify(|v| *v += 1);
        }
        Ok(())
    }

    fn load(store: &dyn Store) -> Result<imbl::OrdMap<String, HostPorts>, StoreError> {
        let mut hosts = imbl::OrdMap::new();
        for (host, bytes) in &store.rows(Table::Agents)? {
            let report: HostReport = decode(Table::Agents, host, bytes)?;
            let ports = host_ports(host, &report).map_err(|e| StoreError::Invalid {
                table: Table::Agents,
                key: host.clone(),
                message: e.to_string(),
            })?;
            hosts.insert(host.clone(), ports);
        }
        Ok(hosts)
    }

    /// Replaces `host`'s report, durably before it returns: refused if it does not convert
    /// (see [`host_ports`]) or another host has the same dpid (one switch cannot be two
    /// hosts) or the same VTEP address. Whether it changed anything (an identical report, e.g. a keepalive, does not).
    pub fn report(&self, host: &str, report: &HostReport) -> Result<bool, ReportError> {
        let ports = host_ports(host, report)?;
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        {
            let hosts = self.hosts.read().expect("reports lock");
            if let Some((other, _)) = hosts
                .iter()
                .find(|(name, h)| h.dpid == ports.dpid && name.as_str() != host)
            {
                return Err(ReportError::DpidTaken {
                    host: host.to_owned(),
                    dpid: ports.dpid,
                    other: other.clone(),
                });
            }
            if let Some((other, _)) = hosts.iter().find(|(name, h)| {
                h.vtep_ip.is_some() && h.vtep_ip == ports.vtep_ip && name.as_str() != host
            }) {
                return Err(ReportError::VtepTaken {
                    host: host.to_owned(),
                    vtep: ports.vtep_ip.expect("a VTEP"),
                    other: other.clone(),
                });
            }
            if hosts.get(host) == Some(&ports) {
                return Ok(false);
            }
        }
        let mut txn = Txn::default();
        txn.put(Table::Agents, host, encode(&host_report(&ports)));
        self.store.commit(&txn)?;
        self.hosts
            .write()
            .expect("reports lock")
            .insert(host.to_owned(), ports);
        self.version.send_modify(|v| *v += 1);
        Ok(true)
    }

    /// Forgets every host for which `gone` says so (in one store transaction); the hosts
    /// forgotten, by name.
    pub fn forget_if(
        &self,
        mut gone: impl FnMut(&str, &HostPorts) -> bool,
    ) -> Result<Vec<String>, StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let stale: Vec<String> = self
            .hosts
            .read()
            .expect("reports lock")
            .iter()
            .filter(|(name, h)| gone(name, h))
            .map(|(name, _)| name.clone())
            .collect();
        if stale.is_empty() {
            return Ok(stale);
        }
        let mut txn = Txn::default();
        for name in &stale {
            txn.delete(Table::Agents, name.as_str());
        }
        self.store.commit(&txn)?;
        let mut hosts = self.hosts.write().expect("reports lock");
        for name in &stale {
            hosts.remove(name);
        }
        drop(hosts);
        self.version.send_modify(|v| *v += 1);
        Ok(stale)
    }

    /// Every reported host's ports, by host name.
    pub fn hosts(&self) -> imbl::OrdMap<String, HostPorts> {
        self.hosts.read().expect("reports lock").clone()
    }

    /// Every host's latest report, by host name.
    pub fn reports(&self) -> BTreeMap<String, HostReport> {
        self.hosts
            .read()
            .expect("reports lock")
            .iter()
            .map(|(name, h)| (name.clone(), host_report(h)))
            .collect()
    }

    /// A receiver of the version, bumped whenever the reports change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// How many changes there were so far (what [`Self::subscribe`] receives).
    pub fn version(&self) -> u64 {
        *self.version.borrow()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::{MemStore, RedbStore};

    /// A report of host1 with endpoints, uplinks and a per-peer tunnel.
    pub(crate) fn report() -> HostReport {
        HostReport {
            dpid: 0x1,
            vtep_ip: Some("192.168.2.10".parse().unwrap()),
            endpoint_ports: [("t1:c1".to_string(), 5), ("t1:c2".to_string(), 6)].into(),
            uplinks: vec![2, 3],
            tunnel: Some(TunnelReport::PerPeer {
                ports: [("192.168.2.11".parse().unwrap(), 7)].into(),
            }),
        }
    }

    #[test]
    fn reports_survive_a_restart_in_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("intent.redb");
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(&path).unwrap());
        let reports = AgentReports::open(store.clone()).unwrap();
        assert!(reports.reports().is_empty());
        assert!(reports.report("host1", &report()).unwrap());
        drop((reports, store));
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(&path).unwrap());
        let again = AgentReports::open(store.clone()).unwrap();
        assert_eq!(
            again.reports(),
            [(
                "host1".to_string(),
                host_report(&host_ports("host1", &report()).unwrap())
            )]
            .into()
        );
        assert_eq!(again.hosts()["host1"].endpoint_ports["t1:c1"], 5);
        let mut txn = Txn::default();
        txn.put(Table::Agents, "host2", b"{ not json".to_vec());
        store.commit(&txn).unwrap();
        let e = AgentReports::open(store).err().unwrap();
        assert!(e.to_string().contains("agents `host2`"), "{e}");
    }

    #[test]
    fn a_refused_report_is_not_stored() {
        let store: Arc<dyn Store> = Arc::new(MemStore::default());
        let reports = AgentReports::open(store.clone()).unwrap();
        reports.report("host1", &report()).unwrap();
        let e = reports.report("host2", &report()).unwrap_err();
        assert!(matches!(e, ReportError::DpidTaken { dpid: 1, .. }), "{e}");
        let bad = HostReport {
            dpid: 0,
            ..report()
        };
        assert!(matches!(
            reports.report("host3", &bad),
            Err(ReportError::Invalid { .. })
        ));
        let big_port = HostReport {
            endpoint_ports: [("t1:c1".to_string(), 2_147_483_648)].into(),
            ..report()
        };
        assert!(
            host_ports("host3", &big_port).is_ok(),
            "a port past i32 is a port"
        );
        for key in [
            "c1",
            "t1:",
            ":c1",
            "t1:c\u{1b}1",
            "t1:a b",
            "t1:c:",
            "t1:c:eth1:x",
        ] {
            let bad = HostReport {
                endpoint_ports: [(key.to_string(), 5)].into(),
                ..report()
            };
            let e = reports.report("host3", &bad).unwrap_err();
            assert!(
                e.to_string().contains("not tenant:container"),
                "{key:?}: {e}"
            );
        }
        for vtep in ["0.0.1.0", "127.0.0.1", "224.0.0.5", "255.255.255.255"] {
            let bad = HostReport {
                dpid: 3,
                vtep_ip: Some(vtep.parse().unwrap()),
                ..report()
            };
            let e = reports.report("host3", &bad).unwrap_err();
            assert!(
                e.to_string().contains("not a host's unicast address"),
                "{vtep}: {e}"
            );
        }
        let rows = store.rows(Table::Agents).unwrap();
        assert_eq!(rows.keys().collect::<Vec<_>>(), ["host1"]);
    }

    #[test]
    fn forgotten_hosts_leave_the_store() {
        let store: Arc<dyn Store> = Arc::new(MemStore::default());
        let reports = AgentReports::open(store.clone()).unwrap();
        reports.report("host1", &report()).unwrap();
        let rx = reports.subscribe();
        assert!(reports.forget_if(|_, _| false).unwrap().is_empty());
        assert_eq!(*rx.borrow(), 1, "nothing forgotten: no wake-up");
        assert_eq!(reports.forget_if(|h, _| h == "host1").unwrap(), ["host1"]);
        assert_eq!(*rx.borrow(), 2);
        assert!(store.rows(Table::Agents).unwrap().is_empty());
    }
}
