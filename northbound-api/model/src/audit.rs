//! What `GET /api/v1/audit/` answers: for every switch netmaster programs, whether it holds
//! what the latest compiled snapshot gives it, what the last reconciliation found and sent, and
//! how often drift was repaired. A client waits on it for "the fabric has taken my change"
//! ([`Audit::settled`]) instead of sleeping.

use serde::{Deserialize, Serialize};

/// The sync state of every switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Audit {
    /// The number of the latest compiled snapshot (it grows by one with every compile).
    pub snapshot: u64,
    /// An input of the compile (intent, agent reports, multicast memberships) changed after
    /// that snapshot was compiled: a newer one is on its way.
    pub compile_pending: bool,
    /// Every switch that should be programmed or is connected, in datapath id order.
    pub switches: Vec<SwitchAudit>,
}

impl Audit {
    /// True when every input is compiled and every switch holds the latest snapshot: nothing
    /// netmaster knows of is still on its way to a switch.
    pub fn settled(&self) -> bool {
        !self.compile_pending
            && self
                .switches
                .iter()
                .all(|s| s.state == SyncState::InSync && s.snapshot == Some(self.snapshot))
    }
}

/// One switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchAudit {
    /// Its datapath id.
    pub dpid: u64,
    /// The host whose agent reported it, if any.
    pub host: Option<String>,
    /// Where its OpenFlow connection comes from (absent when it is not connected).
    pub peer: Option<String>,
    /// Where it stands.
    pub state: SyncState,
    /// Milliseconds since the Unix epoch at which it entered that state.
    pub since_ms: u64,
    /// The latest snapshot it was found to hold (after the last reconciliation sent what was
    /// missing); absent until then.
    pub snapshot: Option<u64>,
    /// The last reconciliation that read the switch's tables.
    pub last_read: Option<Reconciliation>,
    /// Full reads of its tables since it connected.
    pub reads: u64,
    /// Reconciliations since it connected that sent something although the desired state had
    /// not changed: drift (a flow deleted or changed by hand) repaired.
    pub repairs: u64,
    /// Why the last reconciliation failed, while [`SyncState::Failed`].
    pub error: Option<String>,
}

/// Where a switch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum SyncState {
    /// It holds the snapshot named in [`SwitchAudit::snapshot`].
    InSync,
    /// It connected or its desired state changed, and the reconciliation has not finished.
    Pending,
    /// The last reconciliation failed, or the switch refused some of what was sent.
    Failed,
    /// It should be programmed but has no OpenFlow connection.
    Disconnected,
    /// It connected with the slave role: netmaster only reads it.
    ReadOnly,
}

impl SyncState {
    /// Its name on the wire (`inSync`, `pending`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::InSync => "inSync",
            SyncState::Pending => "pending",
            SyncState::Failed => "failed",
            SyncState::Disconnected => "disconnected",
            SyncState::ReadOnly => "readOnly",
        }
    }
}

/// One reconciliation that read a switch's tables and sent the difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reconciliation {
    /// What started it.
    pub trigger: Trigger,
    /// Milliseconds since the Unix epoch at which it started.
    pub at_ms: u64,
    /// How long reading, comparing and sending took, in microseconds.
    pub took_us: u64,
    /// Flows, groups and meters of the desired state the switch lacked.
    pub missing: Drift,
    /// Ours on the switch that the desired state does not have (deleted).
    pub unexpected: Drift,
    /// On the switch with other actions, bands or buckets (modified).
    pub different: Drift,
    /// Messages sent.
    pub messages: u64,
    /// Messages the switch refused.
    pub errors: u64,
}

/// Counts of flows, groups and meters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Drift {
    /// Flows.
    pub flows: u64,
    /// Groups.
    pub groups: u64,
    /// Meters.
    pub meters: u64,
}

impl Drift {
    /// The sum of the three.
    pub fn total(&self) -> u64 {
        self.flows + self.groups + self.meters
    }
}

/// What started a reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum Trigger {
    /// The switch connected.
    Connect,
    /// A new snapshot changed the switch's desired state.
    Intent,
    /// The periodic audit.
    Audit,
}

impl Trigger {
    /// Its name on the wire and in the logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Connect => "connect",
            Trigger::Intent => "intent",
            Trigger::Audit => "audit",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn switch(state: SyncState, snapshot: Option<u64>) -> SwitchAudit {
        SwitchAudit {
            dpid: 1,
            host: Some("host1".into()),
            peer: None,
            state,
            since_ms: 0,
            snapshot,
            last_read: None,
            reads: 0,
            repairs: 0,
            error: None,
        }
    }

    #[test]
    fn settled_needs_every_switch_in_sync_with_the_latest_snapshot() {
        let mut a = Audit {
            snapshot: 7,
            compile_pending: false,
            switches: vec![switch(SyncState::InSync, Some(7))],
        };
        assert!(a.settled());
        a.switches.push(switch(SyncState::InSync, Some(6)));
        assert!(!a.settled(), "one switch holds an older snapshot");
        a.switches[1] = switch(SyncState::Pending, Some(7));
        assert!(!a.settled());
        a.switches[1] = switch(SyncState::InSync, Some(7));
        a.compile_pending = true;
        assert!(!a.settled(), "an input is not compiled yet");
    }

    #[test]
    fn the_wire_form_is_camel_case() {
        let a = Audit {
            snapshot: 3,
            compile_pending: false,
            switches: vec![switch(SyncState::InSync, Some(3))],
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["compilePending"], false);
        assert_eq!(v["switches"][0]["state"], "inSync");
        assert_eq!(v["switches"][0]["sinceMs"], 0);
        assert_eq!(SyncState::Disconnected.as_str(), "disconnected");
        let back: Audit = serde_json::from_value(v).unwrap();
        assert_eq!(back, a);
    }
}
