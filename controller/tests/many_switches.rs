//! Thousands of switches at once: every one completes its handshake, is registered by dpid and
//! gets the base pipeline, each served by its own session task.

#[path = "support/desired.rs"]
mod desired;

use desired::Desired;
use fakeswitch::FakeSwitch;
use netmaster::app::Controller;
use netmaster::pipeline::base_pipeline;
use netmaster::reconcile::ReconcileConfig;
use netmaster::session::SessionConfig;
use std::time::{Duration, Instant};

const SWITCHES: u64 = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_switches_get_the_base_pipeline() {
    let store = Desired::new(base_pipeline());
    let reconcile = ReconcileConfig {
        audit_interval: Duration::from_secs(30),
        ..ReconcileConfig::default()
    };
    let controller = Controller::new(SessionConfig::default(), reconcile, store.subscribe());
    store.follow(&controller);
    tokio::spawn(controller.clone().serve(Vec::new()));

    let started = Instant::now();
    let fakes: Vec<FakeSwitch> = (1..=SWITCHES)
        .map(|d| FakeSwitch::new(0xa000 + d))
        .collect();
    for f in &fakes {
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        controller.attach(Box::new(ours), "duplex".into());
        f.serve(theirs);
    }

    let want = base_pipeline().flows.len();
    let deadline = started + Duration::from_secs(120);
    loop {
        let connected = controller.connected().len() as u64;
        let installed = fakes.iter().filter(|f| f.flows().len() == want).count() as u64;
        if connected == SWITCHES && installed == SWITCHES {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after {:?}: {connected} of {SWITCHES} connected, {installed} with the base pipeline",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "{SWITCHES} switches connected and reconciled in {:?}",
        started.elapsed()
    );
    assert_eq!(
        controller.connected(),
        (1..=SWITCHES).map(|d| 0xa000 + d).collect::<Vec<_>>()
    );
}
