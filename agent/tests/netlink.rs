//! Container plumbing against the real kernel (needs root).
//!
//! Every test builds its own namespaces (`nlt<pid>x<n><tag>`): a "host" namespace in which the
//! plumbing runs (from a thread that entered it), and container namespaces. Nothing is created
//! in the namespace the tests run in, and the test subnets exist only inside test namespaces.
//! Dropping a [`TestNs`] deletes that namespace, and with it everything inside.

use std::fs::File;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use netplugin::netlink::{EndpointSpec, Error, IpConfig, Plumbing};
use nix::sched::{setns, CloneFlags};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A named network namespace that this test created and deletes on drop.
struct TestNs {
    name: String,
}

impl TestNs {
    fn new(tag: char) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("nlt{}x{n}{tag}", std::process::id());
        ip(&["netns", "add", &name]);
        TestNs { name }
    }

    fn path(&self) -> PathBuf {
        PathBuf::from("/var/run/netns").join(&self.name)
    }

    /// Runs `body` on a fresh thread inside this namespace, on its own runtime.
    fn run<F, Fut, T>(&self, body: F) -> T
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T>,
        T: Send + 'static,
    {
        let path = self.path();
        std::thread::spawn(move || {
            setns(File::open(path).unwrap(), CloneFlags::CLONE_NEWNET).unwrap();
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(body())
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Runs `ip -n NAME ARGS...` and returns its stdout; panics if it fails.
    fn ip(&self, args: &[&str]) -> String {
        let mut all = vec!["-n", &self.name];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// Whether `ping -c 1` from this namespace to `to` gets an answer.
    fn ping(&self, to: IpAddr) -> bool {
        Command::new("ip")
            .args(["netns", "exec", &self.name, "ping", "-c", "1", "-W", "3"])
            .arg(to.to_string())
            .output()
            .unwrap()
            .status
            .success()
    }
}

impl Drop for TestNs {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A regular file standing where a namespace could be (a stale netns entry); removed on drop.
struct StaleFile(PathBuf);

impl StaleFile {
    fn new() -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("nlt{}x{n}-stale", std::process::id()));
        std::fs::write(&path, b"").unwrap();
        StaleFile(path)
    }
}

impl Drop for StaleFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn ip(args: &[&str]) -> String {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn v4(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 77, 0, last)
}

fn spec(netns: PathBuf, host_ifname: &str, last: u8) -> EndpointSpec {
    EndpointSpec {
        netns,
        host_ifname: host_ifname.into(),
        container_ifname: "eth0".into(),
        mtu: 1400,
        mac: None,
        ipv4: IpConfig {
            address: v4(last),
            prefix_len: 24,
            gateway: Some(v4(1)),
        },
        ipv6: None,
        on_link: Vec::new(),
    }
}

#[test]
fn two_containers_ping_through_a_bridge_and_delete_cleans_up() {
    let host = TestNs::new('h');
    let a = TestNs::new('a');
    let b = TestNs::new('b');
    let v6 = IpConfig {
        address: "fd77::2".parse::<Ipv6Addr>().unwrap(),
        prefix_len: 64,
        gateway: Some("fd77::1".parse().unwrap()),
    };
    let spec_a = EndpointSpec {
        mac: Some([0x02, 0x77, 0, 0, 0, 2]),
        ipv6: Some(v6),
        ..spec(a.path(), "vnpa", 2)
    };
    let spec_b = spec(b.path(), "vnpb", 3);

    let (sa, sb) = (spec_a.clone(), spec_b.clone());
    let (created_a, created_b, listed, inspected_a, inspected_b) = host.run(|| async move {
        let plumbing = Plumbing::new().unwrap();
        let created_a = plumbing.create_endpoint(&sa).await.unwrap();
        let created_b = plumbing.create_endpoint(&sb).await.unwrap();
        let listed = plumbing.list_host_veths("vnp").await.unwrap();
        let inspected_a = plumbing.inspect_container(&sa.netns, "eth0").await.unwrap();
        let inspected_b = plumbing.inspect_container(&sb.netns, "eth0").await.unwrap();
        (created_a, created_b, listed, inspected_a, inspected_b)
    });

    // What the plumbing reports.
    assert_eq!(created_a.host_ifname, "vnpa");
    assert_eq!(created_a.container_mac, [0x02, 0x77, 0, 0, 0, 2]);
    assert_eq!(created_a.container_ifindex, inspected_a.ifindex);
    assert_eq!(created_b.container_mac, inspected_b.mac);
    let names: Vec<_> = listed.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["vnpa", "vnpb"]);
    assert_eq!(listed[0].ifindex, created_a.host_ifindex);
    assert!(listed.iter().all(|v| v.up && v.mtu == 1400), "{listed:?}");

    // The container ends, read back through netlink and the ethtool ioctl.
    assert_eq!(inspected_a.mtu, 1400);
    assert_eq!(inspected_a.mac, [0x02, 0x77, 0, 0, 0, 2]);
    assert!(inspected_a.up);
    assert_eq!(
        inspected_a.addresses,
        [(v4(2).into(), 24), (v6.address.into(), 64)]
    );
    assert_eq!(
        inspected_a.gateways,
        [IpAddr::from(v4(1)), v6.gateway.unwrap().into()]
    );
    assert!(!inspected_a.tx_checksum, "tx checksumming must be off");
    assert_eq!(inspected_b.addresses, [(v4(3).into(), 24)]);
    assert_eq!(inspected_b.gateways, [IpAddr::from(v4(1))]);
    assert!(!inspected_b.tx_checksum);

    // The same, seen by iproute2.
    let link_a = a.ip(&["-o", "link", "show", "eth0"]);
    assert!(link_a.contains("mtu 1400"), "{link_a}");
    assert!(link_a.contains("link/ether 02:77:00:00:00:02"), "{link_a}");
    assert!(link_a.contains(",UP"), "{link_a}");
    let addrs_a = a.ip(&["-o", "addr", "show", "dev", "eth0"]);
    assert!(addrs_a.contains("inet 10.77.0.2/24"), "{addrs_a}");
    assert!(addrs_a.contains("inet6 fd77::2/64"), "{addrs_a}");
    let route_a = a.ip(&["route", "show", "default"]);
    assert!(
        route_a.contains("default via 10.77.0.1 dev eth0"),
        "{route_a}"
    );
    let route6_a = a.ip(&["-6", "route", "show", "default"]);
    assert!(
        route6_a.contains("default via fd77::1 dev eth0"),
        "{route6_a}"
    );

    // Containers a and b talk through a bridge in the host namespace.
    host.ip(&["link", "add", "br0", "type", "bridge"]);
    host.ip(&["link", "set", "vnpa", "master", "br0"]);
    host.ip(&["link", "set", "vnpb", "master", "br0"]);
    host.ip(&["link", "set", "br0", "up"]);
    assert!(a.ping(v4(3).into()), "a cannot ping b");
    assert!(b.ping(v4(2).into()), "b cannot ping a");

    // Deleting removes the pair; deleting again is fine; a bridge is never deleted.
    let pa = spec_a.netns.clone();
    let (first, second, not_veth, listed, inspect_gone) = host.run(|| async move {
        let plumbing = Plumbing::new().unwrap();
        let first = plumbing.delete_endpoint("vnpa").await.unwrap();
        let second = plumbing.delete_endpoint("vnpa").await.unwrap();
        let not_veth = plumbing.delete_endpoint("br0").await;
        let listed = plumbing.list_host_veths("vnp").await.unwrap();
        let inspect_gone = plumbing.inspect_container(&pa, "eth0").await;
        (first, second, not_veth, listed, inspect_gone)
    });
    assert!(first);
    assert!(!second);
    assert!(matches!(not_veth, Err(Error::NotAVeth(_))), "{not_veth:?}");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "vnpb");
    assert!(
        matches!(inspect_gone, Err(Error::InterfaceNotFound(_))),
        "{inspect_gone:?}"
    );
    assert!(!a.ip(&["-o", "link", "show"]).contains("eth0"));
    assert!(a.ip(&["route", "show"]).is_empty());
}

#[test]
fn a_missing_namespace_is_a_distinct_error() {
    let host = TestNs::new('h');
    let stale_file = StaleFile::new();
    let stale = stale_file.0.clone();
    let missing = PathBuf::from(format!("/var/run/netns/nlt{}-missing", std::process::id()));
    let (stale2, missing2) = (stale.clone(), missing.clone());

    let (gone, not_ns, not_net, listed) = host.run(|| async move {
        let plumbing = Plumbing::new().unwrap();
        let try_create = |netns: PathBuf| {
            let plumbing = plumbing.clone();
            async move { plumbing.create_endpoint(&spec(netns, "vnpx", 2)).await }
        };
        let gone = try_create(missing2).await;
        let not_ns = try_create(stale2).await;
        let not_net = try_create("/proc/self/ns/uts".into()).await;
        let listed = plumbing.list_host_veths("").await.unwrap();
        (gone, not_ns, not_net, listed)
    });

    assert!(
        matches!(&gone, Err(Error::NamespaceNotFound(p)) if *p == missing),
        "{gone:?}"
    );
    assert!(
        matches!(&not_ns, Err(Error::NamespaceNotFound(p)) if *p == stale),
        "{not_ns:?}"
    );
    assert!(
        matches!(not_net, Err(Error::NotANetworkNamespace(_))),
        "{not_net:?}"
    );
    assert!(listed.is_empty(), "{listed:?}");
}

#[test]
fn conflicts_and_failures_leave_nothing_behind() {
    let host = TestNs::new('h');
    let c = TestNs::new('c');
    let d = TestNs::new('d');
    // c already has an eth0; d has IPv6 disabled, so configuring an IPv6 address fails after
    // the pair exists.
    c.ip(&["link", "add", "eth0", "type", "bridge"]);
    d.run(|| async {
        for conf in ["all", "default"] {
            std::fs::write(format!("/proc/sys/net/ipv6/conf/{conf}/disable_ipv6"), "1").unwrap();
        }
    });
    let in_c = spec(c.path(), "vnpc", 2);
    let in_d = EndpointSpec {
        ipv6: Some(IpConfig {
            address: "fd77::5".parse().unwrap(),
            prefix_len: 64,
            gateway: None,
        }),
        ..spec(d.path(), "vnpd", 5)
    };
    let taken_host = spec(d.path(), "vnpd", 5);

    let (eth0_taken, v6_fails, host_taken, listed) = host.run(|| async move {
        let plumbing = Plumbing::new().unwrap();
        let eth0_taken = plumbing.create_endpoint(&in_c).await;
        let v6_fails = plumbing.create_endpoint(&in_d).await;
        plumbing.create_endpoint(&taken_host).await.unwrap();
        let host_taken = plumbing.create_endpoint(&taken_host).await;
        plumbing.delete_endpoint("vnpd").await.unwrap();
        let listed = plumbing.list_host_veths("vnp").await.unwrap();
        (eth0_taken, v6_fails, host_taken, listed)
    });

    assert!(
        matches!(&eth0_taken, Err(Error::InterfaceExists(what)) if what.starts_with("eth0 in ")),
        "{eth0_taken:?}"
    );
    assert!(
        matches!(&v6_fails, Err(Error::Netlink { op, .. }) if op.contains("fd77::5")),
        "{v6_fails:?}"
    );
    assert!(
        matches!(&host_taken, Err(Error::InterfaceExists(name)) if name == "vnpd"),
        "{host_taken:?}"
    );
    assert!(listed.is_empty(), "{listed:?}");
    assert!(
        c.ip(&["-o", "link", "show"]).contains("eth0"),
        "the bridge stays"
    );
    assert!(!d.ip(&["-o", "link", "show"]).contains("eth0"));
}
