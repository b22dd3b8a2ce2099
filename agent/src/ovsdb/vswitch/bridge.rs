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
/// off, a fixed datapath id and its controllers (every netmaster replica).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeConfig {
    /// Bridge name.
    pub name: String,
    /// Datapath type; `None` keeps an existing bridge's, and creates a new one with
    /// [`DatapathType::System`] (Open vSwitch's default).
    pub datapath_type: Option<DatapathType>,
    /// Datapath id (`other_config:datapath-id`, written as 16 hex digits).
    pub datapath_id: u64,
    /// Controller targets, e.g. `tcp:10.254.0.254:6653` or `unix:/run/ovs/ctl.sock`: one per
    /// netmaster replica (at least one).
    pub controllers: Vec<String>,
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

/// What makes a bridge's controllers (`attached`, whose targets are in `targets`) exactly
/// `wanted`: rows with a wanted target stay, a row with a target no longer wanted is retargeted
/// to a missing one (which keeps the flows), missing ones are inserted (the operations go to
/// `ops`); the new value of the bridge's `controller` column, when it changes.
fn controllers_update(
    attached: &[Uuid],
    targets: &BTreeMap<Uuid, String>,
    wanted: &[String],
    ops: &mut Vec<Operation>,
) -> Option<Datum> {
    let target = |u: &Uuid| targets.get(u).map(String::as_str).unwrap_or_default();
    let mut keep: Vec<Atom> = Vec::new();
    let mut spare: Vec<&Uuid> = Vec::new();
    for u in attached {
        if wanted.iter().any(|w| w == target(u)) && !keep.contains(&Atom::Uuid(u.clone())) {
            keep.push(Atom::Uuid(u.clone()));
        } else {
            spare.push(u);
        }
    }
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !attached.iter().any(|u| target(u) == w.as_str()))
        .collect();
    if missing.is_empty() && spare.is_empty() {
        return None;
    }
    let mut spare = spare.into_iter();
    for (i, w) in missing.into_iter().enumerate() {
        let row = Row::from([("target".into(), w.as_str().into())]);
        match spare.next() {
            Some(u) => {
                ops.push(Operation::update("Controller", &by_uuid(u), &row));
                keep.push(Atom::Uuid(u.clone()));
            }
            None => {
                let name = format!("ctl{i}");
                ops.push(Operation::insert("Controller", &row).uuid_name(&name));
                keep.push(Atom::NamedUuid(name));
            }
        }
    }
    Some(Datum::set(keep))
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
        let attached = column(&bridge, "controller")?.uuids();
        if let Some(set) = controllers_update(&attached, &targets, &cfg.controllers, &mut ops) {
            update.insert("controller".into(), set);
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
        let controllers: Vec<Operation> = cfg
            .controllers
            .iter()
            .enumerate()
            .map(|(i, target)| {
                Operation::insert(
                    "Controller",
                    &Row::from([("target".into(), target.as_str().into())]),
                )
                .uuid_name(&format!("ctl{i}"))
            })
            .collect();
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
                Datum::set((0..cfg.controllers.len()).map(|i| Atom::NamedUuid(format!("ctl{i}")))),
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
        let mut ops = controllers;
        let first = ops.len();
        ops.extend([
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
        ]);
        let res = self.transact(&ops).await?;
        // Without the Open_vSwitch row the unreferenced rows were garbage-collected.
        expect_count(
            &res,
            first + 3,
            "the Open_vSwitch row (initialize the database)",
        )?;
        inserted(&res, first + 2)
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
