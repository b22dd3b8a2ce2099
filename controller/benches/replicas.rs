//! What replicas on etcd cost a client, timed from the client's side: three netmaster
//! replicas on a three-member etcd cluster (loopback, Debian's etcd-server).
//!
//! `cargo bench -p netmaster --bench replicas`:
//! * writes: `NM_BENCH_WRITES` (default 200) tenant creations through the leader, then as many
//!   through a follower (a 307 the client follows to the leader), each timed from the request
//!   to the answer; p50 and p99 of each;
//! * failover: `NM_BENCH_FAILOVERS` (default 10) times, the leader is SIGKILLed and started
//!   again; the time from the kill until another replica's `GET /info` says it leads; median
//!   and max. (The switches' side of a failover is measured by the topology test
//!   `replicas::the_leader_dies_during_a_ping_and_nothing_is_lost`.)
//!
//! Before it prints, it checks the work: every tenant written is read back through every
//! replica. Without `--bench` (as under `cargo test --benches`, in the test command) it makes
//! 10 writes each way and one failover.

#[path = "../tests/support/api_netmaster.rs"]
mod api_netmaster;
#[path = "../tests/support/etcd.rs"]
mod etcd;
#[path = "support/sizes.rs"]
mod sizes;

use api_netmaster::ApiNetmaster;
use etcd::EtcdCluster;
use northbound_api::model::{Kind, Object, Tenant};
use northbound_api::oper::ReplicaState;
use northbound_client::client::Client;
use sizes::env;
use std::path::Path;
use std::time::{Duration, Instant};

/// The replica every running one names as leading (waits up to 20 s).
fn leader(nms: &[Option<ApiNetmaster>]) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let leading: Vec<usize> = (0..nms.len())
            .filter(|i| {
                nms[*i].as_ref().is_some_and(|nm| {
                    Client::new(&nm.url)
                        .info()
                        .is_ok_and(|info| info.current_state == ReplicaState::Leader)
                })
            })
            .collect();
        if let [one] = leading.as_slice() {
            return *one;
        }
        assert!(Instant::now() < deadline, "no single leader: {leading:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The `q` quantile of sorted durations.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Creates `n` tenants named `prefix-i` through `client`; each write's time, sorted.
fn writes(client: &Client, prefix: &str, n: usize) -> Vec<Duration> {
    let mut took: Vec<Duration> = (0..n)
        .map(|i| {
            let t = Instant::now();
            client
                .put(&Object::Tenant(Tenant::named(format!("{prefix}-{i}"))))
                .expect("a write");
            t.elapsed()
        })
        .collect();
    took.sort();
    took
}

fn start(dir: &Path, i: usize, store: &str, prefix: &str) -> ApiNetmaster {
    ApiNetmaster::start(
        &dir.join(format!("of{i}.sock")),
        &[store, prefix, "--lease-ttl-s=2"],
    )
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full {
        env("NM_BENCH_WRITES", 200)
    } else {
        10
    };
    let failovers = if full {
        env("NM_BENCH_FAILOVERS", 10)
    } else {
        1
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let etcd = EtcdCluster::start(dir.path());
    let store = format!("--store={}", etcd.store_url());
    let prefix = format!("--etcd-prefix=/netmaster-bench-{}", std::process::id());
    let mut nms: Vec<Option<ApiNetmaster>> = (0..3)
        .map(|i| Some(start(dir.path(), i, &store, &prefix)))
        .collect();

    let l = leader(&nms);
    let f = (l + 1) % 3;
    let client = |i: usize| Client::new(&nms[i].as_ref().expect("running").url);
    let via_leader = writes(&client(l), "leader", n);
    let via_follower = writes(&client(f), "follower", n);
    // The work: every tenant is read back through every replica.
    let deadline = Instant::now() + Duration::from_secs(10);
    for i in 0..3 {
        loop {
            let names = client(i).list(Kind::Tenant).expect("a list").len();
            if names == 2 * n + 1 {
                break;
            }
            assert!(Instant::now() < deadline, "replica {i} has {names} tenants");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    let mut took = Vec::new();
    for _ in 0..failovers {
        let l = leader(&nms);
        let killed = Instant::now();
        nms[l].take().expect("running").kill();
        let next = leader(&nms);
        took.push(killed.elapsed());
        assert_ne!(next, l);
        nms[l] = Some(start(dir.path(), l, &store, &prefix));
    }
    took.sort();

    println!("replicas: 3 netmaster replicas, 3 etcd members, loopback (client's side)");
    println!(
        "  write through the leader:   p50 {}  p99 {}  ({n} tenant creations)",
        ms(quantile(&via_leader, 0.5)),
        ms(quantile(&via_leader, 0.99))
    );
    println!(
        "  write through a follower:   p50 {}  p99 {}  ({n}, redirected to the leader)",
        ms(quantile(&via_follower, 0.5)),
        ms(quantile(&via_follower, 0.99))
    );
    println!(
        "  failover (SIGKILL -> another replica leads): median {}  max {}  ({failovers} runs, lease TTL 2 s)",
        ms(quantile(&took, 0.5)),
        ms(took[took.len() - 1])
    );
    drop(nms);
    drop(etcd);
}
