//! The one store of everything netmaster keeps across a restart: intent objects and allocator
//! state, the agents' host reports and the multicast memberships IGMP snooping learned. Every
//! change is one transaction, applied entirely or not at all, durable before
//! [`Store::commit`] returns.
//!
//! Layout: four tables of string keys and JSON values ([`Table`]): `objects` maps
//! `<collection>/<key>` (e.g. `networks/t1:web`) to an intent record, `meta` maps `counters`
//! to the allocator counters, `agents` maps a host name to its latest report, and `multicast`
//! maps `memberships` to the snooping table.
//!
//! [`RedbStore`] is the embedded default: one redb file, whose copy-on-write commit survives a
//! crash at any point; redb serialises write transactions, so concurrent writers of every kind
//! are safe. [`MemStore`] keeps everything in memory (no `--store`, tests). [`EtcdStore`] keeps
//! the tables in etcd for replicas (`--store etcd://...`), fenced by the leadership.

mod etcd;
mod location;
pub use etcd::{EtcdConfig, EtcdStore, Fence};
pub use location::{LocationError, StoreLocation};

use redb::{ReadableTable, TableDefinition};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Mutex;

/// A table of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// Intent objects with their allocations, by `<collection>/<key>`.
    Objects,
    /// Allocator state, by name.
    Meta,
    /// The agents' host reports, by host name.
    Agents,
    /// IGMP snooping's memberships.
    Multicast,
}

impl Table {
    /// Every table.
    pub const ALL: [Table; 4] = [Table::Objects, Table::Meta, Table::Agents, Table::Multicast];

    /// Its name in the store file.
    pub fn name(self) -> &'static str {
        match self {
            Table::Objects => "objects",
            Table::Meta => "meta",
            Table::Agents => "agents",
            Table::Multicast => "multicast",
        }
    }

    fn definition(self) -> TableDefinition<'static, &'static str, &'static [u8]> {
        TableDefinition::new(self.name())
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The rows of one table, by key.
pub type Rows = BTreeMap<String, Vec<u8>>;

/// One write of a transaction: a row put (`Some`) or deleted (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// The table.
    pub table: Table,
    /// The row's key.
    pub key: String,
    /// The new value; `None` deletes the row.
    pub value: Option<Vec<u8>>,
}

/// One transaction: applied entirely or not at all, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Txn {
    /// The writes.
    pub writes: Vec<Write>,
}

impl Txn {
    /// Adds a put of `value` at `key` in `table`.
    pub fn put(&mut self, table: Table, key: impl Into<String>, value: Vec<u8>) -> &mut Txn {
        self.writes.push(Write {
            table,
            key: key.into(),
            value: Some(value),
        });
        self
    }

    /// Adds a delete of `key` in `table`.
    pub fn delete(&mut self, table: Table, key: impl Into<String>) -> &mut Txn {
        self.writes.push(Write {
            table,
            key: key.into(),
            value: None,
        });
        self
    }
}

/// Why the store failed, or what it holds could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The redb file failed (I/O, corruption, a full disk).
    #[error("store: {0}")]
    Redb(#[source] Box<redb::Error>),
    /// Another thread panicked while holding the in-memory store.
    #[error("store: poisoned by a panic")]
    Poisoned,
    /// etcd refused or failed a call (no member reachable, no quorum, a request too large).
    #[error("etcd: {0}")]
    Etcd(#[source] Box<etcd_client::Error>),
    /// etcd did not answer in time.
    #[error("etcd: no answer within {0:?}")]
    EtcdTimeout(std::time::Duration),
    /// The etcd store's runtime could not be started.
    #[error("etcd store: {0}")]
    Runtime(#[source] std::io::Error),
    /// This replica does not hold the leadership (any more): only the leader writes.
    #[error("this netmaster replica is not the leader")]
    NotLeader,
    /// A row does not decode as the record its table holds.
    #[error("store: {table} `{key}`: {source}")]
    Decode {
        /// The table.
        table: Table,
        /// The row's key.
        key: String,
        /// What is wrong with the JSON.
        source: serde_json::Error,
    },
    /// A row decodes but is not valid (e.g. an intent object the validation refuses now).
    #[error("store: {table} `{key}`: {message}")]
    Invalid {
        /// The table.
        table: Table,
        /// The row's key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl StoreError {
    /// Whether the failure is the store's being out of reach or this replica's not leading,
    /// which a retry (elsewhere, later) may overcome: the API answers 503.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Etcd(_) | StoreError::EtcdTimeout(_) | StoreError::NotLeader
        )
    }

    /// Converts any redb error.
    fn redb(e: impl Into<redb::Error>) -> StoreError {
        StoreError::Redb(Box::new(e.into()))
    }
}

/// Decodes the JSON row `key` of `table`.
pub fn decode<T: serde::de::DeserializeOwned>(
    table: Table,
    key: &str,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Decode {
        table,
        key: key.to_owned(),
        source,
    })
}

/// Encodes a record as the JSON of a row.
pub fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("store records serialize")
}

/// Where netmaster keeps what survives a restart.
pub trait Store: Send + Sync + 'static {
    /// Reads every row of `table` (each reader loads its own table, once, at start-up).
    fn rows(&self, table: Table) -> Result<Rows, StoreError>;
    /// Applies one transaction atomically and durably.
    fn commit(&self, txn: &Txn) -> Result<(), StoreError>;
    /// One row read now from the store itself, for a process whose copy may lag behind it
    /// (a follower replica); `None` when this process's copy is the store's (it alone
    /// writes).
    fn read_through(
        &self,
        _table: Table,
        _key: &str,
    ) -> Option<Result<Option<Vec<u8>>, StoreError>> {
        None
    }
}

/// An in-memory store (no `--store`, tests).
#[derive(Debug, Default)]
pub struct MemStore(Mutex<BTreeMap<Table, Rows>>);

impl Store for MemStore {
    fn rows(&self, table: Table) -> Result<Rows, StoreError> {
        let tables = self.0.lock().map_err(|_| StoreError::Poisoned)?;
        Ok(tables.get(&table).cloned().unwrap_or_default())
    }

    fn commit(&self, txn: &Txn) -> Result<(), StoreError> {
        let mut c = self.0.lock().map_err(|_| StoreError::Poisoned)?;
        for w in &txn.writes {
            let rows = c.entry(w.table).or_default();
            match &w.value {
                Some(v) => rows.insert(w.key.clone(), v.clone()),
                None => rows.remove(&w.key),
            };
        }
        Ok(())
    }
}

/// The embedded store: one redb file.
pub struct RedbStore(redb::Database);

impl fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RedbStore")
    }
}

impl RedbStore {
    /// Opens (creating if needed, repairing after a crash) the store file.
    pub fn open(path: &Path) -> Result<RedbStore, StoreError> {
        let db = redb::Database::create(path).map_err(StoreError::redb)?;
        let txn = db.begin_write().map_err(StoreError::redb)?;
        for t in Table::ALL {
            txn.open_table(t.definition()).map_err(StoreError::redb)?;
        }
        txn.commit().map_err(StoreError::redb)?;
        Ok(RedbStore(db))
    }
}

impl Store for RedbStore {
    fn rows(&self, t: Table) -> Result<Rows, StoreError> {
        let txn = self.0.begin_read().map_err(StoreError::redb)?;
        let table = txn.open_table(t.definition()).map_err(StoreError::redb)?;
        let mut rows = Rows::new();
        for row in table.iter().map_err(StoreError::redb)? {
            let (k, v) = row.map_err(StoreError::redb)?;
            rows.insert(k.value().to_string(), v.value().to_vec());
        }
        Ok(rows)
    }

    fn commit(&self, t: &Txn) -> Result<(), StoreError> {
        let txn = self.0.begin_write().map_err(StoreError::redb)?;
        for w in &t.writes {
            let mut table = txn
                .open_table(w.table.definition())
                .map_err(StoreError::redb)?;
            match &w.value {
                Some(v) => table.insert(w.key.as_str(), v.as_slice()),
                None => table.remove(w.key.as_str()),
            }
            .map_err(StoreError::redb)?;
        }
        txn.commit().map_err(StoreError::redb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(store: &dyn Store) {
        let mut txn = Txn::default();
        txn.put(Table::Objects, "tenants/a", b"1".to_vec())
            .put(Table::Objects, "tenants/b", b"2".to_vec())
            .put(Table::Meta, "counters", b"{}".to_vec())
            .put(Table::Agents, "host1", b"{}".to_vec());
        store.commit(&txn).unwrap();
        let mut txn = Txn::default();
        txn.delete(Table::Objects, "tenants/a");
        store.commit(&txn).unwrap();
        assert_eq!(
            store
                .rows(Table::Objects)
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            vec![("tenants/b".to_string(), b"2".to_vec())]
        );
        assert_eq!(store.rows(Table::Meta).unwrap()["counters"], b"{}".to_vec());
        assert_eq!(store.rows(Table::Agents).unwrap().len(), 1);
        assert!(store.rows(Table::Multicast).unwrap().is_empty());
    }

    #[test]
    fn mem_store_commits() {
        roundtrip(&MemStore::default());
    }

    #[test]
    fn redb_store_commits_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("intent.redb");
        roundtrip(&RedbStore::open(&path).unwrap());
        let again = RedbStore::open(&path).unwrap();
        assert_eq!(again.rows(Table::Objects).unwrap().len(), 1);
        assert_eq!(again.rows(Table::Agents).unwrap().len(), 1);
    }

    #[test]
    fn undecodable_rows_name_their_table_and_key() {
        let e = decode::<u32>(Table::Agents, "host1", b"{ not json").unwrap_err();
        assert!(e.to_string().contains("agents `host1`"), "{e}");
    }
}
