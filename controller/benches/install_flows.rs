//! How fast netmaster installs N flows into a real Open vSwitch, against
//! `ovs-ofctl --bundle add-flows` of the same flow set.
//!
//! `cargo bench -p netmaster --bench install_flows` (root, Open vSwitch and iproute2 needed).
//! For each N (10,000 and 100,000; `NM_BENCH_SIZES=1000,5000` overrides) and each of
//! `NM_BENCH_RUNS` runs (default 3), on a private ovs-vswitchd (userspace datapath):
//!
//! * netmaster: the library in-process — a unix-socket `Listener` under the OVS rundir,
//!   `session::run` per connection — and a fresh bridge pointed at it with `set-controller`.
//!   Timed from the session's `Connected` event (handshake done) to the return of
//!   `reconcile::reconcile_once` (read the empty switch, diff, one ONF bundle, commit reply);
//!   "incl. connect" is timed from the `set-controller` command instead.
//! * ovs-ofctl: `ovs-ofctl -O OpenFlow13 --bundle add-flows BRIDGE FILE` of the same flows (in
//!   `ovs-ofctl` syntax, written with `ofproto::text::format_flow_mod`) on another fresh bridge
//!   without a controller, timed around the command (process start and text parsing included).
//!
//! Both bridges are checked with `ovs-ofctl dump-aggregate` afterwards: N + the base pipeline.
//! "in-sync" is a second `reconcile_once` on the netmaster bridge, which must send nothing: the
//! cost of a full audit, or of a restarted controller, at that size.
//! Without `--bench` (as under `cargo test --benches`) it runs one small size once.

#[path = "../tests/common/mod.rs"]
mod common;

use common::Ovs;
use netmaster::cookie::{Cookie, OwnerKind};
use netmaster::desired::SwitchState;
use netmaster::pipeline::base_pipeline;
use netmaster::reconcile::{self, Delivery};
use netmaster::session::{self, SessionConfig, SessionEvent, SwitchHandle};
use netmaster::transport::{ListenAddr, Listener};
use ofproto::msg::FlowMod;
use ofproto::text::format_flow_mod;
use ofproto::{Action, Instruction, MacAddr, Masked, Match, OxmField};
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The base pipeline plus `n` distinct table-0 flows: `in_port` 1..8 crossed with a unique
/// `dl_dst` (even i) or a unique `nw_dst` (odd i), output to another port.
fn flow_set(n: usize) -> SwitchState {
    let mut s = base_pipeline();
    for i in 0..n {
        let id = i as u32;
        let in_port = 1 + id % 8;
        let [_, b1, b2, b3] = id.to_be_bytes();
        let m = Match::new().with(OxmField::InPort(in_port));
        let m = if i % 2 == 0 {
            m.with(OxmField::EthDst(Masked::exact(MacAddr([
                0x02, 0x00, b1, b2, b3, 0x01,
            ]))))
        } else {
            m.with(OxmField::EthType(0x0800))
                .with(OxmField::Ipv4Dst(Masked::exact(Ipv4Addr::new(
                    10, b1, b2, b3,
                ))))
        };
        let out = in_port % 8 + 1;
        s.add_flow(
            0,
            100,
            &m,
            Cookie::new(OwnerKind::StaticFlow, i as u64 + 1),
            vec![Instruction::ApplyActions(vec![Action::Output {
                port: out,
                max_len: 0,
            }])],
        );
    }
    s
}

/// The flow set in `ovs-ofctl add-flows` syntax, one flow per line.
fn ofctl_text(s: &SwitchState) -> String {
    let mut out = String::new();
    for (k, e) in &s.flows {
        let mut fm = FlowMod::add(
            k.table_id,
            k.priority,
            k.r#match.clone(),
            e.instructions.clone(),
        );
        fm.cookie = e.cookie;
        let _ = writeln!(out, "{}", format_flow_mod(&fm));
    }
    out
}

/// Waits for the session of datapath `dpid`.
async fn connected(events: &mut mpsc::Receiver<SessionEvent>, dpid: u64) -> SwitchHandle {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
            Ok(Some(SessionEvent::Connected(h))) if h.dpid() == dpid => return h,
            Ok(Some(_)) => {}
            Ok(None) => panic!("session events ended"),
            Err(_) => panic!("switch {dpid:#x} did not connect within 30 s"),
        }
    }
}

struct Run {
    netmaster: Duration,
    with_connect: Duration,
    resync: Duration,
    ofctl: Duration,
    netmaster_flows: u64,
    ofctl_flows: u64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn one_run(
    ovs: &Ovs,
    rt: &Runtime,
    events: &mut mpsc::Receiver<SessionEvent>,
    desired: &SwitchState,
    text_file: &std::path::Path,
    seq: u64,
) -> Run {
    let want = desired.flows.len();
    // (a) netmaster's reconciler on a fresh bridge.
    let br_a = format!("nmba{seq}");
    let dpid_a = 0xb000 + 2 * seq;
    ovs.add_bridge(&br_a, dpid_a, false);
    let t0 = Instant::now();
    ovs.set_controller(&br_a);
    let (outcome, t_connected, t_done, resync) = rt.block_on(async {
        let h = connected(events, dpid_a).await;
        let t_connected = Instant::now();
        let mut bundles = true;
        let outcome = reconcile::reconcile_once(&h, desired, &mut bundles)
            .await
            .unwrap_or_else(|e| panic!("reconcile of {want} flows failed: {e}"));
        let t_done = Instant::now();
        // What a full audit (or a restarted controller) costs against the installed state.
        let again = reconcile::reconcile_once(&h, desired, &mut bundles)
            .await
            .unwrap_or_else(|e| panic!("second reconcile of {want} flows failed: {e}"));
        assert_eq!(again.delivery, Delivery::InSync, "{again:?}");
        (outcome, t_connected, t_done, t_done.elapsed())
    });
    assert_eq!(outcome.delivery, Delivery::Bundle, "{outcome:?}");
    assert_eq!(outcome.messages, want, "{outcome:?}");
    assert_eq!(outcome.errors, 0, "{outcome:?}");
    let netmaster_flows = ovs.flow_count(&br_a);

    // (b) ovs-ofctl --bundle add-flows on another fresh bridge.
    let br_b = format!("nmbb{seq}");
    ovs.add_bridge(&br_b, dpid_a + 1, false);
    let t = Instant::now();
    ovs.ofctl(&[
        "--bundle",
        "add-flows",
        &br_b,
        &text_file.display().to_string(),
    ]);
    let ofctl = t.elapsed();
    let ofctl_flows = ovs.flow_count(&br_b);

    ovs.del_bridge(&br_a);
    ovs.del_bridge(&br_b);
    Run {
        netmaster: t_done - t_connected,
        with_connect: t_done - t0,
        resync,
        ofctl,
        netmaster_flows,
        ofctl_flows,
    }
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let sizes: Vec<usize> = match std::env::var("NM_BENCH_SIZES") {
        Ok(v) => v
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .expect("NM_BENCH_SIZES: comma-separated numbers")
            })
            .collect(),
        Err(_) if bench => vec![10_000, 100_000],
        Err(_) => vec![1_000],
    };
    let runs: usize = match std::env::var("NM_BENCH_RUNS") {
        Ok(v) => v.parse().expect("NM_BENCH_RUNS: a number"),
        Err(_) if bench => 3,
        Err(_) => 1,
    };
    let base = base_pipeline().flows.len();

    let ovs = Ovs::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (tx, mut events) = mpsc::channel(64);
    let listener = rt
        .block_on(Listener::bind(&ListenAddr::Unix(ovs.ctl_sock())))
        .expect("bind the controller socket");
    let cfg = Arc::new(SessionConfig::default());
    rt.spawn(async move {
        loop {
            match listener.accept().await {
                Ok(inc) => {
                    let (cfg, tx) = (cfg.clone(), tx.clone());
                    tokio::spawn(async move {
                        let c = inc.connecting.await.expect("a unix connection is ready");
                        session::run(
                            c.stream,
                            inc.peer,
                            c.identity,
                            cfg,
                            tx,
                            CancellationToken::new(),
                        )
                        .await
                    });
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    });

    println!(
        "install_flows: {runs} run(s) per size, private ovs-vswitchd (netdev datapath), base pipeline = {base} flows"
    );
    let mut table = Vec::new();
    let mut seq = 0;
    for &n in &sizes {
        let desired = flow_set(n);
        assert_eq!(desired.flows.len(), n + base, "flows are distinct");
        let file = ovs.dir.join(format!("flows-{n}.txt"));
        common::write_file(&file, &ofctl_text(&desired));
        let mut results = Vec::new();
        for r in 0..runs {
            seq += 1;
            let run = one_run(&ovs, &rt, &mut events, &desired, &file, seq);
            assert_eq!(run.netmaster_flows, (n + base) as u64, "netmaster bridge");
            assert_eq!(run.ofctl_flows, (n + base) as u64, "ovs-ofctl bridge");
            println!(
                "  N={n} run {}: netmaster {:.0} ms (incl. connect {:.0} ms, in-sync re-read {:.0} ms), ovs-ofctl {:.0} ms, flows {} / {}",
                r + 1,
                ms(run.netmaster),
                ms(run.with_connect),
                ms(run.resync),
                ms(run.ofctl),
                run.netmaster_flows,
                run.ofctl_flows
            );
            results.push(run);
        }
        table.push((n, results));
    }

    println!();
    println!(
        "{:>8} | {:>13} | {:>14} | {:>13} | {:>6} | {:>17} | {:>13}",
        "N",
        "netmaster ms",
        "incl. connect",
        "ovs-ofctl ms",
        "ratio",
        "flows nm / ofctl",
        "in-sync ms"
    );
    println!("{}", "-".repeat(104));
    for (n, results) in &table {
        let nm = median(results.iter().map(|r| ms(r.netmaster)).collect());
        let wc = median(results.iter().map(|r| ms(r.with_connect)).collect());
        let of = median(results.iter().map(|r| ms(r.ofctl)).collect());
        let rs = median(results.iter().map(|r| ms(r.resync)).collect());
        let last = results.last().expect("a run");
        println!(
            "{n:>8} | {nm:>13.0} | {wc:>14.0} | {of:>13.0} | {:>6.2} | {:>8} / {:<7} | {rs:>13.0}",
            nm / of,
            last.netmaster_flows,
            last.ofctl_flows
        );
    }
    println!(
        "(medians of {runs} run(s); ratio = netmaster / ovs-ofctl; in-sync = a second full \
         reconcile that finds nothing to do: flow-stats read + diff)"
    );
}
