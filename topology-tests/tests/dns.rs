//! DNS inside each tenant (`global.dnsAddress`): containers on two emulated hosts ask the
//! DNS address with busybox's `nslookup`, as an application's resolver would:
//! * a container's name, and `container.network`, resolve to the address of the asking
//!   tenant's endpoint, across hosts;
//! * a name only another tenant has, and an unknown name, get NXDOMAIN at once.

use northbound_api::model::{Global, Object, Tenant};
use northbound_api::service::Batch;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};
use topology_tests::cmd::output;
use topology_tests::{intent, Fabric, FabricConfig};

const DNS: &str = "169.254.0.53";

/// `busybox nslookup NAME DNS` in container namespace `ns`: whether it found the name, its
/// output, how long it took.
fn nslookup(ns: &str, name: &str) -> (bool, String, Duration) {
    let start = Instant::now();
    let out = output(&[
        "ip",
        "netns",
        "exec",
        ns,
        "/bin/busybox",
        "nslookup",
        name,
        DNS,
    ]);
    let took = start.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text, took)
}

/// The address `nslookup` printed for the name (the last `Address:` line that is not the
/// server's).
fn resolved(text: &str) -> Option<Ipv4Addr> {
    text.lines()
        .filter_map(|l| l.strip_prefix("Address:"))
        .filter_map(|a| a.trim().parse().ok())
        .next_back()
}

#[test]
fn containers_resolve_their_own_tenants_names_only() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    let mut upserts = vec![
        Object::Global(Global {
            dns_address: Some(DNS.parse().expect("an address")),
            ..Global::default()
        }),
        intent::host("host1", "192.168.2.10"),
        intent::host("host2", "192.168.2.11"),
    ];
    for t in ["blue", "red"] {
        upserts.push(Object::Tenant(Tenant::named(t)));
        upserts.push(Object::Network(intent::vxlan_network(
            t,
            "web",
            "10.1.0.0/24",
            None,
        )));
    }
    upserts.push(Object::Network(intent::vxlan_network(
        "blue",
        "db",
        "10.1.1.0/24",
        None,
    )));
    let placement = [
        ("blue", "web", "web1", "host1"),
        ("blue", "web", "web2", "host2"),
        ("blue", "db", "db1", "host2"),
        ("red", "web", "web9", "host1"),
        ("red", "web", "redonly", "host2"),
    ];
    upserts.extend(
        placement
            .iter()
            .map(|(t, n, c, h)| intent::endpoint(t, n, c, None, h)),
    );
    let batch = Batch {
        upserts,
        ..Batch::default()
    };
    f.api(move |c| c.apply(&batch)).expect("intent");
    for (t, _, c, h) in placement {
        f.attach(h, t, c);
    }
    f.wait_settled();
    let eps = f.endpoints();
    let ep = |name: &str| {
        eps.iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("no endpoint {name}"))
    };
    let web1 = &ep("web1").ns;

    // Own tenant's names, across hosts and networks, in any case.
    for (name, want) in [
        ("web2", ep("web2").ip),
        ("WEB2", ep("web2").ip),
        ("db1", ep("db1").ip),
        ("db1.db", ep("db1").ip),
        ("web1", ep("web1").ip),
    ] {
        let (ok, text, took) = nslookup(web1, name);
        assert!(ok, "web1 asking {name}: {text}");
        assert_eq!(resolved(&text), Some(want), "web1 asking {name}: {text}");
        eprintln!("{name}: {want} in {} ms", took.as_millis());
    }
    // red's web9 resolves red's names; blue's are not there for it, nor red's for blue.
    let web9 = &ep("web9").ns;
    let (ok, text, _) = nslookup(web9, "redonly");
    assert!(ok, "{text}");
    assert_eq!(resolved(&text), Some(ep("redonly").ip));
    for (ns, name) in [
        (web9, "web2"),
        (web9, "db1.db"),
        (web1, "redonly"),
        (web1, "web9"),
        (web1, "nobody"),
        (web1, "db1.web"),
    ] {
        let (ok, text, took) = nslookup(ns, name);
        assert!(
            !ok && text.contains("NXDOMAIN"),
            "{ns} asking {name}: {text}"
        );
        assert!(
            took < Duration::from_secs(1),
            "{name}: NXDOMAIN after {took:?}"
        );
    }
}
