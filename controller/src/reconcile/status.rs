//! Where one switch's reconciler stands ([`SyncStatus`]): published by [`super::run`] on a
//! `watch` channel that the controller's registry keeps, and shown by `GET /api/v1/audit/`.

use super::Outcome;
use northbound_api::audit::{Drift, Reconciliation, SyncState, Trigger};
use std::time::{Duration, SystemTime};

/// The sync state of one switch's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    /// Where it stands.
    pub state: SyncState,
    /// When it entered that state.
    pub since: SystemTime,
    /// The latest snapshot the switch was found to hold.
    pub snapshot: Option<u64>,
    /// The last reconciliation that read the switch's tables.
    pub last_read: Option<Reconciliation>,
    /// Full reads since the switch connected.
    pub reads: u64,
    /// Reconciliations that sent something although the desired state had not changed.
    pub repairs: u64,
    /// Why the last reconciliation failed, while [`SyncState::Failed`].
    pub error: Option<String>,
}

impl Default for SyncStatus {
    fn default() -> SyncStatus {
        SyncStatus {
            state: SyncState::Pending,
            since: SystemTime::now(),
            snapshot: None,
            last_read: None,
            reads: 0,
            repairs: 0,
            error: None,
        }
    }
}

impl SyncStatus {
    /// Moves to `state` (its start time changes only when the state does).
    pub(super) fn enter(&mut self, state: SyncState) {
        if self.state != state {
            self.state = state;
            self.since = SystemTime::now();
        }
        if state != SyncState::Failed {
            self.error = None;
        }
    }

    /// Records a reconciliation that read the switch and sent `outcome`, for `snapshot`;
    /// `repair` when the desired state had not changed since the switch last held it.
    pub(super) fn read(
        &mut self,
        snapshot: u64,
        trigger: Trigger,
        started: (SystemTime, Duration),
        outcome: &Outcome,
        repair: bool,
    ) {
        self.reads += 1;
        if repair && outcome.messages > 0 {
            self.repairs += 1;
        }
        let s = &outcome.stats;
        self.last_read = Some(Reconciliation {
            trigger,
            at_ms: unix_ms(started.0),
            took_us: u64::try_from(started.1.as_micros()).unwrap_or(u64::MAX),
            missing: drift(s.flows.added, s.groups.added, s.meters.added),
            unexpected: drift(s.flows.deleted, s.groups.deleted, s.meters.deleted),
            different: drift(s.flows.modified, s.groups.modified, s.meters.modified),
            messages: outcome.messages as u64,
            errors: outcome.errors as u64,
        });
        self.pushed(snapshot, outcome);
    }

    /// Records a reconciliation that sent `outcome` for `snapshot` without reading the
    /// switch (it held the previous snapshot).
    pub(super) fn pushed(&mut self, snapshot: u64, outcome: &Outcome) {
        if outcome.errors == 0 {
            self.enter(SyncState::InSync);
            self.snapshot = Some(snapshot);
        } else {
            self.fail(format!(
                "the switch refused {} of {} messages",
                outcome.errors, outcome.messages
            ));
        }
    }

    /// Records a failed reconciliation.
    pub(super) fn fail(&mut self, error: String) {
        self.enter(SyncState::Failed);
        self.error = Some(error);
    }
}

/// Milliseconds since the Unix epoch (0 for a time before it).
pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn drift(flows: usize, groups: usize, meters: usize) -> Drift {
    Drift {
        flows: flows as u64,
        groups: groups as u64,
        meters: meters as u64,
    }
}
