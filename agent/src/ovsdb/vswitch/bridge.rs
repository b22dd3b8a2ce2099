//! The bridge netmaster programs, with its controller.

use super::port::{InterfaceType, PortConfig};
use super::{
    by_name, by_uuid, column, expect_count, inserted, row_uuid, rows, set_map_keys, Ensured,
    Vswitch, DB,
};
use crate::ovsdb::{Atom, Datum, Mutation, Operation, Result, Row, Uuid};
use std::collections::BTreeMap;

/// The OpenFlow version the controller speaks.
const PROTOCOLS: [&str; 1] = ["OpenFlow13"];

/// `Bridge.datapath_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatapathType {
    /// The userspace datapath (`netdev`).
    Netdev,
    /// The kernel datapath (`system`).
    System,
}

impl DatapathType {
    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            DatapathType::Netdev => "netdev",
            DatapathType::System => "system",
        }
    }
}

/// A bridge programmed by netmaster: OpenFlow 1.3 only, `fail_mode=secure`, in-band control
/// off, a fixed datapath id and one controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeConfig {
    /// Bridge name.
    pub name: String,
    /// Datapath type; `None` keeps an existing bridge's, and creates a new one with
    /// [`DatapathType::System`] (Open vSwitch's default).
    pub datapath_type: Option<DatapathType>,
    /// Datapath id (`other_config:datapath-id`, written as 16 hex digits).
    pub datapath_id: u64,
    /// Controller target, e.g. `tcp:10.254.0.254:6653` or `unix:/run/ovs/ctl.sock`.
    pub controller: String,
    /// `external_ids` keys to set (other keys are left alone).
    pub external_ids: BTreeMap<String, String>,
}

/// The `other_config` pairs netmaster needs on its bridges.
fn bridge_other_config(cfg: &BridgeConfig) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "datapath-id".to_string(),
            format!("{:016x}", cfg.datapath_id),
        ),
        ("disable-in-band".to_string(), "true".to_string()),
    ])
}

impl Vswitch {
    /// Makes bridge `cfg.name` exist with the configuration of [`BridgeConfig`]. A new bridge is
    /// inserted (with its local internal port, like `ovs-vsctl add-br`) in the same transaction
    /// as its Controller row, so ovs-vswitchd never runs it
    /// without a controller (attaching the first controller later would flush its flows). On
    /// an existing bridge only what differs is changed; a controller with another target is
    /// retargeted, which keeps the flows. Needs the `Open_vSwitch` row.
    pub async fn ensure_bridge(&self, cfg: &BridgeConfig) -> Result<Ensured> {
        let read = self
            .transact(&[
                Operation::select(
                    "Bridge",
                    &by_name(&cfg.name),
                    Some(&[
                        "_uuid",
                        "datapath_type",
                        "protocols",
                        "fail_mode",
                        "other_config",
                        "external_ids",
                        "controller",
                    ]),
                ),
                Operation::select("Controller", &[], Some(&["_uuid", "target"])),
            ])
            .await?;
        let other_config = bridge_other_config(cfg);
        let Some(bridge) = rows(&read, 0)?.into_iter().next() else {
            return self.create_bridge(cfg, other_config).await;
        };
        let uuid = row_uuid(&bridge)?;
        let wh = by_uuid(&uuid);
        let mut update = Row::new();
        if let Some(wanted) = cfg.datapath_type {
            if column(&bridge, "datapath_type")?.as_str() != Some(wanted.as_str()) {
                update.insert("datapath_type".into(), wanted.as_str().into());
            }
        }
        let protocols: Vec<_> = column(&bridge, "protocols")?
            .atoms()
            .iter()
            .filter_map(Atom::as_str)
            .collect();
        if protocols != PROTOCOLS {
            update.insert("protocols".into(), Datum::set(PROTOCOLS));
        }
        if column(&bridge, "fail_mode")?.as_str() != Some("secure") {
            update.insert("fail_mode".into(), "secure".into());
        }
        let mut ops = Vec::new();
        let current = column(&bridge, "other_config")?.to_string_map();
        if other_config.iter().any(|(k, v)| current.get(k) != Some(v)) {
            ops.push(set_map_keys("Bridge", &wh, "other_config", &other_config));
        }
        let current = column(&bridge, "external_ids")?.to_string_map();
        if cfg
            .external_ids
            .iter()
            .any(|(k, v)| current.get(k) != Some(v))
        {
            ops.push(set_map_keys(
                "Bridge",
                &wh,
                "external_ids",
                &cfg.external_ids,
            ));
        }
        let targets: BTreeMap<Uuid, String> = rows(&read, 1)?
            .iter()
            .map(|r| {
                let target = column(r, "target")?.as_str().unwrap_or_default();
                Ok((row_uuid(r)?, target.to_string()))
            })
            .collect::<Result<_>>()?;
        match column(&bridge, "controller")?.uuids().as_slice() {
            [only] if targets.get(only) == Some(&cfg.controller) => {}
            [] => {
                ops.push(
                    Operation::insert(
                        "Controller",
                        &Row::from([("target".into(), cfg.controller.as_str().into())]),
                    )
                    .uuid_name("ctl"),
                );
                ops.push(Operation::mutate(
                    "Bridge",
                    &wh,
                    &[Mutation::insert(
                        "controller",
                        Datum::set([Atom::NamedUuid("ctl".into())]),
                    )],
                ));
            }
            [first, rest @ ..] => {
                ops.push(Operation::update(
                    "Controller",
                    &by_uuid(first),
                    &Row::from([("target".into(), cfg.controller.as_str().into())]),
                ));
                if !rest.is_empty() {
                    update.insert("controller".into(), Datum::set([first.clone()]));
                }
            }
        }
        if !update.is_empty() {
            ops.push(Operation::update("Bridge", &wh, &update));
        }
        if !ops.is_empty() {
            ops.push(Operation::comment(&format!(
                "netplugin: ensure bridge {}",
                cfg.name
            )));
            self.transact(&ops).await?;
        }
        Ok(Ensured {
            uuid,
            changed: !ops.is_empty(),
        })
    }

    async fn create_bridge(
        &self,
        cfg: &BridgeConfig,
        other_config: BTreeMap<String, String>,
    ) -> Result<Ensured> {
        let controller = Row::from([("target".into(), cfg.controller.as_str().into())]);
        let bridge = Row::from([
            ("name".into(), cfg.name.as_str().into()),
            (
                "datapath_type".into(),
                cfg.datapath_type
                    .unwrap_or(DatapathType::System)
                    .as_str()
                    .into(),
            ),
            ("protocols".into(), Datum::set(PROTOCOLS)),
            ("fail_mode".into(), "secure".into()),
            ("other_config".into(), Datum::string_map(other_config)),
            (
                "external_ids".into(),
                Datum::string_map(cfg.external_ids.clone()),
            ),
            (
                "controller".into(),
                Datum::set([Atom::NamedUuid("ctl".into())]),
            ),
            (
                "ports".into(),
                Datum::set([Atom::NamedUuid("local".into())]),
            ),
        ]);
        // The bridge's own internal port (OpenFlow LOCAL), as `ovs-vsctl add-br` creates it.
        let mut local_iface = PortConfig::new(&cfg.name, InterfaceType::Internal).interface_row();
        local_iface.insert("name".into(), cfg.name.as_str().into());
        let local_port = Row::from([
            ("name".into(), cfg.name.as_str().into()),
            (
                "interfaces".into(),
                Datum::set([Atom::NamedUuid("local_if".into())]),
            ),
        ]);
        let res = self
            .transact(&[
                Operation::insert("Controller", &controller).uuid_name("ctl"),
                Operation::insert("Interface", &local_iface).uuid_name("local_if"),
                Operation::insert("Port", &local_port).uuid_name("local"),
                Operation::insert("Bridge", &bridge).uuid_name("br"),
                Operation::mutate(
                    DB,
                    &[],
                    &[Mutation::insert(
                        "bridges",
                        Datum::set([Atom::NamedUuid("br".into())]),
                    )],
                ),
                Operation::comment(&format!("netplugin: create bridge {}", cfg.name)),
            ])
            .await?;
        // Without the Open_vSwitch row the unreferenced rows were garbage-collected.
        expect_count(&res, 4, "the Open_vSwitch row (initialize the database)")?;
        inserted(&res, 3)
    }

    /// Deletes bridge `name` with its ports and controller; `false` if it did not exist.
    pub async fn delete_bridge(&self, name: &str) -> Result<bool> {
        let read = self
            .transact(&[Operation::select(
                "Bridge",
                &by_name(name),
                Some(&["_uuid"]),
            )])
            .await?;
        let Some(bridge) = rows(&read, 0)?.into_iter().next() else {
            return Ok(false);
        };
        self.transact(&[Operation::mutate(
            DB,
            &[],
            &[Mutation::delete(
                "bridges",
                Datum::set([row_uuid(&bridge)?]),
            )],
        )])
        .await?;
        Ok(true)
    }
}
