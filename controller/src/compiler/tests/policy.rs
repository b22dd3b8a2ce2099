//! Policy between endpoint groups, traced through fake switches: on the sending and on the
//! receiving host, by priority, and with a flow count that does not grow with the ports.

use super::fixture::*;
use fakeswitch::Packet;
use northbound_api::model::{Direction, Rule, RuleAction};
use std::net::Ipv4Addr;

fn rule(
    id: &str,
    prio: u8,
    from: Option<&str>,
    proto: Option<&str>,
    port: u16,
    action: RuleAction,
) -> Rule {
    Rule {
        tenant_name: "t1".into(),
        policy_name: "db-policy".into(),
        rule_id: id.into(),
        direction: Direction::In,
        priority: prio,
        from_endpoint_group: from.map(Into::into),
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

/// web: w1 (h1:1), w2 (h2:2); db: d1 (h1:2), d2 (h2:1); db-policy on db: deny everything from
/// web (priority 5), allow TCP 5432 from web (priority 10).
fn fixture() -> Fixture {
    let mut f = Fixture::new(2, Fabric::VxlanPerPeer);
    f.network("t1", "net", 100);
    f.group("t1", "net", "web", &[]);
    f.group("t1", "net", "db", &["db-policy"]);
    f.endpoint("t1", "net", "w1", at(1, 1), 1);
    f.endpoint("t1", "net", "d1", at(1, 2), 2);
    f.endpoint("t1", "net", "d2", at(2, 1), 3);
    f.endpoint("t1", "net", "w2", at(2, 2), 4);
    for (c, g) in [("w1", "web"), ("w2", "web"), ("d1", "db"), ("d2", "db")] {
        f.join("t1", c, g);
    }
    f.rule(rule("1", 5, Some("web"), None, 0, RuleAction::Deny));
    f.rule(rule(
        "2",
        10,
        Some("web"),
        Some("tcp"),
        5432,
        RuleAction::Allow,
    ));
    f
}

fn tcp(in_port: u32, src: &str, dst: &str, port: u16) -> Packet {
    Packet::ipv4_tcp(
        in_port,
        mac_of(src),
        mac_of(dst),
        ip_of(src),
        ip_of(dst),
        40000,
        port,
    )
}

#[test]
fn rules_decide_by_priority_at_the_sender() {
    let sw = fixture().install();
    let h1 = &sw[&1];
    assert_eq!(
        h1.trace(&tcp(1, "w1", "d1", 5432)).ports(),
        [2],
        "allowed port"
    );
    assert!(h1.trace(&tcp(1, "w1", "d1", 5433)).dropped(), "denied port");
    let ping = Packet::ipv4_icmp(
        1,
        mac_of("w1"),
        mac_of("d1"),
        Ipv4Addr::new(10, 0, 0, 1),
        Ipv4Addr::new(10, 0, 0, 2),
        8,
        0,
    );
    assert!(h1.trace(&ping).dropped(), "ICMP denied");
    // No policy on web: db -> web passes; towards another host, the tunnel.
    assert_eq!(h1.trace(&tcp(2, "d1", "w1", 80)).ports(), [1]);
    assert_eq!(h1.trace(&tcp(1, "w1", "d2", 5432)).ports(), [peer_port(2)]);
    assert!(
        h1.trace(&tcp(1, "w1", "d2", 22)).dropped(),
        "denied at the sender"
    );
}

#[test]
fn the_receiving_host_enforces_too() {
    let sw = fixture().install();
    // A frame the sending host should not have let out (or a host that does not enforce):
    // w1 -> d2 on TCP 22 arriving over the tunnel is dropped by h2.
    let sneaked = from_tunnel(&tcp(1, "w1", "d2", 22), peer_port(1), 100);
    assert!(sw[&2].trace(&sneaked).dropped());
    let allowed = from_tunnel(&tcp(1, "w1", "d2", 5432), peer_port(1), 100);
    assert_eq!(sw[&2].trace(&allowed).ports(), [1]);
}

#[test]
fn flows_grow_with_rules_not_with_ports() {
    let policy_flows = |f: &Fixture| -> usize {
        f.compile()[&1]
            .flows
            .keys()
            .filter(|k| k.table_id == crate::pipeline::Table::Policy.id() && k.priority > 0)
            .count()
    };
    let mut f = fixture();
    let two_rules = policy_flows(&f);
    assert_eq!(two_rules, 3, "deny-all: one flow; TCP 5432: IPv4 and IPv6");
    // Eight more endpoints in each group: no more policy flows.
    for i in 0..8u32 {
        let (w, d) = (format!("wx{i}"), format!("dx{i}"));
        f.endpoint("t1", "net", &w, at(1, 10 + i), 20 + i as u8);
        f.endpoint("t1", "net", &d, at(1, 30 + i), 40 + i as u8);
        f.join("t1", &w, "web");
        f.join("t1", &d, "db");
    }
    assert_eq!(policy_flows(&f), two_rules);
    // Another group with the same policy shares its class and its rule flows, and the rules
    // apply to it.
    f.group("t1", "net", "db2", &["db-policy"]);
    f.endpoint("t1", "net", "d3", at(1, 50), 60);
    f.join("t1", "d3", "db2");
    assert_eq!(
        policy_flows(&f),
        two_rules,
        "one set of rule flows for both groups"
    );
    let sw = f.install();
    assert!(sw[&1].trace(&tcp(1, "w1", "d3", 5433)).dropped());
    assert_eq!(sw[&1].trace(&tcp(1, "w1", "d3", 5432)).ports(), [50]);
    // 98 more rules: flows grow with them.
    for i in 0..98u16 {
        f.rule(rule(
            &format!("r{i}"),
            20,
            Some("web"),
            Some("tcp"),
            1000 + i,
            RuleAction::Deny,
        ));
    }
    assert_eq!(policy_flows(&f), two_rules + 98 * 2);
}

#[test]
fn a_default_deny_group_stays_closed_on_a_switch_without_conntrack() {
    let mut f = fixture();
    f.snap.rules.remove("t1:db-policy:1");
    f.snap.groups.get_mut("t1:db").unwrap().default_deny = true;
    let mut state = f.compile().remove(&1).unwrap();
    assert!(state.strip_extensions() > 0);
    let fs = fakeswitch::FakeSwitch::new(1)
        .with_ports(
            (1..=2)
                .chain([peer_port(2)])
                .map(fakeswitch::port)
                .collect(),
        )
        .without_nicira();
    for msg in crate::reconcile::diff::diff(&state, &Default::default()).messages {
        fs.apply_mod(msg)
            .expect("a switch without extensions accepts the stripped state");
    }
    assert_eq!(fs.trace(&tcp(1, "w1", "d1", 5432)).ports(), [2], "allowed");
    assert!(fs.trace(&tcp(1, "w1", "d1", 5433)).dropped(), "closed");
    // What db opens goes out; the reply is not let in (no connection tracking).
    assert_eq!(fs.trace(&tcp(2, "d1", "w1", 80)).ports(), [1]);
    let reply = Packet::ipv4_tcp(
        1,
        mac_of("w1"),
        mac_of("d1"),
        ip_of("w1"),
        ip_of("d1"),
        80,
        40000,
    );
    assert!(fs.trace(&reply).dropped());
}

#[test]
fn a_network_selector_covers_its_ipv4_and_ipv6_subnets() {
    let mut f = fixture();
    f.snap.rules.clear();
    let net = f.snap.networks.get_mut("t1:net").unwrap();
    net.ipv6_subnet = Some("2001:db8:1::/64".parse().unwrap());
    // Deny TCP 22 from the network: one IPv4 and one IPv6 flow.
    let mut from_net = rule("1", 10, None, Some("tcp"), 22, RuleAction::Deny);
    from_net.from_network = Some("net".into());
    f.rule(from_net);
    let states = f.compile();
    let rules: Vec<String> = states[&1]
        .flows
        .keys()
        .filter(|k| k.table_id == 30 && k.priority == 1000 + 2 * 10 + 1)
        .map(|k| format!("{:?}", k.r#match.fields))
        .collect();
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert!(
        rules
            .iter()
            .any(|m| m.contains("Ipv4Src") && m.contains("10.0.0.0")),
        "{rules:?}"
    );
    assert!(
        rules
            .iter()
            .any(|m| m.contains("Ipv6Src") && m.contains("2001:db8:1::")),
        "{rules:?}"
    );
    let sw = f.install();
    assert!(sw[&1].trace(&tcp(1, "w1", "d1", 22)).dropped());
    assert_eq!(sw[&1].trace(&tcp(1, "w1", "d1", 5432)).ports(), [2]);
}
