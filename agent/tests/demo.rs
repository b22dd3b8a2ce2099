//! The demo end to end: runs `scripts/demo.sh` (private Open vSwitch in its own namespace,
//! netmaster, the netplugin daemon, `netctl -cfg examples/one_host_multiple_nets.json`, four
//! containers attached with `netplugin attach`, the ping matrix) and checks its exit status and
//! the matrix it prints. Needs root and Open vSwitch, like the other end-to-end tests.
//!
//! Every name is unique to this run (`DEMO_TAG`), and the script removes everything it created
//! on exit (its own trap), so the test can run beside other tests.

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

#[test]
fn demo_same_network_pings_other_networks_isolated() {
    let uid =
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").expect("/proc/self"));
    assert!(
        uid == 0,
        "the demo test needs root (network namespaces, Open vSwitch)"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tag = format!("t{}", std::process::id());
    let mut cmd = Command::new("bash");
    cmd.arg(root.join("scripts/demo.sh"))
        .current_dir(&root)
        .env("DEMO_TAG", &tag);
    match bin_dir() {
        Some(dir) => cmd.env("NETPLUGIN_BIN_DIR", dir),
        // Only this package was built: the script builds the other binaries itself.
        None => cmd.env_remove("NETPLUGIN_BIN_DIR"),
    };
    let started = Instant::now();
    let out = cmd.output().expect("running scripts/demo.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "demo.sh exited with {} after {:.1?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status,
        started.elapsed()
    );
    assert!(out.status.success(), "demo.sh failed: {}", out.status);
    let expected = [
        ("myContainer1", [".", "ok", "--", "--"]),
        ("myContainer2", ["ok", ".", "--", "--"]),
        ("myContainer3", ["--", "--", ".", "ok"]),
        ("myContainer4", ["--", "--", "ok", "."]),
    ];
    let matrix = stdout
        .split_once("== ping matrix")
        .expect("the demo prints a ping matrix")
        .1;
    for (row, cells) in expected {
        let line = matrix
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("no matrix row for {row}"));
        let got: Vec<&str> = line.split_whitespace().skip(1).collect();
        assert_eq!(got, cells, "matrix row {row}");
    }
    assert!(stdout.contains("DEMO PASSED"));
    // Nothing of this run is left behind.
    let netns = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    let netns = String::from_utf8_lossy(&netns.stdout);
    assert!(
        !netns.lines().any(|l| l.contains(&tag)),
        "namespaces of this run left behind:\n{netns}"
    );
}
