//! What an intent write costs a client when the intent is large, timed from the client's side.
//!
//! `cargo bench -p netmaster --bench writes`: netmaster with its crash-safe store (redb) is
//! loaded with `NM_BENCH_ENDPOINTS` (default 100,000) endpoints in `NM_BENCH_NETWORKS` (2,000)
//! VXLAN networks, 10 per tenant, bound to `NM_BENCH_HOSTS` (1,000) hosts declared with a dpid
//! and a VTEP (so every write is compiled for their switches), in batches of 1,000 objects. Then `NM_BENCH_WRITES` (200) endpoints are created one by one (a `POST` each, its
//! address allocated by netmaster) and deleted one by one, each timed from the request to the
//! answer; p50 and p99 of each, the load's time, and netmaster's resident memory after the
//! load and after the writes (VmRSS, read from `/proc`).
//!
//! Before it prints, it checks the work: the endpoints listed after the load are all there;
//! every endpoint written is read back with an address in its network; every deleted one is
//! gone. Without `--bench` (as under `cargo test --benches`, in the test command) it loads
//! 2,000 endpoints and makes 20 writes each way.

#[path = "../tests/support/api_netmaster.rs"]
mod api_netmaster;
#[path = "support/sizes.rs"]
mod sizes;

use api_netmaster::ApiNetmaster;
use northbound_api::model::{Endpoint, Host, Kind, Network, Object, Tenant};
use northbound_api::service::Batch;
use northbound_client::client::Client;
use sizes::{env, rss_mib};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// Objects per batch of the load.
const BATCH: usize = 1000;

/// Network `n`: tenant `t<n / 10>`, network `n<n % 10>`, subnet 10.<n % 10>.0.0/16.
fn network(n: usize) -> Network {
    let subnet = format!("10.{}.0.0/16", n % 10).parse().expect("subnet");
    Network::vxlan(format!("t{}", n / 10), format!("n{}", n % 10), subnet)
}

/// Endpoint `i` of network `n` on host `h`.
fn endpoint(i: usize, n: usize, h: usize) -> Endpoint {
    let net = network(n);
    Endpoint {
        host: Some(format!("host{h}")),
        ..Endpoint::named(net.tenant_name, net.network_name, format!("c{i}"))
    }
}

/// p50 and p99 of `times`, sorted in place.
fn percentiles(times: &mut [Duration]) -> String {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    format!(
        "p50 {:.2} ms, p99 {:.2} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    )
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (endpoints, networks, hosts, writes) = if bench {
        (
            env("NM_BENCH_ENDPOINTS", 100_000),
            env("NM_BENCH_NETWORKS", 2_000),
            env("NM_BENCH_HOSTS", 1_000),
            env("NM_BENCH_WRITES", 200).max(1),
        )
    } else {
        (2_000, 40, 20, 20)
    };
    let dir = tempfile_dir();
    let store = dir.join("intent.redb");
    let nm = ApiNetmaster::start(
        &dir.join("of.sock"),
        &[format!("--store={}", store.display())],
    );
    let client = Client::new(&nm.url);

    // The load: tenants and networks, then the endpoints, BATCH objects per request.
    let started = Instant::now();
    let mut objects: Vec<Object> = (0..networks.div_ceil(10))
        .map(|t| Object::Tenant(Tenant::named(format!("t{t}"))))
        .collect();
    objects.extend((0..hosts).map(|h| {
        Object::Host(Host {
            name: format!("host{h}"),
            vtep_ip: Some(Ipv4Addr::from(0x0ac8_0000 + h as u32 + 1)),
            uplinks: Vec::new(),
            dpid: Some(h as u64 + 1),
        })
    }));
    objects.extend((0..networks).map(|n| Object::Network(network(n))));
    objects.extend((0..endpoints).map(|i| Object::Endpoint(endpoint(i, i % networks, i % hosts))));
    for chunk in objects.chunks(BATCH) {
        client
            .apply(&Batch {
                upserts: chunk.to_vec(),
                ..Batch::default()
            })
            .expect("load batch");
    }
    let load = started.elapsed();
    let listed = client.endpoints().expect("list endpoints").len();
    assert_eq!(listed, endpoints, "every endpoint of the load is there");
    let rss_loaded = rss_mib(nm.pid());

    // Single writes: create, read back, delete.
    let mut creates = Vec::new();
    for w in 0..writes {
        let i = endpoints + w;
        let ep = Object::Endpoint(endpoint(i, w % networks, w % hosts));
        let t = Instant::now();
        client.put(&ep).expect("create an endpoint");
        creates.push(t.elapsed());
    }
    for w in 0..writes {
        let net = network(w % networks);
        let key = format!("{}:c{}", net.tenant_name, endpoints + w);
        let Object::Endpoint(e) = client.get(Kind::Endpoint, &key).expect("read back") else {
            panic!("{key} is not an endpoint");
        };
        let ip = e
            .ip_address
            .unwrap_or_else(|| panic!("{key} has no address"));
        assert!(net.subnet.is_host(ip), "{key}: {ip} not in {}", net.subnet);
    }
    let mut deletes = Vec::new();
    for w in 0..writes {
        let key = format!("{}:c{}", network(w % networks).tenant_name, endpoints + w);
        let t = Instant::now();
        client
            .delete(Kind::Endpoint, &key)
            .expect("delete an endpoint");
        deletes.push(t.elapsed());
        assert!(client.get(Kind::Endpoint, &key).is_err(), "{key} is gone");
    }
    let rss_after = rss_mib(nm.pid());
    nm.kill();
    let _ = std::fs::remove_dir_all(&dir);

    println!("intent: {endpoints} endpoints, {networks} networks, {hosts} hosts (redb store)");
    println!(
        "load in batches of {BATCH}: {:.1} s; netmaster resident memory after it {rss_loaded:.0} MiB",
        load.as_secs_f64()
    );
    println!(
        "{writes} endpoint creations one by one: {}",
        percentiles(&mut creates)
    );
    println!(
        "{writes} endpoint deletions one by one: {}",
        percentiles(&mut deletes)
    );
    println!("netmaster resident memory after the writes {rss_after:.0} MiB");
}

/// A fresh directory for the store and the OpenFlow socket.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nm-bench-writes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench directory");
    dir
}
