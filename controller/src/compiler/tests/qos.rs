//! QoS profiles: meters and DSCP marks for what a group's endpoints send.

use super::fixture::*;
use crate::cookie::owned_id;
use crate::reconcile::diff::diff;
use northbound_api::model::NetProfile;
use ofproto::msg::MeterBand;

/// Group `slow` with profile `gold`: s1 (endpoint id 1) and s3 (id 4) on host1, s2 (id 3) on
/// host2; o1 (id 2, host1) has no profile.
fn fixture(bandwidth: &str, dscp: Option<u8>) -> Fixture {
    let mut f = Fixture::new(2, Fabric::VxlanPerPeer);
    f.network("t1", "net", 100);
    f.snap.profiles.insert(
        "t1:gold".into(),
        NetProfile {
            tenant_name: "t1".into(),
            profile_name: "gold".into(),
            bandwidth: Some(bandwidth.into()),
            burst: None,
            dscp,
        },
    );
    let gid = f.group("t1", "net", "slow", &[]);
    f.snap.groups.get_mut("t1:slow").unwrap().net_profile = Some("gold".into());
    assert_eq!(gid, 1);
    f.endpoint("t1", "net", "s1", at(1, 1), 1);
    f.endpoint("t1", "net", "o1", at(1, 2), 2);
    f.endpoint("t1", "net", "s2", at(2, 1), 3);
    f.endpoint("t1", "net", "s3", at(1, 3), 4);
    for c in ["s1", "s2", "s3"] {
        f.join("t1", c, "slow");
    }
    f
}

#[test]
fn a_groups_traffic_goes_through_its_meter_and_gets_its_dscp() {
    let f = fixture("10Mbps", Some(46));
    let states = f.compile();
    let meter = owned_id(1);
    let m = &states[&1].meters[&meter];
    assert_eq!(
        m.bands,
        [MeterBand::Drop {
            rate: 10_000,
            burst_size: 5_000
        }]
    );
    let sw = f.install();
    // s1 -> o1: metered and marked; o1 -> s1: neither (o1 has no profile).
    let t = sw[&1].trace(&unicast(1, "s1", "o1"));
    assert_eq!(t.meters, [meter]);
    assert_eq!(t.ports(), [2]);
    assert_eq!(t.output_to(2).unwrap().ip_dscp, Some(46));
    let t = sw[&1].trace(&unicast(2, "o1", "s1"));
    assert!(t.meters.is_empty());
    assert_eq!(t.output_to(1).unwrap().ip_dscp, Some(0));
    // Across hosts: marked before the tunnel; the receiving host does not meter it again.
    let t = sw[&1].trace(&unicast(1, "s1", "s2"));
    let out = t.output_to(peer_port(2)).unwrap().clone();
    assert_eq!(out.ip_dscp, Some(46));
    let t = sw[&2].trace(&from_tunnel(&out, peer_port(1), 100));
    assert!(t.meters.is_empty(), "{t:?}");
}

#[test]
fn a_profile_change_is_a_meter_modify() {
    let before = fixture("10Mbps", None).compile();
    let after = fixture("20Mbps", None).compile();
    let plan = diff(&after[&1], &before[&1]);
    assert_eq!(plan.stats.meters.modified, 2, "s1's and s3's");
    assert_eq!(plan.stats.flows.added + plan.stats.flows.modified, 0);
    // h2 has s2 (endpoint id 3) in the group: its own meter.
    assert!(after[&2].meters.contains_key(&owned_id(3)));
    assert!(!after[&2].meters.contains_key(&owned_id(1)));
}

#[test]
fn every_endpoint_of_the_group_has_a_meter_of_its_own() {
    let f = fixture("10Mbps", None);
    let states = f.compile();
    let mut meters: Vec<u32> = states[&1].meters.keys().copied().collect();
    meters.retain(|m| *m != crate::compiler::multicast::packet_in_meter());
    assert_eq!(meters, [owned_id(1), owned_id(4)], "s1 and s3, not o1");
    let sw = f.install();
    assert_eq!(sw[&1].trace(&unicast(1, "s1", "o1")).meters, [owned_id(1)]);
    assert_eq!(sw[&1].trace(&unicast(3, "s3", "o1")).meters, [owned_id(4)]);
}
