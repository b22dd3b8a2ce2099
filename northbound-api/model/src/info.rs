//! What netmaster says about itself, with Contiv's paths and field names: `GET /version` and
//! `GET /info`.

use serde::{Deserialize, Serialize};

/// `GET /version`: the build of netmaster that answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VersionInfo {
    /// The commit it was built from (empty when built outside a git checkout).
    #[serde(rename = "GitCommit")]
    pub git_commit: String,
    /// Its version.
    #[serde(rename = "Version")]
    pub version: String,
    /// When that commit was made (RFC 3339; empty outside a git checkout), so that two builds
    /// of one commit answer the same.
    #[serde(rename = "BuildTime")]
    pub build_time: String,
}

/// Whether a netmaster is the one that writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReplicaState {
    /// It compiles intent and programs the switches.
    Leader,
    /// It serves reads and leaves writing to the leader.
    Follower,
}

/// `GET /info`: this netmaster, the leader, and the agents it hears from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NetmasterInfo {
    /// Whether this netmaster leads (a single netmaster always does).
    #[serde(rename = "current-state")]
    pub current_state: ReplicaState,
    /// The leader's API address (empty while replicas have no leader).
    #[serde(rename = "leader-ip")]
    pub leader_ip: String,
    /// The leader's API URL, where writes go (replicas on etcd; none while there is no
    /// leader).
    #[serde(
        rename = "leader-url",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub leader_url: Option<String>,
    /// This netmaster's API address.
    #[serde(rename = "local-ip")]
    pub local_ip: String,
    /// Every netmaster's API address.
    #[serde(rename = "netmaster-nodes")]
    pub netmaster_nodes: Vec<String>,
    /// The hosts whose agents report (their names), in name order.
    #[serde(rename = "netplugin-nodes")]
    pub netplugin_nodes: Vec<String>,
}
