//! Persistence of intent: a key-value store of serialized objects and allocator state,
//! changed one transaction at a time.
//!
//! Layout (both backends): table `objects` maps `<collection>/<key>` (e.g.
//! `networks/t1:web`) to the JSON of a record (object and id, see `service`); table `meta`
//! maps `counters` to the JSON of the allocator counters.
//!
//! [`RedbStore`] is the embedded default: one redb file, every commit durable before
//! [`IntentStore::commit`] returns (redb's copy-on-write commit survives a crash at any point).
//! [`MemStore`] keeps everything in memory for tests.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Mutex;

use redb::{ReadableTable, TableDefinition};

const OBJECTS: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// Everything in a store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contents {
    /// Serialized objects by store key.
    pub objects: BTreeMap<String, Vec<u8>>,
    /// Serialized metadata (allocator state) by name.
    pub meta: BTreeMap<String, Vec<u8>>,
}

/// One transaction: applied entirely or not at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Txn {
    /// Objects to write (store key, value).
    pub puts: Vec<(String, Vec<u8>)>,
    /// Objects to delete (store keys).
    pub deletes: Vec<String>,
    /// Metadata to write (name, value).
    pub meta: Vec<(String, Vec<u8>)>,
}

/// A store failure (I/O, corruption).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "intent store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

fn err(e: impl fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// Where intent is kept.
pub trait IntentStore: Send + Sync + 'static {
    /// Reads everything.
    fn load(&self) -> Result<Contents, StoreError>;
    /// Applies one transaction atomically and durably.
    fn commit(&self, txn: &Txn) -> Result<(), StoreError>;
}

/// An in-memory store for tests.
#[derive(Debug, Default)]
pub struct MemStore(Mutex<Contents>);

impl IntentStore for MemStore {
    fn load(&self) -> Result<Contents, StoreError> {
        Ok(self.0.lock().map_err(err)?.clone())
    }

    fn commit(&self, txn: &Txn) -> Result<(), StoreError> {
        let mut c = self.0.lock().map_err(err)?;
        for k in &txn.deletes {
            c.objects.remove(k);
        }
        for (k, v) in &txn.puts {
            c.objects.insert(k.clone(), v.clone());
        }
        for (k, v) in &txn.meta {
            c.meta.insert(k.clone(), v.clone());
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
        let db = redb::Database::create(path).map_err(err)?;
        let txn = db.begin_write().map_err(err)?;
        txn.open_table(OBJECTS).map_err(err)?;
        txn.open_table(META).map_err(err)?;
        txn.commit().map_err(err)?;
        Ok(RedbStore(db))
    }
}

fn read_table(
    txn: &redb::ReadTransaction,
    def: TableDefinition<&str, &[u8]>,
) -> Result<BTreeMap<String, Vec<u8>>, StoreError> {
    let table = txn.open_table(def).map_err(err)?;
    let mut out = BTreeMap::new();
    for row in table.iter().map_err(err)? {
        let (k, v) = row.map_err(err)?;
        out.insert(k.value().to_string(), v.value().to_vec());
    }
    Ok(out)
}

impl IntentStore for RedbStore {
    fn load(&self) -> Result<Contents, StoreError> {
        let txn = self.0.begin_read().map_err(err)?;
        Ok(Contents {
            objects: read_table(&txn, OBJECTS)?,
            meta: read_table(&txn, META)?,
        })
    }

    fn commit(&self, t: &Txn) -> Result<(), StoreError> {
        let txn = self.0.begin_write().map_err(err)?;
        {
            let mut objects = txn.open_table(OBJECTS).map_err(err)?;
            for k in &t.deletes {
                objects.remove(k.as_str()).map_err(err)?;
            }
            for (k, v) in &t.puts {
                objects.insert(k.as_str(), v.as_slice()).map_err(err)?;
            }
            let mut meta = txn.open_table(META).map_err(err)?;
            for (k, v) in &t.meta {
                meta.insert(k.as_str(), v.as_slice()).map_err(err)?;
            }
        }
        txn.commit().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(store: &dyn IntentStore) {
        let txn = Txn {
            puts: vec![
                ("tenants/a".into(), b"1".to_vec()),
                ("tenants/b".into(), b"2".to_vec()),
            ],
            deletes: vec![],
            meta: vec![("counters".into(), b"{}".to_vec())],
        };
        store.commit(&txn).unwrap();
        store
            .commit(&Txn {
                deletes: vec!["tenants/a".into()],
                ..Txn::default()
            })
            .unwrap();
        let c = store.load().unwrap();
        assert_eq!(
            c.objects.into_iter().collect::<Vec<_>>(),
            vec![("tenants/b".to_string(), b"2".to_vec())]
        );
        assert_eq!(c.meta["counters"], b"{}".to_vec());
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
        let c = RedbStore::open(&path).unwrap().load().unwrap();
        assert_eq!(c.objects.len(), 1);
    }
}
