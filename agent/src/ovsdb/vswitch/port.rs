//! Ports with one interface each: internal ports, tunnels, system devices.

use super::{
    by_name, by_uuid, column, expect_count, inserted, row_uuid, rows, Ensured, Vswitch, DB,
};
use crate::ovsdb::{Atom, Datum, Error, MonitorRequest, Mutation, Operation, Result, Row, Uuid};
use std::collections::BTreeMap;
use std::time::Duration;

/// `Interface.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterfaceType {
    /// An OVS internal port (a tap device owned by ovs-vswitchd).
    Internal,
    /// A VXLAN tunnel (`options` e.g. `remote_ip=flow`, `key=flow`, `local_ip`).
    Vxlan,
    /// An existing network device (a veth end, an uplink).
    System,
}

impl InterfaceType {
    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            InterfaceType::Internal => "internal",
            InterfaceType::Vxlan => "vxlan",
            InterfaceType::System => "system",
        }
    }
}

/// A port with one interface of the same name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortConfig {
    /// Port and interface name.
    pub name: String,
    /// Interface type.
    pub kind: InterfaceType,
    /// `Interface.options`.
    pub options: BTreeMap<String, String>,
    /// `Interface.ofport_request` (1..=65279).
    pub ofport_request: Option<u16>,
    /// `Interface.mtu_request`.
    pub mtu_request: Option<u32>,
    /// `external_ids` (endpoint id, tenant, network...), written to the Port and the Interface.
    pub external_ids: BTreeMap<String, String>,
}

impl PortConfig {
    /// A port without options, requested ofport, MTU or external ids.
    pub fn new(name: &str, kind: InterfaceType) -> PortConfig {
        PortConfig {
            name: name.to_string(),
            kind,
            options: BTreeMap::new(),
            ofport_request: None,
            mtu_request: None,
            external_ids: BTreeMap::new(),
        }
    }

    /// The Interface columns this port sets (without `name`, which is immutable).
    pub(super) fn interface_row(&self) -> Row {
        Row::from([
            ("type".into(), Datum::from(self.kind.as_str())),
            ("options".into(), Datum::string_map(self.options.clone())),
            (
                "ofport_request".into(),
                Datum::optional(self.ofport_request.map(i64::from)),
            ),
            (
                "mtu_request".into(),
                Datum::optional(self.mtu_request.map(i64::from)),
            ),
            (
                "external_ids".into(),
                Datum::string_map(self.external_ids.clone()),
            ),
        ])
    }
}

/// A port as the database holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortInfo {
    /// Port name.
    pub name: String,
    /// The Port row.
    pub uuid: Uuid,
    /// The type of its (first) interface (`""` and `"system"` both mean a system device).
    pub interface_type: String,
    /// The Port's `external_ids`.
    pub external_ids: BTreeMap<String, String>,
    /// The interface's OpenFlow port number: `None` until ovs-vswitchd assigned one, `-1` when
    /// it failed.
    pub ofport: Option<i64>,
}

impl Vswitch {
    /// Makes port `cfg.name` (with one interface of the same name) exist on `bridge` with
    /// exactly the given interface type, options, requested ofport and MTU and external ids.
    /// A new port is inserted with its interface and added to the bridge in one transaction.
    /// Fails with [`Error::Conflict`] when the name is taken on another bridge.
    pub async fn ensure_port(&self, bridge: &str, cfg: &PortConfig) -> Result<Ensured> {
        let read = self
            .transact(&[
                Operation::select("Bridge", &by_name(bridge), Some(&["_uuid", "ports"])),
                Operation::select(
                    "Port",
                    &by_name(&cfg.name),
                    Some(&["_uuid", "interfaces", "external_ids"]),
                ),
                Operation::select(
                    "Interface",
                    &by_name(&cfg.name),
                    Some(&[
                        "_uuid",
                        "name",
                        "type",
                        "options",
                        "ofport_request",
                        "mtu_request",
                        "external_ids",
                    ]),
                ),
            ])
            .await?;
        let br = rows(&read, 0)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("bridge {bridge}")))?;
        let br_uuid = row_uuid(&br)?;
        let port = rows(&read, 1)?.into_iter().next();
        let iface = rows(&read, 2)?.into_iter().next();
        let wanted = cfg.interface_row();
        let ids = Datum::string_map(cfg.external_ids.clone());
        let (port, iface) = match (port, iface) {
            (None, None) => return self.create_port(bridge, &br_uuid, cfg, wanted, ids).await,
            (Some(port), Some(iface)) => (port, iface),
            _ => {
                return Err(Error::Conflict(format!(
                    "{} exists as a port or an interface but not as both",
                    cfg.name
                )))
            }
        };
        let port_uuid = row_uuid(&port)?;
        let iface_uuid = row_uuid(&iface)?;
        if !column(&br, "ports")?.uuids().contains(&port_uuid)
            || !column(&port, "interfaces")?.uuids().contains(&iface_uuid)
        {
            return Err(Error::Conflict(format!(
                "port {} is not bridge {bridge}'s port with interface {}",
                cfg.name, cfg.name
            )));
        }
        let mut ops = Vec::new();
        let differs = wanted.iter().any(|(c, v)| !same(iface.get(c), v));
        if differs {
            ops.push(Operation::update(
                "Interface",
                &by_uuid(&iface_uuid),
                &wanted,
            ));
        }
        if !same(port.get("external_ids"), &ids) {
            ops.push(Operation::update(
                "Port",
                &by_uuid(&port_uuid),
                &Row::from([("external_ids".into(), ids)]),
            ));
        }
        if !ops.is_empty() {
            self.transact(&ops).await?;
        }
        Ok(Ensured {
            uuid: port_uuid,
            changed: !ops.is_empty(),
        })
    }

    async fn create_port(
        &self,
        bridge: &str,
        br_uuid: &Uuid,
        cfg: &PortConfig,
        mut iface: Row,
        ids: Datum,
    ) -> Result<Ensured> {
        iface.insert("name".into(), cfg.name.as_str().into());
        let port = Row::from([
            ("name".into(), cfg.name.as_str().into()),
            (
                "interfaces".into(),
                Datum::set([Atom::NamedUuid("iface".into())]),
            ),
            ("external_ids".into(), ids),
        ]);
        let res = self
            .transact(&[
                Operation::insert("Interface", &iface).uuid_name("iface"),
                Operation::insert("Port", &port).uuid_name("port"),
                Operation::mutate(
                    "Bridge",
                    &by_uuid(br_uuid),
                    &[Mutation::insert(
                        "ports",
                        Datum::set([Atom::NamedUuid("port".into())]),
                    )],
                ),
                Operation::comment(&format!("netplugin: add port {} to {bridge}", cfg.name)),
            ])
            .await?;
        expect_count(&res, 2, &format!("bridge {bridge}"))?;
        inserted(&res, 1)
    }

    /// Removes port `name` from `bridge` (its Port and Interface rows go with it); `false` if
    /// there was no such port. Fails with [`Error::Conflict`] if it is on another bridge.
    pub async fn delete_port(&self, bridge: &str, name: &str) -> Result<bool> {
        let read = self
            .transact(&[
                Operation::select("Bridge", &by_name(bridge), Some(&["_uuid", "ports"])),
                Operation::select("Port", &by_name(name), Some(&["_uuid"])),
            ])
            .await?;
        let br = rows(&read, 0)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("bridge {bridge}")))?;
        let Some(port) = rows(&read, 1)?.into_iter().next() else {
            return Ok(false);
        };
        let port_uuid = row_uuid(&port)?;
        if !column(&br, "ports")?.uuids().contains(&port_uuid) {
            return Err(Error::Conflict(format!(
                "port {name} is not on bridge {bridge}"
            )));
        }
        self.transact(&[Operation::mutate(
            "Bridge",
            &by_uuid(&row_uuid(&br)?),
            &[Mutation::delete("ports", Datum::set([port_uuid]))],
        )])
        .await?;
        Ok(true)
    }

    /// The ports of `bridge` (including the bridge's own internal port), sorted by name.
    pub async fn list_ports(&self, bridge: &str) -> Result<Vec<PortInfo>> {
        let read = self
            .transact(&[
                Operation::select("Bridge", &by_name(bridge), Some(&["ports"])),
                Operation::select(
                    "Port",
                    &[],
                    Some(&["_uuid", "name", "interfaces", "external_ids"]),
                ),
                Operation::select("Interface", &[], Some(&["_uuid", "type", "ofport"])),
            ])
            .await?;
        let br = rows(&read, 0)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("bridge {bridge}")))?;
        let ports = column(&br, "ports")?.uuids();
        let ifaces: BTreeMap<Uuid, Row> = rows(&read, 2)?
            .into_iter()
            .map(|r| Ok((row_uuid(&r)?, r)))
            .collect::<Result<_>>()?;
        let mut out = Vec::new();
        for port in rows(&read, 1)? {
            let uuid = row_uuid(&port)?;
            if !ports.contains(&uuid) {
                continue;
            }
            let iface = column(&port, "interfaces")?
                .uuids()
                .first()
                .and_then(|u| ifaces.get(u));
            out.push(PortInfo {
                name: column(&port, "name")?
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                uuid,
                interface_type: iface
                    .and_then(|i| i.get("type")?.as_str())
                    .unwrap_or_default()
                    .to_string(),
                external_ids: column(&port, "external_ids")?.to_string_map(),
                ofport: iface.and_then(|i| i.get("ofport")?.as_integer()),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Waits (watching the Interface table) until ovs-vswitchd has assigned interface `name`
    /// an OpenFlow port number and returns it. Fails with [`Error::Interface`] when
    /// ovs-vswitchd reports an error for it, [`Error::Timeout`] after `timeout`.
    pub async fn wait_ofport(&self, name: &str, timeout: Duration) -> Result<u32> {
        let mut monitor = self
            .client
            .monitor(
                DB,
                &[(
                    "Interface",
                    MonitorRequest::columns(&["name", "ofport", "error"]),
                )],
            )
            .await?;
        let mut batch = std::mem::take(&mut monitor.initial);
        let found = tokio::time::timeout(timeout, async {
            loop {
                for row in batch
                    .values()
                    .flat_map(|t| t.values())
                    .filter_map(|u| u.new.as_ref())
                {
                    if row.get("name").and_then(Datum::as_str) != Some(name) {
                        continue;
                    }
                    match row.get("ofport").and_then(Datum::as_integer) {
                        Some(p) if p > 0 => {
                            return u32::try_from(p)
                                .map_err(|_| Error::Protocol(format!("ofport {p} of {name}")))
                        }
                        _ => {}
                    }
                    if let Some(error) = row.get("error").and_then(Datum::as_str) {
                        return Err(Error::Interface {
                            name: name.to_string(),
                            error: error.to_string(),
                        });
                    }
                }
                batch = monitor.next().await.ok_or(Error::Disconnected)?;
            }
        })
        .await;
        // Best effort: the connection may be gone, and the result is what matters.
        let _ = monitor.cancel().await;
        found.map_err(|_| Error::Timeout(format!("waiting for the ofport of {name}")))?
    }
}

/// Whether a column value read back equals the value written (an unset optional column reads
/// back as the empty set; maps compare regardless of order).
fn same(current: Option<&Datum>, wanted: &Datum) -> bool {
    current
        .is_some_and(|c| c.atoms() == wanted.atoms() && c.to_string_map() == wanted.to_string_map())
}
