//! netmaster replicas on a real three-member etcd cluster (Debian's etcd-server, loopback):
//! exactly one leader; followers send writes to it (307, which the client follows) and serve
//! reads from their watched copy; a SIGKILLed leader is replaced within 5 s and the new one
//! takes writes; one etcd member down changes nothing; all of etcd down refuses writes with
//! 503 and the replicas recover by themselves; a leader paused past its lease steps down on
//! waking and its writes go to the new leader.

#[path = "support/api_netmaster.rs"]
mod api_netmaster;
#[path = "support/etcd.rs"]
mod etcd;

use api_netmaster::{raw_request, ApiNetmaster};
use etcd::EtcdCluster;
use northbound_api::model::{Kind, Object, Tenant};
use northbound_api::oper::ReplicaState;
use northbound_client::client::{Client, ClientError};
use std::time::{Duration, Instant};

struct Replicas {
    nms: Vec<Option<ApiNetmaster>>,
}

impl Replicas {
    fn client(&self, i: usize) -> Client {
        Client::new(&self.nms[i].as_ref().expect("a running replica").url)
    }

    fn running(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.nms.len()).filter(|i| self.nms[*i].is_some())
    }

    /// The replica every running replica names as the leader, with the one that says it
    /// leads; waits at most `within`.
    fn leader(&self, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        loop {
            let infos: Vec<(usize, _)> = self
                .running()
                .filter_map(|i| self.client(i).info().ok().map(|info| (i, info)))
                .collect();
            let leaders: Vec<usize> = infos
                .iter()
                .filter(|(_, info)| info.current_state == ReplicaState::Leader)
                .map(|(i, _)| *i)
                .collect();
            if let ([l], true) = (leaders.as_slice(), infos.len() == self.running().count()) {
                let url = &self.nms[*l].as_ref().expect("running").url;
                if infos
                    .iter()
                    .all(|(_, info)| info.leader_url.as_deref() == Some(url.as_str()))
                {
                    return *l;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no single leader all replicas agree on within {within:?}: {infos:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until every running replica lists tenant `name`.
    fn everyone_has(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        for i in self.running() {
            while self.client(i).get(Kind::Tenant, name).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "replica {i} never read tenant {name}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

fn tenant(name: &str) -> Object {
    Object::Tenant(Tenant::named(name))
}

fn signal(pid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) with a child's PID and a signal number touches no memory of ours.
    let rc = unsafe { libc::kill(pid as libc::pid_t, sig) };
    assert_eq!(rc, 0, "kill {pid}");
}

#[test]
fn one_leader_followers_redirect_failover_and_etcd_outages() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut etcd = EtcdCluster::start(dir.path());
    let store = format!("--store={}", etcd.store_url());
    let prefix = format!("--etcd-prefix=/netmaster-test-{}", std::process::id());
    let nms: Vec<Option<ApiNetmaster>> = (0..3)
        .map(|i| {
            Some(ApiNetmaster::start(
                &dir.path().join(format!("of{i}.sock")),
                &[store.as_str(), prefix.as_str(), "--lease-ttl-s=2"],
            ))
        })
        .collect();
    let mut r = Replicas { nms };

    // One leader; it created the default tenant, which every replica reads.
    let leader = r.leader(Duration::from_secs(10));
    r.everyone_has("default");
    let follower = r.running().find(|i| *i != leader).expect("a follower");
    // Every replica's metrics say whether it leads.
    for i in r.running() {
        let (status, text) = raw_request(
            &r.nms[i].as_ref().expect("running").url,
            "GET",
            "/metrics",
            "",
        );
        assert_eq!(status, 200, "{text}");
        let want = if i == leader { 1 } else { 0 };
        assert!(
            text.contains(&format!("netmaster_leader {want}\n")),
            "replica {i}:\n{text}"
        );
        assert!(
            text.contains("netmaster_store_commit_duration_seconds_count"),
            "{text}"
        );
    }

    // A write to a follower is redirected to the leader, path and query kept.
    let follower_url = r.nms[follower].as_ref().expect("running").url.clone();
    let (status, _) = raw_request(
        &follower_url,
        "PUT",
        "/api/v1/tenants/raw",
        r#"{"tenantName":"raw"}"#,
    );
    assert_eq!(status, 307);
    assert!(r.client(follower).get(Kind::Tenant, "raw").is_err());
    // The follower counted it by route and status.
    let (_, text) = raw_request(&follower_url, "GET", "/metrics", "");
    assert!(
        text.contains(
            "netmaster_api_requests_total{method=\"PUT\",route=\"/api/v1/{collection}/{key}\",status=\"307\"} 1"
        ),
        "{text}"
    );
    // The client follows it; every replica reads the new tenant.
    r.client(follower)
        .put(&tenant("blue"))
        .expect("a write through a follower");
    r.everyone_has("blue");
    assert_eq!(r.client(leader).list(Kind::Tenant).expect("list").len(), 2);

    // The leader is SIGKILLed: another replica leads within 5 s and takes writes.
    let killed_at = Instant::now();
    r.nms[leader].take().expect("running").kill();
    let new_leader = r.leader(Duration::from_secs(5));
    let failover = killed_at.elapsed();
    assert_ne!(new_leader, leader);
    eprintln!("failover: a new leader {failover:?} after SIGKILL");
    let other = r.running().find(|i| *i != new_leader).expect("a follower");
    r.client(other)
        .put(&tenant("red"))
        .expect("a write after failover");
    r.everyone_has("red");
    assert!(r.client(new_leader).get(Kind::Tenant, "blue").is_ok());

    // One etcd member down: nothing changes.
    etcd.kill(0);
    r.client(other)
        .put(&tenant("green"))
        .expect("a write with one member down");
    r.everyone_has("green");

    // All of etcd down: a write is refused with 503 (or, once the lease is gone, no leader:
    // 503 too), nothing is half-written; with etcd back, a leader again and writes work.
    etcd.kill_all();
    let (status, body) = raw_request(
        &r.nms[new_leader].as_ref().expect("running").url,
        "PUT",
        "/api/v1/tenants/lost",
        r#"{"tenantName":"lost"}"#,
    );
    assert_eq!(status, 503, "{body}");
    etcd.restart_stopped();
    etcd.wait_healthy();
    let leader = r.leader(Duration::from_secs(20));
    assert!(r.client(leader).get(Kind::Tenant, "lost").is_err());
    r.client(leader)
        .put(&tenant("back"))
        .expect("a write after etcd returned");
    r.everyone_has("back");

    // The leader paused past its lease: another leads; woken, the old one follows and its
    // writes go to the new leader, once.
    let pid = r.nms[leader].as_ref().expect("running").pid();
    signal(pid, libc::SIGSTOP);
    let others: Vec<usize> = r.running().filter(|i| *i != leader).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    let next = loop {
        let leading = others.iter().copied().find(|i| {
            r.client(*i)
                .info()
                .is_ok_and(|info| info.current_state == ReplicaState::Leader)
        });
        if let Some(l) = leading {
            break l;
        }
        assert!(
            Instant::now() < deadline,
            "no new leader while the old one sleeps"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    signal(pid, libc::SIGCONT);
    assert_eq!(
        r.leader(Duration::from_secs(5)),
        next,
        "the woken leader stepped down"
    );
    r.client(leader)
        .put(&tenant("woken"))
        .expect("a write through the old leader");
    r.everyone_has("woken");
    let names: Vec<String> = r
        .client(next)
        .list(Kind::Tenant)
        .expect("list")
        .iter()
        .map(Object::key)
        .collect();
    assert_eq!(names, ["back", "blue", "default", "green", "red", "woken"]);
    // A bad write is still a 400 through a follower, after the redirect.
    match r
        .client(leader)
        .put(&Object::Tenant(Tenant::named("bad name!")))
    {
        Err(ClientError::Api(e)) => assert_eq!(e.status, 400, "{}", e.message),
        other => panic!("a bad tenant name was not refused: {other:?}"),
    }
}
