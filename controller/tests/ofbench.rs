//! `ofbench` against a real netmaster process (unix socket): it programs every emulated switch
//! and reads the controller's memory and CPU from /proc; it catches a controller that never
//! writes (a slave) and, after a restart, a controller that writes to switches that were in
//! sync; a restart that finds them in sync passes with zero writes. Under a packet-in load
//! netmaster's gateway echo answers every request rightly; with a deliberately wrong
//! (`NETMASTER_FAULT=echo-wrong`) or silent (`echo-silent`) responder, ofbench fails and says
//! which.

#[path = "support/api_netmaster.rs"]
mod api_netmaster;

use api_netmaster::ApiNetmaster;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn ofbench(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ofbench"))
        .args(args)
        .output()
        .expect("running ofbench")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn report(out: &Output) -> Value {
    assert!(out.status.success(), "ofbench failed: {}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

/// `n` static flows in ovs-ofctl syntax, the `skip`th left out.
fn flows(n: u32, skip: Option<u32>) -> String {
    (0..n)
        .filter(|i| Some(*i) != skip)
        .map(|i| {
            let [_, b, c, d] = i.to_be_bytes();
            format!("table=0,priority=200,ip,nw_dst=10.{b}.{c}.{d},actions=drop\n")
        })
        .collect()
}

fn target(sock: &Path) -> String {
    format!("--controller=unix:{}", sock.display())
}

#[test]
fn scale_programs_every_switch_and_reads_netmaster_from_outside() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("of.sock");
    let nm = ApiNetmaster::start(&sock, &[] as &[&str]);
    let base = netmaster::pipeline::base_pipeline().flows.len();
    let r = report(&ofbench(&[
        "scale".into(),
        target(&sock),
        "--switches=50".into(),
        format!("--expect-flows={base}"),
        format!("--netmaster-pid={}", nm.pid()),
        "--idle-s=1".into(),
        "--quiet-ms=300".into(),
        "--json".into(),
    ]));
    assert_eq!(r["switches"], 50, "{r}");
    assert_eq!(r["flows_min"], base, "{r}");
    assert_eq!(r["flows_max"], base, "{r}");
    // One bundle per switch, each holding the base pipeline's flows.
    assert_eq!(r["bundles"], 50, "{r}");
    assert_eq!(r["flow_mods"], 50 * base, "{r}");
    assert_eq!(r["refused"], 0, "{r}");
    assert!(r["rss_after_kib"].as_u64().unwrap() > 1000, "{r}");
    assert!(r["programmed_ms"].as_f64().unwrap() > 0.0, "{r}");
    assert!(r["idle_cpu_percent"].as_f64().is_some(), "{r}");
}

#[test]
fn a_controller_that_never_writes_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("of.sock");
    let _nm = ApiNetmaster::start(&sock, &["--of-role=slave"]);
    let out = ofbench(&[
        "scale".into(),
        target(&sock),
        "--switches=3".into(),
        "--timeout-s=3".into(),
    ]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("3 of 3 switches not programmed"),
        "{}",
        text(&out)
    );
}

/// Runs `ofbench restart` against netmaster with `before` as its static flows, restarts
/// netmaster with `after` once ofbench says the switches are programmed; ofbench's output.
fn restart(dir: &Path, before: &str, after: &str) -> Output {
    let sock = dir.join("of.sock");
    let (first, second) = (dir.join("before.flows"), dir.join("after.flows"));
    std::fs::write(&first, before).unwrap();
    std::fs::write(&second, after).unwrap();
    let flows = |p: &Path| format!("--flows={}", p.display());
    let nm = ApiNetmaster::start(&sock, &[flows(&first)]);
    let mut bench = Command::new(env!("CARGO_BIN_EXE_ofbench"))
        .args([
            "restart".into(),
            target(&sock),
            "--switches=8".into(),
            "--quiet-ms=500".into(),
            "--timeout-s=60".into(),
            "--json".into(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ofbench");
    let mut stderr = BufReader::new(bench.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ofbench: programmed");
    nm.kill();
    std::thread::sleep(Duration::from_millis(300));
    let _again = ApiNetmaster::start(&sock, &[flows(&second)]);
    let mut out = bench.wait_with_output().expect("ofbench's end");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    out.stderr = rest.into_bytes();
    out
}

#[test]
fn a_restart_that_finds_the_switches_in_sync_writes_nothing_and_one_that_writes_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let same = flows(1000, None);
    let r = report(&restart(dir.path(), &same, &same));
    assert_eq!(r["writes_after_restart"], 0, "{r}");
    assert_eq!(r["switches"], 8, "{r}");
    let base = netmaster::pipeline::base_pipeline().flows.len();
    assert_eq!(r["flows_min"], 1000 + base, "{r}");
    assert!(r["in_sync_max_ms"].as_f64().unwrap() > 0.0, "{r}");

    // The restarted netmaster has one static flow fewer (the last: a static flow's cookie
    // follows its place in the file): it deletes it from every switch.
    let dir = tempfile::tempdir().unwrap();
    let out = restart(dir.path(), &same, &flows(1000, Some(999)));
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("the restarted controller wrote 8 times"),
        "{}",
        text(&out)
    );
}

fn packet_in_load(env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("of.sock");
    let _nm = ApiNetmaster::start_with_env(&sock, &[] as &[&str], env);
    ofbench(&[
        "packet-in".into(),
        target(&sock),
        "--switches=4".into(),
        // One in flight: well under netmaster's 20,000 messages a second per switch.
        "--window=1".into(),
        "--duration-s=1".into(),
        "--quiet-ms=300".into(),
        "--json".into(),
    ])
}

#[test]
fn every_packet_in_gets_its_right_reply() {
    let r = report(&packet_in_load(&[]));
    let answered = r["echo_answered"].as_u64().unwrap();
    assert!(answered > 100, "{r}");
    assert_eq!(r["echo_sent"].as_u64().unwrap(), answered, "{r}");
    assert_eq!(r["echo_wrong"], 0, "{r}");
    assert_eq!(r["echo_missing"], 0, "{r}");
    assert_eq!(r["sessions_lost"], 0, "{r}");
    assert!(r["replies_per_s"].as_f64().unwrap() > 100.0, "{r}");
    assert!(r["latency_p99_ms"].as_f64().unwrap() > 0.0, "{r}");
}

#[test]
fn a_wrong_or_a_missing_reply_is_caught() {
    let out = packet_in_load(&[("NETMASTER_FAULT", "echo-wrong")]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out)
            .contains("wrong replies (the first not an ICMP echo reply with a right checksum)"),
        "{}",
        text(&out)
    );
    let out = packet_in_load(&[("NETMASTER_FAULT", "echo-silent")]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("requests got no reply"),
        "{}",
        text(&out)
    );
}
