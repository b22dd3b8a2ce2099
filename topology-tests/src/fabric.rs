//! The whole emulated cluster: netmaster in its namespace, the fabric (underlay and VLAN
//! switch), the hosts and the containers. Dropping it tears everything down.

use crate::binaries::{self, Binaries};
use crate::cmd::{in_ns, output, run};
use crate::host::{api_url, Host, Wiring, API_PORT, MGMT_CONTROLLER, OF_PORT};
use crate::netns::run_in;
use crate::pki::Pki;
use crate::tokens::Tokens;
use northbound_client::audit::Audit;
use northbound_client::client::Client;
use northbound_client::token::BearerToken;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How to build a fabric.
#[derive(Debug, Clone)]
pub struct FabricConfig {
    /// Hosts: intent name and VTEP address, numbered 1.. in this order.
    pub hosts: Vec<(String, Ipv4Addr)>,
    /// netmaster's `--host-timeout-s`.
    pub host_timeout_s: f64,
    /// A deliberate compiler fault (`NETMASTER_FAULT`, honoured by debug builds only), to
    /// prove that a test fails when the compiler is wrong.
    pub fault: Option<&'static str>,
    /// Switches reach netmaster over mutual TLS with `ovs-pki` certificates.
    pub tls: bool,
    /// The Docker daemon every agent watches (`--docker`).
    pub docker: Option<String>,
    /// Every agent serves Docker's network and IPAM driver.
    pub docker_driver: bool,
    /// netmaster replicas: 1 is a single netmaster on a redb file; more run on a
    /// three-member etcd cluster in the controller namespace.
    pub replicas: u8,
}

impl FabricConfig {
    /// `n` hosts `host1..hostN` with VTEPs 192.168.2.10.. (the examples' addresses).
    pub fn hosts(n: u8) -> FabricConfig {
        FabricConfig {
            hosts: (1..=n)
                .map(|i| (format!("host{i}"), Ipv4Addr::new(192, 168, 2, 9 + i)))
                .collect(),
            host_timeout_s: 3.0,
            fault: None,
            tls: false,
            docker: None,
            docker_driver: false,
            replicas: replicas_from_env(),
        }
    }

    /// The same, with `n` netmaster replicas on etcd (every switch connects to each, every
    /// agent knows each).
    pub fn with_replicas(self, n: u8) -> FabricConfig {
        FabricConfig {
            replicas: n,
            ..self
        }
    }

    /// The same, with every agent watching the Docker daemon at `endpoint`.
    pub fn with_docker(self, endpoint: String) -> FabricConfig {
        FabricConfig {
            docker: Some(endpoint),
            ..self
        }
    }

    /// The same, with every agent serving Docker's network and IPAM driver on
    /// `/run/docker/plugins/<run prefix>-<host>.sock` ([`Host::docker_driver`] names it), able to
    /// create networks in netmaster (with the admin token).
    pub fn with_docker_driver(self) -> FabricConfig {
        FabricConfig {
            docker_driver: true,
            ..self
        }
    }

    /// The same, with OpenFlow over mutual TLS (certificates named after the hosts).
    pub fn over_tls(self) -> FabricConfig {
        FabricConfig { tls: true, ..self }
    }

    /// The same, with netmaster's compiler deliberately wrong in the way `fault` names.
    pub fn with_fault(self, fault: Option<&'static str>) -> FabricConfig {
        FabricConfig { fault, ..self }
    }
}

/// The environment variable that runs every fabric with that many netmaster replicas on etcd
/// (CI runs the examples and policy suites so); unset: one netmaster on a redb file.
pub const REPLICAS_ENV: &str = "NETPLUGIN_TEST_REPLICAS";

fn replicas_from_env() -> u8 {
    match std::env::var(REPLICAS_ENV) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{REPLICAS_ENV}={v}: not a number of replicas")),
        Err(_) => 1,
    }
}

/// A container: a network namespace plugged into a host.
#[derive(Debug, Clone)]
pub struct Container {
    /// Its tenant.
    pub tenant: String,
    /// The host it is plugged into.
    pub host: String,
    /// Its network namespace.
    pub ns: String,
}

/// The running cluster.
pub struct Fabric {
    /// Names of this run start with it.
    pub prefix: String,
    /// The binaries.
    pub bins: &'static Binaries,
    /// What hosts are wired to.
    pub wiring: Wiring,
    /// The hosts by intent name.
    pub hosts: BTreeMap<String, Host>,
    /// The containers by name.
    pub containers: BTreeMap<String, Container>,
    /// The netmaster processes, by replica number (`None`: killed).
    netmasters: Vec<Option<Child>>,
    /// The etcd cluster of the replicas.
    etcd: Option<crate::etcd::EtcdCluster>,
    host_timeout_s: f64,
    fault: Option<&'static str>,
    namespaces: Vec<String>,
    started: Instant,
}

static RUNS: AtomicU32 = AtomicU32::new(0);

impl Fabric {
    /// Builds the controller and fabric namespaces, starts netmaster and every host (in
    /// parallel) with its agent, and waits until every host's switch is connected.
    pub fn new(cfg: &FabricConfig) -> Fabric {
        crate::cmd::require_root();
        crate::cmd::require_tools(&[
            "ip",
            "bridge",
            "ovs-vsctl",
            "ovs-vswitchd",
            "ovsdb-server",
            "ovs-ofctl",
            "ping",
            "tcpdump",
            "iperf3",
        ]);
        let bins = binaries::get();
        let run_no = RUNS.fetch_add(1, Ordering::Relaxed);
        let prefix = format!("tt{:x}x{run_no}", std::process::id());
        let dir = std::env::temp_dir().join("topology-tests").join(&prefix);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("run directory");
        let tokens = Tokens::create(&dir, cfg.hosts.iter().map(|(name, _)| name.as_str()));
        let pki = cfg
            .tls
            .then(|| Pki::create(&dir, cfg.hosts.iter().map(|(name, _)| name.as_str())));
        let wiring = Wiring {
            prefix: prefix.clone(),
            ctl_ns: format!("{prefix}-ctl"),
            fab_ns: format!("{prefix}-fab"),
            dir,
            tokens,
            pki,
            docker: cfg.docker.clone(),
            docker_driver: cfg.docker_driver,
            replicas: cfg.replicas.max(1),
        };
        let mut fabric = Fabric {
            prefix,
            bins,
            wiring: wiring.clone(),
            hosts: BTreeMap::new(),
            containers: BTreeMap::new(),
            netmasters: Vec::new(),
            etcd: None,
            namespaces: Vec::new(),
            started: Instant::now(),
            host_timeout_s: cfg.host_timeout_s,
            fault: cfg.fault,
        };
        // The controller namespace with the management bridge.
        fabric.add_ns(&wiring.ctl_ns);
        let ctl = wiring.ctl_ns.as_str();
        in_ns(ctl, &["ip", "link", "add", "mgmt", "type", "bridge"]);
        in_ns(
            ctl,
            &[
                "ip",
                "addr",
                "add",
                &format!("{MGMT_CONTROLLER}/24"),
                "dev",
                "mgmt",
            ],
        );
        in_ns(ctl, &["ip", "link", "set", "mgmt", "up"]);
        // The fabric: the underlay bridge and the VLAN switch.
        fabric.add_ns(&wiring.fab_ns);
        let fab = wiring.fab_ns.as_str();
        in_ns(fab, &["ip", "link", "add", "ulbr", "type", "bridge"]);
        in_ns(fab, &["ip", "link", "set", "ulbr", "up"]);
        let fab_dir = wiring.dir.join("fab");
        crate::ovs::start(fab, &fab_dir);
        crate::ovs::vsctl(
            &fab_dir,
            &[
                "add-br",
                "vlbr",
                "--",
                "set",
                "bridge",
                "vlbr",
                "datapath_type=netdev",
                "fail_mode=standalone",
            ],
        );
        if wiring.replicas > 1 {
            fabric.etcd = Some(crate::etcd::EtcdCluster::start_in(
                &wiring.dir.join("etcd"),
                Some(&wiring.ctl_ns),
            ));
        }
        fabric.start_netmaster(cfg.host_timeout_s);
        let hosts: Vec<Host> = std::thread::scope(|s| {
            let handles: Vec<_> = cfg
                .hosts
                .iter()
                .enumerate()
                .map(|(i, (name, vtep))| {
                    let w = &wiring;
                    s.spawn(move || Host::start(w, bins, name, i as u8 + 1, *vtep))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for h in hosts {
            fabric.hosts.insert(h.name.clone(), h);
        }
        // Every bridge's session is up (netmaster logs it at once; Open vSwitch's own
        // `is_connected` column is refreshed only every few seconds).
        let start = Instant::now();
        let dpids: Vec<String> = fabric
            .hosts
            .values()
            .map(|h| format!("{:016x}", h.dpid()))
            .collect();
        loop {
            let connected: std::collections::BTreeSet<String> = fabric
                .netmaster_events(0)
                .into_iter()
                .filter(|e| e["message"] == "switch connected")
                .filter_map(|e| e["dpid"].as_str().map(str::to_string))
                .collect();
            if dpids.iter().all(|d| connected.contains(d)) {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "bridges not connected to netmaster after 30 s (have {connected:?})\n{}",
                fabric.netmaster_log_tail(20)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        fabric
    }

    fn add_ns(&mut self, ns: &str) {
        run(&["ip", "netns", "add", ns]);
        self.namespaces.push(ns.to_string());
        in_ns(ns, &["ip", "link", "set", "lo", "up"]);
    }

    /// Starts every netmaster replica (one without replicas) and waits for their APIs.
    fn start_netmaster(&mut self, host_timeout_s: f64) {
        self.host_timeout_s = host_timeout_s;
        for i in 0..self.wiring.replicas {
            self.start_replica(i);
        }
    }

    /// The log file of replica `i` (`netmaster.log` for the first).
    fn replica_log(&self, i: u8) -> PathBuf {
        match i {
            0 => self.wiring.dir.join("netmaster.log"),
            i => self.wiring.dir.join(format!("netmaster-{i}.log")),
        }
    }

    /// Starts replica `i` (again) and waits until its API answers.
    pub fn start_replica(&mut self, i: u8) {
        // Appended to, so that a restarted netmaster's log follows the first one's.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.replica_log(i))
            .expect("log");
        let of_addr = format!("{MGMT_CONTROLLER}:{}", OF_PORT + u16::from(i));
        let store = match &self.etcd {
            Some(etcd) => vec![
                format!("--store={}", etcd.store_url()),
                format!("--etcd-prefix=/{}", self.prefix),
                format!("--advertise-api={}", self.wiring.api_url(i)),
            ],
            None => vec![format!(
                "--store={}",
                self.wiring.dir.join("intent.redb").display()
            )],
        };
        let mut cmd = Command::new("ip");
        if let Some(fault) = self.fault {
            cmd.env("NETMASTER_FAULT", fault);
        }
        let child = cmd
            .args(["netns", "exec", &self.wiring.ctl_ns])
            .arg(&self.bins.netmaster)
            .args(match &self.wiring.pki {
                None => vec![format!("--of-listen={of_addr}")],
                Some(pki) => {
                    let mut a = vec![format!("--of-tls-listen={of_addr}")];
                    a.extend(pki.netmaster_args());
                    a
                }
            })
            .arg(format!(
                "--api-listen={MGMT_CONTROLLER}:{}",
                API_PORT + u16::from(i)
            ))
            .arg("--api-tokens")
            .arg(&self.wiring.tokens.file)
            .args(store)
            .arg(format!("--host-timeout-s={}", self.host_timeout_s))
            .arg("--log-format=json")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting netmaster");
        let slot = usize::from(i);
        if self.netmasters.len() <= slot {
            self.netmasters.resize_with(slot + 1, || None);
        }
        self.netmasters[slot] = Some(child);
        let start = Instant::now();
        let url = self.wiring.api_url(i);
        while self.api_at(&url, |c| c.host_reports()).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "netmaster's API did not come up:\n{}",
                self.netmaster_log_tail(20)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `f` with a REST client of netmaster (the leader, with replicas), from inside the
    /// controller namespace.
    pub fn api<T: Send + 'static>(&self, f: impl FnOnce(&Client) -> T + Send + 'static) -> T {
        self.api_at(&self.leader_url(), f)
    }

    /// Runs `f` with a REST client of the netmaster at `url`, from inside the controller
    /// namespace.
    pub fn api_at<T: Send + 'static>(
        &self,
        url: &str,
        f: impl FnOnce(&Client) -> T + Send + 'static,
    ) -> T {
        let token = BearerToken::new(&self.wiring.tokens.admin).expect("admin token");
        let url = url.to_string();
        run_in(&self.wiring.ctl_ns, move || {
            f(&Client::new(&url).with_token(Some(token)))
        })
    }

    /// The API URL of the replica that leads now, as the running replicas say (waits up to
    /// 10 s for one); a single netmaster's.
    pub fn leader_url(&self) -> String {
        self.leader_replica()
            .map(|i| self.wiring.api_url(i))
            .unwrap_or_else(api_url)
    }

    /// The number of the replica that leads now (waits up to 10 s for one); `None` without
    /// replicas.
    pub fn leader_replica(&self) -> Option<u8> {
        self.etcd.as_ref()?;
        let start = Instant::now();
        loop {
            for i in 0..self.wiring.replicas {
                if self
                    .netmasters
                    .get(usize::from(i))
                    .is_none_or(Option::is_none)
                {
                    continue;
                }
                let leads = self
                    .api_at(&self.wiring.api_url(i), |c| c.info())
                    .is_ok_and(|info| {
                        info.current_state == northbound_client::info::ReplicaState::Leader
                    });
                if leads {
                    return Some(i);
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no netmaster replica leads"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The etcd cluster of the replicas (panics without replicas).
    pub fn etcd(&mut self) -> &mut crate::etcd::EtcdCluster {
        self.etcd.as_mut().expect("a fabric with replicas")
    }

    /// The process id of replica `i`.
    pub fn replica_pid(&self, i: u8) -> u32 {
        self.netmasters
            .get(usize::from(i))
            .and_then(Option::as_ref)
            .expect("the replica runs")
            .id()
    }

    /// SIGKILLs replica `i`.
    pub fn kill_replica(&mut self, i: u8) {
        if let Some(mut nm) = self
            .netmasters
            .get_mut(usize::from(i))
            .and_then(Option::take)
        {
            let _ = nm.kill();
            let _ = nm.wait();
        }
    }

    /// Runs `netctl ARGS` against netmaster (in the controller namespace); its stdout.
    pub fn netctl(&self, args: &[&str]) -> String {
        let netctl = self.bins.netctl.display().to_string();
        let url = format!("--netmaster={}", self.leader_url());
        let token = format!("--token={}", self.wiring.tokens.admin);
        let mut a = vec![netctl.as_str(), url.as_str(), token.as_str()];
        a.extend_from_slice(args);
        in_ns(&self.wiring.ctl_ns, &a)
    }

    /// `netctl -cfg FILE` (a path relative to the repository root).
    pub fn apply_intent(&self, file: &str) {
        let path = repo_root().join(file);
        self.netctl(&["-cfg", &path.display().to_string()]);
    }

    /// The host named `name`.
    pub fn host(&self, name: &str) -> &Host {
        self.hosts
            .get(name)
            .unwrap_or_else(|| panic!("no host {name}"))
    }

    /// Creates container `container` of `tenant` (a namespace) and plugs it into `host` with
    /// `netplugin attach`.
    pub fn attach(&mut self, host: &str, tenant: &str, container: &str) {
        let ns = format!("{}-c-{container}", self.prefix);
        if !self.namespaces.contains(&ns) {
            self.add_ns(&ns);
        }
        self.host(host).attach(self.bins, tenant, container, &ns);
        self.containers.insert(
            container.to_string(),
            Container {
                tenant: tenant.to_string(),
                host: host.to_string(),
                ns,
            },
        );
    }

    /// Counts container `container` of `tenant` on `host`, plugged in by someone else (the
    /// agent's Docker watcher), with its namespace `ns` (deleted on drop), among the
    /// [`Fabric::endpoints`].
    pub fn adopt(&mut self, host: &str, tenant: &str, container: &str, ns: &str) {
        self.namespaces.push(ns.to_string());
        self.containers.insert(
            container.to_string(),
            Container {
                tenant: tenant.to_string(),
                host: host.to_string(),
                ns: ns.to_string(),
            },
        );
    }

    /// Stops counting container `container` (it is gone).
    pub fn forget(&mut self, container: &str) {
        self.containers.remove(container);
    }

    /// Adds namespaces created outside [`Fabric::attach`] to the ones deleted on drop.
    pub fn track_namespaces(&mut self, namespaces: Vec<String>) {
        self.namespaces.extend(namespaces);
    }

    /// Unplugs container `container` with `netplugin detach` (its namespace stays).
    pub fn detach(&mut self, container: &str) {
        let c = self
            .containers
            .remove(container)
            .expect("a known container");
        self.host(&c.host)
            .detach(self.bins, &c.tenant, container, &c.ns);
    }

    /// Stops host `name` as if it vanished ([`Host::stop`]).
    pub fn stop_host(&mut self, name: &str) {
        self.hosts.get_mut(name).expect("a known host").stop();
    }

    /// Starts host `name` again from scratch and plugs its containers in again (what the
    /// container runtime of a rebooted machine does).
    pub fn restart_host(&mut self, name: &str) {
        let (w, bins) = (self.wiring.clone(), self.bins);
        self.hosts
            .get_mut(name)
            .expect("a known host")
            .restart(&w, bins);
        let mine: Vec<(String, Container)> = self
            .containers
            .iter()
            .filter(|(_, c)| c.host == name)
            .map(|(n, c)| (n.clone(), c.clone()))
            .collect();
        for (container, c) in mine {
            self.host(name)
                .attach(self.bins, &c.tenant, &container, &c.ns);
        }
    }

    /// The last `n` lines of netmaster's log.
    pub fn netmaster_log_tail(&self, n: usize) -> String {
        crate::cmd::tail(&self.wiring.dir.join("netmaster.log"), n)
    }

    /// netmaster's log events (JSON lines) from line `from` on.
    pub fn netmaster_events(&self, from: usize) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.wiring.dir.join("netmaster.log"))
            .unwrap_or_default()
            .lines()
            .skip(from)
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// How many lines netmaster has logged so far (a mark for [`Fabric::netmaster_events`]).
    pub fn netmaster_log_len(&self) -> usize {
        std::fs::read_to_string(self.wiring.dir.join("netmaster.log"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    /// Waits until netmaster has compiled every change it knows of and every switch holds
    /// the result (`GET /api/v1/audit/` is settled, at most 60 s); that audit.
    pub fn wait_settled(&self) -> Audit {
        self.wait_audit("netmaster settled", Audit::settled)
    }

    /// Reads netmaster's audit until `done` holds (at most 60 s); that audit.
    pub fn wait_audit(&self, what: &str, done: impl Fn(&Audit) -> bool) -> Audit {
        let start = Instant::now();
        loop {
            match self.api(|c| c.audit()) {
                Ok(a) if done(&a) => return a,
                other => assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "{what}: never happened: {other:#?}\n{}",
                    self.netmaster_log_tail(20)
                ),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The datapath ids (as netmaster logs them) that were sent changes since line `from`.
    pub fn reconciled_since(&self, from: usize) -> std::collections::BTreeSet<String> {
        self.netmaster_events(from)
            .iter()
            .filter(|e| e["message"] == "reconciled")
            .filter_map(|e| e["dpid"].as_str().map(str::to_string))
            .collect()
    }

    /// Kills netmaster (SIGKILL, as a crash would) and starts it again on the same store;
    /// returns once every host's switch has connected to the new process.
    pub fn restart_netmaster(&mut self) {
        let from = self.netmaster_log_len();
        self.kill_replica(0);
        self.start_replica(0);
        let want = self.hosts.len();
        let start = Instant::now();
        loop {
            let connected = self
                .netmaster_events(from)
                .iter()
                .filter(|e| e["message"] == "switch connected")
                .filter_map(|e| e["dpid"].as_str().map(str::to_string))
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            if connected == want {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{connected} of {want} switches reconnected:\n{}",
                self.netmaster_log_tail(20)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// netmaster's process id.
    pub fn netmaster_pid(&self) -> u32 {
        self.netmasters
            .first()
            .and_then(Option::as_ref)
            .expect("netmaster runs")
            .id()
    }

    /// The run directory.
    pub fn dir(&self) -> PathBuf {
        self.wiring.dir.clone()
    }

    /// Time since the fabric was created.
    pub fn age(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for Fabric {
    fn drop(&mut self) {
        // A failed test keeps its logs and run directory for a look; a run with a deliberate
        // compiler fault is expected to fail and keeps nothing.
        let failed = std::thread::panicking() && self.fault.is_none();
        if failed {
            eprintln!("--- netmaster log (tail)\n{}", self.netmaster_log_tail(40));
            for h in self.hosts.values() {
                eprintln!("--- {} agent log (tail)\n{}", h.name, h.log_tail());
            }
        }
        for h in self.hosts.values_mut() {
            h.stop();
        }
        for i in 0..self.wiring.replicas {
            self.kill_replica(i);
        }
        drop(self.etcd.take());
        crate::ovs::stop(&self.wiring.dir.join("fab"));
        for ns in self.namespaces.iter().rev() {
            let _ = output(&["ip", "netns", "del", ns]);
        }
        if !failed {
            let _ = std::fs::remove_dir_all(&self.wiring.dir);
        }
    }
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Fabric {
    /// Applies intent file `file` with `netctl -cfg` and attaches every container it places on
    /// a host (once, with all its interfaces); returns the placed `(container, host, tenant)`
    /// triples.
    pub fn apply_and_attach(&mut self, file: &str) -> Vec<(String, String, String)> {
        self.apply_intent(file);
        let text = std::fs::read_to_string(repo_root().join(file)).expect("intent file");
        let intent = northbound_client::intent_file::parse(&text).expect("a valid intent file");
        let placed: Vec<(String, String, String)> = intent
            .tenants
            .iter()
            .flat_map(|t| {
                t.networks.iter().flat_map(move |n| {
                    n.endpoints.iter().filter_map(move |e| {
                        Some((e.container.clone(), e.host.clone()?, t.name.clone()))
                    })
                })
            })
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        let placed: Vec<(String, String, String)> = placed
            .into_iter()
            .filter(|p| seen.insert(p.clone()))
            .collect();
        for (c, host, tenant) in &placed {
            self.attach(host, tenant, c);
        }
        placed
    }
}
