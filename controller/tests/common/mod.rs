//! Harness for end-to-end tests against real Open vSwitch: a private `ovsdb-server` +
//! `ovs-vswitchd` in its own network namespace, userspace (`netdev`) bridges, "containers"
//! (network namespaces with a veth into the bridge), an ICMP pinger, and the `netmaster`
//! binary with its JSON log.
//!
//! Everything a test creates carries a unique tag (process id + counter), and everything is torn
//! down by `Drop` (also when the test panics): processes are killed by the PID we started (or
//! that our own pidfile names, checked against its command line), and only namespaces and
//! directories we created are removed. See `/work/shared/notes/multihost-ovs.md` for why each
//! step is needed (private netns for a netdev datapath, `OVS_RUNDIR`, unix controller under the
//! rundir, TX checksum offload on veths).
//!
//! The daemons are started with `ovs-ctl start` run inside the namespace (`ip netns exec NS
//! ovs-ctl start --db-file=... --no-monitor --no-mlockall --system-id=random`, with
//! `OVS_RUNDIR`/`OVS_DBDIR`/`OVS_LOGDIR`/`OVS_SYSCONFDIR` pointing at the private directory),
//! which proved reliable (dozens of parallel instances). Two traps handled here: `--no-monitor`,
//! or the monitor process would restart an ovs-vswitchd a test kills; and after a SIGKILL the
//! daemon stays a zombie until PID 1 reaps it, which `ovs-ctl` (it tests `/proc/PID`) takes for
//! "already running", so the stale pidfile is removed once the process is dead or a zombie.
//!
//! No `ping` or `ethtool` binary is needed: the pinger uses a raw ICMP socket and TX checksum
//! offload is switched off with the SIOCETHTOOL ioctl, both from a thread that entered the
//! container's namespace with `setns`.
//!
//! Shared by `tests/ovs_e2e.rs` and `benches/install_flows.rs` (which includes it with
//! `#[path]`), so not every item is used by every crate.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Write;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// `eprintln!` that never panics (teardown runs while unwinding, perhaps with a closed stderr,
/// and a second panic would abort before the cleanup is done).
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// A tag unique on this machine for the life of this process: `<pid>x<counter>`.
pub fn unique_tag() -> String {
    format!(
        "{}x{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

// ---------------------------------------------------------------------------------------------
// Tools and commands
// ---------------------------------------------------------------------------------------------

const SBIN_DIRS: [&str; 4] = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin"];
const OVS_CTL_CANDIDATES: [&str; 2] = [
    "/usr/share/openvswitch/scripts/ovs-ctl",
    "/usr/local/share/openvswitch/scripts/ovs-ctl",
];

/// Finds an executable in `PATH` or the usual sbin directories.
fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SBIN_DIRS.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The absolute path of a required tool; panics with a clear message when it is missing (these
/// tests never skip).
pub fn tool(name: &str) -> PathBuf {
    find_tool(name).unwrap_or_else(|| {
        panic!(
            "required tool `{name}` not found (PATH and {SBIN_DIRS:?}): the Open vSwitch end-to-end \
             tests need Open vSwitch (ovs-vswitchd, ovsdb-server, ovs-vsctl, ovs-ofctl, ovs-ctl) and \
             iproute2 (`ip`), and must run as root"
        )
    })
}

/// `ovs-ctl`, which Debian and Red Hat install outside `PATH`.
fn ovs_ctl() -> PathBuf {
    find_tool("ovs-ctl")
        .or_else(|| {
            OVS_CTL_CANDIDATES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "`ovs-ctl` not found in PATH nor at {OVS_CTL_CANDIDATES:?}: install Open vSwitch"
            )
        })
}

/// Checks every prerequisite at once, so that a missing tool fails loudly before anything is
/// set up.
pub fn require_prerequisites() {
    for t in [
        "ip",
        "ovs-vswitchd",
        "ovsdb-server",
        "ovsdb-tool",
        "ovs-vsctl",
        "ovs-ofctl",
        "ovs-appctl",
    ] {
        tool(t);
    }
    ovs_ctl();
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the Open vSwitch end-to-end tests create network namespaces and must run as root"
    );
}

/// Runs a command; returns stdout, or stdout+stderr and the exit status as the error.
pub fn try_run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{cmd:?} failed ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Runs a command and returns its stdout; panics when it fails.
pub fn run(cmd: &mut Command) -> String {
    try_run(cmd).unwrap_or_else(|e| panic!("{e}"))
}

/// `ip ARGS`.
pub fn ip(args: &[&str]) -> String {
    run(Command::new(tool("ip")).args(args))
}

/// Polls `f` every 20 ms until it returns `Some` or `timeout` passes (then panics naming `what`).
pub fn wait_until<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// Processes we started (daemons detach, so we know them by their pidfiles)
// ---------------------------------------------------------------------------------------------

/// Whether `pid` is gone or a zombie (a killed daemon stays a zombie until PID 1 reaps it).
fn dead(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state == "Z" || state == "X"),
    }
}

/// The pid in `pidfile` if that process is alive and its command line mentions `marker` (our
/// private directory): never signal a pid that was reused by someone else.
fn our_pid(pidfile: &Path, marker: &str) -> Option<i32> {
    let pid: i32 = fs::read_to_string(pidfile).ok()?.trim().parse().ok()?;
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let cmdline = String::from_utf8_lossy(&cmdline);
    (!dead(pid) && cmdline.contains(marker)).then_some(pid)
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill has no memory-safety preconditions; `pid` is a process we started.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Signals `pid` and waits (bounded) until it is dead; escalates to SIGKILL.
fn terminate(pid: i32, sig: i32, grace: Duration) {
    signal(pid, sig);
    let deadline = Instant::now() + grace;
    while !dead(pid) {
        if Instant::now() >= deadline {
            signal(pid, libc::SIGKILL);
            let hard = Instant::now() + Duration::from_secs(5);
            while !dead(pid) && Instant::now() < hard {
                thread::sleep(Duration::from_millis(10));
            }
            return;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

// ---------------------------------------------------------------------------------------------
// Network namespaces
// ---------------------------------------------------------------------------------------------

/// Runs `f` on a new thread that has entered network namespace `ns` (sockets it creates belong
/// to that namespace). Only that thread changes namespace.
pub fn in_netns<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> JoinHandle<T> {
    let path = format!("/var/run/netns/{ns}");
    thread::spawn(move || {
        let file = File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // SAFETY: setns on a valid namespace fd; it changes only this thread's namespace.
        let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns {path}: {}", std::io::Error::last_os_error());
        f()
    })
}

/// Creates a network namespace with `lo` up. `ip netns add` run concurrently can race on the
/// first mount of `/var/run/netns`, so it is retried a few times.
fn add_netns(ns: &str) {
    let mut last = String::new();
    for _ in 0..5 {
        match try_run(Command::new(tool("ip")).args(["netns", "add", ns])) {
            Ok(_) => {
                ip(&["-n", ns, "link", "set", "lo", "up"]);
                return;
            }
            Err(e) => {
                last = e;
                if Path::new(&format!("/var/run/netns/{ns}")).exists() {
                    let _ = try_run(Command::new(tool("ip")).args(["netns", "del", ns]));
                }
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
    panic!("cannot create network namespace {ns}: {last}");
}

fn del_netns(ns: &str) {
    if !Path::new(&format!("/var/run/netns/{ns}")).exists() {
        return;
    }
    if let Err(e) = try_run(Command::new(tool("ip")).args(["netns", "del", ns])) {
        note!("teardown: {e}");
    }
}

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GTXCSUM: u32 = 0x16;
const ETHTOOL_STXCSUM: u32 = 0x17;

#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    data: *mut EthtoolValue,
    _pad: [u8; 16],
}

/// `ethtool -K IFACE tx off` through the SIOCETHTOOL ioctl, in the calling thread's namespace.
/// Returns the TX checksum state read back (false: off).
fn tx_checksum_off(iface: &str) -> Result<bool, String> {
    let ioctl = |cmd: u32, data: u32| -> Result<u32, String> {
        // SAFETY: a plain datagram socket used only for the ioctl below and closed after it.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
        if fd < 0 {
            return Err(format!("socket: {}", std::io::Error::last_os_error()));
        }
        let mut val = EthtoolValue { cmd, data };
        let mut req = IfReq {
            name: [0; libc::IFNAMSIZ],
            data: &mut val,
            _pad: [0; 16],
        };
        req.name[..iface.len()].copy_from_slice(iface.as_bytes());
        // SAFETY: `req` is a valid ifreq whose data points at `val`, both alive for the call.
        let rc = unsafe { libc::ioctl(fd, SIOCETHTOOL as _, &mut req as *mut IfReq) };
        let err = std::io::Error::last_os_error();
        // SAFETY: fd is ours.
        unsafe { libc::close(fd) };
        if rc < 0 {
            return Err(format!("SIOCETHTOOL {cmd:#x} on {iface}: {err}"));
        }
        Ok(val.data)
    };
    ioctl(ETHTOOL_STXCSUM, 0)?;
    ioctl(ETHTOOL_GTXCSUM, 0).map(|v| v != 0)
}

// ---------------------------------------------------------------------------------------------
// Flow dumps
// ---------------------------------------------------------------------------------------------

/// One line of `ovs-ofctl dump-flows`.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpedFlow {
    /// Cookie.
    pub cookie: u64,
    /// Seconds since the flow was added.
    pub duration: f64,
    /// Table.
    pub table: u8,
    /// Packet counter.
    pub n_packets: u64,
    /// Priority (32768 when `ovs-ofctl` leaves it out).
    pub priority: u16,
    /// The match fields, comma-separated, without `priority=`.
    pub r#match: String,
    /// Everything after `actions=`.
    pub actions: String,
}

impl DumpedFlow {
    /// (table, priority, cookie).
    pub fn key(&self) -> (u8, u16, u64) {
        (self.table, self.priority, self.cookie)
    }

    /// Everything that makes the flow what it is, as `ovs-ofctl` prints it: (table, priority,
    /// cookie, match, actions).
    pub fn content(&self) -> FlowContent {
        (
            self.table,
            self.priority,
            self.cookie,
            self.r#match.clone(),
            self.actions.clone(),
        )
    }
}

/// A flow's (table, priority, cookie, match, actions), as `ovs-ofctl dump-flows` prints them.
pub type FlowContent = (u8, u16, u64, String, String);

fn parse_num<T: std::str::FromStr>(line: &str, what: &str, v: &str) -> T {
    v.parse()
        .unwrap_or_else(|_| panic!("bad {what} {v:?} in dump-flows line {line:?}"))
}

/// Parses `ovs-ofctl dump-flows` output (the reply header and blank lines are skipped).
pub fn parse_dump_flows(text: &str) -> Vec<DumpedFlow> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if !line.starts_with("cookie=") {
            continue;
        }
        let (head, actions) = line
            .split_once(" actions=")
            .unwrap_or_else(|| panic!("no actions in dump-flows line {line:?}"));
        let mut f = DumpedFlow {
            cookie: 0,
            duration: 0.0,
            table: 0,
            n_packets: 0,
            priority: 32768,
            r#match: String::new(),
            actions: actions.to_string(),
        };
        let mut fields = Vec::new();
        for tok in head.split([',', ' ']).filter(|t| !t.is_empty()) {
            let (k, v) = tok.split_once('=').unwrap_or((tok, ""));
            match k {
                "cookie" => {
                    f.cookie = u64::from_str_radix(v.trim_start_matches("0x"), 16)
                        .unwrap_or_else(|_| panic!("bad cookie in {line:?}"))
                }
                "duration" => f.duration = parse_num(line, k, v.trim_end_matches('s')),
                "table" => f.table = parse_num(line, k, v),
                "n_packets" => f.n_packets = parse_num(line, k, v),
                "priority" => f.priority = parse_num(line, k, v),
                "n_bytes" | "idle_age" | "hard_age" | "idle_timeout" | "hard_timeout"
                | "reset_counts" | "send_flow_rem" | "check_overlap" | "no_packet_counts"
                | "no_byte_counts" | "importance" => {}
                _ => fields.push(tok),
            }
        }
        f.r#match = fields.join(",");
        out.push(f);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// A private Open vSwitch
// ---------------------------------------------------------------------------------------------

/// A private Open vSwitch: its own network namespace, run/db/log directory and daemons,
/// started with `ovs-ctl`.
pub struct Ovs {
    /// Unique tag of this instance.
    pub tag: String,
    /// OVS_RUNDIR = OVS_DBDIR = OVS_LOGDIR.
    pub dir: PathBuf,
    /// The namespace the daemons run in.
    pub ns: String,
    ports: AtomicU32,
}

impl Ovs {
    /// Creates the namespace and directory and starts ovsdb-server and ovs-vswitchd.
    pub fn start() -> Ovs {
        require_prerequisites();
        let tag = unique_tag();
        // Short: unix socket paths (dir/<bridge>.mgmt) are limited to 108 bytes.
        let dir = PathBuf::from(format!("/tmp/nme2e-{tag}"));
        if dir.exists() {
            fs::remove_dir_all(&dir).expect("remove stale dir");
        }
        fs::create_dir_all(dir.join("etc/openvswitch")).expect("create ovs dir");
        let ns = format!("nmo{tag}");
        // Built first, so that Drop cleans up whatever the next steps manage to create.
        let ovs = Ovs {
            tag,
            dir,
            ns,
            ports: AtomicU32::new(0),
        };
        add_netns(&ovs.ns);
        ovs.ovs_ctl(&[]);
        ovs.vsctl(&["show"]);
        ovs
    }

    /// A command with this instance's environment (so ovs-ofctl/ovs-appctl find its sockets).
    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(tool(program));
        let d = &self.dir;
        c.env("OVS_RUNDIR", d)
            .env("OVS_DBDIR", d)
            .env("OVS_LOGDIR", d)
            .env("OVS_SYSCONFDIR", d.join("etc"));
        c
    }

    /// `ovs-ctl start` inside our namespace, for both daemons or (with `--no-ovsdb-server`)
    /// only ovs-vswitchd. `--no-monitor` so that a killed daemon stays dead until we start it;
    /// `--no-mlockall` because several instances share the machine.
    fn ovs_ctl(&self, extra: &[&str]) {
        let d = &self.dir;
        let mut c = Command::new(tool("ip"));
        c.args(["netns", "exec", &self.ns])
            .arg(ovs_ctl())
            .arg("start")
            .arg(format!("--db-file={}", d.join("conf.db").display()))
            .args([
                "--no-monitor",
                "--no-mlockall",
                "--system-id=random",
                "--no-record-hostname",
            ])
            .args(extra)
            .env("OVS_RUNDIR", d)
            .env("OVS_DBDIR", d)
            .env("OVS_LOGDIR", d)
            .env("OVS_SYSCONFDIR", d.join("etc"));
        let out = run(&mut c);
        if out.contains("already running") {
            panic!(
                "ovs-ctl found a daemon already running in {}:\n{out}",
                d.display()
            );
        }
    }

    fn marker(&self) -> String {
        self.dir.display().to_string()
    }

    /// PID of our ovs-vswitchd, if it runs.
    pub fn vswitchd_pid(&self) -> Option<i32> {
        our_pid(&self.dir.join("ovs-vswitchd.pid"), &self.marker())
    }

    fn ovsdb_pid(&self) -> Option<i32> {
        our_pid(&self.dir.join("ovsdb-server.pid"), &self.marker())
    }

    /// SIGKILLs ovs-vswitchd (by its PID) and waits until it is dead; the database stays.
    pub fn kill_vswitchd(&self) {
        let pid = self.vswitchd_pid().expect("ovs-vswitchd is not running");
        terminate(pid, libc::SIGKILL, Duration::from_secs(5));
        assert!(dead(pid), "ovs-vswitchd {pid} survived SIGKILL");
        // A zombie keeps /proc/PID, which `ovs-ctl` takes for a running daemon.
        let _ = fs::remove_file(self.dir.join("ovs-vswitchd.pid"));
    }

    /// Starts ovs-vswitchd again on the same database.
    pub fn start_vswitchd(&self) {
        assert!(
            self.vswitchd_pid().is_none(),
            "ovs-vswitchd is already running"
        );
        self.ovs_ctl(&["--no-ovsdb-server"]);
        assert!(self.vswitchd_pid().is_some(), "ovs-vswitchd did not start");
    }

    /// Stops ovs-vswitchd gracefully (SIGTERM).
    pub fn stop_vswitchd(&self) {
        if let Some(pid) = self.vswitchd_pid() {
            terminate(pid, libc::SIGTERM, Duration::from_secs(5));
            let _ = fs::remove_file(self.dir.join("ovs-vswitchd.pid"));
        }
    }

    /// SIGKILL and start again.
    pub fn restart_vswitchd(&self) {
        self.kill_vswitchd();
        self.start_vswitchd();
    }

    /// `ovs-vsctl ARGS` against our database.
    pub fn vsctl(&self, args: &[&str]) -> String {
        let db = format!("--db=unix:{}", self.dir.join("db.sock").display());
        run(self.cmd("ovs-vsctl").arg(db).arg("--timeout=20").args(args))
    }

    /// `ovs-appctl ARGS` to this instance's ovs-vswitchd (found through `OVS_RUNDIR`).
    pub fn appctl(&self, args: &[&str]) -> String {
        run(self.cmd("ovs-appctl").args(args))
    }

    /// `ovs-ofctl -O OpenFlow13 ARGS` (bridge names resolve to our rundir's `.mgmt` sockets).
    pub fn ofctl(&self, args: &[&str]) -> String {
        run(self.cmd("ovs-ofctl").args(["-O", "OpenFlow13"]).args(args))
    }

    /// The unix socket the bridges' controller connects to.
    pub fn ctl_sock(&self) -> PathBuf {
        self.dir.join("ctl.sock")
    }

    /// The controller target of our bridges.
    pub fn ctl_target(&self) -> String {
        format!("unix:{}", self.ctl_sock().display())
    }

    /// Adds a bridge `datapath_type=netdev protocols=OpenFlow13 fail_mode=secure` with datapath
    /// id `dpid`; with `controller`, its controller is [`Ovs::ctl_target`] with a 1 s maximum
    /// reconnect backoff (OVS's default of 8 s would make restart tests slow).
    pub fn add_bridge(&self, name: &str, dpid: u64, controller: bool) {
        let dpid = format!("other-config:datapath-id={dpid:016x}");
        let mut args = vec![
            "--",
            "add-br",
            name,
            "--",
            "set",
            "bridge",
            name,
            "datapath_type=netdev",
            "protocols=OpenFlow13",
            "fail_mode=secure",
            &dpid,
            "other-config:disable-in-band=true",
        ];
        let target = self.ctl_target();
        if controller {
            args.extend(["--", "set-controller", name, &target]);
            args.extend(["--", "set", "controller", name, "max_backoff=1000"]);
        }
        self.vsctl(&args);
        // The bridge's management socket appears once ovs-vswitchd has configured it.
        wait_until(Duration::from_secs(10), "bridge management socket", || {
            self.dir.join(format!("{name}.mgmt")).exists().then_some(())
        });
    }

    /// Points bridge `name` at our controller socket (again).
    pub fn set_controller(&self, name: &str) {
        self.vsctl(&[
            "--",
            "set-controller",
            name,
            &self.ctl_target(),
            "--",
            "set",
            "controller",
            name,
            "max_backoff=1000",
        ]);
    }

    /// Removes bridge `name`'s controller.
    pub fn del_controller(&self, name: &str) {
        self.vsctl(&["del-controller", name]);
    }

    /// Deletes bridge `name` (one we added).
    pub fn del_bridge(&self, name: &str) {
        self.vsctl(&["del-br", name]);
    }

    /// `is_connected` and `role` of bridge `name`'s controller record.
    pub fn controller_status(&self, name: &str) -> (bool, String) {
        let out = self.vsctl(&["get", "controller", name, "is_connected", "role"]);
        let mut lines = out.lines().map(str::trim);
        let connected = lines.next() == Some("true");
        let role = lines.next().unwrap_or("").to_string();
        (connected, role)
    }

    /// `ovs-ofctl dump-flows BRIDGE [MATCH]`, parsed.
    pub fn dump_flows(&self, bridge: &str) -> Vec<DumpedFlow> {
        parse_dump_flows(&self.ofctl(&["dump-flows", bridge]))
    }

    /// `flow_count` of `ovs-ofctl dump-aggregate BRIDGE`.
    pub fn flow_count(&self, bridge: &str) -> u64 {
        let out = self.ofctl(&["dump-aggregate", bridge]);
        out.split_whitespace()
            .find_map(|t| t.strip_prefix("flow_count="))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no flow_count in {out:?}"))
    }

    /// Adds a "container": a namespace whose `eth0` (MAC `02:00:00:00:00:NN`, address `ip/24`,
    /// TX checksum offload off) is a veth into our namespace, attached to `bridge` as OpenFlow
    /// port `ofport`.
    pub fn add_container(&self, bridge: &str, ofport: u32, addr: Ipv4Addr) -> Container {
        let n = self.ports.fetch_add(1, Ordering::Relaxed) + 1;
        let ns = format!("nmc{}c{n}", self.tag);
        let port = format!("vp{n}");
        add_netns(&ns);
        let container = Container {
            ns: ns.clone(),
            ip: addr,
            mac: format!("02:00:00:00:{:02x}:{:02x}", (n >> 8) & 0xff, n & 0xff),
            ofport,
            port: port.clone(),
        };
        ip(&[
            "link", "add", &port, "netns", &self.ns, "type", "veth", "peer", "name", "eth0",
            "netns", &ns,
        ]);
        ip(&["-n", &self.ns, "link", "set", &port, "up"]);
        ip(&["-n", &ns, "link", "set", "eth0", "address", &container.mac]);
        ip(&[
            "-n",
            &ns,
            "addr",
            "add",
            &format!("{addr}/24"),
            "dev",
            "eth0",
        ]);
        ip(&["-n", &ns, "link", "set", "eth0", "up"]);
        let still_on = in_netns(&ns, || tx_checksum_off("eth0"))
            .join()
            .expect("ethtool thread")
            .unwrap_or_else(|e| panic!("turning TX checksum offload off: {e}"));
        assert!(!still_on, "TX checksum offload still on for eth0 in {ns}");
        self.vsctl(&[
            "--",
            "add-port",
            bridge,
            &port,
            "--",
            "set",
            "interface",
            &port,
            &format!("ofport_request={ofport}"),
        ]);
        let got = self.vsctl(&["get", "interface", &port, "ofport"]);
        assert_eq!(got.trim(), ofport.to_string(), "ofport of {port}");
        container
    }

    /// The last lines of ovs-vswitchd's log, for failure reports.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.dir.join("ovs-vswitchd.log"), lines)
    }
}

impl Drop for Ovs {
    fn drop(&mut self) {
        if thread::panicking() {
            note!(
                "--- ovs-vswitchd.log ({}) ---\n{}",
                self.dir.display(),
                self.log_tail(40)
            );
        }
        if let Some(pid) = self.vswitchd_pid() {
            terminate(pid, libc::SIGTERM, Duration::from_secs(3));
        }
        if let Some(pid) = self.ovsdb_pid() {
            terminate(pid, libc::SIGTERM, Duration::from_secs(3));
        }
        del_netns(&self.ns);
        if std::env::var_os("NM_E2E_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A namespace with one veth (`eth0`) attached to a bridge.
pub struct Container {
    /// Namespace name.
    pub ns: String,
    /// IPv4 address (/24).
    pub ip: Ipv4Addr,
    /// MAC address of eth0.
    pub mac: String,
    /// OpenFlow port on the bridge.
    pub ofport: u32,
    /// The veth's name in the switch namespace.
    pub port: String,
}

impl Container {
    /// Starts pinging `dst` every `interval` until [`Ping::stop`].
    pub fn ping(&self, dst: Ipv4Addr, interval: Duration) -> Ping {
        Ping::start(&self.ns, dst, interval)
    }

    /// Pings `dst` until `n` consecutive echo requests are answered or `timeout` passes.
    pub fn ping_ok(&self, dst: Ipv4Addr, n: u32, timeout: Duration) -> Result<(), String> {
        let ns = self.ns.clone();
        in_netns(&ns, move || {
            let mut p = Pinger::new(dst)?;
            let deadline = Instant::now() + timeout;
            let mut streak = 0;
            while Instant::now() < deadline {
                let seq = p.send()?;
                let wait = Instant::now() + Duration::from_millis(200);
                let mut ok = false;
                while Instant::now() < wait {
                    if p.recv()? == Some(seq) {
                        ok = true;
                        break;
                    }
                }
                streak = if ok { streak + 1 } else { 0 };
                if streak >= n {
                    return Ok(());
                }
            }
            Err(format!(
                "no {n} consecutive replies from {dst} within {timeout:?}"
            ))
        })
        .join()
        .expect("ping thread")
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        del_netns(&self.ns);
    }
}

// ---------------------------------------------------------------------------------------------
// ICMP echo ("ping") over a raw socket
// ---------------------------------------------------------------------------------------------

static PING_ID: AtomicU32 = AtomicU32::new(1);

/// An ICMP echo client on a raw socket of the current thread's namespace.
struct Pinger {
    fd: i32,
    dst: Ipv4Addr,
    id: u16,
    seq: u16,
}

impl Pinger {
    fn new(dst: Ipv4Addr) -> Result<Pinger, String> {
        // SAFETY: creating a socket has no preconditions.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP) };
        if fd < 0 {
            return Err(format!("raw socket: {}", std::io::Error::last_os_error()));
        }
        let tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 2_000,
        };
        // SAFETY: `tv` is a valid timeval for SO_RCVTIMEO.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const libc::timeval as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
        let id = (std::process::id() as u16) ^ (PING_ID.fetch_add(1, Ordering::Relaxed) as u16);
        Ok(Pinger {
            fd,
            dst,
            id,
            seq: 0,
        })
    }

    /// Sends the next echo request; returns its sequence number.
    fn send(&mut self) -> Result<u16, String> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let mut pkt = [0u8; 64];
        pkt[0] = 8;
        pkt[4..6].copy_from_slice(&self.id.to_be_bytes());
        pkt[6..8].copy_from_slice(&seq.to_be_bytes());
        for (i, b) in pkt[8..].iter_mut().enumerate() {
            *b = i as u8;
        }
        let sum = netmaster::checksum::checksum(&pkt);
        pkt[2..4].copy_from_slice(&sum.to_be_bytes());
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 0,
            sin_addr: libc::in_addr {
                s_addr: u32::from(self.dst).to_be(),
            },
            sin_zero: [0; 8],
        };
        // SAFETY: valid buffer and address for the duration of the call.
        let rc = unsafe {
            libc::sendto(
                self.fd,
                pkt.as_ptr() as *const libc::c_void,
                pkt.len(),
                0,
                &addr as *const libc::sockaddr_in as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            // No neighbour entry yet, or a full queue: the request counts as sent and lost.
            if !matches!(
                e.raw_os_error(),
                Some(libc::EHOSTUNREACH) | Some(libc::ENOBUFS) | Some(libc::EAGAIN)
            ) {
                return Err(format!("sendto {}: {e}", self.dst));
            }
        }
        Ok(seq)
    }

    /// Waits up to 2 ms for an echo reply of ours; returns its sequence number.
    fn recv(&mut self) -> Result<Option<u16>, String> {
        let mut buf = [0u8; 2048];
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe { libc::recv(self.fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(None),
                _ => Err(format!("recv: {e}")),
            };
        }
        let pkt = &buf[..n as usize];
        let ihl = usize::from(pkt.first().copied().unwrap_or(0) & 0x0f) * 4;
        if pkt.len() < ihl + 8 || pkt[12..16] != self.dst.octets() {
            return Ok(None);
        }
        let icmp = &pkt[ihl..];
        let id = u16::from_be_bytes([icmp[4], icmp[5]]);
        if icmp[0] != 0 || id != self.id {
            return Ok(None);
        }
        Ok(Some(u16::from_be_bytes([icmp[6], icmp[7]])))
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        // SAFETY: the fd is ours.
        unsafe { libc::close(self.fd) };
    }
}

/// The result of a continuous ping.
#[derive(Debug, Clone)]
pub struct PingStats {
    /// Echo requests sent.
    pub sent: u32,
    /// Distinct echo replies received.
    pub received: u32,
    /// Sequence numbers never answered.
    pub lost: Vec<u16>,
    /// Longest round trip seen.
    pub max_rtt: Duration,
}

/// A continuous ping running in a container's namespace.
pub struct Ping {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Result<PingStats, String>>,
}

impl Ping {
    fn start(ns: &str, dst: Ipv4Addr, interval: Duration) -> Ping {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = in_netns(ns, move || {
            let mut p = Pinger::new(dst)?;
            let mut sent_at: Vec<Instant> = Vec::new();
            let mut answered: HashSet<u16> = HashSet::new();
            let mut max_rtt = Duration::ZERO;
            let mut next = Instant::now();
            let mut on_reply = |seq: u16, sent_at: &[Instant], answered: &mut HashSet<u16>| {
                if let Some(t) = sent_at.get(usize::from(seq)) {
                    if answered.insert(seq) {
                        max_rtt = max_rtt.max(t.elapsed());
                    }
                }
            };
            while !flag.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    if sent_at.len() >= usize::from(u16::MAX) {
                        return Err("ping ran too long".into());
                    }
                    p.send()?;
                    sent_at.push(Instant::now());
                    next += interval;
                }
                if let Some(seq) = p.recv()? {
                    on_reply(seq, &sent_at, &mut answered);
                }
            }
            // Give the last requests time to be answered.
            let deadline = Instant::now() + Duration::from_secs(2);
            while answered.len() < sent_at.len() && Instant::now() < deadline {
                if let Some(seq) = p.recv()? {
                    on_reply(seq, &sent_at, &mut answered);
                }
            }
            let lost = (0..sent_at.len() as u16)
                .filter(|s| !answered.contains(s))
                .collect();
            Ok(PingStats {
                sent: sent_at.len() as u32,
                received: answered.len() as u32,
                lost,
                max_rtt,
            })
        });
        Ping { stop, handle }
    }

    /// Stops sending, waits for outstanding replies and returns the statistics.
    pub fn stop(self) -> PingStats {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .join()
            .expect("ping thread panicked")
            .unwrap_or_else(|e| panic!("ping failed: {e}"))
    }
}

// ---------------------------------------------------------------------------------------------
// The netmaster binary
// ---------------------------------------------------------------------------------------------

/// A `netmaster` process serving one [`Ovs`] instance's controller socket, with a JSON log
/// (one file per incarnation) that the test parses.
pub struct Netmaster {
    child: Option<Child>,
    dir: PathBuf,
    socket: PathBuf,
    extra: Vec<String>,
    /// The namespace it runs in (`None`: the test's own).
    netns: Option<String>,
    incarnation: u32,
    /// The current incarnation's log file.
    pub log: PathBuf,
}

impl Netmaster {
    /// Starts netmaster on `ovs`'s controller socket with extra arguments, and waits until it
    /// listens.
    pub fn start(ovs: &Ovs, extra: &[&str]) -> Netmaster {
        Netmaster::start_with(ovs, extra, None)
    }

    /// Like [`Netmaster::start`], but inside `ovs`'s namespace, so that its TCP listeners
    /// share the switch's loopback.
    pub fn start_in_ovs_namespace(ovs: &Ovs, extra: &[&str]) -> Netmaster {
        Netmaster::start_with(ovs, extra, Some(ovs.ns.clone()))
    }

    fn start_with(ovs: &Ovs, extra: &[&str], netns: Option<String>) -> Netmaster {
        let mut nm = Netmaster {
            child: None,
            dir: ovs.dir.clone(),
            socket: ovs.ctl_sock(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            netns,
            incarnation: 0,
            log: PathBuf::new(),
        };
        nm.spawn();
        nm
    }

    fn spawn(&mut self) {
        self.incarnation += 1;
        self.log = self.dir.join(format!("netmaster-{}.log", self.incarnation));
        let log = File::create(&self.log).expect("create netmaster log");
        // (`ip netns exec` execs netmaster: the child's PID is netmaster's.)
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new(tool("ip"));
                c.args(["netns", "exec", ns, env!("CARGO_BIN_EXE_netmaster")]);
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_netmaster")),
        };
        let child = cmd
            .arg("--no-tcp")
            .arg("--of-unix")
            .arg(&self.socket)
            .args(["--log-format", "json"])
            // Any free port: tests run in parallel, and each would take the default 9999.
            .args(["--api-listen", "127.0.0.1:0"])
            .args(&self.extra)
            .env("RUST_LOG", "info,netmaster::reconcile=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn netmaster");
        self.child = Some(child);
        self.wait_event(Duration::from_secs(10), "netmaster listening", |e| {
            msg(e) == "listening for switches"
        });
    }

    /// PID of the running incarnation.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILLs the running incarnation (by PID) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills (if running) and starts a new incarnation with a new log file.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Every JSON line of the current incarnation's log.
    pub fn events(&self) -> Vec<Value> {
        read_events(&self.log)
    }

    /// Waits until the current log has a line matching `pred` and returns it; panics (with the
    /// log) after `timeout` or when netmaster exits.
    pub fn wait_event(
        &mut self,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        self.wait_event_from(0, timeout, what, pred)
    }

    /// [`Netmaster::wait_event`] among the log lines after the first `skip`.
    pub fn wait_event_from(
        &mut self,
        skip: usize,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.events().into_iter().skip(skip).find(|e| pred(e)) {
                return e;
            }
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    panic!(
                        "netmaster exited ({status}) while waiting for {what}; log:\n{}",
                        tail(&self.log, 50)
                    );
                }
            }
            if Instant::now() >= deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; netmaster log:\n{}",
                    tail(&self.log, 50)
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Netmaster {
    fn drop(&mut self) {
        if thread::panicking() {
            note!("--- {} ---\n{}", self.log.display(), tail(&self.log, 40));
        }
        self.kill();
    }
}

/// Parses a JSON-lines log (lines that are not JSON are skipped).
pub fn read_events(path: &Path) -> Vec<Value> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// An event's `message`.
pub fn msg(e: &Value) -> &str {
    e.get("message").and_then(Value::as_str).unwrap_or("")
}

/// An event's string field.
pub fn field<'a>(e: &'a Value, name: &str) -> &'a str {
    e.get(name).and_then(Value::as_str).unwrap_or("")
}

/// An event's integer field.
pub fn num(e: &Value, name: &str) -> u64 {
    e.get(name).and_then(Value::as_u64).unwrap_or(0)
}

/// Formats a datapath id as netmaster logs it.
pub fn dpid_hex(dpid: u64) -> String {
    format!("{dpid:016x}")
}

/// Writes `text` to `path`.
pub fn write_file(path: &Path, text: &str) {
    let mut f = File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    f.write_all(text.as_bytes()).expect("write");
}
