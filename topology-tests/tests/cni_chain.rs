//! A CNI configuration list that chains the reference plugins after netplugin, run by libcni
//! (the runtime library of containerd, CRI-O and podman; `topology-tests/cni-runner`) in the
//! emulated host's namespace, on a network namespace as the pod:
//! `netplugin-cni` (addresses delegated to `host-local`) -> `tuning` -> `portmap` ->
//! `bandwidth`.
//! * ADD: the pod has host-local's address and reaches a peer; tuning's sysctl is applied;
//!   portmap's DNAT rule for the pod is in the host's iptables; bandwidth's rate limit is on
//!   the veth's host end (found through netplugin's result) and holds real traffic to it;
//! * CHECK passes (every plugin gets its prevResult), and fails once the pod's address is
//!   gone (the plugins see IPv4's iptables only: see the test for Debian's portmap);
//! * DEL: endpoint, port, veth, host-local's lease and portmap's rule are gone.

use northbound_api::model::{Endpoint, Object, Tenant};
use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;
use topology_tests::cmd::{in_ns, output};
use topology_tests::cni::{plugin_dir, pod_namespace, text, CniRunner};
use topology_tests::{intent, Fabric, FabricConfig};

/// The reference plugins.
const CNI_PLUGINS: &str = "/usr/lib/cni";
/// The pod's ingress limit (bits per second).
const RATE: u64 = 10_000_000;

/// libcni's runner, built once.
fn runner() -> &'static CniRunner {
    static BUILT: OnceLock<CniRunner> = OnceLock::new();
    BUILT.get_or_init(|| {
        topology_tests::cmd::require_tools(&["iptables", "iperf3"]);
        CniRunner::build(Path::new(env!("CARGO_TARGET_TMPDIR")))
    })
}

/// A run of the runner in host namespace `ns`.
fn cni(ns: &str, command: &str, env: &[(&str, String)], args: &[&str]) -> Output {
    runner().run(ns, command, env, args)
}

/// iperf3's received bits per second, from `client_ns` to `server` (an iperf3 server).
fn throughput(client_ns: &str, server: &str) -> f64 {
    let out = output(&[
        "ip", "netns", "exec", client_ns, "iperf3", "-c", server, "-t", "3", "-J",
    ]);
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("iperf3: {}", text(&out)));
    report["end"]["sum_received"]["bits_per_second"]
        .as_f64()
        .unwrap_or_else(|| panic!("iperf3 report: {report}"))
}

#[test]
fn a_conflist_chain_of_reference_plugins_runs_after_netplugin() {
    let mut f = Fabric::new(&FabricConfig::hosts(1));
    let batch = northbound_api::service::Batch {
        upserts: vec![
            intent::host("host1", "192.168.2.10"),
            Object::Tenant(Tenant::named("chain")),
            Object::Network(intent::vxlan_network(
                "chain",
                "pods",
                "10.70.0.0/24",
                Some("10.70.0.1"),
            )),
            intent::endpoint("chain", "pods", "peer", None, "host1"),
        ],
        ..Default::default()
    };
    f.api(move |c| c.apply(&batch)).expect("intent");
    f.attach("host1", "chain", "peer");
    let peer_ns = f.containers["peer"].ns.clone();
    let peer_ip = match f.api(|c| c.get(northbound_api::model::Kind::Endpoint, "chain:peer")) {
        Ok(Object::Endpoint(e)) => e.ip_address.expect("the peer's address").to_string(),
        other => panic!("chain:peer: {other:?}"),
    };
    let host_ns = f.host("host1").ns.clone();
    let pod_ns = pod_namespace(&mut f);

    // The plugin directory: netplugin's plugin beside the reference ones.
    let dir = plugin_dir(&f);
    let bin = dir.join("bin");
    let store = dir.join("host-local");
    let conflist = serde_json::json!({
        "cniVersion": "1.0.0",
        "name": "chain",
        "plugins": [
            {
                "type": "netplugin-cni",
                "agentSocket": f.host("host1").dir.join("cni.sock"),
                "netplugin": {"tenant": "chain", "network": "pods"},
                "ipam": {
                    "type": "host-local",
                    "dataDir": store,
                    "ranges": [[{"subnet": "10.70.0.0/24", "rangeStart": "10.70.0.100",
                                 "rangeEnd": "10.70.0.150", "gateway": "10.70.0.1"}]]
                }
            },
            {"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.accept_redirects": "0"}},
            {"type": "portmap", "capabilities": {"portMappings": true}, "snat": false},
            {"type": "bandwidth", "ingressRate": RATE, "ingressBurst": 200_000}
        ]
    });
    // Debian's portmap (1.1.1) fails CHECK for an IPv4-only pod whenever ip6tables works (it
    // looks for the pod's chain in ip6tables too; fixed upstream later): the plugins run with
    // IPv4's iptables only on their PATH, as on a host without IPv6 netfilter.
    let tools = dir.join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    for tool in ["iptables", "iptables-save", "iptables-restore"] {
        std::os::unix::fs::symlink(Path::new("/usr/sbin").join(tool), tools.join(tool)).unwrap();
    }
    let conf = dir.join("chain.conflist");
    std::fs::write(&conf, conflist.to_string()).unwrap();
    let env = [
        ("CNI_PATH", format!("{}:{CNI_PLUGINS}", bin.display())),
        ("CNI_CACHE_DIR", dir.join("cache").display().to_string()),
        ("PATH", format!("{}:/usr/bin:/bin", tools.display())),
        (
            "CAP_ARGS",
            r#"{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}"#
                .to_string(),
        ),
    ];
    let netns = format!("/var/run/netns/{pod_ns}");
    let conf_s = conf.display().to_string();
    let args = [conf_s.as_str(), "chainpod1", netns.as_str(), "eth0"];

    // ADD through the whole chain.
    let added = cni(&host_ns, "add", &env, &args);
    assert!(added.status.success(), "ADD: {}", text(&added));
    let result: serde_json::Value = serde_json::from_slice(&added.stdout).expect("a result");
    let address = result["ips"][0]["address"]
        .as_str()
        .expect("an address")
        .to_string();
    let ip = address.split('/').next().unwrap().to_string();
    let last: u8 = ip.rsplit('.').next().unwrap().parse().unwrap();
    assert!((100..=150).contains(&last), "not host-local's: {result}");
    let host_end = result["interfaces"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(host_end.starts_with("vnp"), "{result}");
    let endpoint: Endpoint = f
        .api(|c| c.endpoints())
        .unwrap()
        .into_iter()
        .find(|e| e.sandbox.as_deref() == Some("chainpod1"))
        .expect("the pod's endpoint, created on demand");
    assert_eq!(endpoint.ip_address.unwrap().to_string(), ip);
    f.wait_settled();
    let pinged = output(&[
        "ip", "netns", "exec", &pod_ns, "ping", "-c", "3", "-W", "1", &peer_ip,
    ]);
    assert!(pinged.status.success(), "pod -> peer: {}", text(&pinged));
    // tuning
    assert_eq!(
        in_ns(
            &pod_ns,
            &["cat", "/proc/sys/net/ipv4/conf/eth0/accept_redirects"]
        )
        .trim(),
        "0"
    );
    // portmap: the pod's DNAT rule in the host's iptables.
    let rules = in_ns(&host_ns, &["iptables-save", "-t", "nat"]);
    assert!(
        rules.contains(&format!("--to-destination {ip}:80")) && rules.contains("--dport 8080"),
        "no DNAT to the pod:\n{rules}"
    );
    // bandwidth: a token bucket on the host end, holding real traffic into the pod.
    let qdisc = in_ns(&host_ns, &["tc", "qdisc", "show", "dev", &host_end]);
    assert!(qdisc.contains("tbf"), "no tbf on {host_end}: {qdisc}");
    let mut server = std::process::Command::new("ip")
        .args(["netns", "exec", &pod_ns, "iperf3", "-s", "-1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("iperf3 server");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let bps = throughput(&peer_ns, &ip);
    // It ends after one client; killed (ours, by its PID) if the client never came.
    let _ = server.kill();
    let _ = server.wait();
    eprintln!("peer -> pod through bandwidth's {RATE} bit/s limit: {bps:.0} bit/s");
    assert!(
        bps < RATE as f64 * 1.5 && bps > RATE as f64 * 0.3,
        "{bps:.0} bit/s is not the {RATE} bit/s limit"
    );

    // CHECK: every plugin with its prevResult.
    let checked = cni(&host_ns, "check", &env, &args);
    assert!(checked.status.success(), "CHECK: {}", text(&checked));
    // Without its address the pod fails CHECK.
    in_ns(&pod_ns, &["ip", "addr", "del", &address, "dev", "eth0"]);
    let checked = cni(&host_ns, "check", &env, &args);
    assert!(
        !checked.status.success(),
        "CHECK passed without the address"
    );

    // DEL through the chain, in reverse.
    let deleted = cni(&host_ns, "del", &env, &args);
    assert!(deleted.status.success(), "DEL: {}", text(&deleted));
    assert!(
        !f.api(|c| c.endpoints())
            .unwrap()
            .iter()
            .any(|e| e.sandbox.as_deref() == Some("chainpod1")),
        "the pod's endpoint outlived DEL"
    );
    assert!(!f
        .host("host1")
        .vsctl(&["list-ports", "br-int"])
        .contains(&host_end));
    assert!(
        !output(&["ip", "netns", "exec", &host_ns, "ip", "link", "show", &host_end])
            .status
            .success(),
        "the veth outlived DEL"
    );
    let leases: Vec<String> = std::fs::read_dir(store.join("chain"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("10.70."))
                .collect()
        })
        .unwrap_or_default();
    assert!(leases.is_empty(), "host-local still holds {leases:?}");
    let rules = in_ns(&host_ns, &["iptables-save", "-t", "nat"]);
    assert!(
        !rules.contains(&format!("{ip}:80")),
        "portmap's rule outlived DEL:\n{rules}"
    );
}
