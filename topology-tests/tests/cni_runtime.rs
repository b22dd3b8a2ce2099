//! CNI under a real runtime: containerd's `ctr run --cni` (the containerd of a private
//! dockerd) runs `netplugin-cni` from the runtime's plugin directory with a network
//! configuration list of this test, as a kubelet's runtime would:
//! * a pod intent does not declare gets an endpoint created on demand (tenant and network
//!   from the configuration's `netplugin` section), its address inside, and reaches a
//!   container of the same network on the other host; when it exits, the runtime's DEL
//!   deletes the endpoint and its port;
//! * a pod intent declares gets its declared address, and DEL keeps its endpoint;
//! * ADD latency, measured from the runtime's side;
//! * addresses delegated to Debian's IPAM plugins (`host-local`: from its range, released in
//!   its store on DEL; `static`), with the reference `tuning` plugin chained after netplugin
//!   (its sysctl applied in the pod); a declared pod whose address is not the IPAM plugin's is
//!   refused.

use northbound_api::model::{Kind, Object, Tenant};
use northbound_api::service::Batch;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use topology_tests::cmd::output;
use topology_tests::docker::{Dockerd, IMAGE};
use topology_tests::{intent, Fabric, FabricConfig};

/// Where `ctr` 1.6 takes CNI configurations and plugins from (fixed paths).
const CNI_CONF_DIR: &str = "/etc/cni/net.d";
const CNI_BIN_DIR: &str = "/opt/cni/bin";

/// The network configuration list and plugin link this test installs; removed on drop
/// (only what it created: other files in those directories are never touched).
struct CniInstall {
    created: Vec<PathBuf>,
    conf: PathBuf,
}

impl CniInstall {
    fn new(name: &str, conflist: &str, plugin: &Path) -> CniInstall {
        let mut created = Vec::new();
        for dir in [CNI_CONF_DIR, CNI_BIN_DIR] {
            let mut missing = Vec::new();
            let mut d = Path::new(dir);
            while !d.exists() {
                missing.push(d.to_path_buf());
                d = d.parent().expect("a parent");
            }
            std::fs::create_dir_all(dir).expect("CNI directory");
            created.extend(missing.into_iter().rev());
        }
        let conf = Path::new(CNI_CONF_DIR).join(format!("00-{name}.conflist"));
        std::fs::write(&conf, conflist).expect("conflist");
        created.push(conf.clone());
        let link = Path::new(CNI_BIN_DIR).join("netplugin-cni");
        assert!(
            !link.exists(),
            "{} exists already: not replacing it",
            link.display()
        );
        std::os::unix::fs::symlink(plugin, &link).expect("plugin link");
        created.push(link);
        CniInstall { created, conf }
    }

    /// Replaces the configuration list.
    fn set(&self, conflist: &serde_json::Value) {
        std::fs::write(&self.conf, conflist.to_string()).expect("conflist");
    }
}

impl Drop for CniInstall {
    fn drop(&mut self) {
        for p in self.created.iter().rev() {
            if p.is_dir() {
                let _ = std::fs::remove_dir(p);
            } else {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// A containerd (the private dockerd's) as this test uses it: a namespace of its own, and
/// the runtime's FIFOs and runc state under the test's directory (not the machine-wide
/// `/run/containerd`). Dropping it deletes every container left in the namespace (`ctr run
/// --rm` keeps one whose network set-up failed) and that directory.
struct Containerd {
    sock: String,
    ns: String,
    dir: PathBuf,
}

impl Containerd {
    fn new(sock: &Path, ns: &str, dir: &Path) -> Containerd {
        std::fs::create_dir_all(dir).expect("containerd test directory");
        Containerd {
            sock: sock.display().to_string(),
            ns: ns.to_string(),
            dir: dir.to_path_buf(),
        }
    }

    /// `ctr ARGS` in the namespace; whether it succeeded, its output (stdout and stderr).
    fn ctr(&self, args: &[&str]) -> (bool, String) {
        let mut all = vec!["ctr", "-a", &self.sock, "-n", &self.ns];
        all.extend_from_slice(args);
        let out = output(&all);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    /// `ctr run --cni --rm` of a container `id` running `script`; whether it succeeded, its
    /// output, and how long the run took.
    fn run(&self, id: &str, script: &str) -> (bool, String, Duration) {
        let image = format!("docker.io/{IMAGE}:latest");
        let fifo = format!("--fifo-dir={}", self.dir.join("fifo").display());
        let runc = format!("--runc-root={}", self.dir.join("runc").display());
        let start = Instant::now();
        let (ok, text) = self.ctr(&[
            "run", "--cni", "--rm", &fifo, &runc, &image, id, "sh", "-c", script,
        ]);
        (ok, text, start.elapsed())
    }

    /// The containers in the namespace.
    fn containers(&self) -> Vec<String> {
        let (_, text) = self.ctr(&["containers", "ls", "-q"]);
        text.split_whitespace().map(str::to_string).collect()
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        for id in self.containers() {
            self.ctr(&["tasks", "delete", "-f", &id]);
            self.ctr(&["containers", "delete", &id]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A script that prints eth0's IPv4 address line, then pings `peer` until it answers.
fn ping_script(peer: Ipv4Addr) -> String {
    format!(
        "ip -4 -o addr show eth0; for i in $(seq 40); do \
         ping -c 1 -W 1 {peer} >/dev/null 2>&1 && echo reached && exit 0; done; exit 1"
    )
}

/// The names of the files under `dir`, recursively.
fn walk(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            names.extend(walk(&path));
        } else {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names
}

fn endpoint(f: &Fabric, key: &str) -> Option<northbound_api::model::Endpoint> {
    let key = key.to_string();
    match f.api(move |c| c.get(Kind::Endpoint, &key)) {
        Ok(Object::Endpoint(e)) => Some(e),
        _ => None,
    }
}

#[test]
fn pods_under_containerd_get_endpoints_on_demand() {
    let docker = Dockerd::start(&std::env::temp_dir().join(format!("dc{:x}", std::process::id())));
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    // The containerd namespace of the test's pods (unique to the run).
    let namespace = format!("np{:x}", std::process::id());
    let tenant = "kube";
    let batch = Batch {
        upserts: vec![
            Object::Tenant(Tenant::named(tenant)),
            intent::host("host1", "192.168.2.10"),
            intent::host("host2", "192.168.2.11"),
            Object::Network(intent::vxlan_network(tenant, "pods", "10.60.0.0/24", None)),
            intent::endpoint(tenant, "pods", "peer", None, "host2"),
            // ctr names a pod by its namespace and id (CNI_CONTAINERID) and passes no CNI_ARGS.
            intent::endpoint(
                tenant,
                "pods",
                &format!("{namespace}-declared"),
                None,
                "host1",
            ),
        ],
        ..Batch::default()
    };
    f.api(move |c| c.apply(&batch)).expect("intent");
    f.attach("host2", tenant, "peer");
    let peer = endpoint(&f, "kube:peer")
        .and_then(|e| e.ip_address)
        .expect("peer's address");

    // The image, from the dockerd into its containerd under the test's namespace.
    let namespace = format!("np{:x}", std::process::id());
    let runtime = Containerd::new(
        &docker.containerd_socket(),
        &namespace,
        &std::env::temp_dir().join(format!("{}-ctr", f.prefix)),
    );
    let tar = std::env::temp_dir().join(format!("{}-image.tar", f.prefix));
    docker.ok(&["save", "-o", &tar.display().to_string(), IMAGE]);
    let (imported, text) = runtime.ctr(&["image", "import", &tar.display().to_string()]);
    let _ = std::fs::remove_file(&tar);
    assert!(imported, "ctr image import: {text}");

    let agent_socket = f.host("host1").dir.join("cni.sock");
    let conflist = serde_json::json!({
        "cniVersion": "1.0.0",
        "name": format!("netplugin-{}", f.prefix),
        "plugins": [{
            "type": "netplugin-cni",
            "agentSocket": agent_socket,
            "netplugin": {"tenant": tenant, "network": "pods"}
        }]
    })
    .to_string();
    let install = CniInstall::new(&f.prefix, &conflist, &f.bins.netplugin_cni);

    // A pod intent does not declare: created on demand, reaches the peer, deleted on exit.
    let (ok, text, took) = runtime.run("pod-a", &ping_script(peer));
    eprintln!("pod-a ({} ms):\n{text}", took.as_millis());
    assert!(ok && text.contains("reached"), "pod-a: {text}");
    assert!(
        text.contains("inet 10.60.0."),
        "pod-a's address is not from the network: {text}"
    );
    let pod_a = format!("kube:{namespace}-pod-a");
    assert!(
        endpoint(&f, &pod_a).is_none(),
        "the runtime's DEL left the on-demand endpoint"
    );
    let ports = f.host("host1").vsctl(&[
        "--columns=external_ids",
        "find",
        "Port",
        "external_ids:role=endpoint",
    ]);
    assert!(!ports.contains(&pod_a), "pod-a's port is left: {ports}");

    // A pod intent declares: its own address, and its endpoint stays after DEL.
    let declared_key = format!("kube:{namespace}-declared");
    let declared = endpoint(&f, &declared_key).expect("declared endpoint");
    let ip = declared.ip_address.expect("declared address");
    let (ok, text, _) = runtime.run("declared", &ping_script(peer));
    assert!(ok && text.contains("reached"), "declared: {text}");
    assert!(text.contains(&format!("inet {ip}/")), "declared: {text}");
    assert_eq!(
        endpoint(&f, &declared_key),
        Some(declared),
        "DEL changed a declared endpoint"
    );

    // ADD latency from the runtime's side: the whole `ctr run` of a container that only
    // prints its address (create, CNI ADD, start, exit, CNI DEL, remove).
    let mut runs: Vec<Duration> = (0..10)
        .map(|i| {
            let (ok, text, took) = runtime.run(&format!("pod-{i}"), "ip -4 -o addr show eth0");
            assert!(ok && text.contains("inet 10.60.0."), "pod-{i}: {text}");
            took
        })
        .collect();
    runs.sort();
    eprintln!(
        "ctr run --cni --rm (ADD and DEL included), 10 runs: p50 {} ms, max {} ms",
        runs[runs.len() / 2].as_millis(),
        runs[runs.len() - 1].as_millis()
    );
    // IPAM delegated to Debian's host-local, with the reference `tuning` plugin chained after
    // netplugin (it takes netplugin's result as its prevResult).
    let data_dir = std::env::temp_dir().join(format!("{}-host-local", f.prefix));
    let chained = |ipam: serde_json::Value| {
        serde_json::json!({
            "cniVersion": "1.0.0",
            "name": format!("netplugin-{}", f.prefix),
            "plugins": [
                {
                    "type": "netplugin-cni",
                    "agentSocket": agent_socket,
                    "netplugin": {"tenant": tenant, "network": "pods"},
                    "ipam": ipam
                },
                {"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.accept_redirects": "0"}}
            ]
        })
    };
    install.set(&chained(serde_json::json!({
        "type": "host-local",
        "dataDir": data_dir,
        "ranges": [[{"subnet": "10.60.0.0/24", "rangeStart": "10.60.0.100", "rangeEnd": "10.60.0.150"}]]
    })));
    let script = format!(
        "cat /proc/sys/net/ipv4/conf/eth0/accept_redirects; {}",
        ping_script(peer)
    );
    let (ok, text, _) = runtime.run("pod-hl", &script);
    eprintln!("host-local, tuning chained:\n{text}");
    assert!(ok && text.contains("reached"), "pod-hl: {text}");
    assert!(
        text.starts_with("0\n"),
        "tuning's sysctl is not applied: {text}"
    );
    let from_range = (100..=150).any(|n| text.contains(&format!("inet 10.60.0.{n}/24")));
    assert!(from_range, "not host-local's range: {text}");
    let leased: Vec<String> = walk(&data_dir)
        .into_iter()
        .filter(|name| name.starts_with("10.60.0."))
        .collect();
    assert!(leased.is_empty(), "host-local still holds {leased:?}");
    assert!(endpoint(&f, &format!("kube:{namespace}-pod-hl")).is_none());

    // Debian's static IPAM: the address it names.
    install.set(&chained(serde_json::json!({
        "type": "static",
        "addresses": [{"address": "10.60.0.200/24"}]
    })));
    let (ok, text, _) = runtime.run("pod-st", &ping_script(peer));
    assert!(ok && text.contains("reached"), "pod-st: {text}");
    assert!(text.contains("inet 10.60.0.200/24"), "pod-st: {text}");
    // A declared pod whose address is not the IPAM plugin's is refused.
    let (ok, text, _) = runtime.run("declared", "true");
    assert!(
        !ok && text.contains("not the endpoint's"),
        "declared: {text}"
    );
    let ports = f.host("host1").vsctl(&[
        "--columns=external_ids",
        "find",
        "Port",
        "external_ids:role=endpoint",
    ]);
    assert!(
        !ports.contains(&declared_key),
        "a refused ADD left a port: {ports}"
    );
    // (ctr keeps a container whose network set-up failed, even with --rm.)
    runtime.ctr(&["tasks", "delete", "-f", "declared"]);
    runtime.ctr(&["containers", "delete", "declared"]);
    let _ = std::fs::remove_dir_all(&data_dir);
    assert_eq!(
        runtime.containers(),
        Vec::<String>::new(),
        "containers left"
    );

    let left: Vec<String> = f
        .api(|c| c.list(Kind::Endpoint))
        .expect("endpoints")
        .iter()
        .map(Object::key)
        .collect();
    assert_eq!(
        left,
        [declared_key, "kube:peer".to_string()],
        "on-demand endpoints left"
    );
}
