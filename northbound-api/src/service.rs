//! The interface the controller implements for the REST API and netctl. Its [`Batch`] is a
//! wire type of [`northbound_model`], re-exported here; its [`IntentError`] says why a batch
//! was refused, and only the REST layer turns that into an HTTP status.

pub use northbound_model::batch::Batch;

use crate::model::{Kind, Object};

/// Why the intent service refused a batch. Nothing of the batch was applied. The message names
/// the object and the field.
#[derive(Debug, thiserror::Error)]
pub enum IntentError {
    /// The batch is wrong in itself: a value out of range, a field that does not fit the others,
    /// an object twice.
    #[error("{0}")]
    Invalid(String),
    /// It names an object that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It conflicts with what exists: an address, tag or id already taken or exhausted, an
    /// object still in use.
    #[error("{0}")]
    Conflict(String),
    /// The store could not keep the change.
    #[error("the intent store failed: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store is out of reach, or this replica is not (any more) the leader: the same
    /// request may succeed later, or at the leader.
    #[error("unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The intent service: validated, all-or-nothing changes to the object store.
pub trait IntentService: Send + Sync + 'static {
    /// Every object of a kind, sorted by key, with allocated fields filled in.
    fn list(&self, kind: Kind) -> Vec<Object>;
    /// One object.
    fn get(&self, kind: Kind, key: &str) -> Option<Object>;
    /// Applies a batch; returns the upserted objects as stored (with allocations).
    fn apply(&self, batch: Batch) -> Result<Vec<Object>, IntentError>;
}
