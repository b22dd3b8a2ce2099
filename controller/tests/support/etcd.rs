//! A three-member etcd cluster on loopback for tests (Debian's etcd-server): free ports, its
//! own data directories, each member stopped by its PID (SIGKILL) when dropped; optionally in
//! a network namespace (the topology tests' controller namespace, which includes this file),
//! optionally with TLS on its client URLs.

// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// One member.
struct Member {
    child: Option<Child>,
    name: String,
    client: String,
    args: Vec<String>,
}

/// TLS on the members' client URLs, with client certificates required.
#[derive(Clone, Debug)]
pub struct ClientTls {
    /// The CA that signs the members' certificate and their clients' (PEM).
    pub ca: PathBuf,
    /// The members' certificate (for 127.0.0.1; etcdctl's too) and its key.
    pub cert: PathBuf,
    /// Its key.
    pub key: PathBuf,
}

/// A running cluster.
pub struct EtcdCluster {
    members: Vec<Member>,
    /// The network namespace the members run in (`None`: this one).
    ns: Option<String>,
    tls: Option<ClientTls>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl EtcdCluster {
    /// Starts three members with their data under `dir`, and waits until the cluster has a
    /// leader and takes writes.
    pub fn start(dir: &Path) -> EtcdCluster {
        EtcdCluster::start_in(dir, None)
    }

    /// The same, in network namespace `ns` (its loopback, which must be up; a new namespace
    /// has every port free).
    pub fn start_in(dir: &Path, ns: Option<&str>) -> EtcdCluster {
        EtcdCluster::start_with(dir, ns, None)
    }

    /// The same, with TLS on the client URLs (`https://`) and client certificates required.
    pub fn start_tls(dir: &Path, tls: ClientTls) -> EtcdCluster {
        EtcdCluster::start_with(dir, None, Some(tls))
    }

    fn start_with(dir: &Path, ns: Option<&str>, tls: Option<ClientTls>) -> EtcdCluster {
        std::fs::create_dir_all(dir).expect("etcd's directory");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
        let cluster: Vec<String> = ports
            .iter()
            .enumerate()
            .map(|(i, (_, peer))| format!("e{i}=http://127.0.0.1:{peer}"))
            .collect();
        let mut members = Vec::new();
        for (i, (client, peer)) in ports.iter().enumerate() {
            let name = format!("e{i}");
            let client = format!("127.0.0.1:{client}");
            let mut args = vec![
                format!("--name={name}"),
                format!("--data-dir={}", dir.join(&name).display()),
                format!("--listen-client-urls={scheme}://{client}"),
                format!("--advertise-client-urls={scheme}://{client}"),
                format!("--listen-peer-urls=http://127.0.0.1:{peer}"),
                format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer}"),
                format!("--initial-cluster={}", cluster.join(",")),
                "--initial-cluster-state=new".into(),
                "--initial-cluster-token=netmaster-test".into(),
                // netmaster writes an intent file's objects in one transaction.
                "--max-txn-ops=100000".into(),
                "--pre-vote".into(),
                "--logger=zap".into(),
                format!(
                    "--log-outputs={}",
                    dir.join(format!("{name}.log")).display()
                ),
            ];
            if let Some(tls) = &tls {
                args.extend([
                    format!("--cert-file={}", tls.cert.display()),
                    format!("--key-file={}", tls.key.display()),
                    format!("--trusted-ca-file={}", tls.ca.display()),
                    "--client-cert-auth".into(),
                ]);
            }
            members.push(Member {
                child: None,
                name,
                client,
                args,
            });
        }
        let mut c = EtcdCluster {
            members,
            ns: ns.map(str::to_string),
            tls,
        };
        for i in 0..3 {
            c.start_member(i);
        }
        c.wait_healthy();
        c
    }

    /// `program`, run in the cluster's namespace.
    fn command(&self, program: &str) -> Command {
        match &self.ns {
            None => Command::new(program),
            Some(ns) => {
                let mut c = Command::new("ip");
                // `ip netns exec` execs the program: the child's PID is the program's.
                c.args(["netns", "exec", ns, program]);
                c
            }
        }
    }

    fn start_member(&mut self, i: usize) {
        let mut cmd = self.command("etcd");
        let m = &mut self.members[i];
        let child = cmd
            .args(&m.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd (Debian's etcd-server; the set-up installs it)");
        m.child = Some(child);
    }

    /// Waits until a write through every running member succeeds.
    pub fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        for m in self.members.iter().filter(|m| m.child.is_some()) {
            loop {
                let ok = self
                    .etcdctl_at(&m.client, &["put", "health-probe", &m.name])
                    .status
                    .success();
                if ok {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "etcd member {} never took a write",
                    m.name
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// `etcdctl ARGS` (API v3, over TLS with the members' certificate when the cluster has
    /// TLS) against the first running member.
    pub fn etcdctl(&self, args: &[&str]) -> Output {
        let m = self
            .members
            .iter()
            .find(|m| m.child.is_some())
            .expect("a running member");
        self.etcdctl_at(&m.client, args)
    }

    fn etcdctl_at(&self, client: &str, args: &[&str]) -> Output {
        let mut cmd = self.command("etcdctl");
        cmd.env("ETCDCTL_API", "3");
        match &self.tls {
            None => cmd.arg(format!("--endpoints=http://{client}")),
            Some(tls) => cmd
                .arg(format!("--endpoints=https://{client}"))
                .arg(format!("--cacert={}", tls.ca.display()))
                .arg(format!("--cert={}", tls.cert.display()))
                .arg(format!("--key={}", tls.key.display())),
        };
        cmd.args(args)
            .stdin(Stdio::null())
            .output()
            .expect("etcdctl (Debian's etcd-client; the set-up installs it)")
    }

    /// `etcd://` and every member's client address, for `--store`.
    pub fn store_url(&self) -> String {
        let members: Vec<&str> = self.members.iter().map(|m| m.client.as_str()).collect();
        format!("etcd://{}", members.join(","))
    }

    /// SIGKILLs member `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.members[i].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGKILLs every member.
    pub fn kill_all(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }

    /// Starts every member that is not running again (same data).
    pub fn restart_stopped(&mut self) {
        for i in 0..self.members.len() {
            if self.members[i].child.is_none() {
                self.start_member(i);
            }
        }
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        self.kill_all();
    }
}
