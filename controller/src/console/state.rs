//! The document the web console draws ([`ConsoleState`]): hosts and their switches' sync
//! state and flow counts, the links between them, every tenant's networks, endpoints,
//! multicast groups and policies with their rules' hit counters, and the recent events.

use super::feed::ConsoleFeed;
use crate::app::SwitchView;
use crate::compiled::Compiled;
use crate::explain::owners::Owners;
use crate::oper::Oper;
use northbound_api::audit::{Audit, SyncState};
use northbound_api::console::{
    ConsoleEndpoint, ConsoleGroup, ConsoleHost, ConsoleLink, ConsoleNetwork, ConsolePolicy,
    ConsoleRule, ConsoleState, ConsoleTenant, LinkKind, PHYSICAL_NETWORK,
};
use northbound_api::flows::OwnerKind;
use northbound_api::model::{Direction, Rule, RuleAction};
use northbound_api::oper::OperService;
use ofproto::multipart::FlowStats;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the switches' flows read for the console are reused.
pub const READ_EVERY: Duration = Duration::from_secs(2);

/// The flows of every connected switch, by datapath id, as last read.
pub type Reads = BTreeMap<u64, Vec<FlowStats>>;

/// The flows of the connected switches, read at most every [`READ_EVERY`] (concurrent
/// requests share one read).
#[derive(Default)]
pub struct FlowReads(tokio::sync::Mutex<Option<(Instant, Arc<Reads>)>>);

impl FlowReads {
    async fn get(&self, oper: &Oper) -> Arc<Reads> {
        let mut cached = self.0.lock().await;
        if let Some((at, reads)) = cached.as_ref() {
            if at.elapsed() < READ_EVERY {
                return reads.clone();
            }
        }
        let reads = futures_util::future::join_all(oper.controller.connected().into_iter().map(
            |dpid| async move {
                match oper.controller.view(dpid) {
                    SwitchView::Connected { handle, .. } => {
                        handle.flow_stats().await.ok().map(|f| (dpid, f))
                    }
                    SwitchView::Gone(_) => None,
                }
            },
        ))
        .await;
        let reads = Arc::new(reads.into_iter().flatten().collect::<Reads>());
        *cached = Some((Instant::now(), reads.clone()));
        reads
    }
}

/// The console's document now.
pub async fn build(oper: &Oper, feed: &ConsoleFeed) -> ConsoleState {
    let compiled = oper.compiled.borrow().clone();
    let audit = oper.audit();
    let reads = feed.reads.get(oper).await;
    ConsoleState {
        snapshot: compiled.number,
        hosts: hosts(&compiled, &audit, &reads),
        links: links(&compiled),
        tenants: tenants(oper, &compiled, &reads),
        events: feed.events(),
    }
}

fn hosts(compiled: &Compiled, audit: &Audit, reads: &Reads) -> Vec<ConsoleHost> {
    compiled
        .topology
        .hosts
        .iter()
        .map(|(name, h)| {
            let sw = audit.switches.iter().find(|s| s.dpid == h.dpid);
            ConsoleHost {
                name: name.clone(),
                dpid: h.dpid,
                vtep: h.vtep_ip.map(|v| v.to_string()),
                state: sw.map_or(SyncState::Disconnected, |s| s.state),
                desired_flows: compiled
                    .switches
                    .get(&h.dpid)
                    .map_or(0, |f| f.state.flows.len()),
                flows: reads.get(&h.dpid).map(Vec::len),
                repairs: sw.map_or(0, |s| s.repairs),
                endpoints: h.endpoint_ports.len(),
                uplinks: h.uplinks.len(),
                tunnels: h.tunnel_ports().len(),
            }
        })
        .collect()
}

/// A tunnel between every two hosts one of which the compiled directives ask for a tunnel to
/// the other's VTEP; an uplink from every host with one into the physical network.
fn links(compiled: &Compiled) -> Vec<ConsoleLink> {
    let hosts = &compiled.topology.hosts;
    let by_vtep: BTreeMap<_, &String> = hosts
        .iter()
        .filter_map(|(name, h)| h.vtep_ip.map(|v| (v, name)))
        .collect();
    let mut tunnels = BTreeSet::new();
    for (host, peers) in &compiled.directives.tunnels {
        for peer in peers.iter().filter_map(|v| by_vtep.get(v)) {
            let (a, b) = if host < *peer {
                (host, *peer)
            } else {
                (*peer, host)
            };
            if a != b {
                tunnels.insert((a.clone(), b.clone()));
            }
        }
    }
    let mut links: Vec<ConsoleLink> = tunnels
        .into_iter()
        .map(|(a, b)| ConsoleLink {
            a,
            b,
            kind: LinkKind::Tunnel,
        })
        .collect();
    links.extend(
        hosts
            .iter()
            .filter(|(_, h)| !h.uplinks.is_empty())
            .map(|(name, _)| ConsoleLink {
                a: name.clone(),
                b: PHYSICAL_NETWORK.into(),
                kind: LinkKind::Uplink,
            }),
    );
    links
}

fn tenants(oper: &Oper, compiled: &Compiled, reads: &Reads) -> Vec<ConsoleTenant> {
    let intent = &compiled.intent;
    let placed: BTreeMap<&String, &String> = compiled
        .topology
        .placements()
        .map(|(key, host, _)| (key, host))
        .collect();
    let hits = rule_hits(compiled, reads);
    intent
        .tenants
        .keys()
        .map(|tenant| {
            let networks = intent
                .networks
                .iter()
                .filter(|(_, n)| n.tenant_name == *tenant)
                .map(|(key, n)| ConsoleNetwork {
                    name: n.network_name.clone(),
                    encap: n.encap,
                    tag: n.pkt_tag,
                    subnet: n.subnet.to_string(),
                    gateway: n.gateway.map(|g| g.to_string()),
                    endpoints: intent
                        .endpoints
                        .iter()
                        .filter(|(_, e)| {
                            e.tenant_name == *tenant && e.network_name == n.network_name
                        })
                        .map(|(k, e)| ConsoleEndpoint {
                            name: e.container_name.clone(),
                            ip: e.ip_address.map(|a| a.to_string()),
                            mac: e.mac_address.map(|m| m.to_string()),
                            host: placed.get(k).map(|h| h.to_string()).or(e.host.clone()),
                            group: e.group_name.clone(),
                        })
                        .collect(),
                    multicast: oper.snooping.network_groups(key),
                })
                .collect();
            let policies = intent
                .policies
                .values()
                .filter(|p| p.tenant_name == *tenant)
                .map(|p| ConsolePolicy {
                    name: p.policy_name.clone(),
                    rules: intent
                        .rules
                        .iter()
                        .filter(|(_, r)| r.tenant_name == *tenant && r.policy_name == p.policy_name)
                        .map(|(key, r)| {
                            let (packets, bytes) = hits.get(key).copied().unwrap_or_default();
                            ConsoleRule {
                                id: r.rule_id.clone(),
                                text: rule_text(r),
                                packets,
                                bytes,
                            }
                        })
                        .collect(),
                })
                .collect();
            let groups = intent
                .groups
                .values()
                .filter(|g| g.tenant_name == *tenant)
                .map(|g| ConsoleGroup {
                    name: g.group_name.clone(),
                    network: g.network_name.clone(),
                    policies: g.policies.clone(),
                    net_profile: g.net_profile.clone(),
                    default_deny: g.default_deny,
                    endpoints: intent
                        .endpoints
                        .values()
                        .filter(|e| {
                            e.tenant_name == *tenant && e.group_name.as_ref() == Some(&g.group_name)
                        })
                        .count(),
                })
                .collect();
            ConsoleTenant {
                name: tenant.clone(),
                networks,
                groups,
                policies,
            }
        })
        .collect()
}

/// Packets and bytes of every rule's flows, by rule key, over every switch read.
fn rule_hits(compiled: &Compiled, reads: &Reads) -> BTreeMap<String, (u64, u64)> {
    let owners = Owners::new(compiled);
    let mut hits: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for f in reads.values().flatten() {
        let owner = owners.of(f.cookie);
        if let (OwnerKind::Rule, [rule]) = (owner.kind, owner.objects.as_slice()) {
            let h = hits.entry(rule.clone()).or_default();
            h.0 += f.packet_count;
            h.1 += f.byte_count;
        }
    }
    hits
}

/// `in from group web tcp/5432 allow (priority 10)`.
fn rule_text(r: &Rule) -> String {
    let (dir, peer) = match r.direction {
        Direction::In => (
            "in from",
            [
                r.from_endpoint_group.as_ref().map(|g| format!("group {g}")),
                r.from_network.as_ref().map(|n| format!("network {n}")),
                r.from_ip_address.as_ref().map(|a| a.to_string()),
            ],
        ),
        Direction::Out => (
            "out to",
            [
                r.to_endpoint_group.as_ref().map(|g| format!("group {g}")),
                r.to_network.as_ref().map(|n| format!("network {n}")),
                r.to_ip_address.as_ref().map(|a| a.to_string()),
            ],
        ),
    };
    let peer: Vec<String> = peer.into_iter().flatten().collect();
    let peer = if peer.is_empty() {
        "anyone".to_string()
    } else {
        peer.join(" ")
    };
    let proto = match (&r.protocol, r.port) {
        (None, _) => "any".to_string(),
        (Some(p), 0) => p.clone(),
        (Some(p), port) => format!("{p}/{port}"),
    };
    let action = match r.action {
        RuleAction::Allow => "allow",
        RuleAction::Deny => "deny",
    };
    format!("{dir} {peer} {proto} {action} (priority {})", r.priority)
}
