//! Switch sessions against the in-memory fake switch: handshake, version negotiation,
//! keepalive, xid matching, misbehaving switches, PORT_STATUS and reconnects. No root, no Open
//! vSwitch; every timeout is short so that the whole file runs in a few seconds.

#[path = "support/desired.rs"]
mod desired;

use desired::Desired;
use fakeswitch::{port, FakeSwitch, OFPPR_ADD, OFPPR_DELETE};
use futures_util::future::join_all;
use netmaster::app::{Controller, PacketInApp};
use netmaster::compiled::{Capabilities, Compiled};
use netmaster::desired::SwitchState;
use netmaster::reconcile::ReconcileConfig;
use netmaster::session::{self, Claim, RequestError, SessionConfig, SessionEvent, SwitchHandle};
use netmaster::transport::{ListenAddr, Listener};
use ofproto::msg::{
    error_type, ErrorMsg, FlowModCommand, GroupModCommand, PacketIn, PacketOut, Role, OFP_NO_BUFFER,
};
use ofproto::multipart::{
    FlowStatsRequest, MultipartReplyBody, MultipartRequest, MultipartRequestBody, OFPMPF_MORE,
};
use ofproto::text::{parse_flow_mod, parse_group_mod};
use ofproto::{Action, Body, Instruction, Message, MsgType};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc::{self, Receiver};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

/// The deadline of a wait for something that must happen (generous: it only delays a failure).
const WAIT: Duration = Duration::from_secs(30);

/// Session settings with short timers.
fn cfg() -> SessionConfig {
    SessionConfig {
        echo_interval: Duration::from_millis(200),
        dead_after: Duration::from_millis(800),
        handshake_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        ..SessionConfig::default()
    }
}

/// A fake switch with ports 1, 2 and 3.
fn fake(dpid: u64) -> FakeSwitch {
    FakeSwitch::new(dpid).with_ports(vec![port(1), port(2), port(3)])
}

/// One session between the controller's session code and a fake switch over a duplex pipe.
struct Rig {
    events: Receiver<SessionEvent>,
    session: JoinHandle<()>,
}

impl Rig {
    /// Starts a session on a fresh pipe served by `fs`.
    fn start(fs: &FakeSwitch, cfg: SessionConfig) -> Rig {
        let (controller_side, switch_side) = tokio::io::duplex(1 << 20);
        fs.serve(switch_side);
        Rig::on(controller_side, cfg)
    }

    /// Starts a session on the controller end of a pipe.
    fn on(controller_side: DuplexStream, cfg: SessionConfig) -> Rig {
        let (tx, events) = mpsc::channel(64);
        let session = tokio::spawn(session::run(
            Box::new(controller_side),
            "test".into(),
            None,
            Arc::new(cfg),
            tx,
            CancellationToken::new(),
        ));
        Rig { events, session }
    }

    /// The next event, failing the test after [`WAIT`].
    async fn event(&mut self) -> SessionEvent {
        match timeout(WAIT, self.events.recv()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => panic!("event channel closed"),
            Err(_) => panic!("no session event within {WAIT:?}"),
        }
    }

    /// Waits for the Connected event.
    async fn connected(&mut self) -> SwitchHandle {
        match self.event().await {
            SessionEvent::Connected(h) => h,
            other => panic!("expected Connected, got {other:?}"),
        }
    }

    /// Waits for the Disconnected event (skipping others) and returns its reason.
    async fn disconnected(&mut self) -> String {
        loop {
            if let SessionEvent::Disconnected { reason, .. } = self.event().await {
                return reason;
            }
        }
    }

    /// Waits for the session task to end.
    async fn ended(&mut self) {
        timeout(WAIT, &mut self.session)
            .await
            .expect("session task ended")
            .expect("session task did not panic");
    }
}

/// Starts a session and waits for its handshake.
async fn connect(fs: &FakeSwitch, cfg: SessionConfig) -> (Rig, SwitchHandle) {
    let mut rig = Rig::start(fs, cfg);
    let h = rig.connected().await;
    (rig, h)
}

/// A request that must succeed: a barrier.
async fn barrier(h: &SwitchHandle) {
    let r = h.request(Body::BarrierRequest).await.expect("barrier");
    assert!(
        matches!(r.as_slice(), [m] if m.body == Body::BarrierReply),
        "{r:?}"
    );
}

/// The OFPT_ERRORs the switch received, as (xid, type, code).
fn errors_received(fs: &FakeSwitch) -> Vec<(u32, u16, u16)> {
    fs.received()
        .into_iter()
        .filter_map(|m| match m.body {
            Body::Error(ErrorMsg::Standard { typ, code, .. }) => Some((m.xid, typ, code)),
            _ => None,
        })
        .collect()
}

fn flow(text: &str) -> ofproto::msg::FlowMod {
    parse_flow_mod(text, FlowModCommand::Add).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A raw OpenFlow header (plus body) with any type and length field.
fn raw(typ: u8, len: u16, xid: u32, body: &[u8]) -> Vec<u8> {
    let mut v = vec![ofproto::OFP_VERSION, typ];
    v.extend_from_slice(&len.to_be_bytes());
    v.extend_from_slice(&xid.to_be_bytes());
    v.extend_from_slice(body);
    v
}

// ---------------------------------------------------------------------------------------------
// Handshake
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn handshake_reports_dpid_ports_features_in_order() {
    let fs = fake(0xabc);
    let (mut rig, h) = connect(
        &fs,
        SessionConfig {
            miss_send_len: 256,
            ..cfg()
        },
    )
    .await;
    assert_eq!(h.dpid(), 0xabc);
    let info = h.info();
    assert_eq!(info.features.datapath_id, 0xabc);
    assert_eq!(info.features.n_tables, 254);
    assert_eq!(info.features.capabilities, 0x0f);
    assert_eq!(info.peer, "test");
    assert_eq!(info.ports.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(info.ports[&2].name, "p2");
    assert_eq!(info.ports[&2], port(2));

    let types: Vec<MsgType> = fs.received().iter().map(|m| m.msg_type()).collect();
    assert_eq!(
        types,
        [
            MsgType::Hello,
            MsgType::FeaturesRequest,
            MsgType::SetConfig,
            MsgType::MultipartRequest,
            MsgType::MultipartRequest
        ],
        "handshake messages in order, no role request for role equal"
    );
    let received = fs.received();
    assert!(matches!(
        &received[3].body,
        Body::MultipartRequest(r) if r.body == MultipartRequestBody::PortDesc
    ));
    assert!(matches!(
        &received[4].body,
        Body::MultipartRequest(r) if r.body == MultipartRequestBody::Desc
    ));
    assert_eq!(
        info.desc.as_ref().map(|d| d.hw_desc.as_str()),
        Some("fakeswitch")
    );
    assert!(
        info.speaks_nicira(),
        "the fake switch models Open vSwitch's extensions"
    );
    assert!(matches!(
        &received[2].body,
        Body::SetConfig(c) if c.miss_send_len == 256
    ));
    assert_eq!(fs.switch_config().miss_send_len, 256);
    assert_eq!(fs.roles(), [Role::Equal]);
    barrier(&h).await;
    assert!(rig.events.try_recv().is_err(), "no other event");
}

#[tokio::test]
async fn handshake_as_master_sends_role_request_with_generation_id() {
    let fs = fake(1);
    let (_rig, h) = connect(
        &fs,
        SessionConfig {
            claim: Claim {
                role: Role::Master,
                generation_id: 7,
            }
            .fixed(),
            ..cfg()
        },
    )
    .await;
    let received = fs.received();
    let types: Vec<MsgType> = received.iter().map(|m| m.msg_type()).collect();
    assert_eq!(
        types,
        [
            MsgType::Hello,
            MsgType::FeaturesRequest,
            MsgType::SetConfig,
            MsgType::MultipartRequest,
            MsgType::MultipartRequest,
            MsgType::RoleRequest
        ]
    );
    match &received[5].body {
        Body::RoleRequest(r) => {
            assert_eq!(r.role, Role::Master);
            assert_eq!(r.generation_id, 7);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fs.roles(), [Role::Master]);
    assert_eq!(fs.generation_id(), Some(7));
    barrier(&h).await;
}

#[tokio::test]
async fn handshake_with_stale_generation_id_fails_cleanly() {
    let fs = fake(1);
    let master = |generation_id| SessionConfig {
        claim: Claim {
            role: Role::Master,
            generation_id,
        }
        .fixed(),
        ..cfg()
    };
    let (_first, h1) = connect(&fs, master(10)).await;
    assert_eq!(fs.generation_id(), Some(10));

    let mut second = Rig::start(&fs, master(5));
    second.ended().await;
    assert!(
        second.events.recv().await.is_none(),
        "a failed handshake reports neither Connected nor Disconnected"
    );
    let stale = fs.received().into_iter().any(|m| {
        matches!(m.body, Body::RoleRequest(r) if r.generation_id == 5 && r.role == Role::Master)
    });
    assert!(stale, "the stale role request was sent");
    assert!(
        fs.wait_until(WAIT, |f| f.connections() == 1).await,
        "the failed session's connection is closed"
    );
    assert_eq!(
        fs.roles(),
        [Role::Master],
        "the first controller is still master"
    );
    assert_eq!(fs.generation_id(), Some(10));
    barrier(&h1).await;
}

// ---------------------------------------------------------------------------------------------
// Version negotiation
// ---------------------------------------------------------------------------------------------

/// A pipe from the controller to `fs` that records every byte the controller sends, even
/// after the switch closed its side.
fn tapped(fs: &FakeSwitch) -> (DuplexStream, Arc<Mutex<Vec<u8>>>) {
    let (controller_side, tap_c) = tokio::io::duplex(1 << 16);
    let (tap_s, switch_side) = tokio::io::duplex(1 << 16);
    fs.serve(switch_side);
    let log = Arc::new(Mutex::new(Vec::new()));
    let (mut c_rd, mut c_wr) = tokio::io::split(tap_c);
    let (mut s_rd, mut s_wr) = tokio::io::split(tap_s);
    let log2 = log.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        let mut forward = true;
        loop {
            match c_rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    log2.lock().unwrap().extend_from_slice(&buf[..n]);
                    if forward && s_wr.write_all(&buf[..n]).await.is_err() {
                        forward = false;
                    }
                }
            }
        }
        let _ = s_wr.shutdown().await;
    });
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut s_rd, &mut c_wr).await;
        let _ = c_wr.shutdown().await;
    });
    (controller_side, log)
}

#[tokio::test]
async fn version_negotiation_failure_sends_hello_failed_and_closes() {
    let fs = fake(1).advertise_version(0x01);
    let (controller_side, log) = tapped(&fs);
    let mut rig = Rig::on(controller_side, cfg());
    rig.ended().await;
    assert!(
        rig.events.recv().await.is_none(),
        "no Connected event (nor any other)"
    );
    let bytes = log.lock().unwrap().clone();
    let sent: Vec<Message> = ofproto::codec::frames(&bytes)
        .map(|f| Message::decode(f.expect("whole frames")).expect("decodes"))
        .collect();
    assert!(
        matches!(&sent[0].body, Body::Hello(h) if h.supports(4) == Some(true)),
        "{sent:?}"
    );
    let errors: Vec<&Message> = sent
        .iter()
        .filter(|m| matches!(m.body, Body::Error(_)))
        .collect();
    assert_eq!(errors.len(), 1, "{sent:?}");
    match &errors[0].body {
        Body::Error(ErrorMsg::Standard { typ, code, data }) => {
            assert_eq!(*typ, error_type::HELLO_FAILED);
            assert_eq!(*code, error_type::HELLO_INCOMPATIBLE);
            assert!(!data.is_empty(), "HELLO_FAILED carries an explanation");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !sent
            .iter()
            .any(|m| m.msg_type() == MsgType::FeaturesRequest),
        "no FEATURES_REQUEST after a failed negotiation"
    );
}

// ---------------------------------------------------------------------------------------------
// Keepalive
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn keepalive_drops_a_switch_that_stops_answering_echo() {
    let fs = fake(1).stall_echo(true);
    let echo = Duration::from_millis(50);
    let dead = Duration::from_millis(250);
    let (mut rig, h) = connect(
        &fs,
        SessionConfig {
            echo_interval: echo,
            dead_after: dead,
            ..cfg()
        },
    )
    .await;
    let started = Instant::now();
    let reason = rig.disconnected().await;
    let took = started.elapsed();
    assert!(reason.starts_with("dead peer"), "{reason}");
    // `took` starts a little after the session's last receive, and the check runs on an
    // `echo`-period tick: the drop comes between `dead_after` and one tick later.
    assert!(
        took + echo >= dead,
        "dropped after {took:?}, before dead_after"
    );
    assert!(
        took < dead + Duration::from_millis(500),
        "dropped only after {took:?}"
    );
    assert!(
        fs.received_count(MsgType::EchoRequest) >= 2,
        "echo requests were sent"
    );
    rig.ended().await;
    assert!(h.is_closed());
    assert_eq!(
        h.request(Body::BarrierRequest).await,
        Err(RequestError::Closed)
    );
}

#[tokio::test]
async fn keepalive_keeps_an_answering_switch_up() {
    let fs = fake(1);
    let (mut rig, h) = connect(
        &fs,
        SessionConfig {
            echo_interval: Duration::from_millis(50),
            dead_after: Duration::from_millis(250),
            ..cfg()
        },
    )
    .await;
    // Six echo requests span more than `dead_after` (five idle intervals): a keepalive that
    // dropped an answering switch would have dropped it by then.
    let echoed = fs
        .wait_until(WAIT, |fs| fs.received_count(MsgType::EchoRequest) >= 6)
        .await;
    assert!(
        echoed,
        "an echo request every idle interval: {}",
        fs.received_count(MsgType::EchoRequest)
    );
    assert!(rig.events.try_recv().is_err(), "still connected");
    assert!(!h.is_closed());
    barrier(&h).await;
}

// ---------------------------------------------------------------------------------------------
// Requests and xids
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn concurrent_requests_each_get_their_own_reply() {
    let fs = fake(0x42);
    for t in 0..10u8 {
        let mut f = flow(&format!("table={t},priority=1,actions=drop"));
        f.cookie = 1000 + u64::from(t);
        fs.apply_flow_mod(f).unwrap();
    }
    let (_rig, h) = connect(&fs, cfg()).await;
    let requests = (0..50u32).map(|i| {
        let h = h.clone();
        async move {
            let body = match i % 5 {
                0 => Body::MultipartRequest(MultipartRequest::new(MultipartRequestBody::Flow(
                    FlowStatsRequest {
                        table_id: (i % 10) as u8,
                        ..FlowStatsRequest::all()
                    },
                ))),
                1 => Body::MultipartRequest(MultipartRequest::new(MultipartRequestBody::Desc)),
                2 => Body::BarrierRequest,
                3 => Body::FeaturesRequest,
                _ => Body::QueueGetConfigRequest(i),
            };
            (i, h.request(body).await)
        }
    });
    let results = join_all(requests).await;
    assert_eq!(results.len(), 50);
    for (i, r) in results {
        let replies = r.unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(replies.len(), 1, "request {i}: {replies:?}");
        let body = &replies[0].body;
        match i % 5 {
            0 => match body {
                Body::MultipartReply(r) => match &r.body {
                    MultipartReplyBody::Flow(v) => {
                        let cookies: Vec<u64> = v.iter().map(|f| f.cookie).collect();
                        assert_eq!(cookies, [1000 + u64::from(i % 10)], "request {i}");
                    }
                    other => panic!("request {i}: {other:?}"),
                },
                other => panic!("request {i}: {other:?}"),
            },
            1 => assert!(
                matches!(body, Body::MultipartReply(r) if matches!(&r.body, MultipartReplyBody::Desc(d) if d.hw_desc == "fakeswitch")),
                "request {i}: {body:?}"
            ),
            2 => assert_eq!(body, &Body::BarrierReply, "request {i}"),
            3 => assert!(
                matches!(body, Body::FeaturesReply(f) if f.datapath_id == 0x42),
                "request {i}: {body:?}"
            ),
            _ => assert!(
                matches!(body, Body::QueueGetConfigReply(q) if q.port == i),
                "request {i}: {body:?}"
            ),
        }
    }
}

#[tokio::test]
async fn multipart_reply_parts_are_gathered() {
    let fs = fake(1);
    for i in 0..260u32 {
        let mut f = flow(&format!("priority=10,in_port={},actions=drop", i + 1));
        f.cookie = u64::from(i);
        fs.apply_flow_mod(f).unwrap();
    }
    let (_rig, h) = connect(&fs, cfg()).await;
    let parts = h
        .request(Body::MultipartRequest(MultipartRequest::new(
            MultipartRequestBody::Flow(FlowStatsRequest::all()),
        )))
        .await
        .expect("flow stats");
    assert_eq!(parts.len(), 3, "100 flows per part: 100 + 100 + 60");
    let xids: Vec<u32> = parts.iter().map(|m| m.xid).collect();
    assert!(xids.iter().all(|x| *x == xids[0]), "one request's parts");
    for (i, m) in parts.iter().enumerate() {
        match &m.body {
            Body::MultipartReply(r) => {
                assert_eq!(
                    r.flags & OFPMPF_MORE != 0,
                    i < 2,
                    "MORE on all but the last"
                )
            }
            other => panic!("{other:?}"),
        }
    }
    let flows = h.flow_stats().await.expect("flow stats");
    assert_eq!(flows.len(), 260);
    let mut cookies: Vec<u64> = flows.iter().map(|f| f.cookie).collect();
    cookies.sort_unstable();
    assert_eq!(cookies, (0..260).collect::<Vec<u64>>());
}

#[tokio::test]
async fn an_error_reply_completes_its_request() {
    let fs = fake(1);
    let (_rig, h) = connect(&fs, cfg()).await;
    // Table 254 does not exist (tables 0..=253, 255 = all).
    let bad_table = Body::MultipartRequest(MultipartRequest::new(MultipartRequestBody::Flow(
        FlowStatsRequest {
            table_id: 254,
            ..FlowStatsRequest::all()
        },
    )));
    // Modifying a group that does not exist: the switch answers only with an error.
    let gm = parse_group_mod(
        "group_id=0x4e000009,type=all,bucket=actions=output:1",
        GroupModCommand::Modify,
    )
    .unwrap();
    // Each completes with the switch's error (a request that waited for a reply that never
    // comes would end in a timeout error instead).
    let (a, b, c) = tokio::join!(
        h.request(bad_table),
        h.request(Body::GroupMod(gm)),
        h.request(Body::BarrierRequest)
    );
    match a {
        Err(RequestError::Switch(ErrorMsg::Standard { typ, code, .. })) => {
            assert_eq!(
                (typ, code),
                (error_type::BAD_REQUEST, 9),
                "OFPBRC_BAD_TABLE_ID"
            )
        }
        other => panic!("{other:?}"),
    }
    match b {
        Err(RequestError::Switch(ErrorMsg::Standard { typ, code, .. })) => {
            assert_eq!(
                (typ, code),
                (error_type::GROUP_MOD_FAILED, 8),
                "UNKNOWN_GROUP"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(c.is_ok(), "{c:?}");
}

#[tokio::test]
async fn batch_reports_exactly_the_rejected_message() {
    let fs = fake(1);
    let (_rig, h) = connect(&fs, cfg()).await;
    let bodies = vec![
        Body::FlowMod(flow("priority=10,in_port=1,actions=output:2")),
        Body::FlowMod(flow("priority=10,in_port=2,actions=output:1")),
        // Group 0x63 does not exist: OFPBAC_BAD_OUT_GROUP.
        Body::FlowMod(flow("priority=10,in_port=3,actions=group:99")),
        Body::FlowMod(flow("priority=20,in_port=3,actions=output:1")),
    ];
    let errors = h.batch(bodies).await.expect("batch");
    let uses_group = |i: &[Instruction]| {
        i.iter().any(|i| {
            matches!(i, Instruction::ApplyActions(a) if a.iter().any(|a| matches!(a, Action::Group(99))))
        })
    };
    let bad_xid = fs
        .received()
        .into_iter()
        .find(|m| matches!(&m.body, Body::FlowMod(f) if uses_group(&f.instructions)))
        .map(|m| m.xid)
        .expect("the bad flow mod was received");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, bad_xid);
    match &errors[0].1 {
        ErrorMsg::Standard { typ, code, .. } => {
            assert_eq!((*typ, *code), (error_type::BAD_ACTION, 9), "BAD_OUT_GROUP")
        }
        other => panic!("{other:?}"),
    }
    let flows = fs.flows();
    assert_eq!(flows.len(), 3, "the other three were applied: {flows:?}");
    assert!(
        !flows.iter().any(|f| uses_group(&f.instructions)),
        "the bad one was not"
    );
    let barriers = fs.received_count(MsgType::BarrierRequest);
    assert_eq!(barriers, 1, "one barrier fences the batch");
}

// ---------------------------------------------------------------------------------------------
// Misbehaving switches
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn garbage_is_answered_with_an_error_and_the_session_stays_up() {
    let fs = fake(1);
    let (mut rig, h) = connect(&fs, cfg()).await;
    // An unknown message type.
    fs.inject_raw(raw(200, 8, 0xdead_beef, &[]));
    // A FEATURES_REPLY whose body is too short.
    fs.inject_raw(raw(6, 12, 0x0bad_cafe, &[0, 0, 0, 1]));
    // A switch must not send controller-only messages.
    fs.send_message(Message::new(0x5151, Body::FeaturesRequest));
    let ok = fs.wait_until(WAIT, |f| errors_received(f).len() >= 3).await;
    assert!(ok, "errors received: {:?}", errors_received(&fs));
    let errors = errors_received(&fs);
    assert!(
        errors.contains(&(
            0xdead_beef,
            error_type::BAD_REQUEST,
            error_type::BAD_REQUEST_BAD_TYPE
        )),
        "{errors:?}"
    );
    assert!(
        errors.contains(&(
            0x0bad_cafe,
            error_type::BAD_REQUEST,
            error_type::BAD_REQUEST_BAD_LEN
        )),
        "{errors:?}"
    );
    assert!(
        errors.contains(&(
            0x5151,
            error_type::BAD_REQUEST,
            error_type::BAD_REQUEST_BAD_TYPE
        )),
        "{errors:?}"
    );
    // The error echoes the offending frame.
    let echoed = fs.received().into_iter().find_map(|m| match m.body {
        Body::Error(ErrorMsg::Standard { data, .. }) if m.xid == 0xdead_beef => Some(data),
        _ => None,
    });
    assert_eq!(echoed, Some(raw(200, 8, 0xdead_beef, &[])));
    barrier(&h).await;
    assert!(rig.events.try_recv().is_err(), "still connected");
    assert!(!h.is_closed());
}

#[tokio::test]
async fn too_many_bad_messages_disconnect() {
    let fs = fake(1);
    let (mut rig, h) = connect(
        &fs,
        SessionConfig {
            max_bad_messages: 3,
            ..cfg()
        },
    )
    .await;
    for i in 0..3 {
        fs.inject_raw(raw(200, 8, i, &[]));
    }
    assert!(fs.wait_until(WAIT, |f| errors_received(f).len() == 3).await);
    barrier(&h).await;
    assert!(
        rig.events.try_recv().is_err(),
        "three bad messages are tolerated"
    );
    fs.inject_raw(raw(200, 8, 3, &[]));
    let reason = rig.disconnected().await;
    assert!(
        reason.contains("garbage") && reason.contains('4'),
        "{reason}"
    );
    rig.ended().await;
    assert!(fs.wait_until(WAIT, |f| f.connections() == 0).await);
}

#[tokio::test]
async fn a_header_length_below_8_disconnects() {
    let fs = fake(1);
    let (mut rig, _h) = connect(&fs, cfg()).await;
    fs.inject_raw(raw(2, 4, 77, &[]));
    let reason = rig.disconnected().await;
    assert!(reason.contains("header length 4"), "{reason}");
    rig.ended().await;
    assert!(fs.wait_until(WAIT, |f| f.connections() == 0).await);
    assert_eq!(
        errors_received(&fs),
        [(0, error_type::BAD_REQUEST, error_type::BAD_REQUEST_BAD_LEN)],
        "the switch is told why before the connection closes"
    );
}

#[tokio::test]
async fn a_flooding_switch_is_disconnected() {
    let fs = fake(1);
    let (mut rig, _h) = connect(
        &fs,
        SessionConfig {
            max_msgs_per_sec: 100,
            ..cfg()
        },
    )
    .await;
    let echo = Message::new(9, Body::EchoReply(Vec::new()))
        .to_bytes()
        .unwrap();
    let flood: Vec<u8> = std::iter::repeat_n(echo.to_vec(), 1000).flatten().collect();
    fs.inject_raw(flood);
    let reason = rig.disconnected().await;
    assert!(reason.starts_with("flooding"), "{reason}");
    rig.ended().await;
}

#[tokio::test]
async fn a_misbehaving_switch_does_not_affect_another() {
    let good = fake(1);
    let bad = fake(2);
    let (mut good_rig, gh) = connect(&good, cfg()).await;
    let (mut bad_rig, bh) = connect(&bad, cfg()).await;
    bad.inject_raw(raw(0, 0, 0, &[]));
    let reason = bad_rig.disconnected().await;
    assert!(reason.starts_with("garbage"), "{reason}");
    bad_rig.ended().await;
    assert!(bh.is_closed());
    assert_eq!(
        bh.request(Body::BarrierRequest).await,
        Err(RequestError::Closed)
    );
    barrier(&gh).await;
    assert_eq!(gh.flow_stats().await.expect("flow stats").len(), 0);
    assert!(
        good_rig.events.try_recv().is_err(),
        "the good switch is still connected"
    );
    assert_eq!(good.connections(), 1);
}

// ---------------------------------------------------------------------------------------------
// PORT_STATUS
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn port_status_updates_the_port_table() {
    let fs = fake(5);
    let (mut rig, h) = connect(&fs, cfg()).await;
    fs.send_port_status(OFPPR_ADD, port(9));
    match rig.event().await {
        SessionEvent::PortStatus { dpid, status } => {
            assert_eq!(dpid, 5);
            assert_eq!(status.reason, OFPPR_ADD);
            assert_eq!(status.desc, port(9));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        h.info().ports.keys().copied().collect::<Vec<_>>(),
        [1, 2, 3, 9]
    );
    fs.send_port_status(OFPPR_DELETE, port(2));
    match rig.event().await {
        SessionEvent::PortStatus { status, .. } => {
            assert_eq!(status.reason, OFPPR_DELETE);
            assert_eq!(status.desc.port_no, 2);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        h.info().ports.keys().copied().collect::<Vec<_>>(),
        [1, 3, 9]
    );
    assert!(fs.set_port_live(1, false));
    match rig.event().await {
        SessionEvent::PortStatus { status, .. } => assert_eq!(status.desc.port_no, 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        h.info().ports[&1].state & fakeswitch::datapath::OFPPS_LINK_DOWN,
        fakeswitch::datapath::OFPPS_LINK_DOWN
    );
}

// ---------------------------------------------------------------------------------------------
// Reconnect through the controller
// ---------------------------------------------------------------------------------------------

/// Polls `cond` until it holds or [`WAIT`] passes.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    cond()
}

/// A controller with a unix-socket listener at a path of its own (`name`), serving `store`'s
/// snapshots; audits every 100 ms.
async fn serve(name: &str, store: &Arc<Desired>) -> (Arc<Controller>, PathBuf, JoinHandle<()>) {
    let path = std::env::temp_dir().join(format!(
        "nm-fake-sessions-{}-{name}.sock",
        std::process::id()
    ));
    let listener = Listener::bind(&ListenAddr::Unix(path.clone()))
        .await
        .expect("bind");
    let controller = Controller::new(
        cfg(),
        ReconcileConfig {
            audit_interval: Duration::from_millis(100),
            ..ReconcileConfig::default()
        },
        store.subscribe(),
    );
    store.follow(&controller);
    let serve = tokio::spawn(controller.clone().serve(vec![listener]));
    (controller, path, serve)
}

#[tokio::test]
async fn a_reconnect_replaces_a_session_that_no_longer_answers() {
    let store = Desired::new(SwitchState::default());
    let (controller, path, serve) = serve("reconnect", &store).await;

    // The switch restarts: its old connection is half-open (it answers nothing any more)
    // when the new one arrives.
    let before = fake(0x77);
    before.connect_unix(&path).await.expect("connect");
    assert!(eventually(|| controller.switch(0x77).is_some()).await);
    let old = controller.switch(0x77).unwrap();
    barrier(&old).await;
    before.set_stall_echo(true);
    let after = fake(0x77);
    after.connect_unix(&path).await.expect("reconnect");
    assert!(
        eventually(|| controller
            .switch(0x77)
            .is_some_and(|h| h.session_id() != old.session_id()))
        .await,
        "the registry holds the new session"
    );
    assert!(
        eventually(|| old.is_closed()).await,
        "the old session is closed"
    );
    assert_eq!(
        old.request(Body::BarrierRequest).await,
        Err(RequestError::Closed)
    );
    let new = controller.switch(0x77).unwrap();
    assert!(new.session_id() > old.session_id());
    barrier(&new).await;
    assert_eq!(controller.connected(), [0x77]);
    // The old session's Disconnected event must not remove the new one.
    assert!(before.wait_until(WAIT, |f| f.connections() == 0).await);
    barrier(&new).await;
    assert_eq!(
        controller.switch(0x77).map(|h| h.session_id()),
        Some(new.session_id())
    );
    serve.abort();
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_second_connection_claiming_a_live_datapath_id_is_refused() {
    let store = Desired::new(SwitchState::default());
    let f = flow("table=0,priority=7,in_port=1,actions=output:2");
    let mut own = SwitchState::default();
    let cookie = netmaster::cookie::Cookie::new(netmaster::cookie::OwnerKind::Endpoint, 1);
    own.add_flow(f.table_id, f.priority, &f.r#match, cookie, f.instructions);
    store.set_switch(0x78, own);
    let (controller, path, serve) = serve("impostor", &store).await;

    let genuine = fake(0x78);
    genuine.connect_unix(&path).await.expect("connect");
    assert!(
        genuine
            .wait_until(WAIT, |f| f.flows_in(0).iter().any(|e| e.priority == 7))
            .await,
        "the genuine switch got its flows"
    );
    let session = controller.switch(0x78).unwrap().session_id();

    // An impostor completes a handshake with the same datapath id: it is disconnected and
    // never asked for, or sent, any flow state.
    let impostor = fake(0x78);
    impostor.connect_unix(&path).await.expect("connect");
    assert!(
        impostor.wait_until(WAIT, |f| f.connections() == 0).await,
        "the impostor's connection was not closed"
    );
    let received = impostor.received();
    assert!(impostor.received_flow_mods().is_empty(), "{received:?}");
    // (It was asked what it is, as in every handshake: its ports and description.)
    let reads_state = |b: &MultipartRequestBody| {
        !matches!(
            b,
            MultipartRequestBody::PortDesc | MultipartRequestBody::Desc
        )
    };
    assert!(
        !received.iter().any(|m| match &m.body {
            Body::MultipartRequest(r) => reads_state(&r.body),
            Body::GroupMod(_) | Body::MeterMod(_) | Body::BundleControl(_) => true,
            _ => false,
        }),
        "the impostor was read or written: {received:?}"
    );
    assert!(impostor.flows().is_empty());
    // The genuine session is untouched and still programmed.
    let live = controller.switch(0x78).unwrap();
    assert_eq!(live.session_id(), session);
    assert!(!live.is_closed());
    barrier(&live).await;
    assert_eq!(genuine.connections(), 1);
    assert!(genuine.flows_in(0).iter().any(|e| e.priority == 7));
    serve.abort();
    let _ = std::fs::remove_file(&path);
}

// ---------------------------------------------------------------------------------------------
// Shutdown
// ---------------------------------------------------------------------------------------------

/// A packet-in application that answers every packet-in with a PACKET_OUT back out of its
/// port, through [`SwitchHandle::post`].
struct Reflect {
    controller: std::sync::Weak<Controller>,
    seen: std::sync::atomic::AtomicUsize,
}

impl PacketInApp for Reflect {
    fn packet_in(&self, dpid: u64, pi: &PacketIn) {
        self.seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (Some(h), Some(port)) = (
            self.controller.upgrade().and_then(|c| c.switch(dpid)),
            pi.in_port(),
        ) else {
            return;
        };
        let out = PacketOut {
            buffer_id: OFP_NO_BUFFER,
            in_port: ofproto::action::port_no::CONTROLLER,
            actions: vec![Action::output(port)],
            data: pi.data.clone(),
        };
        h.post(vec![Body::PacketOut(out)])
            .expect("room for one packet-out");
    }
}

#[tokio::test]
async fn shutting_down_the_controller_ends_every_task_it_started() {
    let metrics = tokio::runtime::Handle::current().metrics();
    assert_eq!(
        metrics.num_alive_tasks(),
        0,
        "nothing runs before the controller"
    );
    let path = std::env::temp_dir().join(format!("nm-shutdown-{}.sock", std::process::id()));
    let listener = Listener::bind(&ListenAddr::Unix(path.clone()))
        .await
        .expect("bind");
    // A fixed snapshot (no task publishes it) for the three switches.
    let (_snapshots, store) = tokio::sync::watch::channel(Arc::new(Compiled::fixed(
        &SwitchState::default(),
        (1..=3).map(|dpid| (dpid, Capabilities::OPEN_VSWITCH, SwitchState::default())),
    )));
    // Reconcilers that sleep for a minute between audits: one that outlived the shutdown
    // would still be alive when the test looks.
    let controller = Controller::new(
        cfg(),
        ReconcileConfig {
            audit_interval: Duration::from_secs(60),
            ..ReconcileConfig::default()
        },
        store,
    );
    let app = Arc::new(Reflect {
        controller: Arc::downgrade(&controller),
        seen: Default::default(),
    });
    controller.add_app(app.clone());
    let serve = tokio::spawn(controller.clone().serve(vec![listener]));

    // Two switches through the listener, one attached directly.
    let fakes: Vec<FakeSwitch> = (1..=3).map(fake).collect();
    fakes[0].connect_unix(&path).await.expect("connect");
    fakes[1].connect_unix(&path).await.expect("connect");
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    controller.attach(Box::new(ours), "duplex".into());
    fakes[2].serve(theirs);
    assert!(eventually(|| controller.connected() == [1, 2, 3]).await);
    let handles: Vec<SwitchHandle> = (1..=3).map(|d| controller.switch(d).unwrap()).collect();
    for h in &handles {
        barrier(h).await;
    }
    // A packet-in goes through the applications and is answered.
    let packet_in = PacketIn {
        buffer_id: OFP_NO_BUFFER,
        total_len: 3,
        reason: 1,
        table_id: 0,
        cookie: 0,
        r#match: ofproto::Match::new().with(ofproto::OxmField::InPort(2)),
        data: vec![1, 2, 3],
    };
    fakes[0].send_message(Message::new(0, Body::PacketIn(packet_in)));
    assert!(
        fakes[0]
            .wait_until(WAIT, |f| f.received_count(MsgType::PacketOut) == 1)
            .await
    );
    assert_eq!(app.seen.load(std::sync::atomic::Ordering::Relaxed), 1);
    // The accept loop, the event loop, three sessions, three reconcilers, and the fake
    // switches' own tasks.
    assert!(
        metrics.num_alive_tasks() >= 8,
        "{}",
        metrics.num_alive_tasks()
    );

    timeout(WAIT, controller.shutdown())
        .await
        .expect("shutdown completes");
    timeout(WAIT, serve)
        .await
        .expect("serve returns")
        .expect("serve did not panic");
    for h in &handles {
        assert!(h.is_closed());
        assert_eq!(
            h.request(Body::BarrierRequest).await,
            Err(RequestError::Closed)
        );
    }
    for f in &fakes {
        assert!(f.wait_until(WAIT, |f| f.connections() == 0).await);
    }
    // Once the fake switches saw their connections close, nothing is left.
    assert!(
        eventually(|| metrics.num_alive_tasks() == 0).await,
        "{} tasks still alive",
        metrics.num_alive_tasks()
    );
    let _ = std::fs::remove_file(&path);
}
