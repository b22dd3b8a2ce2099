//! In-memory `IntentService` and `AgentService` doubles for testing the HTTP layer, and a real
//! server over them.
#![allow(dead_code)] // each test crate uses a part

use axum::http::StatusCode;
use northbound_api::addr::{Ipv4Addr, MacAddr};
use northbound_api::agent::{AgentService, HostDirectives, HostReport, ReportRefused};
use northbound_api::audit::{Audit, SwitchAudit, SyncState};
use northbound_api::auth::Access;
use northbound_api::flows::{FlowLine, FlowOwner, OwnerKind};
use northbound_api::model::{Kind, Object};
use northbound_api::oper::{
    MulticastGroupOper, MulticastMemberOper, NetmasterInfo, NetworkOper, ObjectOper, OperError,
    OperFuture, OperService, ReplicaState, SwitchFlows, SwitchSelector, TraceReport, TraceRequest,
    VersionInfo,
};
use northbound_api::rest::{router, Services};
use northbound_api::serve::{serve, Limits};
use northbound_api::service::{Batch, IntentError, IntentService};
use northbound_api::trace::{TraceTarget, Verdict};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Objects in a map; all-or-nothing batches; endpoints get a MAC when they have none; a
/// network with `pktTag` 0 is refused (invalid).
#[derive(Default)]
pub struct MemService {
    objects: Mutex<BTreeMap<(Kind, String), Object>>,
}

impl MemService {
    /// How many objects of a kind are stored.
    pub fn count(&self, kind: Kind) -> usize {
        self.list(kind).len()
    }
}

impl IntentService for MemService {
    fn list(&self, kind: Kind) -> Vec<Object> {
        let objects = self.objects.lock().unwrap();
        objects
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, o)| o.clone())
            .collect()
    }

    fn get(&self, kind: Kind, key: &str) -> Option<Object> {
        let objects = self.objects.lock().unwrap();
        objects.get(&(kind, key.to_string())).cloned()
    }

    fn apply(&self, batch: Batch) -> Result<Vec<Object>, IntentError> {
        let mut objects = self.objects.lock().unwrap();
        let mut next = objects.clone();
        if batch.replace {
            let keep: Vec<_> = batch.upserts.iter().map(|o| (o.kind(), o.key())).collect();
            next.retain(|k, _| keep.contains(k));
        }
        for (kind, key) in batch.deletes {
            if next.remove(&(kind, key.clone())).is_none() {
                return Err(IntentError::NotFound(format!(
                    "{} `{key}` not found",
                    kind.collection()
                )));
            }
        }
        let mut stored = Vec::new();
        for mut object in batch.upserts {
            let key = object.key();
            match &mut object {
                Object::Network(n) if n.pkt_tag == Some(0) => {
                    return Err(IntentError::Invalid(format!(
                        "network `{key}`: pktTag 0 is not a tag"
                    )));
                }
                Object::Endpoint(e) if e.mac_address.is_none() => {
                    e.mac_address = Some(MacAddr([2, 0, 0, 0, 0, (next.len() % 256) as u8]));
                }
                _ => {}
            }
            next.insert((object.kind(), object.key()), object.clone());
            stored.push(object);
        }
        *objects = next;
        Ok(stored)
    }
}

/// Host reports in a map; a report with dpid 0 is refused (400). Directives are set by the
/// test ([`MemAgents::set_tunnels`]).
#[derive(Default)]
pub struct MemAgents {
    reports: Mutex<BTreeMap<String, HostReport>>,
    tunnels: Mutex<BTreeMap<String, Vec<Ipv4Addr>>>,
    version: tokio::sync::watch::Sender<u64>,
}

impl MemAgents {
    /// How many directives long polls are waiting for a change now.
    pub fn waiting_polls(&self) -> usize {
        self.version.receiver_count()
    }

    /// Waits (up to 30 s) until a directives long poll is waiting for a change.
    pub fn await_poll(&self) {
        let start = std::time::Instant::now();
        while self.waiting_polls() == 0 {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "no long poll started waiting"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Sets the tunnels wanted on `host` and bumps the directives' version.
    pub fn set_tunnels(&self, host: &str, tunnels: &[&str]) {
        self.tunnels.lock().unwrap().insert(
            host.to_string(),
            tunnels.iter().map(|t| t.parse().unwrap()).collect(),
        );
        self.version.send_modify(|v| *v += 1);
    }
}

impl AgentService for MemAgents {
    fn report(&self, host: &str, report: HostReport) -> Result<(), ReportRefused> {
        if report.dpid == 0 {
            return Err(ReportRefused::Invalid(format!("host `{host}`: dpid 0")));
        }
        self.reports
            .lock()
            .unwrap()
            .insert(host.to_string(), report);
        Ok(())
    }

    fn reports(&self) -> BTreeMap<String, HostReport> {
        self.reports.lock().unwrap().clone()
    }

    fn directives(&self, host: &str) -> HostDirectives {
        HostDirectives {
            version: *self.version.borrow(),
            tunnels: self
                .tunnels
                .lock()
                .unwrap()
                .get(host)
                .cloned()
                .unwrap_or_default(),
            vxlan_port: 4789,
            uplinks: Vec::new(),
            endpoints: Vec::new(),
        }
    }

    fn directive_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn endpoint_readiness(
        &self,
        host: &str,
        key: &str,
        _: Option<u64>,
    ) -> northbound_api::agent::EndpointReadiness {
        // Usable once its host reported it.
        let ready = self
            .reports
            .lock()
            .unwrap()
            .get(host)
            .is_some_and(|r| r.endpoint_ports.contains_key(key));
        northbound_api::agent::EndpointReadiness {
            endpoint: key.to_string(),
            snapshot: ready.then_some(1),
            waiting: Vec::new(),
            ready,
        }
    }
    /// No live trace is ever queued here.
    fn trace_jobs(&self, _: &str) -> Vec<northbound_api::agent::TraceJob> {
        Vec::new()
    }

    fn trace_job_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn trace_answer(
        &self,
        host: &str,
        id: u64,
        _: northbound_api::agent::TraceAnswer,
    ) -> Result<(), ReportRefused> {
        Err(ReportRefused::Invalid(format!(
            "no live trace {id} of host `{host}` is awaited"
        )))
    }
}

/// An admin's token in [`TOKENS`].
pub const ADMIN: &str = "admin-token-0123456789";
/// Tenant `acme`'s token in [`TOKENS`].
pub const ACME: &str = "acme-token-0123456789";
/// The agent of host `node-a`'s token in [`TOKENS`].
pub const AGENT_A: &str = "node-a-token-0123456789";

/// A token file with an admin, a tenant (`acme`) and an agent (`node-a`) token.
pub const TOKENS: &str = r#"{"tokens": [
    {"token": "admin-token-0123456789", "role": "admin"},
    {"token": "acme-token-0123456789", "role": "tenant", "tenant": "acme"},
    {"token": "node-a-token-0123456789", "role": "agent", "host": "node-a"}]}"#;

/// Operational state as a fixed answer: version 9.9.9, one leader and agent `h1`; every
/// network has group 239.1.1.1 with member
/// `<tenant>:c1` on host `h1`; the audit shows switch 1 of `h1` in sync with snapshot 4 and
/// switch 2 disconnected; switch 1 holds a base-pipeline flow and a flow of endpoint
/// `t1:c1`; a trace from `c1` of any tenant to `c2` is delivered, any other is not found.
#[derive(Default)]
pub struct FixedOper;

impl OperService for FixedOper {
    fn inspect(&self, kind: Kind, key: &str) -> Option<ObjectOper> {
        let tenant = key.split(':').next().unwrap_or_default();
        (kind == Kind::Network).then(|| {
            ObjectOper::Network(NetworkOper {
                network: key.into(),
                multicast_groups: vec![MulticastGroupOper {
                    group: "239.1.1.1".into(),
                    members: vec![MulticastMemberOper {
                        endpoint: format!("{tenant}:c1"),
                        host: "h1".into(),
                        expires_in_ms: 1000,
                    }],
                }],
                ..NetworkOper::default()
            })
        })
    }

    fn version(&self) -> VersionInfo {
        VersionInfo {
            git_commit: "0123abc".into(),
            version: "9.9.9".into(),
            build_time: String::new(),
        }
    }

    fn info(&self) -> NetmasterInfo {
        NetmasterInfo {
            leader_url: None,
            current_state: ReplicaState::Leader,
            leader_ip: "127.0.0.1".into(),
            local_ip: "127.0.0.1".into(),
            netmaster_nodes: vec!["127.0.0.1".into()],
            netplugin_nodes: vec!["h1".into()],
        }
    }

    fn audit(&self) -> Audit {
        let switch = |dpid, state, snapshot| SwitchAudit {
            dpid,
            host: (dpid == 1).then(|| "h1".to_string()),
            peer: None,
            state,
            since_ms: 1_700_000_000_000,
            snapshot,
            last_read: None,
            reads: 0,
            repairs: 0,
            error: None,
        };
        Audit {
            snapshot: 4,
            compile_pending: false,
            switches: vec![
                switch(1, SyncState::InSync, Some(4)),
                switch(2, SyncState::Disconnected, None),
            ],
        }
    }

    fn flows(&self, switch: SwitchSelector, owner: Option<String>) -> OperFuture<SwitchFlows> {
        Box::pin(async move {
            if !matches!(&switch, SwitchSelector::Dpid(1))
                && switch != SwitchSelector::Host("h1".into())
            {
                return Err(OperError::NotFound(format!("no switch {switch:?}")));
            }
            let line = |table, owner| FlowLine {
                table,
                priority: 0,
                cookie: 0,
                packets: 0,
                bytes: 0,
                text: format!("table={table}, priority=0 actions=drop"),
                owner,
            };
            let flows = vec![
                line(0, FlowOwner::of(OwnerKind::BasePipeline, Vec::new())),
                line(10, FlowOwner::of(OwnerKind::Endpoint, vec!["t1:c1".into()])),
            ];
            Ok(SwitchFlows {
                dpid: 1,
                host: Some("h1".into()),
                snapshot: 4,
                flows: flows
                    .into_iter()
                    .filter(|f| owner.as_deref().is_none_or(|o| f.owner.selected_by(o)))
                    .collect(),
            })
        })
    }

    fn trace(&self, request: TraceRequest) -> OperFuture<TraceReport> {
        Box::pin(async move { fixed_trace(request) })
    }

    /// One host `h1`, in sync.
    fn console(&self) -> OperFuture<northbound_api::oper::ConsoleState> {
        Box::pin(async {
            Ok(northbound_api::oper::ConsoleState {
                snapshot: 4,
                hosts: vec![northbound_api::console::ConsoleHost {
                    name: "h1".into(),
                    dpid: 1,
                    vtep: None,
                    state: SyncState::InSync,
                    desired_flows: 2,
                    flows: Some(2),
                    repairs: 0,
                    endpoints: 1,
                    uplinks: 0,
                    tunnels: 0,
                }],
                ..Default::default()
            })
        })
    }

    fn console_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        tokio::sync::watch::channel(0).1
    }

    fn writes(&self) -> northbound_api::oper::Writes {
        northbound_api::oper::Writes::Here
    }
}

/// [`FixedOper`]'s trace.
fn fixed_trace(request: TraceRequest) -> Result<TraceReport, OperError> {
    {
        if request.from != "c1" || request.to != TraceTarget::Endpoint("c2".into()) {
            return Err(OperError::NotFound("no such endpoint".into()));
        }
        let to = format!("{}:c2", request.tenant);
        Ok(TraceReport {
            snapshot: 4,
            packet: "icmp".into(),
            hops: Vec::new(),
            verdict: Verdict {
                summary: format!("delivered to {to}"),
                delivered_to: vec![to],
                left_fabric: Vec::new(),
                dropped: Vec::new(),
                live_agrees: None,
            },
        })
    }
}

/// Serves the router over `svc` (and an empty [`MemAgents`]) on a loopback port, in a thread
/// of its own; the base URL.
pub fn spawn_server(svc: Arc<MemService>) -> String {
    spawn_server_with(svc, Arc::new(MemAgents::default()))
}

/// Serves the router over `svc` and `agents` on a loopback port, in a thread of its own; the
/// base URL.
pub fn spawn_server_with(svc: Arc<MemService>, agents: Arc<MemAgents>) -> String {
    let services = Services {
        intent: svc,
        agents,
        oper: Arc::new(FixedOper),
    };
    let addr = serve_on_loopback(services, Access::Open, Limits::default(), None);
    format!("http://{addr}")
}

/// Serves the router over `services` with `access` as netmaster does (within `limits`, over
/// `tls` if given), on a loopback port in a thread of its own; the address.
pub fn serve_on_loopback(
    services: Services,
    access: Access,
    limits: Limits,
    tls: Option<northbound_api::tls::TlsAcceptor>,
) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            serve(listener, router(services, access), limits, tls).await;
        });
    });
    addr
}

/// A response's status and JSON body (`null` when empty).
pub async fn status_and_json(response: axum::response::Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, value)
}

/// The path of an example file.
pub fn example(name: &str) -> String {
    let mut dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("examples").is_dir() {
        dir = dir.parent().expect("the workspace has an examples folder");
    }
    dir.join("examples").join(name).display().to_string()
}
