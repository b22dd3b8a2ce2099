//! The session core without sockets: every test feeds it messages and instants it chooses,
//! and reads back what it sends, what happened and when it wants waking. No test sleeps.

use super::*;
use crate::session::Claim;
use ofproto::msg::{
    BundleAdd, FeaturesReply, Hello, HelloElement, Port, Role, RoleMessage, SwitchConfig,
};
use ofproto::multipart::{
    Desc, MultipartReply, MultipartReplyBody, MultipartRequest, MultipartRequestBody, OFPMPF_MORE,
};
use std::time::Duration;

const DPID: u64 = 0xabc;
const SECOND: Duration = Duration::from_secs(1);

fn cfg() -> SessionConfig {
    SessionConfig {
        echo_interval: 5 * SECOND,
        dead_after: 15 * SECOND,
        handshake_timeout: 10 * SECOND,
        request_timeout: 30 * SECOND,
        max_msgs_per_sec: 100,
        max_bad_messages: 3,
        miss_send_len: 256,
        ..SessionConfig::default()
    }
}

fn port(n: u32) -> Port {
    fakeswitch::port(n)
}

fn features() -> Body {
    Body::FeaturesReply(FeaturesReply {
        datapath_id: DPID,
        n_buffers: 0,
        n_tables: 254,
        auxiliary_id: 0,
        capabilities: 0x0f,
        reserved: 0,
    })
}

fn reply(flags: u16, body: MultipartReplyBody) -> Body {
    Body::MultipartReply(MultipartReply { flags, body })
}

fn desc() -> Desc {
    Desc {
        mfr_desc: "Nicira, Inc.".into(),
        hw_desc: "Open vSwitch".into(),
        sw_desc: "3.3".into(),
        serial_num: String::new(),
        dp_desc: String::new(),
    }
}

/// Everything the core wants sent.
fn sent(core: &mut Core) -> Vec<Message> {
    std::iter::from_fn(|| core.poll_transmit()).collect()
}

/// Everything that happened.
fn events(core: &mut Core) -> Vec<Event> {
    std::iter::from_fn(|| core.poll_event()).collect()
}

/// The one message sent, which must be of type `t`.
#[track_caller]
fn one_sent(core: &mut Core, t: MsgType) -> Message {
    let mut s = sent(core);
    assert_eq!(s.len(), 1, "{s:?}");
    let m = s.remove(0);
    assert_eq!(m.msg_type(), t, "{m:?}");
    m
}

#[track_caller]
fn ended(core: &mut Core) -> End {
    match events(core).pop() {
        Some(Event::Ended(end)) => {
            assert!(core.is_ended());
            assert_eq!(
                core.poll_timeout(),
                None,
                "an ended session needs no waking"
            );
            end
        }
        other => panic!("expected Ended, got {other:?}"),
    }
}

/// Runs the handshake up to the reply to the DESC request; returns the core and the xid of
/// that request.
fn up_to_desc(cfg: SessionConfig, t0: Instant) -> (Core, u32) {
    let mut core = Core::new(Arc::new(cfg), "test".into(), t0);
    one_sent(&mut core, MsgType::Hello);
    core.handle_message(Message::new(1, Body::Hello(Hello::of13())), t0);
    let f = one_sent(&mut core, MsgType::FeaturesRequest);
    core.handle_message(Message::new(f.xid, features()), t0);
    let s = sent(&mut core);
    assert_eq!(
        s.iter().map(Message::msg_type).collect::<Vec<_>>(),
        [MsgType::SetConfig, MsgType::MultipartRequest]
    );
    core.handle_message(
        Message::new(
            s[1].xid,
            reply(0, MultipartReplyBody::PortDesc(vec![port(1), port(2)])),
        ),
        t0,
    );
    let d = one_sent(&mut core, MsgType::MultipartRequest);
    (core, d.xid)
}

/// A session whose handshake (role equal) completed at `t0`.
fn connected(cfg: SessionConfig, t0: Instant) -> Core {
    let (mut core, xid) = up_to_desc(cfg, t0);
    core.handle_message(
        Message::new(xid, reply(0, MultipartReplyBody::Desc(desc()))),
        t0,
    );
    assert!(matches!(
        events(&mut core).as_slice(),
        [Event::Connected(_)]
    ));
    assert!(sent(&mut core).is_empty());
    core
}

// ---------------------------------------------------------------------------------------------
// Handshake
// ---------------------------------------------------------------------------------------------

#[test]
fn the_handshake_learns_the_switch_in_order_and_reports_it_once() {
    let t0 = Instant::now();
    let mut core = Core::new(Arc::new(cfg()), "tcp:1.2.3.4:5".into(), t0);
    let hello = one_sent(&mut core, MsgType::Hello);
    assert!(matches!(&hello.body, Body::Hello(h) if h.supports(4) == Some(true)));
    assert_eq!(
        core.poll_timeout(),
        Some(t0 + 10 * SECOND),
        "the handshake deadline"
    );
    core.handle_message(Message::new(7, Body::Hello(Hello::of13())), t0);
    let f = one_sent(&mut core, MsgType::FeaturesRequest);
    core.handle_message(Message::new(f.xid, features()), t0);
    let s = sent(&mut core);
    assert!(matches!(
        &s[0].body,
        Body::SetConfig(SwitchConfig {
            miss_send_len: 256,
            flags: 0
        })
    ));
    assert!(matches!(
        &s[1].body,
        Body::MultipartRequest(r) if r.body == MultipartRequestBody::PortDesc
    ));
    // The port list in two parts.
    core.handle_message(
        Message::new(
            s[1].xid,
            reply(OFPMPF_MORE, MultipartReplyBody::PortDesc(vec![port(1)])),
        ),
        t0,
    );
    assert!(sent(&mut core).is_empty(), "waits for the last part");
    core.handle_message(
        Message::new(
            s[1].xid,
            reply(0, MultipartReplyBody::PortDesc(vec![port(3)])),
        ),
        t0,
    );
    let d = one_sent(&mut core, MsgType::MultipartRequest);
    assert!(matches!(&d.body, Body::MultipartRequest(r) if r.body == MultipartRequestBody::Desc));
    assert!(events(&mut core).is_empty(), "not connected before DESC");
    core.handle_message(
        Message::new(d.xid, reply(0, MultipartReplyBody::Desc(desc()))),
        t0,
    );
    match events(&mut core).as_slice() {
        [Event::Connected(info)] => {
            assert_eq!(info.features.datapath_id, DPID);
            assert_eq!(info.ports.keys().copied().collect::<Vec<_>>(), [1, 3]);
            assert_eq!(info.peer, "tcp:1.2.3.4:5");
            assert_eq!(info.role, Role::Equal);
            assert!(info.speaks_nicira());
        }
        other => panic!("{other:?}"),
    }
    assert!(sent(&mut core).is_empty(), "no role request for role equal");
    let xids = [hello.xid, f.xid, s[0].xid, s[1].xid, d.xid];
    assert!(
        xids.windows(2).all(|w| w[0] < w[1] && w[0] != 0),
        "{xids:?}"
    );
}

#[test]
fn as_master_the_handshake_requests_the_role_with_the_generation_id() {
    let t0 = Instant::now();
    let master = SessionConfig {
        claim: Claim {
            role: Role::Master,
            generation_id: 7,
        }
        .fixed(),
        ..cfg()
    };
    let (mut core, xid) = up_to_desc(master.clone(), t0);
    core.handle_message(
        Message::new(xid, reply(0, MultipartReplyBody::Desc(desc()))),
        t0,
    );
    let r = one_sent(&mut core, MsgType::RoleRequest);
    assert_eq!(
        r.body,
        Body::RoleRequest(RoleMessage {
            role: Role::Master,
            generation_id: 7
        })
    );
    assert!(events(&mut core).is_empty());
    let granted = Body::RoleReply(RoleMessage {
        role: Role::Master,
        generation_id: 7,
    });
    core.handle_message(Message::new(r.xid, granted), t0);
    assert!(
        matches!(events(&mut core).as_slice(), [Event::Connected(i)] if i.role == Role::Master)
    );

    // A stale generation id is refused: the handshake fails.
    let (mut core, xid) = up_to_desc(master, t0);
    core.handle_message(
        Message::new(xid, reply(0, MultipartReplyBody::Desc(desc()))),
        t0,
    );
    let r = one_sent(&mut core, MsgType::RoleRequest);
    let stale = ErrorMsg::new(error_type::ROLE_REQUEST_FAILED, error_type::ROLE_STALE, &[]);
    core.handle_message(Message::new(r.xid, Body::Error(stale.clone())), t0);
    match ended(&mut core) {
        End::Handshake(HandshakeError::Refused(e)) => assert_eq!(e, stale),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_switch_without_openflow_1_3_gets_hello_failed_and_no_features_request() {
    let t0 = Instant::now();
    let mut core = Core::new(Arc::new(cfg()), "test".into(), t0);
    one_sent(&mut core, MsgType::Hello);
    // An OpenFlow 1.0 HELLO without a version bitmap.
    let hello = Message {
        version: 1,
        xid: 33,
        body: Body::Hello(Hello { elements: vec![] }),
    };
    core.handle_message(hello, t0);
    let e = one_sent(&mut core, MsgType::Error);
    assert_eq!(e.xid, 33);
    match e.body {
        Body::Error(ErrorMsg::Standard { typ, code, data }) => {
            assert_eq!(
                (typ, code),
                (error_type::HELLO_FAILED, error_type::HELLO_INCOMPATIBLE)
            );
            assert!(!data.is_empty(), "HELLO_FAILED explains");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        ended(&mut core),
        End::Handshake(HandshakeError::Incompatible { version: 1 })
    ));

    // A bitmap that leaves 1.3 out fails the same way, whatever the header version.
    let mut core = Core::new(Arc::new(cfg()), "test".into(), t0);
    sent(&mut core);
    let only_1_0 = Hello {
        elements: vec![HelloElement::VersionBitmap(vec![1 << 1])],
    };
    core.handle_message(Message::new(1, Body::Hello(only_1_0)), t0);
    one_sent(&mut core, MsgType::Error);
    assert!(matches!(
        ended(&mut core),
        End::Handshake(HandshakeError::Incompatible { .. })
    ));
}

#[test]
fn a_first_message_other_than_hello_fails_the_handshake() {
    let t0 = Instant::now();
    let mut core = Core::new(Arc::new(cfg()), "test".into(), t0);
    sent(&mut core);
    core.handle_message(Message::new(1, features()), t0);
    assert!(matches!(
        ended(&mut core),
        End::Handshake(HandshakeError::NotHello(MsgType::FeaturesReply))
    ));
}

#[test]
fn a_handshake_that_takes_too_long_times_out() {
    let t0 = Instant::now();
    let mut core = Core::new(Arc::new(cfg()), "test".into(), t0);
    core.handle_message(Message::new(1, Body::Hello(Hello::of13())), t0 + SECOND);
    core.handle_timeout(t0 + 9 * SECOND);
    assert!(events(&mut core).is_empty());
    assert_eq!(core.poll_timeout(), Some(t0 + 10 * SECOND));
    core.handle_timeout(t0 + 10 * SECOND);
    assert!(matches!(
        ended(&mut core),
        End::Handshake(HandshakeError::TimedOut)
    ));
}

#[test]
fn during_the_handshake_echo_is_answered_and_asynchronous_messages_wait_for_connected() {
    let t0 = Instant::now();
    let (mut core, xid) = up_to_desc(cfg(), t0);
    core.handle_message(Message::new(900, Body::EchoRequest(b"hi".to_vec())), t0);
    let echo = one_sent(&mut core, MsgType::EchoReply);
    assert_eq!(
        (echo.xid, echo.body),
        (900, Body::EchoReply(b"hi".to_vec()))
    );
    let status = ofproto::msg::PortStatus {
        reason: 0,
        desc: port(9),
    };
    core.handle_message(Message::new(0, Body::PortStatus(status.clone())), t0);
    assert!(
        events(&mut core).is_empty(),
        "kept until the handshake completes"
    );
    // A switch that refuses DESC speaks no extensions but connects.
    let refused = ErrorMsg::new(error_type::BAD_REQUEST, 2, &[]);
    core.handle_message(Message::new(xid, Body::Error(refused)), t0);
    match events(&mut core).as_slice() {
        [Event::Connected(info), Event::PortStatus(s)] => {
            assert_eq!(info.desc, None);
            assert!(!info.speaks_nicira());
            assert_eq!(s, &status);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn garbage_during_the_handshake_fails_it() {
    let t0 = Instant::now();
    let (mut core, _) = up_to_desc(cfg(), t0);
    let frame = [4, 200, 0, 8, 0, 0, 0, 1];
    let error = Message::decode(&frame).expect_err("unknown type");
    core.handle_bad_frame(&error, &frame, t0);
    assert!(matches!(
        ended(&mut core),
        End::Handshake(HandshakeError::BadMessage(_))
    ));
    let (mut core, _) = up_to_desc(cfg(), t0);
    core.handle_bad_header_length(4);
    assert!(matches!(
        ended(&mut core),
        End::Handshake(HandshakeError::HeaderTooShort(4))
    ));
}

// ---------------------------------------------------------------------------------------------
// Requests and xids
// ---------------------------------------------------------------------------------------------

/// The completions among the events.
fn completions(core: &mut Core) -> Vec<(RequestId, Completion)> {
    events(core)
        .into_iter()
        .map(|e| match e {
            Event::Completed(id, c) => (id, c),
            other => panic!("expected a completion, got {other:?}"),
        })
        .collect()
}

#[test]
fn each_reply_completes_the_request_with_its_xid() {
    let t0 = Instant::now();
    let mut core = connected(cfg(), t0);
    let a = core.request(Body::BarrierRequest, t0);
    let b = core.request(Body::FeaturesRequest, t0);
    assert_ne!(a, b);
    let s = sent(&mut core);
    assert_eq!(s.len(), 2);
    assert_ne!(s[0].xid, s[1].xid);
    // Answered in the other order.
    core.handle_message(Message::new(s[1].xid, features()), t0);
    core.handle_message(Message::new(s[0].xid, Body::BarrierReply), t0);
    assert_eq!(
        completions(&mut core),
        [
            (
                b,
                Completion::Reply(Ok(vec![Message::new(s[1].xid, features())]))
            ),
            (
                a,
                Completion::Reply(Ok(vec![Message::new(s[0].xid, Body::BarrierReply)]))
            ),
        ]
    );
}

#[test]
fn multipart_parts_are_gathered_until_the_one_without_more() {
    let t0 = Instant::now();
    let mut core = connected(cfg(), t0);
    let id = core.request(
        Body::MultipartRequest(MultipartRequest::new(MultipartRequestBody::PortDesc)),
        t0,
    );
    let xid = one_sent(&mut core, MsgType::MultipartRequest).xid;
    let parts: Vec<Message> = (1..=3)
        .map(|i| {
            let flags = if i < 3 { OFPMPF_MORE } else { 0 };
            Message::new(
                xid,
                reply(flags, MultipartReplyBody::PortDesc(vec![port(i)])),
            )
        })
        .collect();
    for p in &parts[..2] {
        core.handle_message(p.clone(), t0);
        assert!(
            events(&mut core).is_empty(),
            "not complete before the last part"
        );
    }
    core.handle_message(parts[2].clone(), t0);
    assert_eq!(completions(&mut core), [(id, Completion::Reply(Ok(parts)))]);
}

#[test]
fn an_error_with_the_request_xid_completes_it_as_a_switch_error() {
    let t0 = Instant::now();
    let mut core = connected(cfg(), t0);
    let id = core.request(Body::BarrierRequest, t0);
    let xid = one_sent(&mut core, MsgType::BarrierRequest).xid;
    let e = ErrorMsg::new(error_type::BAD_REQUEST, 9, &[]);
    core.handle_message(Message::new(xid, Body::Error(e.clone())), t0);
    assert_eq!(
        completions(&mut core),
        [(id, Completion::Reply(Err(RequestError::Switch(e))))]
    );
    // Answered once: a late reply with the same xid is nobody's.
    core.handle_message(Message::new(xid, Body::BarrierReply), t0);
    assert!(events(&mut core).is_empty());
    assert!(sent(&mut core).is_empty());
}

#[test]
fn replies_nobody_asked_for_are_dropped_and_controller_messages_refused() {
    let t0 = Instant::now();
    let mut core = connected(cfg(), t0);
    let id = core.request(Body::BarrierRequest, t0);
    let xid = one_sent(&mut core, MsgType::BarrierRequest).xid;
    core.handle_message(Message::new(xid + 100, Body::BarrierReply), t0);
    core.handle_message(
        Message::new(xid + 101, Body::Error(ErrorMsg::new(1, 1, &[]))),
        t0,
    );
    assert!(events(&mut core).is_empty(), "no request completed");
    assert!(sent(&mut core).is_empty(), "nothing answered");
    // A switch must not send controller-only messages.
    core.handle_message(Message::new(0x5151, Body::FeaturesRequest), t0);
    let e = one_sent(&mut core, MsgType::Error);
    assert_eq!(e.xid, 0x5151);
    assert!(matches!(
        e.body,
        Body::Error(ErrorMsg::Standard {
            typ: error_type::BAD_REQUEST,
            code: error_type::BAD_REQUEST_BAD_TYPE,
            ..
        })
    ));
    core.handle_message(Message::new(xid, Body::BarrierReply), t0);
    assert!(matches!(completions(&mut core).as_slice(), [(i, _)] if *i == id));
}

#[test]
fn a_batch_gets_the_errors_of_its_own_messages_when_its_barrier_is_answered() {
    let t0 = Instant::now();
    let mut core = connected(cfg(), t0);
    let add = Body::BundleAdd(BundleAdd {
        bundle_id: 1,
        flags: 0,
        message: Box::new(Message::new(0, Body::BarrierRequest)),
        trailer: Vec::new(),
    });
    let id = core.batch(
        vec![Body::EchoRequest(vec![1]), add, Body::EchoRequest(vec![3])],
        t0,
    );
    let s = sent(&mut core);
    assert_eq!(s.len(), 4, "three messages and a barrier");
    assert_eq!(s[3].body, Body::BarrierRequest);
    match &s[1].body {
        Body::BundleAdd(a) => assert_eq!(a.message.xid, s[1].xid, "the inner xid is the outer"),
        other => panic!("{other:?}"),
    }
    let e = ErrorMsg::new(error_type::BAD_ACTION, 9, &[]);
    core.handle_message(Message::new(s[1].xid, Body::Error(e.clone())), t0);
    assert!(
        events(&mut core).is_empty(),
        "the barrier is not answered yet"
    );
    // An error outside the batch's xids is not the batch's.
    core.handle_message(Message::new(s[3].xid + 5, Body::Error(e.clone())), t0);
    core.handle_message(Message::new(s[3].xid, Body::BarrierReply), t0);
    assert_eq!(
        completions(&mut core),
        [(id, Completion::Batch(Ok(vec![(s[1].xid, e)])))]
    );
    // An empty batch is a barrier.
    let id = core.batch(Vec::new(), t0);
    let b = one_sent(&mut core, MsgType::BarrierRequest);
    core.handle_message(Message::new(b.xid, Body::BarrierReply), t0);
    assert_eq!(
        completions(&mut core),
        [(id, Completion::Batch(Ok(vec![])))]
    );
}

#[test]
fn requests_time_out_after_request_timeout() {
    let t0 = Instant::now();
    let mut core = connected(
        SessionConfig {
            echo_interval: 100 * SECOND,
            dead_after: 200 * SECOND,
            ..cfg()
        },
        t0,
    );
    let a = core.request(Body::BarrierRequest, t0);
    let b = core.batch(Vec::new(), t0 + SECOND);
    let xa = sent(&mut core)[0].xid;
    assert_eq!(core.poll_timeout(), Some(t0 + 30 * SECOND));
    core.handle_timeout(t0 + 29 * SECOND);
    assert!(events(&mut core).is_empty());
    core.handle_timeout(t0 + 30 * SECOND);
    assert_eq!(
        completions(&mut core),
        [(a, Completion::Reply(Err(RequestError::Timeout)))]
    );
    assert_eq!(
        core.poll_timeout(),
        Some(t0 + 31 * SECOND),
        "the batch's deadline"
    );
    // The late reply is nobody's.
    core.handle_message(Message::new(xa, Body::BarrierReply), t0 + 30 * SECOND);
    assert!(events(&mut core).is_empty());
    core.handle_timeout(t0 + 31 * SECOND);
    assert_eq!(
        completions(&mut core),
        [(b, Completion::Batch(Err(RequestError::Timeout)))]
    );
    assert_eq!(
        core.poll_timeout(),
        Some(t0 + 30 * SECOND + 100 * SECOND),
        "only the keepalive"
    );
}

#[test]
fn the_end_fails_every_outstanding_request_before_it_is_reported() {
    let t0 = Instant::now();
    let mut core = connected(cfg(), t0);
    let a = core.request(Body::BarrierRequest, t0);
    let b = core.batch(vec![Body::EchoRequest(vec![])], t0);
    core.close(End::ClosedBySwitch);
    let evs = events(&mut core);
    assert_eq!(evs.len(), 3, "{evs:?}");
    let mut failed: Vec<RequestId> = evs[..2]
        .iter()
        .map(|e| match e {
            Event::Completed(id, Completion::Reply(Err(RequestError::Closed)))
            | Event::Completed(id, Completion::Batch(Err(RequestError::Closed))) => *id,
            other => panic!("{other:?}"),
        })
        .collect();
    failed.sort();
    assert_eq!(failed, [a, b]);
    assert!(matches!(evs[2], Event::Ended(End::ClosedBySwitch)));
    // Nothing happens any more; a request made now fails at once.
    core.handle_message(Message::new(1, Body::BarrierReply), t0);
    core.close(End::Shutdown);
    let c = core.request(Body::BarrierRequest, t0);
    assert_eq!(
        completions(&mut core),
        [(c, Completion::Reply(Err(RequestError::Closed)))]
    );
}

// ---------------------------------------------------------------------------------------------
// Keepalive
// ---------------------------------------------------------------------------------------------

#[test]
fn an_echo_request_follows_each_echo_interval_of_silence() {
    let t0 = Instant::now();
    let mut core = connected(cfg(), t0);
    assert_eq!(core.poll_timeout(), Some(t0 + 5 * SECOND));
    core.handle_timeout(t0 + 4 * SECOND);
    assert!(sent(&mut core).is_empty(), "not before echo_interval");
    core.handle_timeout(t0 + 5 * SECOND);
    one_sent(&mut core, MsgType::EchoRequest);
    assert_eq!(
        core.poll_timeout(),
        Some(t0 + 10 * SECOND),
        "one per interval"
    );
    core.handle_timeout(t0 + 7 * SECOND);
    assert!(sent(&mut core).is_empty());
    // Anything received restarts the silence.
    core.handle_message(Message::new(1, Body::EchoReply(vec![])), t0 + 8 * SECOND);
    assert_eq!(core.poll_timeout(), Some(t0 + 13 * SECOND));
    core.handle_timeout(t0 + 10 * SECOND);
    assert!(sent(&mut core).is_empty());
    core.handle_timeout(t0 + 13 * SECOND);
    one_sent(&mut core, MsgType::EchoRequest);
    assert!(events(&mut core).is_empty(), "still alive");
}

#[test]
fn a_switch_silent_for_dead_after_is_dead() {
    let t0 = Instant::now();
    let mut core = connected(cfg(), t0);
    for s in [5, 10] {
        core.handle_timeout(t0 + s * SECOND);
        one_sent(&mut core, MsgType::EchoRequest);
    }
    assert_eq!(
        core.poll_timeout(),
        Some(t0 + 15 * SECOND),
        "dead_after comes first"
    );
    core.handle_timeout(t0 + 14 * SECOND);
    assert!(events(&mut core).is_empty());
    core.handle_timeout(t0 + 15 * SECOND);
    match ended(&mut core) {
        End::DeadPeer { silent } => assert_eq!(silent, 15 * SECOND),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_switch_echo_requests_are_answered_with_their_data() {
    let t0 = Instant::now();
    let mut core = connected(cfg(), t0);
    core.handle_message(Message::new(77, Body::EchoRequest(vec![1, 2, 3])), t0);
    let r = one_sent(&mut core, MsgType::EchoReply);
    assert_eq!(r, Message::new(77, Body::EchoReply(vec![1, 2, 3])));
}

// ---------------------------------------------------------------------------------------------
// Policing
// ---------------------------------------------------------------------------------------------

#[test]
fn a_switch_above_its_rate_is_flooding() {
    let t0 = Instant::now();
    let echo = || Message::new(9, Body::EchoReply(vec![]));
    let mut core = connected(cfg(), t0);
    // A burst of twice the rate passes.
    for _ in 0..200 {
        core.handle_message(echo(), t0);
    }
    assert!(events(&mut core).is_empty());
    // A second later the bucket holds one second's worth again.
    for _ in 0..100 {
        core.handle_message(echo(), t0 + SECOND);
    }
    assert!(events(&mut core).is_empty());
    core.handle_message(echo(), t0 + SECOND);
    match ended(&mut core) {
        End::Flooding { limit } => assert_eq!(limit, 100),
        other => panic!("{other:?}"),
    }
}

#[test]
fn undecodable_messages_are_answered_by_kind_and_too_many_end_the_session() {
    let t0 = Instant::now();
    let mut core = connected(cfg(), t0);
    // An unknown message type, a FEATURES_REPLY too short, an OXM length past its match.
    let unknown = vec![4, 200, 0, 8, 0xde, 0xad, 0xbe, 0xef];
    let short = vec![4, 6, 0, 12, 0x0b, 0xad, 0xca, 0xfe, 0, 0, 0, 1];
    let mut bad_match = vec![4, 14, 0, 0, 0, 0, 0, 3];
    bad_match.extend([0; 40]);
    bad_match.extend([0, 1, 0, 0x0c, 0x80, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0]);
    let len = bad_match.len() as u16;
    bad_match[2..4].copy_from_slice(&len.to_be_bytes());
    let cases = [
        (
            &unknown,
            0xdead_beef,
            (error_type::BAD_REQUEST, error_type::BAD_REQUEST_BAD_TYPE),
        ),
        (
            &short,
            0x0bad_cafe,
            (error_type::BAD_REQUEST, error_type::BAD_REQUEST_BAD_LEN),
        ),
        (
            &bad_match,
            3,
            (error_type::BAD_MATCH, error_type::BAD_MATCH_BAD_LEN),
        ),
    ];
    for (frame, xid, (typ, code)) in cases {
        let error = Message::decode(frame).expect_err("must not decode");
        core.handle_bad_frame(&error, frame, t0);
        let e = one_sent(&mut core, MsgType::Error);
        assert_eq!(e.xid, xid);
        assert_eq!(
            e.body,
            Body::Error(ErrorMsg::new(typ, code, frame)),
            "echoes the frame"
        );
    }
    assert!(events(&mut core).is_empty(), "three are tolerated");
    let error = Message::decode(&unknown).expect_err("must not decode");
    core.handle_bad_frame(&error, &unknown, t0);
    one_sent(&mut core, MsgType::Error);
    match ended(&mut core) {
        End::Garbage { count } => assert_eq!(count, 4),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_header_length_below_8_is_answered_with_bad_len_and_ends_the_session() {
    let t0 = Instant::now();
    let mut core = connected(cfg(), t0);
    core.handle_bad_header_length(4);
    let e = one_sent(&mut core, MsgType::Error);
    assert_eq!(
        (e.xid, e.body),
        (
            0,
            Body::Error(ErrorMsg::new(
                error_type::BAD_REQUEST,
                error_type::BAD_REQUEST_BAD_LEN,
                &[]
            ))
        )
    );
    let end = ended(&mut core);
    assert_eq!(end.to_string(), "garbage: header length 4 below 8");
}
