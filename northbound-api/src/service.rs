//! The interface the controller implements for the REST API and netctl. Its [`Batch`] and
//! [`ApiError`] are wire types of [`northbound_model`], re-exported here.

pub use northbound_model::batch::Batch;
pub use northbound_model::error::ApiError;

use crate::model::{Kind, Object};

/// The intent service: validated, all-or-nothing changes to the object store.
pub trait IntentService: Send + Sync + 'static {
    /// Every object of a kind, sorted by key, with allocated fields filled in.
    fn list(&self, kind: Kind) -> Vec<Object>;
    /// One object.
    fn get(&self, kind: Kind, key: &str) -> Option<Object>;
    /// Applies a batch; returns the upserted objects as stored (with allocations).
    fn apply(&self, batch: Batch) -> Result<Vec<Object>, ApiError>;
}
