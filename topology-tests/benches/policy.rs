//! The policy benchmark (not a timed test): one host, 64 endpoints in 8 networks (8 each), a
//! 100-rule policy (99 rules denying TCP to `10.200.i.0/24` port `1000+i`, then allow-all) on
//! the endpoints' groups — one group per network, since a group belongs to one network here.
//! It reports the flows the switch holds, and two times seen from the switch's side: its flow
//! count is polled as fast as it answers (`ovs-ofctl dump-aggregate` on its management socket,
//! an OpenFlow connection of its own, a few milliseconds a poll), and a change is complete at
//! the first poll from which the count stays final. From ovs-vswitchd, restarted with no flows,
//! starting to connect to netmaster (its log's `connecting...` line) until it holds every flow;
//! and for 100 more rules, from the REST request being sent until the switch holds them.
//!
//! Before it prints, it checks the work: every reconcile without errors, the switch after its
//! restart holding the same flows, the 100 new rules installed, an allowed ping answered, and
//! Open vSwitch's own trace dropping a TCP packet that a deny rule names.
//!
//! `cargo bench -p topology-tests --bench policy` (root; builds the release binaries). Without
//! `--bench` (as under `cargo test --benches`, in the test command) it runs a small smoke
//! version: 2 networks of 2 endpoints, 10 rules, 10 more live.

use northbound_api::model::{Direction, EndpointGroup, Object, Policy, Rule, RuleAction, Tenant};
use northbound_api::service::Batch;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use topology_tests::timing::settled_at;
use topology_tests::{intent, Fabric, FabricConfig};

/// The sizes: networks (one group each), endpoints per network, rules (the last allows all).
struct Size {
    nets: usize,
    per_net: usize,
    rules: usize,
}

/// The benchmark's size, or the smoke test's.
fn size() -> Size {
    if std::env::args().any(|a| a == "--bench") {
        Size {
            nets: 8,
            per_net: 8,
            rules: 100,
        }
    } else {
        Size {
            nets: 2,
            per_net: 2,
            rules: 10,
        }
    }
}

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

/// A reconcile of dpid 1 as netmaster logged it.
struct Reconcile {
    trigger: String,
    errors: u64,
}

/// When host1's ovs-vswitchd began connecting to netmaster at or after `from` (its log's
/// `connecting...` line).
fn connecting_at(f: &Fabric, from: SystemTime) -> SystemTime {
    let path = f.host("host1").dir.join("ovs-vswitchd.log");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| l.contains("|rconn|INFO|br-int<->tcp:") && l.ends_with("connecting..."))
        .filter_map(|l| OffsetDateTime::parse(l.split('|').next()?, &Rfc3339).ok())
        .map(SystemTime::from)
        .find(|t| *t >= from)
        .expect("ovs-vswitchd's log: connecting to netmaster")
}

/// Samples host1's flow count as fast as it answers, through its management socket (an
/// OpenFlow connection of its own, not netmaster's), until `stop` is set: (when the answer
/// came, the count; `None` while the switch does not answer).
fn sample_switch(
    f: &Fabric,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<(SystemTime, Option<u64>)>> {
    let mgmt = format!("unix:{}/br-int.mgmt", f.host("host1").dir.display());
    std::thread::spawn(move || {
        let mut samples = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let count = topology_tests::ovs::flow_count(&mgmt);
            samples.push((SystemTime::now(), count));
        }
        samples
    })
}

/// When the switch first held the count it ended with, for good.
fn held_from(samples: &[(SystemTime, Option<u64>)]) -> SystemTime {
    settled_at(samples).expect("samples of the switch's flow count")
}

/// Milliseconds from `a` to `b`.
fn ms(a: SystemTime, b: SystemTime) -> f64 {
    b.duration_since(a).unwrap_or_default().as_secs_f64() * 1e3
}

/// The reconcile events of dpid 1 logged since line `mark`.
fn reconciles(f: &Fabric, mark: usize) -> Vec<Reconcile> {
    f.netmaster_events(mark)
        .into_iter()
        .filter(|e| e["message"] == "reconciled" && e["dpid"] == "0000000000000001")
        .map(|e| Reconcile {
            trigger: e["trigger"].as_str().unwrap_or("").to_string(),
            errors: e["errors"].as_u64().unwrap_or(u64::MAX),
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
    let size = size();
    let mut f = Fabric::new(&FabricConfig::hosts(1));
    let mut upserts = vec![
        Object::Tenant(Tenant::named("t")),
        intent::host("host1", "192.168.2.10"),
        Object::Policy(Policy {
            tenant_name: "t".into(),
            policy_name: "p".into(),
        }),
    ];
    for n in 0..size.nets {
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
            cfgd_tag: None,
            ext_contracts_grps: Vec::new(),
        }));
        for e in 0..size.per_net {
            upserts.push(intent::endpoint(
                "t",
                &net,
                &format!("c{n}x{e}"),
                Some(&format!("g{n}")),
                "host1",
            ));
        }
    }
    for i in 0..size.rules - 1 {
        upserts.push(rule(i, Some(1000 + i as u16)));
    }
    upserts.push(rule(size.rules - 1, None));
    let batch = Batch {
        upserts,
        ..Batch::default()
    };
    f.api(move |c| c.apply(&batch)).expect("intent");
    for n in 0..size.nets {
        for e in 0..size.per_net {
            f.attach("host1", "t", &format!("c{n}x{e}"));
        }
    }
    f.wait_settled();
    let flows = flow_count(&f);

    // A fresh switch: ovs-vswitchd restarted (no flows), reconnecting to netmaster.
    let mark = f.netmaster_log_len();
    let host = f.host("host1");
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_switch(&f, stop.clone());
    let restarted = SystemTime::now();
    topology_tests::ovs::restart_vswitchd(&host.ns, &host.dir);
    let start = Instant::now();
    while !reconciles(&f, mark).iter().any(|r| r.trigger == "connect") {
        assert!(start.elapsed() < Duration::from_secs(60), "no reconnect");
        std::thread::sleep(Duration::from_millis(50));
    }
    f.wait_settled();
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().expect("the sampler");
    let after_connect = flow_count(&f);
    let connect_ms = ms(connecting_at(&f, restarted), held_from(&samples));

    // More rules, live.
    let more: Vec<Object> = (size.rules..2 * size.rules)
        .map(|i| rule(i, Some(1000 + i as u16)))
        .collect();
    let batch = Batch {
        upserts: more,
        ..Batch::default()
    };
    let mark_live = f.netmaster_log_len();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_switch(&f, stop.clone());
    std::thread::sleep(Duration::from_millis(100));
    let sent = SystemTime::now();
    let t0 = Instant::now();
    f.api(move |c| c.apply(&batch)).expect("more rules");
    let api = t0.elapsed();
    while reconciles(&f, mark_live).is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(60), "no reconcile");
        std::thread::sleep(Duration::from_millis(10));
    }
    f.wait_settled();
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().expect("the sampler");
    let live_ms = ms(sent, held_from(&samples));
    let flows_after = flow_count(&f);

    // The work, checked before anything is printed.
    let errors: u64 = reconciles(&f, mark).iter().map(|r| r.errors).sum();
    assert_eq!(errors, 0, "the switch refused messages");
    assert_eq!(
        after_connect, flows,
        "the restarted switch got everything back"
    );
    assert!(flows_after > flows, "the new rules are installed");
    let eps = f.endpoints();
    let e = |name: &str| eps.iter().find(|e| e.name == name).expect("endpoint");
    let (a, b) = (e("c0x0"), e("c0x1"));
    assert!(
        topology_tests::traffic::ping(a, b, &["-c", "3"]),
        "allow-all: {} -> {} is answered",
        a.name,
        b.name
    );
    let in_port = f.host("host1").vsctl(&[
        "--bare",
        "--columns=ofport",
        "find",
        "Interface",
        &format!("external_ids:endpoint-id=\"t:{}\"", a.name),
    ]);
    let in_port = in_port.trim();
    let denied = f.host("host1").trace(&format!(
        "in_port={in_port},tcp,dl_src={},dl_dst={},nw_src={},nw_dst=10.200.5.1,tp_dst=1005",
        a.mac, b.mac, a.ip
    ));
    assert_eq!(
        denied, "Datapath actions: drop",
        "rule 5 denies TCP 1005 to 10.200.5.0/24"
    );

    println!(
        "== policy benchmark: 1 host, {} endpoints in {} networks, {}-rule policy on {} groups",
        size.nets * size.per_net,
        size.nets,
        size.rules,
        size.nets
    );
    println!("flows installed:                          {flows} (after a switch restart: {after_connect})");
    println!(
        "switch connecting -> all flows held:      {connect_ms:.0} ms (from ovs-vswitchd's `connecting...` until its flow count, polled over its own socket, is final)"
    );
    println!(
        "{} more rules: REST answered in {:.1} ms; request sent -> the switch holds them {live_ms:.0} ms (its flow count, polled); flows now {flows_after}",
        size.rules,
        api.as_secs_f64() * 1e3
    );
}
