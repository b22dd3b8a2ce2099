//! FLOW_MOD / GROUP_MOD / METER_MOD semantics on the datapath.

mod common;

use common::*;
use fakeswitch::datapath::{FlowSelector, OFPRR_DELETE, OFPRR_GROUP_DELETE};
use fakeswitch::{port, CanonicalMatch, Datapath, OfError};
use ofproto::msg::{FlowModCommand as C, GroupModCommand, MeterModCommand, OFPTT_ALL};
use ofproto::{Masked, Match, OxmField};
use std::net::Ipv4Addr;

fn dp() -> Datapath {
    let mut dp = Datapath::new();
    for p in 1..=4 {
        dp.set_port(port(p));
    }
    dp
}

fn cookies(dp: &Datapath) -> Vec<u64> {
    let mut v: Vec<u64> = dp.flows().iter().map(|f| f.cookie).collect();
    v.sort();
    v
}

#[test]
fn identical_add_replaces_and_keeps_counters_unless_reset() {
    let mut dp = dp();
    dp.flow_mod(&add(
        "cookie=1,priority=10,udp,nw_dst=10.0.0.2,actions=output:2",
    ))
    .unwrap();
    dp.trace(&udp(1, 1, 2));
    dp.trace(&udp(1, 1, 2));
    // Same match written in another order: replaces the entry.
    dp.flow_mod(&add(
        "cookie=2,priority=10,nw_dst=10.0.0.2,udp,actions=output:3",
    ))
    .unwrap();
    let flows = dp.flows();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].cookie, 2);
    assert_eq!(flows[0].packet_count, 2);
    assert_eq!(flows[0].byte_count, 2 * u64::from(udp(1, 1, 2).len));
    assert_eq!(dp.trace(&udp(1, 1, 2)).ports(), vec![3]);
    // A different priority is another entry.
    dp.flow_mod(&add(
        "cookie=3,priority=11,udp,nw_dst=10.0.0.2,actions=output:4",
    ))
    .unwrap();
    assert_eq!(dp.flows().len(), 2);
    dp.flow_mod(&add(
        "cookie=4,priority=10,reset_counts,udp,nw_dst=10.0.0.2,actions=output:3",
    ))
    .unwrap();
    let f = dp.flows().into_iter().find(|f| f.cookie == 4).unwrap();
    assert_eq!((f.packet_count, f.byte_count), (0, 0));
}

#[test]
fn match_identity_is_semantic() {
    let exact = Match::new()
        .with(OxmField::EthType(0x0800))
        .with(OxmField::Ipv4Dst(Masked::exact(Ipv4Addr::new(10, 0, 0, 1))));
    let reordered_full_mask = Match::new()
        .with(OxmField::Ipv4Dst(Masked::new(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(255, 255, 255, 255),
        )))
        .with(OxmField::EthType(0x0800));
    assert_eq!(
        CanonicalMatch::new(&exact),
        CanonicalMatch::new(&reordered_full_mask)
    );
    // Value bits outside the mask do not count; a zero mask is a wildcard.
    let a = Match::new()
        .with(OxmField::EthType(0x0800))
        .with(OxmField::Ipv4Src(Masked::new(
            Ipv4Addr::new(10, 1, 2, 3),
            Ipv4Addr::new(255, 255, 0, 0),
        )));
    let b = Match::new()
        .with(OxmField::EthType(0x0800))
        .with(OxmField::Ipv4Src(Masked::new(
            Ipv4Addr::new(10, 1, 0, 0),
            Ipv4Addr::new(255, 255, 0, 0),
        )));
    let c = Match::new()
        .with(OxmField::EthType(0x0800))
        .with(OxmField::Ipv4Src(Masked::new(
            Ipv4Addr::new(1, 2, 3, 4),
            Ipv4Addr::UNSPECIFIED,
        )));
    assert_eq!(CanonicalMatch::new(&a), CanonicalMatch::new(&b));
    assert_eq!(
        CanonicalMatch::new(&c),
        CanonicalMatch::new(&Match::new().with(OxmField::EthType(0x0800)))
    );
    // VLAN_VID: an explicit 0x1fff mask is the exact match.
    let v1 = Match::new().with(OxmField::VlanVid(Masked::exact(0x1005)));
    let v2 = Match::new().with(OxmField::VlanVid(Masked::new(0x1005, 0xffff)));
    assert_eq!(CanonicalMatch::new(&v1), CanonicalMatch::new(&v2));

    // The datapath replaces rather than duplicates such a flow.
    let mut dp = dp();
    let mut f1 = add("priority=5,actions=output:1");
    f1.r#match = exact;
    let mut f2 = add("priority=5,actions=output:2");
    f2.r#match = reordered_full_mask;
    dp.flow_mod(&f1).unwrap();
    dp.flow_mod(&f2).unwrap();
    assert_eq!(dp.flows().len(), 1);
}

#[test]
fn check_overlap() {
    let mut dp = dp();
    dp.flow_mod(&add("priority=10,ip,nw_dst=10.0.0.0/8,actions=output:1"))
        .unwrap();
    assert_eq!(
        dp.flow_mod(&add(
            "priority=10,check_overlap,ip,nw_dst=10.1.0.0/16,actions=output:2"
        )),
        Err(OfError::OVERLAP)
    );
    dp.flow_mod(&add(
        "priority=11,check_overlap,ip,nw_dst=10.1.0.0/16,actions=output:2",
    ))
    .unwrap();
    dp.flow_mod(&add(
        "priority=10,check_overlap,ip,nw_dst=11.0.0.0/8,actions=output:2",
    ))
    .unwrap();
    assert_eq!(dp.flows().len(), 3);
}

#[test]
fn modify_non_strict_covers_more_specific_flows() {
    let mut dp = dp();
    dp.flow_mod(&add("cookie=1,priority=10,tcp,tp_dst=80,actions=output:1"))
        .unwrap();
    dp.flow_mod(&add("cookie=2,priority=20,tcp,tp_dst=443,actions=output:1"))
        .unwrap();
    dp.flow_mod(&add("cookie=3,priority=30,udp,actions=output:1"))
        .unwrap();
    dp.flow_mod(&add("table=1,cookie=4,priority=30,tcp,actions=output:1"))
        .unwrap();
    dp.trace(&fakeswitch::Packet::ipv4_tcp(
        1,
        mac(1),
        mac(2),
        ip(1),
        ip(2),
        5,
        80,
    ));
    dp.flow_mod(&fm("cookie=9,tcp,actions=output:3", C::Modify))
        .unwrap();
    let flows = dp.flows();
    let by_cookie = |c| flows.iter().find(|f| f.cookie == c);
    // Both table-0 tcp flows were modified (cookie replaced as cookie_mask was 0), counters kept.
    let modified: Vec<_> = flows.iter().filter(|f| f.cookie == 9).collect();
    assert_eq!(modified.len(), 2);
    assert!(modified.iter().all(|f| f.outputs_to(3) && f.table_id == 0));
    assert_eq!(modified.iter().map(|f| f.packet_count).sum::<u64>(), 1);
    assert!(by_cookie(3).unwrap().outputs_to(1));
    assert!(by_cookie(4).unwrap().outputs_to(1), "other table untouched");
    // table=all reaches table 1 too.
    dp.flow_mod(&fm("table=all,tcp,actions=output:4", C::Modify))
        .unwrap();
    assert_eq!(dp.flows().iter().filter(|f| f.outputs_to(4)).count(), 3);
}

#[test]
fn modify_strict_and_no_match_does_not_add() {
    let mut dp = dp();
    dp.flow_mod(&add("cookie=1,priority=10,tcp,tp_dst=80,actions=output:1"))
        .unwrap();
    dp.flow_mod(&add("cookie=2,priority=20,tcp,tp_dst=80,actions=output:1"))
        .unwrap();
    dp.flow_mod(&fm(
        "priority=20,tp_dst=80,tcp,actions=output:2",
        C::ModifyStrict,
    ))
    .unwrap();
    let flows = dp.flows();
    assert!(flows.iter().any(|f| f.priority == 20 && f.outputs_to(2)));
    assert!(flows.iter().any(|f| f.priority == 10 && f.outputs_to(1)));
    // OpenFlow 1.3: modifying nothing adds nothing.
    dp.flow_mod(&fm("priority=99,udp,actions=output:2", C::ModifyStrict))
        .unwrap();
    dp.flow_mod(&fm("udp,actions=output:2", C::Modify)).unwrap();
    assert_eq!(dp.flows().len(), 2);
}

#[test]
fn modify_with_cookie_filter_keeps_cookie() {
    let mut dp = dp();
    dp.flow_mod(&add("cookie=0x101,priority=1,in_port=1,actions=output:2"))
        .unwrap();
    dp.flow_mod(&add("cookie=0x201,priority=1,in_port=2,actions=output:1"))
        .unwrap();
    dp.flow_mod(&fm("cookie=0x100/0xf00,actions=output:3", C::Modify))
        .unwrap();
    let flows = dp.flows();
    let f = flows.iter().find(|f| f.cookie == 0x101).unwrap();
    assert!(f.outputs_to(3));
    let g = flows.iter().find(|f| f.cookie == 0x201).unwrap();
    assert!(g.outputs_to(1));
}

#[test]
fn delete_non_strict_with_cookie_mask_and_tables() {
    let mut dp = dp();
    for (t, c) in [(0, 0x100), (0, 0x101), (1, 0x102), (0, 0x200), (2, 0x300)] {
        dp.flow_mod(&add(&format!(
            "table={t},cookie={c:#x},priority={c},in_port=1,actions=output:2"
        )))
        .unwrap();
    }
    // Without table=, a delete covers every table.
    let removed = dp.flow_mod(&fm("cookie=0x100/0xf00", C::Delete)).unwrap();
    assert_eq!(removed.len(), 3);
    assert!(removed.iter().all(|r| r.reason == OFPRR_DELETE));
    assert_eq!(cookies(&dp), vec![0x200, 0x300]);
    // table=2 only.
    dp.flow_mod(&fm("table=2", C::Delete)).unwrap();
    assert_eq!(cookies(&dp), vec![0x200]);
    let mut all = fm("", C::Delete);
    all.table_id = OFPTT_ALL;
    dp.flow_mod(&all).unwrap();
    assert!(dp.flows().is_empty());
}

#[test]
fn delete_strict_needs_priority_and_same_match() {
    let mut dp = dp();
    dp.flow_mod(&add(
        "cookie=1,priority=10,ip,nw_src=10.0.0.1,actions=output:1",
    ))
    .unwrap();
    dp.flow_mod(&add(
        "cookie=2,priority=20,ip,nw_src=10.0.0.1,actions=output:1",
    ))
    .unwrap();
    dp.flow_mod(&add("cookie=3,priority=10,ip,actions=output:1"))
        .unwrap();
    let removed = dp
        .flow_mod(&fm(
            "table=0,priority=10,nw_src=10.0.0.1,ip",
            C::DeleteStrict,
        ))
        .unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].entry.cookie, 1);
    assert_eq!(cookies(&dp), vec![2, 3]);
    // Non-strict "ip" covers both remaining flows, whatever their priority.
    dp.flow_mod(&fm("table=0,ip", C::Delete)).unwrap();
    assert!(dp.flows().is_empty());
}

#[test]
fn delete_with_out_port_and_out_group() {
    let mut dp = dp();
    dp.group_mod(&group("group_id=7,type=all,bucket=output:3"))
        .unwrap();
    dp.flow_mod(&add("cookie=1,priority=1,in_port=1,actions=output:2"))
        .unwrap();
    dp.flow_mod(&add(
        "cookie=2,priority=1,in_port=2,actions=write_actions(output:2)",
    ))
    .unwrap();
    dp.flow_mod(&add("cookie=3,priority=1,in_port=3,actions=output:4"))
        .unwrap();
    dp.flow_mod(&add("cookie=4,priority=1,in_port=4,actions=group:7"))
        .unwrap();
    dp.flow_mod(&fm("out_port=2", C::Delete)).unwrap();
    assert_eq!(cookies(&dp), vec![3, 4]);
    dp.flow_mod(&fm("out_group=7", C::Delete)).unwrap();
    assert_eq!(cookies(&dp), vec![3]);
}

#[test]
fn references_are_validated() {
    let mut dp = dp();
    assert_eq!(
        dp.flow_mod(&add("priority=1,actions=group:5")),
        Err(OfError::BAD_OUT_GROUP)
    );
    assert_eq!(
        dp.flow_mod(&add("priority=1,actions=write_actions(group:5)")),
        Err(OfError::BAD_OUT_GROUP)
    );
    assert_eq!(
        dp.flow_mod(&add("priority=1,actions=meter:3,output:1")),
        Err(OfError::UNKNOWN_METER)
    );
    assert_eq!(
        dp.flow_mod(&add("table=3,priority=1,actions=goto_table:3")),
        Err(OfError::BAD_INSTRUCTION_TABLE_ID)
    );
    assert_eq!(
        dp.flow_mod(&add("table=3,priority=1,actions=goto_table:2")),
        Err(OfError::BAD_INSTRUCTION_TABLE_ID)
    );
    let mut all = add("priority=1,actions=output:1");
    all.table_id = OFPTT_ALL;
    assert_eq!(dp.flow_mod(&all), Err(OfError::FLOW_MOD_BAD_TABLE_ID));
    let mut bad = add("priority=1,actions=output:1");
    bad.r#match = Match::new().with(OxmField::TcpDst(80));
    assert_eq!(dp.flow_mod(&bad), Err(OfError::BAD_PREREQ));
    bad.r#match = Match::new()
        .with(OxmField::InPort(1))
        .with(OxmField::InPort(2));
    assert_eq!(dp.flow_mod(&bad), Err(OfError::DUP_FIELD));
    assert!(dp.flows().is_empty(), "failed flow mods change nothing");
    // With the group and meter in place the same flows are accepted.
    dp.group_mod(&group("group_id=5,type=indirect,bucket=output:1"))
        .unwrap();
    dp.meter_mod(&meter("meter=3,kbps,band=type=drop,rate=1000"))
        .unwrap();
    dp.flow_mod(&add("priority=1,actions=meter:3,group:5"))
        .unwrap();
    dp.flow_mod(&add("table=3,priority=1,actions=goto_table:4"))
        .unwrap();
}

#[test]
fn group_add_modify_delete() {
    let mut dp = dp();
    dp.group_mod(&group(
        "group_id=1,type=all,bucket=output:1,bucket=output:2",
    ))
    .unwrap();
    assert_eq!(
        dp.group_mod(&group("group_id=1,type=all,bucket=output:3")),
        Err(OfError::GROUP_EXISTS)
    );
    assert_eq!(
        dp.group_mod(&gm(
            "group_id=2,type=all,bucket=output:3",
            GroupModCommand::Modify
        )),
        Err(OfError::UNKNOWN_GROUP)
    );
    assert_eq!(
        dp.group_mod(&group(
            "group_id=3,type=indirect,bucket=output:1,bucket=output:2"
        )),
        Err(OfError::INVALID_GROUP)
    );
    dp.group_mod(&gm(
        "group_id=1,type=select,bucket=output:3",
        GroupModCommand::Modify,
    ))
    .unwrap();
    let g = &dp.groups()[&1];
    assert_eq!(g.group_type, ofproto::msg::GroupType::Select);
    assert_eq!(g.buckets.len(), 1);
}

#[test]
fn group_chain_loops_are_refused() {
    let mut dp = dp();
    dp.group_mod(&group("group_id=2,type=all,bucket=output:1"))
        .unwrap();
    dp.group_mod(&group("group_id=1,type=all,bucket=group:2"))
        .unwrap();
    assert_eq!(
        dp.group_mod(&group("group_id=3,type=all,bucket=group:3")),
        Err(OfError::LOOP)
    );
    assert_eq!(
        dp.group_mod(&gm(
            "group_id=2,type=all,bucket=group:1",
            GroupModCommand::Modify
        )),
        Err(OfError::LOOP)
    );
    // Unchanged after the refused modify.
    assert_eq!(
        dp.groups()[&2].buckets[0].actions,
        vec![ofproto::Action::output(1)]
    );
}

#[test]
fn deleting_a_group_removes_the_flows_that_use_it() {
    let mut dp = dp();
    dp.group_mod(&group("group_id=1,type=all,bucket=output:1"))
        .unwrap();
    dp.group_mod(&group("group_id=2,type=all,bucket=output:2"))
        .unwrap();
    let mut f = add("cookie=1,priority=1,in_port=1,actions=group:1");
    f.flags |= ofproto::msg::flow_flags::SEND_FLOW_REM;
    dp.flow_mod(&f).unwrap();
    dp.flow_mod(&add(
        "cookie=2,priority=1,in_port=2,actions=write_actions(group:1)",
    ))
    .unwrap();
    dp.flow_mod(&add("cookie=3,priority=1,in_port=3,actions=group:2"))
        .unwrap();
    dp.flow_mod(&add("cookie=4,priority=1,in_port=4,actions=output:1"))
        .unwrap();
    let removed = dp
        .group_mod(&gm("group_id=1", GroupModCommand::Delete))
        .unwrap();
    assert_eq!(removed.len(), 2);
    assert!(removed.iter().all(|r| r.reason == OFPRR_GROUP_DELETE));
    assert_eq!(cookies(&dp), vec![3, 4]);
    // Deleting an unknown group is not an error.
    dp.group_mod(&gm("group_id=99", GroupModCommand::Delete))
        .unwrap();
    // OFPG_ALL.
    dp.group_mod(&gm("group_id=all", GroupModCommand::Delete))
        .unwrap();
    assert!(dp.groups().is_empty());
    assert_eq!(cookies(&dp), vec![4]);
}

#[test]
fn meter_add_modify_delete() {
    let mut dp = dp();
    dp.meter_mod(&meter("meter=1,kbps,band=type=drop,rate=1000"))
        .unwrap();
    assert_eq!(
        dp.meter_mod(&meter("meter=1,kbps,band=type=drop,rate=5")),
        Err(OfError::METER_EXISTS)
    );
    assert_eq!(
        dp.meter_mod(&mm(
            "meter=2,kbps,band=type=drop,rate=5",
            MeterModCommand::Modify
        )),
        Err(OfError::UNKNOWN_METER)
    );
    dp.meter_mod(&mm(
        "meter=1,pktps,band=type=drop,rate=50",
        MeterModCommand::Modify,
    ))
    .unwrap();
    assert_eq!(dp.meters()[&1].bands[0].rate(), 50);
    dp.flow_mod(&add("cookie=1,priority=1,actions=meter:1,output:2"))
        .unwrap();
    dp.flow_mod(&add("cookie=2,priority=2,in_port=1,actions=output:2"))
        .unwrap();
    let removed = dp
        .meter_mod(&mm("meter=1", MeterModCommand::Delete))
        .unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(cookies(&dp), vec![2]);
    assert!(dp.meters().is_empty());
}

#[test]
fn flow_selector_filters_like_flow_stats() {
    let mut dp = dp();
    dp.flow_mod(&add(
        "cookie=0x11,priority=1,ip,nw_dst=10.0.0.1,actions=output:2",
    ))
    .unwrap();
    dp.flow_mod(&add(
        "cookie=0x12,priority=1,ip,nw_dst=10.0.1.1,actions=output:3",
    ))
    .unwrap();
    dp.flow_mod(&add("table=5,cookie=0x21,priority=1,arp,actions=output:2"))
        .unwrap();
    let mut sel = FlowSelector::all();
    assert_eq!(dp.select(&sel).len(), 3);
    sel.out_port = 2;
    assert_eq!(dp.select(&sel).len(), 2);
    sel.table_id = 5;
    assert_eq!(dp.select(&sel)[0].cookie, 0x21);
    let mut sel = FlowSelector::all();
    sel.cookie = 0x10;
    sel.cookie_mask = 0xf0;
    assert_eq!(dp.select(&sel).len(), 2);
    sel.r#match = CanonicalMatch::new(&fm("ip,nw_dst=10.0.0.0/24", C::Delete).r#match);
    assert_eq!(dp.select(&sel).len(), 1);
}
