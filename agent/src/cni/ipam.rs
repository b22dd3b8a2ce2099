//! IPAM delegation: the network configuration's `ipam` section names a CNI IPAM plugin
//! (`host-local`, `static`, `dhcp`, any other). `netplugin-cni` runs it exactly as the CNI spec
//! says: the executable of that name in the first `CNI_PATH` directory that has it, the same
//! environment (with `CNI_COMMAND` the operation's), the same network configuration on stdin;
//! its result (or its error) is read from stdout. Its IPv4 address becomes the endpoint's.

use super::protocol::{code, ErrorReply};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long an IPAM plugin may run (DHCP may wait for a lease).
const TIMEOUT: Duration = Duration::from_secs(60);
/// The largest answer read from an IPAM plugin.
const MAX_OUTPUT: u64 = 1 << 20;
/// The environment variables of the CNI protocol, passed on as the runtime gave them.
const CNI_VARS: [&str; 5] = [
    "CNI_CONTAINERID",
    "CNI_NETNS",
    "CNI_IFNAME",
    "CNI_ARGS",
    "CNI_PATH",
];

fn err(c: u32, msg: &str, details: impl Into<String>) -> ErrorReply {
    ErrorReply::new(c, msg, details)
}

/// The executable `plugin` in the first directory of `cni_path` (`:`-separated) that has it.
pub fn find(plugin: &str, cni_path: &str) -> Result<PathBuf, ErrorReply> {
    if plugin.is_empty() || plugin.contains('/') {
        return Err(err(
            code::INVALID_CONFIG,
            "invalid network configuration",
            format!("ipam type {plugin:?} is not a plugin name"),
        ));
    }
    cni_path
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(plugin))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            err(
                code::INVALID_CONFIG,
                "IPAM plugin not found",
                format!("no {plugin} in CNI_PATH {cni_path:?}"),
            )
        })
}

/// Runs IPAM plugin `path` for `command` with the runtime's environment (`env`) and network
/// configuration (`stdin`); its result (`null` when it printed nothing, as for DEL), or its
/// error as it reported it.
pub fn run(
    path: &Path,
    command: &str,
    env: &dyn Fn(&str) -> Option<String>,
    stdin: &[u8],
) -> Result<Value, ErrorReply> {
    let failed = |e: std::io::Error| {
        err(
            code::IO_FAILURE,
            "running the IPAM plugin",
            format!("{}: {e}", path.display()),
        )
    };
    let mut cmd = Command::new(path);
    cmd.env("CNI_COMMAND", command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for var in CNI_VARS {
        if let Some(v) = env(var) {
            cmd.env(var, v);
        }
    }
    let mut child = cmd.spawn().map_err(failed)?;
    // A plugin may answer without reading its configuration (a DEL with nothing to free):
    // its exit status and output decide, not the pipe it closed.
    match child.stdin.take().expect("piped stdin").write_all(stdin) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(failed(e)),
        _ => {}
    }
    let mut out = Vec::new();
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let _ = (&mut stdout).take(MAX_OUTPUT).read_to_end(&mut out);
        out
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(failed)? {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(err(
                code::TRY_AGAIN,
                "the IPAM plugin timed out",
                format!("{} {command}: no answer in {TIMEOUT:?}", path.display()),
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = reader.join().unwrap_or_default();
    let answer: Value = if out.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(&out).map_err(|e| {
            err(
                code::DECODE_FAILURE,
                "bad answer from the IPAM plugin",
                format!("{} {command}: {e}", path.display()),
            )
        })?
    };
    if status.success() {
        return Ok(answer);
    }
    // Its error, as the spec's error JSON.
    let field = |k: &str| answer.get(k).and_then(Value::as_str).unwrap_or_default();
    Err(ErrorReply::new(
        answer
            .get("code")
            .and_then(Value::as_u64)
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(code::INTERNAL),
        format!("IPAM plugin: {}", field("msg")),
        field("details"),
    ))
}

/// The first IPv4 address (`a.b.c.d/len`) of an IPAM result.
pub fn ipv4_address(result: &Value) -> Result<String, ErrorReply> {
    result
        .get("ips")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|ip| ip.get("address")?.as_str())
        .find(|a| {
            a.split_once('/')
                .is_some_and(|(ip, _)| ip.parse::<std::net::Ipv4Addr>().is_ok())
        })
        .map(str::to_string)
        .ok_or_else(|| {
            err(
                code::INVALID_ENDPOINT,
                "the IPAM plugin gave no IPv4 address",
                result.to_string(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Held by each test that writes and runs fake plugins, so that they do not run each
    /// other's half-made plugins.
    static PLUGINS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// A fake IPAM plugin: a shell script in a fresh directory. The executable is written by
    /// `install`, not by this process: a file this process has open for writing is inherited
    /// by any child another test forks meanwhile, and running it then fails with "Text file
    /// busy" (CI saw it).
    fn plugin(name: &str, script: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("ipam-test-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = dir.join(format!("{name}.sh"));
        std::fs::write(&source, format!("#!/bin/sh\n{script}\n")).unwrap();
        let path = dir.join(name);
        let installed = Command::new("install")
            .args(["-m", "0755"])
            .arg(&source)
            .arg(&path)
            .status()
            .unwrap();
        assert!(
            installed.success(),
            "install {}: {installed}",
            path.display()
        );
        (dir, path)
    }

    #[test]
    fn the_plugin_is_found_in_cni_path_and_gets_the_command_environment_and_stdin() {
        let _one_at_a_time = PLUGINS.lock().unwrap_or_else(|e| e.into_inner());
        let (dir, _) = plugin(
            "echo-ipam",
            r#"read conf; printf '{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.5/24"}],"env":"%s %s %s","conf":%s}' "$CNI_COMMAND" "$CNI_CONTAINERID" "$CNI_IFNAME" "$conf""#,
        );
        let path = format!("/nonexistent:{}", dir.display());
        let found = find("echo-ipam", &path).unwrap();
        let env = |k: &str| match k {
            "CNI_CONTAINERID" => Some("c1".to_string()),
            "CNI_IFNAME" => Some("eth0".to_string()),
            _ => None,
        };
        let conf = br#"{"name":"n"}"#;
        let r = run(&found, "ADD", &env, &[conf.as_slice(), b"\n"].concat()).unwrap();
        assert_eq!(r["env"], "ADD c1 eth0");
        assert_eq!(r["conf"], json!({"name": "n"}));
        assert_eq!(ipv4_address(&r).unwrap(), "10.0.0.5/24");
        assert!(find("missing", &path).is_err());
        assert!(find("../echo-ipam", &path).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_ipam_error_is_passed_on_with_its_code() {
        let _one_at_a_time = PLUGINS.lock().unwrap_or_else(|e| e.into_inner());
        let (dir, path) = plugin(
            "failing-ipam",
            r#"echo '{"cniVersion":"1.0.0","code":11,"msg":"no addresses left","details":"range full"}'; exit 1"#,
        );
        let e = run(&path, "ADD", &|_| None, b"{}").unwrap_err();
        assert_eq!(e.code, 11, "{e:?}");
        assert_eq!(e.msg, "IPAM plugin: no addresses left");
        assert_eq!(e.details, "range full");
        // It closes its stdin unread before it exits: the write meets a broken pipe.
        let (dir2, quiet) = plugin("quiet-ipam", "exec 0<&-; sleep 0.2; exit 0");
        assert_eq!(run(&quiet, "DEL", &|_| None, b"{}").unwrap(), Value::Null);
        let _ = std::fs::remove_dir_all(dir);
        let _ = std::fs::remove_dir_all(dir2);
    }

    #[test]
    fn a_result_without_an_ipv4_address_is_refused() {
        let v6 = json!({"ips": [{"address": "fd00::5/64"}]});
        assert!(ipv4_address(&v6).is_err());
        assert!(ipv4_address(&json!({})).is_err());
        let both = json!({"ips": [{"address": "fd00::5/64"}, {"address": "10.1.2.3/16"}]});
        assert_eq!(ipv4_address(&both).unwrap(), "10.1.2.3/16");
    }
}
