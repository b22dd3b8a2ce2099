//! Incrementality and the shape of the output: recompiling after one change and diffing
//! touches only the entries that change must touch, on the switches it must touch.

use super::fixture::*;
use crate::cookie::{is_owned_id, owned_id, Cookie, OwnerKind};
use crate::desired::SwitchState;
use crate::pipeline::{base_pipeline, priority};
use crate::reconcile::diff::{diff, Counts, Plan};
use ofproto::Body;
use std::collections::BTreeMap;

/// Three hosts over flow-based VXLAN; t1:net on all three, t2:net on h1 and h2.
fn fixture() -> Fixture {
    let mut f = Fixture::new(3, Fabric::VxlanFlow);
    f.network("t1", "net", 100);
    f.network("t2", "net", 200);
    f.endpoint("t1", "net", "a1", at(1, 1), 1);
    f.endpoint("t1", "net", "a2", at(2, 1), 2);
    f.endpoint("t1", "net", "a3", at(3, 1), 3);
    f.endpoint("t2", "net", "b1", at(1, 2), 1);
    f.endpoint("t2", "net", "b2", at(2, 2), 2);
    f
}

/// The plan of every switch from `before` to `after`.
fn plans(
    before: &BTreeMap<u64, SwitchState>,
    after: &BTreeMap<u64, SwitchState>,
) -> BTreeMap<u64, Plan> {
    after
        .iter()
        .map(|(dpid, s)| (*dpid, diff(s, &before[dpid])))
        .collect()
}

/// The owners (kind, id) of a plan's flow mods and the ids of its group mods.
fn owners(plan: &Plan) -> (Vec<(OwnerKind, u64)>, Vec<u32>) {
    let mut flows = Vec::new();
    let mut groups = Vec::new();
    for m in &plan.messages {
        match m {
            Body::FlowMod(fm) => {
                let c = Cookie::parse(fm.cookie).unwrap();
                flows.push((c.kind, c.id));
            }
            Body::GroupMod(gm) => groups.push(gm.group_id),
            other => panic!("{other:?}"),
        }
    }
    flows.sort();
    flows.dedup();
    (flows, groups)
}

fn counts(added: usize, modified: usize) -> Counts {
    Counts {
        added,
        modified,
        ..Counts::default()
    }
}

#[test]
fn adding_an_endpoint_touches_only_its_flows_and_its_network() {
    let mut f = fixture();
    let before = f.compile();
    let a4 = f.endpoint("t1", "net", "a4", at(1, 3), 4);
    let after = f.compile();
    let p = plans(&before, &after);
    let t1 = (OwnerKind::Network, 1);
    let ep = (OwnerKind::Endpoint, a4);
    // h1: a4's classify (IPv4 from its address, ARP saying so, IPv6 from fe80::/64 and ::),
    // ARP responder,
    // own-address ARP drop and forward flows; t1's split-horizon flow gains port 3; t1's flood
    // group gains a bucket. Nothing of t2.
    assert_eq!(p[&1].stats.flows, counts(7, 1));
    assert_eq!(p[&1].stats.groups, counts(0, 1));
    assert_eq!(owners(&p[&1]), (vec![t1, ep], vec![owned_id(1)]));
    // h2 and h3: ARP responder and forward flows for a4 (through the tunnel to h1); nothing
    // else.
    for dpid in [2, 3] {
        assert_eq!(p[&dpid].stats.flows, counts(2, 0), "h{dpid}");
        assert_eq!(p[&dpid].stats.groups, Counts::default(), "h{dpid}");
        assert_eq!(owners(&p[&dpid]), (vec![ep], vec![]), "h{dpid}");
    }
}

#[test]
fn a_network_reaching_a_new_host_changes_the_other_hosts_flood_groups_only() {
    let mut f = fixture();
    let before = f.compile();
    let b3 = f.endpoint("t2", "net", "b3", at(3, 2), 3);
    let after = f.compile();
    let p = plans(&before, &after);
    let ep = (OwnerKind::Endpoint, b3);
    for dpid in [1, 2] {
        assert_eq!(p[&dpid].stats.flows, counts(2, 0), "h{dpid}");
        assert_eq!(
            p[&dpid].stats.groups,
            counts(0, 1),
            "h{dpid}: a bucket to h3"
        );
        assert_eq!(owners(&p[&dpid]), (vec![ep], vec![owned_id(2)]));
    }
    // h3 joins t2: everything of t2 there is new (tunnel classify, flood, split horizon,
    // the three known MACs and their ARP responders, b3's own four classify flows and
    // own-address ARP drop), t1 untouched.
    assert_eq!(p[&3].stats.groups, counts(1, 0));
    assert_eq!(p[&3].stats.flows, counts(14, 0));
    let (flows, groups) = owners(&p[&3]);
    assert_eq!(groups, [owned_id(2)]);
    assert!(flows
        .iter()
        .all(|(k, id)| *k == OwnerKind::Network && *id == 2
            || *k == OwnerKind::Endpoint && *id != 1 && *id != 2 && *id != 3));
}

#[test]
fn removing_the_change_again_gives_the_same_state() {
    let f = fixture();
    let mut g = fixture();
    g.endpoint("t1", "net", "a4", at(1, 3), 4);
    let mut undo = g.snap.clone();
    undo.endpoints.remove("t1:a4");
    let back = super::super::compile(&undo, &g.topo);
    // The port is still reported, but the endpoint is gone from intent: nothing of it stays.
    let p = plans(&back, &f.compile());
    assert!(p.values().all(Plan::is_empty), "{p:?}");
}

#[test]
fn output_is_deterministic_ours_and_in_the_intent_band() {
    let f = fixture();
    let a = f.compile();
    assert_eq!(a, f.compile());
    assert_eq!(a.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
    let base = base_pipeline();
    for s in a.values() {
        for (k, e) in &s.flows {
            assert!(crate::cookie::is_ours(e.cookie));
            assert!(k.r#match.check_prerequisites().is_ok(), "{k:?}");
            if !base.flows.contains_key(k) {
                assert!((1..priority::GUARD).contains(&k.priority), "{k:?}");
            }
        }
        assert!(s.groups.keys().all(|g| is_owned_id(*g)));
    }
    // A host without endpoints gets exactly the base pipeline.
    let mut f = Fixture::new(2, Fabric::Vlan);
    f.network("t1", "net", 10);
    f.endpoint("t1", "net", "a1", at(1, 1), 1);
    assert_eq!(f.compile()[&2], base);
}
