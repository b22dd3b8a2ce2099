//! Host reports against a running netmaster: intent applied through the API plus an agent's
//! report (`PUT /api/v1/agents/{host}/`) compile into flows on the host's switch (a fake
//! switch on netmaster's unix socket); a new report moves the flows; a malformed or unusable
//! report is a 400 and changes nothing.

#[path = "support/api_netmaster.rs"]
mod api_netmaster;

use api_netmaster::{raw_request, ApiNetmaster};
use fakeswitch::FakeSwitch;
use netmaster::cookie::{Cookie, OwnerKind};
use netmaster::pipeline::Table;
use northbound_api::agent::HostReport;
use northbound_api::audit::{Audit, SyncState, Trigger};
use northbound_api::model::{Encap, Endpoint, Host, Kind, Network, Object, Tenant};
use northbound_api::service::Batch;
use northbound_client::client::{Client, ClientError};
use ofproto::msg::Body;
use ofproto::multipart::MultipartRequestBody;
use ofproto::{MacAddr, Masked, OxmField};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A netmaster process (intent in memory) with its API on a free loopback port and its
/// OpenFlow listener on a unix socket in a directory of its own; killed on drop, its
/// directory removed.
struct Netmaster {
    /// Held for its drop, which kills the process.
    _process: ApiNetmaster,
    url: String,
    sock: PathBuf,
    dir: PathBuf,
}

impl Netmaster {
    fn start(name: &str) -> Netmaster {
        let dir = std::env::temp_dir().join(format!("nm-agents-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let sock = dir.join("of.sock");
        let process = ApiNetmaster::start(&sock, &["--audit-interval-ms", "100"]);
        Netmaster {
            url: process.url.clone(),
            _process: process,
            sock,
            dir,
        }
    }
}

impl Netmaster {
    /// A fake switch with datapath id `dpid` connected to netmaster's socket, and the runtime
    /// that serves it.
    fn connect_switch(&self, dpid: u64) -> (tokio::runtime::Runtime, FakeSwitch) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let fs = FakeSwitch::new(dpid);
        rt.block_on(fs.connect_unix(&self.sock)).expect("connect");
        (rt, fs)
    }
}

impl Drop for Netmaster {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn endpoint(container: &str) -> Object {
    Object::Endpoint(Endpoint {
        host: Some("host1".into()),
        ..Endpoint::named("t1", "net1", container)
    })
}

/// One tenant, one VLAN network, host1 (no dpid: its switch is known only from its agent's
/// report) and two endpoints on it.
fn intent() -> Batch {
    Batch {
        upserts: vec![
            Object::Tenant(Tenant::named("t1")),
            Object::Network(Network {
                tenant_name: "t1".into(),
                network_name: "net1".into(),
                encap: Encap::Vlan,
                pkt_tag: None,
                subnet: "10.1.1.0/24".parse().unwrap(),
                gateway: None,
                ipv6_subnet: None,
                ipv6_gateway: None,
                multicast: Default::default(),
                cfgd_tag: None,
                nw_type: Default::default(),
            }),
            Object::Host(Host {
                name: "host1".into(),
                vtep_ip: None,
                uplinks: Vec::new(),
                dpid: None,
            }),
            endpoint("c1"),
            endpoint("c2"),
        ],
        ..Batch::default()
    }
}

fn report(c1: u32, c2: u32) -> HostReport {
    HostReport {
        dpid: 1,
        vtep_ip: Some("192.168.2.10".parse().unwrap()),
        endpoint_ports: [("t1:c1".to_string(), c1), ("t1:c2".to_string(), c2)].into(),
        uplinks: vec![2],
        tunnel: None,
    }
}

/// The endpoints' MACs, as allocated by netmaster.
fn macs(c: &Client) -> BTreeMap<String, MacAddr> {
    c.list(Kind::Endpoint)
        .expect("endpoints")
        .into_iter()
        .map(|o| {
            let Object::Endpoint(e) = o else {
                panic!("{o:?}")
            };
            let mac = e.mac_address.expect("allocated MAC");
            (format!("t1:{}", e.container_name), mac)
        })
        .collect()
}

/// The classify flows of endpoints on `fs`: (in_port, eth_src) by endpoint cookie.
fn endpoint_classify(fs: &FakeSwitch) -> BTreeMap<u64, (u32, MacAddr)> {
    fs.flows_in(Table::Classify.id())
        .into_iter()
        .filter(|f| Cookie::parse(f.cookie).is_some_and(|c| c.kind == OwnerKind::Endpoint))
        .map(|f| {
            let port = f.r#match.fields.iter().find_map(|m| match m {
                OxmField::InPort(p) => Some(*p),
                _ => None,
            });
            let mac = f.r#match.fields.iter().find_map(|m| match m {
                OxmField::EthSrc(Masked { value, mask: None }) => Some(*value),
                _ => None,
            });
            let (Some(port), Some(mac)) = (port, mac) else {
                panic!("endpoint classify flow without in_port and eth_src: {f:?}")
            };
            (f.cookie, (port, mac))
        })
        .collect()
}

/// Waits until the endpoint classify flows of `fs` put `c1` and `c2` on these ports.
/// How many times netmaster has read the switch's whole flow table (one per full audit).
fn full_reads(fs: &FakeSwitch) -> usize {
    fs.received()
        .iter()
        .filter(|m| {
            matches!(&m.body, Body::MultipartRequest(r) if matches!(r.body, MultipartRequestBody::Flow(_)))
        })
        .count()
}

fn await_ports(fs: &FakeSwitch, macs: &BTreeMap<String, MacAddr>, c1: u32, c2: u32) {
    let want: Vec<(u32, MacAddr)> = vec![(c1, macs["t1:c1"]), (c2, macs["t1:c2"])];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let flows = endpoint_classify(fs);
        let mut got: Vec<(u32, MacAddr)> = flows.values().copied().collect();
        got.sort_unstable_by_key(|(p, _)| *p);
        let mut want = want.clone();
        want.sort_unstable_by_key(|(p, _)| *p);
        if got == want {
            // One cookie per endpoint.
            assert_eq!(flows.len(), 2, "{flows:?}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "switch never got the endpoint classify flows {want:?}; it has {got:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn refused(result: Result<(), ClientError>, needle: &str) {
    match result {
        Err(ClientError::Api(e)) => {
            assert_eq!(e.status, 400, "{e}");
            assert!(e.message.contains(needle), "{e} lacks {needle:?}");
        }
        other => panic!("expected a 400 containing {needle:?}, got {other:?}"),
    }
}

#[test]
fn intent_and_a_host_report_compile_into_flows_on_the_switch() {
    let nm = Netmaster::start("flows");
    let c = Client::new(&nm.url);
    c.apply(&intent()).expect("apply intent");
    let macs = macs(&c);
    assert_eq!(macs.len(), 2);

    // Unusable reports are refused and stored nowhere.
    let raw_put = |body: &str| raw_request(&nm.url, "PUT", "/api/v1/agents/host1/", body);
    let answer = raw_put(r#"{"dpid":1,"vtepIp":"192.168.2.300"}"#);
    assert_eq!(answer.0, 400, "{answer:?}");
    assert!(answer.1.contains("vtepIp"), "{answer:?}");
    let mut bad = report(5, 6);
    bad.dpid = 0;
    refused(c.report_host("host1", &bad), "dpid");
    refused(c.report_host("host1", &report(0, 6)), "t1:c1");
    assert!(c.host_reports().expect("reports").is_empty());

    c.report_host("host1", &report(5, 6)).expect("report host1");
    assert_eq!(
        c.host_reports().expect("reports"),
        [("host1".to_string(), report(5, 6))].into()
    );

    let (rt, fs) = nm.connect_switch(1);
    await_ports(&fs, &macs, 5, 6);

    // A malformed report (through raw HTTP) changes nothing: same report, same flows.
    let answer = raw_put(r#"{"dpid":1,"endpointPorts":{"t1:c1":"five"}}"#);
    assert_eq!(answer.0, 400, "{answer:?}");
    assert!(answer.1.contains("invalid type"), "{answer:?}");
    let answer = raw_put(r#"{"dpid":1,"vtepIp":"nowhere","endpointPorts":{"t1:c1":7,"t1:c2":6}}"#);
    assert_eq!(answer.0, 400, "{answer:?}");
    assert!(answer.1.contains("vtepIp"), "{answer:?}");
    assert_eq!(
        c.host_reports().expect("reports"),
        [("host1".to_string(), report(5, 6))].into()
    );
    // Two full audits later (the switch's flow tables read twice), nothing has moved.
    let reads = full_reads(&fs);
    assert!(
        rt.block_on(fs.wait_until(Duration::from_secs(30), |f| full_reads(f) >= reads + 2)),
        "netmaster stopped auditing"
    );
    await_ports(&fs, &macs, 5, 6);

    // A new report moves the endpoint: the compiler is woken and the switch updated.
    c.report_host("host1", &report(7, 6))
        .expect("report host1 again");
    await_ports(&fs, &macs, 7, 6);

    // Another host cannot claim the same switch.
    match c.report_host("host2", &report(8, 9)) {
        Err(ClientError::Api(e)) => assert_eq!(e.status, 409, "{e}"),
        other => panic!("{other:?}"),
    }
    fs.disconnect();
}

/// Reads the audit until `done` holds (at most 30 s); the audit that did.
fn await_audit(c: &Client, what: &str, done: impl Fn(&Audit) -> bool) -> Audit {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let audit = c.audit().expect("audit");
        if done(&audit) {
            return audit;
        }
        assert!(Instant::now() < deadline, "{what}: {audit:#?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_audit_follows_every_switch_and_counts_the_repairs() {
    let nm = Netmaster::start("audit");
    let c = Client::new(&nm.url);
    c.apply(&intent()).expect("apply intent");
    c.report_host("host1", &report(5, 6)).expect("report host1");

    // The reported host's switch is known before it connects: disconnected, not settled.
    let audit = await_audit(&c, "host1's report compiled", |a| {
        !a.compile_pending && a.switches.len() == 1
    });
    let s = &audit.switches[0];
    assert_eq!((s.dpid, s.host.as_deref()), (1, Some("host1")));
    assert_eq!(s.state, SyncState::Disconnected);
    assert!(!audit.settled());

    let (_rt, fs) = nm.connect_switch(1);
    let audit = await_audit(
        &c,
        "the switch connected and was programmed",
        Audit::settled,
    );
    let s = &audit.switches[0];
    assert!(s.peer.is_some(), "{s:?}");
    let first = s.last_read.clone().expect("a read");
    assert_eq!(first.trigger, Trigger::Connect);
    assert_eq!(first.errors, 0);
    // Everything was missing on the empty switch, and is there now.
    assert_eq!(first.missing.flows as usize, fs.flows().len(), "{first:?}");
    assert_eq!(first.unexpected.total() + first.different.total(), 0);
    assert_eq!(s.repairs, 0);

    // Flows deleted by hand: the audit finds them missing and puts it back, a repair.
    let (&cookie, _) = endpoint_classify(&fs).iter().next().expect("classify flow");
    let deleted = fs.delete_flows(Table::Classify.id(), cookie, u64::MAX) as u64;
    assert!(deleted > 0);
    let audit = await_audit(&c, "the deleted flow repaired", |a| {
        a.switches[0].repairs == 1 && a.settled()
    });
    let repair = audit.switches[0].last_read.clone().expect("a read");
    assert_eq!(repair.trigger, Trigger::Audit);
    assert_eq!(
        (repair.missing.flows, repair.messages),
        (deleted, deleted),
        "{repair:?}"
    );
    assert_eq!(endpoint_classify(&fs).len(), 2);

    // An intent change is no repair: a newer snapshot, sent as the difference from the one
    // the switch held, without reading it.
    let before = audit.snapshot;
    c.report_host("host1", &report(7, 6))
        .expect("report host1 again");
    let audit = await_audit(&c, "the new report applied", |a| {
        a.snapshot > before && a.settled()
    });
    let s = &audit.switches[0];
    assert_ne!(
        s.last_read.as_ref().map(|r| r.trigger),
        Some(Trigger::Intent)
    );
    assert_eq!(s.repairs, 1);
    await_ports(&fs, &macs(&c), 7, 6);

    // netctl audit: a table while in sync; exit status 1 once the switch has been gone for
    // longer than the bound.
    let out = netctl(&nm.url, &["audit"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0000000000000001  host1"), "{text}");
    assert!(text.contains("inSync"), "{text}");
    fs.disconnect();
    let gone = await_audit(&c, "the switch gone", |a| {
        a.switches[0].state == SyncState::Disconnected
    });
    let out = netctl(&nm.url, &["audit", "--max-out-of-sync-s", "3600"]);
    assert!(out.status.success(), "{out:?}");
    std::thread::sleep(Duration::from_millis(1100));
    let out = netctl(&nm.url, &["audit", "--json", "--max-out-of-sync-s", "1"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("out of sync for more than 1 s: 0000000000000001"),
        "{out:?}"
    );
    let json: Audit = serde_json::from_slice(&out.stdout).expect("JSON audit");
    assert_eq!(json.switches[0].since_ms, gone.switches[0].since_ms);
}

/// Runs netctl against `url`.
fn netctl(url: &str, args: &[&str]) -> std::process::Output {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_netmaster")).with_file_name("netctl");
    std::process::Command::new(bin)
        .args(["--netmaster", url])
        .args(args)
        .output()
        .expect("run netctl")
}
