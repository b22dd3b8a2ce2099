//! Traffic beyond ping: packet captures (tcpdump) and TCP throughput (iperf3).

use crate::cmd::output;
use crate::matrix::Endpoint;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running tcpdump.
pub struct Capture {
    child: Option<Child>,
    out: PathBuf,
}

impl Capture {
    /// Starts `tcpdump -nn -e -l -i IFACE FILTER` in namespace `ns`, writing its text to
    /// `dir/<name>.txt`; returns once tcpdump listens.
    pub fn start(ns: &str, iface: &str, filter: &str, dir: &Path, name: &str) -> Capture {
        let out = dir.join(format!("{name}.txt"));
        let err = dir.join(format!("{name}.err"));
        let child = Command::new("ip")
            .args([
                "netns", "exec", ns, "tcpdump", "-nn", "-e", "-l", "-i", iface,
            ])
            .args(filter.split_whitespace())
            .stdout(std::fs::File::create(&out).expect("capture file"))
            .stderr(std::fs::File::create(&err).expect("capture log"))
            .stdin(Stdio::null())
            .spawn()
            .expect("starting tcpdump");
        let mut cap = Capture {
            child: Some(child),
            out,
        };
        let start = Instant::now();
        loop {
            let log = std::fs::read_to_string(&err).unwrap_or_default();
            if log.contains("listening on") {
                return cap;
            }
            if let Some(status) = cap.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("tcpdump on {ns}/{iface} exited ({status}): {log}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "tcpdump on {ns}/{iface} did not start: {log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the capture has printed `text` (tcpdump writes line by line); whether it
    /// did within `deadline`.
    pub fn wait_for(&self, text: &str, deadline: Duration) -> bool {
        let start = Instant::now();
        loop {
            let have = std::fs::read_to_string(&self.out).unwrap_or_default();
            if have.contains(text) {
                return true;
            }
            if start.elapsed() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the capture (SIGINT, so that tcpdump flushes) and returns the decoded packets,
    /// one line each (VXLAN packets have the inner frame on the following line).
    pub fn stop(mut self) -> String {
        std::thread::sleep(Duration::from_millis(300));
        self.kill();
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(3) {
                if child.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Pings `to` from `from` with extra ping arguments; whether every ping was answered.
pub fn ping(from: &Endpoint, to: &Endpoint, extra: &[&str]) -> bool {
    let ip = to.ip.to_string();
    let mut a = vec![
        "ip", "netns", "exec", &from.ns, "ping", "-n", "-q", "-W", "1",
    ];
    a.extend_from_slice(extra);
    a.push(&ip);
    output(&a).status.success()
}

/// Starts pinging `to` from `from` every `interval` seconds, `count` times, in the
/// background (each ping waits at most 1 s for its answer); its report goes to `log`.
pub fn start_ping(from: &Endpoint, to: &Endpoint, interval: &str, count: u32, log: &Path) -> Child {
    Command::new("ip")
        .args([
            "netns", "exec", &from.ns, "ping", "-n", "-i", interval, "-W", "1", "-c",
        ])
        .arg(count.to_string())
        .arg(to.ip.to_string())
        .stdout(std::fs::File::create(log).expect("the ping log"))
        .stderr(Stdio::null())
        .spawn()
        .expect("starting ping")
}

/// Waits for a ping started with [`start_ping`] to end, prints its summary and returns its
/// report; panics when ping itself failed.
pub fn finish_ping(mut pinger: Child, log: &Path) -> String {
    let status = pinger.wait().expect("waiting for ping");
    let out = std::fs::read_to_string(log).expect("the ping log");
    eprintln!(
        "{}",
        out.lines().rev().take(2).collect::<Vec<_>>().join("\n")
    );
    assert!(status.success(), "the running ping failed:\n{out}");
    out
}

/// TCP throughput from `client` to `server` with iperf3 for `secs` seconds, in bit/s as the
/// receiver counted it.
pub fn iperf3(server: &Endpoint, client: &Endpoint, secs: u32) -> f64 {
    let mut srv = Command::new("ip")
        .args(["netns", "exec", &server.ns, "iperf3", "-s", "-B"])
        .arg(server.ip.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting iperf3 -s");
    // The server needs a moment to listen; the client retries its connection meanwhile.
    let start = Instant::now();
    let result = loop {
        let out = output(&[
            "ip",
            "netns",
            "exec",
            &client.ns,
            "iperf3",
            "-J",
            "-c",
            &server.ip.to_string(),
            "-t",
            &secs.to_string(),
        ]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        // (iperf3 can exit 0 without a result when the server went away mid-test: retry.)
        if let (true, Some(bps)) = (
            out.status.success(),
            v["end"]["sum_received"]["bits_per_second"].as_f64(),
        ) {
            break bps;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = srv.kill();
            panic!(
                "iperf3 {} -> {} failed: {}\n{}",
                client.name,
                server.name,
                v["error"],
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = srv.kill();
    let _ = srv.wait();
    result
}
