//! The host report: what this host's bridge holds (endpoint ports, tunnel, uplinks), read back
//! from OVSDB, and its delivery to netmaster (`PUT /api/v1/agents/{host}/`).
//!
//! The report is built only from ports the agent created itself, recognised by their
//! `external_ids` ([`OWNER_KEY`] = [`OWNER`], [`ROLE_KEY`] = endpoint|tunnel|uplink).

use crate::ovsdb::vswitch::{PortInfo, Vswitch, DB};
use crate::ovsdb::{Condition, Datum, Operation};
use northbound_api::agent::{HostReport, TunnelReport};
use northbound_api::client::Client;
use std::collections::BTreeMap;

/// `external_ids` key marking the ports the agent created.
pub const OWNER_KEY: &str = "owner";
/// Its value.
pub const OWNER: &str = "netplugin";
/// `external_ids` key with the role of a port: [`ROLE_ENDPOINT`], [`ROLE_TUNNEL`], [`ROLE_UPLINK`].
pub const ROLE_KEY: &str = "role";
/// A container endpoint (veth host end).
pub const ROLE_ENDPOINT: &str = "endpoint";
/// The flow-based VXLAN port.
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
/// `external_ids` key of the tunnel port: the host's VTEP address.
pub const VTEP_KEY: &str = "vtep-ip";

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

/// Builds the report of a bridge with datapath id `dpid` from its ports. Ports the agent did
/// not create, and ports without a valid OpenFlow port number yet, are left out.
pub fn build(dpid: u64, ports: &[PortInfo]) -> HostReport {
    let mut report = HostReport {
        dpid,
        vtep_ip: None,
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
            Some(ROLE_TUNNEL) => {
                report.tunnel = Some(TunnelReport::Flow { port: ofport });
                report.vtep_ip = p.external_ids.get(VTEP_KEY).cloned();
            }
            Some(ROLE_UPLINK) => report.uplinks.push(ofport),
            _ => {}
        }
    }
    report.uplinks.sort_unstable();
    report
}

/// The datapath id of `bridge` (its `other_config:datapath-id`), as the agent set it.
pub async fn bridge_dpid(vs: &Vswitch, bridge: &str) -> Result<u64, String> {
    let res = vs
        .client()
        .transact(
            DB,
            &[Operation::select(
                "Bridge",
                &[Condition::eq("name", bridge)],
                Some(&["other_config", "datapath_id"]),
            )],
        )
        .await
        .map_err(|e| format!("reading bridge {bridge}: {e}"))?;
    let rows = res[0]
        .rows()
        .map_err(|e| format!("reading bridge {bridge}: {e}"))?;
    let row = rows
        .first()
        .ok_or_else(|| format!("bridge {bridge} does not exist"))?;
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
        .ok_or_else(|| format!("bridge {bridge} has no datapath id yet"))?;
    u64::from_str_radix(&hex, 16).map_err(|e| format!("datapath id {hex} of {bridge}: {e}"))
}

/// Reads the bridge and builds its report.
pub async fn collect(vs: &Vswitch, bridge: &str, dpid: Option<u64>) -> Result<HostReport, String> {
    let dpid = match dpid {
        Some(d) => d,
        None => bridge_dpid(vs, bridge).await?,
    };
    let ports = vs
        .list_ports(bridge)
        .await
        .map_err(|e| format!("listing the ports of {bridge}: {e}"))?;
    Ok(build(dpid, &ports))
}

/// Sends `report` for `host` to the netmaster at `base` (blocking; one attempt).
pub fn send_blocking(base: &str, host: &str, report: &HostReport) -> Result<(), String> {
    Client::new(base)
        .report_host(host, report)
        .map_err(|e| format!("reporting host {host} to {base}: {e}"))
}

/// Sends `report` from an async context.
pub async fn send(base: &str, host: &str, report: &HostReport) -> Result<(), String> {
    let (base, host, report) = (base.to_string(), host.to_string(), report.clone());
    tokio::task::spawn_blocking(move || send_blocking(&base, &host, &report))
        .await
        .map_err(|e| format!("report task: {e}"))?
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
        let r = build(9, &ports);
        assert_eq!(r.dpid, 9);
        assert_eq!(r.endpoint_ports, BTreeMap::from([("t:c1".to_string(), 3)]));
        assert_eq!(r.tunnel, Some(TunnelReport::Flow { port: 100 }));
        assert_eq!(r.vtep_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(r.uplinks, vec![5, 7]);
    }
}
