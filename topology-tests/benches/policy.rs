//! The policy benchmark (not a timed test): one host, 64 endpoints in 8 networks (8 each), a
//! 100-rule policy (99 rules denying TCP to `10.200.i.0/24` port `1000+i`, then allow-all) on
//! the endpoints' groups — one group per network, since a group belongs to one network here.
//! It reports the flows the switch holds, the time from the switch's connection (ovs-vswitchd
//! restarted with no flows) to netmaster's last barrier reply, and the time for 100 more rules
//! added live until the last barrier reply.
//!
//! `cargo bench -p topology-tests --bench policy` (root; builds the release binaries).

use northbound_api::model::{Direction, EndpointGroup, Object, Policy, Rule, RuleAction, Tenant};
use northbound_api::service::Batch;
use std::time::{Duration, Instant};
use topology_tests::{intent, Fabric, FabricConfig};

const NETS: usize = 8;
const PER_NET: usize = 8;

fn rule(i: usize, out_port: Option<u16>) -> Object {
    Object::Rule(Rule {
        tenant_name: "t".into(),
        policy_name: "p".into(),
        rule_id: format!("r{i:03}"),
        direction: Direction::Out,
        priority: if out_port.is_some() { 50 } else { 1 },
        from_endpoint_group: None,
        to_endpoint_group: None,
        from_network: None,
        to_network: None,
        from_ip_address: None,
        to_ip_address: out_port.map(|_| format!("10.200.{i}.0/24").parse().unwrap()),
        protocol: out_port.map(|_| "tcp".into()),
        port: out_port.unwrap_or(0),
        action: if out_port.is_some() {
            RuleAction::Deny
        } else {
            RuleAction::Allow
        },
    })
}

/// The reconcile events of dpid 1 logged since line `mark`: (trigger, ms, timestamp).
fn reconciles(f: &Fabric, mark: usize) -> Vec<(String, f64)> {
    f.netmaster_events(mark)
        .into_iter()
        .filter(|e| e["message"] == "reconciled" && e["dpid"] == "0000000000000001")
        .map(|e| {
            (
                e["trigger"].as_str().unwrap_or("").to_string(),
                e["ms"].as_f64().unwrap_or(0.0),
            )
        })
        .collect()
}

fn flow_count(f: &Fabric) -> usize {
    f.host("host1")
        .ofctl("dump-flows", &[])
        .lines()
        .filter(|l| l.contains("cookie="))
        .count()
}

fn main() {
    let mut f = Fabric::new(&FabricConfig::hosts(1));
    let mut upserts = vec![
        Object::Tenant(Tenant {
            tenant_name: "t".into(),
        }),
        intent::host("host1", "192.168.2.10"),
        Object::Policy(Policy {
            tenant_name: "t".into(),
            policy_name: "p".into(),
        }),
    ];
    for n in 0..NETS {
        let (net, subnet) = (format!("n{n}"), format!("10.{}.0.0/24", 50 + n));
        upserts.push(Object::Network(intent::vxlan_network(
            "t", &net, &subnet, None,
        )));
        upserts.push(Object::EndpointGroup(EndpointGroup {
            tenant_name: "t".into(),
            group_name: format!("g{n}"),
            network_name: format!("n{n}"),
            ip_pool: None,
            policies: vec!["p".into()],
            net_profile: None,
            default_deny: false,
        }));
        for e in 0..PER_NET {
            upserts.push(intent::endpoint(
                "t",
                &net,
                &format!("c{n}x{e}"),
                Some(&format!("g{n}")),
                "host1",
            ));
        }
    }
    for i in 0..99 {
        upserts.push(rule(i, Some(1000 + i as u16)));
    }
    upserts.push(rule(99, None));
    let batch = Batch {
        upserts,
        ..Batch::default()
    };
    f.api(move |c| c.apply(&batch)).expect("intent");
    for n in 0..NETS {
        for e in 0..PER_NET {
            f.attach("host1", "t", &format!("c{n}x{e}"));
        }
    }
    f.wait_quiet(Duration::from_secs(2));
    let flows = flow_count(&f);

    // A fresh switch: ovs-vswitchd restarted (no flows), reconnecting to netmaster.
    let mark = f.netmaster_log_len();
    let host = f.host("host1");
    topology_tests::ovs::restart_vswitchd(&host.ns, &host.dir);
    let start = Instant::now();
    while !reconciles(&f, mark).iter().any(|(t, _)| t == "connect") {
        assert!(start.elapsed() < Duration::from_secs(60), "no reconnect");
        std::thread::sleep(Duration::from_millis(50));
    }
    let connect_ms = reconciles(&f, mark)
        .into_iter()
        .find(|(t, _)| t == "connect")
        .map(|(_, ms)| ms)
        .unwrap_or_default();
    f.wait_quiet(Duration::from_secs(2));
    let after_connect = flow_count(&f);

    // 100 more rules, live.
    let more: Vec<Object> = (100..200).map(|i| rule(i, Some(1000 + i as u16))).collect();
    let batch = Batch {
        upserts: more,
        ..Batch::default()
    };
    let mark = f.netmaster_log_len();
    let t0 = Instant::now();
    f.api(move |c| c.apply(&batch)).expect("100 more rules");
    let api = t0.elapsed();
    while reconciles(&f, mark).is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(60), "no reconcile");
        std::thread::sleep(Duration::from_millis(10));
    }
    f.wait_quiet(Duration::from_secs(1));
    let live: f64 = reconciles(&f, mark).iter().map(|(_, ms)| ms).sum();
    let flows_after = flow_count(&f);

    println!("== policy benchmark: 1 host, {} endpoints in {NETS} networks, 100-rule policy on {NETS} groups", NETS * PER_NET);
    println!("flows installed:                          {flows} (after a switch restart: {after_connect})");
    println!(
        "switch connect -> last barrier reply:     {connect_ms:.1} ms (netmaster's reconcile)"
    );
    println!("100 more rules: REST answered in {:.1} ms; reconcile until the last barrier {live:.1} ms; flows now {flows_after}", api.as_secs_f64() * 1e3);
    assert_eq!(
        after_connect, flows,
        "the restarted switch got everything back"
    );
    assert!(flows_after > flows, "the new rules are installed");
}
