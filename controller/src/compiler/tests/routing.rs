//! Routing mode: the distributed gateway between the networks of a tenant.

use super::fixture::*;
use super::isolation::assert_arp_reply_from;
use crate::compiler::gateway::GATEWAY_MAC;
use fakeswitch::Packet;
use northbound_api::model::FwdMode;
use std::net::Ipv4Addr;

fn ip(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, n)
}

/// t1: net `a` (VNI 100, gateway .254) with a1 on h1, net `b` (VNI 101, gateway .253) with b2
/// on h2; t2: net `a` (VNI 200, gateway .254) with c1 on h1 and c2 on h2, c2 with b2's
/// address .2.
fn fixture() -> Fixture {
    let mut f = Fixture::new(2, Fabric::VxlanPerPeer);
    f.snap.global.fwd_mode = FwdMode::Routing;
    f.network("t1", "a", 100);
    f.network("t1", "b", 101);
    f.network("t2", "a", 200);
    for (key, gw) in [("t1:a", 254), ("t1:b", 253), ("t2:a", 254)] {
        f.snap.networks.get_mut(key).unwrap().gateway = Some(ip(gw));
    }
    f.endpoint("t1", "a", "a1", at(1, 1), 1);
    f.endpoint("t1", "b", "b2", at(2, 1), 2);
    f.endpoint("t2", "a", "c1", at(1, 2), 1);
    f.endpoint("t2", "a", "c2", at(2, 2), 2);
    f
}

#[test]
fn the_gateway_answers_arp_and_routes_within_the_tenant_only() {
    let f = fixture();
    let sw = f.install();
    // a1 asks for its gateway: the switch answers with the gateway MAC.
    let t = sw[&1].trace(&arp(1, "a1", 1, 254));
    assert_arp_reply_from(&t, 1, "a1", 1, GATEWAY_MAC, 254);

    // a1 -> b2 through the gateway: routed on h1 into `b`, over the tunnel with b's VNI.
    let to_b2 = Packet::ipv4_icmp(1, mac_of("a1"), GATEWAY_MAC, ip(1), ip(2), 8, 0);
    let t = sw[&1].trace(&to_b2);
    assert_eq!(t.ports(), [peer_port(2)], "{t:?}");
    let out = t.output_to(peer_port(2)).unwrap().clone();
    assert_eq!(out.tunnel_id, 101, "b's VNI");
    assert_eq!((out.eth_src, out.eth_dst), (GATEWAY_MAC, mac_of("b2")));
    assert_eq!(out.ip_ttl, Some(63), "TTL decremented once");
    let t = sw[&2].trace(&from_tunnel(&out, peer_port(1), 101));
    assert_eq!(t.ports(), [1], "delivered to b2: {t:?}");

    // The reply b2 -> a1 is routed on h2 (which has no endpoint of `a`) into `a`.
    let back = Packet::ipv4_icmp(1, mac_of("b2"), GATEWAY_MAC, ip(2), ip(1), 0, 0);
    let t = sw[&2].trace(&back);
    assert_eq!(t.ports(), [peer_port(1)], "{t:?}");
    let out = t.output_to(peer_port(1)).unwrap().clone();
    assert_eq!((out.tunnel_id, out.eth_dst), (100, mac_of("a1")));
    assert_eq!(
        sw[&1].trace(&from_tunnel(&out, peer_port(2), 100)).ports(),
        [1]
    );

    // t2's c1 asks its gateway for .2 (b2's address in t1, c2's in t2): never b2, never b's
    // VNI; t2 has no other network, so nothing is routed at all.
    let t = sw[&1].trace(&Packet::ipv4_icmp(
        2,
        mac_of("c1"),
        GATEWAY_MAC,
        ip(1),
        ip(2),
        8,
        0,
    ));
    for (_, p) in &t.outputs {
        assert_ne!(p.tunnel_id, 101, "{t:?}");
        assert_ne!(p.eth_dst, mac_of("b2"), "{t:?}");
    }
}

#[test]
fn routing_mode_adds_tunnels_between_the_hosts_of_a_tenant() {
    let mut f = Fixture::new(3, Fabric::VxlanPerPeer);
    f.snap.global.fwd_mode = FwdMode::Routing;
    f.network("t1", "a", 100);
    f.network("t1", "b", 101);
    for key in ["t1:a", "t1:b"] {
        f.snap.networks.get_mut(key).unwrap().gateway = Some(ip(254));
    }
    f.endpoint("t1", "a", "a1", at(1, 1), 1);
    f.endpoint("t1", "b", "b3", at(3, 1), 3);
    let tunnels = crate::compiler::compile_all(&f.snap, &f.topo).tunnels;
    assert_eq!(tunnels["h1"], [vtep(3)].into());
    assert_eq!(tunnels["h3"], [vtep(1)].into());
    assert!(tunnels["h2"].is_empty());
    // In bridge mode they share no network: no tunnel.
    f.snap.global.fwd_mode = FwdMode::Bridge;
    let tunnels = crate::compiler::compile_all(&f.snap, &f.topo).tunnels;
    assert!(tunnels["h1"].is_empty());
}

#[test]
fn policy_applies_to_routed_traffic_on_both_hosts() {
    let mut f = fixture();
    f.group("t1", "a", "ga", &[]);
    f.group("t1", "b", "gb", &["p"]);
    f.join("t1", "a1", "ga");
    f.join("t1", "b2", "gb");
    f.rule(northbound_api::model::Rule {
        tenant_name: "t1".into(),
        policy_name: "p".into(),
        rule_id: "1".into(),
        direction: northbound_api::model::Direction::In,
        priority: 10,
        from_endpoint_group: Some("ga".into()),
        to_endpoint_group: None,
        from_network: None,
        to_network: None,
        from_ip_address: None,
        to_ip_address: None,
        protocol: Some("tcp".into()),
        port: 22,
        action: northbound_api::model::RuleAction::Deny,
    });
    let sw = f.install();
    let tcp = |port: u16| Packet::ipv4_tcp(1, mac_of("a1"), GATEWAY_MAC, ip(1), ip(2), 40000, port);
    // Sending host: the routed packet gets b2's EPG from its address; 22 denied, 80 routed.
    assert!(sw[&1].trace(&tcp(22)).dropped());
    let out = sw[&1].trace(&tcp(80));
    assert_eq!(out.ports(), [peer_port(2)]);
    // Receiving host: a routed packet from the fabric gets a1's EPG from its source address.
    let mut routed = out.output_to(peer_port(2)).unwrap().clone();
    assert_eq!(
        sw[&2]
            .trace(&from_tunnel(&routed, peer_port(1), 101))
            .ports(),
        [1]
    );
    routed.tcp_dst = Some(22);
    assert!(
        sw[&2]
            .trace(&from_tunnel(&routed, peer_port(1), 101))
            .dropped(),
        "enforced at the receiver"
    );
}

#[test]
fn a_ping_of_the_gateway_goes_to_the_echo_responder_and_no_route_is_no_flood() {
    use crate::compiler::gateway::ECHO_APP;
    use crate::compiler::multicast::packet_in_meter;
    use crate::cookie::{Cookie, OwnerKind};
    let f = fixture();
    let sw = f.install();
    let ping_gw = Packet::ipv4_icmp(1, mac_of("a1"), GATEWAY_MAC, ip(1), ip(254), 8, 0);
    let t = sw[&1].trace(&ping_gw);
    assert_eq!(t.ports(), [ofproto::action::port_no::CONTROLLER], "{t:?}");
    assert_eq!(t.meters, [packet_in_meter()]);
    assert!(t
        .cookies()
        .contains(&Cookie::new(OwnerKind::PacketIn, ECHO_APP)));
    // The other network's gateway address is no gateway of a1's network: routed or dropped,
    // never answered for the wrong network; an address nobody has is dropped, not flooded.
    let elsewhere = Packet::ipv4_icmp(1, mac_of("a1"), GATEWAY_MAC, ip(1), ip(99), 8, 0);
    assert!(sw[&1].trace(&elsewhere).dropped());
    let other_gw = Packet::ipv4_icmp(1, mac_of("a1"), GATEWAY_MAC, ip(1), ip(253), 8, 0);
    assert!(!sw[&1]
        .trace(&other_gw)
        .ports()
        .contains(&ofproto::action::port_no::CONTROLLER));
}
