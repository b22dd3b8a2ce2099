//! Typed operations on the `Open_vSwitch` database: the bridge the controller programs, its
//! ports and interfaces, and switch-wide settings (the TLS credentials of `ssl:` controllers among them). Each `ensure_*` reads the current rows first
//! and writes only what differs, in one transaction, so repeating a call changes nothing.

mod bridge;
mod port;
mod ssl;

pub use bridge::{BridgeConfig, DatapathType};
pub use port::{InterfaceType, PortConfig, PortInfo};
pub use ssl::SslFiles;

use super::{
    Atom, Client, Condition, Datum, Error, Mutation, OpResult, Operation, Result, Row, Uuid,
};
use std::collections::BTreeMap;
use std::path::Path;

/// The database name.
pub const DB: &str = "Open_vSwitch";

/// Outcome of an `ensure_*` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ensured {
    /// The row that now matches the request.
    pub uuid: Uuid,
    /// Whether a transaction changed anything.
    pub changed: bool,
}

fn by_name(name: &str) -> [Condition; 1] {
    [Condition::eq("name", name)]
}

fn by_uuid(uuid: &Uuid) -> [Condition; 1] {
    [Condition::eq("_uuid", uuid.clone())]
}

fn column<'r>(row: &'r Row, name: &str) -> Result<&'r Datum> {
    row.get(name)
        .ok_or_else(|| Error::Protocol(format!("column {name} missing from {row:?}")))
}

fn row_uuid(row: &Row) -> Result<Uuid> {
    column(row, "_uuid")?
        .single()
        .and_then(Atom::as_uuid)
        .cloned()
        .ok_or_else(|| Error::Protocol(format!("bad _uuid in {row:?}")))
}

/// The rows of the `select` result at `index`.
fn rows(results: &[OpResult], index: usize) -> Result<Vec<Row>> {
    results
        .get(index)
        .ok_or_else(|| Error::Protocol(format!("no result {index}")))?
        .rows()
}

/// The row the insert at `index` of `results` created, as a change.
fn inserted(results: &[OpResult], index: usize) -> Result<Ensured> {
    let uuid = results
        .get(index)
        .and_then(OpResult::uuid)
        .ok_or_else(|| Error::Protocol(format!("insert {index} without uuid")))?;
    Ok(Ensured {
        uuid,
        changed: true,
    })
}

fn expect_count(results: &[OpResult], index: usize, what: &str) -> Result<()> {
    match results.get(index).and_then(OpResult::count) {
        Some(1) => Ok(()),
        _ => Err(Error::NotFound(what.to_string())),
    }
}

/// Sets `pairs` in map column `column` of the rows matching `wh` (delete the keys, then insert:
/// an `insert` mutation keeps the value of a key that exists).
fn set_map_keys(
    table: &str,
    wh: &[Condition],
    column: &str,
    pairs: &BTreeMap<String, String>,
) -> Operation {
    Operation::mutate(
        table,
        wh,
        &[
            Mutation::delete(column, Datum::set(pairs.keys().cloned())),
            Mutation::insert(column, Datum::string_map(pairs.clone())),
        ],
    )
}

/// Typed access to an `Open_vSwitch` database.
#[derive(Clone)]
pub struct Vswitch {
    client: Client,
}

impl Vswitch {
    /// Uses an existing connection.
    pub fn new(client: Client) -> Vswitch {
        Vswitch { client }
    }

    /// Connects to the database socket (`unix:` path of `ovsdb-server --remote=punix:`).
    pub async fn connect(path: impl AsRef<Path>) -> Result<Vswitch> {
        Ok(Vswitch::new(Client::connect(path).await?))
    }

    /// The underlying connection.
    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn transact(&self, ops: &[Operation]) -> Result<Vec<OpResult>> {
        self.client.transact(DB, ops).await
    }

    /// Makes sure the single `Open_vSwitch` row exists (what `ovs-vsctl init` does).
    pub async fn ensure_initialized(&self) -> Result<Ensured> {
        let read = self
            .transact(&[Operation::select(DB, &[], Some(&["_uuid"]))])
            .await?;
        if let Some(r) = rows(&read, 0)?.first() {
            return Ok(Ensured {
                uuid: row_uuid(r)?,
                changed: false,
            });
        }
        let res = self.transact(&[Operation::insert(DB, &Row::new())]).await?;
        inserted(&res, 0)
    }

    /// Sets `other_config:hw-offload` of the `Open_vSwitch` row (ovs-vswitchd reads it at
    /// start-up only).
    pub async fn set_hw_offload(&self, enabled: bool) -> Result<()> {
        let pairs = BTreeMap::from([("hw-offload".to_string(), enabled.to_string())]);
        let res = self
            .transact(&[set_map_keys(DB, &[], "other_config", &pairs)])
            .await?;
        expect_count(&res, 0, "the Open_vSwitch row (initialize the database)")
    }
}
