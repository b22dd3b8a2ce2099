//! Tests of the diff: fixed cases, and a property test that applies plans to a strict
//! in-memory switch.

use super::*;
use crate::cookie::{owned_id, Cookie, OwnerKind};
use crate::desired::canonical_match;
use crate::pipeline::base_pipeline;
use ofproto::msg::{meter_flags, Bucket, GroupType, MeterBand, OFPG_ANY};
use ofproto::multipart::{FlowStats, GroupDesc, MeterConfig};
use ofproto::{Action, Masked, Match, OxmField};
use std::net::Ipv4Addr;

mod sim;

fn ep(id: u64) -> u64 {
    Cookie::new(OwnerKind::Endpoint, id)
}

fn output(port: u32) -> Vec<Instruction> {
    vec![Instruction::ApplyActions(vec![Action::Output {
        port,
        max_len: 0,
    }])]
}

fn to_group(id: u32) -> Vec<Instruction> {
    vec![Instruction::ApplyActions(vec![Action::Group(id)])]
}

fn in_port(p: u32) -> Match {
    Match::new().with(OxmField::InPort(p))
}

fn group(buckets: Vec<Vec<Action>>) -> GroupEntry {
    GroupEntry {
        group_type: GroupType::All,
        buckets: buckets.into_iter().map(Bucket::new).collect(),
    }
}

fn meter(rate: u32) -> MeterEntry {
    MeterEntry {
        flags: meter_flags::KBPS,
        bands: vec![MeterBand::Drop {
            rate,
            burst_size: 0,
        }],
    }
}

fn flow_mods(plan: &Plan) -> Vec<&FlowMod> {
    plan.messages
        .iter()
        .filter_map(|b| match b {
            Body::FlowMod(f) => Some(f),
            _ => None,
        })
        .collect()
}

/// One letter per message, for order assertions: `M` meter, `G` group, `F` flow, upper case
/// for adds and modifies, lower case for deletes.
fn shape(plan: &Plan) -> String {
    plan.messages
        .iter()
        .map(|b| match b {
            Body::MeterMod(m) if m.command == MeterModCommand::Delete => 'm',
            Body::MeterMod(_) => 'M',
            Body::GroupMod(g) if g.command == GroupModCommand::Delete => 'g',
            Body::GroupMod(_) => 'G',
            Body::FlowMod(f) if f.command == FlowModCommand::DeleteStrict => 'f',
            Body::FlowMod(_) => 'F',
            _ => '?',
        })
        .collect()
}

fn group_ids(plan: &Plan, command: GroupModCommand) -> Vec<u32> {
    plan.messages
        .iter()
        .filter_map(|b| match b {
            Body::GroupMod(g) if g.command == command => Some(g.group_id),
            _ => None,
        })
        .collect()
}

fn flow_stats(
    table_id: u8,
    priority: u16,
    m: Match,
    cookie: u64,
    ins: &[Instruction],
) -> FlowStats {
    FlowStats {
        table_id,
        duration_sec: 7,
        duration_nsec: 0,
        priority,
        idle_timeout: 0,
        hard_timeout: 0,
        flags: 0,
        cookie,
        packet_count: 10,
        byte_count: 1000,
        r#match: m,
        instructions: ins.to_vec(),
    }
}

#[test]
fn nothing_to_do_when_actual_is_desired() {
    let d = base_pipeline();
    let plan = diff(&d, &d);
    assert!(plan.is_empty(), "{plan:?}");
    assert_eq!(plan.stats, PlanStats::default());
}

#[test]
fn read_back_in_another_field_order_and_with_all_ones_masks_is_the_same() {
    let ip = Ipv4Addr::new(10, 1, 0, 0);
    let mut d = SwitchState::default();
    let m = Match::new()
        .with(OxmField::EthType(0x0800))
        .with(OxmField::Ipv4Dst(Masked::new(
            ip,
            Ipv4Addr::new(255, 255, 0, 0),
        )))
        .with(OxmField::Metadata(Masked::exact(5)))
        .with(OxmField::InPort(3));
    let ins = vec![
        Instruction::GotoTable(10),
        Instruction::WriteMetadata {
            metadata: 1,
            mask: 1,
        },
        Instruction::ApplyActions(vec![]),
    ];
    d.add_flow(0, 10, &m, ep(1), ins);
    d.groups
        .insert(owned_id(1), group(vec![vec![Action::Group(owned_id(2))]]));
    d.meters.insert(owned_id(1), meter(100));
    // As Open vSwitch reports it: its own field order, all-ones masks, no empty action
    // list, instructions in its order, value bits outside the mask cleared.
    let reported = Match::new()
        .with(OxmField::InPort(3))
        .with(OxmField::Metadata(Masked::new(5, u64::MAX)))
        .with(OxmField::EthType(0x0800))
        .with(OxmField::Ipv4Dst(Masked::new(
            Ipv4Addr::new(10, 1, 2, 3),
            Ipv4Addr::new(255, 255, 0, 0),
        )));
    let reported_ins = [
        Instruction::WriteMetadata {
            metadata: 1,
            mask: 1,
        },
        Instruction::GotoTable(10),
    ];
    let flows = [flow_stats(0, 10, reported, ep(1), &reported_ins)];
    let groups = [GroupDesc {
        group_type: GroupType::All,
        group_id: owned_id(1),
        buckets: vec![Bucket::new(vec![Action::Group(owned_id(2))])],
    }];
    let meters = [MeterConfig {
        flags: meter_flags::KBPS,
        meter_id: owned_id(1),
        bands: vec![MeterBand::Drop {
            rate: 100,
            burst_size: 100,
        }],
    }];
    let actual = SwitchState::from_switch(&flows, &groups, &meters);
    assert_eq!(
        actual.flows.keys().collect::<Vec<_>>(),
        d.flows.keys().collect::<Vec<_>>()
    );
    let plan = diff(&d, &actual);
    assert!(plan.is_empty(), "{plan:?}");
}

#[test]
fn missing_flow_is_added_with_its_cookie() {
    let mut d = SwitchState::default();
    d.add_flow(20, 100, &in_port(1), ep(1), output(2));
    let plan = diff(&d, &SwitchState::default());
    assert_eq!(shape(&plan), "F");
    let fm = flow_mods(&plan)[0];
    assert_eq!(fm.command, FlowModCommand::Add);
    assert_eq!((fm.cookie, fm.cookie_mask), (ep(1), 0));
    assert_eq!((fm.table_id, fm.priority), (20, 100));
    assert_eq!(fm.r#match, canonical_match(&in_port(1)));
    assert_eq!(fm.instructions, output(2));
    assert_eq!(fm.flags, 0);
    assert_eq!(plan.stats.flows.added, 1);
}

#[test]
fn other_instructions_are_a_strict_modify_filtered_on_our_cookie() {
    let mut a = SwitchState::default();
    a.add_flow(20, 100, &in_port(1), ep(1), output(2));
    let mut d = SwitchState::default();
    d.add_flow(20, 100, &in_port(1), ep(1), output(3));
    let plan = diff(&d, &a);
    let fm = flow_mods(&plan)[0];
    assert_eq!(fm.command, FlowModCommand::ModifyStrict);
    assert_eq!((fm.cookie, fm.cookie_mask), (ep(1), u64::MAX));
    assert_eq!(fm.instructions, output(3));
    assert_eq!(plan.stats.flows.modified, 1);
}

#[test]
fn another_cookie_of_ours_is_an_add_that_replaces_the_entry() {
    let mut a = SwitchState::default();
    a.add_flow(20, 100, &in_port(1), ep(1), output(2));
    let mut d = SwitchState::default();
    d.add_flow(20, 100, &in_port(1), ep(2), output(2));
    let plan = diff(&d, &a);
    let fm = flow_mods(&plan)[0];
    assert_eq!(fm.command, FlowModCommand::Add);
    assert_eq!((fm.cookie, fm.cookie_mask), (ep(2), 0));
    assert_eq!(shape(&plan), "F");
    assert_eq!(plan.stats.flows.modified, 1);
}

#[test]
fn unwanted_flow_of_ours_is_deleted_strictly_by_its_cookie() {
    let mut a = SwitchState::default();
    a.add_flow(30, 7, &in_port(4), ep(9), output(2));
    let plan = diff(&SwitchState::default(), &a);
    let fm = flow_mods(&plan)[0];
    assert_eq!(fm.command, FlowModCommand::DeleteStrict);
    assert_eq!((fm.cookie, fm.cookie_mask), (ep(9), u64::MAX));
    assert_eq!((fm.table_id, fm.priority), (30, 7));
    assert_eq!(fm.r#match, canonical_match(&in_port(4)));
    assert_eq!((fm.out_port, fm.out_group), (port_no_any(), OFPG_ANY));
    assert!(fm.instructions.is_empty());
    assert_eq!(plan.stats.flows.deleted, 1);
}

fn port_no_any() -> u32 {
    ofproto::action::port_no::ANY
}

#[test]
fn foreign_flows_are_never_touched() {
    let mut a = SwitchState::default();
    a.add_flow(0, 5, &in_port(1), 0, output(2));
    a.add_flow(0, 6, &in_port(2), 0x1234, output(2));
    a.add_flow(
        60,
        0,
        &Match::new(),
        0,
        output(ofproto::action::port_no::NORMAL),
    );
    let d = base_pipeline();
    let plan = diff(&d, &a);
    assert_eq!(plan.stats.flows.foreign, 3);
    assert_eq!(
        plan.stats.conflicts, 1,
        "the NORMAL table-miss holds our key"
    );
    assert_eq!(plan.conflicts, vec![FlowKey::new(60, 0, &Match::new())]);
    assert_eq!(plan.stats.flows.added, d.flows.len() - 1);
    assert!(flow_mods(&plan).iter().all(|f| is_ours(f.cookie)));
    assert!(!flow_mods(&plan).iter().any(|f| f.table_id == 60));
    let nothing = diff(&SwitchState::default(), &a);
    assert!(nothing.is_empty());
    assert_eq!(nothing.stats.flows.foreign, 3);
}

#[test]
fn desired_entries_that_are_not_ours_are_never_sent() {
    let mut d = SwitchState::default();
    d.add_flow(0, 5, &in_port(1), 0x77, output(2));
    d.groups.insert(3, group(vec![]));
    d.meters.insert(3, meter(1));
    let mut a = SwitchState::default();
    a.add_flow(0, 5, &in_port(1), ep(1), output(2));
    let plan = diff(&d, &a);
    assert_eq!(plan.stats.not_ours, 3);
    assert_eq!(shape(&plan), "f", "our flow at that key is removed");
}

#[test]
fn groups_and_meters_come_before_the_flows_that_use_them() {
    let mut d = SwitchState::default();
    d.meters.insert(owned_id(1), meter(10));
    d.groups.insert(
        owned_id(1),
        group(vec![vec![Action::Output {
            port: 1,
            max_len: 0,
        }]]),
    );
    let mut ins = to_group(owned_id(1));
    ins.insert(0, Instruction::Meter(owned_id(1)));
    d.add_flow(60, 10, &in_port(1), ep(1), ins);
    let plan = diff(&d, &SwitchState::default());
    assert_eq!(shape(&plan), "MGF");
    assert_eq!((plan.stats.groups.added, plan.stats.meters.added), (1, 1));
}

#[test]
fn groups_and_meters_go_after_the_flows_that_used_them() {
    let mut a = SwitchState::default();
    a.meters.insert(owned_id(1), meter(10));
    a.groups.insert(
        owned_id(1),
        group(vec![vec![Action::Output {
            port: 1,
            max_len: 0,
        }]]),
    );
    a.add_flow(60, 10, &in_port(1), ep(1), to_group(owned_id(1)));
    a.add_flow(
        60,
        11,
        &in_port(2),
        ep(1),
        vec![Instruction::Meter(owned_id(1))],
    );
    let mut d = SwitchState::default();
    d.add_flow(60, 10, &in_port(1), ep(1), output(3));
    let plan = diff(&d, &a);
    assert_eq!(shape(&plan), "Ffgm");
    assert_eq!(
        (plan.stats.flows.modified, plan.stats.flows.deleted),
        (1, 1)
    );
    assert_eq!(
        (plan.stats.groups.deleted, plan.stats.meters.deleted),
        (1, 1)
    );
}

#[test]
fn flows_are_added_last_table_first_and_deleted_first_table_first() {
    let mut a = SwitchState::default();
    let mut d = SwitchState::default();
    for (t, p) in [(0, 1), (60, 1), (30, 1), (30, 9)] {
        a.add_flow(t, p, &in_port(1), ep(1), output(1));
        d.add_flow(t, p, &in_port(2), ep(1), output(1));
    }
    let plan = diff(&d, &a);
    let order: Vec<(FlowModCommand, u8, u16)> = flow_mods(&plan)
        .iter()
        .map(|f| (f.command, f.table_id, f.priority))
        .collect();
    use FlowModCommand::{Add, DeleteStrict as Del};
    assert_eq!(
        order,
        [
            (Add, 60, 1),
            (Add, 30, 9),
            (Add, 30, 1),
            (Add, 0, 1),
            (Del, 0, 1),
            (Del, 30, 1),
            (Del, 30, 9),
            (Del, 60, 1)
        ]
    );
}

#[test]
fn chained_groups_are_added_after_and_deleted_before_what_they_name() {
    let (a1, a2, a3) = (owned_id(1), owned_id(2), owned_id(3));
    let mut d = SwitchState::default();
    // 1 -> 3 -> 2: id order is not dependency order.
    d.groups.insert(a1, group(vec![vec![Action::Group(a3)]]));
    d.groups.insert(a3, group(vec![vec![Action::Group(a2)]]));
    d.groups.insert(
        a2,
        group(vec![vec![Action::Output {
            port: 1,
            max_len: 0,
        }]]),
    );
    let plan = diff(&d, &SwitchState::default());
    assert_eq!(group_ids(&plan, GroupModCommand::Add), [a2, a3, a1]);
    let plan = diff(&SwitchState::default(), &d);
    assert_eq!(group_ids(&plan, GroupModCommand::Delete), [a1, a3, a2]);
}

#[test]
fn a_long_chain_is_ordered_without_deep_recursion() {
    let n = 100_000;
    let mut d = SwitchState::default();
    for i in 0..n {
        let next = vec![Action::Group(owned_id(i + 1))];
        let last = vec![Action::Output {
            port: 1,
            max_len: 0,
        }];
        d.groups.insert(
            owned_id(i),
            group(vec![if i + 1 < n { next } else { last }]),
        );
    }
    let plan = diff(&d, &SwitchState::default());
    let want: Vec<u32> = (0..n).rev().map(owned_id).collect();
    assert_eq!(group_ids(&plan, GroupModCommand::Add), want);
}

#[test]
fn a_group_modify_waits_for_the_group_it_now_names() {
    let (a1, a2) = (owned_id(1), owned_id(2));
    let mut a = SwitchState::default();
    a.groups.insert(
        a1,
        group(vec![vec![Action::Output {
            port: 1,
            max_len: 0,
        }]]),
    );
    let mut d = SwitchState::default();
    d.groups.insert(a1, group(vec![vec![Action::Group(a2)]]));
    d.groups.insert(
        a2,
        group(vec![vec![Action::Output {
            port: 2,
            max_len: 0,
        }]]),
    );
    let plan = diff(&d, &a);
    let order: Vec<(GroupModCommand, u32)> = plan
        .messages
        .iter()
        .filter_map(|b| match b {
            Body::GroupMod(g) => Some((g.command, g.group_id)),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        [(GroupModCommand::Add, a2), (GroupModCommand::Modify, a1)]
    );
}

#[test]
fn a_group_cycle_still_gives_every_group_once() {
    let (a1, a2) = (owned_id(1), owned_id(2));
    let mut d = SwitchState::default();
    d.groups.insert(a1, group(vec![vec![Action::Group(a2)]]));
    d.groups.insert(a2, group(vec![vec![Action::Group(a1)]]));
    let plan = diff(&d, &SwitchState::default());
    assert_eq!(group_ids(&plan, GroupModCommand::Add), [a2, a1]);
}

#[test]
fn changed_groups_and_meters_are_modified_and_foreign_ones_left_alone() {
    let mut a = SwitchState::default();
    a.groups.insert(owned_id(1), group(vec![]));
    a.groups.insert(7, group(vec![]));
    a.meters.insert(owned_id(1), meter(10));
    a.meters.insert(7, meter(10));
    let mut d = SwitchState::default();
    d.groups.insert(
        owned_id(1),
        GroupEntry {
            group_type: GroupType::Indirect,
            buckets: vec![],
        },
    );
    d.meters.insert(owned_id(1), meter(20));
    let plan = diff(&d, &a);
    assert_eq!(shape(&plan), "MG");
    let s = plan.stats;
    assert_eq!((s.groups.modified, s.groups.foreign), (1, 1));
    assert_eq!((s.meters.modified, s.meters.foreign), (1, 1));
    let plan = diff(&SwitchState::default(), &a);
    assert_eq!(shape(&plan), "gm");
    assert_eq!(group_ids(&plan, GroupModCommand::Delete), [owned_id(1)]);
}

#[test]
fn burst_sizes_count_only_with_the_burst_flag() {
    let with = |flags, burst_size| MeterEntry {
        flags,
        bands: vec![MeterBand::Drop {
            rate: 10,
            burst_size,
        }],
    };
    let mut a = SwitchState::default();
    let mut d = SwitchState::default();
    a.meters.insert(owned_id(1), with(meter_flags::PKTPS, 10));
    d.meters.insert(owned_id(1), with(meter_flags::PKTPS, 0));
    assert!(diff(&d, &a).is_empty());
    let burst = meter_flags::PKTPS | meter_flags::BURST;
    a.meters.insert(owned_id(1), with(burst, 10));
    d.meters.insert(owned_id(1), with(burst, 0));
    assert_eq!(diff(&d, &a).stats.meters.modified, 1);
}

#[test]
fn plans_are_deterministic() {
    let mut d = base_pipeline();
    for p in 0..50u16 {
        d.add_flow(20, 5, &in_port(u32::from(p)), ep(u64::from(p)), output(1));
    }
    let first = diff(&d, &SwitchState::default());
    for _ in 0..5 {
        // A new map has a new hasher, so another iteration order.
        let mut again = SwitchState::default();
        again
            .flows
            .extend(d.flows.iter().map(|(k, e)| (k.clone(), e.clone())));
        assert_eq!(diff(&again, &SwitchState::default()), first);
    }
}

/// The property test: any plan applies cleanly to a strict switch and yields the desired
/// state (where it is ours) next to the untouched foreign entries.
mod prop {
    use super::sim;
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Group ids: four of ours, two foreign.
    fn group_id(i: usize) -> u32 {
        [owned_id(0), owned_id(1), owned_id(2), owned_id(3), 1, 2][i]
    }
    const OUR_GROUPS: usize = 4;

    /// Meter ids: three of ours, two foreign.
    fn meter_id(i: usize) -> u32 {
        [owned_id(0), owned_id(1), owned_id(2), 1, 2][i]
    }
    const OUR_METERS: usize = 3;

    /// Cookies: three of ours, two foreign.
    fn cookie(i: usize) -> u64 {
        [ep(1), ep(2), Cookie::new(OwnerKind::Network, 1), 0, 0x99][i]
    }
    const OUR_COOKIES: usize = 3;

    /// Eighteen flow keys: three tables, two priorities, three matches.
    fn key(i: usize) -> (u8, u16, Match) {
        let m = match i / 6 {
            0 => Match::new(),
            n => in_port(n as u32),
        };
        ([0, 10, 20][i % 3], [1, 2][(i / 3) % 2], m)
    }

    /// A group: chained to other groups by index, plus an output bucket.
    type RawGroup = (bool, Vec<usize>, u32);
    /// A flow: key, cookie, instruction template and the group or meter it may use.
    type RawFlow = (usize, usize, u8, usize);

    /// A switch state before the rules that make it valid are applied.
    #[derive(Debug, Clone)]
    struct Raw {
        groups: Vec<Option<RawGroup>>,
        /// A permutation of the group indices: a group chains only to higher ranks.
        rank: Vec<usize>,
        meters: Vec<Option<u32>>,
        flows: Vec<RawFlow>,
    }

    fn raw() -> impl Strategy<Value = Raw> {
        let group = (any::<bool>(), vec(0..6usize, 0..3), 1..4u32);
        (
            vec(proptest::option::of(group), 6),
            Just((0..6).collect::<Vec<usize>>()).prop_shuffle(),
            vec(proptest::option::of(1..4u32), 5),
            vec((0..18usize, 0..5usize, 0..5u8, 0..6usize), 0..14),
        )
            .prop_map(|(groups, rank, meters, flows)| Raw {
                groups,
                rank,
                meters,
                flows,
            })
    }

    /// A valid state: chains acyclic and to existing groups, foreign groups chained only to
    /// foreign groups, flows using only existing groups and meters (foreign flows only
    /// foreign ones). A desired state holds only our groups, meters and cookies.
    fn build(raw: &Raw, desired: bool) -> SwitchState {
        let mut s = SwitchState::default();
        let present = |i: usize| raw.groups[i].is_some() && (!desired || i < OUR_GROUPS);
        for i in (0..6).filter(|i| present(*i)) {
            let (select, refs, port) = raw.groups[i].clone().unwrap();
            let chain_ok = |t: &usize| {
                present(*t) && raw.rank[*t] > raw.rank[i] && (i < OUR_GROUPS || *t >= OUR_GROUPS)
            };
            let mut buckets: Vec<Vec<Action>> = refs
                .iter()
                .filter(|t| chain_ok(t))
                .map(|t| vec![Action::Group(group_id(*t))])
                .collect();
            buckets.push(vec![Action::Output { port, max_len: 0 }]);
            let mut g = group(buckets);
            if select {
                g.group_type = GroupType::Select;
            }
            s.groups.insert(group_id(i), g);
        }
        for (i, rate) in raw.meters.iter().enumerate() {
            if let Some(rate) = rate.filter(|_| !desired || i < OUR_METERS) {
                s.meters.insert(meter_id(i), meter(rate));
            }
        }
        for &(k, c, template, r) in &raw.flows {
            let c = if desired {
                cookie(c % OUR_COOKIES)
            } else {
                cookie(c)
            };
            let ins = instructions(&s, is_ours(c), template, r);
            let (table, priority, m) = key(k);
            s.add_flow(table, priority, &m, c, ins);
        }
        s
    }

    fn instructions(s: &SwitchState, ours: bool, template: u8, r: usize) -> Vec<Instruction> {
        let g = group_id(r);
        let m = meter_id(r % 5);
        match template {
            0 => output(r as u32 + 1),
            1 => vec![Instruction::GotoTable(30)],
            2 if s.groups.contains_key(&g) && (ours || !is_owned_id(g)) => to_group(g),
            3 if s.meters.contains_key(&m) && (ours || !is_owned_id(m)) => {
                let mut ins = output(1);
                ins.insert(0, Instruction::Meter(m));
                ins
            }
            4 => vec![],
            _ => output(1),
        }
    }

    /// What the switch must hold after the plan: the desired entries, except at keys a foreign
    /// flow holds, and every foreign entry as it was.
    fn expected(desired: &SwitchState, actual: &SwitchState) -> SwitchState {
        let mut e = desired.clone();
        for (k, f) in actual.flows.iter().filter(|(_, f)| !is_ours(f.cookie)) {
            e.flows.insert(k.clone(), f.clone());
        }
        let foreign_groups = actual.groups.iter().filter(|(id, _)| !is_owned_id(**id));
        e.groups
            .extend(foreign_groups.map(|(id, g)| (*id, g.clone())));
        let foreign_meters = actual.meters.iter().filter(|(id, _)| !is_owned_id(**id));
        e.meters
            .extend(foreign_meters.map(|(id, m)| (*id, m.clone())));
        e
    }

    fn total(c: Counts) -> usize {
        c.added + c.modified + c.deleted
    }

    proptest! {
        #[test]
        fn applying_the_plan_yields_desired_and_leaves_foreign_alone(a in raw(), d in raw()) {
            let (actual, desired) = (build(&a, false), build(&d, true));
            let plan = diff(&desired, &actual);
            let mut switch = actual.clone();
            for m in &plan.messages {
                sim::apply(&mut switch, m)
                    .map_err(|e| TestCaseError::fail(format!("{e} at {m:?}\nplan {plan:?}")))?;
            }
            prop_assert_eq!(&switch, &expected(&desired, &actual));
            prop_assert!(diff(&desired, &switch).is_empty());
            let s = plan.stats;
            let count = |f: fn(&Body) -> bool| plan.messages.iter().filter(|b| f(b)).count();
            prop_assert_eq!(total(s.flows), count(|b| matches!(b, Body::FlowMod(_))));
            prop_assert_eq!(total(s.groups), count(|b| matches!(b, Body::GroupMod(_))));
            prop_assert_eq!(total(s.meters), count(|b| matches!(b, Body::MeterMod(_))));
            let foreign = actual.flows.values().filter(|f| !is_ours(f.cookie)).count();
            prop_assert_eq!(s.flows.foreign, foreign);
            prop_assert_eq!(s.conflicts, plan.conflicts.len());
        }
    }
}
