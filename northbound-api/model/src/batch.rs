//! A set of changes applied all-or-nothing (`POST /api/v1/batch`, `netctl -cfg FILE`).

use crate::model::{Kind, Object};
use serde::{Deserialize, Serialize};

/// A set of changes applied all-or-nothing: if any change is rejected, none is applied.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Batch {
    /// Objects to create or replace.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::model::IntentObject>))]
    pub upserts: Vec<Object>,
    /// Objects to delete, by kind and key.
    #[serde(default)]
    pub deletes: Vec<(Kind, String)>,
    /// Desired-state replace: every object not in `upserts` is deleted (children first).
    #[serde(default)]
    pub replace: bool,
}
