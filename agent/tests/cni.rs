//! `netplugin-cni` run exactly as a container runtime runs it (CNI_* environment variables,
//! network configuration on stdin, result or error on stdout), against a fake agent: a unix
//! listener served by the test that records the requests and answers canned responses.
//! Needs neither root nor Open vSwitch.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory for one test.
fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "netplugin-cni-test-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A fake agent answering every request with `answer`; returns its socket and the requests.
fn fake_agent(dir: &std::path::Path, answer: Value) -> (String, Arc<Mutex<Vec<Value>>>) {
    let sock = dir.join("cni.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut line = String::new();
            BufReader::new(&conn).read_line(&mut line).unwrap();
            s.lock().unwrap().push(serde_json::from_str(&line).unwrap());
            writeln!(conn, "{answer}").unwrap();
        }
    });
    (sock.display().to_string(), seen)
}

struct Run {
    success: bool,
    stdout: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }

    /// Asserts a spec-shaped error with `code` and returns it.
    fn error(&self, code: u64) -> Value {
        assert!(!self.success, "expected failure, got {:?}", self.stdout);
        let v = self.json();
        assert_eq!(v["code"], json!(code), "{v}");
        assert!(v["cniVersion"].is_string(), "{v}");
        assert!(v["msg"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        v
    }
}

fn run_cni(env: &[(&str, &str)], stdin: &str) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netplugin-cni"));
    cmd.env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("running netplugin-cni");
    // (A plugin that stops reading early closes its end: the rest is not written.)
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    eprintln!(
        "netplugin-cni {env:?}: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Run {
        success: out.status.success(),
        stdout: String::from_utf8(out.stdout).unwrap(),
    }
}

fn config(version: &str, socket: &str) -> String {
    json!({"cniVersion": version, "name": "contiv-net", "type": "netplugin-cni",
        "agentSocket": socket})
    .to_string()
}

fn env<'a>(command: &'a str, netns: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("CNI_COMMAND", command),
        ("CNI_CONTAINERID", "0123abcd"),
        ("CNI_NETNS", netns),
        ("CNI_IFNAME", "eth0"),
        ("CNI_PATH", "/opt/cni/bin"),
        (
            "CNI_ARGS",
            "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;\
             io.contiv.tenant=blue;io.contiv.network=net1;io.contiv.net-group=web",
        ),
    ]
}

fn ok_answer() -> Value {
    json!({"ok": {"interface": "eth0", "mac": "02:02:0a:01:01:02",
        "ips": [{"address": "10.1.1.2/24", "gateway": "10.1.1.1"}],
        "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.1.1"}],
        "hostInterface": {"name": "vnp0123456789ab", "mac": "8e:01:02:03:04:05"}}})
}

#[test]
fn version() {
    let r = run_cni(&[("CNI_COMMAND", "VERSION")], r#"{"cniVersion":"1.0.0"}"#);
    assert!(r.success);
    let v = r.json();
    assert_eq!(v["cniVersion"], "1.0.0");
    let supported: Vec<&str> = v["supportedVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(supported.contains(&"1.0.0"), "{v}");
    assert!(supported.contains(&"0.4.0"), "{v}");
}

#[test]
fn malformed_config() {
    let dir = temp_dir();
    let netns = dir.display().to_string();
    run_cni(&env("ADD", &netns), "{not json").error(6);
    run_cni(&env("ADD", &netns), "").error(6);
    run_cni(&env("ADD", &netns), r#"["cniVersion"]"#).error(6);
    // Decodes, but a required field is missing or wrong.
    run_cni(
        &env("ADD", &netns),
        r#"{"cniVersion":"1.0.0","type":"netplugin-cni"}"#,
    )
    .error(7);
    run_cni(
        &env("ADD", &netns),
        r#"{"cniVersion":"1.0.0","name":"-bad","type":"netplugin-cni"}"#,
    )
    .error(7);
    run_cni(
        &env("ADD", &netns),
        r#"{"cniVersion":1,"name":"n","type":"netplugin-cni"}"#,
    )
    .error(7);
    // A configuration past 1 MiB is refused, whatever it holds.
    let huge = format!(
        r#"{{"cniVersion":"1.0.0","name":"n","type":"netplugin-cni","pad":"{}"}}"#,
        "x".repeat(2 << 20)
    );
    let v = run_cni(&env("ADD", &netns), &huge).error(7);
    assert!(v["msg"].as_str().unwrap().contains("too large"), "{v}");
    // An ipam section needs a type, and that plugin in CNI_PATH.
    run_cni(
        &env("ADD", &netns),
        r#"{"cniVersion":"1.0.0","name":"n","type":"netplugin-cni","ipam":{}}"#,
    )
    .error(7);
    let v = run_cni(
        &env("ADD", &netns),
        r#"{"cniVersion":"1.0.0","name":"n","type":"netplugin-cni","ipam":{"type":"no-such-ipam"}}"#,
    )
    .error(7);
    assert!(
        v["msg"].as_str().unwrap().contains("IPAM plugin not found"),
        "{v}"
    );
    // The netplugin section: its own fields only.
    let v = run_cni(
        &env("ADD", &netns),
        r#"{"cniVersion":"1.0.0","name":"n","type":"netplugin-cni","netplugin":{"tenat":"t"}}"#,
    )
    .error(7);
    assert!(v["details"].as_str().unwrap().contains("tenat"), "{v}");
}

#[test]
fn missing_or_invalid_env_vars() {
    let dir = temp_dir();
    let netns = dir.display().to_string();
    let conf = config("1.0.0", "/nonexistent.sock");
    for missing in ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS"] {
        let e: Vec<_> = env("ADD", &netns)
            .into_iter()
            .filter(|(k, _)| *k != missing)
            .collect();
        let v = run_cni(&e, &conf).error(4);
        if missing != "CNI_COMMAND" {
            assert!(v["details"].as_str().unwrap().contains(missing), "{v}");
        }
    }
    let mut e = env("ADD", &netns);
    e.retain(|(k, _)| *k != "CNI_COMMAND");
    e.push(("CNI_COMMAND", "FROB"));
    run_cni(&e, &conf).error(4);
    let mut e = env("ADD", &netns);
    e.retain(|(k, _)| *k != "CNI_IFNAME");
    e.push(("CNI_IFNAME", "much-too-long-ifname"));
    run_cni(&e, &conf).error(4);
    let mut e = env("ADD", &netns);
    e.retain(|(k, _)| *k != "CNI_ARGS");
    e.push(("CNI_ARGS", "novalue"));
    run_cni(&e, &conf).error(4);
}

#[test]
fn unsupported_version() {
    let dir = temp_dir();
    let netns = dir.display().to_string();
    let v = run_cni(&env("ADD", &netns), &config("9.9.9", "/nonexistent.sock")).error(1);
    assert_eq!(v["cniVersion"], "1.0.0");
}

#[test]
fn missing_namespace() {
    let dir = temp_dir();
    let (sock, seen) = fake_agent(&dir, ok_answer());
    let gone = dir.join("no-such-netns").display().to_string();
    run_cni(&env("ADD", &gone), &config("1.0.0", &sock)).error(3);
    run_cni(&env("CHECK", &gone), &config("1.0.0", &sock)).error(3);
    assert!(seen.lock().unwrap().is_empty(), "the agent was asked");
    // DEL succeeds without the namespace (the agent is asked to clean up).
    let r = run_cni(&env("DEL", &gone), &config("1.0.0", &sock));
    assert!(r.success);
    assert_eq!(r.stdout, "");
}

#[test]
fn add_result_has_every_required_field() {
    let dir = temp_dir();
    let netns = dir.display().to_string();
    let (sock, seen) = fake_agent(&dir, ok_answer());
    let r = run_cni(
        &env("ADD", &netns),
        &json!({"cniVersion": "1.0.0", "name": "contiv-net", "type": "netplugin-cni",
            "agentSocket": sock, "dns": {"nameservers": ["10.1.1.53"]}})
        .to_string(),
    );
    assert!(r.success);
    let v = r.json();
    assert_eq!(v["cniVersion"], "1.0.0");
    let ifaces = v["interfaces"].as_array().expect("interfaces");
    // The veth's host end (no sandbox: chained plugins such as bandwidth look for it), then
    // the container's interface.
    assert_eq!(
        ifaces[0],
        json!({"name": "vnp0123456789ab", "mac": "8e:01:02:03:04:05"})
    );
    assert_eq!(ifaces.len(), 2);
    assert_eq!(ifaces[1]["name"], "eth0");
    assert_eq!(ifaces[1]["mac"], "02:02:0a:01:01:02");
    assert_eq!(ifaces[1]["sandbox"], netns.as_str());
    let ips = v["ips"].as_array().expect("ips");
    assert_eq!(ips.len(), 1);
    assert_eq!(ips[0]["address"], "10.1.1.2/24");
    assert_eq!(ips[0]["gateway"], "10.1.1.1");
    assert_eq!(
        ips[0]["interface"], 1,
        "the address is on the container's interface"
    );
    assert!(ips[0].get("version").is_none(), "no version field in 1.0.0");
    assert_eq!(v["routes"], json!([{"dst": "0.0.0.0/0", "gw": "10.1.1.1"}]));
    assert_eq!(v["dns"], json!({"nameservers": ["10.1.1.53"]}));
    // What the agent was asked: placement from CNI_ARGS.
    let reqs = seen.lock().unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0],
        json!({"command": "ADD", "containerId": "0123abcd", "netns": netns, "ifname": "eth0",
            "tenant": "blue", "network": "net1", "group": "web", "container": "web-0"})
    );
}

#[test]
fn add_with_older_version_and_agent_errors() {
    let dir = temp_dir();
    let netns = dir.display().to_string();
    let (sock, _) = fake_agent(&dir, ok_answer());
    let r = run_cni(&env("ADD", &netns), &config("0.4.0", &sock));
    assert!(r.success);
    let v = r.json();
    assert_eq!(v["cniVersion"], "0.4.0");
    assert_eq!(v["ips"][0]["version"], "4");
    // The agent's error codes pass through, in the configuration's version.
    let dir2 = temp_dir();
    let (sock2, _) = fake_agent(
        &dir2,
        json!({"error": {"code": 100, "msg": "endpoint not in intent", "details": "blue:web-0"}}),
    );
    let v = run_cni(&env("ADD", &netns), &config("0.4.0", &sock2)).error(100);
    assert_eq!(v["cniVersion"], "0.4.0");
    assert_eq!(v["details"], "blue:web-0");
    // No agent: try again later.
    let gone = dir.join("gone.sock").display().to_string();
    run_cni(&env("ADD", &netns), &config("1.0.0", &gone)).error(11);
}

#[test]
fn del_is_idempotent() {
    let dir = temp_dir();
    let netns = dir.display().to_string();
    let (sock, seen) = fake_agent(&dir, json!({"ok": {}}));
    for _ in 0..2 {
        let r = run_cni(&env("DEL", &netns), &config("1.0.0", &sock));
        assert!(r.success);
        assert_eq!(r.stdout, "", "DEL prints nothing");
    }
    // Without CNI_NETNS (the runtime may have lost it).
    let mut e = env("DEL", &netns);
    e.retain(|(k, _)| *k != "CNI_NETNS");
    assert!(run_cni(&e, &config("1.0.0", &sock)).success);
    let reqs = seen.lock().unwrap();
    assert_eq!(reqs.len(), 3);
    assert!(reqs.iter().all(|r| r["command"] == "DEL"));
    assert_eq!(reqs[2]["netns"], "");
}

#[test]
fn check() {
    let dir = temp_dir();
    let netns = dir.display().to_string();
    let (sock, seen) = fake_agent(&dir, ok_answer());
    let prev = |addr: &str| {
        json!({"cniVersion": "1.0.0", "name": "contiv-net", "type": "netplugin-cni",
            "agentSocket": sock, "prevResult": {"cniVersion": "1.0.0",
            "interfaces": [{"name": "eth0", "sandbox": netns}],
            "ips": [{"address": addr, "interface": 0}]}})
        .to_string()
    };
    let r = run_cni(&env("CHECK", &netns), &prev("10.1.1.2/24"));
    assert!(r.success);
    assert_eq!(r.stdout, "", "CHECK prints nothing");
    // A previous result with another address fails.
    run_cni(&env("CHECK", &netns), &prev("10.1.1.9/24")).error(103);
    assert!(seen.lock().unwrap().iter().all(|r| r["command"] == "CHECK"));
    // The agent's verdict is passed on.
    let dir2 = temp_dir();
    let (sock2, _) = fake_agent(
        &dir2,
        json!({"error": {"code": 103, "msg": "check failed", "details": "eth0 is down"}}),
    );
    run_cni(&env("CHECK", &netns), &config("1.0.0", &sock2)).error(103);
}

/// End to end (needs root and Open vSwitch, like `tests/demo.rs`): `scripts/demo.sh` with
/// `DEMO_CNI=1` plugs the four containers in with `netplugin-cni` ADD (then CHECK with the
/// result as prevResult) through the real daemon's CNI socket, checks the ping matrix, and
/// removes one container with DEL twice. Each ADD's result names netmaster's DNS address as
/// the name server.
#[test]
fn end_to_end_with_the_daemon() {
    let uid =
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").expect("/proc/self"));
    assert!(uid == 0, "the end-to-end CNI test needs root");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_netplugin-cni"))
        .parent()
        .unwrap()
        .to_path_buf();
    let tag = format!("c{}", std::process::id());
    let mut cmd = Command::new("bash");
    cmd.arg(root.join("scripts/demo.sh"))
        .current_dir(&root)
        .env("DEMO_TAG", &tag)
        .env("DEMO_CNI", "1");
    if ["netmaster", "netctl", "netplugin"]
        .iter()
        .all(|b| bin.join(b).is_file())
    {
        cmd.env("NETPLUGIN_BIN_DIR", &bin);
    } else {
        cmd.env_remove("NETPLUGIN_BIN_DIR");
    }
    let out = cmd.output().expect("running scripts/demo.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "demo.sh (CNI) exited with {}\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
    for c in 1..=4 {
        let line = stdout
            .lines()
            .find(|l| l.contains(&format!("CNI ADD myContainer{c}:")))
            .expect("an ADD result");
        let result: Value = serde_json::from_str(line.split_once(": ").unwrap().1).unwrap();
        assert_eq!(result["cniVersion"], "1.0.0");
        assert_eq!(result["interfaces"][1]["name"], "eth0");
        assert!(result["interfaces"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("vnp"));
        assert!(result["ips"][0]["address"]
            .as_str()
            .unwrap()
            .starts_with("11.1."));
        // netmaster's DNS address (the demo sets it) is the name server.
        assert_eq!(
            result["dns"]["nameservers"],
            json!(["169.254.0.53"]),
            "{result}"
        );
        assert!(stdout.contains(&format!("CNI CHECK myContainer{c}: ok")));
    }
    assert!(stdout.contains("DEMO PASSED"));
}
