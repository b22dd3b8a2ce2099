//! The one store under concurrent writers and SIGKILL: sixteen agents report their hosts at
//! once, over and over, while netmaster is killed with SIGKILL at moments that vary; after
//! every restart netmaster comes up from its store, and every report it acknowledged is there
//! (or the one report of that host that was in flight when it died: a write may be durable
//! before its answer is sent).

#[path = "support/api_netmaster.rs"]
mod api_netmaster;

use api_netmaster::ApiNetmaster;
use northbound_api::agent::HostReport;
use northbound_client::client::{Client, ClientError};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const AGENTS: u32 = 16;
const ROUNDS: u64 = 6;

/// A netmaster over the store file `store` (hosts never expire: the test restarts it often).
fn netmaster(store: &Path) -> ApiNetmaster {
    let store = store.as_os_str();
    ApiNetmaster::start(
        &Path::new(store).with_extension("sock"),
        &[
            OsStr::new("--store"),
            store,
            OsStr::new("--host-timeout-s"),
            OsStr::new("0"),
        ],
    )
}

/// Host `agent`'s report number `n`: endpoint `t:c` on OpenFlow port `n`, and between none
/// and six more endpoints (reports of every size follow one another).
fn report(agent: u32, n: u32) -> HostReport {
    let mut endpoint_ports: BTreeMap<String, u32> = [("t:c".to_string(), n)].into();
    for i in 0..(n * 7 + agent) % 7 {
        endpoint_ports.insert(format!("t:extra-container-{i}"), 1000 + i);
    }
    HostReport {
        dpid: u64::from(agent) + 1,
        vtep_ip: Some(Ipv4Addr::new(10, 200, 0, agent as u8 + 1)),
        endpoint_ports,
        uplinks: Vec::new(),
        tunnel: None,
    }
}

/// What one agent knows of its reports: the last one acknowledged, and those sent after it
/// that were in flight when netmaster died (one per kill since that acknowledgement).
#[derive(Debug, Default, Clone)]
struct Sent {
    acked: u32,
    in_flight: Vec<u32>,
}

/// Reports as fast as answers come until a report fails (netmaster died) or `stop`.
fn agent(url: String, agent: u32, mut sent: Sent, stop: Arc<AtomicBool>) -> Sent {
    let client = Client::new(&url);
    let mut n = sent.in_flight.iter().copied().fold(sent.acked, u32::max);
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        match client.report_host(&format!("host{agent}"), &report(agent, n)) {
            Ok(()) => {
                sent.acked = n;
                sent.in_flight.clear();
            }
            // A valid report is never refused: only a dead netmaster fails one.
            Err(e @ (ClientError::Api(_) | ClientError::BadAnswer { .. })) => {
                panic!("host{agent}: report {n} refused: {e}")
            }
            Err(ClientError::Transport { .. } | ClientError::Read { .. }) => {
                sent.in_flight.push(n);
                break;
            }
        }
    }
    sent
}

#[test]
fn every_acknowledged_report_survives_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("netmaster.redb");
    let mut sent = vec![Sent::default(); AGENTS as usize];
    let mut total_acked = 0u64;
    for round in 0..ROUNDS {
        let nm = netmaster(&store);
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..AGENTS)
            .map(|a| {
                let (url, s, stop) = (nm.url.clone(), sent[a as usize].clone(), stop.clone());
                std::thread::spawn(move || agent(url, a, s, stop))
            })
            .collect();
        // Kill at a different moment of every round, while the agents are writing.
        std::thread::sleep(Duration::from_millis(150 + 97 * round));
        nm.kill();
        stop.store(true, Ordering::Relaxed);
        let before: u32 = sent.iter().map(|s| s.acked).sum();
        for (a, w) in workers.into_iter().enumerate() {
            sent[a] = w.join().expect("agent thread");
        }
        let after: u32 = sent.iter().map(|s| s.acked).sum();
        total_acked += u64::from(after - before);

        let nm = netmaster(&store);
        let stored = Client::new(&nm.url).host_reports().expect("reports");
        check(&stored, &sent, round);
        nm.kill();
    }
    assert!(
        total_acked >= ROUNDS * u64::from(AGENTS),
        "the agents wrote too little to prove anything: {total_acked} acknowledged reports"
    );
}

/// Every agent's stored report is its last acknowledged one, or the one in flight.
fn check(stored: &BTreeMap<String, HostReport>, sent: &[Sent], round: u64) {
    for (a, s) in sent.iter().enumerate() {
        let host = format!("host{a}");
        let Some(r) = stored.get(&host) else {
            // Nothing may be missing that was acknowledged (a report in flight when netmaster
            // died may or may not have been committed).
            if s.acked == 0 {
                continue;
            }
            panic!(
                "round {round}: {host}'s acknowledged report {} is gone",
                s.acked
            );
        };
        let n = r.endpoint_ports["t:c"];
        assert!(
            n == s.acked || s.in_flight.contains(&n),
            "round {round}: {host} has report {n}, acknowledged {} (in flight {:?})",
            s.acked,
            s.in_flight
        );
        assert_eq!(r, &report(a as u32, n), "round {round}: {host}");
    }
}
