//! Docker containers get their network the original's way: two emulated hosts whose agents
//! watch one private `dockerd` (`netplugin --docker`), the original's two-tenant intent file
//! (both tenants carve the same subnet: overlapping addresses), and `docker run`:
//! * a container whose name is an endpoint of the host is plumbed when it starts (its
//!   address within a second of `docker run` returning), and the connectivity matrix is
//!   exactly "same tenant and network"; a container no endpoint names is left alone;
//! * the container's own tools reach its peers (`docker exec ... ping`), by address and by
//!   name (netmaster's DNS, `global.dnsAddress`, given to the containers with `--dns`), and
//!   the other tenant's names are unknown (NXDOMAIN);
//! * an agent killed while containers run keeps their ports when it comes back (no
//!   duplicates, same OpenFlow ports), and plumbs a container that was replaced meanwhile;
//! * `docker rm -f` removes the container's port and veth;
//! * the infra container mapping (`AttachUUID`): a pod's endpoint goes into the infra
//!   container's namespace, not into a container of the pod's name.

use northbound_api::model::{Global, Kind, Object};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};
use topology_tests::cmd::{output, run};
use topology_tests::docker::{addresses, Dockerd};
use topology_tests::fabric::repo_root;
use topology_tests::{Fabric, FabricConfig};

/// netmaster's DNS address (`global.dnsAddress`), the containers' name server.
const DNS: &str = "169.254.0.53";
/// `docker run`'s option that makes it the containers' name server.
const DNS_OPTION: &[&str] = &["--dns", DNS];

/// Where the intent file places each container: (container, host, tenant).
const PLACED: [(&str, &str, &str); 4] = [
    ("myContainer1", "host1", "tenant-one"),
    ("myContainer3", "host2", "tenant-one"),
    ("myContainer2", "host1", "tenant-two"),
    ("myContainer4", "host2", "tenant-two"),
];

/// The IPv4 address netmaster gave endpoint `tenant:container`.
fn address(f: &Fabric, tenant: &str, container: &str) -> Ipv4Addr {
    let key = format!("{tenant}:{container}");
    match f.api(move |c| c.get(Kind::Endpoint, &key)) {
        Ok(Object::Endpoint(e)) => e.ip_address.expect("an allocated address"),
        other => panic!("endpoint {tenant}:{container}: {other:?}"),
    }
}

/// How long after now container process `pid` has `ip` (at most `timeout`).
fn wait_for_address(pid: u32, ip: Ipv4Addr, timeout: Duration) -> Duration {
    let start = Instant::now();
    let want = format!(" {ip}/");
    loop {
        if addresses(pid).contains(&want) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < timeout,
            "process {pid} has no {ip} after {timeout:?}:\n{}",
            addresses(pid)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs container `name` and, once it has its address, names its namespace and counts it
/// among the fabric's containers; how long after `docker run` returned the address came.
fn run_plumbed(
    f: &mut Fabric,
    docker: &Dockerd,
    (name, host, tenant): (&str, &str, &str),
) -> Duration {
    let ip = address(f, tenant, name);
    docker.run(name, DNS_OPTION);
    let returned = Instant::now();
    let pid = docker.pid(name);
    wait_for_address(pid, ip, Duration::from_secs(5));
    let took = returned.elapsed();
    let ns = format!("{}-d-{name}", f.prefix);
    run(&["ip", "netns", "attach", &ns, &pid.to_string()]);
    f.adopt(host, tenant, name, &ns);
    took
}

/// The endpoint ports on `host`'s bridge: endpoint key -> (port name, OpenFlow port).
fn endpoint_ports(f: &Fabric, host: &str) -> BTreeMap<String, (String, String)> {
    let h = f.host(host);
    let rows = h.vsctl(&[
        "--format=csv",
        "--data=bare",
        "--no-headings",
        "--columns=name,external_ids",
        "find",
        "Port",
        "external_ids:role=endpoint",
    ]);
    rows.lines()
        .filter_map(|line| {
            let (name, ids) = line.split_once(',')?;
            let key = ids
                .trim_matches('"')
                .split(' ')
                .find_map(|kv| kv.strip_prefix("endpoint-id="))?;
            let ofport = h.vsctl(&["get", "Interface", name, "ofport"]);
            Some((
                key.to_string(),
                (name.to_string(), ofport.trim().to_string()),
            ))
        })
        .collect()
}

/// Waits until `check` holds (at most 10 s), or panics with `what`.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < Duration::from_secs(10), "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn docker_containers_named_in_intent_are_plumbed_when_they_start() {
    let docker = Dockerd::start(&std::env::temp_dir().join(format!("dk{:x}", std::process::id())));
    let mut f = Fabric::new(&FabricConfig::hosts(2).with_docker(docker.endpoint()));
    f.apply_intent("examples/two_hosts_multiple_tenants.json");
    let global = Object::Global(Global {
        dns_address: Some(DNS.parse().expect("an address")),
        ..Global::default()
    });
    f.api(move |c| c.put(&global)).expect("DNS on");
    // The two tenants' networks are carved from the same pool: overlapping addresses.
    assert_eq!(
        address(&f, "tenant-one", "myContainer1"),
        address(&f, "tenant-two", "myContainer2")
    );

    let mut waits: Vec<Duration> = PLACED
        .iter()
        .map(|p| run_plumbed(&mut f, &docker, *p))
        .collect();
    waits.sort();
    eprintln!("docker run returned -> the container has its address: {waits:?}");
    assert!(
        waits.iter().all(|w| *w < Duration::from_secs(1)),
        "{waits:?}"
    );

    // A container no endpoint names is left alone.
    docker.run("stranger", DNS_OPTION);
    let stranger = docker.pid("stranger");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        addresses(stranger)
            .lines()
            .filter(|l| !l.contains(" lo "))
            .count(),
        0,
        "the stranger got an interface: {}",
        addresses(stranger)
    );
    for host in ["host1", "host2"] {
        assert_eq!(
            endpoint_ports(&f, host).len(),
            2,
            "{host}: {:?}",
            endpoint_ports(&f, host)
        );
    }
    f.assert_same_network_matrix("four Docker containers, two tenants");

    // The container's own tools reach its peer on the other host, by address and by name
    // (netmaster's DNS), and the other tenant's names are not there.
    let peer = address(&f, "tenant-one", "myContainer3").to_string();
    docker.ok(&["exec", "myContainer1", "ping", "-c", "2", "-W", "2", &peer]);
    docker.ok(&[
        "exec",
        "myContainer1",
        "ping",
        "-c",
        "2",
        "-W",
        "2",
        "myContainer3",
    ]);
    let other = docker.docker(&["exec", "myContainer1", "nslookup", "myContainer4"]);
    let text = String::from_utf8_lossy(&other.stdout);
    assert!(
        !other.status.success() && text.contains("NXDOMAIN"),
        "tenant-two's name from tenant-one: {text}"
    );

    // The agent of host1 dies; meanwhile myContainer2 is replaced (removed, run again:
    // another id and namespace). When the agent is back, myContainer1 keeps its port and
    // myContainer2 is plumbed into the new container, once.
    let before = endpoint_ports(&f, "host1");
    f.hosts.get_mut("host1").expect("host1").stop_agent();
    docker.ok(&["rm", "-f", "myContainer2"]);
    f.forget("myContainer2");
    let ip2 = address(&f, "tenant-two", "myContainer2");
    docker.run("myContainer2", DNS_OPTION);
    let bins = f.bins;
    f.hosts.get_mut("host1").expect("host1").start_agent(bins);
    wait_for_address(docker.pid("myContainer2"), ip2, Duration::from_secs(10));
    let ns = format!("{}-d-myContainer2-2", f.prefix);
    run(&[
        "ip",
        "netns",
        "attach",
        &ns,
        &docker.pid("myContainer2").to_string(),
    ]);
    f.adopt("host1", "tenant-two", "myContainer2", &ns);
    eventually("host1 has two endpoint ports", || {
        endpoint_ports(&f, "host1").len() == 2
    });
    let after = endpoint_ports(&f, "host1");
    assert_eq!(
        after["tenant-one:myContainer1"], before["tenant-one:myContainer1"],
        "the running container's port was kept"
    );
    f.assert_same_network_matrix("after the agent's restart");

    // docker rm -f: the port and the veth go.
    let (veth, _) = endpoint_ports(&f, "host2")["tenant-one:myContainer3"].clone();
    docker.ok(&["rm", "-f", "myContainer3"]);
    f.forget("myContainer3");
    eventually("myContainer3's port removed", || {
        !endpoint_ports(&f, "host2").contains_key("tenant-one:myContainer3")
    });
    let links = f.host("host2").vsctl(&["list-ports", "br-int"]);
    assert!(!links.lines().any(|l| l == veth), "{links}");
    let host_ns = f.host("host2").ns.clone();
    eventually("myContainer3's veth removed", || {
        !output(&["ip", "-n", &host_ns, "link", "show", &veth])
            .status
            .success()
    });

    // The infra container mapping: tenant-one's pod myPod1 goes into myPod1-infra, not into
    // a container named like the pod.
    let file = repo_root().join("examples/container_bindings/infra_container.json");
    f.netctl(&["-add-cfg", &file.display().to_string()]);
    let pod_ip = address(&f, "tenant-one", "myPod1");
    docker.run("myPod1", DNS_OPTION);
    docker.run("myPod1-infra", DNS_OPTION);
    let returned = Instant::now();
    wait_for_address(docker.pid("myPod1-infra"), pod_ip, Duration::from_secs(5));
    eprintln!(
        "the infra container had the pod's address {} ms after docker run returned",
        returned.elapsed().as_millis()
    );
    let pod_app = docker.pid("myPod1");
    assert_eq!(
        addresses(pod_app)
            .lines()
            .filter(|l| !l.contains(" lo "))
            .count(),
        0,
        "myPod1's own container got the endpoint: {}",
        addresses(pod_app)
    );
    let one = address(&f, "tenant-one", "myContainer1").to_string();
    docker.ok(&["exec", "myPod1-infra", "ping", "-c", "2", "-W", "2", &one]);
}
