//! L2 isolation, traced through fake switches: frames reach exactly the ports of their own
//! network, on one host and across hosts, over VXLAN (flow-based and per-peer tunnel ports)
//! and VLAN.

use super::fixture::*;
use fakeswitch::{FakeSwitch, Packet, Trace};
use northbound_api::model::ArpMode;
use ofproto::MacAddr;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// One host, three networks: t1:blue, t1:red and t2:blue, which reuses t1:blue's addresses.
fn one_host() -> BTreeMap<u8, FakeSwitch> {
    one_host_in(ArpMode::Proxy)
}

/// [`one_host`] with ARP mode `arp`.
fn one_host_in(arp: ArpMode) -> BTreeMap<u8, FakeSwitch> {
    let mut f = Fixture::new(1, Fabric::VxlanFlow);
    f.snap.global.arp_mode = arp;
    f.network("t1", "blue", 100);
    f.network("t1", "red", 200);
    f.network("t2", "blue", 300);
    f.endpoint("t1", "blue", "b1", at(1, 1), 1);
    f.endpoint("t1", "blue", "b2", at(1, 2), 2);
    f.endpoint("t1", "red", "r1", at(1, 3), 3);
    f.endpoint("t1", "red", "r2", at(1, 4), 4);
    f.endpoint("t2", "blue", "x1", at(1, 5), 1);
    f.endpoint("t2", "blue", "x2", at(1, 6), 2);
    f.install()
}

#[test]
fn one_host_delivers_within_a_network_only() {
    let sw = one_host();
    let h1 = &sw[&1];
    assert_eq!(h1.trace(&unicast(1, "b1", "b2")).ports(), [2]);
    assert_eq!(h1.trace(&unicast(5, "x1", "x2")).ports(), [6]);
    // A MAC of another network is unknown in the sender's: flooded in the sender's network
    // only, never delivered to the other network's port.
    for (port, src, dst, flood) in [
        (1, "b1", "r1", 2),
        (1, "b1", "x2", 2),
        (5, "x1", "b2", 6),
        (3, "r1", "b1", 4),
    ] {
        let t = h1.trace(&unicast(port, src, dst));
        assert_eq!(t.ports(), [flood], "{src} -> {dst}");
    }
    assert_eq!(h1.trace(&broadcast(1, "b1")).ports(), [2]);
    assert_eq!(h1.trace(&broadcast(4, "r2")).ports(), [3]);
    assert_eq!(h1.trace(&broadcast(6, "x2")).ports(), [5]);
}

/// Asserts that `t` is exactly one ARP reply, sent back out of the requester's port `port`:
/// "`10.0.0.<spa>` is at `target`'s MAC", addressed to `requester` at `10.0.0.<tpa>`.
pub fn assert_arp_reply(t: &Trace, port: u32, requester: &str, tpa: u8, target: &str, spa: u8) {
    assert_arp_reply_from(t, port, requester, tpa, mac_of(target), spa);
}

/// [`assert_arp_reply`] with the answering MAC given.
pub fn assert_arp_reply_from(
    t: &Trace,
    port: u32,
    requester: &str,
    tpa: u8,
    target: MacAddr,
    spa: u8,
) {
    assert_eq!(
        t.ports(),
        [port],
        "one reply, to the requester's port: {t:?}"
    );
    let r = t.output_to(port).unwrap();
    assert_eq!(r.arp_op, Some(2), "a reply");
    assert_eq!(r.eth_src, target, "eth_src");
    assert_eq!(r.arp_sha, Some(target), "arp_sha");
    assert_eq!(r.arp_spa, Some(Ipv4Addr::new(10, 0, 0, spa)), "arp_spa");
    assert_eq!(r.eth_dst, mac_of(requester), "eth_dst");
    assert_eq!(r.arp_tha, Some(mac_of(requester)), "arp_tha");
    assert_eq!(r.arp_tpa, Some(Ipv4Addr::new(10, 0, 0, tpa)), "arp_tpa");
    assert_eq!((r.eth_type, r.vlan_vid(), r.in_port), (0x0806, None, port));
    assert!(t.notes.iter().all(|n| !n.contains("move")), "{:?}", t.notes);
}

#[test]
fn one_host_answers_arp_within_the_tenant_even_for_the_same_ip() {
    let sw = one_host();
    let h1 = &sw[&1];
    // b2 and x2 both have 10.0.0.2: each tenant's request is answered with its own
    // endpoint's MAC, by the switch, back to the requester only.
    assert_arp_reply(&h1.trace(&arp(1, "b1", 1, 2)), 1, "b1", 1, "b2", 2);
    assert_arp_reply(&h1.trace(&arp(5, "x1", 1, 2)), 5, "x1", 1, "x2", 2);
    assert_arp_reply(&h1.trace(&arp(2, "b2", 2, 1)), 2, "b2", 2, "b1", 1);
    // 10.0.0.1 is known in t1:blue, not in t1:red: flooded in red only, still a request.
    let t = h1.trace(&arp(3, "r1", 3, 1));
    assert_eq!(t.ports(), [4]);
    let out = t.output_to(4).unwrap();
    assert_eq!(out.eth_dst, ofproto::MacAddr::BROADCAST);
    assert_eq!(out.arp_op, Some(1));
    // An endpoint asking for its own address (gratuitous ARP) is neither answered nor flooded.
    assert!(h1.trace(&arp(1, "b1", 1, 1)).dropped());
}

#[test]
fn arp_flood_mode_floods_every_request() {
    let mut f = Fixture::new(1, Fabric::VxlanFlow);
    f.snap.global.arp_mode = ArpMode::Flood;
    f.network("t1", "blue", 100);
    f.endpoint("t1", "blue", "b1", at(1, 1), 1);
    f.endpoint("t1", "blue", "b2", at(1, 2), 2);
    f.endpoint("t1", "blue", "b3", at(1, 3), 3);
    let states = f.compile();
    // Table 10 holds only its miss entry and the IGMP flows: no ARP responder.
    assert!(states[&1].flows.keys().all(|k| k.table_id != 10
        || [
            0,
            super::super::priority::IGMP,
            super::super::priority::IGMP_FABRIC
        ]
        .contains(&k.priority)));
    let sw = f.install();
    let t = sw[&1].trace(&arp(1, "b1", 1, 2));
    assert_eq!(t.ports(), [2, 3]);
    assert!(t.outputs.iter().all(|(_, p)| p.arp_op == Some(1)
        && p.eth_dst == ofproto::MacAddr::BROADCAST
        && p.eth_src == mac_of("b1")));
}

#[test]
fn port_security_drops_foreign_source_macs_and_tagged_frames() {
    let sw = one_host();
    let h1 = &sw[&1];
    assert!(
        h1.trace(&unicast(1, "b2", "b2")).dropped(),
        "b2's MAC on b1's port"
    );
    assert!(
        h1.trace(&unicast(3, "b1", "b2")).dropped(),
        "b1's MAC on r1's port"
    );
    let tagged = unicast(1, "b1", "b2").with_vlan(100, 0);
    assert!(h1.trace(&tagged).dropped(), "tagged frame from an endpoint");
    assert!(h1.trace(&unicast(9, "b1", "b2")).dropped(), "unknown port");
    // The endpoint's own MAC but another source IP, or ARP claiming another address or with
    // another sender MAC: dropped; the genuine ones pass.
    let mut spoofed_ip = unicast(1, "b1", "b2");
    spoofed_ip.ipv4_src = Some(Ipv4Addr::new(10, 0, 0, 99));
    assert!(h1.trace(&spoofed_ip).dropped(), "spoofed source IP");
    assert!(
        !h1.trace(&unicast(1, "b1", "b2")).dropped(),
        "b1's own address"
    );
    let own = ip_of("b1").octets()[3];
    assert!(
        h1.trace(&arp(1, "b1", 99, 2)).dropped(),
        "ARP claiming another IP"
    );
    let mut wrong_sha = arp(1, "b1", own, 99);
    wrong_sha.arp_sha = Some(mac_of("b2"));
    assert!(
        h1.trace(&wrong_sha).dropped(),
        "ARP with another sender MAC"
    );
    assert!(
        !h1.trace(&arp(1, "b1", own, 99)).dropped(),
        "b1's own ARP floods"
    );
}

/// Three hosts; t1:net (tag 100) has a1, a2, a3 on h1, h2, h3; t2:net (tag 200) reuses the
/// subnet with b1 on h1 and b2 on h2 (same IPs as a1 and a2).
fn two_tenants(fabric: Fabric) -> BTreeMap<u8, FakeSwitch> {
    two_tenants_in(fabric, ArpMode::Proxy)
}

/// [`two_tenants`] with ARP mode `arp`.
fn two_tenants_in(fabric: Fabric, arp: ArpMode) -> BTreeMap<u8, FakeSwitch> {
    let mut f = Fixture::new(3, fabric);
    f.snap.global.arp_mode = arp;
    f.network("t1", "net", 100);
    f.network("t2", "net", 200);
    f.endpoint("t1", "net", "a1", at(1, 1), 1);
    f.endpoint("t1", "net", "a2", at(2, 1), 2);
    f.endpoint("t1", "net", "a3", at(3, 1), 3);
    f.endpoint("t2", "net", "b1", at(1, 2), 1);
    f.endpoint("t2", "net", "b2", at(2, 2), 2);
    f.install()
}

/// The port of host `from` that leads to host `to`.
fn egress(fabric: Fabric, to: u8) -> u32 {
    match fabric {
        Fabric::VxlanFlow => TUN,
        Fabric::VxlanPerPeer => peer_port(to),
        Fabric::Vlan => UPLINK,
    }
}

/// Asserts that `p` left towards host `to` encapsulated with `tag`.
fn assert_encap(fabric: Fabric, p: &Packet, tag: u16, to: u8) {
    match fabric {
        Fabric::VxlanFlow | Fabric::VxlanPerPeer => {
            assert_eq!(p.tunnel_id, u64::from(tag), "VNI");
            let dst = (fabric == Fabric::VxlanFlow).then(|| vtep(to));
            assert_eq!(p.tun_dst, dst, "tun_dst");
            assert_eq!(p.vlan_vid(), None);
        }
        Fabric::Vlan => assert_eq!(p.vlan_vid(), Some(tag), "VLAN"),
    }
}

/// `p`, sent by host `from` with `tag`, as it enters the next host.
fn arriving(fabric: Fabric, p: &Packet, from: u8, tag: u16) -> Packet {
    match fabric {
        Fabric::VxlanFlow => from_tunnel(p, TUN, tag.into()),
        Fabric::VxlanPerPeer => from_tunnel(p, peer_port(from), tag.into()),
        Fabric::Vlan => {
            let mut p = p.clone().with_in_port(UPLINK);
            p.vlans[0].vid = tag;
            p
        }
    }
}

/// The only packet of `t`, which must have left by `port`.
fn only(t: &Trace, port: u32) -> Packet {
    assert_eq!(t.ports(), [port], "{t:?}");
    t.output_to(port).unwrap().clone()
}

const FABRICS: [Fabric; 3] = [Fabric::VxlanFlow, Fabric::VxlanPerPeer, Fabric::Vlan];

#[test]
fn unicast_crosses_hosts_within_the_tenant_only() {
    for fabric in FABRICS {
        let sw = two_tenants(fabric);
        let out = only(&sw[&1].trace(&unicast(1, "a1", "a2")), egress(fabric, 2));
        assert_encap(fabric, &out, 100, 2);
        let t = sw[&2].trace(&arriving(fabric, &out, 1, 100));
        let delivered = only(&t, 1);
        assert_eq!(
            (delivered.vlan_vid(), delivered.eth_dst),
            (None, mac_of("a2"))
        );
        // The same frame with t2's tag is not t1's: a2's MAC is unknown there.
        assert!(
            sw[&2].trace(&arriving(fabric, &out, 1, 200)).dropped(),
            "{fabric:?}"
        );
        // Across tenants, even with the same subnet: never. The other tenant's MAC is unknown
        // unicast in the sender's network, flooded with the sender's tag and dropped by the
        // receiving host, which has no such endpoint in that network.
        for (port, src, dst, tag) in [(2, "b1", "a2", 200), (1, "a1", "b2", 100)] {
            let t = sw[&1].trace(&unicast(port, src, dst));
            assert!(!t.outputs.is_empty(), "{fabric:?}");
            for (n, (_, out)) in t.outputs.iter().enumerate() {
                let to = if t.outputs.len() == 1 { 2 } else { n as u8 + 2 };
                assert_encap(fabric, out, tag, to);
                for host in [2, 3] {
                    let t = sw[&host].trace(&arriving(fabric, out, 1, tag));
                    assert!(t.dropped(), "{fabric:?}: {src} -> {dst} at h{host}");
                }
            }
        }
        let out = only(&sw[&1].trace(&unicast(2, "b1", "b2")), egress(fabric, 2));
        assert_encap(fabric, &out, 200, 2);
        assert_eq!(
            only(&sw[&2].trace(&arriving(fabric, &out, 1, 200)), 2).eth_dst,
            mac_of("b2")
        );
    }
}

#[test]
fn broadcast_floods_the_network_and_never_back_into_the_fabric() {
    for fabric in FABRICS {
        let sw = two_tenants(fabric);
        let t = sw[&1].trace(&broadcast(1, "a1"));
        match fabric {
            Fabric::VxlanFlow => {
                let sent = t.sent_to(TUN);
                assert_eq!(t.ports(), [TUN, TUN]);
                assert_encap(fabric, sent[0], 100, 2);
                assert_encap(fabric, sent[1], 100, 3);
            }
            Fabric::VxlanPerPeer => {
                assert_eq!(t.ports(), [peer_port(2), peer_port(3)]);
                assert_encap(fabric, t.output_to(peer_port(2)).unwrap(), 100, 2);
                assert_encap(fabric, t.output_to(peer_port(3)).unwrap(), 100, 3);
            }
            Fabric::Vlan => assert_encap(fabric, &only(&t, UPLINK), 100, 0),
        }
        // Split horizon: from the fabric, to the local ports of the network only.
        let out = &t.outputs[0].1;
        assert_eq!(
            only(&sw[&2].trace(&arriving(fabric, out, 1, 100)), 1).vlan_vid(),
            None
        );
        assert_eq!(
            only(&sw[&3].trace(&arriving(fabric, out, 1, 100)), 1).vlan_vid(),
            None
        );
        // t2's broadcast stays in t2: h3 has no t2 endpoint, so it is not sent there.
        let t = sw[&1].trace(&broadcast(2, "b1"));
        let out = only(&t, egress(fabric, 2));
        assert_encap(fabric, &out, 200, 2);
        assert_eq!(
            only(&sw[&2].trace(&arriving(fabric, &out, 1, 200)), 2).eth_src,
            mac_of("b1")
        );
        assert!(
            sw[&3].trace(&arriving(fabric, &out, 1, 200)).dropped(),
            "{fabric:?}"
        );
    }
}

#[test]
fn arp_for_a_known_endpoint_is_answered_by_the_requesters_switch() {
    for fabric in FABRICS {
        let sw = two_tenants(fabric);
        // a2 and b2 (same IP, other tenant) are on h2; h1 answers for them itself, each within
        // its own network: never to a tunnel, an uplink or another port.
        let t = sw[&1].trace(&arp(1, "a1", 1, 2));
        assert_arp_reply(&t, 1, "a1", 1, "a2", 2);
        let t = sw[&1].trace(&arp(2, "b1", 1, 2));
        assert_arp_reply(&t, 2, "b1", 1, "b2", 2);
        // a3 exists only in t1: t2's request for 10.0.0.3 is unknown there and flooded in t2
        // (to h2 only, the one other host of t2), as a request with t2's tag.
        let t = sw[&1].trace(&arp(2, "b1", 1, 3));
        let out = only(&t, egress(fabric, 2));
        assert_encap(fabric, &out, 200, 2);
        assert_eq!(
            (out.arp_op, out.eth_dst),
            (Some(1), ofproto::MacAddr::BROADCAST)
        );
        // An unknown address is flooded like any broadcast (to both peers in VXLAN).
        let t = sw[&1].trace(&arp(1, "a1", 1, 99));
        let peers = if fabric == Fabric::Vlan { 1 } else { 2 };
        assert_eq!(t.outputs.len(), peers, "{fabric:?}");
        assert!(t.outputs.iter().all(|(_, p)| p.arp_op == Some(1)));
        // A request that still arrives from the fabric (a host that did not answer it) is not
        // answered back into the fabric: it reaches the local ports of the network only.
        let t = sw[&2].trace(&arriving(fabric, &out, 1, 200));
        assert_eq!(only(&t, 2).arp_op, Some(1), "{fabric:?}");
        let mut req = arp(1, "a1", 1, 2);
        if fabric == Fabric::Vlan {
            req = req.with_vlan(100, 0);
        }
        let t = sw[&2].trace(&arriving(fabric, &req, 1, 100));
        let delivered = only(&t, 1);
        assert_eq!(
            (delivered.arp_op, delivered.eth_src),
            (Some(1), mac_of("a1"))
        );
    }
}

#[test]
fn an_external_endpoint_is_reached_through_the_uplink_and_its_arp_answered_locally() {
    let mut f = Fixture::new(2, Fabric::Vlan);
    f.network("t1", "net", 100);
    f.network("t2", "net", 200);
    f.endpoint("t1", "net", "a1", at(1, 1), 1);
    f.endpoint("t2", "net", "b1", at(1, 2), 1);
    f.external("t1", "net", "srv", 50);
    let sw = f.install();
    // Host 2 has no endpoint of the network: the external one alone gives it no flows.
    assert!(sw[&2]
        .trace(&unicast(UPLINK, "srv", "a1").with_vlan(100, 0))
        .dropped());
    // a1 -> srv: straight out of the uplink with the network's tag.
    let out = only(&sw[&1].trace(&unicast(1, "a1", "srv")), UPLINK);
    assert_eq!((out.vlan_vid(), out.eth_dst), (Some(100), mac_of("srv")));
    // a1's ARP for the server is answered by its switch; b1 (other tenant, same subnet) gets
    // no answer for the same address (the request floods its own network, the uplink).
    assert_arp_reply(&sw[&1].trace(&arp(1, "a1", 1, 50)), 1, "a1", 1, "srv", 50);
    let t = sw[&1].trace(&arp(2, "b1", 1, 50));
    assert!(t.outputs.iter().all(|(_, p)| p.arp_op != Some(2)), "{t:?}");
    // srv -> a1 from the uplink, tagged: delivered untagged; with the other tag: not.
    let back = only(
        &sw[&1].trace(&unicast(UPLINK, "srv", "a1").with_vlan(100, 0)),
        1,
    );
    assert_eq!(back.vlan_vid(), None);
    assert!(sw[&1]
        .trace(&unicast(UPLINK, "srv", "a1").with_vlan(200, 0))
        .dropped());
}

#[test]
fn an_endpoints_own_ipv6_address_passes_port_security() {
    let mut f = Fixture::new(1, Fabric::VxlanFlow);
    f.network("t1", "blue", 100);
    f.endpoint("t1", "blue", "b1", at(1, 1), 1);
    f.endpoint("t1", "blue", "b2", at(1, 2), 2);
    f.snap.endpoints.get_mut("t1:b1").unwrap().ipv6_address = Some("2001:db8::1".parse().unwrap());
    let sw = f.install();
    let from_b1 = |src: &str| {
        Packet::ipv6_udp(
            1,
            mac_of("b1"),
            mac_of("b2"),
            src.parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
            4000,
            4001,
        )
    };
    assert_eq!(sw[&1].trace(&from_b1("2001:db8::1")).ports(), [2]);
    assert!(sw[&1].trace(&from_b1("2001:db8::3")).dropped());
}

/// Asserts that `p` is `requester`'s ARP request for `10.0.0.<tpa>`, unchanged but for its
/// destination MAC, which is `target`'s.
fn assert_directed_request(p: &Packet, requester: &str, tpa: u8, target: &str) {
    assert_eq!(p.arp_op, Some(1), "still a request: {p:?}");
    assert_eq!(p.eth_dst, mac_of(target), "eth_dst");
    assert_eq!(p.eth_src, mac_of(requester), "eth_src");
    assert_eq!(p.arp_sha, Some(mac_of(requester)), "arp_sha");
    assert_eq!(p.arp_tpa, Some(Ipv4Addr::new(10, 0, 0, tpa)), "arp_tpa");
}

#[test]
fn directed_arp_reaches_the_target_alone_within_the_tenant() {
    let sw = one_host_in(ArpMode::Directed);
    let h1 = &sw[&1];
    // b2 and x2 both have 10.0.0.2: each tenant's request goes to its own endpoint only.
    let t = h1.trace(&arp(1, "b1", 1, 2));
    assert_directed_request(&only(&t, 2), "b1", 2, "b2");
    let t = h1.trace(&arp(5, "x1", 1, 2));
    assert_directed_request(&only(&t, 6), "x1", 2, "x2");
    // The target's reply is ordinary unicast back to the requester.
    let reply = Packet::arp_reply(
        2,
        mac_of("b2"),
        Ipv4Addr::new(10, 0, 0, 2),
        mac_of("b1"),
        Ipv4Addr::new(10, 0, 0, 1),
    );
    assert_eq!(h1.trace(&reply).ports(), [1]);
    // Unknown in t1:red: flooded in red only, still a broadcast request.
    let t = h1.trace(&arp(3, "r1", 3, 1));
    assert_eq!(t.output_to(4).map(|p| p.eth_dst), Some(MacAddr::BROADCAST));
    assert_eq!(t.ports(), [4]);
    // Own address: dropped.
    assert!(h1.trace(&arp(1, "b1", 1, 1)).dropped());
    // Nothing rewrites ARP fields (the datapath can forward it without an upcall).
    let mut f = Fixture::new(1, Fabric::VxlanFlow);
    f.snap.global.arp_mode = ArpMode::Directed;
    f.network("t1", "blue", 100);
    f.endpoint("t1", "blue", "b1", at(1, 1), 1);
    f.endpoint("t1", "blue", "b2", at(1, 2), 2);
    let states = f.compile();
    let table10: Vec<String> = states[&1]
        .flows
        .iter()
        .filter(|(k, _)| k.table_id == 10)
        .map(|(_, e)| format!("{:?}", e.instructions))
        .collect();
    assert!(table10.iter().any(|i| i.contains("EthDst")), "{table10:?}");
    assert!(
        table10
            .iter()
            .all(|i| !i.contains("Arp") && !i.contains("Experimenter")),
        "{table10:?}"
    );
    // Across hosts, on every fabric: to the target's host, then to the target alone.
    for fabric in FABRICS {
        let sw = two_tenants_in(fabric, ArpMode::Directed);
        for (src, port, target, tag, target_port) in
            [("a1", 1, "a2", 100, 1), ("b1", 2, "b2", 200, 2)]
        {
            let out = only(&sw[&1].trace(&arp(port, src, 1, 2)), egress(fabric, 2));
            assert_encap(fabric, &out, tag, 2);
            assert_directed_request(&out, src, 2, target);
            let t = sw[&2].trace(&arriving(fabric, &out, 1, tag));
            assert_directed_request(&only(&t, target_port), src, 2, target);
        }
    }
}
