//! Every example intent file (`examples/`), end to end through the compiler: parsed with
//! `intent_file`, applied to an in-memory intent database (the late-binding pair in two steps,
//! as `netctl -cfg` then `netctl -host-bindings-cfg` do), compiled against a topology with one
//! fake switch per host, and then the complete connectivity matrix traced across the hosts:
//!
//! * unicast IPv4 for every ordered pair of endpoints: delivered to the destination's port
//!   only within a network; never to the destination nor to any other network's port across
//!   networks and tenants (even with identical addresses);
//! * a broadcast from every endpoint: each other endpoint of its network exactly once, nothing
//!   else;
//! * an ARP request from every endpoint for every endpoint's address: never to another
//!   network's port; for a known endpoint of the sender's network, never flooded.
//!
//! Frames that leave a host through the fabric are delivered as the fabric would: a VXLAN
//! frame (flow-based port, `tun_dst` + `tun_id`) to the host owning `tun_dst`, on its tunnel
//! port with that VNI; a VLAN-tagged frame on the uplink to the host a per-VLAN learning
//! switch knows the destination MAC on, or to every other host when it does not (broadcast,
//! unknown unicast).
//!
//! ARP requests for a known endpoint must be answered by the switch (a correct reply back to
//! the requester's port, arpMode proxy) and never cross the fabric.
//!
//! Run with `--nocapture` to see the matrices.

#[path = "support/examples.rs"]
mod examples;

use examples::{apply_bindings, apply_intent, fake_switch, topology, vtep, TUN, UPLINK};
use fakeswitch::{FakeSwitch, Packet};
use netmaster::compiler::compile;
use netmaster::intent::service::IntentDb;
use netmaster::intent::Snapshot;
use northbound_api::model::Encap;
use ofproto::MacAddr;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// Fabric hops after which a frame is taken to loop.
const MAX_HOPS: usize = 4;

/// One endpoint as the matrix sees it.
#[derive(Debug, Clone)]
struct Ep {
    /// `tenant:container`.
    key: String,
    /// `tenant:network`.
    net: String,
    encap: Encap,
    tag: u32,
    host: String,
    port: u32,
    mac: MacAddr,
    ip: Ipv4Addr,
}

/// The compiled example: a fake switch per host and every endpoint.
struct World {
    name: &'static str,
    eps: Vec<Ep>,
    /// Fake switch and dpid by host name.
    switches: BTreeMap<String, (u64, FakeSwitch)>,
    /// Endpoint index by (host, port).
    at: BTreeMap<(String, u32), usize>,
    /// What a per-VLAN learning fabric knows: host by (VLAN, MAC).
    learned: BTreeMap<(u16, MacAddr), String>,
    has_tunnel: bool,
    has_uplink: bool,
}

impl World {
    fn build(name: &'static str, snap: Snapshot) -> World {
        let topo = topology(&snap);
        let states = compile(&snap, &topo);
        let mut switches = BTreeMap::new();
        let mut eps = Vec::new();
        let mut at = BTreeMap::new();
        for (host, h) in &topo.hosts {
            let fs = fake_switch(h.dpid, &states[&h.dpid], &h.ports());
            switches.insert(host.clone(), (h.dpid, fs));
            for (key, &p) in &h.endpoint_ports {
                let e = &snap.endpoints[key];
                let net = format!("{}:{}", e.tenant_name, e.network_name);
                let n = &snap.networks[&net];
                let ip = e.ip_address.expect("allocated IPv4");
                at.insert((host.clone(), p), eps.len());
                eps.push(Ep {
                    key: key.clone(),
                    encap: n.encap,
                    tag: n.pkt_tag.expect("allocated tag"),
                    net,
                    host: host.clone(),
                    port: p,
                    mac: e.mac_address.expect("allocated MAC"),
                    ip,
                });
            }
        }
        assert_eq!(
            eps.len(),
            snap.endpoints.len(),
            "{name}: every endpoint is placed on a host"
        );
        let learned = eps
            .iter()
            .filter(|e| e.encap == Encap::Vlan)
            .map(|e| ((e.tag as u16, e.mac), e.host.clone()))
            .collect();
        World {
            name,
            eps,
            switches,
            at,
            learned,
            has_tunnel: topo.hosts.values().any(|h| h.tunnel.is_some()),
            has_uplink: topo.hosts.values().any(|h| !h.uplinks.is_empty()),
        }
    }

    fn host_of_vtep(&self, ip: Ipv4Addr) -> Option<&str> {
        self.switches
            .iter()
            .find(|(_, (dpid, _))| vtep(*dpid) == ip)
            .map(|(h, _)| h.as_str())
    }

    /// Sends `pkt` into `host`'s switch and follows every copy across the fabric.
    fn follow(&self, host: &str, pkt: Packet) -> Reach {
        let mut reach = Reach::default();
        let mut queue = vec![(host.to_string(), pkt, 0usize)];
        while let Some((host, pkt, depth)) = queue.pop() {
            if depth > MAX_HOPS {
                reach.problems.push(format!("loop: still moving at {host}"));
                continue;
            }
            let trace = self.switches[&host].1.trace(&pkt);
            for (port, out) in trace.outputs {
                if port == TUN && self.has_tunnel {
                    if !out.vlans.is_empty() {
                        reach
                            .problems
                            .push(format!("{host}: VLAN-tagged frame into the tunnel"));
                    }
                    let to = out.tun_dst.and_then(|ip| self.host_of_vtep(ip));
                    match to {
                        Some(to) if to != host => {
                            reach.hops.push(Hop {
                                from: host.clone(),
                                to: to.to_string(),
                                tunnel: true,
                                tag: out.tunnel_id as u32,
                            });
                            let mut next = out.clone().with_in_port(TUN);
                            next.tun_dst = None;
                            queue.push((to.to_string(), next, depth + 1));
                        }
                        _ => reach.problems.push(format!(
                            "{host}: tunnel frame to tun_dst {:?} (no other host)",
                            out.tun_dst
                        )),
                    }
                } else if port == UPLINK && self.has_uplink {
                    let Some(vid) = out.vlan_vid() else {
                        reach
                            .problems
                            .push(format!("{host}: untagged frame on the uplink"));
                        continue;
                    };
                    let to: Vec<&String> = match self.learned.get(&(vid, out.eth_dst)) {
                        Some(h) => vec![h],
                        None => self.switches.keys().collect(),
                    };
                    for to in to.into_iter().filter(|h| **h != host) {
                        reach.hops.push(Hop {
                            from: host.clone(),
                            to: to.clone(),
                            tunnel: false,
                            tag: u32::from(vid),
                        });
                        queue.push((to.clone(), out.clone().with_in_port(UPLINK), depth + 1));
                    }
                } else {
                    match self.at.get(&(host.clone(), port)) {
                        Some(&i) => reach.delivered.push((i, out)),
                        None => reach
                            .problems
                            .push(format!("{host}: output to port {port:#x}")),
                    }
                }
            }
        }
        reach
    }

    /// Problems common to every frame sent by endpoint `s`: deliveries outside its network,
    /// fabric hops with the wrong encapsulation or tag.
    fn isolation(&self, s: usize, r: &Reach) -> Vec<String> {
        let src = &self.eps[s];
        let mut problems = r.problems.clone();
        for (i, _) in &r.delivered {
            if self.eps[*i].net != src.net {
                problems.push(format!(
                    "leaked to {} of {}",
                    self.eps[*i].key, self.eps[*i].net
                ));
            }
        }
        for hop in &r.hops {
            let want = (src.encap == Encap::Vxlan, src.tag);
            if (hop.tunnel, hop.tag) != want {
                problems.push(format!("{hop:?} instead of {:?} {}", src.encap, src.tag));
            }
        }
        problems
    }

    fn delivered_to(&self, r: &Reach) -> Vec<&str> {
        r.delivered
            .iter()
            .map(|(i, _)| self.eps[*i].key.as_str())
            .collect()
    }

    /// Unicast IPv4 from `s` to `d`: the matrix cell and the problems.
    fn unicast(&self, s: usize, d: usize) -> (char, Vec<String>) {
        let (src, dst) = (&self.eps[s], &self.eps[d]);
        let pkt = Packet::ipv4_udp(src.port, src.mac, dst.mac, src.ip, dst.ip, 1000, 2000);
        let r = self.follow(&src.host, pkt);
        let mut problems = self.isolation(s, &r);
        let cell = if src.net == dst.net {
            match r.delivered.as_slice() {
                [(i, p)] if *i == d => {
                    if p.eth_dst != dst.mac || !p.vlans.is_empty() || p.ipv4_dst != Some(dst.ip) {
                        problems.push(format!("delivered altered: {p:?}"));
                    }
                }
                _ => problems.push(format!("delivered to {:?}", self.delivered_to(&r))),
            }
            // A known destination: straight to its host, or not into the fabric at all.
            let want_hops = usize::from(src.host != dst.host);
            if r.hops.len() != want_hops || r.hops.iter().any(|h| h.to != dst.host) {
                problems.push(format!("fabric hops {:?}", r.hops));
            }
            'D'
        } else {
            if r.delivered.iter().any(|(i, _)| *i == d) {
                problems.push("delivered to the destination".into());
            }
            if r.delivered.is_empty() {
                '.'
            } else {
                'f'
            }
        };
        (if problems.is_empty() { cell } else { 'X' }, problems)
    }

    /// A broadcast from `s`: each other endpoint of its network exactly once.
    fn broadcast(&self, s: usize) -> Vec<String> {
        let src = &self.eps[s];
        let pkt = Packet::ipv4_udp(
            src.port,
            src.mac,
            MacAddr::BROADCAST,
            src.ip,
            std::net::Ipv4Addr::BROADCAST,
            68,
            67,
        );
        let r = self.follow(&src.host, pkt);
        let mut problems = self.isolation(s, &r);
        let mut got: Vec<usize> = r.delivered.iter().map(|(i, _)| *i).collect();
        got.sort_unstable();
        let want: Vec<usize> = (0..self.eps.len())
            .filter(|&i| i != s && self.eps[i].net == src.net)
            .collect();
        if got != want {
            problems.push(format!(
                "reached {:?}, want each of {:?} once",
                self.delivered_to(&r),
                want.iter().map(|&i| &self.eps[i].key).collect::<Vec<_>>()
            ));
        }
        if let Some((_, p)) = r.delivered.iter().find(|(_, p)| !p.vlans.is_empty()) {
            problems.push(format!("delivered tagged: {p:?}"));
        }
        // VXLAN: one copy per remote host with a member, and only those.
        let tunnel_hops: Vec<&Hop> = r.hops.iter().filter(|h| h.tunnel).collect();
        let mut to: Vec<&str> = tunnel_hops.iter().map(|h| h.to.as_str()).collect();
        to.sort_unstable();
        to.dedup();
        let member_hosts: BTreeSet<&str> = want
            .iter()
            .map(|&i| self.eps[i].host.as_str())
            .filter(|h| *h != src.host)
            .collect();
        if src.encap == Encap::Vxlan
            && (to.len() != tunnel_hops.len() || to.iter().any(|h| !member_hosts.contains(h)))
        {
            problems.push(format!("tunnel copies {tunnel_hops:?}"));
        }
        problems
    }

    /// An ARP request from `s` for the address of `d`: the cell and the problems, and whether
    /// the request crossed the fabric although its target was known (directed ARP to a remote
    /// endpoint).
    fn arp(&self, s: usize, d: usize) -> (char, Vec<String>, bool) {
        let src = &self.eps[s];
        let tpa = self.eps[d].ip;
        let pkt = Packet::arp_request(src.port, src.mac, src.ip, tpa);
        let r = self.follow(&src.host, pkt);
        let mut problems = self.isolation(s, &r);
        let target =
            (0..self.eps.len()).find(|&i| self.eps[i].net == src.net && self.eps[i].ip == tpa);
        let mut over_fabric = false;
        let cell = match target {
            // Unknown in the sender's network: flooded there (at most once each), which
            // `isolation` confines to the network.
            None => {
                let mut got: Vec<usize> = r.delivered.iter().map(|(i, _)| *i).collect();
                let n = got.len();
                got.dedup();
                if got.len() != n {
                    problems.push(format!("duplicates: {:?}", self.delivered_to(&r)));
                }
                if r.delivered.is_empty() {
                    '.'
                } else {
                    'f'
                }
            }
            // Its own address: nothing beyond the sender.
            Some(t) if t == s => {
                if !r.hops.is_empty() || r.delivered.iter().any(|(i, _)| *i != s) {
                    problems.push(format!(
                        "own address: {:?} via {:?}",
                        self.delivered_to(&r),
                        r.hops
                    ));
                }
                's'
            }
            Some(t) => {
                let tgt = &self.eps[t];
                let reply = r
                    .delivered
                    .iter()
                    .find(|(i, p)| *i == s && p.arp_op == Some(2))
                    .map(|(_, p)| p);
                if let Some(p) = reply {
                    // Answered by the switch: a correct reply to the sender, nothing else.
                    let ok = p.eth_dst == src.mac
                        && p.eth_src == tgt.mac
                        && p.arp_sha == Some(tgt.mac)
                        && p.arp_spa == Some(tgt.ip)
                        && p.arp_tha == Some(src.mac)
                        && p.arp_tpa == Some(src.ip);
                    if !ok {
                        problems.push(format!("wrong reply {p:?}"));
                    }
                    if !r.hops.is_empty() || r.delivered.len() != 1 {
                        problems.push(format!(
                            "answered, and also {:?} via {:?}",
                            self.delivered_to(&r),
                            r.hops
                        ));
                    }
                    'A'
                } else {
                    // arpMode proxy: every request for a known endpoint is answered by the
                    // switch; it never reaches the target, let alone crosses the fabric.
                    problems.push(format!(
                        "not answered by the switch: {:?} via {:?}",
                        self.delivered_to(&r),
                        r.hops
                    ));
                    over_fabric = !r.hops.is_empty();
                    'X'
                }
            }
        };
        (
            if problems.is_empty() { cell } else { 'X' },
            problems,
            over_fabric,
        )
    }
}

/// Where a traced frame went.
#[derive(Debug, Default)]
struct Reach {
    /// Endpoint ports reached, with the frame as delivered.
    delivered: Vec<(usize, Packet)>,
    /// Fabric crossings.
    hops: Vec<Hop>,
    /// Anything else that went wrong (stray ports, untagged uplink frames, loops...).
    problems: Vec<String>,
}

#[derive(Debug)]
#[allow(dead_code)] // fields read through Debug in failure messages
struct Hop {
    from: String,
    to: String,
    /// VXLAN (true) or VLAN uplink.
    tunnel: bool,
    /// VNI or VLAN id.
    tag: u32,
}

/// Counts of one example.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    pairs: usize,
    allowed: usize,
    denied: usize,
    broadcasts: usize,
    arps: usize,
    /// ARP requests for a known endpoint that crossed the fabric (must stay 0).
    arp_over_fabric: usize,
    /// ARP requests for a known endpoint answered by the switch.
    arp_answered: usize,
}

/// Checks the whole matrix of `w`; panics with the matrix and every problem.
fn check(w: &World) -> Counts {
    let n = w.eps.len();
    let mut c = Counts::default();
    let mut report = format!("== {} ({} endpoints)\n", w.name, n);
    let mut problems = Vec::new();
    let width = w.eps.iter().map(|e| e.key.len()).max().unwrap_or(0);
    for (i, e) in w.eps.iter().enumerate() {
        let _ = writeln!(
            report,
            "  [{i}] {:width$} {} {:?} {} {}:{} {} {}",
            e.key, e.net, e.encap, e.tag, e.host, e.port, e.mac, e.ip
        );
    }
    let header: String = (0..n).map(|d| char::from(b'0' + (d % 10) as u8)).collect();
    let _ = writeln!(report, "  unicast src\\dst {header}   arp {header}   bcast");
    for s in 0..n {
        let mut uni = String::new();
        let mut arp = String::new();
        for d in 0..n {
            if s == d {
                uni.push('-');
            } else {
                let (cell, p) = w.unicast(s, d);
                c.pairs += 1;
                if cell == 'D' {
                    c.allowed += 1;
                } else if cell != 'X' {
                    c.denied += 1;
                }
                uni.push(cell);
                problems.extend(p.into_iter().map(|p| format!("unicast {s}->{d}: {p}")));
            }
            let (cell, p, over) = w.arp(s, d);
            c.arps += 1;
            c.arp_over_fabric += usize::from(over);
            c.arp_answered += usize::from(cell == 'A');
            arp.push(cell);
            problems.extend(p.into_iter().map(|p| format!("arp {s}->ip of {d}: {p}")));
        }
        let b = w.broadcast(s);
        c.broadcasts += 1;
        let bcell = if b.is_empty() { "ok" } else { "X" };
        problems.extend(b.into_iter().map(|p| format!("broadcast from {s}: {p}")));
        let _ = writeln!(report, "  [{s:>2}]{:11} {uni}       {arp}   {bcell}", "");
    }
    if c.arp_over_fabric > 0 {
        problems.push(format!(
            "{} ARP requests for known endpoints crossed the fabric",
            c.arp_over_fabric
        ));
    }
    let _ = writeln!(
        report,
        "  unicast: D delivered to dst only, . nowhere, f flooded in the sender's network only\n  \
         arp: A answered to the sender, \
         s own address, ./f unknown (nowhere/flooded in the network), X problem\n  {c:?}"
    );
    println!("{report}");
    assert!(
        problems.is_empty(),
        "{report}\n{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    c
}

fn example(name: &'static str) -> Counts {
    let db = IntentDb::in_memory();
    apply_intent(&db, name);
    check(&World::build(name, db.snapshot()))
}

/// Pairs in a network of endpoint counts `sizes` (the allowed ones).
fn within(sizes: &[usize]) -> usize {
    sizes.iter().map(|n| n * (n - 1)).sum()
}

#[test]
fn one_host_multiple_nets() {
    let c = example("one_host_multiple_nets.json");
    assert_eq!((c.pairs, c.allowed, c.denied), (12, within(&[2, 2]), 8));
}

#[test]
fn two_hosts_multiple_tenants() {
    let c = example("two_hosts_multiple_tenants.json");
    assert_eq!((c.pairs, c.allowed, c.denied), (12, within(&[2, 2]), 8));
}

#[test]
fn two_hosts_multiple_tenants_mix_vlan_vxlan() {
    let c = example("two_hosts_multiple_tenants_mix_vlan_vxlan.json");
    assert_eq!((c.pairs, c.allowed, c.denied), (12, within(&[2, 2]), 8));
}

#[test]
fn three_hosts_vxlan() {
    let c = example("three_hosts_vxlan.json");
    assert_eq!((c.pairs, c.allowed, c.denied), (30, within(&[3, 3]), 18));
}

#[test]
fn late_bindings() {
    let db = IntentDb::in_memory();
    apply_intent(&db, "late_bindings/multiple_intents.json");
    // Before the bindings no endpoint has a host: nothing to place.
    let before = db.snapshot();
    assert!(before.endpoints.values().all(|e| e.host.is_none()));
    apply_bindings(&db, "late_bindings/host_bindings.json");
    let name = "late_bindings/multiple_intents.json + host_bindings.json";
    let c = check(&World::build(name, db.snapshot()));
    assert_eq!((c.pairs, c.allowed, c.denied), (12, within(&[2, 2]), 8));
}
