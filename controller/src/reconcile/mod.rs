//! Level-triggered reconciliation: read what a switch holds, diff it against what it should
//! hold ([`diff()`]) and send only the difference — as one atomic ONF bundle where the switch
//! supports it, else as flow/group/meter mods fenced by a barrier.
//!
//! One [`run`] task per connected switch reconciles on connect, whenever a new compiled
//! snapshot is published ([`crate::compiled`]), and on a periodic audit. It takes the state
//! the snapshot fitted to the switch's capabilities: which flows a switch may have is decided
//! when compiling, never here. The audit is cheap most of the time (an aggregate count of our
//! flows); a full read and diff runs when the count is off and every `full_audit_every` ticks,
//! so hand-made changes (a flow deleted with `ovs-ofctl del-flows`) are repaired within one
//! audit interval. Nothing is ever deleted wholesale: a controller restart against an
//! unchanged switch sends no flow-mod at all.
//!
//! A new snapshot for a switch known to hold the previous one exactly (its last
//! reconciliation refused nothing, and its last read found no other controller's entry) is
//! sent as the difference between the two snapshots' states, without reading the switch
//! first: one round trip instead of two, and no table dump per change. Drift in between is
//! found by the audits as before.

pub mod diff;
pub mod status;

use crate::compiled::{Capabilities, Compiled};
use crate::cookie::CookieFilter;
use crate::desired::SwitchState;
use crate::metrics::{BundleResult, METRICS};
use crate::session::{dpid_str, BundleError, RequestError, SwitchHandle};
use diff::{diff, Plan, PlanStats};
use northbound_api::audit::SyncState;
pub use northbound_api::audit::Trigger;
use ofproto::msg::Role;
use ofproto::multipart::{FlowStatsRequest, MultipartReplyBody, MultipartRequestBody};
use ofproto::Body;
use status::SyncStatus;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;
use tracing::{debug, info, warn};

/// Reconciler settings.
#[derive(Debug, Clone)]
pub struct ReconcileConfig {
    /// Time between audits.
    pub audit_interval: Duration,
    /// Every this many audits, a full read and diff runs even if the counts agree.
    pub full_audit_every: u32,
    /// Try ONF bundles first (falls back to barriers when the switch refuses them).
    pub use_bundles: bool,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig {
            audit_interval: Duration::from_secs(1),
            full_audit_every: 10,
            use_bundles: true,
        }
    }
}

/// How the difference was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing to send.
    InSync,
    /// One atomic bundle.
    Bundle,
    /// Messages fenced by a barrier.
    Barrier,
}

/// The result of one reconciliation.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What the plan contained.
    pub stats: PlanStats,
    /// Number of messages sent (flow, group and meter mods).
    pub messages: usize,
    /// How they were sent.
    pub delivery: Delivery,
    /// Errors the switch reported for individual messages (barrier mode).
    pub errors: usize,
}

/// Reads the switch's flows, groups and meters.
pub async fn read_actual(h: &SwitchHandle) -> Result<SwitchState, RequestError> {
    let (flows, groups, meters) =
        tokio::try_join!(h.flow_stats(), h.group_desc(), h.meter_config())?;
    Ok(SwitchState::from_switch(&flows, &groups, &meters))
}

/// Sends a plan's messages; `bundles` is cleared when the switch turns out not to support them.
///
/// With bundles, the flow and group mods go in one atomic bundle. Open vSwitch refuses
/// METER_MOD inside a bundle, so meter adds and modifies (at the front of a plan) are sent
/// before it and meter deletes (at its end) after it, each fenced by a barrier.
pub async fn apply(
    h: &SwitchHandle,
    plan: Plan,
    bundles: &mut bool,
) -> Result<Outcome, RequestError> {
    let mut outcome = Outcome {
        stats: plan.stats,
        messages: plan.messages.len(),
        delivery: Delivery::InSync,
        errors: 0,
    };
    if plan.messages.is_empty() {
        return Ok(outcome);
    }
    let (before, inner, after) = split_meter_mods(&plan.messages);
    outcome.errors += send_fenced(h, before).await?;
    outcome.delivery = Delivery::Barrier;
    if *bundles && !inner.is_empty() {
        let bundled = h.bundle(inner.to_vec()).await;
        match &bundled {
            Ok(()) => METRICS.bundle(BundleResult::committed),
            Err(BundleError::Failed(_)) => METRICS.bundle(BundleResult::failed),
            Err(BundleError::Unsupported(_)) => {}
        }
        match bundled {
            Ok(()) => outcome.delivery = Delivery::Bundle,
            Err(BundleError::Unsupported(e)) => {
                info!(dpid = %dpid_str(h.dpid()), error = ?e, "switch has no bundle support: using barriers");
                *bundles = false;
            }
            Err(BundleError::Failed(RequestError::Switch(e))) => {
                // One message the switch rejects must not keep every other one out: send
                // them one by one so that the good ones are installed and the bad one is
                // reported.
                warn!(dpid = %dpid_str(h.dpid()), error = ?e, "bundle rejected: sending its messages one by one");
            }
            Err(BundleError::Failed(e)) => return Err(e),
        }
    }
    if outcome.delivery != Delivery::Bundle {
        outcome.errors += send_fenced(h, inner).await?;
    }
    outcome.errors += send_fenced(h, after).await?;
    Ok(outcome)
}

/// Splits a plan into its leading meter mods, the middle, and its trailing meter mods.
fn split_meter_mods(msgs: &[Body]) -> (&[Body], &[Body], &[Body]) {
    let is_meter = |b: &Body| matches!(b, Body::MeterMod(_));
    let start = msgs.iter().take_while(|b| is_meter(b)).count();
    let end = msgs.len()
        - msgs[start..]
            .iter()
            .rev()
            .take_while(|b| is_meter(b))
            .count();
    (&msgs[..start], &msgs[start..end], &msgs[end..])
}

/// Sends messages followed by a barrier; logs and counts the errors they caused.
async fn send_fenced(h: &SwitchHandle, msgs: &[Body]) -> Result<usize, RequestError> {
    if msgs.is_empty() {
        return Ok(0);
    }
    let errors = h.batch(msgs.to_vec()).await?;
    for (xid, e) in &errors {
        warn!(dpid = %dpid_str(h.dpid()), xid, error = ?e, "switch rejected a reconcile message");
    }
    Ok(errors.len())
}

/// One full reconciliation: read, diff, send.
pub async fn reconcile_once(
    h: &SwitchHandle,
    desired: &SwitchState,
    bundles: &mut bool,
) -> Result<Outcome, RequestError> {
    let actual = read_actual(h).await?;
    apply(h, diff(desired, &actual), bundles).await
}

/// Number of our flows on the switch (an aggregate-stats request filtered by our cookie).
async fn count_our_flows(h: &SwitchHandle) -> Result<u32, RequestError> {
    let ours = CookieFilter::ours();
    let req = FlowStatsRequest {
        cookie: ours.cookie,
        cookie_mask: ours.mask,
        ..FlowStatsRequest::all()
    };
    match h
        .multipart(MultipartRequestBody::Aggregate(req))
        .await?
        .pop()
    {
        Some(MultipartReplyBody::Aggregate(a)) => Ok(a.flow_count),
        other => Err(RequestError::Unexpected(format!("{other:?}"))),
    }
}

fn log_outcome(h: &SwitchHandle, o: &Outcome, started: Instant, trigger: Trigger, read: bool) {
    let dpid = dpid_str(h.dpid());
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let trigger = trigger.as_str();
    if o.delivery == Delivery::InSync {
        debug!(%dpid, trigger, read, ms, "in sync");
        return;
    }
    let s = &o.stats;
    info!(
        %dpid, trigger, delivery = ?o.delivery, messages = o.messages,
        flows_added = s.flows.added, flows_modified = s.flows.modified, flows_deleted = s.flows.deleted,
        groups_added = s.groups.added, groups_modified = s.groups.modified, groups_deleted = s.groups.deleted,
        meters_added = s.meters.added, meters_modified = s.meters.modified, meters_deleted = s.meters.deleted,
        foreign_flows = s.flows.foreign, conflicts = s.conflicts, errors = o.errors, read, ms,
        "reconciled"
    );
}

/// Waits for the next reconciliation: a new snapshot, or the audit interval; `None` when the
/// snapshots end.
async fn next_trigger(
    compiled: &mut watch::Receiver<Arc<Compiled>>,
    cfg: &ReconcileConfig,
) -> Option<Trigger> {
    tokio::select! {
        changed = compiled.changed() => changed.ok().map(|()| Trigger::Intent),
        _ = tokio::time::sleep(cfg.audit_interval) => Some(Trigger::Audit),
    }
}

/// Waits until this controller is no longer a slave of the switch; `false` when the session
/// ended first.
async fn until_not_slave(
    h: &SwitchHandle,
    role: &mut watch::Receiver<Role>,
    cfg: &ReconcileConfig,
) -> bool {
    loop {
        tokio::select! {
            changed = role.changed() => {
                if changed.is_err() {
                    return false;
                }
            }
            _ = tokio::time::sleep(cfg.audit_interval) => {}
        }
        if h.is_closed() {
            return false;
        }
        if *role.borrow_and_update() != Role::Slave {
            return true;
        }
    }
}

/// Keeps one switch in the state the compiled snapshots give it until its session ends, and
/// publishes where it stands on `status`.
pub async fn run(
    h: SwitchHandle,
    mut compiled: watch::Receiver<Arc<Compiled>>,
    cfg: ReconcileConfig,
    status: watch::Sender<SyncStatus>,
) {
    let mut role = h.role();
    let mut bundles = cfg.use_bundles;
    let mut trigger = Trigger::Connect;
    let mut ticks = 0u32;
    let dpid = h.dpid();
    let capabilities = Capabilities {
        nicira: h.info().speaks_nicira(),
    };
    // What this switch was last reconciled to: an intent change elsewhere in the fabric that
    // leaves this switch's desired state alone costs it nothing.
    let mut last: Option<Arc<SwitchState>> = None;
    // Whether the switch is known to hold `last` exactly and nothing else of anyone's: the
    // last reconciliation was refused nothing, and the last read found no foreign entry
    // (a switch shared with another controller is always read first, so that a new flow never
    // overwrites the other's entry with the same match).
    let mut holds_last = false;
    let mut left_out = 0;
    loop {
        if *role.borrow_and_update() == Role::Slave {
            info!(dpid = %dpid_str(dpid), "slave role: read-only, not reconciling");
            status.send_modify(|s| s.enter(SyncState::ReadOnly));
            if !until_not_slave(&h, &mut role, &cfg).await {
                return;
            }
            // A new master reads the switch whole: it sends nothing when it is in sync.
            info!(dpid = %dpid_str(dpid), role = role.borrow().name(), "role granted: reconciling");
            trigger = Trigger::Connect;
            last = None;
            holds_last = false;
        }
        // Only this switch's state is kept, never the whole snapshot: a reconcile that waits
        // on its switch must not hold every other switch's state of an old snapshot.
        let (number, fitted) = {
            let snapshot = compiled.borrow_and_update();
            let fitted = snapshot
                .fitted(dpid, capabilities)
                .map(|f| (f.state.clone(), f.left_out));
            (snapshot.number, fitted)
        };
        let Some((desired, fitted_left_out)) = fitted else {
            // The switch told netmaster what it is when it connected: the next snapshot is
            // fitted to it. Until then nothing is sent (the trigger stays what it was).
            debug!(dpid = %dpid_str(dpid), "waiting for a snapshot fitted to the switch");
            match next_trigger(&mut compiled, &cfg).await {
                Some(_) if !h.is_closed() => continue,
                _ => return,
            }
        };
        if fitted_left_out != left_out {
            left_out = fitted_left_out;
            warn!(dpid = %dpid_str(dpid), left_out, "switch does not speak Open vSwitch's Nicira extensions: flows and groups using them are left out");
        }
        let started = (SystemTime::now(), Instant::now());
        // Decided by what the switch should hold, not by what woke the loop: a snapshot
        // published while an audit tick fired is still a change.
        let changed = last
            .as_ref()
            .is_none_or(|l| !Arc::ptr_eq(l, &desired) && **l != *desired);
        let full = changed
            || match trigger {
                Trigger::Audit if !ticks.is_multiple_of(cfg.full_audit_every.max(1)) => {
                    let want = desired
                        .flows
                        .values()
                        .filter(|f| crate::cookie::is_ours(f.cookie))
                        .count();
                    match count_our_flows(&h).await {
                        Ok(n) => n as usize != want,
                        Err(RequestError::Closed) => return,
                        Err(e) => {
                            warn!(dpid = %dpid_str(dpid), error = %e, "audit failed");
                            true
                        }
                    }
                }
                Trigger::Intent => false,
                Trigger::Audit | Trigger::Connect => true,
            };
        if changed {
            status.send_modify(|s| s.enter(SyncState::Pending));
        }
        // A new snapshot for a switch that holds the last one exactly: the difference between
        // the two is sent without reading the switch first (drift is the audits' business).
        let held = match &last {
            Some(l) if holds_last && changed && trigger == Trigger::Intent => Some(l.clone()),
            _ => None,
        };
        if held.is_some() || full {
            let read = held.is_none();
            let done = match &held {
                Some(held) => apply(&h, diff(&desired, held), &mut bundles).await,
                None => reconcile_once(&h, &desired, &mut bundles).await,
            };
            let took = started.1.elapsed();
            METRICS.reconciled(trigger, done.is_ok(), took);
            match done {
                Ok(o) => {
                    log_outcome(&h, &o, started.1, trigger, read);
                    let s = &o.stats;
                    // An audit that had to send something for an unchanged snapshot
                    // repaired drift.
                    let audit = trigger == Trigger::Audit && !changed;
                    METRICS.sent(audit, s.flows.mods(), s.groups.mods(), s.meters.mods());
                    if read {
                        status.send_modify(|s| {
                            s.read(number, trigger, (started.0, took), &o, !changed)
                        });
                    } else {
                        status.send_modify(|s| s.pushed(number, &o));
                    }
                    // Unread, the switch had no foreign entry at the last read.
                    holds_last = o.errors == 0 && (!read || s.flows.foreign == 0);
                    last = Some(desired);
                }
                Err(RequestError::Closed) => return,
                Err(e) => {
                    warn!(dpid = %dpid_str(dpid), trigger = trigger.as_str(), error = %e, "reconcile failed");
                    status.send_modify(|s| s.fail(e.to_string()));
                    holds_last = false;
                }
            }
        } else {
            // Nothing to send: a switch that held the previous snapshot holds this one.
            status.send_if_modified(|s| {
                let keep = s.state == SyncState::InSync && s.snapshot != Some(number);
                if keep {
                    s.snapshot = Some(number);
                }
                keep
            });
        }
        match next_trigger(&mut compiled, &cfg).await {
            Some(t) => trigger = t,
            None => return,
        }
        if trigger == Trigger::Audit {
            ticks = ticks.wrapping_add(1);
        }
        if h.is_closed() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_meter_mods;
    use ofproto::msg::{MeterMod, MeterModCommand};
    use ofproto::Body;

    fn meter() -> Body {
        Body::MeterMod(MeterMod {
            command: MeterModCommand::Add,
            flags: 0,
            meter_id: 1,
            bands: Vec::new(),
        })
    }

    #[test]
    fn meter_mods_are_split_off_both_ends() {
        let msgs = vec![
            meter(),
            meter(),
            Body::BarrierRequest,
            meter(),
            Body::BarrierRequest,
            meter(),
        ];
        let (b, i, a) = split_meter_mods(&msgs);
        assert_eq!((b.len(), i.len(), a.len()), (2, 3, 1));
        let (b, i, a) = split_meter_mods(&msgs[..2]);
        assert_eq!((b.len(), i.len(), a.len()), (2, 0, 0));
        let (b, i, a) = split_meter_mods(&msgs[2..3]);
        assert_eq!((b.len(), i.len(), a.len()), (0, 1, 0));
    }
}
