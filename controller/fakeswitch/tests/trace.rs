//! Tracing packets through the pipeline.

mod common;

use common::*;
use fakeswitch::{port, Datapath, Packet};
use ofproto::action::port_no;
use ofproto::{Masked, Match, OxmField};
use std::collections::BTreeSet;

fn dp() -> Datapath {
    let mut dp = Datapath::new();
    for p in 1..=4 {
        dp.set_port(port(p));
    }
    dp
}

fn with(flows: &[&str]) -> Datapath {
    let mut dp = dp();
    for f in flows {
        dp.flow_mod(&add(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    dp
}

#[test]
fn highest_priority_wins() {
    let mut dp = with(&[
        "cookie=1,priority=10,ip,actions=output:2",
        "cookie=2,priority=20,ip,nw_dst=10.0.0.3,actions=output:3",
        "cookie=3,priority=5,actions=output:4",
    ]);
    let t = dp.trace(&udp(1, 1, 3));
    assert_eq!(t.ports(), vec![3]);
    assert_eq!(t.hits, vec![(0, 2)]);
    assert_eq!(t.priorities, vec![20]);
    assert_eq!(dp.trace(&udp(1, 1, 2)).cookies(), vec![1]);
    let arp = Packet::arp_request(1, mac(1), ip(1), ip(2));
    assert_eq!(dp.trace(&arp).ports(), vec![4]);
}

#[test]
fn masked_matches() {
    let mut dp = with(&[
        "cookie=1,priority=10,ip,nw_dst=10.0.0.0/8,actions=output:2",
        "cookie=2,priority=20,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=output:3",
        "cookie=3,priority=30,ip,nw_src=10.0.0.16/28,actions=output:4",
    ]);
    assert_eq!(dp.trace(&udp(1, 1, 2)).ports(), vec![2]);
    let mut other_net = udp(1, 1, 2);
    other_net.ipv4_dst = Some("11.0.0.1".parse().unwrap());
    assert!(dp.trace(&other_net).dropped());
    let bcast = Packet::arp_request(1, mac(1), ip(1), ip(2));
    assert_eq!(dp.trace(&bcast).cookies(), vec![2]);
    assert_eq!(dp.trace(&udp(1, 20, 2)).cookies(), vec![3]);
    assert_eq!(dp.trace(&udp(1, 32, 2)).cookies(), vec![1]);
}

#[test]
fn absent_fields_do_not_match() {
    let mut dp = with(&["priority=10,tcp,actions=output:2"]);
    // A UDP packet has no TCP ports and a TCP match needs ip_proto 6.
    assert_eq!(dp.trace(&udp(1, 1, 2)).table_miss, Some(0));
    let mut m = dp.flows()[0].r#match.clone();
    m.fields.push(OxmField::TcpDst(80));
    let mut f = add("priority=11,actions=output:3");
    f.r#match = m;
    dp.flow_mod(&f).unwrap();
    let tcp = Packet::ipv4_tcp(1, mac(1), mac(2), ip(1), ip(2), 1, 80);
    assert_eq!(dp.trace(&tcp).ports(), vec![3]);
}

#[test]
fn goto_chain_with_metadata() {
    let mut dp = with(&[
        "table=0,cookie=1,priority=1,in_port=1,actions=write_metadata:0x5/0xff,goto_table:3",
        "table=3,cookie=2,priority=1,metadata=0x5/0xff,actions=write_metadata:0x100/0xf00,goto_table:7",
        "table=3,cookie=9,priority=0,actions=output:4",
        "table=7,cookie=3,priority=1,metadata=0x105,actions=output:2",
    ]);
    let t = dp.trace(&udp(1, 1, 2));
    assert_eq!(t.hits, vec![(0, 1), (3, 2), (7, 3)]);
    assert_eq!(t.ports(), vec![2]);
    assert_eq!(t.outputs[0].1.metadata, 0x105);
    // Another port: metadata stays 0, table 3's default flow.
    let t = dp.trace(&udp(2, 1, 2));
    assert_eq!(t.table_miss, Some(0));
}

#[test]
fn set_field_changes_later_outputs_only() {
    let mut dp = with(&[
        "priority=1,actions=output:2,set_field:10.0.0.9->ip_dst,set_field:00:00:00:00:00:09->eth_dst,output:3",
    ]);
    let t = dp.trace(&udp(1, 1, 2));
    assert_eq!(t.ports(), vec![2, 3]);
    assert_eq!(t.output_to(2).unwrap().ipv4_dst, Some(ip(2)));
    let p3 = t.output_to(3).unwrap();
    assert_eq!(p3.ipv4_dst, Some(ip(9)));
    assert_eq!(p3.eth_dst, "00:00:00:00:00:09".parse().unwrap());
}

#[test]
fn set_field_tun_dst_sets_the_tunnel_destination_only() {
    use ofproto::nx::{NxmHeader, NXM_1};
    const NXM_NX_TUN_IPV4_DST: u8 = NxmHeader::TUN_IPV4_DST.field();
    let raw = |field, payload: Vec<u8>| {
        OxmField::Raw(ofproto::oxm::RawOxm {
            class: NXM_1,
            field,
            hasmask: false,
            payload,
        })
    };
    let mut p = udp(1, 1, 2);
    assert_eq!(p.tun_dst, None);
    assert!(p.set_field(&raw(NXM_NX_TUN_IPV4_DST, vec![10, 200, 0, 2])));
    assert_eq!(p.tun_dst, Some(std::net::Ipv4Addr::new(10, 200, 0, 2)));
    assert!(
        !p.set_field(&raw(NXM_NX_TUN_IPV4_DST, vec![10, 200])),
        "bad length"
    );
    assert!(
        !p.set_field(&raw(0, vec![0, 0, 0, 7])),
        "reg0 is not modelled"
    );
}

#[test]
fn action_set_runs_in_openflow_order_at_the_end() {
    let mut dp = with(&[
        // Written output first, set-field and push_vlan after: the set still orders them.
        "table=0,priority=1,actions=write_actions(output:2,set_field:4196->vlan_vid,push_vlan:0x8100),goto_table:1",
        "table=1,priority=1,actions=write_actions(set_field:10.0.0.7->ip_src),output:3",
    ]);
    let t = dp.trace(&udp(1, 1, 2));
    // Apply-actions output:3 happens first, on the unmodified packet; the set runs last.
    assert_eq!(t.ports(), vec![3, 2]);
    let p3 = t.output_to(3).unwrap();
    assert_eq!((p3.vlan_vid(), p3.ipv4_src), (None, Some(ip(1))));
    let p2 = t.output_to(2).unwrap();
    assert_eq!(p2.vlan_vid(), Some(100));
    assert_eq!(p2.ipv4_src, Some(ip(7)));
}

#[test]
fn write_actions_replace_and_clear_actions() {
    let mut dp = with(&[
        "table=0,priority=1,actions=write_actions(output:2),goto_table:1",
        "table=1,priority=1,in_port=1,actions=clear_actions,write_actions(output:3),goto_table:2",
        "table=1,priority=0,actions=write_actions(output:4),goto_table:2",
        "table=2,priority=0,actions=write_actions(set_queue:5)",
    ]);
    let t = dp.trace(&udp(1, 1, 2));
    assert_eq!(t.ports(), vec![3]);
    assert_eq!(t.outputs[0].1.queue_id, Some(5));
    // Writing output again replaces the earlier output (one action per type).
    assert_eq!(dp.trace(&udp(2, 1, 2)).ports(), vec![4]);
}

#[test]
fn group_in_action_set_suppresses_output() {
    let mut dp = dp();
    dp.group_mod(&group("group_id=1,type=indirect,bucket=output:3"))
        .unwrap();
    dp.flow_mod(&add("priority=1,actions=write_actions(output:2,group:1)"))
        .unwrap();
    let t = dp.trace(&udp(1, 1, 2));
    assert_eq!(t.ports(), vec![3]);
    assert_eq!(t.groups, vec![(1, 0)]);
}

#[test]
fn all_group_skips_in_port_unless_in_port_is_explicit() {
    let mut dp = dp();
    dp.group_mod(&group(
        "group_id=1,type=all,bucket=output:1,bucket=output:2,bucket=set_field:7->vlan_vid,output:3",
    ))
    .unwrap();
    dp.group_mod(&group(
        "group_id=2,type=all,bucket=output:in_port,bucket=output:4",
    ))
    .unwrap();
    dp.flow_mod(&add("priority=1,in_port=1,actions=group:1"))
        .unwrap();
    dp.flow_mod(&add("priority=1,in_port=2,actions=group:2"))
        .unwrap();
    let t = dp.trace(&udp(1, 1, 2));
    assert_eq!(t.ports(), vec![2, 3]);
    assert_eq!(t.groups, vec![(1, 0), (1, 1), (1, 2)]);
    assert!(t.notes.iter().any(|n| n.contains("ingress")));
    // Buckets work on copies: the set_field on an untagged packet changes nothing.
    assert_eq!(t.output_to(3).unwrap().vlan_vid(), None);
    let t = dp.trace(&udp(2, 1, 2));
    assert_eq!(t.ports(), vec![2, 4]);
    // Group counters.
    let g = &dp.groups()[&1];
    assert_eq!(g.packet_count, 1);
    assert_eq!(g.bucket_counts.len(), 3);
    assert_eq!(g.bucket_counts[0].0, 1);
}

#[test]
fn select_group_is_deterministic_and_spreads() {
    let mut dp = dp();
    dp.group_mod(&group(
        "group_id=1,type=select,bucket=weight:1,actions=output:2,bucket=weight:1,actions=output:3,bucket=weight:0,actions=output:4",
    ))
    .unwrap();
    dp.flow_mod(&add("priority=1,actions=group:1")).unwrap();
    let first = dp.trace(&udp(1, 1, 2)).ports();
    assert_eq!(first.len(), 1);
    for _ in 0..5 {
        assert_eq!(dp.trace(&udp(1, 1, 2)).ports(), first);
    }
    let mut seen = BTreeSet::new();
    for src in 1..60 {
        let mut p = udp(1, src, 2);
        p.udp_src = Some(1000 + u16::from(src));
        seen.extend(dp.trace(&p).ports());
    }
    assert_eq!(seen, BTreeSet::from([2, 3]), "weight 0 never chosen");
}

#[test]
fn select_group_skips_dead_buckets() {
    let mut dp = dp();
    dp.group_mod(&group(
        "group_id=1,type=select,bucket=weight:1,watch_port:2,actions=output:2,bucket=weight:1,watch_port:3,actions=output:3",
    ))
    .unwrap();
    dp.flow_mod(&add("priority=1,actions=group:1")).unwrap();
    let mut p2 = port(2);
    p2.state = fakeswitch::datapath::OFPPS_LINK_DOWN;
    dp.set_port(p2);
    for src in 1..20 {
        assert_eq!(dp.trace(&udp(1, src, 2)).ports(), vec![3]);
    }
}

#[test]
fn indirect_group() {
    let mut dp = dp();
    dp.group_mod(&group(
        "group_id=9,type=indirect,bucket=push_vlan:0x8100,set_field:4106->vlan_vid,output:4",
    ))
    .unwrap();
    dp.flow_mod(&add("priority=1,actions=group:9,output:2"))
        .unwrap();
    let t = dp.trace(&udp(1, 1, 2));
    assert_eq!(t.ports(), vec![4, 2]);
    assert_eq!(t.output_to(4).unwrap().vlan_vid(), Some(10));
    // The group worked on a copy: the later output sees the original packet.
    assert_eq!(t.output_to(2).unwrap().vlan_vid(), None);
}

#[test]
fn fast_failover_follows_liveness() {
    let mut dp = dp();
    dp.group_mod(&group(
        "group_id=1,type=ff,bucket=watch_port:2,actions=output:2,bucket=watch_port:3,actions=output:3",
    ))
    .unwrap();
    dp.flow_mod(&add("priority=1,actions=group:1")).unwrap();
    assert_eq!(dp.trace(&udp(1, 1, 2)).ports(), vec![2]);
    let mut p2 = port(2);
    p2.state = fakeswitch::datapath::OFPPS_LINK_DOWN;
    dp.set_port(p2);
    assert_eq!(dp.trace(&udp(1, 1, 2)).ports(), vec![3]);
    let mut p3 = port(3);
    p3.config = fakeswitch::datapath::OFPPC_PORT_DOWN;
    dp.set_port(p3);
    let t = dp.trace(&udp(1, 1, 2));
    assert!(t.dropped());
    assert!(t.groups.is_empty());
    // A port that does not exist is not live either.
    dp.remove_port(2);
    dp.set_port(port(3));
    assert_eq!(dp.trace(&udp(1, 1, 2)).ports(), vec![3]);
}

#[test]
fn vlan_push_pop_and_tunnel_id_are_visible_on_outputs() {
    let mut dp = with(&[
        "table=0,priority=10,in_port=1,actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:2,set_field:0x42->tun_id,output:3",
        "table=0,priority=10,in_port=2,dl_vlan=100,actions=pop_vlan,output:4",
        "table=0,priority=10,in_port=3,tun_id=0x42,actions=output:4",
    ]);
    let t = dp.trace(&udp(1, 1, 2));
    let p2 = t.output_to(2).unwrap();
    assert_eq!(p2.vlan_vid(), Some(100));
    assert_eq!(p2.tunnel_id, 0);
    assert_eq!(p2.len, udp(1, 1, 2).len + 4);
    let p3 = t.output_to(3).unwrap();
    assert_eq!((p3.vlan_vid(), p3.tunnel_id), (Some(100), 0x42));

    let tagged = udp(2, 1, 2).with_vlan(100, 0);
    let t = dp.trace(&tagged);
    assert_eq!(t.ports(), vec![4]);
    assert_eq!(t.output_to(4).unwrap().vlan_vid(), None);
    // Wrong VLAN, or untagged: miss.
    assert!(dp.trace(&udp(2, 1, 2).with_vlan(101, 0)).dropped());
    assert!(dp.trace(&udp(2, 1, 2)).dropped());

    assert_eq!(
        dp.trace(&udp(3, 1, 2).with_tunnel_id(0x42)).ports(),
        vec![4]
    );
    assert!(dp.trace(&udp(3, 1, 2)).dropped());
}

#[test]
fn untagged_match_with_ofpvid_none() {
    let mut dp = dp();
    let mut f = add("cookie=1,priority=10,actions=output:2");
    f.r#match = Match::new().with(OxmField::VlanVid(Masked::exact(0)));
    dp.flow_mod(&f).unwrap();
    let mut f = add("cookie=2,priority=10,actions=output:3");
    f.r#match = Match::new().with(OxmField::VlanVid(Masked::new(0x1000, 0x1000)));
    dp.flow_mod(&f).unwrap();
    assert_eq!(dp.trace(&udp(1, 1, 2)).cookies(), vec![1]);
    assert_eq!(dp.trace(&udp(1, 1, 2).with_vlan(7, 0)).cookies(), vec![2]);
}

#[test]
fn table_miss_drops_even_with_a_pending_action_set() {
    let mut dp = with(&["table=0,priority=1,actions=write_actions(output:2),goto_table:1"]);
    let t = dp.trace(&udp(1, 1, 2));
    assert_eq!(t.table_miss, Some(1));
    assert!(t.dropped());
    assert_eq!(t.hits, vec![(0, 0)]);
    let mut empty = Datapath::new();
    assert_eq!(empty.trace(&udp(1, 1, 2)).table_miss, Some(0));
}

#[test]
fn meters_and_counters() {
    let mut dp = dp();
    dp.meter_mod(&meter("meter=4,pktps,band=type=drop,rate=10"))
        .unwrap();
    dp.flow_mod(&add("cookie=1,priority=1,actions=meter:4,output:2"))
        .unwrap();
    for _ in 0..3 {
        let t = dp.trace(&udp(1, 1, 2));
        assert_eq!(t.meters, vec![4]);
        assert_eq!(t.ports(), vec![2]);
    }
    let len = u64::from(udp(1, 1, 2).len);
    let m = &dp.meters()[&4];
    assert_eq!((m.packet_count, m.byte_count), (3, 3 * len));
    let f = &dp.flows()[0];
    assert_eq!((f.packet_count, f.byte_count), (3, 3 * len));
    let c = dp.port_counters(2);
    assert_eq!((c.tx_packets, c.tx_bytes), (3, 3 * len));
    assert_eq!(dp.port_counters(1).rx_packets, 3);
    let tc = dp.table_counters(0);
    assert_eq!((tc.lookup_count, tc.matched_count), (3, 3));
}

#[test]
fn dec_ttl_expiry_drops() {
    let mut dp = with(&["priority=1,actions=dec_ttl,output:2"]);
    let mut p = udp(1, 1, 2);
    p.ip_ttl = Some(2);
    let t = dp.trace(&p);
    assert_eq!(t.output_to(2).unwrap().ip_ttl, Some(1));
    p.ip_ttl = Some(1);
    let t = dp.trace(&p);
    assert!(t.dropped());
    assert!(t.notes.iter().any(|n| n.contains("TTL")));
}

#[test]
fn flood_all_controller_and_in_port() {
    let mut dp = with(&[
        "priority=1,in_port=1,actions=all",
        "priority=1,in_port=2,actions=flood,controller",
        "priority=1,in_port=3,actions=output:3,in_port",
    ]);
    assert_eq!(dp.trace(&udp(1, 1, 2)).ports(), vec![2, 3, 4]);
    assert_eq!(
        dp.trace(&udp(2, 1, 2)).ports(),
        vec![1, 3, 4, port_no::CONTROLLER]
    );
    assert_eq!(dp.trace(&udp(3, 1, 2)).ports(), vec![3]);
}

#[test]
fn mpls_push_pop() {
    let mut dp = with(&[
        "priority=1,in_port=1,actions=push_mpls:0x8847,set_field:77->mpls_label,output:2",
        "priority=1,in_port=2,mpls,mpls_label=77,actions=pop_mpls:0x0800,output:3",
    ]);
    let t = dp.trace(&udp(1, 1, 2));
    let p = t.output_to(2).unwrap().clone();
    assert_eq!(p.eth_type, 0x8847);
    assert_eq!(p.mpls[0].label, 77);
    let t = dp.trace(&p.with_in_port(2));
    let q = t.output_to(3).unwrap();
    assert_eq!((q.eth_type, q.mpls.len()), (0x0800, 0));
}

/// `NXAST_REG_MOVE` (Open vSwitch's `move:SRC[]->DST[]`) from `src` to `dst` NXM/OXM header.
fn reg_move(n_bits: u16, src: u32, dst: u32) -> ofproto::Action {
    let mut data = Vec::new();
    data.extend_from_slice(&6u16.to_be_bytes());
    data.extend_from_slice(&n_bits.to_be_bytes());
    data.extend_from_slice(&[0; 4]);
    data.extend_from_slice(&src.to_be_bytes());
    data.extend_from_slice(&dst.to_be_bytes());
    ofproto::Action::Experimenter {
        experimenter: 0x2320,
        data,
    }
}

#[test]
fn nicira_reg_move_builds_an_arp_reply_in_place() {
    use ofproto::msg::FlowMod;
    use ofproto::{Action, Instruction};
    let me = mac(9);
    let actions = vec![
        reg_move(48, 0x0000_0406, 0x0000_0206), // NXM_OF_ETH_SRC -> NXM_OF_ETH_DST
        Action::SetField(OxmField::EthSrc(Masked::exact(me))),
        Action::SetField(OxmField::ArpOp(2)),
        reg_move(48, 0x0001_2206, 0x0001_2406), // NXM_NX_ARP_SHA -> NXM_NX_ARP_THA
        reg_move(32, 0x0000_2004, 0x0000_2204), // NXM_OF_ARP_SPA -> NXM_OF_ARP_TPA
        Action::SetField(OxmField::ArpSha(Masked::exact(me))),
        Action::SetField(OxmField::ArpSpa(Masked::exact(ip(2)))),
        Action::output(port_no::IN_PORT),
    ];
    let m = Match::new().with(OxmField::EthType(0x0806));
    let mut dp = dp();
    dp.flow_mod(&FlowMod::add(
        0,
        1,
        m,
        vec![Instruction::ApplyActions(actions)],
    ))
    .unwrap();
    let t = dp.trace(&Packet::arp_request(1, mac(1), ip(1), ip(2)));
    assert!(t.notes.is_empty(), "{:?}", t.notes);
    assert_eq!(t.ports(), vec![1]);
    let r = t.output_to(1).unwrap();
    assert_eq!((r.eth_src, r.eth_dst), (me, mac(1)));
    assert_eq!(r.arp_op, Some(2));
    assert_eq!((r.arp_sha, r.arp_spa), (Some(me), Some(ip(2))));
    assert_eq!((r.arp_tha, r.arp_tpa), (Some(mac(1)), Some(ip(1))));
}

#[test]
fn nicira_reg_move_takes_oxm_headers_and_skips_what_it_does_not_model() {
    use ofproto::msg::FlowMod;
    use ofproto::Instruction;
    let m = Match::new();
    let actions = vec![
        reg_move(48, 0x8000_0806, 0x8000_0606), // OXM ETH_SRC -> ETH_DST
        reg_move(16, 0x0000_0406, 0x0000_0206), // part of a field: not modelled
        reg_move(32, 0x0001_0004, 0x0001_0204), // reg0 -> reg1: not modelled
        reg_move(32, 0x0000_2004, 0x0000_2204), // ARP fields of a non-ARP packet
        ofproto::Action::Experimenter {
            experimenter: 0x2320,
            data: vec![0, 7, 0, 0, 0, 0, 0, 0], // another Nicira action: ignored
        },
        ofproto::Action::output(2),
    ];
    let mut dp = dp();
    dp.flow_mod(&FlowMod::add(
        0,
        1,
        m,
        vec![Instruction::ApplyActions(actions)],
    ))
    .unwrap();
    let p = udp(1, 1, 2);
    let t = dp.trace(&p);
    assert_eq!(t.notes.len(), 4, "{:?}", t.notes);
    let out = t.output_to(2).unwrap();
    assert_eq!((out.eth_src, out.eth_dst), (p.eth_src, p.eth_src));
    assert_eq!((out.arp_spa, out.arp_tpa), (None, None));
}
