//! Three netmaster replicas on a three-member etcd cluster, two emulated hosts whose switches
//! connect to every replica and whose agents know every replica. The leader is SIGKILLed while
//! a container pings a container on the other host every 10 ms: no ping is lost, another
//! replica holds MASTER on both switches within 5 s (read from Open vSwitch's Controller
//! table), the switches receive no flow, group or meter mod for the unchanged state (read from
//! ovs-vswitchd's own log of every OpenFlow message it receives), and a change made through a
//! follower's API afterwards reaches the switches.
//!
//! A second fabric: a pod's CNI ADD (libcni's runner, the runtime library of containerd and
//! CRI-O) made the moment the leader is SIGKILLed (one etcd member down) succeeds once another
//! replica leads, and
//! the pod reaches a container on the other host. Then all of etcd is stopped during a ping
//! every 10 ms: no ping is lost, writes are refused with 503 while reads are served, no
//! replica leads; etcd restarted, a leader returns by itself and a new endpoint reaches the
//! switches; the pod's CNI DEL deletes its endpoint.

use northbound_client::client::ClientError;
use northbound_client::info::ReplicaState;
use northbound_client::model::{Endpoint as IntentEndpoint, Kind, Object};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use topology_tests::cmd::output;
use topology_tests::cni::{plugin_dir, pod_namespace, text, CniRunner};
use topology_tests::traffic::{finish_ping, ping, start_ping};
use topology_tests::{wait_for, Fabric, FabricConfig};

const INTENT: &str = r#"{
    "Hosts": [{"Name": "host1", "VtepIp": "192.168.2.10"},
              {"Name": "host2", "VtepIp": "192.168.2.11"}],
    "Tenants": [{
        "Name": "blue", "DefaultNetType": "vxlan", "SubnetPool": "10.9.0.0/16",
        "AllocSubnetLen": 24, "Vxlans": "5000-5100",
        "Networks": [
            {"Name": "web", "Endpoints": [
                {"Container": "a1", "Host": "host1"},
                {"Container": "a2", "Host": "host2"}]}
        ]
    }]
}"#;

/// The role Open vSwitch gives each of `host`'s controllers, by target.
fn roles(f: &Fabric, host: &str) -> BTreeMap<String, String> {
    f.host(host)
        .vsctl(&[
            "--format=csv",
            "--no-headings",
            "--columns=target,role",
            "list",
            "controller",
        ])
        .lines()
        .filter_map(|l| {
            let (target, role) = l.split_once(',')?;
            Some((target.trim_matches('"').to_string(), role.to_string()))
        })
        .collect()
}

/// `GET /metrics` of the netmaster at `url` with the admin token, from the controller
/// namespace.
fn metrics(f: &Fabric, url: String) -> String {
    let token = f.wiring.tokens.admin.clone();
    topology_tests::netns::run_in(&f.wiring.ctl_ns, move || {
        use std::io::{Read, Write};
        let addr = url
            .strip_prefix("http://")
            .expect("an http:// URL")
            .to_string();
        let mut s = std::net::TcpStream::connect(&addr).expect("connect to the API");
        write!(
            s,
            "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("read the answer");
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        text
    })
}

/// The controller target of replica `i`.
fn target(i: u8) -> String {
    format!("tcp:10.254.0.254:{}", 6653 + u16::from(i))
}

/// Whether `host`'s Controller table shows `master` as master and `slaves` other replicas as
/// slaves (the rest not connected).
fn roles_are(f: &Fabric, host: &str, master: &str, slaves: usize) -> bool {
    let r = roles(f, host);
    r.get(master).map(String::as_str) == Some("master")
        && r.values().filter(|role| *role == "master").count() == 1
        && r.values().filter(|role| *role == "slave").count() == slaves
}

/// The OpenFlow messages that change a switch's tables, as ovs-vswitchd logs what it receives.
const WRITES: [&str; 4] = [
    "OFPT_FLOW_MOD",
    "OFPT_GROUP_MOD",
    "OFPT_METER_MOD",
    "OFPT_BUNDLE_ADD_MESSAGE",
];

/// ovs-vswitchd's log of `host` from byte `from` on.
fn vswitchd_log(f: &Fabric, host: &str, from: usize) -> String {
    let log =
        std::fs::read_to_string(f.host(host).dir.join("ovs-vswitchd.log")).unwrap_or_default();
    log.get(from..).unwrap_or_default().to_string()
}

#[test]
fn the_leader_dies_during_a_ping_and_nothing_is_lost() {
    let mut f = blue_fabric();
    let eps = f.endpoints_by_name();
    let leader = f.leader_replica().expect("a leader");
    let leader_target = target(leader);
    // Open vSwitch's Controller table (refreshed every few seconds) shows the leader as
    // master and the others as slaves.
    for host in ["host1", "host2"] {
        wait_for(
            "the leader's roles in the Controller table",
            Duration::from_secs(15),
            || roles_are(&f, host, &leader_target, 2),
        );
    }

    // Every OpenFlow message the switches receive is logged from now on.
    let marks: BTreeMap<&str, usize> = ["host1", "host2"]
        .into_iter()
        .map(|h| {
            f.host(h).appctl(&["vlog/set", "vconn:file:dbg"]);
            (h, vswitchd_log(&f, h, 0).len())
        })
        .collect();

    // A ping every 10 ms for 8 s.
    let log = f.dir().join("ping.log");
    let pinger = start_ping(&eps["a1"], &eps["a2"], "0.01", 800, &log);
    std::thread::sleep(Duration::from_secs(1));

    let killed = Instant::now();
    f.kill_replica(leader);
    // Another replica is MASTER on both switches: each switch logged its ROLE_REPLY granting
    // it.
    wait_for(
        "a new master on both switches",
        Duration::from_secs(5),
        || {
            marks.iter().all(|(h, from)| {
                vswitchd_log(&f, h, *from)
                    .lines()
                    // Open vSwitch 3 prints MASTER as `primary`.
                    .any(|l| l.contains("OFPT_ROLE_REPLY") && l.contains("role=primary"))
            })
        },
    );
    let took = killed.elapsed();
    eprintln!("MASTER granted on both switches {took:?} after the SIGKILL");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let out = finish_ping(pinger, &log);
    assert!(
        out.contains("800 packets transmitted, 800 received"),
        "the running ping lost packets:\n{out}"
    );

    // The new leader read both switches and found them in sync: not one table write arrived
    // after the kill. (The check can fail: ovs-vswitchd logs every message it receives, and
    // its rate limit for them dropped none, or it would say so.)
    f.wait_settled();
    for (host, from) in &marks {
        let received = vswitchd_log(&f, host, *from);
        assert!(
            received.contains("received: OFPST_FLOW request"),
            "{host} logged no flow read of the new leader:\n{received}"
        );
        assert!(
            received.contains("received: OFPT_ROLE_REQUEST"),
            "{host} logged no role request:\n{received}"
        );
        assert!(
            !received.contains("Dropped"),
            "{host}'s log dropped messages:\n{received}"
        );
        let writes: Vec<&str> = received
            .lines()
            .filter(|l| l.contains("received:") && WRITES.iter().any(|w| l.contains(w)))
            .collect();
        assert!(
            writes.is_empty(),
            "{host} received table writes after the failover:\n{}",
            writes.join("\n")
        );
    }

    // The new leader's own metrics say the same: it leads, it is master of both switches,
    // it reconciled them on taking over and sent no mod.
    let text = metrics(&f, f.leader_url());
    for line in [
        "netmaster_leader 1",
        "netmaster_switches_connected{role=\"master\"} 2",
        "netmaster_mods_sent_total{kind=\"flow\"} 0",
        "netmaster_mods_sent_total{kind=\"group\"} 0",
        "netmaster_mods_sent_total{kind=\"meter\"} 0",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    assert!(
        text.contains("netmaster_reconciles_total{trigger=\"connect\",result=\"ok\"}"),
        "{text}"
    );

    // The Controller table agrees, once refreshed: the new leader is master, the other
    // replica slave.
    let new_leader = f.leader_replica().expect("a new leader");
    assert_ne!(new_leader, leader);
    for host in ["host1", "host2"] {
        wait_for(
            "the new leader's roles in the Controller table",
            Duration::from_secs(15),
            || roles_are(&f, host, &target(new_leader), 1),
        );
    }

    // A change through a follower's API (the client follows its redirect to the leader)
    // reaches the switches: a new endpoint on host2, plugged in, answers a1.
    let leader_now = f.leader_replica();
    let follower = (0..3u8)
        .find(|i| *i != leader && Some(*i) != leader_now)
        .expect("a follower");
    let a3 = northbound_client::model::Object::Endpoint(IntentEndpoint {
        host: Some("host2".into()),
        ..IntentEndpoint::named("blue", "web", "a3")
    });
    f.api_at(&f.wiring.api_url(follower), move |c| c.put(&a3))
        .expect("an endpoint created through a follower");
    f.attach("host2", "blue", "a3");
    let eps = f.endpoints_by_name();
    wait_for("a1 -> a3", Duration::from_secs(10), || {
        ping(&eps["a1"], &eps["a3"], &["-c", "1"])
    });

    // The leader paused past its lease (SIGSTOP): the last replica leads, and a3's endpoint is
    // deleted through it. Woken (SIGCONT), the paused replica still holds the old state with
    // a3: the switches refuse whatever it sends (it is their slave now, its generation id
    // stale), it steps down, and a3 stays gone.
    let paused = new_leader;
    let last = follower;
    let last_url = f.wiring.api_url(last);
    let paused_url = f.wiring.api_url(paused);
    let pid = nix::unistd::Pid::from_raw(f.replica_pid(paused) as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).expect("SIGSTOP");
    let info = |f: &Fabric, url: &str| f.api_at(url, |c| c.info());
    wait_for("the last replica to lead", Duration::from_secs(10), || {
        info(&f, &last_url).is_ok_and(|i| i.current_state == ReplicaState::Leader)
    });
    f.api_at(&last_url, |c| c.delete(Kind::Endpoint, "blue:a3"))
        .expect("a3 deleted through the last replica");
    wait_for("the last replica settled", Duration::from_secs(20), || {
        f.api_at(&last_url, |c| c.audit())
            .is_ok_and(|a| a.settled())
    });
    let mac = eps["a3"].mac.clone();
    let holds_a3 = |f: &Fabric| {
        ["host1", "host2"].into_iter().any(|h| {
            f.host(h)
                .ofctl("dump-flows", &[])
                .to_lowercase()
                .contains(&mac.to_lowercase())
        })
    };
    assert!(!holds_a3(&f), "a3's flows are still on a switch");
    let marks: BTreeMap<&str, usize> = ["host1", "host2"]
        .into_iter()
        .map(|h| (h, vswitchd_log(&f, h, 0).len()))
        .collect();
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT).expect("SIGCONT");
    wait_for(
        "the woken replica to follow",
        Duration::from_secs(10),
        || info(&f, &paused_url).is_ok_and(|i| i.current_state == ReplicaState::Follower),
    );
    // Several audit intervals of the woken replica.
    std::thread::sleep(Duration::from_secs(3));
    assert!(!holds_a3(&f), "the woken replica put a3's flows back");
    let stale = target(paused);
    for (host, from) in &marks {
        let received = vswitchd_log(&f, host, *from);
        let writes = received
            .lines()
            .filter(|l| {
                l.contains(&format!("{stale}: received:")) && WRITES.iter().any(|w| l.contains(w))
            })
            .count();
        let refused = received
            .lines()
            // Open vSwitch 3 names OFPBRC_IS_SLAVE `OFPBRC_IS_SECONDARY`.
            .filter(|l| {
                l.contains(&format!("{stale}: sent"))
                    && (l.contains("OFPBRC_IS_SLAVE") || l.contains("OFPBRC_IS_SECONDARY"))
            })
            .count();
        eprintln!(
            "{host}: the woken replica sent {writes} table writes, {refused} refused as a slave's"
        );
        assert!(
            refused >= writes,
            "{host}: {writes} writes, {refused} refused:\n{received}"
        );
    }
    let text = metrics(&f, last_url.clone());
    let repairs = text
        .lines()
        .find_map(|l| l.strip_prefix("netmaster_drift_repairs_total "))
        .unwrap_or_else(|| panic!("no drift repairs counter:\n{text}"));
    assert_eq!(
        repairs.trim(),
        "0",
        "the last leader had to repair a switch"
    );
    assert!(text.contains("netmaster_leader 1"), "{text}");
}

/// Builds the intent of [`INTENT`] with a1 on host1 and a2 on host2 plugged in, and waits
/// until a1 reaches a2 and the switches are settled.
fn blue_fabric() -> Fabric {
    let mut f = Fabric::new(&FabricConfig::hosts(2).with_replicas(3));
    let file = f.dir().join("intent.json");
    std::fs::write(&file, INTENT).unwrap();
    f.netctl(&["-cfg", &file.display().to_string()]);
    f.attach("host1", "blue", "a1");
    f.attach("host2", "blue", "a2");
    let eps = f.endpoints_by_name();
    wait_for("a1 -> a2", Duration::from_secs(20), || {
        ping(&eps["a1"], &eps["a2"], &["-c", "1"])
    });
    f.wait_settled();
    f
}

/// Whether the replica at `url` leads, as its `GET /info` says.
fn leads(f: &Fabric, url: &str) -> bool {
    f.api_at(url, |c| c.info())
        .is_ok_and(|i| i.current_state == ReplicaState::Leader)
}

#[test]
fn a_cni_add_during_failover_and_an_etcd_outage() {
    let mut f = blue_fabric();
    let eps = f.endpoints_by_name();
    let runner = CniRunner::build(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")));
    let host_ns = f.host("host1").ns.clone();
    let pod_ns = pod_namespace(&mut f);
    let dir = plugin_dir(&f);
    let bin = dir.join("bin");
    let conf = dir.join("blue.conflist");
    let conflist = serde_json::json!({
        "cniVersion": "1.0.0",
        "name": "blue",
        "plugins": [{
            "type": "netplugin-cni",
            "agentSocket": f.host("host1").dir.join("cni.sock"),
            "netplugin": {"tenant": "blue", "network": "web"}
        }]
    });
    std::fs::write(&conf, conflist.to_string()).unwrap();
    let env = [
        ("CNI_PATH", bin.display().to_string()),
        ("CNI_CACHE_DIR", dir.join("cache").display().to_string()),
    ];
    let netns = format!("/var/run/netns/{pod_ns}");
    let conf_s = conf.display().to_string();
    let args = [conf_s.as_str(), "failoverpod", netns.as_str(), "eth0"];

    // The pod's ADD is made the moment the leader dies, with one etcd member down: its
    // endpoint is created on demand, which only a leader can do.
    f.etcd().kill(0);
    let leader = f.leader_replica().expect("a leader");
    f.kill_replica(leader);
    let killed = Instant::now();
    let added = runner.run(&host_ns, "add", &env, &args);
    let took = killed.elapsed();
    assert!(
        added.status.success(),
        "ADD during failover: {}",
        text(&added)
    );
    eprintln!("CNI ADD made at the leader's SIGKILL succeeded {took:?} later");
    let new_leader = f.leader_replica().expect("a new leader");
    assert_ne!(new_leader, leader);
    let result: serde_json::Value = serde_json::from_slice(&added.stdout).expect("a result");
    let address = result["ips"][0]["address"].as_str().expect("an address");
    assert!(address.starts_with("10.9."), "{result}");
    let a2 = eps["a2"].ip.to_string();
    wait_for("the pod -> a2", Duration::from_secs(10), || {
        output(&[
            "ip", "netns", "exec", &pod_ns, "ping", "-c", "1", "-W", "1", &a2,
        ])
        .status
        .success()
    });
    let pod_endpoint = f
        .api(|c| c.endpoints())
        .unwrap()
        .into_iter()
        .find(|e| e.sandbox.as_deref() == Some("failoverpod"))
        .expect("the pod's endpoint");
    let pod_key = Object::Endpoint(pod_endpoint).key();

    // All of etcd stops during a ping every 10 ms for 6 s.
    f.wait_settled();
    let log = f.dir().join("ping.log");
    let pinger = start_ping(&eps["a1"], &eps["a2"], "0.01", 600, &log);
    std::thread::sleep(Duration::from_millis(500));
    f.etcd().kill_all();
    let leader_url = f.wiring.api_url(new_leader);
    let a3 = Object::Endpoint(IntentEndpoint {
        host: Some("host2".into()),
        ..IntentEndpoint::named("blue", "web", "a3")
    });
    let refused = {
        let a3 = a3.clone();
        f.api_at(&leader_url, move |c| c.put(&a3))
    };
    match refused {
        Err(ClientError::Api(e)) => assert_eq!(e.status, 503, "{}", e.message),
        other => panic!("a write without etcd was not refused with 503: {other:?}"),
    }
    // Reads are served from each replica's copy; once the lease is gone, no replica leads.
    for i in 0..3u8 {
        if i == leader {
            continue;
        }
        let read = f.api_at(&f.wiring.api_url(i), |c| c.get(Kind::Endpoint, "blue:a1"));
        assert!(read.is_ok(), "replica {i} read nothing: {read:?}");
    }
    wait_for("no replica to lead", Duration::from_secs(10), || {
        (0..3u8)
            .filter(|i| *i != leader)
            .all(|i| !leads(&f, &f.wiring.api_url(i)))
    });
    let out = finish_ping(pinger, &log);
    assert!(
        out.contains("600 packets transmitted, 600 received"),
        "packets were lost while etcd was down:\n{out}"
    );

    // etcd back: a leader again, by itself; the refused write was not half-made, and made
    // again it reaches the switches.
    let stopped = Instant::now();
    f.etcd().restart_stopped();
    f.etcd().wait_healthy();
    let back = f.leader_replica().expect("a leader once etcd is back");
    eprintln!("a leader {:?} after etcd was restarted", stopped.elapsed());
    let url = f.wiring.api_url(back);
    assert!(
        f.api_at(&url, |c| c.get(Kind::Endpoint, "blue:a3"))
            .is_err(),
        "the refused write was made"
    );
    f.api_at(&url, move |c| c.put(&a3))
        .expect("a write once etcd is back");
    f.attach("host2", "blue", "a3");
    let eps = f.endpoints_by_name();
    wait_for("a1 -> a3", Duration::from_secs(10), || {
        ping(&eps["a1"], &eps["a3"], &["-c", "1"])
    });

    // The pod's DEL deletes its on-demand endpoint.
    let deleted = runner.run(&host_ns, "del", &env, &args);
    assert!(deleted.status.success(), "DEL: {}", text(&deleted));
    assert!(
        f.api(move |c| c.get(Kind::Endpoint, &pod_key)).is_err(),
        "the pod's endpoint outlived its DEL"
    );
}
