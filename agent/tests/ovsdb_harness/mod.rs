//! A private Open vSwitch for the OVSDB tests: an `ovsdb-server` on a fresh database in its own
//! directory, and optionally an `ovs-vswitchd` in a fresh network namespace (the recipe of
//! `/work/shared/notes/multihost-ovs.md`: own netns, `OVS_RUNDIR`/`OVS_DBDIR`/`OVS_LOGDIR` set).
//!
//! Names carry `<pid>x<counter>`, so parallel tests and runs never share anything. `Drop` kills
//! the daemons by the PIDs in our own pidfiles (checked against their command line), deletes
//! the namespace and the directory. A missing tool fails the test: nothing is skipped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

const SCHEMA: &str = "/usr/share/openvswitch/vswitch.ovsschema";
const SBIN_DIRS: [&str; 3] = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/// The absolute path of a required tool (panics when it is missing).
fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SBIN_DIRS.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("required tool `{name}` not found: these tests need Open vSwitch and iproute2")
        })
}

/// Runs a command and returns its stdout; panics with stdout and stderr when it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Whether `pid` is gone or a zombie (PID 1 reaps our detached daemons late).
fn dead(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|s| s == "Z" || s == "X")
    })
}

/// The private instance.
pub struct PrivateOvs {
    /// Run, database and log directory.
    pub dir: PathBuf,
    /// The namespace ovs-vswitchd runs in, if it runs.
    pub ns: Option<String>,
}

impl PrivateOvs {
    /// `ovsdb-server` only, on an empty database (not even the `Open_vSwitch` row, without
    /// which `ovs-vsctl` blocks).
    pub fn db_only() -> PrivateOvs {
        let ovs = PrivateOvs::create(None);
        ovs.start_ovsdb();
        ovs
    }

    /// `ovsdb-server` only, with the `Open_vSwitch` row (`ovs-vsctl init`).
    pub fn db_initialized() -> PrivateOvs {
        let ovs = PrivateOvs::db_only();
        ovs.vsctl(&["init"]);
        ovs
    }

    /// `ovsdb-server` and `ovs-vswitchd` in a fresh namespace, database initialized.
    pub fn with_vswitchd() -> PrivateOvs {
        let tag = tag();
        let ns = format!("npo{tag}");
        let ovs = PrivateOvs::create(Some(ns.clone()));
        run(Command::new(tool("ip")).args(["netns", "add", &ns]));
        run(Command::new(tool("ip")).args(["-n", &ns, "link", "set", "lo", "up"]));
        ovs.start_ovsdb();
        ovs.vsctl(&["init"]);
        let d = ovs.dir.display();
        run(ovs
            .in_ns("ovs-vswitchd")
            .arg(format!("unix:{d}/db.sock"))
            .args(ovs.daemon_args("ovs-vswitchd")));
        ovs
    }

    fn create(ns: Option<String>) -> PrivateOvs {
        for t in [
            "ovsdb-tool",
            "ovsdb-server",
            "ovs-vswitchd",
            "ovs-vsctl",
            "ip",
        ] {
            tool(t);
        }
        // Short: unix socket paths are limited to 108 bytes.
        let dir = PathBuf::from(format!("/tmp/npdb-{}", tag()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create the private directory");
        let ovs = PrivateOvs { dir, ns };
        let db = ovs.dir.join("conf.db");
        run(Command::new(tool("ovsdb-tool"))
            .arg("create")
            .arg(&db)
            .arg(SCHEMA));
        ovs
    }

    /// `program` run inside our namespace (if any) with our OVS directories.
    fn in_ns(&self, program: &str) -> Command {
        let mut c = match &self.ns {
            Some(ns) => {
                let mut c = Command::new(tool("ip"));
                c.args(["netns", "exec", ns]).arg(tool(program));
                c
            }
            None => Command::new(tool(program)),
        };
        for var in ["OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR"] {
            c.env(var, &self.dir);
        }
        c
    }

    fn daemon_args(&self, name: &str) -> Vec<String> {
        let d = self.dir.display();
        vec![
            format!("--pidfile={d}/{name}.pid"),
            format!("--unixctl={d}/{name}.ctl"),
            format!("--log-file={d}/{name}.log"),
            "--detach".into(),
            "--no-chdir".into(),
            "-vconsole:emer".into(),
        ]
    }

    fn start_ovsdb(&self) {
        let d = self.dir.display();
        run(self
            .in_ns("ovsdb-server")
            .arg(format!("{d}/conf.db"))
            .arg(format!("--remote=punix:{d}/db.sock"))
            .args(self.daemon_args("ovsdb-server")));
    }

    /// The database socket.
    pub fn db_sock(&self) -> PathBuf {
        self.dir.join("db.sock")
    }

    /// `ovs-vsctl ARGS` against our database.
    pub fn vsctl(&self, args: &[&str]) -> String {
        run(Command::new(tool("ovs-vsctl"))
            .env("OVS_RUNDIR", &self.dir)
            .arg(format!("--db=unix:{}", self.db_sock().display()))
            .args(["--timeout=20", "--no-wait"])
            .args(args))
        .trim()
        .to_string()
    }

    /// `ovs-vsctl get TABLE RECORD COLUMN`, without the quotes ovs-vsctl puts around some
    /// strings.
    pub fn get(&self, table: &str, record: &str, column: &str) -> String {
        self.vsctl(&["get", table, record, column])
            .trim_matches('"')
            .to_string()
    }

    /// `ovsdb-tool -m show-log` of our database: every committed transaction.
    pub fn show_log(&self) -> String {
        run(Command::new(tool("ovsdb-tool"))
            .args(["-m", "show-log"])
            .arg(self.dir.join("conf.db")))
    }

    /// Stops the daemon whose pidfile is `name`.pid, if it is ours and alive.
    fn stop(&self, name: &str) {
        let pidfile = self.dir.join(format!("{name}.pid"));
        let Some(pid) = fs::read_to_string(&pidfile)
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
        else {
            return;
        };
        let ours = fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&*self.dir.to_string_lossy()));
        if !ours || dead(pid) {
            return;
        }
        for signal in ["-TERM", "-KILL"] {
            let _ = Command::new(tool("kill"))
                .args([signal, &pid.to_string()])
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(3);
            while !dead(pid) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
            if dead(pid) {
                return;
            }
        }
    }

    /// The tail of a daemon's log, for failure reports.
    fn log_tail(&self, name: &str) -> String {
        let log = fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default();
        let lines: Vec<_> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for PrivateOvs {
    fn drop(&mut self) {
        if thread::panicking() {
            for d in ["ovsdb-server", "ovs-vswitchd"] {
                eprintln!("--- {d}.log ---\n{}", self.log_tail(d));
            }
        }
        self.stop("ovs-vswitchd");
        self.stop("ovsdb-server");
        if let Some(ns) = &self.ns {
            if Path::new(&format!("/var/run/netns/{ns}")).exists() {
                let _ = Command::new(tool("ip")).args(["netns", "del", ns]).status();
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// `<pid>x<counter>`, unique on this machine while this process lives.
fn tag() -> String {
    format!(
        "{}x{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
