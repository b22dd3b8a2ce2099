//! The agent's netmaster client against the real `/api/v1` router (northbound-api's) over
//! in-memory services: intent objects, host reports, the directives long poll, and the errors.

use netplugin::netmaster::{Error, Netmaster};
use northbound_api::agent::{
    AgentService, HostDirectives, HostReport, ReportRefused, TraceAnswer, TraceJob, TunnelReport,
};
use northbound_api::live_trace::OfprotoFlow;
use northbound_api::model::{Kind, Object, Tenant};
use northbound_api::oper::{
    NetmasterInfo, ObjectOper, OperError, OperFuture, OperService, ReplicaState, SwitchFlows,
    SwitchSelector, TraceReport, TraceRequest, VersionInfo, Writes,
};
use northbound_api::service::{Batch, IntentError, IntentService};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Intent: a fixed set of objects.
struct Intent(Vec<Object>);

impl IntentService for Intent {
    fn list(&self, kind: Kind) -> Vec<Object> {
        self.0
            .iter()
            .filter(|o| o.kind() == kind)
            .cloned()
            .collect()
    }
    fn get(&self, kind: Kind, key: &str) -> Option<Object> {
        self.0
            .iter()
            .find(|o| o.kind() == kind && o.key() == key)
            .cloned()
    }
    fn apply(&self, _: Batch) -> Result<Vec<Object>, IntentError> {
        Err(IntentError::Invalid("read-only".into()))
    }
}

/// Agents: the reports received, directives whose version the test bumps, live trace jobs
/// the test queues (host, job) and the answers taken (host, id, answer).
struct Agents {
    reports: Mutex<BTreeMap<String, HostReport>>,
    version: watch::Sender<u64>,
    jobs: Mutex<Vec<(String, TraceJob)>>,
    queued: watch::Sender<u64>,
    answers: Mutex<Vec<(String, u64, TraceAnswer)>>,
}

impl AgentService for Agents {
    fn report(&self, host: &str, report: HostReport) -> Result<(), ReportRefused> {
        if report.dpid == 0 {
            return Err(ReportRefused::Invalid("dpid 0".into()));
        }
        self.reports.lock().unwrap().insert(host.into(), report);
        Ok(())
    }
    fn reports(&self) -> BTreeMap<String, HostReport> {
        self.reports.lock().unwrap().clone()
    }
    fn directives(&self, _: &str) -> HostDirectives {
        let version = *self.version.borrow();
        HostDirectives {
            version,
            tunnels: (0..version)
                .map(|i| Ipv4Addr::new(10, 0, 0, i as u8 + 2))
                .collect(),
            vxlan_port: 4789,
            uplinks: vec![],
            endpoints: Vec::new(),
        }
    }
    fn directive_changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }
    fn endpoint_readiness(
        &self,
        host: &str,
        key: &str,
        _: Option<u64>,
    ) -> northbound_api::agent::EndpointReadiness {
        // Usable once its host reported it.
        let ready = self
            .reports
            .lock()
            .unwrap()
            .get(host)
            .is_some_and(|r| r.endpoint_ports.contains_key(key));
        northbound_api::agent::EndpointReadiness {
            endpoint: key.to_string(),
            snapshot: ready.then_some(1),
            waiting: Vec::new(),
            ready,
        }
    }
    fn trace_jobs(&self, host: &str) -> Vec<TraceJob> {
        let mut jobs = self.jobs.lock().unwrap();
        let (mine, others) = jobs.drain(..).partition(|(h, _)| h == host);
        *jobs = others;
        mine.into_iter()
            .map(|(_, j): (String, TraceJob)| j)
            .collect()
    }
    fn trace_job_changes(&self) -> watch::Receiver<u64> {
        self.queued.subscribe()
    }
    fn trace_answer(&self, host: &str, id: u64, answer: TraceAnswer) -> Result<(), ReportRefused> {
        if id == 0 {
            return Err(ReportRefused::Invalid("no live trace 0 is awaited".into()));
        }
        self.answers.lock().unwrap().push((host.into(), id, answer));
        Ok(())
    }
}

/// No operational state; writes taken here or (a follower replica) sent to the leader.
struct NoOper(Mutex<Writes>);

impl OperService for NoOper {
    fn inspect(&self, _: Kind, _: &str) -> Option<ObjectOper> {
        None
    }

    fn version(&self) -> VersionInfo {
        VersionInfo {
            git_commit: String::new(),
            version: String::new(),
            build_time: String::new(),
        }
    }

    fn info(&self) -> NetmasterInfo {
        NetmasterInfo {
            leader_url: None,
            current_state: ReplicaState::Leader,
            leader_ip: String::new(),
            local_ip: String::new(),
            netmaster_nodes: Vec::new(),
            netplugin_nodes: Vec::new(),
        }
    }

    fn audit(&self) -> northbound_api::oper::Audit {
        northbound_api::oper::Audit::default()
    }

    fn flows(&self, _: SwitchSelector, _: Option<String>) -> OperFuture<SwitchFlows> {
        Box::pin(async { Err(OperError::NotFound("no switches here".into())) })
    }

    fn trace(&self, _: TraceRequest) -> OperFuture<TraceReport> {
        Box::pin(async { Err(OperError::NotFound("no endpoints here".into())) })
    }

    fn console(&self) -> OperFuture<northbound_api::oper::ConsoleState> {
        Box::pin(async { Ok(Default::default()) })
    }

    fn console_changes(&self) -> watch::Receiver<u64> {
        watch::channel(0).1
    }

    fn writes(&self) -> Writes {
        self.0.lock().unwrap().clone()
    }
}

/// Serves the router on a loopback port as netmaster does; the base URL and the agent service.
async fn serve() -> (String, Arc<Agents>) {
    serve_with(None).await
}

/// The same, over TLS with `tls` (the URL is then `https://`).
async fn serve_with(tls: Option<northbound_api::tls::TlsAcceptor>) -> (String, Arc<Agents>) {
    serve_as(tls, Writes::Here).await
}

/// The same, taking writes as `writes` says.
async fn serve_as(
    tls: Option<northbound_api::tls::TlsAcceptor>,
    writes: Writes,
) -> (String, Arc<Agents>) {
    let (base, agents, _) = serve_replica(tls, writes).await;
    (base, agents)
}

/// The same; with the operational service, whose writes may change.
async fn serve_replica(
    tls: Option<northbound_api::tls::TlsAcceptor>,
    writes: Writes,
) -> (String, Arc<Agents>, Arc<NoOper>) {
    let oper = Arc::new(NoOper(Mutex::new(writes)));
    let intent = Arc::new(Intent(vec![Object::Tenant(Tenant::named("t1"))]));
    let agents = Arc::new(Agents {
        reports: Mutex::default(),
        version: watch::Sender::new(1),
        jobs: Mutex::default(),
        queued: watch::Sender::new(0),
        answers: Mutex::default(),
    });
    let api = northbound_api::rest::router(
        northbound_api::rest::Services {
            intent,
            agents: agents.clone(),
            oper: oper.clone(),
        },
        northbound_api::auth::Access::Open,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base = format!("{scheme}://{}", listener.local_addr().unwrap());
    let limits = northbound_api::serve::Limits::default();
    tokio::spawn(northbound_api::serve::serve(listener, api, limits, tls));
    (base, agents, oper)
}

/// A report of a bridge `dpid` with no port of netmaster's yet.
/// The URL of a port nothing listens on (bound, then closed).
fn dead_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

fn bare_report(dpid: u64) -> HostReport {
    HostReport {
        dpid,
        vtep_ip: None,
        endpoint_ports: BTreeMap::new(),
        uplinks: Vec::new(),
        tunnel: None,
    }
}

#[tokio::test]
async fn reports_over_tls_to_a_netmaster_whose_ca_it_trusts() {
    let dir = std::env::temp_dir().join(format!("np-agent-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let (ca_pem, cert_pem, key_pem) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&ca_pem, ca.pem()).unwrap();
    std::fs::write(&cert_pem, cert.pem()).unwrap();
    std::fs::write(&key_pem, key.serialize_pem()).unwrap();
    let tls = northbound_api::tls::acceptor(&cert_pem, &key_pem).unwrap();
    let (base, agents) = serve_with(Some(tls)).await;

    let trusting = Netmaster::new(&base, None, Some(&ca_pem)).unwrap();
    let r = bare_report(1);
    trusting.report_host("host1", &r).await.unwrap();
    assert_eq!(agents.reports().get("host1"), Some(&r));
    // Without the CA the certificate is not trusted: nothing is sent.
    let untrusting = Netmaster::new(&base, None, None).unwrap();
    assert!(matches!(
        untrusting.report_host("host2", &r).await,
        Err(Error::Transport { .. })
    ));
    assert!(!agents.reports().contains_key("host2"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn reads_intent_objects_and_names_a_missing_one() {
    let (base, _) = serve().await;
    let client = Netmaster::new(&format!("{base}/"), None, None).unwrap();
    let tenant = client.get(Kind::Tenant, "t1").await.unwrap();
    assert_eq!(tenant, Object::Tenant(Tenant::named("t1")));
    match client.get(Kind::Endpoint, "t1:c 1").await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status, 404);
            assert_eq!(e.message, "endpoints `t1:c 1` not found");
        }
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[tokio::test]
async fn sends_the_host_report_and_passes_on_a_refusal() {
    let (base, agents) = serve().await;
    let client = Netmaster::new(&base, None, None).unwrap();
    let report = HostReport {
        dpid: 7,
        vtep_ip: Some("10.0.0.1".parse().unwrap()),
        endpoint_ports: BTreeMap::from([("t1:c1".to_string(), 3)]),
        uplinks: vec![5],
        tunnel: Some(TunnelReport::Flow { port: 100 }),
    };
    client.report_host("host 1", &report).await.unwrap();
    assert_eq!(
        agents.reports(),
        BTreeMap::from([("host 1".into(), report)])
    );

    let bad = HostReport {
        dpid: 0,
        vtep_ip: None,
        endpoint_ports: BTreeMap::new(),
        uplinks: vec![],
        tunnel: None,
    };
    match client.report_host("host2", &bad).await {
        Err(Error::Api(e)) => assert_eq!((e.status, e.message.as_str()), (400, "dpid 0")),
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[tokio::test]
async fn directives_long_poll_answers_when_the_version_passes() {
    let (base, agents) = serve().await;
    let client = Netmaster::new(&base, None, None).unwrap();
    let now = client.directives("h", None, Duration::ZERO).await.unwrap();
    assert_eq!((now.version, now.tunnels.len()), (1, 1));

    let poll = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .directives("h", Some(1), Duration::from_secs(30))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !poll.is_finished(),
        "the long poll answered before a change"
    );
    agents.version.send_replace(2);
    let changed = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("the long poll answers once the version passes")
        .unwrap()
        .unwrap();
    assert_eq!(changed.version, 2);
    assert_eq!(
        changed.tunnels,
        [Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(10, 0, 0, 3)]
    );
}

#[tokio::test]
async fn live_trace_jobs_are_long_polled_and_answered() {
    let (base, agents) = serve().await;
    let client = Netmaster::new(&base, None, None).unwrap();
    assert!(client
        .trace_jobs("h", Duration::ZERO)
        .await
        .unwrap()
        .is_empty());
    let poll = tokio::spawn({
        let client = client.clone();
        async move { client.trace_jobs("h", Duration::from_secs(30)).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!poll.is_finished(), "the long poll answered before a job");
    let job = |id| TraceJob {
        id,
        flow: OfprotoFlow::new("icmp,in_port=1").unwrap(),
    };
    agents.jobs.lock().unwrap().push(("other".into(), job(6)));
    agents.jobs.lock().unwrap().push(("h".into(), job(7)));
    agents.queued.send_modify(|n| *n += 1);
    let jobs = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("the long poll answers once a job is queued")
        .unwrap()
        .unwrap();
    assert_eq!(jobs, [job(7)], "only this host's job");
    let answer = TraceAnswer {
        output: "Datapath actions: drop".into(),
        failed: false,
    };
    client.trace_answer("h", 7, &answer).await.unwrap();
    assert_eq!(
        *agents.answers.lock().unwrap(),
        [("h".to_string(), 7, answer.clone())]
    );
    match client.trace_answer("h", 0, &answer).await {
        Err(Error::Api(e)) => assert_eq!(
            (e.status, e.message.as_str()),
            (400, "no live trace 0 is awaited")
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn passes_over_a_dead_replica_and_follows_a_follower_to_the_leader() {
    let (leader, leader_agents) = serve().await;
    let (follower, follower_agents) = serve_as(None, Writes::Leader(leader.clone())).await;
    let dead = dead_url();
    let client = Netmaster::new(&format!("{dead},{follower}"), None, None).unwrap();
    let r = bare_report(1);
    client.report_host("host1", &r).await.unwrap();
    assert_eq!(leader_agents.reports().get("host1"), Some(&r));
    assert!(follower_agents.reports().is_empty());
    // Reads are the follower's own.
    assert!(client.get(Kind::Tenant, "t1").await.is_ok());
}

/// A report sent to a follower whose writes are `meanwhile` until, half a second later, it
/// names the leader: the report reaches the leader then, not before.
async fn a_write_waits_while_a_follower_says(meanwhile: Writes) {
    let (leader, leader_agents) = serve().await;
    let (follower, _, oper) = serve_replica(None, meanwhile).await;
    let client = Netmaster::new(&follower, None, None).unwrap();
    let r = bare_report(1);
    let elected = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        *oper.0.lock().unwrap() = Writes::Leader(leader);
    });
    let started = std::time::Instant::now();
    client.report_host("host1", &r).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(leader_agents.reports().get("host1"), Some(&r));
    elected.await.unwrap();
}

#[tokio::test]
async fn a_write_waits_for_a_leader() {
    a_write_waits_while_a_follower_says(Writes::NoLeader).await;
}

#[tokio::test]
async fn a_write_redirected_to_a_dead_leader_waits_for_the_next() {
    // The follower still names the leader that died, until the next one is elected.
    a_write_waits_while_a_follower_says(Writes::Leader(dead_url())).await;
}

#[tokio::test]
async fn a_chain_of_redirects_reaches_the_leader_and_a_loop_waits_for_one() {
    let (leader, leader_agents) = serve().await;
    // A follower that still names another follower, which names the leader.
    let (second, _) = serve_as(None, Writes::Leader(leader.clone())).await;
    let (first, _, first_oper) = serve_replica(None, Writes::Leader(second.clone())).await;
    let client = Netmaster::new(&first, None, None).unwrap();
    client.report_host("host1", &bare_report(1)).await.unwrap();
    assert_eq!(leader_agents.reports().len(), 1);
    // Two followers that name each other, until one of them learns the leader.
    let (third, _, third_oper) = serve_replica(None, Writes::Leader(first.clone())).await;
    *first_oper.0.lock().unwrap() = Writes::Leader(third.clone());
    let client = Netmaster::new(&third, None, None).unwrap();
    let learns = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        *third_oper.0.lock().unwrap() = Writes::Leader(leader);
    });
    let started = std::time::Instant::now();
    client.report_host("host2", &bare_report(2)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert!(leader_agents.reports().contains_key("host2"));
    learns.await.unwrap();
}

#[tokio::test]
async fn an_unreachable_netmaster_is_a_transport_error() {
    let dead = dead_url();
    let client = Netmaster::new(&dead, None, None).unwrap();
    let err = client.get(Kind::Tenant, "t1").await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let text = err.to_string();
    // The message names the URL and the cause (reqwest's own leaves the cause out).
    assert!(
        text.contains(&format!("{dead}/api/v1/tenants/t1/")),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");
}
