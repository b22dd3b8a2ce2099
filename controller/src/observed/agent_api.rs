//! The controller's side of the agent protocol ([`AgentService`]): `PUT
//! /api/v1/agents/{host}/` stores the host's report ([`AgentReports`]) and wakes the compiler
//! (an identical report, e.g. a keepalive, only counts as a sign of life); the directives come
//! from the latest compiled snapshot; hosts that are gone are forgotten ([`AgentApi::expire`]);
//! live traces are handed to the agents and their answers taken ([`LiveTraces`]).

use super::liveness::Liveness;
use super::readiness::{readiness, SwitchSync};
use super::reports::{AgentReports, ReportError};
use crate::compiled::Compiled;
use crate::explain::live::LiveTraces;
use crate::intent::service::IntentDb;
use northbound_api::agent::{
    AgentService, EndpointReadiness, HostDirectives, HostReport, ReportRefused, TraceAnswer,
    TraceJob,
};
use northbound_api::model::Host;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::{info, warn};

/// The agent service over the reports and the compiled snapshot.
pub struct AgentApi {
    reports: Arc<AgentReports>,
    intent: Arc<IntentDb>,
    liveness: Liveness,
    compiled: watch::Receiver<Arc<Compiled>>,
    directives_version: watch::Receiver<u64>,
    live: Arc<LiveTraces>,
    sync: Arc<SwitchSync>,
}

impl AgentApi {
    /// The service over `reports` (every host loaded counts as seen now), checked against
    /// the hosts `intent` declares, serving the
    /// directives of the snapshots `compiled` receives; `directives_version` follows their
    /// [`Compiled::directives_version`] (see [`crate::compiled::publisher::Publisher`]),
    /// handing out the live traces of `live`, reading where the switches stand from `sync`.
    pub fn new(
        reports: Arc<AgentReports>,
        intent: Arc<IntentDb>,
        compiled: watch::Receiver<Arc<Compiled>>,
        directives_version: watch::Receiver<u64>,
        live: Arc<LiveTraces>,
        sync: Arc<SwitchSync>,
    ) -> AgentApi {
        let liveness = Liveness::seen_all(reports.hosts().keys(), Instant::now());
        AgentApi {
            reports,
            intent,
            liveness,
            compiled,
            directives_version,
            live,
            sync,
        }
    }

    /// Forgets every host that has not reported for `timeout` by `now` and whose switch is
    /// not connected (`connected` holds the datapath ids of the connected switches): a host
    /// whose agent restarts keeps its place, one that is gone altogether is compiled away, and
    /// its peers are asked to remove their tunnels to it. The forgotten hosts, by name.
    pub fn expire(&self, timeout: Duration, connected: &[u64], now: Instant) -> Vec<String> {
        let gone = self.reports.forget_if(|name, h| {
            !connected.contains(&h.dpid) && self.liveness.silent(name, timeout, now)
        });
        match gone {
            Ok(gone) => {
                for name in &gone {
                    self.liveness.forget(name);
                }
                gone
            }
            Err(e) => {
                warn!(error = %e, "gone hosts not forgotten");
                Vec::new()
            }
        }
    }
}

impl From<ReportError> for ReportRefused {
    fn from(e: ReportError) -> ReportRefused {
        let message = e.to_string();
        match e {
            ReportError::Invalid { .. } => ReportRefused::Invalid(message),
            ReportError::DpidTaken { .. }
            | ReportError::VtepTaken { .. }
            | ReportError::Contradicts { .. } => ReportRefused::Conflict(message),
            ReportError::Store(_) => ReportRefused::Failed(message),
        }
    }
}

impl AgentService for AgentApi {
    /// Replaces `host`'s entry: refused as invalid if the report does not convert, as a
    /// conflict if another reported host has the same dpid, as failed if the store failed
    /// (nothing changed then).
    fn report(&self, host: &str, report: HostReport) -> Result<(), ReportRefused> {
        northbound_api::name::check(host).map_err(|e| {
            ReportRefused::Invalid(format!("host name '{}' {e}", host.escape_debug()))
        })?;
        check_declared(host, &report, &self.intent.hosts())?;
        // Seen before stored: a host stored but not yet seen counts as silent, and the expiry
        // task could forget it in between.
        self.liveness.seen(host, Instant::now());
        self.reports.report(host, &report)?;
        Ok(())
    }

    fn reports(&self) -> BTreeMap<String, HostReport> {
        self.reports.reports()
    }

    fn directives(&self, host: &str) -> HostDirectives {
        let compiled = self.compiled.borrow().clone();
        let d = &compiled.directives;
        HostDirectives {
            version: compiled.directives_version,
            tunnels: d
                .tunnels
                .get(host)
                .map(|t| t.iter().copied().collect())
                .unwrap_or_default(),
            vxlan_port: d.vxlan_port,
            uplinks: d.uplinks.get(host).cloned().unwrap_or_default(),
            endpoints: d.endpoints.get(host).cloned().unwrap_or_default(),
        }
    }

    fn directive_changes(&self) -> watch::Receiver<u64> {
        self.directives_version.clone()
    }

    fn endpoint_readiness(&self, host: &str, key: &str, since: Option<u64>) -> EndpointReadiness {
        let compiled = self.compiled.borrow().clone();
        readiness(&compiled, &*self.sync, host, key, since)
    }

    fn trace_jobs(&self, host: &str) -> Vec<TraceJob> {
        self.live.jobs(host)
    }

    fn trace_job_changes(&self) -> watch::Receiver<u64> {
        self.live.queued()
    }

    fn trace_answer(&self, host: &str, id: u64, answer: TraceAnswer) -> Result<(), ReportRefused> {
        self.live
            .answer(host, id, answer)
            .map_err(|e| ReportRefused::Invalid(e.to_string()))
    }
}

/// Refuses a report of `host` that contradicts intent's `hosts`: another dpid or VTEP than
/// `host` declares, or the dpid or VTEP another host declares.
fn check_declared(
    host: &str,
    report: &HostReport,
    hosts: &imbl::OrdMap<String, Host>,
) -> Result<(), ReportError> {
    let contradicts = |what: String| ReportError::Contradicts {
        host: host.to_owned(),
        what,
    };
    if let Some(own) = hosts.get(host) {
        if let Some(d) = own.dpid.filter(|d| *d != report.dpid) {
            return Err(contradicts(format!(
                "reports dpid {:#x}, intent declares {d:#x}",
                report.dpid
            )));
        }
        if let (Some(v), Some(r)) = (own.vtep_ip, report.vtep_ip) {
            if v != r {
                return Err(contradicts(format!(
                    "reports VTEP {r}, intent declares {v}"
                )));
            }
        }
    }
    for (name, other) in hosts.iter().filter(|(name, _)| name.as_str() != host) {
        if other.dpid == Some(report.dpid) {
            return Err(contradicts(format!(
                "dpid {:#x} is declared for host `{name}`",
                report.dpid
            )));
        }
        if other.vtep_ip.is_some() && other.vtep_ip == report.vtep_ip {
            return Err(contradicts(format!(
                "VTEP {} is declared for host `{name}`",
                report.vtep_ip.expect("a VTEP")
            )));
        }
    }
    Ok(())
}

/// Forgets hosts that are gone ([`AgentApi::expire`]), checking four times per `timeout`;
/// `connected` lists the datapath ids of the connected switches.
pub async fn expire_hosts(
    api: Arc<AgentApi>,
    timeout: Duration,
    connected: impl Fn() -> Vec<u64> + Send + 'static,
) {
    let mut tick = tokio::time::interval((timeout / 4).max(Duration::from_millis(100)));
    loop {
        tick.tick().await;
        let gone = api.expire(timeout, &connected(), Instant::now());
        if !gone.is_empty() {
            info!(hosts = ?gone, "hosts gone: no report and no switch connection");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::publisher::Publisher;
    use crate::compiled::Directives;
    use crate::observed::reports::tests::report;
    use crate::observed::reports::{host_ports, host_report};
    use crate::store::MemStore;
    use northbound_api::agent::TunnelReport;
    use northbound_api::service::IntentService;
    use std::net::Ipv4Addr;

    /// A service over an empty memory store, and the publisher of its snapshots.
    fn api() -> (AgentApi, Publisher) {
        let reports = AgentReports::open(Arc::new(MemStore::default())).unwrap();
        let p = Publisher::default();
        let api = AgentApi::new(
            Arc::new(reports),
            Arc::new(IntentDb::in_memory()),
            p.subscribe(),
            p.directive_changes(),
            Arc::default(),
            Arc::new(|_| None),
        );
        (api, p)
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

    /// Reports whose addresses do not parse never get here: they are refused where the body is
    /// decoded (see northbound-api's `malformed_reports_are_400_naming_the_field`).
    #[test]
    fn unusable_reports_are_refused_as_invalid() {
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
                    uplinks: vec![0],
                    ..report()
                },
                "uplink",
            ),
            (
                HostReport {
                    tunnel: Some(TunnelReport::Flow { port: 0xffff_fffe }),
                    ..report()
                },
                "tunnel port",
            ),
        ];
        let (topo, _tx) = api();
        for (r, needle) in cases {
            let e = topo.report("host1", r).unwrap_err();
            assert!(matches!(e, ReportRefused::Invalid(_)), "{e:?}");
            assert!(e.to_string().contains(needle), "{e} lacks {needle}");
        }
        assert!(topo.reports().is_empty());
        assert_eq!(*topo.reports.subscribe().borrow(), 0);
    }

    #[test]
    fn a_report_replaces_the_host_and_wakes_the_compiler_once() {
        let (topo, _tx) = api();
        let rx = topo.reports.subscribe();
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
        assert_eq!(topo.reports.hosts()["host1"].endpoint_ports["t1:c1"], 9);
        let e = topo.report("host2", report()).unwrap_err();
        assert!(matches!(e, ReportRefused::Conflict(_)), "{e:?}");
        assert_eq!(*rx.borrow(), 2);
    }

    #[test]
    fn forged_reports_are_refused_and_change_nothing() {
        let (topo, _tx) = api();
        let host = |name: &str, dpid: u64, vtep: [u8; 4]| {
            northbound_api::model::Object::Host(Host {
                name: name.into(),
                vtep_ip: Some(Ipv4Addr::from(vtep)),
                uplinks: Vec::new(),
                dpid: Some(dpid),
            })
        };
        topo.intent
            .apply(northbound_api::service::Batch {
                upserts: vec![
                    host("host1", 1, [192, 168, 2, 10]),
                    host("host2", 2, [192, 168, 2, 11]),
                ],
                ..Default::default()
            })
            .unwrap();
        let rx = topo.reports.subscribe();
        let with = |dpid: u64, vtep: [u8; 4]| HostReport {
            dpid,
            vtep_ip: Some(Ipv4Addr::from(vtep)),
            ..report()
        };
        for (name, r, needle) in [
            (
                "host2",
                with(2, [6, 6, 6, 6]),
                "reports VTEP 6.6.6.6, intent declares 192.168.2.11",
            ),
            (
                "host2",
                with(7, [192, 168, 2, 11]),
                "reports dpid 0x7, intent declares 0x2",
            ),
            (
                "ghost",
                with(1, [10, 0, 0, 9]),
                "dpid 0x1 is declared for host `host1`",
            ),
            (
                "ghost",
                with(9, [192, 168, 2, 11]),
                "VTEP 192.168.2.11 is declared for host `host2`",
            ),
        ] {
            let e = topo.report(name, r).unwrap_err();
            assert!(matches!(e, ReportRefused::Conflict(_)), "{e:?}");
            assert!(e.to_string().contains(needle), "{e} lacks {needle}");
        }
        // Hosts intent does not declare: the first to report an address keeps it.
        topo.report("host3", with(3, [10, 0, 0, 3])).unwrap();
        let e = topo.report("host4", with(4, [10, 0, 0, 3])).unwrap_err();
        assert!(
            e.to_string()
                .contains("VTEP 10.0.0.3 is already host `host3`'s"),
            "{e}"
        );
        for bad in ["../../x", "h\u{1b}", "h\u{202e}", ""] {
            let e = topo.report(bad, with(5, [10, 0, 0, 5])).unwrap_err();
            assert!(matches!(e, ReportRefused::Invalid(_)), "{bad:?}: {e:?}");
        }
        assert_eq!(topo.reports().keys().collect::<Vec<_>>(), ["host3"]);
        assert_eq!(*rx.borrow(), 1);
        // The declared ones are accepted.
        topo.report("host2", with(2, [192, 168, 2, 11])).unwrap();
    }

    #[test]
    fn gone_hosts_expire_unless_reporting_or_connected() {
        let (topo, _tx) = api();
        topo.report("host1", report()).unwrap();
        let other = HostReport {
            dpid: 2,
            vtep_ip: Some(Ipv4Addr::new(192, 168, 2, 11)),
            ..report()
        };
        topo.report("host2", other).unwrap();
        let rx = topo.reports.subscribe();
        let v = *rx.borrow();
        let now = Instant::now();
        assert!(
            topo.expire(Duration::from_secs(60), &[], now).is_empty(),
            "fresh"
        );
        let later = now + Duration::from_millis(30);
        // host1's switch is connected: it stays although its agent is silent.
        assert_eq!(
            topo.expire(Duration::from_millis(20), &[1], later),
            ["host2"]
        );
        assert_eq!(*rx.borrow(), v + 1, "the compiler is woken");
        assert_eq!(topo.reports().keys().collect::<Vec<_>>(), ["host1"]);
        assert_eq!(
            topo.expire(Duration::from_millis(20), &[], later),
            ["host1"]
        );
        assert!(topo.reports().is_empty());
        assert!(topo
            .expire(Duration::from_millis(20), &[], later)
            .is_empty());
    }

    fn with_directives(tunnels: &[Ipv4Addr], vxlan_port: u16) -> Compiled {
        Compiled {
            directives: Directives {
                tunnels: imbl::OrdMap::unit("host1".to_string(), tunnels.iter().copied().collect()),
                vxlan_port,
                uplinks: [("host1".to_string(), vec!["eth2".to_string()])].into(),
                endpoints: imbl::OrdMap::new(),
            },
            ..Compiled::default()
        }
    }

    #[test]
    fn directives_change_only_when_the_tunnels_do() {
        let (topo, p) = api();
        let rx = topo.directive_changes();
        let d = topo.directives("host1");
        assert_eq!((d.version, d.tunnels.len()), (0, 0));
        let peer = [Ipv4Addr::new(10, 200, 0, 2)];
        p.publish(with_directives(&peer, 4789));
        assert_eq!(*rx.borrow(), 1);
        p.publish(with_directives(&peer, 4789));
        assert_eq!(
            *rx.borrow(),
            1,
            "same tunnels, port and uplinks: no wake-up"
        );
        assert_eq!(topo.directives("host1").uplinks, ["eth2"]);
        let d = topo.directives("host1");
        assert_eq!(d.tunnels, peer);
        assert_eq!((d.version, d.vxlan_port), (1, 4789));
        p.publish(with_directives(&peer, 8472));
        assert_eq!(topo.directives("host1").vxlan_port, 8472);
        assert_eq!(*rx.borrow(), 2);
        assert!(topo.directives("host9").tunnels.is_empty());
    }
}
