//! The host report: what this host's bridge holds (endpoint ports, tunnel, uplinks), read back
//! from OVSDB; [`Netmaster::report_host`](crate::netmaster::Netmaster::report_host) delivers it
//! (`PUT /api/v1/agents/{host}/`).
//!
//! The report is built only from ports the agent created itself, recognised by their
//! `external_ids` ([`OWNER_KEY`] = [`OWNER`], [`ROLE_KEY`] = endpoint|tunnel|uplink).

use crate::error::{Context, Error};
use crate::ovsdb::vswitch::{PortInfo, Vswitch, DB};
use crate::ovsdb::{Condition, Datum, Operation};
use northbound_model::agent::{HostReport, TunnelReport};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// `external_ids` key marking the ports the agent created.
pub const OWNER_KEY: &str = "owner";
/// Its value.
pub const OWNER: &str = "netplugin";
/// `external_ids` key with the role of a port: [`ROLE_ENDPOINT`], [`ROLE_TUNNEL`], [`ROLE_UPLINK`].
pub const ROLE_KEY: &str = "role";
/// A container endpoint (veth host end).
pub const ROLE_ENDPOINT: &str = "endpoint";
/// A VXLAN port (per peer, or the flow-based one).
pub const ROLE_TUNNEL: &str = "tunnel";
/// A VLAN trunk uplink.
pub const ROLE_UPLINK: &str = "uplink";
/// `external_ids` key of an endpoint port: the endpoint key `tenant:container`.
pub const ENDPOINT_KEY: &str = "endpoint-id";
/// `external_ids` key of an endpoint port: its tenant.
pub const TENANT_KEY: &str = "tenant";
/// `external_ids` key of an endpoint port: its network.
pub const NETWORK_KEY: &str = "network";
/// `external_ids` key of an endpoint port: the container's network namespace path.
pub const NETNS_KEY: &str = "netns";
/// `external_ids` key of an endpoint port: the interface's name inside the container.
pub const CONTAINER_IFNAME_KEY: &str = "container-ifname";
/// `external_ids` key of an endpoint port the Docker watcher plumbed: the container's id.
pub const DOCKER_ID_KEY: &str = "docker-id";
/// `external_ids` key of a tunnel port: the host's VTEP address.
pub const VTEP_KEY: &str = "vtep-ip";
/// `external_ids` key of a per-peer tunnel port: the remote VTEP address.
pub const TUNNEL_PEER_KEY: &str = "tunnel-peer";

/// The `external_ids` of a port the agent creates.
pub fn owned_ids(role: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::from([
        (OWNER_KEY.to_string(), OWNER.to_string()),
        (ROLE_KEY.to_string(), role.to_string()),
    ]);
    for (k, v) in extra {
        ids.insert((*k).to_string(), (*v).to_string());
    }
    ids
}

/// Builds the report of a bridge with datapath id `dpid` and VTEP `vtep_ip` from its ports.
/// Ports the agent did not create, and ports without a valid OpenFlow port number yet, are
/// left out. Tunnel ports with a peer ([`TUNNEL_PEER_KEY`]) are reported per peer, the
/// others as the flow-based port.
pub fn build(dpid: u64, vtep_ip: Option<Ipv4Addr>, ports: &[PortInfo]) -> HostReport {
    let mut report = HostReport {
        dpid,
        vtep_ip,
        endpoint_ports: BTreeMap::new(),
        uplinks: Vec::new(),
        tunnel: None,
    };
    for p in ports {
        if p.external_ids.get(OWNER_KEY).map(String::as_str) != Some(OWNER) {
            continue;
        }
        let Some(ofport) = p
            .ofport
            .filter(|&o| o > 0)
            .and_then(|o| u32::try_from(o).ok())
        else {
            continue;
        };
        match p.external_ids.get(ROLE_KEY).map(String::as_str) {
            Some(ROLE_ENDPOINT) => {
                if let Some(ep) = p.external_ids.get(ENDPOINT_KEY) {
                    report.endpoint_ports.insert(ep.clone(), ofport);
                }
            }
            Some(ROLE_TUNNEL) => match p.external_ids.get(TUNNEL_PEER_KEY) {
                Some(peer) => {
                    let Ok(peer) = peer.parse::<Ipv4Addr>() else {
                        tracing::warn!(port = %p.name, %peer, "tunnel port with a peer that is not an IPv4 address; left out");
                        continue;
                    };
                    if let Some(TunnelReport::PerPeer { ports }) = &mut report.tunnel {
                        ports.insert(peer, ofport);
                    } else {
                        report.tunnel = Some(TunnelReport::PerPeer {
                            ports: BTreeMap::from([(peer, ofport)]),
                        });
                    }
                }
                None => report.tunnel = Some(TunnelReport::Flow { port: ofport }),
            },
            Some(ROLE_UPLINK) => report.uplinks.push(ofport),
            _ => {}
        }
    }
    report.uplinks.sort_unstable();
    report
}

/// `external_ids` key of the integration bridge: the host's VTEP address (empty: none), so
/// that every report, also one sent by `netplugin attach`, carries it.
pub const BRIDGE_VTEP_KEY: &str = "netplugin-vtep-ip";

/// What identifies the host in its report: the bridge's datapath id and the VTEP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeIdentity {
    /// The datapath id (`other_config:datapath-id` as the agent set it, else the actual one).
    pub dpid: u64,
    /// The VTEP address ([`BRIDGE_VTEP_KEY`]), if any.
    pub vtep_ip: Option<Ipv4Addr>,
}

/// Reads `bridge`'s datapath id and VTEP address.
pub async fn bridge_identity(vs: &Vswitch, bridge: &str) -> Result<BridgeIdentity, Error> {
    let res = vs
        .client()
        .transact(
            DB,
            &[Operation::select(
                "Bridge",
                &[Condition::eq("name", bridge)],
                Some(&["other_config", "datapath_id", "external_ids"]),
            )],
        )
        .await
        .context(|| format!("reading bridge {bridge}"))?;
    let rows = res[0]
        .rows()
        .context(|| format!("reading bridge {bridge}"))?;
    let row = rows
        .first()
        .ok_or_else(|| Error::found(format!("bridge {bridge}"), "does not exist"))?;
    let configured = row
        .get("other_config")
        .map(Datum::to_string_map)
        .and_then(|m| m.get("datapath-id").cloned());
    let actual = row
        .get("datapath_id")
        .and_then(Datum::as_str)
        .map(str::to_string);
    let hex = configured
        .or(actual)
        .ok_or_else(|| Error::found(format!("bridge {bridge}"), "no datapath id yet"))?;
    let dpid = u64::from_str_radix(&hex, 16).map_err(|e| {
        Error::found(
            format!("bridge {bridge}"),
            format!("datapath id `{hex}`: {e}"),
        )
    })?;
    let vtep_ip = row
        .get("external_ids")
        .map(Datum::to_string_map)
        .and_then(|m| m.get(BRIDGE_VTEP_KEY).cloned())
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse().map_err(|_| {
                Error::found(
                    format!("bridge {bridge}"),
                    format!("{BRIDGE_VTEP_KEY} `{v}` is not an IPv4 address"),
                )
            })
        })
        .transpose()?;
    Ok(BridgeIdentity { dpid, vtep_ip })
}

/// Reads the bridge and builds its report; the bridge's identity is read too unless `known`
/// (the daemon knows its own, `netplugin attach` does not).
pub async fn collect(
    vs: &Vswitch,
    bridge: &str,
    known: Option<&BridgeIdentity>,
) -> Result<HostReport, Error> {
    let id = match known {
        Some(id) => id.clone(),
        None => bridge_identity(vs, bridge).await?,
    };
    let ports = vs
        .list_ports(bridge)
        .await
        .context(|| format!("listing the ports of {bridge}"))?;
    Ok(build(id.dpid, id.vtep_ip, &ports))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovsdb::Uuid;

    fn port(name: &str, ofport: Option<i64>, ids: BTreeMap<String, String>) -> PortInfo {
        PortInfo {
            name: name.into(),
            uuid: Uuid(String::new()),
            interface_type: String::new(),
            external_ids: ids,
            ofport,
        }
    }

    #[test]
    fn report_holds_only_our_ports_with_ofports() {
        let ports = [
            port("br-int", Some(65534), BTreeMap::new()),
            port(
                "vnp1",
                Some(3),
                owned_ids(ROLE_ENDPOINT, &[(ENDPOINT_KEY, "t:c1")]),
            ),
            port(
                "vnp2",
                None,
                owned_ids(ROLE_ENDPOINT, &[(ENDPOINT_KEY, "t:c2")]),
            ),
            port(
                "vxlan0",
                Some(100),
                owned_ids(ROLE_TUNNEL, &[(VTEP_KEY, "10.0.0.1")]),
            ),
            port("eth2", Some(7), owned_ids(ROLE_UPLINK, &[])),
            port("eth1", Some(5), owned_ids(ROLE_UPLINK, &[])),
        ];
        let r = build(9, Some(Ipv4Addr::new(10, 0, 0, 1)), &ports);
        assert_eq!(r.dpid, 9);
        assert_eq!(r.endpoint_ports, BTreeMap::from([("t:c1".to_string(), 3)]));
        assert_eq!(r.tunnel, Some(TunnelReport::Flow { port: 100 }));
        assert_eq!(
            r.vtep_ip.map(|v| v.to_string()).as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(r.uplinks, vec![5, 7]);
    }

    #[test]
    fn per_peer_tunnels_are_reported_by_peer() {
        let tunnel = |peer: &str| owned_ids(ROLE_TUNNEL, &[(TUNNEL_PEER_KEY, peer)]);
        let ports = [
            port("vx0a000002", Some(4), tunnel("10.0.0.2")),
            port("vx0a000003", Some(6), tunnel("10.0.0.3")),
            port("vx0a000004", Some(-1), tunnel("10.0.0.4")),
            port("vx0a000005", Some(8), tunnel("not-an-address")),
        ];
        let r = build(9, Some(Ipv4Addr::new(10, 0, 0, 1)), &ports);
        assert_eq!(
            r.tunnel,
            Some(TunnelReport::PerPeer {
                ports: [
                    (Ipv4Addr::new(10, 0, 0, 2), 4),
                    (Ipv4Addr::new(10, 0, 0, 3), 6)
                ]
                .into()
            })
        );
        assert_eq!(build(9, None, &[]).vtep_ip, None);
        assert_eq!(
            build(9, Some(Ipv4Addr::new(10, 0, 0, 1)), &[])
                .vtep_ip
                .map(|v| v.to_string())
                .as_deref(),
            Some("10.0.0.1")
        );
    }
}
