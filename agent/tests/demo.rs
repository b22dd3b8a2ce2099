//! The demo end to end: runs `scripts/demo.sh` (private Open vSwitch in its own namespace,
//! netmaster, the netplugin daemon watching a private Docker daemon, `netctl -cfg
//! examples/one_host_multiple_nets.json`, four containers started with `docker run`, the ping
//! matrix, `docker exec` pings by address and by name) and checks its exit status and the
//! matrix it prints; once more with bare namespaces plugged in by `netplugin attach`
//! (`DEMO_RUNTIME=netns`). Needs root, Open vSwitch and Docker, like the other end-to-end tests.
//!
//! Every name is unique to this run (`DEMO_TAG`), and the script removes everything it created
//! on exit (its own trap), so the test can run beside other tests. `DEMO_RESTARTS=1` adds the
//! restart phase (agent and netmaster SIGKILLed and started again under a continuous ping).

#[path = "one_host/mod.rs"]
mod one_host;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Where cargo put this package's binary; netmaster and netctl are in the same directory when
/// the whole workspace was built (`cargo test --workspace`).
fn bin_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_BIN_EXE_netplugin"))
        .parent()?
        .to_path_buf();
    ["netmaster", "netctl"]
        .iter()
        .all(|b| dir.join(b).is_file())
        .then_some(dir)
}

/// Runs `scripts/demo.sh` with a tag unique to this run and `env`; asserts it passed, that the
/// matrices printed under `matrix_headers` are the expected ones and that nothing is left behind.
/// Returns the script's stdout.
fn run_demo(tag_prefix: &str, env: &[(&str, &str)], matrix_headers: &[&str]) -> String {
    let uid =
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").expect("/proc/self"));
    assert!(
        uid == 0,
        "the demo test needs root (network namespaces, Open vSwitch)"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tag = format!("{tag_prefix}{}", std::process::id());
    let mut cmd = Command::new("bash");
    cmd.arg(root.join("scripts/demo.sh"))
        .current_dir(&root)
        .env("DEMO_TAG", &tag)
        .envs(env.iter().copied());
    match bin_dir() {
        Some(dir) => cmd.env("NETPLUGIN_BIN_DIR", dir),
        // Only this package was built: the script builds the other binaries itself.
        None => cmd.env_remove("NETPLUGIN_BIN_DIR"),
    };
    let started = Instant::now();
    let out = cmd.output().expect("running scripts/demo.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "demo.sh ({env:?}) exited with {} after {:.1?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status,
        started.elapsed()
    );
    assert!(out.status.success(), "demo.sh failed: {}", out.status);
    for header in matrix_headers {
        let matrix = stdout
            .split_once(&format!("== {header} ("))
            .unwrap_or_else(|| panic!("the demo prints \"{header}\""))
            .1;
        one_host::assert_matrix(matrix, header);
    }
    assert!(stdout.contains("DEMO PASSED"));
    // Nothing of this run is left behind.
    one_host::assert_no_namespace_left(&tag);
    stdout
}

#[test]
fn demo_same_network_pings_other_networks_isolated() {
    let out = run_demo("t", &[], &["ping matrix"]);
    for expected in [
        "docker run -d --name=myContainer1",
        "myContainer1 -> myContainer2 (myContainer2): ok",
        "myContainer1 -> myContainer3 (myContainer3): --",
        "nslookup myContainer3: 11.1.",
    ] {
        assert!(out.contains(expected), "missing from the demo: {expected}");
    }
}

/// `DEMO_RUNTIME=netns`: the same with bare namespaces and `netplugin attach|detach`, for
/// machines without Docker.
#[test]
fn demo_with_bare_namespaces() {
    run_demo("n", &[("DEMO_RUNTIME", "netns")], &["ping matrix"]);
}

/// `DEMO_RESTARTS=1`: the agent daemon is SIGKILLed and started again under a continuous ping
/// (no packet lost), removing the orphan veth and the stale port planted while it was down;
/// then netmaster is SIGKILLed and started again under another continuous ping (no packet
/// lost: it reloads intent and host reports and finds the switch in sync); the ports are
/// untouched and the matrix still holds.
#[test]
fn demo_agent_and_netmaster_restarts_lose_no_packet() {
    let out = run_demo(
        "r",
        &[("DEMO_RESTARTS", "1")],
        &["ping matrix", "ping matrix after the restarts"],
    );
    for expected in [
        "ping across the agent restart lost no packet",
        "ping across the netmaster restart lost no packet",
        "removed orphan veth (no port on the bridge) veth=vnporphan0",
        "removed stale endpoint port (its veth is gone) port=vnpstale0",
        "endpoint ports untouched",
    ] {
        assert!(out.contains(expected), "missing from the demo: {expected}");
    }
}
