//! The diff: from the desired and the actual state of a switch to the OpenFlow messages that
//! turn the actual state into the desired one, touching only what is ours.
//!
//! # Ownership
//!
//! A flow is ours when its cookie is ([`crate::cookie::is_ours`]), a group or meter when its
//! id is ([`crate::cookie::is_owned_id`]). The plan never adds, modifies or deletes anything
//! else:
//!
//! * an actual entry that is not ours is left alone and counted in [`Counts::foreign`];
//! * a desired flow whose key is held on the switch by a foreign flow is a *conflict*: a
//!   switch holds one entry per key, so installing ours would overwrite the other
//!   controller's; it is left alone and listed in [`Plan::conflicts`];
//! * a desired entry that is not ours (a compiler bug) is never sent and is counted in
//!   [`PlanStats::not_ours`]; an actual entry of ours at its key is deleted.
//!
//! # Flow messages, and the cookie in Open vSwitch
//!
//! * Missing flow: `ADD` with the desired cookie.
//! * Same cookie, other instructions: `MODIFY_STRICT` with `cookie` = the actual cookie and
//!   `cookie_mask` = all ones, so that it can only hit our entry; counters and duration stay.
//! * Other cookie (both ours, e.g. a flow that moved from one object to another): `ADD`.
//!   In OpenFlow 1.3 a modify never changes the cookie — Open vSwitch 3.1 keeps the old one
//!   whatever the message carries — while an `ADD` of an existing key replaces the entry,
//!   cookie included. Open vSwitch keeps the packet and byte counters (the duration restarts)
//!   because the flow mod does not set `OFPFF_RESET_COUNTS`.
//! * Ours and not desired: `DELETE_STRICT` with `cookie`/`cookie_mask` = the actual cookie /
//!   all ones and `out_port`/`out_group` = ANY.
//!
//! # Comparing
//!
//! A switch reports entries in its own normal form, so entries are compared as it reports
//! them (each rule checked against Open vSwitch 3.1 by installing a plan and reading it back):
//!
//! * flow keys: matches in canonical form ([`crate::desired::canonical_match`]);
//! * flows: cookie and instructions; instructions in the order Open vSwitch reports them
//!   (meter, apply-actions, clear-actions, write-actions, write-metadata, goto-table) whatever
//!   order they were written in, and empty apply-actions and write-actions left out (Open
//!   vSwitch drops them). Timeouts, flags and counters are not part of the state;
//! * groups: type and buckets, exactly (write select weights of at least 1, all other
//!   weights 0, and watch port/group ANY where the type does not use them);
//! * meters: flags and bands, burst sizes only when the meter has `OFPMF_BURST` (without it
//!   Open vSwitch reports a burst size of its own).
//!
//! # Order
//!
//! A switch refuses a flow that names a group or meter it does not have
//! (`OFPBAC_BAD_OUT_GROUP`, `OFPMMFC_UNKNOWN_METER`), and deleting a group or meter deletes
//! every flow that uses it. OpenFlow 1.3 also lets a switch refuse a group whose buckets name a
//! missing group, or the deletion of a group another group forwards to
//! (`OFPGMFC_CHAINED_GROUP`); Open vSwitch 3.1 checks neither, but a packet that meets a
//! dangling chain is lost. So the messages go in this order:
//!
//! 1. meter adds and modifies (by id);
//! 2. group adds and modifies, every group after the groups its buckets name (the desired
//!    chains); a group chained to itself (a compiler bug) is sent in id order;
//! 3. flow adds and modifies, last table first and higher priority first within a table, so
//!    that the entry point of a path appears after the rest of it;
//! 4. flow deletes, first table first, lower priority first: the entry point goes first, and
//!    nothing still in use is removed before its replacement is in place (make before break,
//!    which matters when the plan is not sent as one bundle);
//! 5. group deletes, every group before the groups it names (the actual chains), after the
//!    flows that used them were changed or deleted in 3 and 4;
//! 6. meter deletes (by id), after the flows that used them.
//!
//! A foreign flow that uses one of our groups or meters is deleted by the switch when we
//! delete that group or meter, and a foreign group chained to ours keeps forwarding to a
//! missing group; netplugin's groups and meters are not meant to be shared.

use crate::cookie::{is_ours, is_owned_id};
use crate::desired::{FlowEntry, FlowKey, GroupEntry, MeterEntry, SwitchState};
use ofproto::msg::{
    meter_flags, Bucket, FlowMod, FlowModCommand, GroupMod, GroupModCommand, GroupType, MeterBand,
    MeterMod, MeterModCommand,
};
use ofproto::text::format_match;
use ofproto::{Action, Body, Instruction};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

/// What a plan adds, modifies and deletes of one kind of entry, and what it leaves alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Entries added.
    pub added: usize,
    /// Entries modified (for flows: other instructions or another cookie of ours).
    pub modified: usize,
    /// Entries deleted.
    pub deleted: usize,
    /// Entries on the switch that are not ours, left alone.
    pub foreign: usize,
}

impl Counts {
    /// The mods these counts stand for: added, modified and deleted entries.
    pub fn mods(&self) -> u64 {
        (self.added + self.modified + self.deleted) as u64
    }
}

/// The counts of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanStats {
    /// Flows.
    pub flows: Counts,
    /// Groups.
    pub groups: Counts,
    /// Meters.
    pub meters: Counts,
    /// Desired flows whose key a foreign flow holds (see [`Plan::conflicts`]).
    pub conflicts: usize,
    /// Desired flows, groups and meters that are not ours and were therefore not sent.
    pub not_ours: usize,
}

/// The messages that turn a switch's actual state into the desired one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Flow, group and meter mods, in the order they must be sent (see the module docs).
    pub messages: Vec<Body>,
    /// What the messages do and what they leave alone.
    pub stats: PlanStats,
    /// Keys of desired flows that a foreign flow holds on the switch; not installed.
    pub conflicts: Vec<FlowKey>,
}

impl Plan {
    /// True when the switch already holds the desired state (as far as it is ours).
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// The plan that turns `actual` into `desired`, touching only what is ours.
pub fn diff(desired: &SwitchState, actual: &SwitchState) -> Plan {
    let mut stats = PlanStats::default();
    let (meter_upserts, meter_deletes) = diff_meters(desired, actual, &mut stats);
    let group_upserts = group_upserts(desired, actual, &mut stats);
    let group_deletes = group_deletes(desired, actual, &mut stats.groups);
    let flows = diff_flows(desired, actual, &mut stats);
    let messages = meter_upserts
        .into_iter()
        .chain(group_upserts)
        .chain(flows.upserts)
        .chain(flows.deletes)
        .chain(group_deletes)
        .chain(meter_deletes)
        .collect();
    stats.conflicts = flows.conflicts.len();
    Plan {
        messages,
        stats,
        conflicts: flows.conflicts,
    }
}

/// The flow part of a plan.
struct FlowChanges {
    /// Adds and modifies, in sending order.
    upserts: Vec<Body>,
    /// Deletes, in sending order.
    deletes: Vec<Body>,
    /// Desired keys held by foreign flows.
    conflicts: Vec<FlowKey>,
}

fn diff_flows(desired: &SwitchState, actual: &SwitchState, stats: &mut PlanStats) -> FlowChanges {
    let mut conflicts = Vec::new();
    let mut upserts = Vec::new();
    for (key, want) in &desired.flows {
        if !is_ours(want.cookie) {
            stats.not_ours += 1;
        } else if let Some(fm) = flow_upsert(key, want, actual.flows.get(key), &mut conflicts) {
            count(&mut stats.flows, !actual.flows.contains_key(key));
            upserts.push(fm);
        }
    }
    let mut deletes = flow_deletes(desired, actual, &mut stats.flows);
    upserts.sort_by_cached_key(|fm| (Reverse(fm.table_id), Reverse(fm.priority), match_text(fm)));
    deletes.sort_by_cached_key(|fm| (fm.table_id, fm.priority, match_text(fm)));
    conflicts.sort_by_cached_key(|k| (k.table_id, k.priority, format_match(&k.r#match)));
    FlowChanges {
        upserts: upserts.into_iter().map(Body::FlowMod).collect(),
        deletes: deletes.into_iter().map(Body::FlowMod).collect(),
        conflicts,
    }
}

/// The flow mod that installs `want` at `key` over `have` (`None`: nothing to do, or a
/// conflict with a foreign flow, which is recorded).
fn flow_upsert(
    key: &FlowKey,
    want: &FlowEntry,
    have: Option<&FlowEntry>,
    conflicts: &mut Vec<FlowKey>,
) -> Option<FlowMod> {
    match have {
        // Missing, or ours under another cookie: an ADD replaces the entry, cookie included.
        None => Some(flow_mod(FlowModCommand::Add, key, want.cookie, 0, want)),
        Some(have) if !is_ours(have.cookie) => {
            conflicts.push(key.clone());
            None
        }
        Some(have) if have.cookie != want.cookie => {
            Some(flow_mod(FlowModCommand::Add, key, want.cookie, 0, want))
        }
        Some(have) if !same_instructions(&have.instructions, &want.instructions) => Some(flow_mod(
            FlowModCommand::ModifyStrict,
            key,
            have.cookie,
            !0,
            want,
        )),
        Some(_) => None,
    }
}

/// Deletes of our actual flows that are not desired (or desired under a foreign cookie);
/// counts the foreign flows.
fn flow_deletes(desired: &SwitchState, actual: &SwitchState, counts: &mut Counts) -> Vec<FlowMod> {
    let mut deletes = Vec::new();
    for (key, have) in &actual.flows {
        if !is_ours(have.cookie) {
            counts.foreign += 1;
        } else if !desired.flows.get(key).is_some_and(|w| is_ours(w.cookie)) {
            counts.deleted += 1;
            let fm = flow_mod(FlowModCommand::DeleteStrict, key, have.cookie, !0, &NO_FLOW);
            deletes.push(fm);
        }
    }
    deletes
}

/// The entry a delete carries: no instructions.
const NO_FLOW: FlowEntry = FlowEntry {
    cookie: 0,
    instructions: Vec::new(),
};

/// A flow mod for `key` with `entry`'s instructions and the given cookie and cookie mask;
/// no timeouts, flags, buffer or out_port/out_group filter.
fn flow_mod(
    command: FlowModCommand,
    key: &FlowKey,
    cookie: u64,
    cookie_mask: u64,
    entry: &FlowEntry,
) -> FlowMod {
    let mut fm = FlowMod::add(
        key.table_id,
        key.priority,
        key.r#match.clone(),
        entry.instructions.clone(),
    );
    fm.command = command;
    fm.cookie = cookie;
    fm.cookie_mask = cookie_mask;
    fm
}

/// The match in text form: the tie-breaker that makes the order of a plan deterministic.
fn match_text(fm: &FlowMod) -> String {
    format_match(&fm.r#match)
}

/// Whether two instruction lists have the same effect as the switch reports it: in whatever
/// order they were written, and with empty apply-actions and write-actions (no-ops, which
/// Open vSwitch does not report) left out.
fn same_instructions(a: &[Instruction], b: &[Instruction]) -> bool {
    // Equal lists are the common case (an unchanged flow): no reordering needed.
    a == b || in_switch_order(a) == in_switch_order(b)
}

/// The instructions in the order Open vSwitch reports them, without the empty action lists (a
/// stable sort: unknown and experimenter instructions keep their relative order, last).
fn in_switch_order(list: &[Instruction]) -> Vec<&Instruction> {
    let mut v: Vec<&Instruction> = list.iter().filter(|i| !is_empty_action_list(i)).collect();
    v.sort_by_key(|i| i.execution_rank());
    v
}

fn is_empty_action_list(i: &Instruction) -> bool {
    matches!(i, Instruction::ApplyActions(a) | Instruction::WriteActions(a) if a.is_empty())
}

/// Group adds and modifies, in the order of the desired chains.
fn group_upserts(desired: &SwitchState, actual: &SwitchState, stats: &mut PlanStats) -> Vec<Body> {
    let mut changed = BTreeMap::new();
    for (&id, want) in &desired.groups {
        if !is_owned_id(id) {
            stats.not_ours += 1;
            continue;
        }
        let command = match actual.groups.get(&id) {
            None => GroupModCommand::Add,
            Some(have) if have != want => GroupModCommand::Modify,
            Some(_) => continue,
        };
        count(&mut stats.groups, command == GroupModCommand::Add);
        changed.insert(id, group_mod(command, id, want.group_type, &want.buckets));
    }
    let order = dependency_order(changed.keys().copied(), &desired.groups);
    order
        .into_iter()
        .filter_map(|id| changed.remove(&id).map(Body::GroupMod))
        .collect()
}

/// Group deletes, referring groups before the groups they name (the actual chains); counts
/// the foreign groups.
fn group_deletes(desired: &SwitchState, actual: &SwitchState, counts: &mut Counts) -> Vec<Body> {
    let (ours, foreign): (Vec<u32>, Vec<u32>) =
        actual.groups.keys().partition(|id| is_owned_id(**id));
    counts.foreign += foreign.len();
    let doomed = ours
        .into_iter()
        .filter(|id| !desired.groups.contains_key(id));
    let mut order = dependency_order(doomed, &actual.groups);
    order.reverse();
    counts.deleted += order.len();
    order
        .into_iter()
        .map(|id| Body::GroupMod(group_mod(GroupModCommand::Delete, id, GroupType::All, &[])))
        .collect()
}

/// Counts an add or a modify.
fn count(c: &mut Counts, added: bool) {
    if added {
        c.added += 1;
    } else {
        c.modified += 1;
    }
}

fn group_mod(
    command: GroupModCommand,
    group_id: u32,
    group_type: GroupType,
    buckets: &[Bucket],
) -> GroupMod {
    GroupMod {
        command,
        group_type,
        group_id,
        buckets: buckets.to_vec(),
    }
}

/// `ids` ordered so that every group comes after the groups of `ids` that its buckets (as
/// `groups` has them) name: a depth-first post-order (with its own stack, so that a long
/// chain cannot overflow the thread's), which ignores the edge that closes a cycle.
fn dependency_order(
    ids: impl Iterator<Item = u32>,
    groups: &BTreeMap<u32, GroupEntry>,
) -> Vec<u32> {
    let wanted: BTreeSet<u32> = ids.collect();
    // The groups of `wanted` that `id` names, last first (the stack pops the first).
    let named = |id: u32| -> Vec<u32> {
        let all = groups.get(&id).map(chained_groups).unwrap_or_default();
        all.into_iter()
            .rev()
            .filter(|g| wanted.contains(g))
            .collect()
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(wanted.len());
    for &root in &wanted {
        if !seen.insert(root) {
            continue;
        }
        let mut stack = vec![(root, named(root))];
        while let Some((id, pending)) = stack.last_mut() {
            match pending.pop() {
                Some(next) if seen.insert(next) => stack.push((next, named(next))),
                Some(_) => {}
                None => {
                    out.push(*id);
                    stack.pop();
                }
            }
        }
    }
    out
}

/// The groups a group's buckets forward to.
fn chained_groups(g: &GroupEntry) -> Vec<u32> {
    g.buckets
        .iter()
        .flat_map(|b| &b.actions)
        .filter_map(|a| match a {
            Action::Group(id) => Some(*id),
            _ => None,
        })
        .collect()
}

fn diff_meters(
    desired: &SwitchState,
    actual: &SwitchState,
    stats: &mut PlanStats,
) -> (Vec<Body>, Vec<Body>) {
    let mut upserts = Vec::new();
    for (&id, want) in &desired.meters {
        if !is_owned_id(id) {
            stats.not_ours += 1;
            continue;
        }
        let command = match actual.meters.get(&id) {
            None => MeterModCommand::Add,
            Some(have) if !same_meter(have, want) => MeterModCommand::Modify,
            Some(_) => continue,
        };
        count(&mut stats.meters, command == MeterModCommand::Add);
        upserts.push(meter_mod(command, id, want));
    }
    let mut deletes = Vec::new();
    for &id in actual.meters.keys() {
        if !is_owned_id(id) {
            stats.meters.foreign += 1;
        } else if !desired.meters.contains_key(&id) {
            stats.meters.deleted += 1;
            let none = MeterEntry {
                flags: 0,
                bands: Vec::new(),
            };
            deletes.push(meter_mod(MeterModCommand::Delete, id, &none));
        }
    }
    (upserts, deletes)
}

/// Whether two meters are the same: same flags and bands, burst sizes compared only when
/// the meter uses them (`OFPMF_BURST`); without it Open vSwitch reports a burst size of its
/// own choosing.
fn same_meter(a: &MeterEntry, b: &MeterEntry) -> bool {
    let bands = |m: &MeterEntry| -> Vec<MeterBand> {
        let keep = m.flags & meter_flags::BURST != 0;
        m.bands.iter().map(|b| with_burst(b, keep)).collect()
    };
    a.flags == b.flags && bands(a) == bands(b)
}

/// The band, with its burst size set to 0 unless `keep`.
fn with_burst(band: &MeterBand, keep: bool) -> MeterBand {
    let mut b = band.clone();
    if !keep {
        match &mut b {
            MeterBand::Drop { burst_size, .. }
            | MeterBand::DscpRemark { burst_size, .. }
            | MeterBand::Experimenter { burst_size, .. }
            | MeterBand::Unknown { burst_size, .. } => *burst_size = 0,
        }
    }
    b
}

fn meter_mod(command: MeterModCommand, meter_id: u32, entry: &MeterEntry) -> Body {
    Body::MeterMod(MeterMod {
        command,
        flags: entry.flags,
        meter_id,
        bands: entry.bands.clone(),
    })
}

#[cfg(test)]
mod tests;
