//! The many-hosts benchmark (not a timed test): 8 emulated hosts, 256 containers in 16
//! tenants (one VXLAN network each, all with the same subnet, 16 containers per tenant spread
//! over the hosts). From `netctl -cfg` on, it measures when every container is attached, when
//! every switch had its last reconcile (the last barrier reply), and when every ordered pair of
//! containers in a tenant had its first successful ping; and it counts the flow-mods and group
//! mods netmaster sent and reads its memory.
//!
//! Every source pings all its peers at once, from one shell in its namespace, and all sources
//! at once. The emulated hosts share one kernel and so one ARP table, whose limits the
//! benchmark raises for its run ([`topology_tests::neighbours`]): 3,840 neighbour entries do
//! not fit in the default 1,024, and a container whose entry cannot be made sends nothing.
//! Right after the pings it counts the datapath flows in ovs-vswitchd's slow path (none
//! allowed with `FABRIC_ARP_MODE=directed`).
//!
//! Then, 20 s later on the idle fabric (the pings' datapath flows gone), new containers one
//! after another: `netplugin attach` timed from spawn to exit (it returns once netmaster says
//! every switch concerned holds the endpoint), and the first answered ping to a peer on
//! another host timed from attach's exit.
//!
//! When the switches are complete is measured from the switches' side: every switch's flow
//! count is sampled (`ovs-ofctl dump-aggregate`, about every 200 ms) from `netctl -cfg` on,
//! and a switch is complete from the first sample after which its count no longer changes.
//! Before it prints, the benchmark checks the work: every pair answered, every reconcile
//! without errors, every switch holding flows.
//!
//! `cargo bench -p topology-tests --bench fabric` (root; builds the release binaries).
//! `FABRIC_HOSTS`, `FABRIC_TENANTS`, `FABRIC_PER_TENANT` change the size,
//! `FABRIC_PING_SOURCES` how many sources ping at a time (all), `FABRIC_ARP_MODE` the global
//! `arpMode` (`proxy`, the default, `directed` or `flood`; set after the intent file, which
//! writes the globals). Without `--bench` (as under
//! `cargo test --benches`, in the test command) it runs a smoke version: 2 hosts, 2 tenants of
//! 3 containers.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use topology_tests::timing::{percentile, settled_at};
use topology_tests::{Endpoint, Fabric, FabricConfig};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The intent: `tenants` tenants with one VXLAN network `net` each (10.1.0.0/24 everywhere),
/// `per_tenant` containers each, container i of a tenant on host (i mod hosts) + 1.
fn intent(
    hosts: usize,
    tenants: usize,
    per_tenant: usize,
) -> (String, Vec<(String, String, String)>) {
    let mut placed = Vec::new();
    let mut ts = Vec::new();
    for t in 0..tenants {
        let tenant = format!("t{t:02}");
        let eps: Vec<String> = (0..per_tenant)
            .map(|i| {
                let c = format!("c{t:02}x{i:02}");
                let h = format!("host{}", i % hosts + 1);
                placed.push((c.clone(), h.clone(), tenant.clone()));
                format!(r#"{{"Container": "{c}", "Host": "{h}"}}"#)
            })
            .collect();
        ts.push(format!(
            r#"{{"Name": "{tenant}", "DefaultNetType": "vxlan", "SubnetPool": "10.1.0.0/16",
                "AllocSubnetLen": 24, "Vxlans": "{}-{}",
                "Networks": [{{"Name": "net", "Endpoints": [{}]}}]}}"#,
            1000 + t * 10,
            1000 + t * 10 + 9,
            eps.join(",")
        ));
    }
    let hosts_json: Vec<String> = (1..=hosts)
        .map(|h| format!(r#"{{"Name": "host{h}", "VtepIp": "192.168.2.{}"}}"#, 9 + h))
        .collect();
    (
        format!(
            r#"{{"Hosts": [{}], "Tenants": [{}]}}"#,
            hosts_json.join(","),
            ts.join(",")
        ),
        placed,
    )
}

/// Pings every endpoint of `to` from `from` at once (one shell in `from`'s namespace); the
/// names of those that answered with their own MAC (tenants reuse addresses).
fn ping_all(from: &Endpoint, to: &[&Endpoint]) -> Vec<String> {
    let ips: Vec<String> = to.iter().map(|b| b.ip.to_string()).collect();
    let script = format!(
        "for ip in {}; do (ping -n -q -c 1 -W 1 $ip >/dev/null 2>&1 && echo ok $ip) & done; wait; ip -j neigh show",
        ips.join(" ")
    );
    let out = topology_tests::cmd::output(&["ip", "netns", "exec", &from.ns, "sh", "-c", &script]);
    let text = String::from_utf8_lossy(&out.stdout);
    let answered: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("ok ")).collect();
    let neigh: serde_json::Value = text
        .lines()
        .find(|l| l.starts_with('['))
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_default();
    let mac_of = |ip: &str| {
        neigh.as_array().and_then(|ns| {
            ns.iter()
                .find(|n| n["dst"] == ip)
                .and_then(|n| n["lladdr"].as_str().map(str::to_lowercase))
        })
    };
    to.iter()
        .filter(|b| {
            let ip = b.ip.to_string();
            answered.contains(&ip.as_str()) && mac_of(&ip).as_deref() == Some(b.mac.as_str())
        })
        .map(|b| b.name.clone())
        .collect()
}

/// Prints what the source of failed pair `pair` ("a -> b") sees: its neighbours, a ping, and
/// its host's datapath counters (FABRIC_DIAGNOSE=1).
fn diagnose(f: &Fabric, eps: &[Endpoint], pair: &str) {
    let (a, b) = pair.split_once(" -> ").unwrap();
    let a = eps.iter().find(|e| e.name == a).unwrap();
    let b = eps.iter().find(|e| e.name == b).unwrap();
    let run = |args: &[&str]| {
        let out = topology_tests::cmd::output(args);
        format!(
            "$ {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    eprintln!(
        "--- diagnosing {pair} ({} on {}, {} on {})",
        a.ip, a.host, b.ip, b.host
    );
    eprintln!("{}", run(&["ip", "-n", &a.ns, "neigh"]));
    eprintln!(
        "{}",
        run(&[
            "ip",
            "netns",
            "exec",
            &a.ns,
            "ping",
            "-c",
            "3",
            "-W",
            "1",
            &b.ip.to_string()
        ])
    );
    eprintln!("{}", run(&["ip", "-n", &a.ns, "neigh"]));
    for h in [&a.host, &b.host] {
        let ctl = f.host(h).dir.join("ovs-vswitchd.ctl").display().to_string();
        eprintln!("{}", run(&["ovs-appctl", "-t", &ctl, "coverage/show"]));
        eprintln!("{}", run(&["ovs-appctl", "-t", &ctl, "upcall/show"]));
        let flows = run(&["ovs-appctl", "-t", &ctl, "dpctl/dump-flows"]);
        eprintln!("datapath flows on {h}: {}", flows.lines().count());
        for l in flows
            .lines()
            .filter(|l| l.contains(&a.mac) || l.contains(&b.mac))
            .take(20)
        {
            eprintln!("  {l}");
        }
    }
}

/// Writes both hosts' OpenFlow and datapath flows for pair `a -> b` to
/// `/tmp/fabdiag/diag-<label>-<host>.txt`, with a trace of `a`'s ARP request for `b`.
fn snapshot(f: &Fabric, a: &Endpoint, b: &Endpoint, label: &str) {
    let dir = std::path::PathBuf::from("/tmp/fabdiag");
    std::fs::create_dir_all(&dir).unwrap();
    eprintln!(
        "--- snapshot {label}: {} -> {} in {}",
        a.name,
        b.name,
        dir.display()
    );
    for h in [&a.host, &b.host] {
        let host = f.host(h);
        let flows = host.ofctl("dump-flows", &["--no-stats"]);
        let port = flows
            .lines()
            .find(|l| l.contains(&format!("dl_src={}", a.mac)) && l.contains("in_port="))
            .and_then(|l| l.split("in_port=").nth(1))
            .and_then(|r| r.split([',', ' ']).next())
            .unwrap_or("")
            .to_string();
        let trace = if h == &a.host && !port.is_empty() {
            host.appctl(&[
                "ofproto/trace",
                "br-int",
                &format!(
                    "in_port={port},arp,arp_op=1,dl_src={},dl_dst=ff:ff:ff:ff:ff:ff,arp_sha={},arp_spa={},arp_tpa={}",
                    a.mac, a.mac, a.ip, b.ip
                ),
            ])
        } else {
            String::new()
        };
        let dp = host.appctl(&["dpctl/dump-flows"]);
        let groups = host.ofctl("dump-groups", &[]);
        std::fs::write(
            dir.join(format!("diag-{label}-{h}.txt")),
            format!("{flows}\n--- groups\n{groups}\n--- trace\n{trace}\n--- datapath\n{dp}"),
        )
        .unwrap();
    }
}

/// Waits until netmaster's log (from line `mark` on) has had no new event for two seconds:
/// it logs every reconcile after its barrier reply.
fn wait_quiet(f: &Fabric, mark: usize) {
    let mut quiet_since = Instant::now();
    let mut seen = f.netmaster_events(mark).len();
    while quiet_since.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(200));
        let n = f.netmaster_events(mark).len();
        if n != seen {
            seen = n;
            quiet_since = Instant::now();
        }
    }
}

/// The datapath flows of every host whose actions go to ovs-vswitchd's slow path.
fn slow_path_flows(f: &Fabric) -> usize {
    count_datapath_flows(f, |l| l.contains("slow_path"))
}

/// The datapath flows of every host.
fn datapath_flows(f: &Fabric) -> usize {
    count_datapath_flows(f, |_| true)
}

fn count_datapath_flows(f: &Fabric, which: impl Fn(&str) -> bool) -> usize {
    f.hosts
        .values()
        .map(|h| {
            h.appctl(&["dpctl/dump-flows"])
                .lines()
                .filter(|l| which(l))
                .count()
        })
        .sum()
}

/// How soon new containers are usable, measured from the outside.
struct Usable {
    /// `netplugin attach`, from spawning it to its exit.
    attach: Vec<Duration>,
    /// From attach's exit to the first echo reply from a peer on another host.
    first_ping: Vec<Duration>,
}

/// On the idle fabric, `n` new containers of tenant `t00`, one after another, each on the
/// next host: the endpoint is created through the API, then `netplugin attach` is timed, then the
/// container pings a peer of its tenant on another host every 5 ms until the first answer
/// (ARP included), whose time `ping -D` stamps.
fn usable(f: &mut Fabric, eps: &[Endpoint], n: usize) -> Usable {
    use northbound_api::model::{Endpoint as IntentEndpoint, Object};
    let hosts: Vec<String> = f.hosts.keys().cloned().collect();
    let mut out = Usable {
        attach: Vec::new(),
        first_ping: Vec::new(),
    };
    for i in 0..n {
        let host = hosts[i % hosts.len()].clone();
        let name = format!("new{i:02}");
        let peer = eps
            .iter()
            .find(|e| e.tenant == "t00" && e.host != host)
            .expect("a peer on another host");
        let ep = Object::Endpoint(IntentEndpoint {
            host: Some(host.clone()),
            ..IntentEndpoint::named("t00", "net", &name)
        });
        f.api(move |c| c.put(&ep)).expect("the new endpoint");
        let ns = format!("{}-c-{name}", f.prefix);
        topology_tests::cmd::run(&["ip", "netns", "add", &ns]);
        f.track_namespaces(vec![ns.clone()]);
        let start = Instant::now();
        f.host(&host).attach(f.bins, "t00", &name, &ns);
        out.attach.push(start.elapsed());
        let attached = std::time::SystemTime::now();
        let ip = peer.ip.to_string();
        let ping = topology_tests::cmd::in_ns(
            &ns,
            &["ping", "-n", "-D", "-c", "1", "-i", "0.005", "-w", "5", &ip],
        );
        // "[1733628000.123456] 64 bytes from 10.1.0.2: icmp_seq=3 ttl=64 time=0.9 ms"
        let stamp: f64 = ping
            .lines()
            .find(|l| l.contains(" bytes from "))
            .and_then(|l| l.strip_prefix('['))
            .and_then(|l| l.split(']').next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("{name} on {host} never reached {}: {ping}", peer.name));
        let since = stamp
            - attached
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64();
        out.first_ping.push(Duration::from_secs_f64(since.max(0.0)));
    }
    out
}

/// One sample of every switch's flow count: (time since `t0`, counts).
type Sample = (Duration, Vec<u64>);

/// Samples the flow counts of the switches behind `mgmt` sockets, about every 200 ms, until
/// `stop` is set.
fn sample_flows(
    mgmt: Vec<String>,
    t0: Instant,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<Vec<Sample>> {
    std::thread::spawn(move || {
        let mut samples = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let counts = mgmt
                .iter()
                .map(|m| topology_tests::ovs::flow_count(m).expect("flow_count in dump-aggregate"))
                .collect();
            samples.push((t0.elapsed(), counts));
            std::thread::sleep(Duration::from_millis(200));
        }
        samples
    })
}

/// When each switch became complete: the first sample from which on its count equals its
/// final one.
fn completed_at(samples: &[Sample]) -> Vec<Duration> {
    let switches = samples.last().map_or(0, |(_, last)| last.len());
    (0..switches)
        .filter_map(|i| {
            let one: Vec<(Duration, u64)> = samples.iter().map(|(t, c)| (*t, c[i])).collect();
            settled_at(&one)
        })
        .collect()
}

fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (hosts, tenants, per_tenant) = if bench {
        (
            env("FABRIC_HOSTS", 8),
            env("FABRIC_TENANTS", 16),
            env("FABRIC_PER_TENANT", 16),
        )
    } else {
        (2, 2, 3)
    };
    // Every container resolves every peer of its tenant, in the one ARP table of this kernel.
    let _neighbours = topology_tests::neighbours::Raised::to_hold(
        (tenants * per_tenant * per_tenant + 1024) as u64,
    );
    let setup = Instant::now();
    let mut fabric = Fabric::new(&FabricConfig::hosts(hosts as u8));
    let f = &mut fabric;
    eprintln!("{hosts} hosts up in {:.2?}", setup.elapsed());
    let (json, placed) = intent(hosts, tenants, per_tenant);
    let file = f.dir().join("bench-intent.json");
    std::fs::write(&file, json).unwrap();
    let mark = f.netmaster_log_len();

    let mgmt: Vec<String> = f
        .hosts
        .values()
        .map(|h| format!("unix:{}/br-int.mgmt", h.dir.display()))
        .collect();
    let stop_sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let t0 = Instant::now();
    let sampler = sample_flows(mgmt, t0, stop_sampling.clone());
    f.netctl(&["-cfg", &file.display().to_string()]);
    let applied = t0.elapsed();
    // The ARP mode, after the intent file (which writes the globals).
    if let Ok(mode) = std::env::var("FABRIC_ARP_MODE") {
        let arp_mode: northbound_api::model::ArpMode =
            serde_json::from_value(serde_json::Value::String(mode.clone()))
                .unwrap_or_else(|e| panic!("FABRIC_ARP_MODE={mode}: {e}"));
        let mut global = match f.api(|c| c.get(northbound_api::model::Kind::Global, "global")) {
            Ok(northbound_api::model::Object::Global(g)) => g,
            other => panic!("global: {other:?}"),
        };
        global.arp_mode = arp_mode;
        f.api(move |c| c.put(&northbound_api::model::Object::Global(global)))
            .expect("the ARP mode");
        eprintln!("arpMode {mode}");
    }
    // Attach, one thread per host (each host's agent plumbs its own containers).
    let mut by_host: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (c, h, t) in &placed {
        by_host
            .entry(h.clone())
            .or_default()
            .push((c.clone(), t.clone()));
        f.containers.insert(
            c.clone(),
            topology_tests::fabric::Container {
                tenant: t.clone(),
                host: h.clone(),
                ns: format!("{}-c-{c}", f.prefix),
            },
        );
    }
    for c in f.containers.values() {
        topology_tests::cmd::run(&["ip", "netns", "add", &c.ns]);
        topology_tests::cmd::in_ns(&c.ns, &["ip", "link", "set", "lo", "up"]);
    }
    f.track_namespaces(f.containers.values().map(|c| c.ns.clone()).collect());
    std::thread::scope(|s| {
        for (h, cs) in &by_host {
            let host = f.host(h);
            let bins = f.bins;
            let prefix = f.prefix.clone();
            s.spawn(move || {
                for (c, t) in cs {
                    host.attach(bins, t, c, &format!("{prefix}-c-{c}"));
                }
            });
        }
    });
    let attached = t0.elapsed();

    // Pings: every ordered pair within a tenant, first success timed from t0. Each source
    // pings all its peers at once from one shell in its namespace (so that the figure measures
    // the network rather than process start-up), and again for those not answered yet.
    let eps = f.endpoints();
    assert_eq!(eps.len(), placed.len(), "every container has its addresses");

    let pairs = eps
        .iter()
        .map(|a| {
            eps.iter()
                .filter(|b| b.tenant == a.tenant && b.name != a.name)
                .count()
        })
        .sum::<usize>();
    let next = AtomicUsize::new(0);
    let firsts = Mutex::new(Vec::new());
    let failed = Mutex::new(Vec::new());
    let snapped = std::sync::atomic::AtomicBool::new(false);
    let f: &Fabric = f;
    std::thread::scope(|s| {
        for _ in 0..env("FABRIC_PING_SOURCES", eps.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(a) = eps.get(i) else { return };
                let mut waiting: Vec<&Endpoint> = eps
                    .iter()
                    .filter(|b| b.tenant == a.tenant && b.name != a.name)
                    .collect();
                let start = Instant::now();
                while !waiting.is_empty() {
                    let answered = ping_all(a, &waiting);
                    let now = t0.elapsed();
                    waiting.retain(|b| {
                        let ok = answered.contains(&b.name);
                        if ok {
                            firsts.lock().unwrap().push(now);
                        }
                        !ok
                    });
                    if start.elapsed() > Duration::from_secs(10)
                        && std::env::var("FABRIC_DIAGNOSE").is_ok()
                        && !snapped.swap(true, Ordering::Relaxed)
                    {
                        snapshot(f, a, waiting[0], "during");
                    }
                    if start.elapsed() > Duration::from_secs(30) {
                        let mut failed = failed.lock().unwrap();
                        failed.extend(waiting.iter().map(|b| format!("{} -> {}", a.name, b.name)));
                        break;
                    }
                }
            });
        }
    });
    let all_pinged = t0.elapsed();
    // Right after the pings, before their datapath flows idle out (10 s).
    let slow_path = slow_path_flows(f);
    // The last reconcile of each switch.
    wait_quiet(f, mark);
    let events = f.netmaster_events(mark);
    let reconciles: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["message"] == "reconciled")
        .collect();
    let sum = |k: &str| {
        reconciles
            .iter()
            .map(|e| e[k].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    let flow_mods = sum("flows_added") + sum("flows_modified") + sum("flows_deleted");
    let group_mods = sum("groups_added") + sum("groups_modified") + sum("groups_deleted");
    let messages = sum("messages");
    let (rss, hwm) = rss_kib(f.netmaster_pid());
    let mut firsts = firsts.into_inner().unwrap();
    firsts.sort();
    let failed = failed.into_inner().unwrap();
    stop_sampling.store(true, Ordering::Relaxed);
    let samples = sampler.join().expect("the flow sampler");
    let complete = completed_at(&samples);
    let final_counts = samples.last().map(|(_, c)| c.clone()).unwrap_or_default();
    let console = console_fetches(f, hosts, eps.len());
    let page = console_page(f, eps.len());

    // The work, checked before anything is printed.
    if let (Some(first), Ok(_)) = (failed.first(), std::env::var("FABRIC_DIAGNOSE")) {
        let (a, b) = first.split_once(" -> ").unwrap();
        let a = eps.iter().find(|e| e.name == a).unwrap();
        let b = eps.iter().find(|e| e.name == b).unwrap();
        snapshot(f, a, b, "after");
        diagnose(f, &eps, first);
    }
    assert!(
        failed.is_empty(),
        "{} pairs never answered, e.g. {:?}",
        failed.len(),
        &failed[..failed.len().min(20)]
    );
    assert_eq!(sum("errors"), 0, "the switches refused messages");
    assert!(
        final_counts.len() == hosts && final_counts.iter().all(|n| *n > 0),
        "a switch without flows: {final_counts:?}"
    );
    let directed = std::env::var("FABRIC_ARP_MODE").as_deref() == Ok("directed");
    assert!(
        !directed || slow_path == 0,
        "{slow_path} datapath flows in the slow path with directed ARP"
    );
    // New containers once the fabric is idle again: the pings' datapath flows idle out
    // after 10 s (the containers' IPv6 router solicitations go on: their flows are counted).
    std::thread::sleep(Duration::from_secs(if bench { 20 } else { 0 }));
    let idle_flows = datapath_flows(&fabric);
    let mut usable = usable(&mut fabric, &eps, if bench { 32 } else { 2 });
    usable.attach.sort();
    usable.first_ping.sort();
    println!(
        "== fabric benchmark: {hosts} hosts, {} containers, {tenants} tenants",
        eps.len()
    );
    println!("netctl -cfg answered:                     {applied:.2?}");
    println!("every container attached:                 {attached:.2?}");
    println!(
        "first successful ping of every pair:      {all_pinged:.2?} ({} pairs; median first success {:.2?}; {} failed)",
        pairs,
        firsts.get(firsts.len() / 2).copied().unwrap_or_default(),
        failed.len()
    );
    println!(
        "every switch's flows complete:            {:.2?} (seen from the switches, {} samples of {hosts} flow counts; final counts {final_counts:?})",
        complete.iter().max().copied().unwrap_or_default(),
        samples.len()
    );
    println!(
        "reconciles: {}, flow-mods {flow_mods}, group-mods {group_mods}, messages {messages}",
        reconciles.len()
    );
    println!(
        "datapath flows in the slow path after the pings: {slow_path} (arpMode {})",
        std::env::var("FABRIC_ARP_MODE").unwrap_or_else(|_| "proxy".into())
    );
    println!(
        "a new container on the idle fabric ({idle_flows} datapath flows on the hosts; {} one after another): attach p50 {:.1?}, p90 {:.1?}, max {:.1?} (spawn to exit); first ping to a peer on another host answered p50 {:.1?}, p90 {:.1?}, max {:.1?} after attach returned",
        usable.attach.len(),
        percentile(&usable.attach, 50),
        percentile(&usable.attach, 90),
        percentile(&usable.attach, 100),
        percentile(&usable.first_ping, 50),
        percentile(&usable.first_ping, 90),
        percentile(&usable.first_ping, 100),
    );
    println!(
        "netmaster memory: RSS {} MiB, peak {} MiB",
        rss / 1024,
        hwm / 1024
    );
    println!(
        "web console state document: {} KiB; first fetch (reads every switch's flows) {:.2?}, then median {:.2?}, max {:.2?} (10 fetches, from the client)",
        console.bytes / 1024,
        console.first,
        console.median,
        console.max
    );
    println!(
        "web console page in chromium: every endpoint drawn {} ms after navigation, a new endpoint drawn {} ms after its POST (from the browser's side)",
        page["loadMs"], page["changeMs"]
    );
}

/// The console's page in a real browser at this size (`console_render.py`): how long until
/// every endpoint is drawn, and until a new one is; checks that every endpoint was drawn.
fn console_page(f: &Fabric, endpoints: usize) -> serde_json::Value {
    let python = std::env::var("NETPLUGIN_PYTHON")
        .unwrap_or_else(|_| "/var/tmp/netplugin-venv/bin/python".into());
    let cfg = serde_json::json!({
        "url": topology_tests::host::api_url(),
        "token": f.wiring.tokens.admin,
        "chromium": "/usr/bin/chromium",
        "endpoints": endpoints,
        "endpoint": {
            "key": "t00:bench-new",
            "path": "/api/v1/endpoints/t00:bench-new/",
            "body": {"tenantName": "t00", "networkName": "net", "containerName": "bench-new"},
        },
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/console_render.py");
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", &f.wiring.ctl_ns, &python, script])
        .arg(cfg.to_string())
        .output()
        .expect("run the browser");
    assert!(
        out.status.success(),
        "the console page in the browser: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let page: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("console_render.py prints JSON");
    assert_eq!(
        page["drawn"], endpoints,
        "the page draws every endpoint: {page}"
    );
    page
}

/// What fetching the web console's state document costs, from the client's side.
struct ConsoleFetches {
    bytes: usize,
    first: Duration,
    median: Duration,
    max: Duration,
}

/// Fetches the console's state document ten times (the first reads every switch's flows,
/// the next ones within two seconds reuse that read); checks that it shows every host and
/// every endpoint.
fn console_fetches(f: &Fabric, hosts: usize, endpoints: usize) -> ConsoleFetches {
    let mut took = Vec::new();
    let mut bytes = 0;
    for _ in 0..10 {
        let start = Instant::now();
        let state = f.api(|c| c.console_state()).expect("console state");
        took.push(start.elapsed());
        assert_eq!(state.hosts.len(), hosts, "the console shows every host");
        let shown: usize = state
            .tenants
            .iter()
            .flat_map(|t| &t.networks)
            .map(|n| n.endpoints.len())
            .sum();
        assert_eq!(shown, endpoints, "the console shows every endpoint");
        assert!(
            state.hosts.iter().all(|h| h.flows.is_some()),
            "a switch's flows not read"
        );
        bytes = serde_json::to_vec(&state).expect("serializes").len();
    }
    let first = took[0];
    took.sort();
    ConsoleFetches {
        bytes,
        first,
        median: took[took.len() / 2],
        max: took[took.len() - 1],
    }
}
