//! Docker's modern way: every agent serves Docker's network and IPAM driver
//! (`netplugin --docker-plugin`), and each of two emulated hosts runs its own private `dockerd`
//! in the host's namespace (where the driver's veths are handed to Docker). Two tenants' Docker
//! networks share one subnet (overlapping addresses), and
//! * `docker network create -d DRIVER --ipam-driver DRIVER -o tenant= -o network=` creates the
//!   netmaster network on the first host and binds to it on the second;
//! * `docker run --net` (with `--ip`) gets its endpoint from netmaster: the ping matrix is
//!   exactly "same tenant", and a ping to an address both tenants use is received by the
//!   sender's tenant's container only;
//! * `docker network connect/disconnect` add and remove a second interface, its port and its
//!   endpoint;
//! * an agent restarted while containers run keeps their ports, and still cleans up after them;
//! * `docker rm -f` removes the port, the veth and the netmaster endpoint;
//! * malformed and unknown requests on the driver's socket get a clear error and change nothing.

use northbound_api::model::{Endpoint, Kind, Object, Tenant};
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use topology_tests::docker::Dockerd;
use topology_tests::{Fabric, FabricConfig};

/// The subnet both tenants' networks use.
const SUBNET: &str = "10.1.0.0/24";

/// `docker exec NAME ping` of `ip`, a few tries: whether it answered.
fn pings(d: &Dockerd, name: &str, ip: &str, tries: u32) -> bool {
    (0..tries).any(|_| {
        d.docker(&["exec", name, "ping", "-c", "1", "-W", "1", ip])
            .status
            .success()
    })
}

/// Packets received on `name`'s interface `ifname`.
fn rx_packets(d: &Dockerd, name: &str, ifname: &str) -> u64 {
    d.ok(&[
        "exec",
        name,
        "cat",
        &format!("/sys/class/net/{ifname}/statistics/rx_packets"),
    ])
    .parse()
    .expect("a counter")
}

/// The endpoints netmaster has that Docker's driver made.
fn docker_endpoints(f: &Fabric) -> Vec<Endpoint> {
    f.api(|c| c.endpoints())
        .expect("endpoints")
        .into_iter()
        .filter(|e| e.container_name.starts_with("docker-"))
        .collect()
}

/// The endpoint ports on `host`'s bridge.
fn endpoint_ports(f: &Fabric, host: &str) -> Vec<String> {
    let mut ports: Vec<String> = f
        .host(host)
        .vsctl(&["list-ports", "br-int"])
        .lines()
        .filter(|p| p.starts_with("vnp"))
        .map(str::to_string)
        .collect();
    ports.sort();
    ports
}

/// Waits until `what` holds (at most 10 s).
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what}: not after 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One raw request on the driver's socket: (status line, body).
fn raw_call(socket: &str, call: &str, body: &str) -> (String, String) {
    let mut s = std::os::unix::net::UnixStream::connect(socket).expect("the driver's socket");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST /{call} HTTP/1.1\r\nHost: plugin\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

#[test]
fn docker_networks_of_the_driver_across_two_hosts_and_two_tenants() {
    let mut f = Fabric::new(&FabricConfig::hosts(2).with_docker_driver());
    for t in ["blue", "red"] {
        f.api(move |c| c.put(&Object::Tenant(Tenant::named(t))))
            .expect("tenant");
    }
    for h in f.hosts.values() {
        let host = topology_tests::intent::host(&h.name, &h.vtep.to_string());
        f.api(move |c| c.put(&host)).expect("host");
    }
    let drv1 = f.host("host1").docker_driver().expect("host1's driver");
    let drv2 = f.host("host2").docker_driver().expect("host2's driver");
    // Declared after the fabric: dropped (containers removed, daemons stopped) before it.
    let d1 = Dockerd::start_in(&f.dir().join("d1"), Some(&f.host("host1").ns));
    let d2 = Dockerd::start_in(&f.dir().join("d2"), Some(&f.host("host2").ns));
    let create = |d: &Dockerd, drv: &str, tenant: &str, network: &str, subnet: &str| {
        d.ok(&[
            "network",
            "create",
            "-d",
            drv,
            "--ipam-driver",
            drv,
            "--subnet",
            subnet,
            "-o",
            &format!("tenant={tenant}"),
            "-o",
            &format!("network={network}"),
            &format!("{tenant}-{network}"),
        ]);
    };
    // Created in netmaster by host1's driver, bound by host2's.
    for t in ["blue", "red"] {
        create(&d1, &drv1, t, "web", SUBNET);
        create(&d2, &drv2, t, "web", SUBNET);
    }
    for t in ["blue", "red"] {
        let key = format!("{t}:web");
        match f.api(move |c| c.get(Kind::Network, &key)) {
            Ok(Object::Network(n)) => {
                assert_eq!(n.subnet.to_string(), SUBNET);
                assert_eq!(n.gateway, Some("10.1.0.1".parse().unwrap()));
            }
            other => panic!("network {t}:web: {other:?}"),
        }
    }
    // A network without its netplugin network is refused with the reason.
    let bad = d1.docker(&[
        "network",
        "create",
        "-d",
        &drv1,
        "--ipam-driver",
        &drv1,
        "--subnet",
        "10.9.0.0/24",
        "nonet",
    ]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("-o network=NAME"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    // Same addresses in both tenants: b1 and r1 are both 10.1.0.10.
    d1.run_on("blue-web", "b1", &["--ip", "10.1.0.10"]);
    d1.run_on("red-web", "r1", &["--ip", "10.1.0.10"]);
    d2.run_on("blue-web", "b2", &["--ip", "10.1.0.11"]);
    d2.run_on("red-web", "r2", &["--ip", "10.1.0.12"]);
    let eps = docker_endpoints(&f);
    assert_eq!(eps.len(), 4, "{eps:?}");
    for (tenant, ip, host) in [
        ("blue", "10.1.0.10", "host1"),
        ("red", "10.1.0.10", "host1"),
        ("blue", "10.1.0.11", "host2"),
        ("red", "10.1.0.12", "host2"),
    ] {
        assert!(
            eps.iter().any(|e| e.tenant_name == tenant
                && e.ip_address == Some(ip.parse().unwrap())
                && e.host.as_deref() == Some(host)),
            "no endpoint {tenant} {ip} on {host}: {eps:?}"
        );
    }
    assert_eq!(endpoint_ports(&f, "host1").len(), 2);
    f.wait_settled();
    // Same tenant across hosts (VXLAN) answers; the other tenant's addresses do not.
    assert!(pings(&d1, "b1", "10.1.0.11", 5), "b1 -> b2");
    assert!(pings(&d1, "r1", "10.1.0.12", 5), "r1 -> r2");
    assert!(pings(&d2, "b2", "10.1.0.10", 5), "b2 -> b1");
    assert!(!pings(&d1, "b1", "10.1.0.12", 2), "b1 reached red's r2");
    assert!(!pings(&d1, "r1", "10.1.0.11", 2), "r1 reached blue's b2");
    // 10.1.0.10 from blue's b2 reaches b1, never r1 (and from red's r2, r1, never b1).
    for (from_d, from, to, not_to) in [(&d2, "b2", "b1", "r1"), (&d2, "r2", "r1", "b1")] {
        let (to_rx, not_rx) = (rx_packets(&d1, to, "eth0"), rx_packets(&d1, not_to, "eth0"));
        let out = from_d.docker(&["exec", from, "ping", "-c", "10", "-i", "0.2", "10.1.0.10"]);
        assert!(out.status.success(), "{from} -> 10.1.0.10");
        let to_got = rx_packets(&d1, to, "eth0") - to_rx;
        let not_got = rx_packets(&d1, not_to, "eth0") - not_rx;
        assert!(to_got >= 10, "{to} received {to_got} of {from}'s 10 pings");
        assert!(
            not_got < 5,
            "{not_to} received {not_got} packets while {from} pinged {to}"
        );
    }

    // A second network, connected and disconnected.
    create(&d1, &drv1, "blue", "db", "10.2.0.0/24");
    create(&d2, &drv2, "blue", "db", "10.2.0.0/24");
    d1.ok(&["network", "connect", "blue-db", "b1"]);
    d2.run_on("blue-db", "b3", &[]);
    let b1_db = d1.ok(&[
        "inspect",
        "-f",
        "{{(index .NetworkSettings.Networks \"blue-db\").IPAddress}}",
        "b1",
    ]);
    assert!(b1_db.starts_with("10.2.0."), "{b1_db}");
    assert_eq!(endpoint_ports(&f, "host1").len(), 3);
    assert!(pings(&d2, "b3", &b1_db, 5), "b3 -> b1 on blue-db");
    d1.ok(&["network", "disconnect", "blue-db", "b1"]);
    assert_eq!(endpoint_ports(&f, "host1").len(), 2);
    assert!(
        !docker_endpoints(&f)
            .iter()
            .any(|e| e.network_name == "db" && e.host.as_deref() == Some("host1")),
        "b1's blue-db endpoint outlived the disconnect"
    );
    assert!(
        !pings(&d2, "b3", &b1_db, 2),
        "b3 still reaches b1's old address"
    );

    // The agent restarted while containers run: same ports, still working, still cleaning up.
    let before = endpoint_ports(&f, "host1");
    let bins = f.bins;
    let h1 = f.hosts.get_mut("host1").expect("host1");
    h1.stop_agent();
    h1.start_agent(bins);
    let socket = format!("/run/docker/plugins/{drv1}.sock");
    wait_until("host1's driver serves again", || {
        std::os::unix::net::UnixStream::connect(&socket).is_ok()
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(endpoint_ports(&f, "host1"), before);
    assert!(
        pings(&d2, "b2", "10.1.0.10", 5),
        "b2 -> b1 after the restart"
    );

    // Bad requests: a clear error, nothing changed.
    let count = docker_endpoints(&f).len();
    let (status, body) = raw_call(&socket, "IpamDriver.RequestAddress", r#"{"PoolID": 5}"#);
    assert!(status.contains(" 400 "), "{status} {body}");
    assert!(
        body.contains("\"Err\"") && body.contains("bad request"),
        "{body}"
    );
    let (status, body) = raw_call(
        &socket,
        "NetworkDriver.Join",
        r#"{"NetworkID":"x","EndpointID":"nope","SandboxKey":"/proc/1/ns/net"}"#,
    );
    assert!(status.contains(" 400 "), "{status} {body}");
    assert!(body.contains("unknown endpoint nope"), "{body}");
    let (status, body) = raw_call(&socket, "NetworkDriver.Frobnicate", "{}");
    assert!(status.contains(" 400 "), "{status} {body}");
    let (status, _) = raw_call(&socket, "Plugin.Activate", &"x".repeat(100_000));
    assert!(status.contains(" 413 "), "{status}");
    assert_eq!(docker_endpoints(&f).len(), count);
    assert_eq!(endpoint_ports(&f, "host1"), before);

    // docker rm -f: port, veth and netmaster endpoint go.
    d1.ok(&["rm", "-f", "b1"]);
    wait_until("b1's port removed", || {
        endpoint_ports(&f, "host1").len() == 1
    });
    assert!(
        !docker_endpoints(&f)
            .iter()
            .any(|e| e.tenant_name == "blue" && e.host.as_deref() == Some("host1")),
        "b1's endpoint outlived it"
    );
    let veths = f.host("host1").vsctl(&["list-ports", "br-int"]);
    for port in before.iter().filter(|p| !veths.contains(p.as_str())) {
        let ns = f.host("host1").ns.clone();
        let out =
            topology_tests::cmd::output(&["ip", "netns", "exec", &ns, "ip", "link", "show", port]);
        assert!(!out.status.success(), "veth {port} outlived b1");
    }
    for (d, names) in [
        (&d1, ["r1"].as_slice()),
        (&d2, ["b2", "r2", "b3"].as_slice()),
    ] {
        for n in names {
            d.ok(&["rm", "-f", n]);
        }
    }
    wait_until("every Docker endpoint removed", || {
        docker_endpoints(&f).is_empty()
    });
    for d in [&d1, &d2] {
        d.ok(&["network", "rm", "blue-web", "red-web", "blue-db"]);
    }
    // The netmaster networks stay (other hosts may use them).
    assert!(f.api(|c| c.get(Kind::Network, "blue:web")).is_ok());
}
