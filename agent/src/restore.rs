//! Reconciliation when the agent (re)starts: the host ends of veths (`vnp…`) and the endpoint
//! ports of the integration bridge are compared, and what is left of endpoints that went away
//! while no agent was running is removed:
//!
//! * an orphan veth — a host end with our prefix that no port of the bridge carries (the
//!   attach or detach that made it was interrupted) — is deleted;
//! * a stale port — an endpoint port of ours (`owner=netplugin`, `role=endpoint`) whose veth no
//!   longer exists (the container and with it the pair went away) — is removed from the bridge.
//!
//! A port whose veth exists is never touched (no flap of a working endpoint). A veth carried by
//! a port of the bridge that is not ours is left alone as well: it is not provably an orphan.
//! An attach running beside the start-up creates its veth a moment before its port, so an
//! orphan is only deleted when a second look, [`GRACE`] later, finds the same interface (same
//! index) still without a port; the same holds for stale ports.

use crate::error::{Context, Error};
use crate::netlink::{HostVeth, Plumbing};
use crate::ovsdb::vswitch::{PortInfo, Vswitch};
use crate::report;
use std::collections::BTreeSet;
use std::time::Duration;

/// The time between the two looks (see the module documentation).
pub const GRACE: Duration = Duration::from_secs(1);

/// What a look at the veths and the bridge's ports finds to remove.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Veths without a port: (name, ifindex).
    pub orphan_veths: Vec<(String, u32)>,
    /// Endpoint ports of ours without a veth, by name.
    pub stale_ports: Vec<String>,
}

impl Plan {
    /// Nothing to remove.
    pub fn is_empty(&self) -> bool {
        self.orphan_veths.is_empty() && self.stale_ports.is_empty()
    }

    /// What both looks found (same veth index): the part that is safe to remove.
    pub fn confirmed_by(&self, later: &Plan) -> Plan {
        Plan {
            orphan_veths: self
                .orphan_veths
                .iter()
                .filter(|v| later.orphan_veths.contains(v))
                .cloned()
                .collect(),
            stale_ports: self
                .stale_ports
                .iter()
                .filter(|p| later.stale_ports.contains(p))
                .cloned()
                .collect(),
        }
    }
}

/// Whether `port` is an endpoint port this agent created with a host veth named `prefix…`.
pub fn is_our_endpoint(port: &PortInfo, prefix: &str) -> bool {
    let id = |k: &str| port.external_ids.get(k).map(String::as_str);
    id(report::OWNER_KEY) == Some(report::OWNER)
        && id(report::ROLE_KEY) == Some(report::ROLE_ENDPOINT)
        && port.name.starts_with(prefix)
}

/// Compares the veths named `prefix…` with the bridge's ports.
pub fn plan(veths: &[HostVeth], ports: &[PortInfo], prefix: &str) -> Plan {
    let port_names: BTreeSet<&str> = ports.iter().map(|p| p.name.as_str()).collect();
    let veth_names: BTreeSet<&str> = veths.iter().map(|v| v.name.as_str()).collect();
    Plan {
        orphan_veths: veths
            .iter()
            .filter(|v| v.name.starts_with(prefix) && !port_names.contains(v.name.as_str()))
            .map(|v| (v.name.clone(), v.ifindex))
            .collect(),
        stale_ports: ports
            .iter()
            .filter(|p| is_our_endpoint(p, prefix) && !veth_names.contains(p.name.as_str()))
            .map(|p| p.name.clone())
            .collect(),
    }
}

/// One look: the veths and the bridge's ports now.
async fn look(
    plumbing: &Plumbing,
    vs: &Vswitch,
    bridge: &str,
    prefix: &str,
) -> Result<Plan, Error> {
    let veths = plumbing
        .list_host_veths(prefix)
        .await
        .context(|| "listing the veths")?;
    let ports = vs
        .list_ports(bridge)
        .await
        .context(|| format!("listing the ports of {bridge}"))?;
    Ok(plan(&veths, &ports, prefix))
}

/// Reconciles the veths named `prefix…` with the endpoint ports of `bridge` (see the module
/// documentation); returns what was removed. Failures to remove one item are logged and the
/// others are still tried.
pub async fn reconcile(
    plumbing: &Plumbing,
    vs: &Vswitch,
    bridge: &str,
    prefix: &str,
    grace: Duration,
) -> Result<Plan, Error> {
    let first = look(plumbing, vs, bridge, prefix).await?;
    if first.is_empty() {
        tracing::info!(%bridge, "restart reconciliation: veths and endpoint ports agree");
        return Ok(Plan::default());
    }
    tokio::time::sleep(grace).await;
    let todo = first.confirmed_by(&look(plumbing, vs, bridge, prefix).await?);
    let mut done = Plan::default();
    for (name, ifindex) in &todo.orphan_veths {
        match plumbing.delete_endpoint(name).await {
            Ok(true) => {
                tracing::info!(veth = %name, ifindex, "removed orphan veth (no port on the bridge)");
                done.orphan_veths.push((name.clone(), *ifindex));
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(veth = %name, error = %e, "could not remove orphan veth"),
        }
    }
    for name in &todo.stale_ports {
        match vs.delete_port(bridge, name).await {
            Ok(true) => {
                tracing::info!(port = %name, %bridge, "removed stale endpoint port (its veth is gone)");
                done.stale_ports.push(name.clone());
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(port = %name, error = %e, "could not remove stale port"),
        }
    }
    tracing::info!(
        orphan_veths = done.orphan_veths.len(),
        stale_ports = done.stale_ports.len(),
        "restart reconciliation done"
    );
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovsdb::vswitch::PortInfo;

    fn veth(name: &str, ifindex: u32) -> HostVeth {
        HostVeth {
            name: name.into(),
            ifindex,
            mtu: 1450,
            up: true,
        }
    }

    fn port(name: &str, ids: &[(&str, &str)]) -> PortInfo {
        PortInfo {
            name: name.into(),
            uuid: crate::ovsdb::Uuid(String::new()),
            interface_type: String::new(),
            external_ids: ids
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ofport: Some(1),
        }
    }

    fn endpoint(name: &str) -> PortInfo {
        port(
            name,
            &[
                ("owner", "netplugin"),
                ("role", "endpoint"),
                ("endpoint-id", "default:c"),
            ],
        )
    }

    #[test]
    fn plan_finds_orphans_and_stale_ports_only() {
        let veths = [
            veth("vnpaaaa", 10),
            veth("vnpbbbb", 11),
            veth("vnpcccc", 12),
        ];
        let ports = [
            port("br-int", &[]),
            endpoint("vnpaaaa"),  // working: kept
            endpoint("vnpdddd"),  // veth gone: stale
            port("vnpcccc", &[]), // not ours: veth kept
            port("eth2", &[("owner", "netplugin"), ("role", "uplink")]), // not an endpoint
            endpoint("sriov0"),   // not a veth of ours: never touched
        ];
        let p = plan(&veths, &ports, "vnp");
        assert_eq!(p.orphan_veths, vec![("vnpbbbb".to_string(), 11)]);
        assert_eq!(p.stale_ports, vec!["vnpdddd".to_string()]);
        assert!(!p.is_empty());
    }

    #[test]
    fn plan_of_agreeing_state_is_empty() {
        let veths = [veth("vnpaaaa", 10)];
        let ports = [port("br-int", &[]), endpoint("vnpaaaa")];
        assert!(plan(&veths, &ports, "vnp").is_empty());
        assert!(plan(&[], &[], "vnp").is_empty());
    }

    #[test]
    fn second_look_confirms() {
        let first = Plan {
            orphan_veths: vec![("vnpa".into(), 1), ("vnpb".into(), 2), ("vnpc".into(), 3)],
            stale_ports: vec!["vnpx".into(), "vnpy".into()],
        };
        // vnpa got its port (an attach in progress), vnpb was recreated (new index).
        let later = Plan {
            orphan_veths: vec![("vnpb".into(), 7), ("vnpc".into(), 3)],
            stale_ports: vec!["vnpy".into()],
        };
        let c = first.confirmed_by(&later);
        assert_eq!(c.orphan_veths, vec![("vnpc".to_string(), 3)]);
        assert_eq!(c.stale_ports, vec!["vnpy".to_string()]);
    }
}
