//! netmaster's Prometheus metrics (`GET /metrics`, admins only), with the conventional names
//! and units: `netmaster_` prefix, `_total` counters, `_seconds` durations.
//!
//! Events are counted where they happen, in one process-wide registry ([`METRICS`]): the
//! reconciler (reconciles by trigger and outcome, their duration, flow/group/meter mods sent,
//! bundles committed and failed, drift repairs), the packet-in dispatch (by application), the
//! REST API (requests by method, route and status) and the store (commit latency). What is a
//! state rather than an event (leadership, switches by role, agents reporting) is read when
//! scraped ([`Scrape`]).

use crate::compiler::dns::DNS_APP;
use crate::compiler::gateway::ECHO_APP;
use crate::compiler::multicast::IGMP_APP;
use crate::cookie::{Cookie, OwnerKind};
use crate::store::{Rows, Store, StoreError, Table, Txn};
use northbound_api::audit::Trigger;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

/// The process's metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// What started a reconcile, as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum TriggerLabel {
    /// A switch connected (or a new master took it over).
    connect,
    /// A new compiled snapshot.
    intent,
    /// The periodic audit.
    audit,
}

impl From<Trigger> for TriggerLabel {
    fn from(t: Trigger) -> TriggerLabel {
        match t {
            Trigger::Connect => TriggerLabel::connect,
            Trigger::Intent => TriggerLabel::intent,
            Trigger::Audit => TriggerLabel::audit,
        }
    }
}

/// How a reconcile ended, as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum ReconcileResult {
    /// The switch holds the desired state.
    ok,
    /// It failed (the switch refused, timed out).
    failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReconcileLabels {
    trigger: TriggerLabel,
    result: ReconcileResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ModLabels {
    kind: ModKind,
}

/// What a mod changes, as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
enum ModKind {
    flow,
    group,
    meter,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct BundleLabels {
    result: BundleResult,
}

/// How a bundle ended, as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum BundleResult {
    /// Committed: every message applied.
    committed,
    /// Refused: nothing applied.
    failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct AppLabels {
    app: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RoleLabels {
    role: &'static str,
}

/// Every metric.
pub struct Metrics {
    registry: Registry,
    leader: Gauge,
    switches: Family<RoleLabels, Gauge>,
    agents: Gauge,
    reconciles: Family<ReconcileLabels, Counter>,
    reconcile_seconds: Histogram,
    mods: Family<ModLabels, Counter>,
    bundles: Family<BundleLabels, Counter>,
    drift_repairs: Counter,
    packet_ins: Family<AppLabels, Counter>,
    requests: Family<RequestLabels, Counter>,
    commit_seconds: Histogram,
}

/// Durations from 0.5 ms to about 16 s.
fn seconds() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("netmaster");
        let m = Metrics {
            registry: Registry::default(),
            leader: Gauge::default(),
            switches: Family::default(),
            agents: Gauge::default(),
            reconciles: Family::default(),
            reconcile_seconds: seconds(),
            mods: Family::default(),
            bundles: Family::default(),
            drift_repairs: Counter::default(),
            packet_ins: Family::default(),
            requests: Family::default(),
            commit_seconds: seconds(),
        };
        registry.register(
            "leader",
            "Whether this netmaster leads (1) or follows (0); a single netmaster always leads",
            m.leader.clone(),
        );
        registry.register(
            "switches_connected",
            "Switches connected, by the OpenFlow role this netmaster holds on them",
            m.switches.clone(),
        );
        registry.register(
            "agents_reporting",
            "Hosts whose agent's report netmaster holds",
            m.agents.clone(),
        );
        registry.register(
            "reconciles",
            "Reconciles of a switch, by trigger and result",
            m.reconciles.clone(),
        );
        registry.register_with_unit(
            "reconcile_duration",
            "Time of a reconcile: reading the switch, the diff and the messages sent",
            Unit::Seconds,
            m.reconcile_seconds.clone(),
        );
        registry.register(
            "mods_sent",
            "Flow, group and meter mods sent to switches",
            m.mods.clone(),
        );
        registry.register("bundles", "ONF bundles sent, by result", m.bundles.clone());
        registry.register(
            "drift_repairs",
            "Audits that found a switch changed behind netmaster's back and repaired it",
            m.drift_repairs.clone(),
        );
        registry.register(
            "packet_ins",
            "Packets switches sent to netmaster, by the application whose flow sent them",
            m.packet_ins.clone(),
        );
        registry.register(
            "api_requests",
            "REST API requests, by method, route and status",
            m.requests.clone(),
        );
        registry.register_with_unit(
            "store_commit_duration",
            "Time of one store transaction (redb, or etcd for replicas)",
            Unit::Seconds,
            m.commit_seconds.clone(),
        );
        Metrics { registry, ..m }
    }

    /// A reconcile that ended: its trigger, whether it succeeded, how long it took.
    pub fn reconciled(&self, trigger: Trigger, ok: bool, took: Duration) {
        let result = match ok {
            true => ReconcileResult::ok,
            false => ReconcileResult::failed,
        };
        self.reconciles
            .get_or_create(&ReconcileLabels {
                trigger: trigger.into(),
                result,
            })
            .inc();
        self.reconcile_seconds.observe(took.as_secs_f64());
    }

    /// Mods a reconcile sent: flows, groups, meters; a drift repair when it was an `audit` of
    /// a switch that should have held its state already and any had to be sent.
    pub fn sent(&self, audit: bool, flows: u64, groups: u64, meters: u64) {
        for (kind, n) in [
            (ModKind::flow, flows),
            (ModKind::group, groups),
            (ModKind::meter, meters),
        ] {
            self.mods.get_or_create(&ModLabels { kind }).inc_by(n);
        }
        if audit && flows + groups + meters > 0 {
            self.drift_repairs.inc();
        }
    }

    /// A bundle that was committed or refused.
    pub fn bundle(&self, result: BundleResult) {
        self.bundles.get_or_create(&BundleLabels { result }).inc();
    }

    /// A packet-in sent by the flow with `cookie`.
    pub fn packet_in(&self, cookie: u64) {
        let app = match Cookie::parse(cookie) {
            Some(Cookie {
                kind: OwnerKind::PacketIn,
                id,
            }) => packet_in_app(id).unwrap_or("other"),
            _ => "other",
        };
        self.packet_ins.get_or_create(&AppLabels { app }).inc();
    }

    /// An API request answered.
    pub fn request(&self, method: &str, route: &str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status,
            })
            .inc();
    }

    /// The current state, then every metric in Prometheus's text format.
    pub fn render(&self, now: &Scrape) -> String {
        self.leader.set(i64::from(now.leader));
        for role in ["master", "slave", "equal"] {
            let n = now.switches.iter().filter(|r| **r == role).count();
            self.switches
                .get_or_create(&RoleLabels { role })
                .set(n as i64);
        }
        self.agents.set(now.agents as i64);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("encoding into a String does not fail");
        text
    }
}

/// The state a scrape reads.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    /// Whether this netmaster leads.
    pub leader: bool,
    /// The role held on every connected switch (`master`, `slave`, `equal`).
    pub switches: Vec<&'static str>,
    /// Hosts whose agent's report netmaster holds.
    pub agents: usize,
}

/// The name of the packet-in application a flow's cookie id names.
pub fn packet_in_app(id: u64) -> Option<&'static str> {
    match id {
        IGMP_APP => Some("igmp_snooping"),
        ECHO_APP => Some("gateway_echo"),
        DNS_APP => Some("dns"),
        _ => None,
    }
}

/// A store whose commits are timed.
pub struct TimedStore(pub Arc<dyn Store>);

impl Store for TimedStore {
    fn rows(&self, table: Table) -> Result<Rows, StoreError> {
        self.0.rows(table)
    }

    fn commit(&self, txn: &Txn) -> Result<(), StoreError> {
        let start = Instant::now();
        let done = self.0.commit(txn);
        METRICS
            .commit_seconds
            .observe(start.elapsed().as_secs_f64());
        done
    }

    fn read_through(&self, table: Table, key: &str) -> Option<Result<Option<Vec<u8>>, StoreError>> {
        self.0.read_through(table, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_has_the_conventional_names() {
        let m = Metrics::new();
        m.reconciled(Trigger::Connect, true, Duration::from_millis(3));
        m.sent(true, 2, 0, 1);
        m.bundle(BundleResult::committed);
        m.packet_in(Cookie::new(OwnerKind::PacketIn, DNS_APP));
        m.request("GET", "/api/v1/{collection}", 200);
        let text = m.render(&Scrape {
            leader: true,
            switches: vec!["master", "master", "slave"],
            agents: 2,
        });
        for line in [
            "netmaster_leader 1",
            "netmaster_switches_connected{role=\"master\"} 2",
            "netmaster_switches_connected{role=\"slave\"} 1",
            "netmaster_agents_reporting 2",
            "netmaster_reconciles_total{trigger=\"connect\",result=\"ok\"} 1",
            "netmaster_reconcile_duration_seconds_count 1",
            "netmaster_mods_sent_total{kind=\"flow\"} 2",
            "netmaster_mods_sent_total{kind=\"meter\"} 1",
            "netmaster_bundles_total{result=\"committed\"} 1",
            "netmaster_drift_repairs_total 1",
            "netmaster_packet_ins_total{app=\"dns\"} 1",
            "netmaster_api_requests_total{method=\"GET\",route=\"/api/v1/{collection}\",status=\"200\"} 1",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
    }
}
