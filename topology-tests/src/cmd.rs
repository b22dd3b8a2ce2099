//! Running commands: output captured, failures turned into panics that show the command and
//! its stderr (the harness is test code: a failed set-up step must stop the test loudly).

use std::process::{Command, Output};

/// Runs `args` and returns its stdout; panics (with stderr) when it fails.
pub fn run(args: &[&str]) -> String {
    let out = output(args);
    assert!(
        out.status.success(),
        "`{}` failed ({}): {}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `args`; its output whatever the exit status (panics only if it cannot start).
pub fn output(args: &[&str]) -> Output {
    Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", args.join(" ")))
}

/// Runs `args` inside network namespace `ns` and returns its stdout; panics when it fails.
pub fn in_ns(ns: &str, args: &[&str]) -> String {
    let mut all = vec!["ip", "netns", "exec", ns];
    all.extend_from_slice(args);
    run(&all)
}

/// Whether a command succeeds (its output is discarded).
pub fn ok(args: &[&str]) -> bool {
    output(args).status.success()
}

/// Panics unless every tool in `tools` is on `PATH` (install them with
/// `scripts/setup-debian.sh`); never skips.
pub fn require_tools(tools: &[&str]) {
    let missing: Vec<&&str> = tools
        .iter()
        .filter(|t| !ok(&["sh", "-c", &format!("command -v {t}")]))
        .collect();
    assert!(
        missing.is_empty(),
        "missing tools {missing:?}: run scripts/setup-debian.sh (as root)"
    );
}

/// Panics unless the test runs as root (namespaces, Open vSwitch).
pub fn require_root() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "topology tests need root (network namespaces, Open vSwitch)"
    );
}

/// The last `n` lines of the file at `path` (empty if it cannot be read).
pub fn tail(path: &std::path::Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
