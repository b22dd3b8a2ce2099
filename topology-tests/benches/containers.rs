//! The containers benchmark (not a timed test): how fast a container gets its network, measured
//! from the client's side on one emulated host.
//! * Docker: `docker run -d` of a container named in intent (a private dockerd, the agent
//!   watching it): from `docker run` returning to the container's address being on its `eth0`
//!   (read from outside, `nsenter` into its namespace, every millisecond).
//! * Docker's network driver (the agent's `--docker-plugin`, a second private dockerd in the
//!   host's namespace): `docker run -d --net=<a network of the driver>` from exec to exit (the
//!   driver's IPAM, endpoint and join included; the address is inside before the container
//!   starts), beside the same `docker run -d --network=none` of the watcher's containers.
//! * CNI: `netplugin-cni` ADD run as a runtime runs it (environment, configuration on stdin)
//!   for a pod intent does not declare (its endpoint created on demand), from exec to exit;
//!   then DEL.
//!
//! Before it prints, it checks the work: every container has the address intent gave it, every
//! ADD answered a result with an address of the network, every DEL deleted its endpoint, every
//! container of the driver has the address netmaster gave its endpoint.
//!
//! `cargo bench -p topology-tests --bench containers` (root): 50 of each (`CONTAINERS_N`).
//! Without `--bench` (as under `cargo test --benches`) it runs 3 of each.

use northbound_api::model::{Kind, Object, Tenant};
use northbound_api::service::Batch;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use topology_tests::cmd::run;
use topology_tests::docker::{addresses, Dockerd};
use topology_tests::timing::percentile;
use topology_tests::{intent, Fabric, FabricConfig};

fn report(what: &str, mut d: Vec<Duration>) {
    d.sort();
    println!(
        "{what}: n={} p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        d.len(),
        percentile(&d, 50).as_secs_f64() * 1e3,
        percentile(&d, 99).as_secs_f64() * 1e3,
        d[d.len() - 1].as_secs_f64() * 1e3
    );
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let n: usize = if bench {
        std::env::var("CONTAINERS_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(50)
    } else {
        3
    };
    let docker = Dockerd::start(&std::env::temp_dir().join(format!("db{:x}", std::process::id())));
    let mut f = Fabric::new(
        &FabricConfig::hosts(1)
            .with_docker(docker.endpoint())
            .with_docker_driver(),
    );
    let mut upserts = vec![
        Object::Tenant(Tenant::named("t")),
        intent::host("host1", "192.168.2.10"),
        Object::Network(intent::vxlan_network("t", "net", "10.70.0.0/16", None)),
    ];
    upserts.extend((0..n).map(|i| intent::endpoint("t", "net", &format!("c{i}"), None, "host1")));
    let batch = Batch {
        upserts,
        ..Batch::default()
    };
    f.api(move |c| c.apply(&batch)).expect("intent");
    let address = |f: &Fabric, key: String| match f.api(move |c| c.get(Kind::Endpoint, &key)) {
        Ok(Object::Endpoint(e)) => e.ip_address.expect("an address"),
        other => panic!("{other:?}"),
    };

    // Docker: docker run returned -> the address is inside.
    let (mut docker_times, mut none_runs) = (Vec::new(), Vec::new());
    for i in 0..n {
        let name = format!("c{i}");
        let ip = address(&f, format!("t:{name}"));
        let start = Instant::now();
        docker.run(&name, &[]);
        none_runs.push(start.elapsed());
        let returned = Instant::now();
        let pid = docker.pid(&name);
        let want = format!(" {ip}/");
        while !addresses(pid).contains(&want) {
            assert!(
                returned.elapsed() < Duration::from_secs(10),
                "{name} never got {ip}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        docker_times.push(returned.elapsed());
    }

    // Docker's network driver: docker run --net, exec to exit.
    let driver = f.host("host1").docker_driver().expect("the driver");
    let in_host = Dockerd::start_in(
        &std::env::temp_dir().join(format!("dn{:x}", std::process::id())),
        Some(&f.host("host1").ns),
    );
    in_host.ok(&[
        "network",
        "create",
        "-d",
        &driver,
        "--ipam-driver",
        &driver,
        "--subnet",
        "10.70.0.0/16",
        "-o",
        "tenant=t",
        "-o",
        "network=net",
        "net",
    ]);
    let mut driver_runs = Vec::new();
    for i in 0..n {
        let name = format!("d{i}");
        let start = Instant::now();
        in_host.run_on("net", &name, &[]);
        driver_runs.push(start.elapsed());
        let inside = in_host.ok(&[
            "inspect",
            "-f",
            "{{.NetworkSettings.Networks.net.IPAddress}}",
            &name,
        ]);
        let pid = in_host.pid(&name);
        assert!(
            addresses(pid).contains(&format!(" {inside}/")),
            "{name} lacks {inside}"
        );
        let given = f
            .api(|c| c.endpoints())
            .expect("endpoints")
            .into_iter()
            .any(|e| e.ip_address.map(|a| a.to_string()) == Some(inside.clone()));
        assert!(given, "{name}'s {inside} is no endpoint's");
    }
    drop(in_host);

    // CNI: ADD of pods on demand, then DEL, each timed from exec to exit.
    let conf = serde_json::json!({
        "cniVersion": "1.0.0",
        "name": "bench",
        "type": "netplugin-cni",
        "agentSocket": f.host("host1").dir.join("cni.sock"),
        "netplugin": {"tenant": "t", "network": "net"}
    })
    .to_string();
    let cni = |command: &str, pod: &str, ns: &str| -> (Duration, String) {
        let start = Instant::now();
        let mut child = Command::new(&f.bins.netplugin_cni)
            .env("CNI_COMMAND", command)
            .env("CNI_CONTAINERID", format!("bench-{pod}"))
            .env("CNI_NETNS", format!("/var/run/netns/{ns}"))
            .env("CNI_IFNAME", "eth0")
            .env("CNI_PATH", "/usr/lib/cni")
            .env("CNI_ARGS", format!("IgnoreUnknown=1;K8S_POD_NAME={pod}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("netplugin-cni");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(conf.as_bytes())
            .expect("configuration");
        let out = child.wait_with_output().expect("netplugin-cni");
        let took = start.elapsed();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{command} {pod}: {text}");
        (took, text)
    };
    let mut namespaces = Vec::new();
    let (mut adds, mut dels) = (Vec::new(), Vec::new());
    for i in 0..n {
        let (pod, ns) = (format!("pod{i}"), format!("{}-p{i}", f.prefix));
        run(&["ip", "netns", "add", &ns]);
        namespaces.push(ns.clone());
        let (took, result) = cni("ADD", &pod, &ns);
        let result: serde_json::Value = serde_json::from_str(&result).expect("a CNI result");
        let ip = result["ips"][0]["address"].as_str().unwrap_or_default();
        assert!(ip.starts_with("10.70."), "pod{i}: {result}");
        adds.push(took);
    }
    f.track_namespaces(namespaces.clone());
    for (i, ns) in namespaces.iter().enumerate() {
        let pod = format!("pod{i}");
        dels.push(cni("DEL", &pod, ns).0);
        let key = format!("t:{pod}");
        assert!(
            f.api(move |c| c.get(Kind::Endpoint, &key)).is_err(),
            "{pod}'s endpoint outlived DEL"
        );
    }

    println!("one emulated host, 2 cores; {n} containers of each kind, one after another:");
    report(
        "docker run returned -> address inside the container",
        docker_times,
    );
    report(
        "docker run -d --network=none (watcher's containers), exec to exit",
        none_runs,
    );
    report(
        "docker run -d --net=<driver network>, exec to exit",
        driver_runs,
    );
    report(
        "netplugin-cni ADD (pod created on demand), exec to exit",
        adds,
    );
    report("netplugin-cni DEL (endpoint deleted), exec to exit", dels);
}
