//! Operational state netmaster learned rather than was told: what `GET
//! /api/v1/inspect/networks/{key}/` shows beside a network's intent (Contiv's `Config` and
//! `Oper`).

use crate::model::Network;
use serde::{Deserialize, Serialize};

/// The answer of `GET /api/v1/inspect/networks/{key}/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NetworkInspect {
    /// The network's intent.
    #[serde(rename = "Config")]
    pub config: Network,
    /// What netmaster observed.
    #[serde(rename = "Oper")]
    pub oper: NetworkOper,
}

/// What netmaster observed about one network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkOper {
    /// Its IPv4 multicast groups with members (IGMP snooping), in address order.
    pub multicast_groups: Vec<MulticastGroupOper>,
}

/// One multicast group of a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MulticastGroupOper {
    /// The group address.
    pub group: String,
    /// Its members, in endpoint-key order.
    pub members: Vec<MulticastMemberOper>,
}

/// One member of a multicast group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MulticastMemberOper {
    /// The endpoint's key (`tenant:container`).
    pub endpoint: String,
    /// The host it is on.
    pub host: String,
    /// Milliseconds until the membership ends unless a report renews it.
    pub expires_in_ms: u64,
}
