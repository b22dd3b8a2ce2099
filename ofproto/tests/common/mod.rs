//! Helpers shared by the tests that use Open vSwitch's `ovs-ofctl` as the reference peer.
//!
//! `ovs-ofctl` must be installed: a missing binary is a test failure, never a silent skip.

#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// How long one `ovs-ofctl` run may take before it is killed.
pub const OVS_TIMEOUT: Duration = Duration::from_secs(10);

/// Path of `ovs-ofctl` (from `$OVS_OFCTL` or `$PATH`); panics with a clear message when missing.
pub fn ovs_ofctl() -> PathBuf {
    static PATH: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PATH.get_or_init(|| {
        let candidates: Vec<PathBuf> = match std::env::var_os("OVS_OFCTL") {
            Some(p) => vec![PathBuf::from(p)],
            None => std::env::var_os("PATH")
                .map(|p| {
                    std::env::split_paths(&p)
                        .map(|d| d.join("ovs-ofctl"))
                        .collect()
                })
                .unwrap_or_default(),
        };
        let path = candidates
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| {
                "ovs-ofctl (Open vSwitch) is required by this test but was not found in $PATH \
             (or $OVS_OFCTL); install openvswitch-common"
                    .to_string()
            })?;
        let out = Command::new(&path)
            .arg("--version")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
        if !out.status.success() {
            return Err(format!("{} --version failed", path.display()));
        }
        Ok(path)
    });
    match found {
        Ok(p) => p.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// Result of one `ovs-ofctl` run.
#[derive(Debug)]
pub struct Run {
    /// The command line, for messages.
    pub cmdline: String,
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Panics with both outputs unless the command exited with status 0.
    pub fn assert_ok(&self) -> &Self {
        assert!(
            self.status.success(),
            "`{}` failed with {}\n--- stdout\n{}\n--- stderr\n{}",
            self.cmdline,
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Runs `ovs-ofctl ARGS` with `stdin` as its input. The child is killed (by its PID, through
/// `Child::kill`) if it runs longer than [`OVS_TIMEOUT`]; that is a panic.
pub fn run_ovs_ofctl(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let cmdline = format!("ovs-ofctl {}", args.join(" "));
    let mut child = Command::new(ovs_ofctl())
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn `{cmdline}`: {e}"));
    if let Some(data) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        let data = data.to_vec();
        thread::spawn(move || {
            use std::io::Write;
            let _ = pipe.write_all(&data);
        });
    }
    let mut out_pipe = child.stdout.take().expect("stdout pipe");
    let mut err_pipe = child.stderr.take().expect("stderr pipe");
    let out_t = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_t = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + OVS_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let pid = child.id();
                let _ = child.kill();
                let _ = child.wait();
                let stdout =
                    String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
                let stderr =
                    String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
                panic!(
                    "`{cmdline}` (pid {pid}) did not finish within {OVS_TIMEOUT:?}; killed it\n\
                     --- stdout\n{stdout}\n--- stderr\n{stderr}"
                );
            }
            Err(e) => panic!("waiting for `{cmdline}`: {e}"),
        }
    };
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
    Run {
        cmdline,
        status,
        stdout,
        stderr,
    }
}

/// Lower-case hex without separators.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What in `ovs-ofctl ofp-print` output says that it could not decode a message: its ways of
/// saying so (case-sensitive) and its warning and error log lines; for a message that is not
/// itself an error (`is_error` false), any error name too. Markers that a part of `allow`
/// contains are expected.
pub fn decode_problems(text: &str, is_error: bool, allow: &[&str]) -> Vec<String> {
    let mut markers = vec![
        "***",
        "decode error",
        "bad length",
        "(***truncated",
        "only uses",
        "too short",
        "Bad OpenFlow version",
        "unknown",
        "|WARN|",
        "|ERR|",
    ];
    if !is_error {
        markers.extend([
            "error", "OFPERR", "OFPBRC_", "OFPBAC_", "OFPBIC_", "OFPBMC_", "OFPFMFC_", "OFPGMFC_",
            "OFPMMFC_", "OFPPMFC_", "OFPTMFC_",
        ]);
    }
    markers
        .into_iter()
        .filter(|mk| text.contains(mk) && !allow.iter().any(|a| a.contains(mk)))
        .map(|mk| format!("output contains failure marker {mk:?}"))
        .collect()
}
