//! How fast the intent compiler is, and how small the change one new endpoint makes.
//!
//! `cargo bench -p netmaster --bench compile`: an intent of 10,000 endpoints in 100 networks
//! (10 tenants of 10 VXLAN networks) over 50 hosts, each network spread over 10 hosts
//! (`NM_BENCH_ENDPOINTS`, `NM_BENCH_NETWORKS`, `NM_BENCH_HOSTS` override the sizes).
//!
//! * full: `compile` of the whole intent from scratch (best and median of `NM_BENCH_RUNS`,
//!   default 5), and the number of flows and groups it produced;
//! * first: netmaster's first compile (`compiled::Compiler`, which also fits every switch and
//!   lists the agents' directives), and the memory the process holds after it;
//! * increment (`NM_BENCH_RUNS` times): one endpoint added to a network, then netmaster's
//!   compile of the new inputs (`compiled::Compiler::compile`: only what the change reaches),
//!   then `reconcile::diff::diff` of every switch whose state is not the one it had (a
//!   switch's reconciler skips a state it already holds by pointer); best and median of each,
//!   with the flow and group changes the increment produced and on how many switches.
//!
//! Before it prints, it checks the work: a switch per host with flows and a flood group; each
//! increment touching exactly its network's switches, adding and deleting nothing else; the
//! last increment's snapshot equal to a compile of the same inputs from scratch.
//! Without `--bench` (as under `cargo test --benches`, in the test command) it runs a small
//! intent.

#[path = "support/sizes.rs"]
mod sizes;

use netmaster::compiled::{self, Compiled, Compiler, Inputs};
use netmaster::compiler::{compile, HostPorts, Topology, TunnelMode};
use netmaster::desired::SwitchState;
use netmaster::intent::Snapshot;
use netmaster::pipeline::base_pipeline;
use netmaster::reconcile::diff::diff;
use northbound_api::addr::MacAddr;
use northbound_api::model::{Endpoint, Network};
use sizes::{env, rss_mib};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Hosts each network spans.
const SPREAD: usize = 10;

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
                pkt_tag: Some(1000 + n as u32),
                ..Network::vxlan(tenant, name, "10.0.0.0/16".parse().unwrap())
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

/// Best and median of `times`, sorted in place.
fn best_median(times: &mut [Duration]) -> String {
    times.sort();
    format!(
        "best {}, median {}",
        ms(times[0]),
        ms(times[times.len() / 2])
    )
}

/// One increment's figures.
struct Increment {
    compile: Duration,
    diff: Duration,
    flows: (usize, usize, usize),
    groups: usize,
    touched: usize,
}

impl Intent {
    /// netmaster's inputs for this intent.
    fn inputs(&self) -> Inputs {
        Inputs {
            intent: Arc::new(self.snap.clone()),
            reports: self.topo.hosts.clone(),
            fixed: Arc::new(base_pipeline()),
            ..Inputs::default()
        }
    }

    /// The hosts of network `net`'s endpoints.
    fn hosts_of(&self, net: &str) -> usize {
        let hosts: std::collections::BTreeSet<&String> = self
            .snap
            .endpoints
            .values()
            .filter(|e| format!("{}:{}", e.tenant_name, e.network_name) == net)
            .filter_map(|e| e.host.as_ref())
            .collect();
        hosts.len()
    }

    /// Endpoint `i` added, compiled by `compiler` after `before`, and the switches whose state
    /// changed diffed; checked to touch the switches of its network's hosts and no other.
    fn increment(&mut self, i: usize, compiler: &mut Compiler, before: &mut Compiled) -> Increment {
        self.add_endpoint(i);
        let hosts_of_net = self.hosts_of(&net_key(i % self.networks));
        let inputs = self.inputs();
        let t = Instant::now();
        let after = compiler.compile(&inputs);
        let compiled = t.elapsed();
        let plans: Vec<_> = after
            .switches
            .iter()
            .filter(|(dpid, f)| {
                before
                    .switches
                    .get(dpid)
                    .is_none_or(|b| !Arc::ptr_eq(&b.state, &f.state))
            })
            .map(|(dpid, f)| {
                let was = before.switches.get(dpid).map(|b| b.state.as_ref());
                diff(&f.state, was.unwrap_or(&SwitchState::default()))
            })
            .collect();
        let diffed = t.elapsed() - compiled;
        let sum = |f: fn(&netmaster::reconcile::diff::PlanStats) -> usize| -> usize {
            plans.iter().map(|p| f(&p.stats)).sum()
        };
        let touched = plans.iter().filter(|p| !p.is_empty()).count();
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
        let old = std::mem::replace(before, after);
        drop(old);
        Increment {
            compile: compiled,
            diff: diffed,
            flows: (
                sum(|s| s.flows.added),
                sum(|s| s.flows.modified),
                sum(|s| s.flows.deleted),
            ),
            groups: sum(|s| s.groups.added + s.groups.modified + s.groups.deleted),
            touched,
        }
    }
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
        (500, 20, 12, 3)
    };
    let mut intent = Intent::new(endpoints, networks, hosts);

    let mut times = Vec::new();
    let mut flows = 0;
    let mut groups = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let full = compile(&intent.snap, &intent.topo);
        times.push(t.elapsed());
        assert_eq!(full.len(), hosts, "a switch per host");
        assert!(
            full.values()
                .all(|s| !s.flows.is_empty() && !s.groups.is_empty()),
            "a switch without flows or flood group"
        );
        flows = full.values().map(|s| s.flows.len()).sum();
        groups = full.values().map(|s| s.groups.len()).sum();
    }
    let full = best_median(&mut times);

    let mut compiler = Compiler::default();
    let t = Instant::now();
    let mut before = compiler.compile(&intent.inputs());
    let first = t.elapsed();
    let rss = rss_mib(std::process::id());

    let mut compiles = Vec::new();
    let mut diffs = Vec::new();
    let mut last = None;
    for r in 0..runs {
        let inc = intent.increment(endpoints + r, &mut compiler, &mut before);
        compiles.push(inc.compile);
        diffs.push(inc.diff);
        last = Some(inc);
    }
    let last = last.expect("one increment at least");
    let scratch = compiled::compile(&intent.inputs());
    assert!(
        scratch.switches == before.switches && scratch.directives == before.directives,
        "the increments' snapshot is the one a compile from scratch gives"
    );

    println!("intent: {endpoints} endpoints, {networks} networks, {hosts} hosts");
    println!(
        "full compile: {full} ({runs} runs); {flows} flows, {groups} groups on {hosts} switches"
    );
    println!(
        "netmaster's first compile: {}; resident memory after it {rss:.0} MiB",
        ms(first)
    );
    let (added, modified, deleted) = last.flows;
    println!(
        "increment (+1 endpoint, {runs} runs): compile {}; diff {}; {} flow changes ({added} \
         added, {modified} modified, {deleted} deleted), {} group changes, on {} of {hosts} \
         switches",
        best_median(&mut compiles),
        best_median(&mut diffs),
        added + modified + deleted,
        last.groups,
        last.touched,
    );
}
