//! A strict in-memory switch for the property test: it applies the flow, group and meter mods
//! a plan consists of as OpenFlow 1.3 says (and Open vSwitch does), and refuses everything a
//! strict switch may refuse, so that a plan in the wrong order fails. It also refuses to delete
//! a group or meter that a flow still uses (a real switch deletes those flows too): a plan
//! must delete every flow itself, so that its counts tell the whole story.

use crate::desired::{FlowEntry, FlowKey, GroupEntry, SwitchState};
use ofproto::msg::{FlowMod, FlowModCommand, GroupMod, GroupModCommand, MeterMod, MeterModCommand};
use ofproto::{Action, Body, Instruction};

/// Applies one message.
pub fn apply(s: &mut SwitchState, body: &Body) -> Result<(), String> {
    match body {
        Body::FlowMod(fm) => apply_flow(s, fm),
        Body::GroupMod(gm) => apply_group(s, gm),
        Body::MeterMod(mm) => apply_meter(s, mm),
        other => Err(format!("not a flow, group or meter mod: {other:?}")),
    }
}

fn apply_flow(s: &mut SwitchState, fm: &FlowMod) -> Result<(), String> {
    let key = FlowKey::new(fm.table_id, fm.priority, &fm.r#match);
    let selected = |e: &FlowEntry| (e.cookie ^ fm.cookie) & fm.cookie_mask == 0;
    match fm.command {
        FlowModCommand::Add => {
            check_flow_refs(s, &fm.instructions)?;
            let entry = FlowEntry {
                cookie: fm.cookie,
                instructions: fm.instructions.clone(),
            };
            s.flows.insert(key, entry);
        }
        // OpenFlow 1.3: a modify keeps the cookie, and adds nothing when nothing matches.
        FlowModCommand::ModifyStrict => {
            check_flow_refs(s, &fm.instructions)?;
            if let Some(e) = s.flows.get_mut(&key).filter(|e| selected(e)) {
                e.instructions = fm.instructions.clone();
            }
        }
        FlowModCommand::DeleteStrict => {
            if s.flows.get(&key).is_some_and(selected) {
                s.flows.remove(&key);
            }
        }
        c => return Err(format!("the diff never sends {c:?}")),
    }
    Ok(())
}

/// `OFPBAC_BAD_OUT_GROUP` / `OFPMMFC_UNKNOWN_METER`.
fn check_flow_refs(s: &SwitchState, ins: &[Instruction]) -> Result<(), String> {
    for i in ins {
        match i {
            Instruction::Meter(m) if !s.meters.contains_key(m) => {
                return Err(format!("flow uses missing meter {m:#x}"))
            }
            Instruction::ApplyActions(a) | Instruction::WriteActions(a) => {
                if let Some(g) = groups_named(a).find(|g| !s.groups.contains_key(g)) {
                    return Err(format!("flow uses missing group {g:#x}"));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn groups_named(actions: &[Action]) -> impl Iterator<Item = u32> + '_ {
    actions.iter().filter_map(|a| match a {
        Action::Group(g) => Some(*g),
        _ => None,
    })
}

fn chained(g: &GroupEntry) -> Vec<u32> {
    g.buckets
        .iter()
        .flat_map(|b| groups_named(&b.actions))
        .collect()
}

fn apply_group(s: &mut SwitchState, gm: &GroupMod) -> Result<(), String> {
    let id = gm.group_id;
    let exists = s.groups.contains_key(&id);
    match gm.command {
        GroupModCommand::Add if exists => Err(format!("group {id:#x} exists")),
        GroupModCommand::Modify if !exists => Err(format!("group {id:#x} unknown")),
        GroupModCommand::Add | GroupModCommand::Modify => {
            let entry = GroupEntry {
                group_type: gm.group_type,
                buckets: gm.buckets.clone(),
            };
            check_chain(s, id, &entry)?;
            s.groups.insert(id, entry);
            Ok(())
        }
        GroupModCommand::Delete => delete_group(s, id),
        GroupModCommand::Other(c) => Err(format!("group command {c}")),
    }
}

/// The groups a new group entry names must exist, and it must not close a loop.
fn check_chain(s: &SwitchState, id: u32, entry: &GroupEntry) -> Result<(), String> {
    for next in chained(entry) {
        if !s.groups.contains_key(&next) && next != id {
            return Err(format!("group {id:#x} chains to missing {next:#x}"));
        }
        if next == id || reaches(s, next, id) {
            return Err(format!("group {id:#x} would loop"));
        }
    }
    Ok(())
}

fn reaches(s: &SwitchState, from: u32, to: u32) -> bool {
    let mut stack = vec![from];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(g) = stack.pop() {
        if g == to {
            return true;
        }
        if seen.insert(g) {
            stack.extend(s.groups.get(&g).map(chained).unwrap_or_default());
        }
    }
    false
}

/// `OFPGMFC_CHAINED_GROUP` when another group forwards to it; refused while a flow uses it.
fn delete_group(s: &mut SwitchState, id: u32) -> Result<(), String> {
    if let Some((by, _)) = s.groups.iter().find(|(_, g)| chained(g).contains(&id)) {
        return Err(format!("group {id:#x} still chained from {by:#x}"));
    }
    let uses_group = |i: &Instruction| match i {
        Instruction::ApplyActions(a) | Instruction::WriteActions(a) => {
            groups_named(a).any(|g| g == id)
        }
        _ => false,
    };
    still_used(s, uses_group, "group", id)?;
    s.groups.remove(&id);
    Ok(())
}

/// Refuses when a flow has an instruction `f` selects.
fn still_used(
    s: &SwitchState,
    f: impl Fn(&Instruction) -> bool,
    what: &str,
    id: u32,
) -> Result<(), String> {
    match s.flows.iter().find(|(_, e)| e.instructions.iter().any(&f)) {
        Some((k, _)) => Err(format!("{what} {id:#x} deleted while {k:?} uses it")),
        None => Ok(()),
    }
}

fn apply_meter(s: &mut SwitchState, mm: &MeterMod) -> Result<(), String> {
    let id = mm.meter_id;
    let exists = s.meters.contains_key(&id);
    let entry = crate::desired::MeterEntry {
        flags: mm.flags,
        bands: mm.bands.clone(),
    };
    match mm.command {
        MeterModCommand::Add if exists => Err(format!("meter {id:#x} exists")),
        MeterModCommand::Modify if !exists => Err(format!("meter {id:#x} unknown")),
        MeterModCommand::Add | MeterModCommand::Modify => {
            s.meters.insert(id, entry);
            Ok(())
        }
        MeterModCommand::Delete => {
            still_used(s, |i| *i == Instruction::Meter(id), "meter", id)?;
            s.meters.remove(&id);
            Ok(())
        }
        MeterModCommand::Other(c) => Err(format!("meter command {c}")),
    }
}
