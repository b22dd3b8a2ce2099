//! [`IntentDb`]: the [`IntentService`] over the [`Store`] (its `objects` and `meta` tables).
//!
//! The validated state lives in memory; a batch is applied to a copy, committed to the store
//! in one transaction (changed objects and the allocator counters), and only then becomes the
//! current state. A version number, published on a `watch` channel, counts successful
//! applies so that the compiler can run after each.

use super::ipam::{Counters, Ipam};
use super::state::State;
use super::Snapshot;
use crate::store::{decode, encode, MemStore, Store, StoreError, Table, Txn};
use northbound_api::model::{Host, Kind, Object, Tenant, DEFAULT_TENANT};
use northbound_api::service::{Batch, IntentError, IntentService};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::watch;

/// How an object is stored: the object with its allocations, and its stable id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    object: Object,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
}

const COUNTERS: &str = "counters";

/// The store key of an object: `<collection>/<key>`.
fn store_key(kind: Kind, key: &str) -> String {
    format!("{}/{key}", kind.collection())
}

/// The intent database: validated state in memory, persisted in a store.
pub struct IntentDb {
    store: Arc<dyn Store>,
    /// Serializes writers (apply runs one at a time).
    writer: Mutex<()>,
    state: RwLock<Arc<State>>,
    version: watch::Sender<u64>,
}

impl IntentDb {
    /// Loads the state from a store.
    pub fn open(store: Arc<dyn Store>) -> Result<IntentDb, StoreError> {
        let state = Self::load(store.as_ref())?;
        Ok(IntentDb {
            store,
            writer: Mutex::new(()),
            state: RwLock::new(Arc::new(state)),
            version: watch::channel(0).0,
        })
    }

    /// Loads the state again from the store, which another replica changed (a follower's
    /// watched copy; a new leader's starting point); the version is bumped.
    pub fn reload(&self) -> Result<(), StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let state = Self::load(self.store.as_ref())?;
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(state);
        self.version.send_modify(|v| *v += 1);
        Ok(())
    }

    fn load(store: &dyn Store) -> Result<State, StoreError> {
        let counters: Counters = match store.rows(Table::Meta)?.get(COUNTERS) {
            Some(v) => decode(Table::Meta, COUNTERS, v)?,
            None => Counters::default(),
        };
        let objects = store.rows(Table::Objects)?;
        let mut records = Vec::with_capacity(objects.len());
        for (k, v) in &objects {
            records.push((k, decode::<Record>(Table::Objects, k, v)?));
        }
        records.sort_by_key(|(_, r)| Kind::ALL.iter().position(|k| *k == r.object.kind()));
        let mut state = State {
            ipam: Ipam::new(counters),
            ..State::default()
        };
        for (key, r) in records {
            state
                .restore(r.object, r.id)
                .map_err(|e| StoreError::Invalid {
                    table: Table::Objects,
                    key: key.clone(),
                    message: e.to_string(),
                })?;
        }
        Ok(state)
    }

    /// An empty database kept in memory only (tests).
    pub fn in_memory() -> IntentDb {
        IntentDb::open(Arc::new(MemStore::default())).expect("an empty memory store loads")
    }

    fn current(&self) -> Arc<State> {
        self.state.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// What the compiler consumes: every object with allocations, and the ids.
    pub fn snapshot(&self) -> Snapshot {
        self.current().snap.clone()
    }

    /// The hosts intent declares, by name (shared with the snapshot, not copied).
    pub fn hosts(&self) -> imbl::OrdMap<String, Host> {
        self.current().snap.hosts.clone()
    }

    /// A receiver of the version, bumped after every successful apply.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// The current version (number of successful applies since open).
    pub fn version(&self) -> u64 {
        *self.version.borrow()
    }

    /// Creates Contiv's `default` tenant when it does not exist (as Contiv's netmaster does at
    /// start), so that objects created without a tenant have one. Whether it was created.
    pub fn ensure_default_tenant(&self) -> Result<bool, IntentError> {
        if self.get(Kind::Tenant, DEFAULT_TENANT).is_some() {
            return Ok(false);
        }
        self.apply(Batch {
            upserts: vec![Object::Tenant(Tenant::named(DEFAULT_TENANT))],
            ..Batch::default()
        })?;
        Ok(true)
    }

    /// The store transaction writing the touched objects (as they are in `new`) and counters.
    fn txn(new: &State, applied: &super::state::Applied) -> Txn {
        let mut txn = Txn::default();
        txn.put(Table::Meta, COUNTERS, encode(&new.ipam.counters));
        for (kind, key) in &applied.touched {
            let skey = store_key(*kind, key);
            match new.get(*kind, key) {
                Some(object) => txn.put(
                    Table::Objects,
                    skey,
                    encode(&Record {
                        object,
                        id: new.id(*kind, key),
                    }),
                ),
                None => txn.delete(Table::Objects, skey),
            };
        }
        txn
    }
}

impl IntentService for IntentDb {
    fn list(&self, kind: Kind) -> Vec<Object> {
        let state = self.current();
        state
            .keys(kind)
            .iter()
            .filter_map(|k| state.get(kind, k))
            .collect()
    }

    fn get(&self, kind: Kind, key: &str) -> Option<Object> {
        if let Some(object) = self.current().get(kind, key) {
            return Some(object);
        }
        // A follower replica's copy may not have an object the leader just wrote (a client
        // that created an endpoint through one replica and reads it through another): a miss
        // is read from the store itself, one key.
        let skey = store_key(kind, key);
        match self.store.read_through(Table::Objects, &skey)? {
            Ok(Some(bytes)) => decode::<Record>(Table::Objects, &skey, &bytes)
                .ok()
                .map(|r| r.object),
            Ok(None) | Err(_) => None,
        }
    }

    fn apply(&self, batch: Batch) -> Result<Vec<Object>, IntentError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = (*self.current()).clone();
        let applied = next.apply(batch)?;
        self.store
            .commit(&Self::txn(&next, &applied))
            .map_err(|e| match e.is_unavailable() {
                true => IntentError::Unavailable(Box::new(e)),
                false => IntentError::Store(Box::new(e)),
            })?;
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        self.version.send_modify(|v| *v += 1);
        Ok(applied.objects)
    }
}
