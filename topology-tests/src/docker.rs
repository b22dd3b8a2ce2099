//! A private Docker daemon for the tests: Debian's `dockerd` with its own data, exec root,
//! socket and configuration under a run directory, without iptables rules, a default bridge
//! or IP forwarding (nothing of the machine's networking changes), and an image made locally
//! from Debian's static busybox (`local/busybox`: no registry is reachable). Dropping it
//! removes every container it runs and stops it by PID.

use crate::cmd::{output, require_tools};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Debian's Docker client (`docker.io`), whatever else `PATH` holds.
pub const DOCKER: &str = "/usr/bin/docker";
/// The image every test container runs.
pub const IMAGE: &str = "local/busybox";
/// The busybox applets the image links.
const APPLETS: &[&str] = &[
    "sh", "ip", "ping", "sleep", "cat", "ifconfig", "route", "nslookup", "seq",
];

/// The `ip -4 -o addr` lines inside the network namespace of process `pid` (a container's
/// init process), read from outside.
pub fn addresses(pid: u32) -> String {
    let out = output(&[
        "nsenter",
        "-t",
        &pid.to_string(),
        "-n",
        "ip",
        "-4",
        "-o",
        "addr",
        "show",
    ]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running private `dockerd`.
pub struct Dockerd {
    dir: PathBuf,
    sock: PathBuf,
    child: Option<Child>,
    /// Whether `/run/containerd` was there before (containerd's shims make it).
    had_run_dir: bool,
}

/// The machine-wide directory where containerd's shims keep their sockets.
const CONTAINERD_RUN: &str = "/run/containerd";

impl Dockerd {
    /// Starts a daemon in `dir` (created; a short path: it holds unix sockets) and imports
    /// the busybox image into it.
    pub fn start(dir: &Path) -> Dockerd {
        Dockerd::start_in(dir, None)
    }

    /// The same, with the daemon in network namespace `netns` (an emulated host's, where
    /// that host's agent makes the veths a network driver hands to Docker) when given.
    pub fn start_in(dir: &Path, netns: Option<&str>) -> Dockerd {
        require_tools(&["dockerd", DOCKER, "/bin/busybox", "nsenter"]);
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).expect("dockerd directory");
        let config = dir.join("daemon.json");
        std::fs::write(&config, "{}").expect("dockerd configuration");
        let sock = dir.join("docker.sock");
        let log = std::fs::File::create(dir.join("dockerd.log")).expect("dockerd log");
        let mut command = match netns {
            Some(ns) => {
                let mut c = Command::new("nsenter");
                c.arg(format!("--net=/var/run/netns/{ns}")).arg("dockerd");
                c
            }
            None => Command::new("dockerd"),
        };
        let child = command
            .arg(format!("--data-root={}", dir.join("data").display()))
            .arg(format!("--exec-root={}", dir.join("x").display()))
            .arg(format!("--host=unix://{}", sock.display()))
            .arg(format!("--pidfile={}", dir.join("docker.pid").display()))
            .arg(format!("--config-file={}", config.display()))
            .args([
                "--iptables=false",
                "--ip-forward=false",
                "--ip-masq=false",
                "--bridge=none",
                "--log-level=warn",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dockerd log"))
            .stderr(log)
            .spawn()
            .expect("starting dockerd");
        let d = Dockerd {
            dir: dir.to_path_buf(),
            sock,
            child: Some(child),
            had_run_dir: Path::new(CONTAINERD_RUN).exists(),
        };
        let start = Instant::now();
        while !d.docker(&["version"]).status.success() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "dockerd did not come up:\n{}",
                crate::cmd::tail(&d.dir.join("dockerd.log"), 20)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        d.import_busybox();
        d
    }

    /// The daemon's endpoint, for `netplugin --docker`.
    pub fn endpoint(&self) -> String {
        format!("unix://{}", self.sock.display())
    }

    /// `docker ARGS` against this daemon.
    pub fn docker(&self, args: &[&str]) -> Output {
        Command::new(DOCKER)
            .arg(format!("--host={}", self.endpoint()))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("running docker")
    }

    /// `docker ARGS`, which must succeed; its standard output, trimmed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.docker(args);
        assert!(
            out.status.success(),
            "docker {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn import_busybox(&self) {
        let root = self.dir.join("rootfs");
        std::fs::create_dir_all(root.join("bin")).expect("image root");
        std::fs::copy("/bin/busybox", root.join("bin/busybox")).expect("busybox");
        for applet in APPLETS {
            std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).expect("applet");
        }
        let tar = self.dir.join("rootfs.tar");
        let out = output(&[
            "tar",
            "-C",
            &root.display().to_string(),
            "-cf",
            &tar.display().to_string(),
            ".",
        ]);
        assert!(out.status.success(), "tar of the image root");
        self.ok(&["import", &tar.display().to_string(), IMAGE]);
    }

    /// Starts container `name` (`docker run -d --network=none`, sleeping), with `options`
    /// of `docker run` too; its id.
    pub fn run(&self, name: &str, options: &[&str]) -> String {
        let name = format!("--name={name}");
        let mut args = vec!["run", "-d", &name, "--network=none"];
        args.extend_from_slice(options);
        args.extend([IMAGE, "/bin/sleep", "3600"]);
        self.ok(&args)
    }

    /// Starts container `name` on Docker network `network` (`docker run -d --net=NETWORK`,
    /// sleeping), with `options` of `docker run` too; its id.
    pub fn run_on(&self, network: &str, name: &str, options: &[&str]) -> String {
        let name = format!("--name={name}");
        let net = format!("--net={network}");
        let mut args = vec!["run", "-d", &name, &net];
        args.extend_from_slice(options);
        args.extend([IMAGE, "/bin/sleep", "3600"]);
        self.ok(&args)
    }

    /// The socket of the containerd this daemon runs (`ctr -a`).
    pub fn containerd_socket(&self) -> PathBuf {
        self.dir.join("x/containerd/containerd.sock")
    }

    /// The init process of running container `name`.
    pub fn pid(&self, name: &str) -> u32 {
        self.ok(&["inspect", "-f", "{{.State.Pid}}", name])
            .parse()
            .expect("a pid")
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let ids = self.docker(&["ps", "-aq"]);
        let ids = String::from_utf8_lossy(&ids.stdout).to_string();
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids);
            let _ = self.docker(&args);
        }
        if let Some(mut child) = self.child.take() {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let start = Instant::now();
            while matches!(child.try_wait(), Ok(None)) {
                if start.elapsed() > Duration::from_secs(20) {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if !self.had_run_dir {
            // Only empty directories go: the shims' socket directory and its parent.
            for d in ["s", "runc", "fifo", ""] {
                let _ = std::fs::remove_dir(Path::new(CONTAINERD_RUN).join(d));
            }
        }
    }
}
