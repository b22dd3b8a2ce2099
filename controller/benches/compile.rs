//! How fast the intent compiler is, and how small the change one new endpoint makes.
//!
//! `cargo bench -p netmaster --bench compile`: an intent of 10,000 endpoints in 100 networks
//! (10 tenants of 10 VXLAN networks) over 50 hosts, each network spread over 10 hosts
//! (`NM_BENCH_ENDPOINTS`, `NM_BENCH_NETWORKS`, `NM_BENCH_HOSTS` override the sizes).
//!
//! * full: `compile` of the whole intent (best and median of `NM_BENCH_RUNS`, default 5), and
//!   the number of flows and groups it produced;
//! * increment: one endpoint added to a network, then `compile` again and
//!   `reconcile::diff::diff` of every switch against its previous state, timed together; with
//!   the flow and group changes the increment produced and on how many switches.
//!
//! Before it prints, it checks the work (a switch per host with flows and a flood group; the
//! increment touching exactly its network's switches, adding and deleting nothing else).
//! Without `--bench` (as under `cargo test --benches`, in the test command) it runs a small
//! intent once.

use netmaster::compiler::{compile, HostPorts, Topology, TunnelMode};
use netmaster::desired::SwitchState;
use netmaster::intent::Snapshot;
use netmaster::reconcile::diff::diff;
use northbound_api::addr::MacAddr;
use northbound_api::model::{Encap, Endpoint, Network};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// Hosts each network spans.
const SPREAD: usize = 10;

/// A size from the environment, or `default`.
fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The benchmark intent and topology.
struct Intent {
    snap: Snapshot,
    topo: Topology,
    networks: usize,
    hosts: usize,
}

impl Intent {
    fn new(endpoints: usize, networks: usize, hosts: usize) -> Intent {
        let mut topo = Topology::default();
        for h in 0..hosts {
            let mut ports = HostPorts::new(h as u64 + 1);
            ports.vtep_ip = Some(Ipv4Addr::from(0x0ac8_0000 + h as u32 + 1));
            ports.tunnel = Some(TunnelMode::Flow { port: 0xfff0 });
            topo.hosts.insert(format!("host{h}"), ports);
        }
        let mut snap = Snapshot::default();
        for n in 0..networks {
            let key = net_key(n);
            let (tenant, name) = key.split_once(':').unwrap();
            let net = Network {
                tenant_name: tenant.into(),
                network_name: name.into(),
                encap: Encap::Vxlan,
                pkt_tag: Some(1000 + n as u32),
                subnet: "10.0.0.0/16".parse().unwrap(),
                gateway: None,
                ipv6_subnet: None,
                ipv6_gateway: None,
                multicast: Default::default(),
                cfgd_tag: None,
                nw_type: Default::default(),
            };
            snap.networks.insert(key.clone(), net);
            snap.network_ids.insert(key, n as u32 + 1);
        }
        let mut intent = Intent {
            snap,
            topo,
            networks,
            hosts,
        };
        for i in 0..endpoints {
            intent.add_endpoint(i);
        }
        intent
    }

    /// Endpoint `i`: network `i % networks`, on one of that network's hosts.
    fn add_endpoint(&mut self, i: usize) {
        let n = i % self.networks;
        let host = (n * 7 + (i / self.networks) % SPREAD) % self.hosts;
        let key = net_key(n);
        let (tenant, net) = key.split_once(':').unwrap();
        let container = format!("c{i}");
        let ep_key = format!("{tenant}:{container}");
        let ep = Endpoint {
            host: Some(format!("host{host}")),
            mac_address: Some(MacAddr::from_u64(0x0200_0000_0000 | i as u64)),
            ip_address: Some(Ipv4Addr::new(
                10,
                0,
                ((i / 250) % 250) as u8,
                (i % 250 + 1) as u8,
            )),
            ..Endpoint::named(tenant, net, container)
        };
        self.snap.endpoints.insert(ep_key.clone(), ep);
        self.snap.endpoint_ids.insert(ep_key.clone(), i as u64 + 1);
        let ports = self.topo.hosts.get_mut(&format!("host{host}")).unwrap();
        let port = ports.endpoint_ports.len() as u32 + 1;
        ports.endpoint_ports.insert(ep_key, port);
    }
}

/// Network `n`'s key: 10 networks per tenant.
fn net_key(n: usize) -> String {
    format!("tenant{}:net{}", n / 10, n % 10)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (endpoints, networks, hosts, runs) = if bench {
        (
            env("NM_BENCH_ENDPOINTS", 10_000),
            env("NM_BENCH_NETWORKS", 100),
            env("NM_BENCH_HOSTS", 50),
            env("NM_BENCH_RUNS", 5).max(1),
        )
    } else {
        (500, 20, 12, 1)
    };
    let mut intent = Intent::new(endpoints, networks, hosts);

    let mut times = Vec::new();
    let mut before = BTreeMap::new();
    for _ in 0..runs {
        let t = Instant::now();
        before = compile(&intent.snap, &intent.topo);
        times.push(t.elapsed());
    }
    times.sort();
    let flows: usize = before.values().map(|s| s.flows.len()).sum();
    let groups: usize = before.values().map(|s| s.groups.len()).sum();

    // The increment: endpoint number `endpoints`, on network `endpoints % networks`.
    let net = net_key(endpoints % networks);
    intent.add_endpoint(endpoints);
    let hosts_of_net: std::collections::BTreeSet<&String> = intent
        .snap
        .endpoints
        .values()
        .filter(|e| format!("{}:{}", e.tenant_name, e.network_name) == net)
        .filter_map(|e| e.host.as_ref())
        .collect();
    let hosts_of_net = hosts_of_net.len();
    let t = Instant::now();
    let after = compile(&intent.snap, &intent.topo);
    let compiled = t.elapsed();
    let plans: Vec<_> = after
        .iter()
        .map(|(dpid, s)| diff(s, before.get(dpid).unwrap_or(&SwitchState::default())))
        .collect();
    let total = t.elapsed();
    let sum = |f: fn(&netmaster::reconcile::diff::PlanStats) -> usize| -> usize {
        plans.iter().map(|p| f(&p.stats)).sum()
    };
    let flow_changes = sum(|s| s.flows.added + s.flows.modified + s.flows.deleted);
    let group_changes = sum(|s| s.groups.added + s.groups.modified + s.groups.deleted);
    let touched = plans.iter().filter(|p| !p.is_empty()).count();

    // The work, checked before anything is printed: every host has its switch and every
    // switch a network's flows and flood group; the new endpoint changes the switches of its
    // network's hosts (its flows added there), and no other.
    assert_eq!(before.len(), hosts, "a switch per host");
    assert!(
        before
            .values()
            .all(|s| !s.flows.is_empty() && !s.groups.is_empty()),
        "a switch without flows or flood group"
    );
    assert_eq!(
        touched, hosts_of_net,
        "the switches of the network's hosts, no other"
    );
    assert!(
        sum(|s| s.flows.added) >= hosts_of_net,
        "the new endpoint's flows on every switch of its network"
    );
    assert_eq!(
        sum(|s| s.flows.deleted),
        0,
        "nothing is deleted for a new endpoint"
    );

    println!("intent: {endpoints} endpoints, {networks} networks, {hosts} hosts");
    println!(
        "full compile: best {}, median {} ({runs} runs); {flows} flows, {groups} groups on {} switches",
        ms(times[0]),
        ms(times[times.len() / 2]),
        before.len()
    );
    println!(
        "increment (+1 endpoint): compile {} + diff {} = {}; {flow_changes} flow changes \
         ({} added, {} modified, {} deleted), {group_changes} group changes, on {touched} of {} switches",
        ms(compiled),
        ms(total - compiled),
        ms(total),
        sum(|s| s.flows.added),
        sum(|s| s.flows.modified),
        sum(|s| s.flows.deleted),
        plans.len()
    );
}
