//! A private Open vSwitch (ovsdb-server + ovs-vswitchd, userspace datapath) in a network
//! namespace, with its database, sockets, pid files and logs in one directory.

use crate::cmd::run;
use std::path::Path;
use std::time::{Duration, Instant};

/// Starts ovsdb-server and ovs-vswitchd in namespace `ns` with everything in `dir` (created
/// if needed); returns once both run (they detach; their PIDs are in `dir/*.pid`).
pub fn start(ns: &str, dir: &Path) {
    std::fs::create_dir_all(dir).expect("OVS directory");
    let d = dir.display().to_string();
    let conf = format!("{d}/conf.db");
    let _ = std::fs::remove_file(&conf);
    run(&[
        "ovsdb-tool",
        "create",
        &conf,
        "/usr/share/openvswitch/vswitch.ovsschema",
    ]);
    let env = [
        format!("OVS_RUNDIR={d}"),
        format!("OVS_DBDIR={d}"),
        format!("OVS_LOGDIR={d}"),
    ];
    let prefix: Vec<&str> = ["ip", "netns", "exec", ns, "env"]
        .into_iter()
        .chain(env.iter().map(String::as_str))
        .collect();
    let server = [
        "ovsdb-server".to_string(),
        conf.clone(),
        format!("--remote=punix:{d}/db.sock"),
        format!("--pidfile={d}/ovsdb-server.pid"),
        format!("--unixctl={d}/ovsdb-server.ctl"),
        format!("--log-file={d}/ovsdb-server.log"),
        "--detach".into(),
        "--no-chdir".into(),
        "-vconsole:emer".into(),
    ];
    let mut a = prefix.clone();
    a.extend(server.iter().map(String::as_str));
    run(&a);
    run(&[
        "ovs-vsctl",
        &format!("--db=unix:{d}/db.sock"),
        "--no-wait",
        "init",
    ]);
    start_vswitchd(ns, dir);
}

/// Starts ovs-vswitchd of the instance in `dir` (in namespace `ns`) on its existing database.
pub fn start_vswitchd(ns: &str, dir: &Path) {
    let d = dir.display().to_string();
    let env = [
        format!("OVS_RUNDIR={d}"),
        format!("OVS_DBDIR={d}"),
        format!("OVS_LOGDIR={d}"),
    ];
    let switchd = [
        "ovs-vswitchd".to_string(),
        format!("unix:{d}/db.sock"),
        format!("--pidfile={d}/ovs-vswitchd.pid"),
        format!("--unixctl={d}/ovs-vswitchd.ctl"),
        format!("--log-file={d}/ovs-vswitchd.log"),
        "--detach".into(),
        "--no-chdir".into(),
        "-vconsole:emer".into(),
    ];
    let args: Vec<&str> = ["ip", "netns", "exec", ns, "env"]
        .into_iter()
        .chain(env.iter().map(String::as_str))
        .chain(switchd.iter().map(String::as_str))
        .collect();
    run(&args);
}

/// Restarts ovs-vswitchd of the instance in `dir`: it comes back with the bridges and ports of
/// its database and no flows (the userspace datapath keeps none).
pub fn restart_vswitchd(ns: &str, dir: &Path) {
    kill_pidfile(&dir.join("ovs-vswitchd.pid"));
    start_vswitchd(ns, dir);
}

/// How many flows the switch behind management socket `mgmt` (`unix:PATH`) holds, asked over
/// an OpenFlow connection of its own (`ovs-ofctl dump-aggregate`); `None` while it does not
/// answer (e.g. restarting).
pub fn flow_count(mgmt: &str) -> Option<u64> {
    let out = crate::cmd::output(&["ovs-ofctl", "-O", "OpenFlow13", "dump-aggregate", mgmt]);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find_map(|w| w.strip_prefix("flow_count="))
        .and_then(|n| n.parse().ok())
}

/// Kills both daemons started by [`start`] in `dir`.
pub fn stop(dir: &Path) {
    for daemon in ["ovs-vswitchd", "ovsdb-server"] {
        kill_pidfile(&dir.join(format!("{daemon}.pid")));
    }
}

/// `ovs-vsctl ARGS` on the database in `dir` (waiting for ovs-vswitchd to apply it).
pub fn vsctl(dir: &Path, args: &[&str]) -> String {
    let db = format!("--db=unix:{}/db.sock", dir.display());
    let mut a = vec!["ovs-vsctl", &db, "--timeout=20"];
    a.extend_from_slice(args);
    run(&a)
}

/// Kills (SIGKILL) the process whose PID is in `pidfile`, if any, and waits until it is gone
/// (or a zombie, which PID 1 reaps later).
pub fn kill_pidfile(pidfile: &Path) {
    let Ok(text) = std::fs::read_to_string(pidfile) else {
        return;
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return;
    };
    let pid = nix::unistd::Pid::from_raw(pid);
    if nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).is_err() {
        return;
    }
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie.
        if stat.is_empty() || stat.split(") ").nth(1).is_some_and(|s| s.starts_with('Z')) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
