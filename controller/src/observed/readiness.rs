//! When an endpoint a host's agent plugged in is usable ([`readiness`], behind `GET
//! /api/v1/agents/{host}/ready`): a compiled snapshot places it on the host, and every
//! connected switch of a host with an endpoint of its tenant holds that snapshot. (Its flows
//! are on those switches only: its network's members, and in routing mode its tenant's.)
//! A disconnected switch is not waited for: it gets the flows when it connects.

use crate::compiled::Compiled;
use crate::reconcile::status::SyncStatus;
use northbound_api::agent::EndpointReadiness;
use northbound_api::audit::SyncState;

/// Where a connected switch's reconciler stands; `None` when it is not connected.
pub type SwitchSync = dyn Fn(u64) -> Option<SyncStatus> + Send + Sync;

/// Whether endpoint `key` on `host` is usable in `compiled`, the switches' sync read from
/// `sync`; `since` is the first snapshot an earlier look found placing it (later snapshots
/// place it too, or it moved and is no longer ready here).
pub fn readiness(
    compiled: &Compiled,
    sync: &SwitchSync,
    host: &str,
    key: &str,
    since: Option<u64>,
) -> EndpointReadiness {
    let placed = compiled
        .topology
        .hosts
        .get(host)
        .is_some_and(|h| h.endpoint_ports.contains_key(key));
    if !placed {
        return EndpointReadiness {
            endpoint: key.to_string(),
            snapshot: None,
            waiting: Vec::new(),
            ready: false,
        };
    }
    let snapshot = since.map_or(compiled.number, |s| s.min(compiled.number));
    // Endpoint keys are `tenant:container[:interface]`, and names hold no `:`.
    let tenant = key.split(':').next().unwrap_or_default();
    let prefix = format!("{tenant}:");
    let waiting: Vec<String> = compiled
        .topology
        .hosts
        .iter()
        .filter(|(name, h)| {
            name.as_str() == host || h.endpoint_ports.keys().any(|k| k.starts_with(&prefix))
        })
        .filter(|(_, h)| {
            sync(h.dpid).is_some_and(|s| {
                // A pending switch still holds what it held (bundles are atomic).
                let holding = matches!(s.state, SyncState::InSync | SyncState::Pending);
                !holding || s.snapshot.is_none_or(|n| n < snapshot)
            })
        })
        .map(|(name, _)| name.clone())
        .collect();
    EndpointReadiness {
        endpoint: key.to_string(),
        snapshot: Some(snapshot),
        ready: waiting.is_empty(),
        waiting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::topology::{HostPorts, Topology};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn host(dpid: u64, endpoints: &[(&str, u32)]) -> HostPorts {
        HostPorts {
            endpoint_ports: endpoints.iter().map(|(k, p)| (k.to_string(), *p)).collect(),
            ..HostPorts::new(dpid)
        }
    }

    /// host1 has blue:a, host2 blue:b, host3 only red:c; snapshot 7.
    fn compiled() -> Compiled {
        Compiled {
            number: 7,
            topology: Arc::new(Topology {
                hosts: [
                    ("host1".to_string(), host(1, &[("blue:a", 3)])),
                    ("host2".to_string(), host(2, &[("blue:b", 3)])),
                    ("host3".to_string(), host(3, &[("red:c", 3)])),
                ]
                .into_iter()
                .collect(),
                multicast: BTreeMap::new(),
            }),
            ..Compiled::default()
        }
    }

    fn status(state: SyncState, snapshot: u64) -> SyncStatus {
        SyncStatus {
            state,
            snapshot: Some(snapshot),
            ..SyncStatus::default()
        }
    }

    #[test]
    fn an_endpoint_not_placed_is_not_ready() {
        let r = readiness(&compiled(), &|_| None, "host2", "blue:a", None);
        assert_eq!((r.snapshot, r.ready), (None, false));
        let r = readiness(&compiled(), &|_| None, "host1", "blue:zz", None);
        assert!(!r.ready);
    }

    #[test]
    fn it_waits_for_every_switch_of_its_tenant_and_only_those() {
        let c = compiled();
        // host2 (blue) still holds snapshot 6; host3 (red only) is not waited for.
        let sync = |dpid: u64| {
            Some(match dpid {
                2 => status(SyncState::InSync, 6),
                3 => status(SyncState::Failed, 1),
                _ => status(SyncState::InSync, 7),
            })
        };
        let r = readiness(&c, &sync, "host1", "blue:a", None);
        assert_eq!(
            (r.snapshot, r.waiting.clone(), r.ready),
            (Some(7), vec!["host2".to_string()], false)
        );
        // A switch reconciling a newer snapshot while holding one at least the first is fine;
        // one whose last reconciliation failed is not.
        let sync = |dpid: u64| {
            Some(match dpid {
                2 => status(SyncState::Pending, 7),
                _ => status(SyncState::InSync, 8),
            })
        };
        assert!(readiness(&c, &sync, "host1", "blue:a", Some(7)).ready);
        let sync = |dpid: u64| {
            Some(match dpid {
                2 => status(SyncState::Failed, 7),
                _ => status(SyncState::InSync, 8),
            })
        };
        let r = readiness(&c, &sync, "host1", "blue:a", Some(7));
        assert_eq!(r.waiting, ["host2"], "a failed switch is waited for");
        let sync = |_| Some(status(SyncState::InSync, 7));
        assert!(readiness(&c, &sync, "host1", "blue:a", Some(5)).ready);
        let sync = |_| Some(status(SyncState::InSync, 6));
        assert!(
            readiness(&c, &sync, "host1", "blue:a", Some(5)).ready,
            "the snapshot first seen placing it counts"
        );
    }

    #[test]
    fn a_disconnected_switch_is_not_waited_for() {
        let sync = |dpid: u64| (dpid == 1).then(|| status(SyncState::InSync, 7));
        let r = readiness(&compiled(), &sync, "host1", "blue:a", None);
        assert!(r.ready, "{r:?}");
        // Switches that do not hold the snapshot yet.
        let sync = |_| Some(status(SyncState::Pending, 3));
        let r = readiness(&compiled(), &sync, "host1", "blue:a", None);
        assert_eq!(r.waiting, ["host1", "host2"]);
    }
}
