//! The reconciler against the in-memory fake switch: the base pipeline on connect (bundle and
//! barrier delivery), nothing sent to an unchanged switch, drift repair, desired-state changes
//! (flows, groups, meters, in a safe order) and a trace through what was installed. No root,
//! no Open vSwitch; every interval is short so that the whole file runs in a few seconds.

#[path = "support/desired.rs"]
mod desired;

use desired::Desired;
use fakeswitch::{port, FakeSwitch, MacAddr, Packet};
use netmaster::app::Controller;
use netmaster::cookie::{Cookie, OwnerKind};
use netmaster::desired::SwitchState;
use netmaster::pipeline::{base_cookie, base_flows, base_pipeline, Table};
use netmaster::reconcile::{self, Delivery, ReconcileConfig};
use netmaster::session::{self, Claim, SessionConfig, SessionEvent, SwitchHandle};
use netmaster::static_flows;
use netmaster::transport::{ListenAddr, Listener};
use ofproto::msg::{BundleCtrlType, FlowModCommand, GroupModCommand, MeterModCommand};
use ofproto::multipart::MultipartRequestBody as Q;
use ofproto::text::parse_flow_mod;
use ofproto::{Body, Instruction};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// The deadline of a wait for something that must happen (generous: it only delays a failure).
const WAIT: Duration = Duration::from_secs(30);
const DPID: u64 = 0x5eed;

fn session_cfg() -> SessionConfig {
    SessionConfig {
        echo_interval: Duration::from_millis(500),
        dead_after: Duration::from_secs(2),
        handshake_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        ..SessionConfig::default()
    }
}

/// Audits every 50 ms, a full read every `full_every` audits.
fn audit(full_every: u32) -> ReconcileConfig {
    ReconcileConfig {
        audit_interval: Duration::from_millis(50),
        full_audit_every: full_every,
        use_bundles: true,
    }
}

fn fake() -> FakeSwitch {
    FakeSwitch::new(DPID).with_ports(vec![port(1), port(2), port(3)])
}

/// A controller serving a TCP listener on 127.0.0.1.
struct Ctl {
    controller: Arc<Controller>,
    serve: JoinHandle<()>,
    addr: SocketAddr,
}

impl Ctl {
    async fn start(store: Arc<Desired>, rcfg: ReconcileConfig) -> Ctl {
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let listener = Listener::bind(&ListenAddr::Tcp(any)).await.expect("bind");
        let addr = match listener.local_addr().expect("local addr") {
            ListenAddr::Tcp(a) => a,
            other => panic!("{other}"),
        };
        let controller = Controller::new(session_cfg(), rcfg, store.subscribe());
        store.follow(&controller);
        let serve = tokio::spawn(controller.clone().serve(vec![listener]));
        Ctl {
            controller,
            serve,
            addr,
        }
    }

    /// Connects the fake switch and waits until the controller registered it.
    async fn attach(&self, fs: &FakeSwitch) -> SwitchHandle {
        fs.connect_tcp(self.addr).await.expect("connect");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(h) = self.controller.switch(fs.dpid()) {
                return h;
            }
            assert!(Instant::now() < deadline, "switch never registered");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Closes every session and stops accepting.
    fn stop(self) {
        for dpid in self.controller.connected() {
            if let Some(h) = self.controller.switch(dpid) {
                h.close("test controller stopped");
            }
        }
        self.serve.abort();
    }
}

/// What the fake switch holds, in the reconciler's terms (canonical matches, no counters).
fn actual(fs: &FakeSwitch) -> SwitchState {
    let (flows, groups, meters) = fs.read_back();
    SwitchState::from_switch(&flows, &groups, &meters)
}

/// (table, priority, cookie, instructions) of every flow, sorted: the readable comparison.
fn summary(s: &SwitchState) -> Vec<(u8, u16, u64, Vec<Instruction>)> {
    let mut v: Vec<_> = s
        .flows
        .iter()
        .map(|(k, e)| (k.table_id, k.priority, e.cookie, e.instructions.clone()))
        .collect();
    v.sort_by_key(|f| (f.0, f.1, f.2));
    v
}

/// Waits until the switch holds exactly `want`.
async fn converge(fs: &FakeSwitch, want: &SwitchState) {
    let ok = fs.wait_until(WAIT, |f| actual(f) == *want).await;
    assert!(
        ok,
        "switch did not converge:\n have {:#?}\n want {:#?}",
        summary(&actual(fs)),
        summary(want)
    );
}

/// One modification the switch received, flattened (bundled messages marked as such).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    Open,
    Commit,
    Barrier,
    Flow {
        cmd: FlowModCommand,
        table: u8,
        priority: u16,
        cookie: u64,
        bundled: bool,
    },
    Group {
        cmd: GroupModCommand,
        id: u32,
        bundled: bool,
    },
    Meter {
        cmd: MeterModCommand,
        id: u32,
        bundled: bool,
    },
}

fn sent_of(body: &Body, bundled: bool) -> Option<Sent> {
    Some(match body {
        Body::FlowMod(f) => Sent::Flow {
            cmd: f.command,
            table: f.table_id,
            priority: f.priority,
            cookie: f.cookie,
            bundled,
        },
        Body::GroupMod(g) => Sent::Group {
            cmd: g.command,
            id: g.group_id,
            bundled,
        },
        Body::MeterMod(m) => Sent::Meter {
            cmd: m.command,
            id: m.meter_id,
            bundled,
        },
        Body::BundleAdd(a) => return sent_of(&a.message.body, true),
        Body::BundleControl(c) if c.typ == BundleCtrlType::OpenRequest => Sent::Open,
        Body::BundleControl(c) if c.typ == BundleCtrlType::CommitRequest => Sent::Commit,
        Body::BarrierRequest => Sent::Barrier,
        _ => return None,
    })
}

/// The modifications, bundle controls and barriers the switch received, in order.
fn sent(fs: &FakeSwitch) -> Vec<Sent> {
    fs.received()
        .iter()
        .filter_map(|m| sent_of(&m.body, false))
        .collect()
}

/// Only the flow, group and meter mods of [`sent`].
fn mods(fs: &FakeSwitch) -> Vec<Sent> {
    sent(fs)
        .into_iter()
        .filter(|s| {
            matches!(
                s,
                Sent::Flow { .. } | Sent::Group { .. } | Sent::Meter { .. }
            )
        })
        .collect()
}

/// How many flow-stats requests (full reads) the switch answered.
fn full_reads(fs: &FakeSwitch) -> usize {
    fs.received()
        .iter()
        .filter(|m| matches!(&m.body, Body::MultipartRequest(r) if matches!(r.body, Q::Flow(_))))
        .count()
}

fn position(log: &[Sent], pred: impl Fn(&Sent) -> bool) -> usize {
    log.iter()
        .position(pred)
        .unwrap_or_else(|| panic!("not found in {log:#?}"))
}

fn parse(text: &str) -> SwitchState {
    static_flows::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

/// The base pipeline plus `extra`.
fn with_base(extra: &SwitchState) -> SwitchState {
    let mut s = base_pipeline();
    s.flows
        .extend(extra.flows.iter().map(|(k, v)| (k.clone(), v.clone())));
    s.groups.extend(extra.groups.clone());
    s.meters.extend(extra.meters.clone());
    s
}

// ---------------------------------------------------------------------------------------------
// The base pipeline on connect
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn base_pipeline_is_installed_as_one_bundle() {
    let fs = fake();
    let ctl = Ctl::start(Desired::new(base_pipeline()), audit(10)).await;
    ctl.attach(&fs).await;
    converge(&fs, &base_pipeline()).await;
    assert_eq!(summary(&actual(&fs)), summary(&base_pipeline()));
    assert_eq!(fs.flows().len(), base_flows().len());
    assert!(fs.groups().is_empty() && fs.meters().is_empty());

    let log = sent(&fs);
    let open = position(&log, |s| *s == Sent::Open);
    let commit = position(&log, |s| *s == Sent::Commit);
    let flows: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Sent::Flow { .. }))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(flows.len(), base_flows().len(), "{log:#?}");
    assert!(
        flows.iter().all(|i| open < *i && *i < commit),
        "every flow mod between OPEN and COMMIT: {log:#?}"
    );
    assert!(
        log.iter().all(|s| match s {
            Sent::Flow { cmd, bundled, .. } => *bundled && *cmd == FlowModCommand::Add,
            _ => true,
        }),
        "only bundled ADDs: {log:#?}"
    );
    assert_eq!(
        log.iter().filter(|s| **s == Sent::Open).count(),
        1,
        "one bundle"
    );
    assert_eq!(fs.received_count(ofproto::MsgType::FlowMod), 0);
}

#[tokio::test]
async fn base_pipeline_without_bundles_uses_flow_mods_and_a_barrier() {
    let fs = fake().without_bundles();
    let ctl = Ctl::start(Desired::new(base_pipeline()), audit(10)).await;
    ctl.attach(&fs).await;
    converge(&fs, &base_pipeline()).await;
    assert_eq!(summary(&actual(&fs)), summary(&base_pipeline()));
    // The last flow mod is applied before the barrier that fences the batch is logged.
    assert!(
        fs.wait_until(WAIT, |f| sent(f).contains(&Sent::Barrier))
            .await
    );

    let log = sent(&fs);
    assert!(log.contains(&Sent::Open), "a bundle was tried: {log:#?}");
    assert!(!log.contains(&Sent::Commit), "{log:#?}");
    let flows: Vec<&Sent> = log
        .iter()
        .filter(|s| matches!(s, Sent::Flow { .. }))
        .collect();
    assert_eq!(flows.len(), base_flows().len(), "{log:#?}");
    assert!(
        flows.iter().all(|s| matches!(
            s,
            Sent::Flow {
                cmd: FlowModCommand::Add,
                bundled: false,
                ..
            }
        )),
        "plain ADDs: {log:#?}"
    );
    let last_flow = log
        .iter()
        .rposition(|s| matches!(s, Sent::Flow { .. }))
        .unwrap();
    assert_eq!(log.get(last_flow + 1), Some(&Sent::Barrier), "{log:#?}");
    assert_eq!(
        fs.received_count(ofproto::MsgType::FlowMod),
        base_flows().len()
    );
}

// ---------------------------------------------------------------------------------------------
// Nothing to do
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_restarted_controller_sends_nothing_to_an_unchanged_switch() {
    let fs = fake();
    let store = Desired::new(base_pipeline());
    let first = Ctl::start(store.clone(), audit(10)).await;
    first.attach(&fs).await;
    converge(&fs, &base_pipeline()).await;
    first.stop();
    assert!(fs.wait_until(WAIT, |f| f.connections() == 0).await);
    fs.clear_received();

    let second = Ctl::start(store.clone(), audit(10)).await;
    let h = second.attach(&fs).await;
    // The first audit (an aggregate count) comes after the connect reconciliation is done.
    let audited = fs
        .wait_until(WAIT, |f| {
            f.received().iter().any(
                |m| matches!(&m.body, Body::MultipartRequest(r) if matches!(r.body, Q::Aggregate(_))),
            )
        })
        .await;
    assert!(audited, "the reconciler ran its first audit");
    assert_eq!(full_reads(&fs), 1, "one full read on connect");
    assert_eq!(fs.received_flow_mods(), [], "no flow mod at all");
    assert_eq!(mods(&fs), [], "no flow, group or meter mod");
    assert!(!sent(&fs).contains(&Sent::Open), "no bundle");

    let outcome = reconcile::reconcile_once(&h, &store.desired_for(DPID), &mut true)
        .await
        .expect("reconcile");
    assert_eq!(outcome.delivery, Delivery::InSync);
    assert_eq!(outcome.messages, 0);
    assert_eq!(fs.received_flow_mods(), []);
    assert_eq!(summary(&actual(&fs)), summary(&base_pipeline()));
}

// ---------------------------------------------------------------------------------------------
// Drift
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn drift_is_repaired_and_foreign_flows_are_kept() {
    let fs = fake();
    let ctl = Ctl::start(Desired::new(base_pipeline()), audit(4)).await;
    ctl.attach(&fs).await;
    converge(&fs, &base_pipeline()).await;

    // Someone deletes a base flow: the next audit sees our count is off and puts it back.
    fs.clear_received();
    let guard = base_cookie(Table::Classify, 1);
    assert_eq!(fs.delete_flows(0, guard, u64::MAX), 1);
    converge(&fs, &base_pipeline()).await;
    assert_eq!(
        mods(&fs),
        [Sent::Flow {
            cmd: FlowModCommand::Add,
            table: 0,
            priority: 50_000,
            cookie: guard,
            bundled: true
        }],
        "only the missing flow is sent"
    );

    // A foreign flow is kept; a flow with our cookie that is not desired is deleted.
    fs.clear_received();
    let mut foreign = parse_flow_mod(
        "priority=10,in_port=9,actions=output:1",
        FlowModCommand::Add,
    )
    .unwrap();
    foreign.cookie = 0x1234;
    let stray_cookie = Cookie::new(OwnerKind::Endpoint, 99);
    let mut stray =
        parse_flow_mod("priority=10,in_port=8,actions=drop", FlowModCommand::Add).unwrap();
    stray.cookie = stray_cookie;
    fs.apply_flow_mod(foreign).unwrap();
    fs.apply_flow_mod(stray).unwrap();
    let gone = fs
        .wait_until(WAIT, |f| {
            !f.flows().iter().any(|e| e.cookie == stray_cookie)
        })
        .await;
    assert!(gone, "the stray flow of ours is deleted");
    assert_eq!(
        mods(&fs),
        [Sent::Flow {
            cmd: FlowModCommand::DeleteStrict,
            table: 0,
            priority: 10,
            cookie: stray_cookie,
            bundled: true
        }]
    );
    // Two more full reads later the foreign flow is still there, untouched.
    let reads = full_reads(&fs);
    assert!(fs.wait_until(WAIT, |f| full_reads(f) >= reads + 2).await);
    assert!(
        fs.flows().iter().any(|e| e.cookie == 0x1234),
        "foreign flow kept"
    );
    assert_eq!(mods(&fs).len(), 1, "nothing else sent: {:#?}", mods(&fs));
    let mut want = base_pipeline();
    want.add_flow(
        0,
        10,
        &parse_flow_mod("priority=10,in_port=9,actions=drop", FlowModCommand::Add)
            .unwrap()
            .r#match,
        0x1234,
        parse_flow_mod(
            "priority=10,in_port=9,actions=output:1",
            FlowModCommand::Add,
        )
        .unwrap()
        .instructions,
    );
    assert_eq!(actual(&fs), want);
}

// ---------------------------------------------------------------------------------------------
// Desired-state changes
// ---------------------------------------------------------------------------------------------

/// A state of one flow of `cookie` in table 60 for dl_dst 02:00:00:00:00:02 with `actions`.
fn endpoint_flow(cookie: u64, actions: &str) -> SwitchState {
    let f = parse_flow_mod(
        &format!("table=60,priority=100,dl_dst=02:00:00:00:00:02,actions={actions}"),
        FlowModCommand::Add,
    )
    .unwrap();
    let mut s = SwitchState::default();
    s.add_flow(f.table_id, f.priority, &f.r#match, cookie, f.instructions);
    s
}

/// [`endpoint_flow`]'s flow as the switch receives it in a bundle, sent as `cmd`.
fn endpoint_flow_sent(cookie: u64, cmd: FlowModCommand) -> Sent {
    Sent::Flow {
        cmd,
        table: 60,
        priority: 100,
        cookie,
        bundled: true,
    }
}

#[tokio::test]
async fn flow_changes_are_sent_as_add_modify_strict_and_delete_strict() {
    let fs = fake();
    let store = Desired::new(base_pipeline());
    let ctl = Ctl::start(store.clone(), audit(2)).await;
    ctl.attach(&fs).await;
    converge(&fs, &base_pipeline()).await;
    let cookie = Cookie::new(OwnerKind::Endpoint, 1);
    let ours = |actions: &str| endpoint_flow(cookie, actions);
    let flow = |cmd| endpoint_flow_sent(cookie, cmd);

    fs.clear_received();
    store.set_switch(DPID, ours("output:2"));
    converge(&fs, &with_base(&ours("output:2"))).await;
    assert_eq!(mods(&fs), [flow(FlowModCommand::Add)]);

    fs.clear_received();
    store.set_switch(DPID, ours("output:3"));
    converge(&fs, &with_base(&ours("output:3"))).await;
    assert_eq!(
        mods(&fs),
        [flow(FlowModCommand::ModifyStrict)],
        "a modify, no delete"
    );
    let modify = fs.received_flow_mods().pop().unwrap();
    assert_eq!(
        modify.cookie_mask,
        u64::MAX,
        "the modify can only hit our entry"
    );

    fs.clear_received();
    store.set_switch(DPID, SwitchState::default());
    converge(&fs, &base_pipeline()).await;
    assert_eq!(mods(&fs), [flow(FlowModCommand::DeleteStrict)]);
}

#[tokio::test]
async fn a_change_to_a_switch_in_sync_is_sent_without_a_read_unless_it_is_shared() {
    // No audit during the test: every read is one a change made.
    let quiet = ReconcileConfig {
        audit_interval: Duration::from_secs(3600),
        ..audit(1)
    };
    let cookie = Cookie::new(OwnerKind::Endpoint, 1);
    let ours = |port: u8| endpoint_flow(cookie, &format!("output:{port}"));
    let flow = |cmd| endpoint_flow_sent(cookie, cmd);

    // Alone on the switch: read once on connect, then every change is sent unread.
    let fs = fake();
    let store = Desired::new(base_pipeline());
    let ctl = Ctl::start(store.clone(), quiet.clone()).await;
    ctl.attach(&fs).await;
    converge(&fs, &base_pipeline()).await;
    assert_eq!(full_reads(&fs), 1);
    fs.clear_received();
    store.set_switch(DPID, ours(2));
    converge(&fs, &with_base(&ours(2))).await;
    store.set_switch(DPID, ours(3));
    converge(&fs, &with_base(&ours(3))).await;
    assert_eq!(
        mods(&fs),
        [
            flow(FlowModCommand::Add),
            flow(FlowModCommand::ModifyStrict)
        ]
    );
    assert_eq!(
        full_reads(&fs),
        0,
        "a switch in sync is not read for a change"
    );
    ctl.stop();

    // Shared with another controller (a foreign flow): every change reads the switch first,
    // and a desired flow with the foreign one's match and priority is a conflict, not sent.
    let fs = fake();
    let mut foreign = parse_flow_mod(
        "table=60,priority=100,dl_dst=02:00:00:00:00:02,actions=output:1",
        FlowModCommand::Add,
    )
    .unwrap();
    foreign.cookie = 0x1234;
    fs.apply_flow_mod(foreign).unwrap();
    let store = Desired::new(base_pipeline());
    let ctl = Ctl::start(store.clone(), quiet).await;
    ctl.attach(&fs).await;
    assert!(
        fs.wait_until(WAIT, |f| f.flows().len() > 1 && full_reads(f) == 1)
            .await
    );
    fs.clear_received();
    store.set_switch(DPID, ours(2));
    assert!(
        fs.wait_until(WAIT, |f| full_reads(f) == 1).await,
        "read first"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(mods(&fs).is_empty(), "{:#?}", mods(&fs));
    assert!(
        fs.flows().iter().any(|e| e.cookie == 0x1234),
        "foreign flow kept"
    );
    ctl.stop();
}

#[tokio::test]
async fn a_group_goes_before_the_flow_that_uses_it_and_after_it_on_removal() {
    let fs = fake();
    let store = Desired::new(base_pipeline());
    let ctl = Ctl::start(store.clone(), audit(2)).await;
    ctl.attach(&fs).await;
    converge(&fs, &base_pipeline()).await;
    let extra = parse(
        "table=0,priority=100,in_port=1,actions=group:0x4e000001\n\
         group_id=0x4e000001,type=all,bucket=actions=output:2,bucket=actions=output:3\n",
    );
    let flow_cookie = Cookie::new(OwnerKind::StaticFlow, 1);

    fs.clear_received();
    store.set_switch(DPID, extra.clone());
    converge(&fs, &with_base(&extra)).await;
    let log = mods(&fs);
    assert_eq!(log.len(), 2, "{log:#?}");
    let group = position(&log, |s| {
        matches!(
            s,
            Sent::Group {
                cmd: GroupModCommand::Add,
                id: 0x4e00_0001,
                ..
            }
        )
    });
    let flow = position(
        &log,
        |s| matches!(s, Sent::Flow { cmd: FlowModCommand::Add, cookie, .. } if *cookie == flow_cookie),
    );
    assert!(group < flow, "group before the flow that uses it: {log:#?}");
    let trace = fs.trace(&Packet::ethernet(1, mac(1), mac(9), 0x88b5));
    assert_eq!(trace.ports(), [2, 3], "{trace:?}");

    fs.clear_received();
    store.set_switch(DPID, SwitchState::default());
    converge(&fs, &base_pipeline()).await;
    let log = mods(&fs);
    assert_eq!(log.len(), 2, "{log:#?}");
    let flow = position(
        &log,
        |s| matches!(s, Sent::Flow { cmd: FlowModCommand::DeleteStrict, cookie, .. } if *cookie == flow_cookie),
    );
    let group = position(&log, |s| {
        matches!(
            s,
            Sent::Group {
                cmd: GroupModCommand::Delete,
                id: 0x4e00_0001,
                ..
            }
        )
    });
    assert!(flow < group, "flow deleted before its group: {log:#?}");
    assert!(fs.groups().is_empty());
}

#[tokio::test]
async fn meters_are_sent_outside_the_bundle() {
    let fs = fake();
    let store = Desired::new(base_pipeline());
    let ctl = Ctl::start(store.clone(), audit(2)).await;
    ctl.attach(&fs).await;
    converge(&fs, &base_pipeline()).await;
    let extra = parse(
        "meter=0x4e000002,kbps,band=type=drop,rate=1000\n\
         table=0,priority=100,in_port=1,actions=meter:0x4e000002,output:2\n",
    );

    fs.clear_received();
    store.set_switch(DPID, extra.clone());
    converge(&fs, &with_base(&extra)).await;
    let log = sent(&fs);
    let meter = position(&log, |s| {
        *s == Sent::Meter {
            cmd: MeterModCommand::Add,
            id: 0x4e00_0002,
            bundled: false,
        }
    });
    let open = position(&log, |s| *s == Sent::Open);
    let flow = position(&log, |s| {
        matches!(
            s,
            Sent::Flow {
                cmd: FlowModCommand::Add,
                bundled: true,
                ..
            }
        )
    });
    let commit = position(&log, |s| *s == Sent::Commit);
    assert!(
        meter < open && open < flow && flow < commit,
        "meter first and outside the bundle, then the flow in it: {log:#?}"
    );
    assert!(
        !log.iter()
            .any(|s| matches!(s, Sent::Meter { bundled: true, .. })),
        "{log:#?}"
    );
    let trace = fs.trace(&Packet::ethernet(1, mac(1), mac(2), 0x88b5));
    assert_eq!(trace.meters, [0x4e00_0002]);
    assert_eq!(trace.ports(), [2]);

    fs.clear_received();
    store.set_switch(DPID, SwitchState::default());
    converge(&fs, &base_pipeline()).await;
    let log = sent(&fs);
    let flow = position(&log, |s| {
        matches!(
            s,
            Sent::Flow {
                cmd: FlowModCommand::DeleteStrict,
                bundled: true,
                ..
            }
        )
    });
    let commit = position(&log, |s| *s == Sent::Commit);
    let meter = position(&log, |s| {
        *s == Sent::Meter {
            cmd: MeterModCommand::Delete,
            id: 0x4e00_0002,
            bundled: false,
        }
    });
    assert!(
        flow < commit && commit < meter,
        "the meter is deleted after the bundle that deletes its flow: {log:#?}"
    );
}

/// The reconciler's own account of a plan with a meter: one bundle, no error.
#[tokio::test]
async fn reconcile_once_with_a_meter_reports_a_clean_bundle() {
    let fs = fake();
    let (controller_side, switch_side) = tokio::io::duplex(1 << 20);
    fs.serve(switch_side);
    let (tx, mut events) = tokio::sync::mpsc::channel(64);
    tokio::spawn(session::run(
        Box::new(controller_side),
        "test".into(),
        None,
        Arc::new(session_cfg()),
        tx,
        tokio_util::sync::CancellationToken::new(),
    ));
    let h = match tokio::time::timeout(WAIT, events.recv()).await {
        Ok(Some(SessionEvent::Connected(h))) => h,
        other => panic!("{other:?}"),
    };
    let desired = with_base(&parse(
        "meter=0x4e000002,pktps,band=type=drop,rate=100\n\
         table=0,priority=100,in_port=1,actions=meter:0x4e000002,output:2\n",
    ));
    let mut bundles = true;
    let o = reconcile::reconcile_once(&h, &desired, &mut bundles)
        .await
        .expect("reconcile");
    assert_eq!(o.delivery, Delivery::Bundle);
    assert_eq!(o.errors, 0, "the switch rejected nothing");
    assert_eq!(o.messages, base_flows().len() + 2);
    assert_eq!(
        (o.stats.meters.added, o.stats.flows.added),
        (1, base_flows().len() + 1)
    );
    assert!(bundles, "bundles still in use");
    assert_eq!(actual(&fs), desired);

    let o = reconcile::reconcile_once(&h, &base_pipeline(), &mut bundles)
        .await
        .expect("reconcile");
    assert_eq!(o.delivery, Delivery::Bundle);
    assert_eq!(o.errors, 0);
    assert_eq!((o.stats.meters.deleted, o.stats.flows.deleted), (1, 1));
    assert_eq!(actual(&fs), base_pipeline());
    let o = reconcile::reconcile_once(&h, &base_pipeline(), &mut bundles)
        .await
        .expect("reconcile");
    assert_eq!(o.delivery, Delivery::InSync);
}

// ---------------------------------------------------------------------------------------------
// The installed pipeline forwards
// ---------------------------------------------------------------------------------------------

fn mac(n: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, n])
}

#[tokio::test]
async fn installed_pipeline_forwards_static_flows_and_guards() {
    let fs = fake();
    let statics = parse("table=0,priority=100,in_port=1,actions=output:2\n");
    let desired = with_base(&statics);
    let ctl = Ctl::start(Desired::new(desired.clone()), audit(10)).await;
    ctl.attach(&fs).await;
    converge(&fs, &desired).await;

    let t = fs.trace(&Packet::ethernet(1, mac(1), mac(2), 0x0800));
    assert_eq!(t.ports(), [2], "{t:?}");
    assert_eq!(t.cookies(), [Cookie::new(OwnerKind::StaticFlow, 1)]);

    let multicast_src = MacAddr([0x01, 0x00, 0x5e, 0x00, 0x00, 0x01]);
    let t = fs.trace(&Packet::ethernet(1, multicast_src, mac(2), 0x0800));
    assert!(t.dropped(), "{t:?}");
    assert_eq!(t.cookies(), [base_cookie(Table::Classify, 1)], "the guard");

    let t = fs.trace(&Packet::ethernet(
        1,
        mac(1),
        MacAddr([0x01, 0x80, 0xc2, 0, 0, 0x0e]),
        0x88cc,
    ));
    assert!(t.dropped(), "{t:?}");
    assert_eq!(
        t.cookies(),
        [base_cookie(Table::Classify, 3)],
        "link-local guard"
    );

    let t = fs.trace(&Packet::ethernet(3, mac(3), mac(2), 0x0800));
    assert!(t.dropped(), "{t:?}");
    assert_eq!(
        t.cookies(),
        [base_cookie(Table::Classify, 0)],
        "default deny for an unclassified port"
    );
}

#[tokio::test]
async fn one_rejected_flow_does_not_keep_the_others_out() {
    let fs = fake();
    // The switch rejects a flow that outputs to a group it does not have.
    let statics = parse(
        "table=0,priority=100,in_port=1,actions=output:2\n\
         table=0,priority=100,in_port=2,actions=group:0x4e000063\n",
    );
    let desired = with_base(&statics);
    let ctl = Ctl::start(Desired::new(desired.clone()), audit(10)).await;
    ctl.attach(&fs).await;
    let mut good = desired.clone();
    good.flows
        .retain(|_, f| f.cookie != Cookie::new(OwnerKind::StaticFlow, 2));
    converge(&fs, &good).await;
    let t = fs.trace(&Packet::ethernet(1, mac(1), mac(2), 0x0800));
    assert_eq!(t.ports(), [2], "{t:?}");
    ctl.stop();
}

/// The clock is paused (`start_paused`): a sleep returns only once every task is idle, so the
/// sleep below covers several audit intervals of the controller's time in which it could have
/// written, and the assertions after it see everything it did.
#[tokio::test(start_paused = true)]
async fn a_slave_controller_never_writes() {
    let fs = fake();
    let store = Desired::new(base_pipeline());
    let cfg = SessionConfig {
        claim: Claim {
            role: ofproto::msg::Role::Slave,
            generation_id: 1,
        }
        .fixed(),
        ..session_cfg()
    };
    let controller = Controller::new(cfg, audit(1), store.subscribe());
    store.follow(&controller);
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    controller.attach(Box::new(ours), "duplex".into());
    let serve = tokio::spawn(controller.clone().serve(Vec::new()));
    fs.serve(theirs);
    let registered = fs
        .wait_until(WAIT, |_| controller.switch(DPID).is_some())
        .await;
    assert!(registered, "switch never registered");
    assert_eq!(fs.roles(), [ofproto::msg::Role::Slave]);
    // Several audit intervals pass (virtual time, with every task idle at the end): no flow,
    // group, meter or bundle message is sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fs.received_flow_mods().is_empty());
    assert_eq!(fs.received_count(ofproto::MsgType::Experimenter), 0);
    assert!(fs.flows().is_empty());
    serve.abort();
}

// ---------------------------------------------------------------------------------------------
// Vendor extensions, negotiated per switch
// ---------------------------------------------------------------------------------------------

/// Static flows plus four flows and a group that use Open vSwitch's extensions: a register
/// move, a conntrack action, a conntrack commit, a `ct_state` match, and a group whose bucket
/// sets `tun_dst`; and the state a switch without them should get.
fn with_extensions() -> (SwitchState, SwitchState) {
    use ofproto::nx::{Conntrack, CtState, NxField, NxmHeader, RegMove};
    use ofproto::{Action, Masked, Match, OxmField};
    let ct = |zone, recirc_table, commit| -> Action {
        Conntrack {
            commit,
            zone,
            recirc_table,
            alg: 0,
        }
        .into()
    };
    let plain = with_base(&parse(
        "table=0,priority=100,in_port=1,actions=output:2\n\
         table=0,priority=100,in_port=2,actions=output:1\n",
    ));
    let mut plain = plain;
    let mut all = plain.clone();
    let cookie = Cookie::new(OwnerKind::PacketIn, 9);
    // A conntrack commit only records state: without conntrack the flow stays, without it.
    let ip4 = Match::new().with(OxmField::EthType(0x0800));
    let goto = Instruction::GotoTable(40);
    let commit = vec![
        Instruction::ApplyActions(vec![ct(1, None, true)]),
        goto.clone(),
    ];
    all.add_flow(30, 1010, &ip4, cookie, commit);
    plain.add_flow(30, 1010, &ip4, cookie, vec![goto]);
    let arp = Match::new().with(OxmField::EthType(0x0806));
    let mv = vec![Instruction::ApplyActions(vec![
        RegMove::whole(NxmHeader::ARP_SHA, NxmHeader::ARP_THA)
            .unwrap()
            .into(),
        Action::output(3),
    ])];
    all.add_flow(10, 100, &arp, cookie, mv);
    let ip = Match::new().with(OxmField::EthType(0x0800));
    let track = vec![Instruction::ApplyActions(vec![ct(1, Some(20), false)])];
    all.add_flow(10, 90, &ip, cookie, track);
    let est = ip
        .clone()
        .with(NxField::CtState(Masked::new(CtState::EST, CtState::EST)).into());
    all.add_flow(20, 90, &est, cookie, vec![Instruction::GotoTable(30)]);
    let tun = netmaster::cookie::owned_id(7);
    let tun_dst = OxmField::Raw(ofproto::oxm::RawOxm {
        class: 0x0001,
        field: 32,
        hasmask: false,
        payload: vec![10, 0, 0, 2],
    });
    all.groups.insert(
        tun,
        netmaster::desired::GroupEntry {
            group_type: ofproto::msg::GroupType::All,
            buckets: vec![ofproto::msg::Bucket::new(vec![
                Action::SetField(tun_dst),
                Action::output(3),
            ])],
        },
    );
    let flood = vec![Instruction::ApplyActions(vec![Action::Group(tun)])];
    all.add_flow(60, 20, &Match::new(), cookie, flood);
    (all, plain)
}

#[tokio::test]
async fn extensions_go_only_to_switches_that_speak_them() {
    let (all, plain) = with_extensions();
    assert_eq!(
        all.clone().strip_extensions(),
        6,
        "4 flows and the group left out, the commit taken out of its flow"
    );
    let store = Desired::new(all.clone());
    let ctl = Ctl::start(store, audit(2)).await;
    // An Open vSwitch (its description says Nicira) gets everything...
    let ovs = fake();
    let h = ctl.attach(&ovs).await;
    assert!(h.info().speaks_nicira());
    converge(&ovs, &all).await;
    // ...another switch everything else, and never a message it would refuse.
    let other = FakeSwitch::new(DPID + 1)
        .with_ports(vec![port(1), port(2), port(3)])
        .without_nicira();
    let h = ctl.attach(&other).await;
    assert!(!h.info().speaks_nicira());
    converge(&other, &plain).await;
    // Two more full audits of the other switch: they find nothing to send.
    let reads = full_reads(&other);
    assert!(
        other.wait_until(WAIT, |f| full_reads(f) >= reads + 2).await,
        "no further audits"
    );
    assert_eq!(actual(&other), plain);
    assert_eq!(extension_mods(&other), 0, "messages it would refuse");
    assert_eq!(
        extension_mods(&ovs),
        4,
        "the four flows with extensions, once"
    );
    ctl.stop();
}

/// How many flow mods a fake switch received (bundled or not) that use a vendor extension.
fn extension_mods(fs: &FakeSwitch) -> usize {
    fs.received_flow_mods()
        .iter()
        .filter(|f| {
            f.r#match.uses_extensions() || f.instructions.iter().any(|i| i.uses_extensions())
        })
        .count()
}

#[test]
fn a_switch_of_another_vendor_refuses_extensions() {
    let (all, _) = with_extensions();
    let fs = FakeSwitch::new(1)
        .with_ports(vec![port(1), port(2), port(3)])
        .without_nicira();
    let mut refused = 0;
    for msg in netmaster::reconcile::diff::diff(&all, &SwitchState::default()).messages {
        refused += usize::from(fs.apply_mod(msg).is_err());
    }
    assert_eq!(refused, 6, "4 flows, the group and the flow using it");
}
