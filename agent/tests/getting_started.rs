//! The original netplugin's getting started, exactly as its README printed it (`bin/netmaster
//! &`, `bin/netplugin -host-label host1 &`, `netdcli -cfg examples/one_host_multiple_nets.json`),
//! on a namespace-emulated host with its own Open vSwitch: `tests/getting-started.sh` runs the
//! commands with no other flag, plugs four containers in and prints the ping matrix, which is
//! checked here. Needs root and Open vSwitch, like the other end-to-end tests.

#[path = "one_host/mod.rs"]
mod one_host;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory of the workspace's binaries, built here when this package alone was.
fn bin_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_netplugin"))
        .parent()
        .expect("the binary's directory")
        .to_path_buf();
    let bins = ["netmaster", "netctl", "netdcli"];
    if !bins.iter().all(|b| dir.join(b).is_file()) {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "-q",
                "-p",
                "netmaster",
                "-p",
                "northbound-client",
                "--bins",
            ])
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .status()
            .expect("cargo build");
        assert!(status.success(), "building netmaster and netdcli failed");
    }
    dir
}

#[test]
fn the_original_getting_started_runs_as_printed() {
    let uid =
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").expect("/proc/self"));
    assert!(
        uid == 0,
        "this test needs root (network namespaces, Open vSwitch)"
    );
    let tag = std::process::id().to_string();
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/getting-started.sh"))
        .env("NETPLUGIN_BIN_DIR", bin_dir())
        .env("GS_TAG", &tag)
        .output()
        .expect("running tests/getting-started.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!(
        "getting-started.sh exited with {}\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "getting-started.sh failed");
    for command in [
        "$ sudo bin/netmaster &",
        "$ sudo bin/netplugin -host-label host1 &",
        "$ netdcli -cfg examples/one_host_multiple_nets.json",
        "desired state applied",
        "br-int's controller (chosen by the agent): tcp:127.0.0.1:6653",
    ] {
        assert!(stdout.contains(command), "missing: {command}");
    }
    // Contiv's inspect of a network, with what the agent reported: both containers on host1.
    let inspect = stdout
        .split_once("netctl version)\n")
        .and_then(|(_, rest)| rest.split_once("== end of inspect"))
        .expect("the script prints the inspection")
        .0;
    let inspect: serde_json::Value = serde_json::from_str(inspect).expect("inspect is JSON");
    assert_eq!(inspect["Config"]["key"], "default:orange");
    let oper = &inspect["Oper"];
    assert_eq!(oper["numEndpoints"], 2, "{oper}");
    assert_eq!(oper["allocatedIPAddresses"], "11.1.0.1-11.1.0.2", "{oper}");
    for e in oper["endpoints"].as_array().expect("endpoints") {
        assert_eq!(e["homingHost"], "host1", "{e}");
        assert!(e["ofport"].as_u64().is_some(), "{e}");
    }
    assert!(
        stdout.contains("Server Version:\nVersion: "),
        "netctl version"
    );
    let matrix = stdout
        .split_once("== ping matrix")
        .expect("the script prints the ping matrix")
        .1;
    one_host::assert_matrix(matrix, "getting started");
    assert!(stdout.contains("GETTING STARTED DONE"));
    one_host::assert_no_namespace_left(&format!("npgs{tag}"));
}
