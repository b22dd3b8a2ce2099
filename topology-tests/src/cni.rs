//! A real CNI runtime for the tests: `topology-tests/cni-runner`, built on libcni (Debian's
//! golang-github-appc-cni-dev, the library of containerd, CRI-O and podman), run inside an
//! emulated host's namespace as a kubelet's runtime runs on a host.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built runner.
pub struct CniRunner {
    path: PathBuf,
}

impl CniRunner {
    /// Builds the runner with Debian's Go and libcni sources into `dir` (a test's
    /// `CARGO_TARGET_TMPDIR`); panics when Go is missing or the build fails.
    pub fn build(dir: &Path) -> CniRunner {
        crate::cmd::require_tools(&["go"]);
        let dir = dir.join("cni-runner");
        let path = dir.join("cni-runner");
        let source = crate::fabric::repo_root().join("topology-tests/cni-runner/main.go");
        let built = Command::new("go")
            .args(["build", "-o"])
            .arg(&path)
            .arg(&source)
            .env("GOPATH", "/usr/share/gocode")
            .env("GO111MODULE", "off")
            .env("GOCACHE", dir.join("cache"))
            .env("GOFLAGS", "")
            .output()
            .expect("running go build");
        assert!(
            built.status.success(),
            "building the CNI runner: {}",
            String::from_utf8_lossy(&built.stderr)
        );
        CniRunner { path }
    }

    /// `cni-runner COMMAND ARGS` (`add|check|del CONFLIST CONTAINERID NETNS IFNAME`) in host
    /// namespace `ns`, with `env` (`CNI_PATH`, `CNI_CACHE_DIR`, `CAP_ARGS`) added.
    pub fn run(&self, ns: &str, command: &str, env: &[(&str, String)], args: &[&str]) -> Output {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns])
            .arg(&self.path)
            .arg(command)
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("running the CNI runner")
    }
}

/// A pod for the runner: network namespace `<prefix>-pod` with its loopback up, deleted with
/// the fabric; its name.
pub fn pod_namespace(f: &mut crate::Fabric) -> String {
    let pod = format!("{}-pod", f.prefix);
    crate::cmd::output(&["ip", "netns", "add", &pod]);
    f.track_namespaces(vec![pod.clone()]);
    crate::cmd::in_ns(&pod, &["ip", "link", "set", "lo", "up"]);
    pod
}

/// `<the fabric's directory>/cni`, with netplugin's plugin in its `bin/` (for `CNI_PATH`).
pub fn plugin_dir(f: &crate::Fabric) -> PathBuf {
    let dir = f.dir().join("cni");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("the CNI plugin directory");
    std::os::unix::fs::symlink(&f.bins.netplugin_cni, bin.join("netplugin-cni"))
        .expect("netplugin's CNI plugin");
    dir
}

/// A command's stdout and stderr, for a failure message.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
