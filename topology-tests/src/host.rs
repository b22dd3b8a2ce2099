//! One emulated host: a network namespace with its own ovsdb-server and ovs-vswitchd
//! (userspace datapath), the underlay bridge `br-phy` holding the VTEP address, a VLAN trunk
//! `eth2`, a management interface to netmaster, and the netplugin agent.

use crate::binaries::Binaries;
use crate::cmd::{in_ns, run};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The controller namespace's management address (netmaster listens there).
pub const MGMT_CONTROLLER: Ipv4Addr = Ipv4Addr::new(10, 254, 0, 254);
/// netmaster's OpenFlow port.
pub const OF_PORT: u16 = 6653;
/// netmaster's REST port.
pub const API_PORT: u16 = 9999;
/// MTU of the underlay (and of the VLAN trunks).
pub const UNDERLAY_MTU: u32 = 1500;

/// What a host is wired to.
#[derive(Debug, Clone)]
pub struct Wiring {
    /// Run prefix.
    pub prefix: String,
    /// The controller namespace (management bridge `mgmt`).
    pub ctl_ns: String,
    /// The fabric namespace (bridges `ulbr` and `vlbr`).
    pub fab_ns: String,
    /// The run directory.
    pub dir: PathBuf,
    /// The API tokens.
    pub tokens: crate::tokens::Tokens,
    /// The certificates, when switches reach netmaster over TLS.
    pub pki: Option<crate::pki::Pki>,
    /// The Docker daemon the agents watch (`--docker`), if any.
    pub docker: Option<String>,
    /// Every agent serves Docker's network and IPAM driver (`--docker-plugin`).
    pub docker_driver: bool,
    /// netmaster replicas (1: a single netmaster): replica `i` serves its API on
    /// `API_PORT + i` and OpenFlow on `OF_PORT + i`.
    pub replicas: u8,
}

impl Wiring {
    /// The API URL of replica `i`.
    pub fn api_url(&self, i: u8) -> String {
        format!("http://{MGMT_CONTROLLER}:{}", API_PORT + u16::from(i))
    }

    /// Every replica's API URL, comma-separated (the agents' `--netmaster`).
    pub fn netmaster_urls(&self) -> String {
        (0..self.replicas.max(1))
            .map(|i| self.api_url(i))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Every replica's controller target, comma-separated (the agents' `--controller`).
    pub fn controllers(&self) -> String {
        let scheme = if self.pki.is_some() { "ssl" } else { "tcp" };
        (0..self.replicas.max(1))
            .map(|i| format!("{scheme}:{MGMT_CONTROLLER}:{}", OF_PORT + u16::from(i)))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Where Docker finds plugins' sockets (the driver's name is its socket's).
const DOCKER_PLUGINS: &str = "/run/docker/plugins";

/// A running emulated host.
pub struct Host {
    /// Its name in intent (`host1`).
    pub name: String,
    /// Its number (management address 10.254.0.N, datapath id N).
    pub n: u8,
    /// Its network namespace.
    pub ns: String,
    /// Its run directory (OVS databases, sockets, logs).
    pub dir: PathBuf,
    /// Its VTEP address.
    pub vtep: Ipv4Addr,
    /// The file of its agent's API token.
    pub token_file: PathBuf,
    /// Its bridge's controller targets (`tcp:` or `ssl:`), comma-separated.
    controller: String,
    /// netmaster's API URLs, comma-separated.
    netmaster: String,
    /// The agent's TLS options (its certificate), when the controller is `ssl:`.
    tls_args: Vec<String>,
    agent: Option<Child>,
    /// The agent's `--docker`, if any.
    docker: Option<String>,
    /// The agent's Docker driver: its socket and the admin token file it creates networks
    /// with.
    driver: Option<(PathBuf, PathBuf)>,
    running: bool,
}

impl Host {
    /// Creates host `name` number `n` with VTEP `vtep`, wired as `w` says, and starts its
    /// Open vSwitch and agent.
    pub fn start(w: &Wiring, bins: &Binaries, name: &str, n: u8, vtep: Ipv4Addr) -> Host {
        let ns = format!("{}-h{n}", w.prefix);
        let dir = w.dir.join(format!("h{n}"));
        let mut host = Host {
            name: name.to_string(),
            n,
            ns,
            dir,
            vtep,
            token_file: w.tokens.agent_file(name),
            controller: w.controllers(),
            netmaster: w.netmaster_urls(),
            tls_args: w
                .pki
                .as_ref()
                .map(|p| p.agent_args(name))
                .unwrap_or_default(),
            agent: None,
            docker: w.docker.clone(),
            driver: w.docker_driver.then(|| {
                (
                    Path::new(DOCKER_PLUGINS).join(format!("{}-{name}.sock", w.prefix)),
                    w.tokens.admin_file(),
                )
            }),
            running: false,
        };
        host.boot(w, bins);
        host
    }

    /// The name of its agent's Docker driver (the name of the driver's socket), if it serves
    /// one.
    pub fn docker_driver(&self) -> Option<String> {
        let (socket, _) = self.driver.as_ref()?;
        Some(socket.file_stem()?.to_string_lossy().into_owned())
    }

    /// The OVSDB socket.
    pub fn db_sock(&self) -> PathBuf {
        self.dir.join("db.sock")
    }

    /// The datapath id of its integration bridge.
    pub fn dpid(&self) -> u64 {
        u64::from(self.n)
    }

    /// Whether it is running.
    pub fn is_running(&self) -> bool {
        self.running
    }

    fn boot(&mut self, w: &Wiring, bins: &Binaries) {
        let (ns, n) = (self.ns.clone(), self.n);
        std::fs::create_dir_all(&self.dir).expect("host directory");
        run(&["ip", "netns", "add", &ns]);
        self.running = true;
        in_ns(&ns, &["ip", "link", "set", "lo", "up"]);
        // Management: mgmt0 here, m<N> on the controller's bridge.
        let m = format!("m{n}");
        run(&[
            "ip", "link", "add", "mgmt0", "netns", &ns, "type", "veth", "peer", "name", &m,
            "netns", &w.ctl_ns,
        ]);
        in_ns(
            &w.ctl_ns,
            &["ip", "link", "set", &m, "master", "mgmt", "up"],
        );
        in_ns(
            &ns,
            &[
                "ip",
                "addr",
                "add",
                &format!("10.254.0.{n}/24"),
                "dev",
                "mgmt0",
            ],
        );
        in_ns(&ns, &["ip", "link", "set", "mgmt0", "up"]);
        // Underlay and VLAN trunk to the fabric namespace.
        for (here, there) in [("eth-ul", format!("u{n}")), ("eth2", format!("v{n}"))] {
            run(&[
                "ip",
                "link",
                "add",
                here,
                "netns",
                &ns,
                "mtu",
                &UNDERLAY_MTU.to_string(),
                "type",
                "veth",
                "peer",
                "name",
                &there,
                "netns",
                &w.fab_ns,
                "mtu",
                &UNDERLAY_MTU.to_string(),
            ]);
            in_ns(&ns, &["ip", "link", "set", here, "up"]);
        }
        in_ns(
            &w.fab_ns,
            &[
                "ip",
                "link",
                "set",
                &format!("u{n}"),
                "master",
                "ulbr",
                "up",
            ],
        );
        // The VLAN switch's trunk port towards this host.
        let trunk = format!("v{n}");
        in_ns(&w.fab_ns, &["ip", "link", "set", &trunk, "up"]);
        crate::ovs::vsctl(
            &w.dir.join("fab"),
            &["--may-exist", "add-port", "vlbr", &trunk],
        );
        crate::ovs::start(&ns, &self.dir);
        crate::ovs::vsctl(
            &self.dir,
            &[
                "add-br",
                "br-phy",
                "--",
                "set",
                "bridge",
                "br-phy",
                "datapath_type=netdev",
                &format!("other-config:hwaddr=02:ff:00:00:00:{n:02x}"),
                "--",
                "add-port",
                "br-phy",
                "eth-ul",
            ],
        );
        in_ns(
            &ns,
            &[
                "ip",
                "addr",
                "add",
                &format!("{}/24", self.vtep),
                "dev",
                "br-phy",
            ],
        );
        in_ns(&ns, &["ip", "link", "set", "br-phy", "up"]);
        // The underlay route as a user route of Open vSwitch's own routing table, as its
        // userspace-tunneling guide sets it up: the routes it learns from the kernel are
        // flushed and dumped again whenever a link of the host changes (a container's veth
        // comes or goes); a user route stays through that.
        // (Open vSwitch refuses it until it has seen br-phy's new address.)
        let [a, b, c, _] = self.vtep.octets();
        let ctl = self.dir.join("ovs-vswitchd.ctl").display().to_string();
        let prefix = format!("{a}.{b}.{c}.0/24");
        let route = ["ovs-appctl", "-t", &ctl, "ovs/route/add", &prefix, "br-phy"];
        let start = Instant::now();
        while !crate::cmd::ok(&route) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{}: `{}` keeps failing",
                self.name,
                route.join(" ")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.start_agent(bins);
    }

    /// Starts the agent (its log goes on in the same file).
    pub fn start_agent(&mut self, bins: &Binaries) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("netplugin.log"))
            .expect("agent log");
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .arg(&bins.netplugin)
            .args(["--host-label", &self.name, "--netmaster", &self.netmaster])
            .arg("--token-file")
            .arg(&self.token_file)
            .arg(format!("--ovsdb=unix:{}", self.db_sock().display()))
            .args(["--bridge", "br-int", "--controller", &self.controller])
            .args(&self.tls_args)
            .args(["--vtep-ip", &self.vtep.to_string()])
            .args(["--datapath", "netdev", "--dpid", &self.n.to_string()])
            .args(["--poll-s", "0.2", "--keepalive-s", "1"])
            .arg(format!(
                "--vswitchd-ctl={}",
                self.dir.join("ovs-vswitchd.ctl").display()
            ))
            .arg(format!(
                "--cni-socket={}",
                self.dir.join("cni.sock").display()
            ))
            .args(self.docker.iter().flat_map(|d| ["--docker", d.as_str()]))
            .args(self.driver.iter().flat_map(|(socket, admin)| {
                [
                    format!("--docker-plugin={}", socket.display()),
                    format!(
                        "--docker-driver-state={}",
                        self.dir.join("docker-driver.json").display()
                    ),
                    format!("--docker-network-token-file={}", admin.display()),
                ]
            }))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting netplugin");
        self.agent = Some(child);
    }

    /// Kills the agent (SIGKILL, as a crash would); Open vSwitch, the bridge and the
    /// containers' ports stay. [`Host::start_agent`] starts it again.
    pub fn stop_agent(&mut self) {
        if let Some(mut agent) = self.agent.take() {
            let _ = agent.kill();
            let _ = agent.wait();
        }
    }

    /// Plugs container `container` of `tenant` (its namespace `netns`) in with
    /// `netplugin attach`, as a runtime without CNI does.
    pub fn attach(&self, bins: &Binaries, tenant: &str, container: &str, netns: &str) {
        self.attach_cmd(bins, "attach", tenant, container, netns);
    }

    /// Unplugs it with `netplugin detach`.
    pub fn detach(&self, bins: &Binaries, tenant: &str, container: &str, netns: &str) {
        self.attach_cmd(bins, "detach", tenant, container, netns);
    }

    fn attach_cmd(&self, bins: &Binaries, verb: &str, tenant: &str, container: &str, netns: &str) {
        let args = [
            bins.netplugin.display().to_string(),
            verb.to_string(),
            format!("--container={container}"),
            format!("--tenant={tenant}"),
            format!("--netns=/var/run/netns/{netns}"),
            format!("--netmaster={}", self.netmaster),
            format!("--token-file={}", self.token_file.display()),
            format!("--ovsdb=unix:{}", self.db_sock().display()),
            "--bridge=br-int".to_string(),
            format!("--host-label={}", self.name),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        in_ns(&self.ns, &args);
    }

    /// `ovs-ofctl -O OpenFlow13 COMMAND br-int ARGS...` on this host (through the bridge's
    /// management socket in the host's run directory).
    pub fn ofctl(&self, command: &str, args: &[&str]) -> String {
        let sock = format!("unix:{}/br-int.mgmt", self.dir.display());
        let mut a = vec!["ovs-ofctl", "-O", "OpenFlow13", command, &sock];
        a.extend_from_slice(args);
        run(&a)
    }

    /// `ovs-appctl ARGS` to this host's ovs-vswitchd.
    pub fn appctl(&self, args: &[&str]) -> String {
        let ctl = self.dir.join("ovs-vswitchd.ctl").display().to_string();
        let mut a = vec!["ovs-appctl", "-t", &ctl];
        a.extend_from_slice(args);
        run(&a)
    }

    /// What Open vSwitch does with a packet (`ofproto/trace br-int FLOW`): its last line,
    /// `Datapath actions: ...`.
    pub fn trace(&self, flow: &str) -> String {
        let out = self.appctl(&["ofproto/trace", "br-int", flow]);
        out.lines()
            .rev()
            .find(|l| l.starts_with("Datapath actions:"))
            .unwrap_or_else(|| {
                panic!(
                    "{}: no datapath actions in the trace of {flow}:\n{out}",
                    self.name
                )
            })
            .to_string()
    }

    /// `ovs-vsctl ARGS` on this host's database.
    pub fn vsctl(&self, args: &[&str]) -> String {
        crate::ovs::vsctl(&self.dir, args)
    }

    /// Waits until `check` holds (polling), or panics naming `what` after `timeout`.
    pub fn wait_until(&self, what: &str, timeout: Duration, mut check: impl FnMut(&Host) -> bool) {
        let start = Instant::now();
        while !check(self) {
            assert!(
                start.elapsed() < timeout,
                "{}: timed out after {timeout:?} waiting for {what}\n{}",
                self.name,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last lines of the agent's log.
    pub fn log_tail(&self) -> String {
        crate::cmd::tail(&self.dir.join("netplugin.log"), 15)
    }

    /// Stops the host as if it vanished: agent and Open vSwitch killed (SIGKILL), its
    /// namespace deleted (which deletes its ends of every veth).
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        if let Some(mut agent) = self.agent.take() {
            let _ = agent.kill();
            let _ = agent.wait();
        }
        crate::ovs::stop(&self.dir);
        let _ = crate::cmd::output(&["ip", "netns", "del", &self.ns]);
        if let Some((socket, _)) = &self.driver {
            let _ = std::fs::remove_file(socket);
            // The agent made the directory; it goes when no other plugin is left in it.
            let _ = std::fs::remove_dir(DOCKER_PLUGINS);
        }
        self.running = false;
    }

    /// Starts a stopped host again, from scratch (new namespace, new Open vSwitch databases,
    /// new agent), as a rebooted machine does.
    pub fn restart(&mut self, w: &Wiring, bins: &Binaries) {
        assert!(!self.running, "{} is running", self.name);
        self.boot(w, bins);
        // Containers are plugged into br-int, which the new agent creates.
        let db = format!("--db=unix:{}", self.db_sock().display());
        let start = Instant::now();
        while !crate::cmd::ok(&["ovs-vsctl", &db, "br-exists", "br-int"]) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{}'s agent never created br-int",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop();
    }
}

/// netmaster's REST base URL (reachable from the hosts' and the controller's namespaces).
pub fn api_url() -> String {
    format!("http://{MGMT_CONTROLLER}:{API_PORT}")
}
