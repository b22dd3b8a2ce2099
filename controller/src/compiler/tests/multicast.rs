//! Multicast: per-group replication to local members and one tunnel per remote host with
//! members, split horizon for what comes from the fabric, unregistered flood or drop, IGMP to
//! the controller, tenants kept apart.

use super::super::multicast::{group_id, packet_in_meter, IGMP_APP};
use super::super::{priority, GroupMembers};
use super::fixture::*;
use crate::cookie::{Cookie, OwnerKind};
use fakeswitch::Packet;
use northbound_api::model::Unregistered;
use ofproto::action::port_no;
use ofproto::msg::GroupType;
use ofproto::MacAddr;
use std::net::Ipv4Addr;

const G: Ipv4Addr = Ipv4Addr::new(239, 1, 1, 1);

/// The multicast MAC of `group`.
fn group_mac(group: Ipv4Addr) -> MacAddr {
    let o = group.octets();
    MacAddr([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]])
}

/// A UDP datagram from `src` (entering at `in_port`) to `group`.
fn to_group(in_port: u32, src: &str, group: Ipv4Addr) -> Packet {
    Packet::ipv4_udp(
        in_port,
        mac_of(src),
        group_mac(group),
        ip_of(src),
        group,
        5000,
        5000,
    )
}

/// Tenant t1 network blue (VNI 100): sender s and member r1 on h1, member r2 and non-member
/// n2 on h2, member r3 on h3. Tenant t2 network red (VNI 200) with the same group joined by
/// b3 on h3. Memberships as snooping would have learned them.
fn fabric() -> (Fixture, u32, u32) {
    let mut f = Fixture::new(3, Fabric::VxlanPerPeer);
    let blue = f.network("t1", "blue", 100);
    let red = f.network("t2", "red", 200);
    f.endpoint("t1", "blue", "s", at(1, 1), 1);
    f.endpoint("t1", "blue", "r1", at(1, 2), 2);
    f.endpoint("t1", "blue", "r2", at(2, 1), 3);
    f.endpoint("t1", "blue", "n2", at(2, 2), 4);
    f.endpoint("t1", "blue", "r3", at(3, 1), 5);
    f.endpoint("t2", "red", "b3", at(3, 2), 5);
    f.endpoint("t2", "red", "b1", at(1, 3), 6);
    let members = |index, eps: &[&str]| GroupMembers {
        index,
        endpoints: eps.iter().map(|e| e.to_string()).collect(),
    };
    f.topo
        .multicast
        .insert(blue, [(G, members(1, &["t1:r1", "t1:r2", "t1:r3"]))].into());
    f.topo
        .multicast
        .insert(red, [(G, members(2, &["t2:b3"]))].into());
    (f, blue, red)
}

#[test]
fn a_group_reaches_each_member_once_by_head_end_replication() {
    let (f, _, _) = fabric();
    let states = f.compile();
    let g = &states[&1].groups[&group_id(1)];
    assert_eq!(g.group_type, GroupType::All);
    assert_eq!(
        g.buckets.len(),
        3,
        "r1's port and one tunnel to each of h2 and h3"
    );
    let sw = f.install();
    let t = sw[&1].trace(&to_group(1, "s", G));
    assert_eq!(t.ports(), [2, peer_port(2), peer_port(3)], "{t:?}");
    for port in [peer_port(2), peer_port(3)] {
        assert_eq!(t.sent_to(port)[0].tunnel_id, 100);
    }
    // At the receiving hosts: the local members only, never back into the overlay.
    let on_h2 = from_tunnel(&to_group(1, "s", G), peer_port(1), 100);
    assert_eq!(sw[&2].trace(&on_h2).ports(), [1], "r2, not n2");
    let on_h3 = from_tunnel(&to_group(1, "s", G), peer_port(1), 100);
    assert_eq!(sw[&3].trace(&on_h3).ports(), [1], "r3, not t2's b3");
    // A member sending reaches the others, not itself.
    let t = sw[&2].trace(&to_group(1, "r2", G));
    assert_eq!(t.ports(), [peer_port(1), peer_port(3)]);
}

#[test]
fn the_same_group_in_another_tenant_is_another_group() {
    let (f, _, _) = fabric();
    let sw = f.install();
    let t = sw[&1].trace(&to_group(3, "b1", G));
    assert_eq!(t.ports(), [peer_port(3)], "only b3's host");
    assert_eq!(t.sent_to(peer_port(3))[0].tunnel_id, 200);
    assert_eq!(t.groups[0].0, group_id(2));
    let on_h3 = from_tunnel(&to_group(3, "b1", G), peer_port(1), 200);
    assert_eq!(sw[&3].trace(&on_h3).ports(), [2], "b3 only");
}

#[test]
fn unregistered_multicast_floods_or_drops_as_the_network_says() {
    let (mut f, _, _) = fabric();
    let other = Ipv4Addr::new(239, 9, 9, 9);
    let sw = f.install();
    let t = sw[&1].trace(&to_group(1, "s", other));
    assert_eq!(
        t.ports(),
        [2, peer_port(2), peer_port(3)],
        "flood (the default)"
    );
    f.snap
        .networks
        .get_mut("t1:blue")
        .unwrap()
        .multicast
        .unregistered = Unregistered::Drop;
    let sw = f.install();
    assert!(sw[&1].trace(&to_group(1, "s", other)).dropped());
    let on_h2 = from_tunnel(&to_group(1, "s", other), peer_port(1), 100);
    assert!(sw[&2].trace(&on_h2).dropped());
    // The registered group still goes to its members; link-local control traffic floods.
    assert_eq!(sw[&1].trace(&to_group(1, "s", G)).ports().len(), 3);
    let mdns = Ipv4Addr::new(224, 0, 0, 251);
    assert_eq!(
        sw[&1].trace(&to_group(1, "s", mdns)).ports(),
        [2, peer_port(2), peer_port(3)]
    );
    assert_eq!(
        sw[&2]
            .trace(&from_tunnel(&to_group(1, "s", mdns), peer_port(1), 100))
            .ports(),
        [1, 2]
    );
}

#[test]
fn igmp_goes_to_the_controller_through_a_meter_and_nowhere_else() {
    let (f, _, _) = fabric();
    let sw = f.install();
    let report = Packet::ipv4(1, mac_of("r1"), group_mac(G), ip_of("r1"), G, 2).with_in_port(2);
    let t = sw[&1].trace(&report);
    assert_eq!(t.ports(), [port_no::CONTROLLER]);
    assert_eq!(t.meters, [packet_in_meter()]);
    assert!(t
        .cookies()
        .contains(&Cookie::new(OwnerKind::PacketIn, IGMP_APP)));
    // From the fabric: dropped (reports are never forwarded).
    let t = sw[&2].trace(&from_tunnel(&report, peer_port(1), 100));
    assert!(t.dropped(), "{t:?}");
    assert_eq!(t.priorities.last(), Some(&priority::IGMP_FABRIC));
}

#[test]
fn groups_follow_the_memberships() {
    let (mut f, blue, _) = fabric();
    // r2 and r3 leave: h1's group keeps only r1's port; h2 and h3 get no copy.
    f.topo
        .multicast
        .get_mut(&blue)
        .unwrap()
        .get_mut(&G)
        .unwrap()
        .endpoints = ["t1:r1".to_string()].into();
    let sw = f.install();
    assert_eq!(sw[&1].trace(&to_group(1, "s", G)).ports(), [2]);
    // Every member gone: no group, the group address is unregistered again (flooded).
    f.topo.multicast.remove(&blue);
    let states = f.compile();
    assert!(!states[&1].groups.contains_key(&group_id(1)));
}

#[test]
fn on_a_vlan_network_the_uplink_carries_one_copy_for_every_other_host() {
    let mut f = Fixture::new(3, Fabric::Vlan);
    let net = f.network("t1", "v", 30);
    f.endpoint("t1", "v", "s", at(1, 1), 1);
    f.endpoint("t1", "v", "r2", at(2, 1), 2);
    f.endpoint("t1", "v", "n2", at(2, 2), 3);
    f.endpoint("t1", "v", "n3", at(3, 1), 4);
    let members = GroupMembers {
        index: 1,
        endpoints: ["t1:r2".to_string()].into(),
    };
    f.topo.multicast.insert(net, [(G, members)].into());
    let sw = f.install();
    let t = sw[&1].trace(&to_group(1, "s", G));
    assert_eq!(t.ports(), [UPLINK], "{t:?}");
    assert_eq!(t.sent_to(UPLINK)[0].vlan_vid(), Some(30));
    // Each host takes its copy from the trunk to its own members only.
    let on_trunk = to_group(1, "s", G).with_vlan(30, 0).with_in_port(UPLINK);
    assert_eq!(sw[&2].trace(&on_trunk).ports(), [1], "r2, not n2");
    assert!(sw[&3].trace(&on_trunk).dropped(), "no member on host3");
    // A sender on host3 (no member there) sends one copy up the trunk; r2, the only member,
    // sends to nobody (no other member, no uplink bucket on its host).
    assert_eq!(sw[&3].trace(&to_group(1, "n3", G)).ports(), [UPLINK]);
    let t = sw[&2].trace(&to_group(1, "r2", G));
    assert!(t.dropped(), "r2 is the only member: {t:?}");
}
