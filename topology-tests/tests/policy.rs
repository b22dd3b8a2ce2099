//! Policy between endpoint groups on emulated hosts, real TCP and ICMP: allowed ports connect,
//! denied ones time out (the SYN is dropped), a higher priority overrides a lower one, rules
//! added and removed live take effect, and groups without a policy are untouched.

use northbound_api::model::{
    Direction, EndpointGroup, Kind, Object, Policy, Rule, RuleAction, Tenant,
};
use northbound_api::service::Batch;
use northbound_api::trace::{FabricPort, TraceIngress, TraceProtocol};
use northbound_client::audit::{Audit, Trigger};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use topology_tests::cmd::output;
use topology_tests::explain::{
    dropped_by, live_trace, trace, trace_connects, trace_entering, trace_pings,
};
use topology_tests::intent::{self, host};
use topology_tests::traffic::ping;
use topology_tests::{Endpoint, Fabric, FabricConfig};

fn rule(id: &str, prio: u8, proto: Option<&str>, port: u16, action: RuleAction) -> Rule {
    Rule {
        tenant_name: "blue".into(),
        policy_name: "dbp".into(),
        rule_id: id.into(),
        direction: Direction::In,
        priority: prio,
        from_endpoint_group: Some("web".into()),
        to_endpoint_group: None,
        from_network: None,
        to_network: None,
        from_ip_address: None,
        to_ip_address: None,
        protocol: proto.map(Into::into),
        port,
        action,
    }
}

fn ep(name: &str, group: &str, host: &str) -> Object {
    intent::endpoint("blue", "net", name, Some(group), host)
}

fn group(name: &str, policies: &[&str]) -> Object {
    Object::EndpointGroup(EndpointGroup {
        tenant_name: "blue".into(),
        group_name: name.into(),
        network_name: "net".into(),
        ip_pool: None,
        policies: policies.iter().map(|p| p.to_string()).collect(),
        net_profile: None,
        default_deny: false,
        cfgd_tag: None,
        ext_contracts_grps: Vec::new(),
    })
}

fn apply(f: &Fabric, batch: Batch) {
    f.api(move |c| c.apply(&batch)).expect("batch applied");
}

/// TCP listeners, killed (by PID) when dropped, also when a failed assertion unwinds.
struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for s in &mut self.0 {
            let _ = s.kill();
            let _ = s.wait();
        }
    }
}

/// A TCP listener (iperf3's server) on `port` in `e`'s namespace.
fn listen(e: &Endpoint, port: u16) -> Child {
    Command::new("ip")
        .args([
            "netns",
            "exec",
            &e.ns,
            "iperf3",
            "-s",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("iperf3 -s")
}

/// Whether a TCP connection from `from` to `to:port` opens within 2 s.
fn connects(from: &Endpoint, to: &Endpoint, port: u16) -> bool {
    let script = format!("exec 3<>/dev/tcp/{}/{port}", to.ip);
    output(&[
        "ip", "netns", "exec", &from.ns, "timeout", "2", "bash", "-c", &script,
    ])
    .status
    .success()
}

/// Waits (up to 10 s) until `check` gives `want`; whether it did. A denial (`want` false)
/// must then hold for a second check too, so that one lost packet is never taken for a
/// denial.
fn becomes(want: bool, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if check() == want {
            return want || !check();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// Three pings 0.2 s apart: whether any was answered (all lost means denied).
const THREE: [&str; 4] = ["-c", "3", "-i", "0.2"];

/// Tenant `blue`, one VXLAN network on `subnet`, groups `web` (w1 on host1, w2 on host2) and
/// `db` (d1 on host1, d2 on host2; policy `dbp` with `rules`, stateful with `default_deny`),
/// every container attached; the endpoints.
fn web_and_db(
    f: &mut Fabric,
    subnet: &str,
    default_deny: bool,
    rules: Vec<Object>,
) -> Vec<Endpoint> {
    let net = intent::vxlan_network("blue", "net", subnet, None);
    let mut db = group("db", &["dbp"]);
    if let Object::EndpointGroup(g) = &mut db {
        g.default_deny = default_deny;
    }
    let mut upserts = vec![
        Object::Tenant(Tenant::named("blue")),
        host("host1", "192.168.2.10"),
        host("host2", "192.168.2.11"),
        Object::Network(net),
        Object::Policy(Policy {
            tenant_name: "blue".into(),
            policy_name: "dbp".into(),
        }),
        group("web", &[]),
        db,
        ep("w1", "web", "host1"),
        ep("d1", "db", "host1"),
        ep("d2", "db", "host2"),
        ep("w2", "web", "host2"),
    ];
    upserts.extend(rules);
    apply(
        f,
        Batch {
            upserts,
            ..Batch::default()
        },
    );
    for (c, h) in [
        ("w1", "host1"),
        ("d1", "host1"),
        ("d2", "host2"),
        ("w2", "host2"),
    ] {
        f.attach(h, "blue", c);
    }
    f.endpoints()
}

#[test]
fn rules_between_groups_allow_deny_override_and_change_live() {
    allow_deny_override_live(None);
}

/// With the compiler's deny rules left out (`NETMASTER_FAULT=no-deny-rules`, debug builds
/// only), the scenario above must fail: its denials are really checked.
#[test]
fn dropping_the_deny_rules_turns_the_policy_test_red() {
    topology_tests::fault::fails_with("no-deny-rules", "denied", allow_deny_override_live);
}

fn allow_deny_override_live(fault: Option<&'static str>) {
    let mut f = Fabric::new(&FabricConfig::hosts(2).with_fault(fault));
    let eps = web_and_db(
        &mut f,
        "10.30.0.0/24",
        false,
        vec![
            // Everything from web to db is denied, except PostgreSQL.
            Object::Rule(rule("1", 5, None, 0, RuleAction::Deny)),
            Object::Rule(rule("2", 10, Some("tcp"), 5432, RuleAction::Allow)),
        ],
    );
    let e = |n: &str| eps.iter().find(|x| x.name == n).unwrap();
    let (w1, d1, d2, w2) = (e("w1"), e("d1"), e("d2"), e("w2"));
    let _servers = Servers(vec![listen(d2, 5432), listen(d2, 5433), listen(d1, 5432)]);

    // db <-> db and web <-> web: no rule applies.
    assert!(becomes(true, || ping(d1, d2, &["-c", "1"])), "d1 -> d2");
    assert!(ping(w1, w2, &["-c", "1"]), "w1 -> w2");
    // Stateless (Contiv's default): db's ping of web gets no reply, the reply is web -> db.
    assert!(!ping(d1, w1, &THREE), "the reply from web is denied");
    // web -> db: TCP 5432 only, on the same host and across hosts.
    assert!(becomes(true, || connects(w1, d2, 5432)), "w1 -> d2:5432");
    assert!(connects(w2, d1, 5432), "w2 -> d1:5432");
    assert!(!connects(w1, d2, 5433), "w1 -> d2:5433 is denied");
    assert!(!ping(w1, d1, &THREE), "ICMP from web is denied");
    // netmaster's traces agree with every one of those, and name the rule that denies.
    assert!(trace_pings(&f, d1, d2) && trace_pings(&f, w1, w2));
    assert!(
        !trace_pings(&f, d1, w1),
        "trace: the reply from web is denied"
    );
    assert!(trace_connects(&f, w1, d2, 5432) && trace_connects(&f, w2, d1, 5432));
    assert!(!trace_connects(&f, w1, d2, 5433));
    let syn_5433 = trace(&f, w1, d2, TraceProtocol::Tcp, Some((49152, 5433)));
    assert_eq!(dropped_by(&syn_5433).as_deref(), Some("rule blue:dbp:1"));
    let icmp = trace(&f, w1, d1, TraceProtocol::Icmp, None);
    assert_eq!(dropped_by(&icmp).as_deref(), Some("rule blue:dbp:1"));
    // The receiving half alone, as Open vSwitch sees it too: w1's ICMP coming in through
    // host2's tunnel from host1 is dropped on host2 by the same rule.
    let tunnel = TraceIngress {
        host: "host2".into(),
        port: FabricPort::Tunnel,
    };
    let half = trace_entering(&f, w1, d2, TraceProtocol::Icmp, tunnel).unwrap();
    assert_eq!(half.hops.len(), 1);
    assert!(
        half.hops[0].arrived.starts_with("tunnel (VNI "),
        "{half:#?}"
    );
    assert_eq!(dropped_by(&Ok(half)).as_deref(), Some("rule blue:dbp:1"));

    // The console counts the deny rule's hits on both switches: the denied pings and SYNs.
    let hits = f.api(|c| c.console_state()).expect("console state");
    let blue = hits
        .tenants
        .iter()
        .find(|t| t.name == "blue")
        .expect("tenant blue");
    let db = blue
        .groups
        .iter()
        .find(|g| g.name == "db")
        .expect("group db");
    assert_eq!(
        (db.policies.as_slice(), db.endpoints),
        (&["dbp".to_string()][..], 2)
    );
    let dbp = blue
        .policies
        .iter()
        .find(|p| p.name == "dbp")
        .expect("policy dbp");
    let deny = dbp.rules.iter().find(|r| r.id == "1").expect("rule 1");
    assert!(deny.packets >= 3 && deny.bytes > 0, "{deny:?}");
    assert!(
        deny.text.starts_with("in from group web any deny"),
        "{}",
        deny.text
    );

    // A rule added live: ICMP from web allowed (priority 10 over the deny's 5) ...
    apply(
        &f,
        Batch {
            upserts: vec![Object::Rule(rule(
                "3",
                10,
                Some("icmp"),
                0,
                RuleAction::Allow,
            ))],
            ..Batch::default()
        },
    );
    assert!(
        becomes(true, || ping(w1, d1, &["-c", "1"])),
        "ICMP allowed live"
    );
    assert!(ping(w2, d1, &["-c", "1"]), "across hosts too");
    assert!(trace_pings(&f, w1, d1) && trace_pings(&f, w2, d1));
    // ... and removed live.
    apply(
        &f,
        Batch {
            deletes: vec![(Kind::Rule, "blue:dbp:3".into())],
            ..Batch::default()
        },
    );
    assert!(becomes(false, || ping(w1, d1, &THREE)), "ICMP denied again");
    assert!(!trace_pings(&f, w1, d1));

    // A higher priority overrides: deny 5432 at 20 beats allow at 10.
    apply(
        &f,
        Batch {
            upserts: vec![Object::Rule(rule(
                "4",
                20,
                Some("tcp"),
                5432,
                RuleAction::Deny,
            ))],
            ..Batch::default()
        },
    );
    assert!(
        becomes(false, || connects(w1, d2, 5432)),
        "5432 denied at priority 20"
    );
    let syn_5432 = trace(&f, w1, d2, TraceProtocol::Tcp, Some((49152, 5432)));
    assert_eq!(dropped_by(&syn_5432).as_deref(), Some("rule blue:dbp:4"));
    apply(
        &f,
        Batch {
            deletes: vec![(Kind::Rule, "blue:dbp:4".into())],
            ..Batch::default()
        },
    );
    assert!(
        becomes(true, || connects(w1, d2, 5432)),
        "5432 allowed again"
    );

    // A flow someone else put on host1 (a foreign cookie, which netmaster leaves alone)
    // drops w1's IPv4 before the pipeline: the ping fails, the compiled pipeline's trace still
    // delivers, and the live trace shows Open vSwitch matching that flow instead.
    let foreign = format!("table=0,priority=65000,ip,dl_src={},actions=drop", w1.mac);
    f.host("host1").ofctl("add-flow", &[&foreign]);
    assert!(!ping(w1, w2, &THREE), "the foreign flow drops w1's packets");
    let report = live_trace(&f, w1, w2);
    assert_eq!(report.verdict.delivered_to, ["blue:w2"]);
    assert_eq!(report.verdict.live_agrees, Some(false), "{report:#?}");
    let live = report.hops[0].live.as_ref().expect("a live record");
    assert_eq!(
        (
            live.steps[0].table,
            live.steps[0].priority,
            live.steps[0].cookie
        ),
        (0, Some(65000), 0),
        "{live:#?}"
    );
    assert_eq!(live.datapath_actions.as_deref(), Some("drop"));
    assert!(report
        .verdict
        .summary
        .ends_with("Open vSwitch differs on host1"));
    f.host("host1").ofctl(
        "del-flows",
        &["--strict", &foreign.replace(",actions=drop", "")],
    );
    assert!(
        becomes(true, || ping(w1, w2, &["-c", "1"])),
        "w1 -> w2 again"
    );

    // The rules are in table 30 of both hosts (priority 1000 + 2 x rule priority, + 1 for a
    // deny): the TCP allow for IPv4 and IPv6, the deny once; nothing per port or endpoint.
    for h in ["host1", "host2"] {
        let flows = f.host(h).ofctl("dump-flows", &["table=30"]);
        let rules: Vec<&str> = flows
            .lines()
            .filter(|l| l.contains("priority=10"))
            .collect();
        assert_eq!(rules.len(), 3, "{h}: {flows}");
        assert!(flows.contains("priority=1020,tcp,") && flows.contains("priority=1020,tcp6,"));
        assert!(rules
            .iter()
            .any(|l| l.contains("priority=1011,") && l.ends_with("actions=drop")));
    }
}

#[test]
fn a_default_deny_group_is_stateful() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    let eps = web_and_db(
        &mut f,
        "10.31.0.0/24",
        true,
        // Only PostgreSQL from web may come in.
        vec![Object::Rule(rule(
            "1",
            10,
            Some("tcp"),
            5432,
            RuleAction::Allow,
        ))],
    );
    let e = |n: &str| eps.iter().find(|x| x.name == n).unwrap();
    let (w1, d1, d2, w2) = (e("w1"), e("d1"), e("d2"), e("w2"));
    let _servers = Servers(vec![listen(d2, 5432), listen(d2, 5433), listen(w2, 8080)]);

    // New connections into db: only what the rule allows, across hosts and on one host.
    assert!(
        becomes(true, || connects(w1, d2, 5432)),
        "w1 -> d2:5432 allowed"
    );
    assert!(!connects(w1, d2, 5433), "w1 -> d2:5433: default deny");
    assert!(!ping(w1, d1, &THREE), "ICMP into db: default deny");
    assert!(!ping(d1, d2, &THREE), "db -> db is new traffic into db too");
    // What db opens gets its replies back (they are established): ping and TCP, across
    // hosts — the stateless policy of the other test blocks exactly these.
    assert!(ping(d1, w1, &THREE), "d1 -> w1: the reply comes back");
    assert!(ping(d2, w1, &["-c", "2"]), "d2 -> w1 across hosts");
    assert!(connects(d1, w2, 8080), "d1 -> w2:8080");
    // Web itself is untouched.
    assert!(ping(w1, w2, &["-c", "1"]));

    // The connection-tracking flows read back as sent: the next full audit of every switch
    // (every 10th audit, one a second, reads every flow back) finds nothing to repair.
    let before = f.wait_settled();
    let read_at = |a: &Audit, dpid: u64| {
        let s = a.switches.iter().find(|s| s.dpid == dpid).expect("switch");
        s.last_read
            .as_ref()
            .map(|r| (r.trigger, r.at_ms, r.messages))
    };
    let after = f.wait_audit("a full audit of every switch", |a| {
        before.switches.iter().all(|s| {
            read_at(a, s.dpid).is_some_and(|(trigger, at, _)| {
                trigger == Trigger::Audit && Some(at) > read_at(&before, s.dpid).map(|r| r.1)
            })
        })
    });
    for s in &after.switches {
        assert_eq!(read_at(&after, s.dpid).map(|r| r.2), Some(0), "{s:#?}");
        let earlier = before.switches.iter().find(|b| b.dpid == s.dpid);
        assert_eq!(Some(s.repairs), earlier.map(|b| b.repairs), "{s:#?}");
    }
    let flows = f.host("host1").ofctl("dump-flows", &["table=30"]);
    assert!(flows.contains("ct_state=-trk"), "{flows}");
    assert!(flows.contains("actions=ct(commit,zone="), "{flows}");
}

#[test]
fn a_default_deny_group_is_stateful_across_routed_networks() {
    use northbound_api::model::{FwdMode, Global};
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    let net = |name: &str, third: u8| {
        let subnet = format!("10.32.{third}.0/24");
        let gateway = format!("10.32.{third}.254");
        Object::Network(intent::vxlan_network("blue", name, &subnet, Some(&gateway)))
    };
    let endpoint =
        |name, network, group, host| intent::endpoint("blue", network, name, group, host);
    let mut db = group("db", &["dbp"]);
    if let Object::EndpointGroup(g) = &mut db {
        g.network_name = "back".into();
        g.default_deny = true;
    }
    // Only PostgreSQL from the front network may come in.
    let mut allow = rule("1", 10, Some("tcp"), 5432, RuleAction::Allow);
    allow.from_endpoint_group = None;
    allow.from_network = Some("front".into());
    let upserts = vec![
        Object::Global(Global {
            fwd_mode: FwdMode::Routing,
            ..Global::default()
        }),
        Object::Tenant(Tenant::named("blue")),
        host("host1", "192.168.2.10"),
        host("host2", "192.168.2.11"),
        net("front", 1),
        net("back", 2),
        Object::Policy(Policy {
            tenant_name: "blue".into(),
            policy_name: "dbp".into(),
        }),
        db,
        Object::Rule(allow),
        endpoint("c1", "front", None, "host1"),
        endpoint("d2", "back", Some("db"), "host2"),
    ];
    apply(
        &f,
        Batch {
            upserts,
            ..Batch::default()
        },
    );
    f.attach("host1", "blue", "c1");
    f.attach("host2", "blue", "d2");
    let eps = f.endpoints();
    let e = |n: &str| eps.iter().find(|x| x.name == n).unwrap();
    let (c1, d2) = (e("c1"), e("d2"));
    let _servers = Servers(vec![listen(d2, 5432), listen(d2, 5433), listen(c1, 8080)]);

    // What db opens across the gateway gets its replies (routed both ways, tracked).
    assert!(
        becomes(true, || ping(d2, c1, &["-c", "1"])),
        "d2 -> c1: the routed reply comes back"
    );
    assert!(connects(d2, c1, 8080), "d2 -> c1:8080");
    // New connections into db from the other network: only what the rule allows.
    assert!(connects(c1, d2, 5432), "c1 -> d2:5432 allowed");
    assert!(!connects(c1, d2, 5433), "c1 -> d2:5433: default deny");
    assert!(!ping(c1, d2, &THREE), "ICMP into db: default deny");
}
