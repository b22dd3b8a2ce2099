//! netmaster against `ofbench`'s emulated switches, measured from the switches' side and from
//! /proc (never by netmaster about itself):
//!
//! * scale: 1,000 and 10,000 switches connect over netmaster's unix socket; connect time (told
//!   the controller -> asked for features, p50 and max), time until the last switch holds the
//!   base pipeline, netmaster's RSS per switch and its idle CPU over 5 s once all are programmed;
//! * restart: 10 switches programmed with 100,000 static flows each (`--flows`), netmaster
//!   SIGKILLed and started again: table writes it sends (must be 0, or ofbench fails) and the
//!   time from each new connection until the switch has answered the full read-back;
//! * packet-in: 1, 16 and 64 switches each keep one gateway echo request in flight for 5 s
//!   (netmaster closes a switch that sends more than 20,000 messages a second); replies per
//!   second and latency, every reply checked by ofbench.
//!
//! `cargo bench -p netmaster --bench ofbench`. Without `--bench` (as under `cargo test
//! --benches`, in the test command) it runs a smoke version: 20 switches; 2 switches with 1,000
//! flows; 2 switches loaded for a second.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A netmaster process listening on a unix socket; SIGKILLed when dropped.
struct Netmaster(Child);

impl Netmaster {
    fn start(sock: &Path, flows: Option<&Path>) -> Netmaster {
        let _ = std::fs::remove_file(sock);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_netmaster"));
        cmd.args(["--no-tcp", "--api-listen=127.0.0.1:0", "--of-unix"])
            .arg(sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(f) = flows {
            cmd.arg("--flows").arg(f);
        }
        let nm = Netmaster(cmd.spawn().expect("netmaster"));
        let start = Instant::now();
        while !sock.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "netmaster never listened"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        nm
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Netmaster {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ofbench(mode: &str, sock: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ofbench"));
    cmd.arg(mode)
        .arg(format!("--controller=unix:{}", sock.display()))
        .args(args)
        .arg("--json");
    cmd
}

fn report(out: Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "ofbench failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ofbench's JSON report")
}

fn ms(v: &serde_json::Value) -> String {
    format!("{:.0} ms", v.as_f64().unwrap_or(f64::NAN))
}

fn scale(dir: &Path, switches: usize, idle_s: u64) {
    let sock = dir.join(format!("scale-{switches}.sock"));
    let nm = Netmaster::start(&sock, None);
    let r = report(
        ofbench(
            "scale",
            &sock,
            &[
                format!("--switches={switches}"),
                format!("--netmaster-pid={}", nm.pid()),
                format!("--idle-s={idle_s}"),
                "--timeout-s=600".into(),
            ],
        )
        .output()
        .expect("ofbench"),
    );
    println!(
        "scale {switches:>6} switches: connect p50 {} max {}, all programmed {}, {} flow mods \
         in {} bundles; netmaster RSS {:.0} MiB ({:.1} KiB per switch), idle CPU {:.1}% of a core",
        ms(&r["connect_p50_ms"]),
        ms(&r["connect_max_ms"]),
        ms(&r["programmed_ms"]),
        r["flow_mods"],
        r["bundles"],
        r["rss_after_kib"].as_f64().unwrap_or(0.0) / 1024.0,
        r["rss_per_switch_kib"].as_f64().unwrap_or(0.0),
        r["idle_cpu_percent"].as_f64().unwrap_or(0.0),
    );
}

fn restart(dir: &Path, switches: usize, flows: u32) {
    let file: PathBuf = dir.join(format!("static-{flows}.flows"));
    let text: String = (0..flows)
        .map(|i| {
            let [_, b, c, d] = i.to_be_bytes();
            format!("table=0,priority=200,ip,nw_dst=10.{b}.{c}.{d},actions=drop\n")
        })
        .collect();
    std::fs::write(&file, text).expect("flows file");
    let sock = dir.join("restart.sock");
    let nm = Netmaster::start(&sock, Some(&file));
    let mut bench = ofbench(
        "restart",
        &sock,
        &[
            format!("--switches={switches}"),
            "--timeout-s=600".into(),
            "--quiet-ms=2000".into(),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("ofbench");
    let mut stderr = std::io::BufReader::new(bench.stderr.take().expect("stderr"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).expect("ofbench's stderr");
    assert_eq!(line.trim(), "ofbench: programmed", "ofbench: {line}");
    drop(nm);
    let _again = Netmaster::start(&sock, Some(&file));
    let mut out = bench.wait_with_output().expect("ofbench");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("ofbench's stderr");
    out.stderr = rest.into_bytes();
    let r = report(out);
    println!(
        "restart {switches} switches x {} flows: programmed first in {}; after SIGKILL and \
         start: in sync p50 {} max {} after each new connection, {} table writes",
        r["flows_min"],
        ms(&r["programmed_ms"]),
        ms(&r["in_sync_p50_ms"]),
        ms(&r["in_sync_max_ms"]),
        r["writes_after_restart"],
    );
}

fn packet_in(dir: &Path, switches: usize, window: usize, secs: u64) {
    let sock = dir.join(format!("packet-in-{switches}.sock"));
    let _nm = Netmaster::start(&sock, None);
    let r = report(
        ofbench(
            "packet-in",
            &sock,
            &[
                format!("--switches={switches}"),
                format!("--window={window}"),
                format!("--duration-s={secs}"),
                "--quiet-ms=300".into(),
            ],
        )
        .output()
        .expect("ofbench"),
    );
    println!(
        "packet-in {switches:>2} switches, {window} in flight each: {:.0} replies/s, latency p50 \
         {:.2} ms p99 {:.2} ms, {} answered, {} wrong, {} missing",
        r["replies_per_s"].as_f64().unwrap_or(0.0),
        r["latency_p50_ms"].as_f64().unwrap_or(0.0),
        r["latency_p99_ms"].as_f64().unwrap_or(0.0),
        r["echo_answered"],
        r["echo_wrong"],
        r["echo_missing"],
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().expect("a temporary directory");
    if full {
        scale(dir.path(), 1_000, 5);
        scale(dir.path(), 10_000, 5);
        restart(dir.path(), 10, 100_000);
        for switches in [1, 16, 64] {
            packet_in(dir.path(), switches, 1, 5);
        }
    } else {
        scale(dir.path(), 20, 1);
        restart(dir.path(), 2, 1_000);
        packet_in(dir.path(), 2, 1, 1);
    }
}
