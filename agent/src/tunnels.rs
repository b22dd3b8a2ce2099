//! The VXLAN tunnel ports netmaster asks for: one port per remote VTEP (`remote_ip=<peer>`,
//! `key=flow`, so that the VNI is set per packet by the flows), named after the peer's address
//! (`vx0ac80002` for 10.200.0.2) and marked with `external_ids` so that they are found again
//! after a restart. Ports to peers that are no longer wanted are removed.
//!
//! In [`TunnelMode::Flow`] the agent instead keeps one `remote_ip=flow` port and ignores the
//! directives (the flows then set `tun_dst` per packet).

use crate::error::{Context, Error};
use crate::ovsdb::vswitch::{InterfaceType, PortConfig, PortInfo, Vswitch};
use crate::report::{self, ROLE_KEY, ROLE_TUNNEL, TUNNEL_PEER_KEY};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// How the agent builds its VXLAN tunnels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelMode {
    /// One port per remote VTEP, created and removed as netmaster's directives ask.
    PerPeer,
    /// One `remote_ip=flow` port ([`crate::daemon::VXLAN_PORT`]) for every peer.
    Flow,
}

/// The port name of the tunnel to `peer`: `vx` and the address in hex (10 characters, within
/// the 15 of an interface name).
pub fn port_name(peer: Ipv4Addr) -> String {
    format!("vx{:08x}", u32::from(peer))
}

/// The configuration of the tunnel port from `local` to `peer` on UDP port `udp_port`.
pub fn port_config(local: Ipv4Addr, peer: Ipv4Addr, udp_port: u16) -> PortConfig {
    let mut port = PortConfig::new(&port_name(peer), InterfaceType::Vxlan);
    let (local_s, peer_s, udp_s) = (local.to_string(), peer.to_string(), udp_port.to_string());
    port.options = [
        ("remote_ip", peer_s.as_str()),
        ("local_ip", local_s.as_str()),
        ("key", "flow"),
        ("dst_port", udp_s.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    port.external_ids = report::owned_ids(
        ROLE_TUNNEL,
        &[
            (TUNNEL_PEER_KEY, peer_s.as_str()),
            (report::VTEP_KEY, local_s.as_str()),
        ],
    );
    port
}

/// What [`reconcile`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Ports created or updated (e.g. a new UDP port).
    pub ensured: Vec<String>,
    /// Ports removed.
    pub removed: Vec<String>,
}

/// Makes the tunnel ports of `bridge` (whose ports are `ports`) exactly one per peer in
/// `wanted` (from `local`, on `udp_port`): creates or updates the missing or different ones and
/// removes the agent's other tunnel ports (also a flow-mode port). Ports the agent did not
/// create are never touched.
pub async fn reconcile(
    vs: &Vswitch,
    bridge: &str,
    ports: &[PortInfo],
    local: Ipv4Addr,
    wanted: &BTreeSet<Ipv4Addr>,
    udp_port: u16,
) -> Result<Changes, Error> {
    let mut changes = Changes::default();
    for p in ports.iter().filter(|p| is_our_tunnel(p)) {
        let keep = p
            .external_ids
            .get(TUNNEL_PEER_KEY)
            .and_then(|peer| peer.parse().ok())
            .is_some_and(|peer| wanted.contains(&peer) && p.name == port_name(peer));
        if !keep {
            vs.delete_port(bridge, &p.name)
                .await
                .context(|| format!("removing tunnel port {}", p.name))?;
            changes.removed.push(p.name.clone());
        }
    }
    for &peer in wanted {
        let cfg = port_config(local, peer, udp_port);
        let ensured = vs
            .ensure_port(bridge, &cfg)
            .await
            .context(|| format!("tunnel port {} to {peer}", cfg.name))?;
        if ensured.changed {
            changes.ensured.push(cfg.name);
        }
    }
    Ok(changes)
}

fn is_our_tunnel(p: &PortInfo) -> bool {
    p.external_ids.get(report::OWNER_KEY).map(String::as_str) == Some(report::OWNER)
        && p.external_ids.get(ROLE_KEY).map(String::as_str) == Some(ROLE_TUNNEL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_an_interface_name_and_are_distinct() {
        let a = port_name(Ipv4Addr::new(10, 200, 0, 2));
        assert_eq!(a, "vx0ac80002");
        assert!(a.len() <= 15);
        assert_ne!(a, port_name(Ipv4Addr::new(10, 200, 0, 20)));
    }

    #[test]
    fn a_port_carries_its_peer_and_udp_port() {
        let p = port_config(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2), 8472);
        assert_eq!(p.options["remote_ip"], "10.0.0.2");
        assert_eq!(p.options["local_ip"], "10.0.0.1");
        assert_eq!(p.options["key"], "flow");
        assert_eq!(p.options["dst_port"], "8472");
        assert_eq!(p.external_ids[TUNNEL_PEER_KEY], "10.0.0.2");
        assert_eq!(p.external_ids[ROLE_KEY], ROLE_TUNNEL);
    }
}
