//! The switch side of the protocol, driven by a small scripted controller over
//! `tokio::io::duplex`.

mod common;

use common::*;
use fakeswitch::{port, FakeSwitch, OfError};
use futures_util::{SinkExt, StreamExt};
use ofproto::codec::OfCodec;
use ofproto::msg::{
    bundle_flags, error_type, BundleAdd, BundleControl, BundleCtrlType, ErrorMsg, FlowModCommand,
    Hello, HelloElement, Role, RoleMessage, SwitchConfig,
};
use ofproto::multipart::{
    FlowStatsRequest, MultipartReplyBody, MultipartRequest, MultipartRequestBody, OFPMPF_MORE,
};
use ofproto::{Body, Message, MsgType};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_util::codec::Framed;

const WAIT: Duration = Duration::from_secs(5);

/// The controller end of a session.
struct Ctl {
    io: Framed<DuplexStream, OfCodec>,
    xid: u32,
}

impl Ctl {
    /// Connects without any handshake.
    fn raw(fs: &FakeSwitch) -> (Ctl, JoinHandle<()>) {
        let (a, b) = tokio::io::duplex(1 << 20);
        let task = fs.serve(a);
        (
            Ctl {
                io: Framed::new(b, OfCodec),
                xid: 100,
            },
            task,
        )
    }

    /// Connects and exchanges HELLOs.
    async fn connect(fs: &FakeSwitch) -> (Ctl, JoinHandle<()>) {
        let (mut c, task) = Ctl::raw(fs);
        let hello = c.recv().await;
        assert!(matches!(hello.body, Body::Hello(_)));
        c.send(Body::Hello(Hello::of13())).await;
        (c, task)
    }

    async fn send(&mut self, body: Body) -> u32 {
        self.xid += 1;
        let m = Message::new(self.xid, body);
        self.io.send(m).await.unwrap();
        self.xid
    }

    async fn send_msg(&mut self, m: Message) {
        self.io.send(m).await.unwrap();
    }

    async fn recv(&mut self) -> Message {
        timeout(WAIT, self.io.next())
            .await
            .expect("timed out waiting for the switch")
            .expect("stream closed")
            .expect("stream error")
            .expect("undecodable message")
    }

    /// The next message, `None` if nothing comes within `ms` milliseconds.
    async fn try_recv(&mut self, ms: u64) -> Option<Message> {
        match timeout(Duration::from_millis(ms), self.io.next()).await {
            Ok(Some(Ok(Ok(m)))) => Some(m),
            _ => None,
        }
    }

    async fn request(&mut self, body: Body) -> Message {
        let xid = self.send(body).await;
        let m = self.recv().await;
        assert_eq!(m.xid, xid, "reply xid: {m:?}");
        m
    }

    /// Sends a barrier and returns everything received before its reply.
    async fn barrier(&mut self) -> Vec<Message> {
        let xid = self.send(Body::BarrierRequest).await;
        let mut before = Vec::new();
        loop {
            let m = self.recv().await;
            if matches!(m.body, Body::BarrierReply) {
                assert_eq!(m.xid, xid);
                return before;
            }
            before.push(m);
        }
    }

    async fn multipart(&mut self, body: MultipartRequestBody) -> Vec<(u16, MultipartReplyBody)> {
        let xid = self
            .send(Body::MultipartRequest(MultipartRequest::new(body)))
            .await;
        let mut parts = Vec::new();
        loop {
            let m = self.recv().await;
            assert_eq!(m.xid, xid);
            let Body::MultipartReply(r) = m.body else {
                panic!("not a multipart reply: {m:?}")
            };
            parts.push((r.flags, r.body));
            if r.flags & OFPMPF_MORE == 0 {
                return parts;
            }
        }
    }
}

fn error_of(m: &Message) -> OfError {
    match &m.body {
        Body::Error(e) => OfError::of_error_msg(e),
        other => panic!("expected an error, got {other:?}"),
    }
}

fn switch() -> FakeSwitch {
    FakeSwitch::new(0xabcd).with_ports(vec![port(1), port(2), port(3)])
}

#[tokio::test]
async fn handshake_features_and_config() {
    let fs = switch();
    let (mut c, _t) = Ctl::raw(&fs);
    let hello = c.recv().await;
    let Body::Hello(h) = &hello.body else {
        panic!("{hello:?}")
    };
    assert_eq!(hello.version, 4);
    assert_eq!(h.supports(4), Some(true));
    c.send(Body::Hello(Hello::of13())).await;
    let f = c.request(Body::FeaturesRequest).await;
    let Body::FeaturesReply(f) = f.body else {
        panic!()
    };
    assert_eq!(
        (f.datapath_id, f.n_tables, f.auxiliary_id),
        (0xabcd, 254, 0)
    );
    let cfg = c.request(Body::GetConfigRequest).await;
    assert!(matches!(
        cfg.body,
        Body::GetConfigReply(SwitchConfig {
            miss_send_len: 128,
            ..
        })
    ));
    let set = SwitchConfig {
        flags: 1,
        miss_send_len: 0xffff,
    };
    c.send(Body::SetConfig(set)).await;
    let cfg = c.request(Body::GetConfigRequest).await;
    assert_eq!(cfg.body, Body::GetConfigReply(set));
    assert_eq!(fs.switch_config(), set);
    let parts = c.multipart(MultipartRequestBody::PortDesc).await;
    let MultipartReplyBody::PortDesc(ports) = &parts[0].1 else {
        panic!()
    };
    assert_eq!(
        ports.iter().map(|p| p.port_no).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let parts = c.multipart(MultipartRequestBody::Desc).await;
    assert!(matches!(&parts[0].1, MultipartReplyBody::Desc(d) if d.hw_desc == "fakeswitch"));
    assert_eq!(fs.connections(), 1);
    assert_eq!(fs.received_count(MsgType::Hello), 1);
}

#[tokio::test]
async fn version_mismatch_fails_the_hello() {
    let fs = switch().advertise_version(1);
    let (mut c, task) = Ctl::raw(&fs);
    let hello = c.recv().await;
    assert_eq!(hello.version, 1);
    c.send(Body::Hello(Hello {
        elements: vec![HelloElement::VersionBitmap(vec![1 << 4])],
    }))
    .await;
    let e = c.recv().await;
    assert_eq!(error_of(&e), OfError::HELLO_INCOMPATIBLE);
    assert!(
        timeout(WAIT, c.io.next()).await.unwrap().is_none(),
        "closed"
    );
    timeout(WAIT, task).await.unwrap().unwrap();
    assert_eq!(fs.connections(), 0);
}

#[tokio::test]
async fn echo_and_stalled_echo() {
    let fs = switch();
    let (mut c, _t) = Ctl::connect(&fs).await;
    let r = c.request(Body::EchoRequest(b"ping".to_vec())).await;
    assert_eq!(r.body, Body::EchoReply(b"ping".to_vec()));
    fs.set_stall_echo(true);
    c.send(Body::EchoRequest(b"again".to_vec())).await;
    assert!(c.try_recv(100).await.is_none());
    // Nothing but the barrier reply comes back.
    assert!(c.barrier().await.is_empty());
    fs.set_stall_echo(false);
    let r = c.request(Body::EchoRequest(vec![])).await;
    assert_eq!(r.body, Body::EchoReply(vec![]));
    // The switch's own echo, only on request.
    fs.send_echo_request(b"hi".to_vec());
    let m = c.recv().await;
    assert_eq!(m.body, Body::EchoRequest(b"hi".to_vec()));
}

#[tokio::test]
async fn barrier_follows_the_effects_of_earlier_messages() {
    let fs = switch();
    let (mut c, _t) = Ctl::connect(&fs).await;
    for i in 1..=3u8 {
        c.send(Body::FlowMod(add(&format!(
            "cookie={i},priority={i},in_port={i},actions=output:2"
        ))))
        .await;
    }
    let bad = c
        .send(Body::FlowMod(add("priority=9,actions=group:77")))
        .await;
    let before = c.barrier().await;
    assert_eq!(before.len(), 1, "the error comes before the barrier reply");
    assert_eq!(before[0].xid, bad);
    assert_eq!(fs.flows().len(), 3);
    assert_eq!(fs.received_count(MsgType::FlowMod), 4);
    assert_eq!(fs.received_flow_mods().len(), 4);
    fs.clear_received();
    assert!(fs.received().is_empty());
}

#[tokio::test]
async fn flow_mod_error_carries_xid_and_request() {
    let fs = switch();
    let (mut c, _t) = Ctl::connect(&fs).await;
    let msg = Message::new(
        0x1234,
        Body::FlowMod(add("priority=9,in_port=1,actions=group:77")),
    );
    let bytes = msg.to_bytes().unwrap();
    c.send_msg(msg).await;
    let e = c.recv().await;
    assert_eq!(e.xid, 0x1234);
    assert_eq!(error_of(&e), OfError::BAD_OUT_GROUP);
    let Body::Error(ErrorMsg::Standard { data, .. }) = e.body else {
        panic!()
    };
    assert_eq!(data, bytes[..64].to_vec());
    // Missing meter, bad goto.
    let e = c
        .request(Body::FlowMod(add("priority=9,actions=meter:5,output:1")))
        .await;
    assert_eq!(error_of(&e), OfError::UNKNOWN_METER);
    assert_eq!(error_of(&e).typ, error_type::METER_MOD_FAILED);
    let e = c
        .request(Body::FlowMod(add(
            "table=2,priority=9,actions=goto_table:1",
        )))
        .await;
    assert_eq!(error_of(&e), OfError::BAD_INSTRUCTION_TABLE_ID);
}

#[tokio::test]
async fn undecodable_messages_get_errors() {
    let fs = switch();
    let (mut c, _t) = Ctl::connect(&fs).await;
    // Unknown message type 99, xid 7.
    c.io.get_mut()
        .write_all(&[4, 99, 0, 8, 0, 0, 0, 7])
        .await
        .unwrap();
    let e = c.recv().await;
    assert_eq!((e.xid, error_of(&e)), (7, OfError::BAD_TYPE));
    // A message of another version.
    c.io.get_mut()
        .write_all(&[1, 5, 0, 8, 0, 0, 0, 8])
        .await
        .unwrap();
    let e = c.recv().await;
    assert_eq!((e.xid, error_of(&e)), (8, OfError::BAD_VERSION));
    // A non-bundle experimenter message.
    let e = c
        .request(Body::Experimenter(ofproto::msg::Experimenter {
            experimenter: 0x2320,
            exp_type: 1,
            data: vec![],
        }))
        .await;
    assert_eq!(error_of(&e), OfError::BAD_EXPERIMENTER);
}

#[tokio::test]
async fn role_generation_ids() {
    let fs = switch();
    let (mut a, _ta) = Ctl::connect(&fs).await;
    let (mut b, _tb) = Ctl::connect(&fs).await;
    let role = |role, generation_id| {
        Body::RoleRequest(RoleMessage {
            role,
            generation_id,
        })
    };
    let r = a.request(role(Role::Master, 10)).await;
    assert_eq!(
        r.body,
        Body::RoleReply(RoleMessage {
            role: Role::Master,
            generation_id: 10
        })
    );
    // Older generation id: stale.
    let xid = b.send(role(Role::Master, 9)).await;
    let e = b.recv().await;
    assert_eq!((e.xid, error_of(&e)), (xid, OfError::ROLE_STALE));
    assert_eq!(fs.roles(), vec![Role::Master, Role::Equal]);
    // A newer master demotes the old one.
    b.request(role(Role::Master, 11)).await;
    assert_eq!(fs.roles(), vec![Role::Slave, Role::Master]);
    // The slave may not modify the tables.
    let e = a
        .request(Body::FlowMod(add("priority=1,actions=output:1")))
        .await;
    assert_eq!(error_of(&e), OfError::IS_SLAVE);
    // NOCHANGE reports the role and the current generation id.
    let r = a.request(role(Role::NoChange, 0)).await;
    assert_eq!(
        r.body,
        Body::RoleReply(RoleMessage {
            role: Role::Slave,
            generation_id: 11
        })
    );
    // Generation ids compare by signed 64-bit distance: u64::MAX is 12 behind 11 (stale),
    // 2^63 is ahead of 11, u64::MAX is ahead of 2^63, and 0 is just after u64::MAX.
    let e = a.request(role(Role::Slave, u64::MAX)).await;
    assert_eq!(error_of(&e), OfError::ROLE_STALE);
    a.request(role(Role::Slave, 1u64 << 63)).await;
    assert_eq!(fs.generation_id(), Some(1 << 63));
    a.request(role(Role::Slave, u64::MAX)).await;
    a.request(role(Role::Master, 0)).await;
    assert_eq!(fs.roles(), vec![Role::Master, Role::Slave]);
    // Equal needs no generation id.
    b.request(role(Role::Equal, 0)).await;
    assert_eq!(fs.roles(), vec![Role::Master, Role::Equal]);
}

#[tokio::test]
async fn async_config_round_trip() {
    let fs = switch();
    let (mut c, _t) = Ctl::connect(&fs).await;
    let r = c.request(Body::GetAsyncRequest).await;
    let Body::GetAsyncReply(mut cfg) = r.body else {
        panic!()
    };
    cfg.flow_removed_mask = [0, 0];
    c.send(Body::SetAsync(cfg)).await;
    let r = c.request(Body::GetAsyncRequest).await;
    assert_eq!(r.body, Body::GetAsyncReply(cfg));
}

#[tokio::test]
async fn flow_stats_are_split_with_more_flags() {
    let fs = switch();
    for i in 0..250u32 {
        let table = if i % 2 == 0 { 0 } else { 1 };
        fs.apply_flow_mod(add(&format!(
            "table={table},cookie={i},priority=100,ip,nw_dst=10.0.{}.{},actions=output:2",
            i / 256,
            i % 256
        )))
        .unwrap();
    }
    let (mut c, _t) = Ctl::connect(&fs).await;
    let parts = c
        .multipart(MultipartRequestBody::Flow(FlowStatsRequest::all()))
        .await;
    let sizes: Vec<(u16, usize)> = parts
        .iter()
        .map(|(f, b)| match b {
            MultipartReplyBody::Flow(v) => (*f, v.len()),
            _ => panic!(),
        })
        .collect();
    assert_eq!(sizes, vec![(OFPMPF_MORE, 100), (OFPMPF_MORE, 100), (0, 50)]);
    // Filters: one table, a cookie range.
    let mut req = FlowStatsRequest::all();
    req.table_id = 1;
    req.cookie = 0;
    req.cookie_mask = 0xff00;
    let parts = c.multipart(MultipartRequestBody::Flow(req.clone())).await;
    let MultipartReplyBody::Flow(v) = &parts[0].1 else {
        panic!()
    };
    assert_eq!(parts.len(), 2);
    assert!(v.iter().all(|f| f.table_id == 1 && f.cookie < 256));
    let parts = c.multipart(MultipartRequestBody::Aggregate(req)).await;
    let MultipartReplyBody::Aggregate(a) = &parts[0].1 else {
        panic!()
    };
    assert_eq!(a.flow_count, 125);
    // Nothing selected: one empty reply.
    let mut none = FlowStatsRequest::all();
    none.out_port = 3;
    let parts = c.multipart(MultipartRequestBody::Flow(none)).await;
    assert_eq!(parts, vec![(0, MultipartReplyBody::Flow(vec![]))]);
}

#[tokio::test]
async fn group_and_meter_statistics() {
    let fs = switch();
    let (mut c, _t) = Ctl::connect(&fs).await;
    c.send(Body::GroupMod(group(
        "group_id=3,type=all,bucket=output:1,bucket=output:2",
    )))
    .await;
    c.send(Body::MeterMod(meter(
        "meter=2,kbps,band=type=drop,rate=500",
    )))
    .await;
    c.send(Body::FlowMod(add(
        "priority=1,in_port=3,actions=meter:2,group:3",
    )))
    .await;
    assert!(c.barrier().await.is_empty());
    fs.trace(&udp(3, 1, 2));
    let parts = c.multipart(MultipartRequestBody::GroupDesc).await;
    let MultipartReplyBody::GroupDesc(d) = &parts[0].1 else {
        panic!()
    };
    assert_eq!((d[0].group_id, d[0].buckets.len()), (3, 2));
    let parts = c.multipart(MultipartRequestBody::Group(0xffff_fffc)).await;
    let MultipartReplyBody::Group(g) = &parts[0].1 else {
        panic!()
    };
    assert_eq!((g[0].ref_count, g[0].packet_count), (1, 1));
    let parts = c
        .multipart(MultipartRequestBody::MeterConfig(0xffff_ffff))
        .await;
    assert!(matches!(&parts[0].1, MultipartReplyBody::MeterConfig(m) if m[0].meter_id == 2));
    let parts = c.multipart(MultipartRequestBody::Meter(2)).await;
    let MultipartReplyBody::Meter(m) = &parts[0].1 else {
        panic!()
    };
    assert_eq!((m[0].flow_count, m[0].packet_in_count), (1, 1));
    let parts = c
        .multipart(MultipartRequestBody::PortStats(0xffff_ffff))
        .await;
    let MultipartReplyBody::PortStats(p) = &parts[0].1 else {
        panic!()
    };
    assert_eq!(
        p.iter().map(|p| p.tx_packets).collect::<Vec<_>>(),
        [1, 1, 0]
    );
    for body in [
        MultipartRequestBody::Table,
        MultipartRequestBody::GroupFeatures,
        MultipartRequestBody::MeterFeatures,
        MultipartRequestBody::TableFeatures(vec![]),
    ] {
        assert!(!c.multipart(body).await.is_empty());
    }
}

#[tokio::test]
async fn flow_removed_is_sent_on_delete() {
    let fs = switch();
    let (mut c, _t) = Ctl::connect(&fs).await;
    c.send(Body::FlowMod(add(
        "cookie=5,priority=1,send_flow_rem,in_port=1,actions=output:2",
    )))
    .await;
    c.send(Body::FlowMod(add(
        "cookie=6,priority=1,in_port=2,actions=output:1",
    )))
    .await;
    c.send(Body::FlowMod(fm("table=0", FlowModCommand::Delete)))
        .await;
    let before = c.barrier().await;
    assert_eq!(before.len(), 1);
    let Body::FlowRemoved(r) = &before[0].body else {
        panic!("{before:?}")
    };
    assert_eq!((r.cookie, r.reason), (5, 2));
}

fn bundle_ctrl(id: u32, typ: BundleCtrlType) -> Body {
    Body::BundleControl(BundleControl {
        bundle_id: id,
        typ,
        flags: bundle_flags::ATOMIC,
        properties: vec![],
    })
}

impl Ctl {
    async fn bundle_add(&mut self, id: u32, inner: Body) -> u32 {
        self.xid += 1;
        let xid = self.xid;
        let m = Message::new(
            xid,
            Body::BundleAdd(BundleAdd {
                bundle_id: id,
                flags: bundle_flags::ATOMIC,
                message: Box::new(Message::new(xid, inner)),
                trailer: vec![],
            }),
        );
        self.send_msg(m).await;
        xid
    }
}

fn ctrl_type(m: &Message) -> BundleCtrlType {
    match &m.body {
        Body::BundleControl(b) => b.typ,
        other => panic!("expected a bundle reply, got {other:?}"),
    }
}

#[tokio::test]
async fn bundle_commit_is_atomic() {
    let fs = switch();
    let (mut c, _t) = Ctl::connect(&fs).await;
    fs.apply_flow_mod(add("cookie=99,priority=1,actions=output:3"))
        .unwrap();
    let r = c.request(bundle_ctrl(1, BundleCtrlType::OpenRequest)).await;
    assert_eq!(ctrl_type(&r), BundleCtrlType::OpenReply);
    c.bundle_add(
        1,
        Body::FlowMod(add("cookie=1,priority=5,in_port=1,actions=output:2")),
    )
    .await;
    c.bundle_add(
        1,
        Body::FlowMod(fm("cookie=99/0xffffffffffffffff", FlowModCommand::Delete)),
    )
    .await;
    let bad = c
        .bundle_add(
            1,
            Body::FlowMod(add("cookie=2,priority=5,in_port=2,actions=group:9")),
        )
        .await;
    c.bundle_add(
        1,
        Body::FlowMod(add("cookie=3,priority=5,in_port=3,actions=output:1")),
    )
    .await;
    let r = c
        .request(bundle_ctrl(1, BundleCtrlType::CloseRequest))
        .await;
    assert_eq!(ctrl_type(&r), BundleCtrlType::CloseReply);
    assert_eq!(fs.flows().len(), 1, "nothing applied before the commit");
    let commit = c.send(bundle_ctrl(1, BundleCtrlType::CommitRequest)).await;
    let e1 = c.recv().await;
    assert_eq!((e1.xid, error_of(&e1)), (bad, OfError::BAD_OUT_GROUP));
    let e2 = c.recv().await;
    assert_eq!(
        (e2.xid, error_of(&e2)),
        (commit, OfError::BUNDLE_MSG_FAILED)
    );
    assert!(matches!(
        e2.body,
        Body::Error(ErrorMsg::Experimenter {
            experimenter: 0x4F4E_4600,
            exp_type: 2313,
            ..
        })
    ));
    assert_eq!(
        fs.flows().iter().map(|f| f.cookie).collect::<Vec<_>>(),
        [99]
    );
    // The failed bundle is gone.
    let e = c
        .request(bundle_ctrl(1, BundleCtrlType::CommitRequest))
        .await;
    assert_eq!(error_of(&e), OfError::BUNDLE_BAD_ID);

    // A good bundle, opened implicitly by its first add.
    c.bundle_add(
        2,
        Body::FlowMod(add("cookie=1,priority=5,in_port=1,actions=output:2")),
    )
    .await;
    c.bundle_add(
        2,
        Body::FlowMod(fm("cookie=99/0xffffffffffffffff", FlowModCommand::Delete)),
    )
    .await;
    let r = c
        .request(bundle_ctrl(2, BundleCtrlType::CommitRequest))
        .await;
    assert_eq!(ctrl_type(&r), BundleCtrlType::CommitReply);
    assert_eq!(fs.flows().iter().map(|f| f.cookie).collect::<Vec<_>>(), [1]);
    assert_eq!(fs.received_count(MsgType::FlowMod), 0);
    assert_eq!(fs.received_flow_mods().len(), 6, "bundled flow mods count");

    // Discard, closed bundles, unsupported inner messages.
    c.request(bundle_ctrl(3, BundleCtrlType::OpenRequest)).await;
    let e = c.request(bundle_ctrl(3, BundleCtrlType::OpenRequest)).await;
    assert_eq!(error_of(&e), OfError::BUNDLE_EXIST);
    let xid = c
        .bundle_add(
            3,
            Body::MeterMod(meter("meter=1,kbps,band=type=drop,rate=5")),
        )
        .await;
    let e = c.recv().await;
    assert_eq!((e.xid, error_of(&e)), (xid, OfError::BUNDLE_MSG_UNSUP));
    c.request(bundle_ctrl(3, BundleCtrlType::CloseRequest))
        .await;
    let xid = c
        .bundle_add(3, Body::FlowMod(add("priority=1,actions=output:1")))
        .await;
    let e = c.recv().await;
    assert_eq!((e.xid, error_of(&e)), (xid, OfError::BUNDLE_CLOSED));
    let r = c
        .request(bundle_ctrl(3, BundleCtrlType::DiscardRequest))
        .await;
    assert_eq!(ctrl_type(&r), BundleCtrlType::DiscardReply);
    assert_eq!(fs.flows().len(), 1);
}

#[tokio::test]
async fn without_bundles_open_is_refused() {
    let fs = switch().without_bundles();
    let (mut c, _t) = Ctl::connect(&fs).await;
    let e = c.request(bundle_ctrl(1, BundleCtrlType::OpenRequest)).await;
    assert_eq!(error_of(&e), OfError::BAD_EXPERIMENTER);
    assert_eq!(error_of(&e).typ, error_type::BAD_REQUEST);
    let xid = c
        .bundle_add(1, Body::FlowMod(add("priority=1,actions=output:1")))
        .await;
    let e = c.recv().await;
    assert_eq!((e.xid, error_of(&e)), (xid, OfError::BAD_EXPERIMENTER));
    assert!(fs.flows().is_empty());
}

#[tokio::test]
async fn port_status_and_raw_injection() {
    let fs = switch();
    let (mut c, _t) = Ctl::connect(&fs).await;
    assert!(fs.set_port_live(2, false));
    let m = c.recv().await;
    let Body::PortStatus(ps) = &m.body else {
        panic!("{m:?}")
    };
    assert_eq!((ps.reason, ps.desc.port_no), (fakeswitch::OFPPR_MODIFY, 2));
    assert_eq!(ps.desc.state & fakeswitch::datapath::OFPPS_LINK_DOWN, 1);
    fs.send_port_status(fakeswitch::OFPPR_ADD, port(7));
    let m = c.recv().await;
    assert!(matches!(&m.body, Body::PortStatus(p) if p.desc.port_no == 7));
    assert_eq!(fs.ports().len(), 4);
    // A flood of echo requests, then garbage.
    let mut flood = Vec::new();
    for i in 0..50u32 {
        flood.extend_from_slice(
            &Message::new(i, Body::EchoRequest(vec![]))
                .to_bytes()
                .unwrap(),
        );
    }
    fs.inject_raw(flood);
    for i in 0..50u32 {
        assert_eq!(c.recv().await.xid, i);
    }
    fs.inject_raw(vec![0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0]);
    let mut buf = [0u8; 8];
    let inner = c.io.get_mut();
    timeout(WAIT, inner.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(buf, [0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0]);
}

#[tokio::test]
async fn disconnect_and_peer_close() {
    let fs = switch();
    let (mut c, task) = Ctl::connect(&fs).await;
    assert!(fs.wait_until(WAIT, |f| f.connections() == 1).await);
    fs.disconnect();
    assert!(timeout(WAIT, c.io.next()).await.unwrap().is_none());
    timeout(WAIT, task).await.unwrap().unwrap();
    assert_eq!(fs.connections(), 0);
    // Peer close ends the session too.
    let (c, task) = Ctl::connect(&fs).await;
    drop(c);
    timeout(WAIT, task).await.unwrap().unwrap();
    assert_eq!(fs.connections(), 0);
}

#[tokio::test]
async fn tcp_connect() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let fs = switch();
    let task = fs.connect_tcp(addr).await.unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    let mut io = Framed::new(stream, OfCodec);
    let hello = timeout(WAIT, io.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(matches!(hello.body, Body::Hello(_)));
    io.send(Message::new(1, Body::FeaturesRequest))
        .await
        .unwrap();
    let f = timeout(WAIT, io.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(matches!(f.body, Body::FeaturesReply(r) if r.datapath_id == 0xabcd));
    drop(io);
    timeout(WAIT, task).await.unwrap().unwrap();
}
