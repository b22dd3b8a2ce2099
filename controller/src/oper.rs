//! What netmaster shows of its operational state ([`Oper`], the [`OperService`] behind
//! `/api/v1/inspect/...`, `/version`, `/info`, `/api/v1/audit/`, `/api/v1/flows/` and
//! `/api/v1/trace`): Contiv's inspect of every object (with the multicast memberships it
//! snooped), where every switch stands against the latest compiled
//! snapshot, what a switch holds with the owner of each flow, and packet traces.

use crate::app::{Controller, SwitchView};
use crate::compiled::publisher::input_versions;
use crate::compiled::Compiled;
use crate::console::{self, feed::ConsoleFeed};
use crate::explain::live::LiveTraces;
use crate::explain::{switch_flows, trace};
use crate::inspect;
use crate::intent::service::IntentDb;
use crate::metrics::{Scrape, METRICS};
use crate::multicast::snooping::Snooping;
use crate::observed::reports::AgentReports;
use crate::reconcile::status::unix_ms;
use crate::replica::Leadership;
use northbound_api::audit::{Audit, SwitchAudit, SyncState};
use northbound_api::model::Kind;
use northbound_api::oper::{
    ConsoleState, NetmasterInfo, ObjectOper, OperError, OperFuture, OperService, ReplicaState,
    SwitchFlows, SwitchSelector, TraceReport, TraceRequest, VersionInfo, Writes,
};
use ofproto::msg::Role;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;

/// The host of an API URL (`http://10.0.0.1:9999` -> `10.0.0.1`; empty when it has none).
fn url_host(url: &str) -> String {
    url.parse::<http::Uri>()
        .ok()
        .and_then(|u| u.host().map(|h| h.trim_matches(['[', ']']).to_string()))
        .unwrap_or_default()
}

/// netmaster's operational-state service.
#[derive(Clone)]
pub struct Oper {
    /// The intent (for its version).
    pub intent: Arc<IntentDb>,
    /// The agents' reports (host names of switches, and their version).
    pub reports: Arc<AgentReports>,
    /// The multicast memberships.
    pub snooping: Arc<Snooping>,
    /// The switches' sessions and sync state.
    pub controller: Arc<Controller>,
    /// The compiled snapshots.
    pub compiled: watch::Receiver<Arc<Compiled>>,
    /// The live traces awaiting the agents.
    pub live: Arc<LiveTraces>,
    /// The web console's events and change version.
    pub console: Arc<ConsoleFeed>,
    /// The address the REST API serves (what `GET /info` calls this netmaster).
    pub api_addr: SocketAddr,
    /// Who leads the replicas (a single netmaster always leads).
    pub leadership: watch::Receiver<Leadership>,
}

impl OperService for Oper {
    fn inspect(&self, kind: Kind, key: &str) -> Option<ObjectOper> {
        let compiled = self.compiled.borrow().clone();
        inspect::object_oper(&compiled, &self.snooping, kind, key)
    }

    fn version(&self) -> VersionInfo {
        VersionInfo {
            git_commit: option_env!("NETPLUGIN_GIT_COMMIT")
                .unwrap_or_default()
                .into(),
            version: env!("CARGO_PKG_VERSION").into(),
            build_time: option_env!("NETPLUGIN_BUILD_TIME")
                .unwrap_or_default()
                .into(),
        }
    }

    fn info(&self) -> NetmasterInfo {
        let me = self.api_addr.ip().to_string();
        let leadership = self.leadership.borrow().clone();
        let leader_ip = match &leadership.leader {
            Some(url) => url_host(url),
            None => String::new(),
        };
        let mut nodes = vec![me.clone()];
        if !leader_ip.is_empty() && leader_ip != me {
            nodes.push(leader_ip.clone());
        }
        NetmasterInfo {
            current_state: match leadership.is_me {
                true => ReplicaState::Leader,
                false => ReplicaState::Follower,
            },
            leader_ip,
            leader_url: leadership.leader,
            local_ip: me,
            netmaster_nodes: nodes,
            netplugin_nodes: self.reports.hosts().keys().cloned().collect(),
        }
    }

    fn metrics(&self) -> String {
        let switches = self
            .controller
            .connected()
            .into_iter()
            .filter_map(|dpid| self.controller.switch(dpid))
            .map(|h| match h.info().role {
                Role::Master => "master",
                Role::Slave => "slave",
                _ => "equal",
            })
            .collect();
        METRICS.render(&Scrape {
            leader: self.leadership.borrow().is_me,
            switches,
            agents: self.reports.hosts().len(),
        })
    }

    fn record_request(&self, method: &str, route: &str, status: u16) {
        METRICS.request(method, route, status);
    }

    fn writes(&self) -> Writes {
        let leadership = self.leadership.borrow();
        match (&leadership.leader, leadership.is_me) {
            (_, true) => Writes::Here,
            (Some(url), false) => Writes::Leader(url.clone()),
            (None, false) => Writes::NoLeader,
        }
    }

    fn audit(&self) -> Audit {
        // The snapshot is read before the inputs' versions: if they still match, it has
        // every change.
        let compiled = self.compiled.borrow().clone();
        let pending =
            input_versions(&self.intent, &self.reports, &self.snooping) != compiled.inputs;
        let hosts: BTreeMap<u64, String> = self
            .reports
            .hosts()
            .into_iter()
            .map(|(name, h)| (h.dpid, name))
            .collect();
        let dpids: BTreeSet<u64> = compiled
            .switches
            .keys()
            .copied()
            .chain(self.controller.connected())
            .collect();
        let switches = dpids
            .into_iter()
            .map(|dpid| switch_audit(dpid, hosts.get(&dpid).cloned(), self.controller.view(dpid)))
            .collect();
        Audit {
            snapshot: compiled.number,
            compile_pending: pending,
            switches,
        }
    }

    fn flows(&self, switch: SwitchSelector, owner: Option<String>) -> OperFuture<SwitchFlows> {
        let controller = self.controller.clone();
        let compiled = self.compiled.borrow().clone();
        Box::pin(async move {
            switch_flows::read(&controller, &compiled, &switch, owner.as_deref()).await
        })
    }

    fn console(&self) -> OperFuture<ConsoleState> {
        let me = self.clone();
        Box::pin(async move { Ok(console::state::build(&me, &me.console).await) })
    }

    fn console_changes(&self) -> watch::Receiver<u64> {
        self.console.changes()
    }

    fn trace(&self, request: TraceRequest) -> OperFuture<TraceReport> {
        let compiled = self.compiled.borrow().clone();
        let live = self.live.clone();
        Box::pin(async move {
            let live_too = request.live;
            let mut report = tokio::task::spawn_blocking(move || trace::trace(&compiled, &request))
                .await
                .map_err(|e| OperError::Failed(format!("the trace failed: {e}")))??;
            if live_too {
                trace::add_live(&mut report, &live).await;
            }
            Ok(report)
        })
    }
}

fn switch_audit(dpid: u64, host: Option<String>, view: SwitchView) -> SwitchAudit {
    match view {
        SwitchView::Connected { handle, sync } => SwitchAudit {
            dpid,
            host,
            peer: Some(handle.info().peer),
            state: sync.state,
            since_ms: unix_ms(sync.since),
            snapshot: sync.snapshot,
            last_read: sync.last_read,
            reads: sync.reads,
            repairs: sync.repairs,
            error: sync.error,
        },
        SwitchView::Gone(since) => SwitchAudit {
            dpid,
            host,
            peer: None,
            state: SyncState::Disconnected,
            since_ms: unix_ms(since),
            snapshot: None,
            last_read: None,
            reads: 0,
            repairs: 0,
            error: None,
        },
    }
}
