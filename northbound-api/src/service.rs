//! The interface the controller implements for the REST API and netctl.

use crate::model::{Kind, Object};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A set of changes applied all-or-nothing: if any change is rejected, none is applied.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    /// Objects to create or replace.
    #[serde(default)]
    pub upserts: Vec<Object>,
    /// Objects to delete, by kind and key.
    #[serde(default)]
    pub deletes: Vec<(Kind, String)>,
    /// Desired-state replace: every object not in `upserts` is deleted (children first).
    #[serde(default)]
    pub replace: bool,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// HTTP status (400 invalid, 404 unknown, 409 conflict, 500 internal).
    pub status: u16,
    /// What is wrong, naming the object and field.
    pub message: String,
}

impl ApiError {
    /// A 400 error.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            message: message.into(),
        }
    }

    /// A 404 error.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 404,
            message: message.into(),
        }
    }

    /// A 409 error.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 409,
            message: message.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

impl std::error::Error for ApiError {}

/// The intent service: validated, all-or-nothing changes to the object store.
pub trait IntentService: Send + Sync + 'static {
    /// Every object of a kind, sorted by key, with allocated fields filled in.
    fn list(&self, kind: Kind) -> Vec<Object>;
    /// One object.
    fn get(&self, kind: Kind, key: &str) -> Option<Object>;
    /// Applies a batch; returns the upserted objects as stored (with allocations).
    fn apply(&self, batch: Batch) -> Result<Vec<Object>, ApiError>;
}
