//! Messages emitted by the real `ovs-ofctl` (Open vSwitch 3.1), decoded by this codec and
//! re-emitted byte for byte.
//!
//! The test runs a minimal fake OpenFlow 1.3 switch on `127.0.0.1:<ephemeral port>` (one thread
//! per connection), drives it with real `ovs-ofctl -O OpenFlow13 ...` commands, records every
//! frame received, and checks for each frame that `Message::decode` succeeds and `to_bytes()`
//! gives the identical bytes back. It also checks the meaning of the interesting messages, and
//! that `ovs-ofctl` prints the statistics the fake switch replied with (which checks this
//! codec's multipart reply encoding).
//!
//! All received frames are written, concatenated, to a file in the temporary directory; set
//! `OVS_PEER_CAPTURE=<path>` to write them to `<path>` as well (that is how
//! `ofproto/testdata/ovs-ofctl-capture.bin` was made).

mod common;

use bytes::BytesMut;
use ofproto::action::port_no;
use ofproto::codec::split_frame;
use ofproto::msg::{
    Bucket, BundleControl, BundleCtrlType, ErrorMsg, FeaturesReply, FlowMod, FlowModCommand,
    FlowRemoved, GroupMod, GroupModCommand, GroupType, Hello, MeterBand, MeterMod, MeterModCommand,
    PacketIn, PacketQueue, Port, PortStatus, QueueGetConfigReply, QueueProperty, RoleMessage,
    SwitchConfig,
};
use ofproto::multipart::{
    AggregateStats, Desc, FeatureId, FlowStats, GroupDesc, GroupFeatures, GroupStats, MeterConfig,
    MeterFeatures, MeterStats, MultipartReply, MultipartReplyBody, MultipartRequestBody, OxmId,
    PortStats, PropValue, QueueStats, TableFeatureProp, TableFeatures, TableStats, OFPMPF_MORE,
};
use ofproto::oxm::RawOxm;
use ofproto::{Action, Body, Instruction, MacAddr, Masked, Match, Message, OxmField};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// The fake switch.

/// One frame received from `ovs-ofctl`.
#[derive(Debug, Clone)]
struct Frame {
    /// Connection number (ovs-ofctl opens extra connections to look up table and port names).
    conn: usize,
    raw: Vec<u8>,
}

#[derive(Default)]
struct State {
    frames: Vec<Frame>,
    /// The switch configuration, as last set by OFPT_SET_CONFIG (`set-frags` reads it back).
    config: SwitchConfig,
    open_conns: usize,
    conns: usize,
}

struct FakeSwitch {
    port: u16,
    state: Arc<(Mutex<State>, Condvar)>,
}

const DPID: u64 = 0x0000_0000_0000_00ab;

impl FakeSwitch {
    fn start() -> FakeSwitch {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        state.0.lock().unwrap().config = SwitchConfig {
            flags: 0,
            miss_send_len: 128,
        };
        let st = state.clone();
        // The accept thread lives until the test process exits.
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let conn = {
                    let mut s = st.0.lock().unwrap();
                    s.open_conns += 1;
                    s.conns += 1;
                    s.conns
                };
                let st = st.clone();
                thread::spawn(move || {
                    serve(conn, stream, &st);
                    let mut s = st.0.lock().unwrap();
                    s.open_conns -= 1;
                    st.1.notify_all();
                });
            }
        });
        FakeSwitch { port, state }
    }

    fn target(&self) -> String {
        format!("tcp:127.0.0.1:{}", self.port)
    }

    /// Waits until every connection is closed, then takes the frames received so far.
    fn take_frames(&self) -> Vec<Frame> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let (lock, cv) = &*self.state;
        let mut s = lock.lock().unwrap();
        while s.open_conns > 0 {
            let now = Instant::now();
            assert!(
                now < deadline,
                "ovs-ofctl exited but {} connection(s) to the fake switch are still open",
                s.open_conns
            );
            s = cv.wait_timeout(s, deadline - now).unwrap().0;
        }
        std::mem::take(&mut s.frames)
    }
}

/// Serves one connection: sends HELLO, then answers what ovs-ofctl waits for.
fn serve(conn: usize, mut stream: TcpStream, state: &Arc<(Mutex<State>, Condvar)>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(15)));
    let send = |stream: &mut TcpStream, m: Message| {
        let bytes = m.to_bytes().expect("encode reply");
        let _ = stream.write_all(&bytes);
    };
    send(&mut stream, Message::new(1, Body::Hello(Hello::of13())));
    let mut buf = BytesMut::new();
    let mut chunk = [0u8; 4096];
    let mut monitoring = false;
    loop {
        loop {
            let frame = match split_frame(&mut buf) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    eprintln!("fake switch: connection {conn}: bad framing: {e}");
                    return;
                }
            };
            state.0.lock().unwrap().frames.push(Frame {
                conn,
                raw: frame.to_vec(),
            });
            for reply in respond(&frame, &mut state.0.lock().unwrap().config) {
                send(&mut stream, reply);
            }
            // `ovs-ofctl monitor` sets the packet-in format (NXT_SET_PACKET_IN_FORMAT) and then
            // sends a barrier: once that is answered, push asynchronous messages and hang up.
            match Message::decode(&frame).map(|m| m.body) {
                Ok(Body::Experimenter(e)) if e.experimenter == NX && e.exp_type == 16 => {
                    monitoring = true;
                }
                Ok(Body::BarrierRequest) if monitoring => {
                    for m in async_messages() {
                        send(&mut stream, m);
                    }
                    let _ = stream.shutdown(std::net::Shutdown::Write);
                }
                _ => {}
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A 60-byte Ethernet/IPv4/TCP frame: 00:..:01 -> 00:..:02, 10.0.0.1:1000 -> 10.0.0.2:80, SYN.
fn tcp_frame() -> Vec<u8> {
    let mut f = vec![0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend_from_slice(&[
        0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4
        0x03, 0xe8, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0, // TCP
    ]);
    f.resize(60, 0);
    f
}

/// What the fake switch pushes to `ovs-ofctl monitor`.
fn async_messages() -> Vec<Message> {
    vec![
        Message::new(
            0,
            Body::PacketIn(PacketIn {
                buffer_id: ofproto::msg::OFP_NO_BUFFER,
                total_len: 60,
                reason: 0, // no match
                table_id: 0,
                cookie: 0xabc,
                r#match: Match::new().with(OxmField::InPort(1)),
                data: tcp_frame(),
            }),
        ),
        Message::new(
            0,
            Body::PortStatus(PortStatus {
                reason: 0, // add
                desc: Port {
                    port_no: 3,
                    name: "p3".into(),
                    ..ports()[0].clone()
                },
            }),
        ),
        Message::new(
            0,
            Body::FlowRemoved(FlowRemoved {
                cookie: 0x77,
                priority: 100,
                reason: 2, // delete
                table_id: 0,
                duration_sec: 5,
                duration_nsec: 0,
                idle_timeout: 60,
                hard_timeout: 0,
                packet_count: 3,
                byte_count: 180,
                r#match: Match::new().with(OxmField::InPort(2)),
            }),
        ),
    ]
}

fn ports() -> Vec<Port> {
    let port = |no: u32, name: &str| Port {
        port_no: no,
        hw_addr: MacAddr([0x02, 0, 0, 0, 0, no as u8]),
        name: name.into(),
        config: 0,
        state: 4,                   // LIVE
        curr: (1 << 5) | (1 << 11), // 1GB_FD COPPER
        advertised: 0,
        supported: 0,
        peer: 0,
        curr_speed: 1_000_000,
        max_speed: 1_000_000,
    };
    vec![port(1, "p1"), port(2, "p2"), port(port_no::LOCAL, "br0")]
}

/// The flows the fake switch reports for a flow-stats request.
fn flow_stats() -> Vec<FlowStats> {
    vec![
        FlowStats {
            table_id: 0,
            duration_sec: 42,
            duration_nsec: 500_000_000,
            priority: 100,
            idle_timeout: 0,
            hard_timeout: 0,
            flags: 0,
            cookie: 0x1234,
            packet_count: 7,
            byte_count: 700,
            r#match: Match::new()
                .with(OxmField::InPort(1))
                .with(OxmField::EthType(0x0800))
                .with(OxmField::IpProto(6))
                .with(OxmField::TcpDst(443)),
            instructions: vec![Instruction::ApplyActions(vec![Action::output(2)])],
        },
        FlowStats {
            table_id: 1,
            duration_sec: 3,
            duration_nsec: 0,
            priority: 10,
            idle_timeout: 30,
            hard_timeout: 0,
            flags: 0,
            cookie: 0,
            packet_count: 0,
            byte_count: 0,
            r#match: Match::new()
                .with(OxmField::EthType(0x86dd))
                .with(OxmField::Ipv6Dst(Masked::new(
                    "2001:db8::".parse::<Ipv6Addr>().unwrap(),
                    "ffff:ffff::".parse::<Ipv6Addr>().unwrap(),
                ))),
            instructions: vec![
                Instruction::Meter(1),
                Instruction::WriteActions(vec![Action::Group(1)]),
                Instruction::GotoTable(2),
            ],
        },
    ]
}

fn group_descs() -> Vec<GroupDesc> {
    vec![
        GroupDesc {
            group_type: GroupType::All,
            group_id: 1,
            buckets: vec![
                Bucket::new(vec![Action::output(1)]),
                Bucket::new(vec![Action::output(2)]),
            ],
        },
        GroupDesc {
            group_type: GroupType::FastFailover,
            group_id: 4,
            buckets: vec![Bucket {
                watch_port: 1,
                ..Bucket::new(vec![Action::output(1)])
            }],
        },
    ]
}

fn meter_configs() -> Vec<MeterConfig> {
    vec![
        MeterConfig {
            flags: 1 | 4, // kbps burst
            meter_id: 1,
            bands: vec![MeterBand::Drop {
                rate: 1000,
                burst_size: 100,
            }],
        },
        MeterConfig {
            flags: 2, // pktps
            meter_id: 2,
            bands: vec![MeterBand::DscpRemark {
                rate: 500,
                burst_size: 0,
                prec_level: 1,
            }],
        },
    ]
}

/// Table 0's features, with every property OVS requires (it rejects a reply without them).
fn table_features() -> TableFeatures {
    let ids = |types: &[u16]| {
        types
            .iter()
            .map(|&typ| FeatureId { typ, data: vec![] })
            .collect::<Vec<_>>()
    };
    let oxms = |headers: &[u32]| {
        headers
            .iter()
            .map(|&header| OxmId {
                header,
                experimenter: None,
            })
            .collect::<Vec<_>>()
    };
    let prop = |typ, value| TableFeatureProp { typ, value };
    // IN_PORT, ETH_TYPE, IPV4_SRC, IPV4_DST.
    let fields = [0x8000_0004, 0x8000_0a02, 0x8000_1604, 0x8000_1804];
    TableFeatures {
        table_id: 0,
        name: "main".into(),
        metadata_match: u64::MAX,
        metadata_write: u64::MAX,
        config: 0,
        max_entries: 1000,
        properties: vec![
            prop(0, PropValue::Instructions(ids(&[1, 2, 3, 4, 5, 6]))),
            prop(2, PropValue::NextTables(vec![1, 2])),
            prop(4, PropValue::Actions(ids(&[0, 22]))),
            prop(6, PropValue::Actions(ids(&[0, 17, 18, 25]))),
            prop(8, PropValue::Oxms(oxms(&fields))),
            prop(10, PropValue::Oxms(oxms(&fields))),
            prop(12, PropValue::Oxms(oxms(&fields[2..]))),
            prop(14, PropValue::Oxms(oxms(&fields[2..]))),
        ],
    }
}

fn reply_body(req: &MultipartRequestBody) -> MultipartReplyBody {
    use MultipartReplyBody as R;
    use MultipartRequestBody as Q;
    match req {
        Q::Desc => R::Desc(Desc {
            mfr_desc: "ofproto tests".into(),
            hw_desc: "fake switch".into(),
            sw_desc: "ovs_peer.rs".into(),
            serial_num: "42".into(),
            dp_desc: "fake dp".into(),
        }),
        Q::Flow(_) => R::Flow(flow_stats()),
        Q::Aggregate(_) => R::Aggregate(AggregateStats {
            packet_count: 7,
            byte_count: 700,
            flow_count: 2,
        }),
        Q::Table => R::Table(vec![TableStats {
            table_id: 0,
            active_count: 2,
            lookup_count: 100,
            matched_count: 90,
        }]),
        Q::PortStats(_) => R::PortStats(vec![PortStats {
            port_no: 1,
            rx_packets: 11,
            tx_packets: 22,
            rx_bytes: 1100,
            tx_bytes: 2200,
            duration_sec: 60,
            ..PortStats::default()
        }]),
        Q::Queue { .. } => R::Queue(vec![QueueStats {
            port_no: 1,
            queue_id: 0,
            tx_bytes: 500,
            tx_packets: 5,
            tx_errors: 0,
            duration_sec: 9,
            duration_nsec: 0,
        }]),
        Q::Group(_) => R::Group(vec![GroupStats {
            group_id: 1,
            ref_count: 1,
            packet_count: 3,
            byte_count: 300,
            duration_sec: 8,
            duration_nsec: 0,
            bucket_stats: vec![(1, 100), (2, 200)],
        }]),
        Q::GroupDesc => R::GroupDesc(group_descs()),
        Q::GroupFeatures => R::GroupFeatures(GroupFeatures {
            types: 0xf,
            capabilities: 0x3,
            max_groups: [16, 16, 16, 16],
            actions: [1, 1, 1, 1],
        }),
        Q::Meter(_) => R::Meter(vec![MeterStats {
            meter_id: 1,
            flow_count: 1,
            packet_in_count: 10,
            byte_in_count: 1000,
            duration_sec: 4,
            duration_nsec: 0,
            band_stats: vec![(2, 200)],
        }]),
        Q::MeterConfig(_) => R::MeterConfig(meter_configs()),
        Q::MeterFeatures => R::MeterFeatures(MeterFeatures {
            max_meter: 64,
            band_types: 0x6,
            capabilities: 0xf,
            max_bands: 4,
            max_color: 0,
        }),
        Q::TableFeatures(_) => R::TableFeatures(vec![table_features()]),
        Q::PortDesc => R::PortDesc(ports()),
        Q::Experimenter {
            experimenter,
            exp_type,
            ..
        } => R::Experimenter {
            experimenter: *experimenter,
            exp_type: *exp_type,
            data: ipfix_bridge_stats(),
        },
    }
}

/// `struct nx_ipfix_stats_reply` (the answer to `dump-ipfix-bridge`): counters 1..=10, collector
/// set id 0, padding.
fn ipfix_bridge_stats() -> Vec<u8> {
    let mut d: Vec<u8> = (1..=10u64).flat_map(|v| v.to_be_bytes()).collect();
    d.extend_from_slice(&[0; 8]);
    d
}

/// The replies to one received frame.
fn respond(frame: &[u8], config: &mut SwitchConfig) -> Vec<Message> {
    let msg = match Message::decode(frame) {
        Ok(m) => m,
        Err(_) => {
            // Let ovs-ofctl fail fast; the test reports the decode failure.
            let xid = u32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
            return vec![Message::new(
                xid,
                Body::Error(ErrorMsg::new(1, 1, frame)), // OFPBRC_BAD_TYPE
            )];
        }
    };
    let xid = msg.xid;
    let reply = |b: Body| vec![Message::new(xid, b)];
    match msg.body {
        Body::EchoRequest(d) => reply(Body::EchoReply(d)),
        Body::FeaturesRequest => reply(Body::FeaturesReply(FeaturesReply {
            datapath_id: DPID,
            n_buffers: 0,
            n_tables: 254,
            auxiliary_id: 0,
            capabilities: 0x4f,
            reserved: 0,
        })),
        Body::GetConfigRequest => reply(Body::GetConfigReply(*config)),
        Body::SetConfig(c) => {
            *config = c;
            vec![]
        }
        Body::BarrierRequest => reply(Body::BarrierReply),
        Body::RoleRequest(r) => reply(Body::RoleReply(RoleMessage {
            role: r.role,
            generation_id: r.generation_id,
        })),
        Body::GetAsyncRequest => reply(Body::GetAsyncReply(Default::default())),
        Body::QueueGetConfigRequest(port) => {
            reply(Body::QueueGetConfigReply(QueueGetConfigReply {
                port,
                queues: vec![PacketQueue {
                    queue_id: 0,
                    port: 1,
                    properties: vec![QueueProperty::MinRate(200)],
                }],
            }))
        }
        // Flow statistics come in two parts (OFPMPF_REPLY_MORE on the first), as a switch
        // with many flows sends them; ovs-ofctl must print the flows of both.
        Body::MultipartRequest(req) => match reply_body(&req.body) {
            MultipartReplyBody::Flow(flows) => flows
                .chunks(1)
                .enumerate()
                .map(|(i, part)| {
                    Message::new(
                        xid,
                        Body::MultipartReply(MultipartReply {
                            flags: if i + 1 < flows.len() { OFPMPF_MORE } else { 0 },
                            body: MultipartReplyBody::Flow(part.to_vec()),
                        }),
                    )
                })
                .collect(),
            body => reply(Body::MultipartReply(MultipartReply::new(body))),
        },
        Body::BundleControl(b) => {
            let typ = match b.typ {
                BundleCtrlType::OpenRequest => BundleCtrlType::OpenReply,
                BundleCtrlType::CloseRequest => BundleCtrlType::CloseReply,
                BundleCtrlType::CommitRequest => BundleCtrlType::CommitReply,
                BundleCtrlType::DiscardRequest => BundleCtrlType::DiscardReply,
                _ => return vec![],
            };
            reply(Body::BundleControl(BundleControl {
                bundle_id: b.bundle_id,
                typ,
                flags: b.flags,
                properties: vec![],
            }))
        }
        _ => vec![],
    }
}

// ---------------------------------------------------------------------------------------------
// Driving ovs-ofctl.

/// What one ovs-ofctl command did.
struct Session {
    cmdline: String,
    stdout: String,
    stderr: String,
    frames: Vec<Frame>,
    msgs: Vec<Message>,
}

impl Session {
    /// The messages of the command's own (last) connection, without HELLO and BARRIER: the
    /// earlier connections only look up table and port names.
    fn commands(&self) -> Vec<&Message> {
        let last = self.frames.iter().map(|f| f.conn).max().unwrap_or(0);
        self.frames
            .iter()
            .zip(&self.msgs)
            .filter(|(f, m)| {
                f.conn == last && !matches!(m.body, Body::Hello(_) | Body::BarrierRequest)
            })
            .map(|(_, m)| m)
            .collect()
    }

    /// The bodies of [`Session::commands`], which must be exactly `n`.
    fn bodies(&self, n: usize) -> Vec<&Body> {
        let v: Vec<&Body> = self.commands().into_iter().map(|m| &m.body).collect();
        assert_eq!(
            v.len(),
            n,
            "`{}`: expected {n} messages, got {v:#?}",
            self.cmdline
        );
        v
    }

    fn flow_mods(&self) -> Vec<&FlowMod> {
        self.msgs
            .iter()
            .filter_map(|m| match &m.body {
                Body::FlowMod(f) => Some(f),
                _ => None,
            })
            .collect()
    }

    fn one_flow_mod(&self) -> &FlowMod {
        let v = self.flow_mods();
        assert_eq!(
            v.len(),
            1,
            "`{}`: expected one FLOW_MOD, got {v:#?}",
            self.cmdline
        );
        v[0]
    }

    fn group_mods(&self) -> Vec<&GroupMod> {
        self.msgs
            .iter()
            .filter_map(|m| match &m.body {
                Body::GroupMod(g) => Some(g),
                _ => None,
            })
            .collect()
    }

    fn meter_mods(&self) -> Vec<&MeterMod> {
        self.msgs
            .iter()
            .filter_map(|m| match &m.body {
                Body::MeterMod(g) => Some(g),
                _ => None,
            })
            .collect()
    }

    fn multipart_requests(&self) -> Vec<&MultipartRequestBody> {
        self.msgs
            .iter()
            .filter_map(|m| match &m.body {
                Body::MultipartRequest(r) => Some(&r.body),
                _ => None,
            })
            .collect()
    }

    fn assert_stderr(&self, expected: &str) {
        assert!(
            self.stderr.contains(expected),
            "`{}`: stderr lacks {expected:?}\n--- stderr\n{}",
            self.cmdline,
            self.stderr
        );
    }

    fn assert_stdout(&self, expected: &str) {
        assert!(
            self.stdout.contains(expected),
            "`{}`: stdout lacks {expected:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.cmdline,
            self.stdout,
            self.stderr
        );
    }
}

struct Peer {
    switch: FakeSwitch,
    capture: Vec<u8>,
    frames: usize,
    dir: std::path::PathBuf,
}

impl Peer {
    fn new() -> Peer {
        common::ovs_ofctl();
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "ofproto-ovs-peer-{}-{:?}",
            std::process::id(),
            thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Peer {
            switch: FakeSwitch::start(),
            capture: Vec::new(),
            frames: 0,
            dir,
        }
    }

    /// Runs `ovs-ofctl -O OpenFlow13 <opts>... <cmd> <switch> <args>...` (without the `-O
    /// OpenFlow13` if `opts` has a `-O`), checks every frame it sent
    /// (decode, re-encode byte for byte), and returns what happened.
    fn run(&mut self, opts: &[&str], cmd: &str, args: &[&str]) -> Session {
        self.run_expecting(opts, cmd, args, 0)
    }

    /// [`Peer::run`] for a command whose expected exit status is `status`.
    fn run_expecting(&mut self, opts: &[&str], cmd: &str, args: &[&str], status: i32) -> Session {
        let target = self.switch.target();
        let mut argv = if opts.contains(&"-O") {
            vec![]
        } else {
            vec!["-O", "OpenFlow13"]
        };
        argv.extend_from_slice(opts);
        argv.push(cmd);
        argv.push(&target);
        argv.extend_from_slice(args);
        let run = common::run_ovs_ofctl(&argv, None);
        let frames = self.switch.take_frames();
        assert!(
            run.status.code() == Some(status),
            "`{}` exited with {} (expected {status})\n--- stdout\n{}\n--- stderr\n{}",
            run.cmdline,
            run.status,
            run.stdout,
            run.stderr
        );
        let mut msgs = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            let m = Message::decode(&f.raw).unwrap_or_else(|e| {
                panic!(
                    "`{}`: frame {i} (connection {}) does not decode: {e}\n  hex: {}",
                    run.cmdline,
                    f.conn,
                    common::hex(&f.raw)
                )
            });
            let again = m.to_bytes().unwrap_or_else(|e| {
                panic!(
                    "`{}`: frame {i} does not re-encode: {e}\n{m:#?}",
                    run.cmdline
                )
            });
            assert!(
                again[..] == f.raw[..],
                "`{}`: frame {i} re-encodes differently\n  received: {}\n  emitted:  {}\n{m:#?}",
                run.cmdline,
                common::hex(&f.raw),
                common::hex(&again)
            );
            self.capture.extend_from_slice(&f.raw);
            msgs.push(m);
        }
        self.frames += frames.len();
        Session {
            cmdline: run.cmdline,
            stdout: run.stdout,
            stderr: run.stderr,
            frames,
            msgs,
        }
    }

    fn ofctl(&mut self, cmd: &str, args: &[&str]) -> Session {
        self.run(&[], cmd, args)
    }

    fn file(&self, name: &str, content: &str) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, content).unwrap();
        p.to_str().unwrap().to_string()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn apply_actions(fm: &FlowMod) -> &[Action] {
    fm.instructions
        .iter()
        .find_map(|i| match i {
            Instruction::ApplyActions(a) => Some(&a[..]),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no apply-actions in {fm:#?}"))
}

fn has_field(fm: &FlowMod, f: &OxmField) -> bool {
    fm.r#match.fields.contains(f)
}

fn ip4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn ip6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn mac(s: &str) -> MacAddr {
    s.parse().unwrap()
}

const NX: u32 = 0x0000_2320;

/// Checks one `add-flow`: exactly one FLOW_MOD ADD, which `check` inspects further.
fn add_flow(p: &mut Peer, flow: &str, check: impl FnOnce(&FlowMod)) {
    let s = p.ofctl("add-flow", &[flow]);
    let fm = s.one_flow_mod();
    assert_eq!(fm.command, FlowModCommand::Add, "`{}`", s.cmdline);
    check(fm);
}

fn flow_steps(p: &mut Peer, steps: &mut Steps) {
    steps.run("add-flow in_port output", p, |p| {
        add_flow(p, "priority=100,in_port=1,actions=output:2", |fm| {
            assert_eq!(fm.priority, 100);
            assert_eq!(fm.table_id, 0);
            assert_eq!(fm.r#match.fields, vec![OxmField::InPort(1)]);
            assert_eq!(
                fm.instructions,
                vec![Instruction::ApplyActions(vec![Action::Output {
                    port: 2,
                    max_len: 0
                }])]
            );
        })
    });
    steps.run("add-flow ipv4 masks", p, |p| {
        add_flow(
            p,
            "table=0,priority=200,ip,nw_src=10.0.0.0/8,nw_dst=192.168.1.1,actions=dec_ttl,output:3",
            |fm| {
                assert_eq!(fm.priority, 200);
                assert!(has_field(fm, &OxmField::EthType(0x0800)));
                assert!(has_field(
                    fm,
                    &OxmField::Ipv4Src(Masked::new(ip4("10.0.0.0"), ip4("255.0.0.0")))
                ));
                assert!(has_field(
                    fm,
                    &OxmField::Ipv4Dst(Masked::exact(ip4("192.168.1.1")))
                ));
                assert_eq!(apply_actions(fm), &[Action::DecNwTtl, Action::output(3)]);
            },
        )
    });
    steps.run("add-flow ipv6", p, |p| {
        add_flow(
            p,
            "ipv6,ipv6_src=2001:db8::/32,ipv6_dst=2001:db8::1,actions=output:4",
            |fm| {
                assert!(has_field(fm, &OxmField::EthType(0x86dd)));
                assert!(has_field(
                    fm,
                    &OxmField::Ipv6Src(Masked::new(ip6("2001:db8::"), ip6("ffff:ffff::")))
                ));
                assert!(has_field(
                    fm,
                    &OxmField::Ipv6Dst(Masked::exact(ip6("2001:db8::1")))
                ));
            },
        )
    });
    steps.run("add-flow arp", p, |p| {
        add_flow(
            p,
            "arp,arp_op=1,arp_spa=10.0.0.1,arp_tha=00:00:00:00:00:00/ff:ff:ff:00:00:00,actions=NORMAL",
            |fm| {
                assert!(has_field(fm, &OxmField::EthType(0x0806)));
                assert!(has_field(fm, &OxmField::ArpOp(1)));
                assert!(has_field(fm, &OxmField::ArpSpa(Masked::exact(ip4("10.0.0.1")))));
                assert!(has_field(
                    fm,
                    &OxmField::ArpTha(Masked::new(
                        mac("00:00:00:00:00:00"),
                        mac("ff:ff:ff:00:00:00")
                    ))
                ));
                assert_eq!(apply_actions(fm), &[Action::output(port_no::NORMAL)]);
            },
        )
    });
    steps.run("add-flow set_field", p, |p| {
        add_flow(
            p,
            "tcp,tp_dst=80,actions=set_field:10.1.1.1->ip_dst,set_field:8080->tcp_dst,output:1",
            |fm| {
                assert!(has_field(fm, &OxmField::IpProto(6)));
                assert!(has_field(fm, &OxmField::TcpDst(80)));
                assert_eq!(
                    apply_actions(fm),
                    &[
                        Action::SetField(OxmField::Ipv4Dst(Masked::exact(ip4("10.1.1.1")))),
                        Action::SetField(OxmField::TcpDst(8080)),
                        Action::output(1),
                    ]
                );
            },
        )
    });
    steps.run("add-flow write_metadata goto_table", p, |p| {
        add_flow(
            p,
            "in_port=2,actions=write_metadata:0x1/0xff,goto_table:1",
            |fm| {
                assert_eq!(
                    fm.instructions,
                    vec![
                        Instruction::WriteMetadata {
                            metadata: 1,
                            mask: 0xff
                        },
                        Instruction::GotoTable(1),
                    ]
                );
            },
        )
    });
    steps.run("add-flow metadata meter group", p, |p| {
        add_flow(
            p,
            "table=1,metadata=0x1/0xff,actions=meter:1,group:1",
            |fm| {
                assert_eq!(fm.table_id, 1);
                assert!(has_field(fm, &OxmField::Metadata(Masked::new(1, 0xff))));
                assert_eq!(
                    fm.instructions,
                    vec![
                        Instruction::Meter(1),
                        Instruction::ApplyActions(vec![Action::Group(1)]),
                    ]
                );
            },
        )
    });
    steps.run("add-flow push_vlan", p, |p| {
        add_flow(
            p,
            "in_port=3,actions=push_vlan:0x8100,mod_vlan_vid:20,output:5",
            |fm| {
                assert_eq!(
                    apply_actions(fm),
                    &[
                        Action::PushVlan(0x8100),
                        Action::SetField(OxmField::VlanVid(Masked::exact(0x1000 | 20))),
                        Action::output(5),
                    ]
                );
            },
        )
    });
    steps.run("add-flow tun_id resubmit", p, |p| {
        add_flow(p, "tun_id=0x1234/0xffff,actions=resubmit(,2)", |fm| {
            assert!(has_field(
                fm,
                &OxmField::TunnelId(Masked::new(0x1234, 0xffff))
            ));
            // NXAST_RESUBMIT_TABLE (14), in_port OFPP_IN_PORT (0xfff8), table 2.
            assert_eq!(
                apply_actions(fm),
                &[Action::Experimenter {
                    experimenter: NX,
                    data: vec![0, 14, 0xff, 0xf8, 2, 0, 0, 0],
                }]
            );
        })
    });
    steps.run("add-flow reg0 load move", p, |p| {
        add_flow(
            p,
            "reg0=5,actions=load:0x3->NXM_NX_REG1[0..7],move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],output:1",
            |fm| {
                assert_eq!(
                    fm.r#match.fields,
                    vec![OxmField::Raw(RawOxm {
                        class: 0x0001,
                        field: 0,
                        hasmask: false,
                        payload: vec![0, 0, 0, 5],
                    })]
                );
                let acts = apply_actions(fm);
                assert_eq!(acts.len(), 3, "{acts:?}");
                for a in &acts[..2] {
                    assert!(
                        matches!(a, Action::Experimenter { experimenter: NX, .. }),
                        "{a:?}"
                    );
                }
                assert_eq!(acts[2], Action::output(1));
            },
        )
    });
    steps.run("add-flow l2 vlan drop", p, |p| {
        add_flow(
            p,
            "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,dl_vlan=10,dl_vlan_pcp=3,actions=drop",
            |fm| {
                assert!(has_field(
                    fm,
                    &OxmField::EthDst(Masked::new(
                        mac("01:00:00:00:00:00"),
                        mac("01:00:00:00:00:00")
                    ))
                ));
                assert!(has_field(
                    fm,
                    &OxmField::VlanVid(Masked::exact(0x1000 | 10))
                ));
                assert!(has_field(fm, &OxmField::VlanPcp(3)));
                assert!(fm.instructions.is_empty());
            },
        )
    });
    steps.run("add-flow cookie timeouts flags controller", p, |p| {
        add_flow(
            p,
            "cookie=0x123,idle_timeout=30,hard_timeout=60,send_flow_rem,check_overlap,priority=5,icmp,icmp_type=8,actions=controller:128",
            |fm| {
                assert_eq!(fm.cookie, 0x123);
                assert_eq!((fm.idle_timeout, fm.hard_timeout), (30, 60));
                assert_eq!(fm.flags, 0b11);
                assert!(has_field(fm, &OxmField::Icmpv4Type(8)));
                assert_eq!(
                    apply_actions(fm),
                    &[Action::Output {
                        port: port_no::CONTROLLER,
                        max_len: 128
                    }]
                );
            },
        )
    });
    steps.run("add-flow mpls", p, |p| {
        add_flow(
            p,
            "mpls,mpls_label=100,mpls_tc=3,actions=dec_mpls_ttl,pop_mpls:0x0800,output:1",
            |fm| {
                assert!(has_field(fm, &OxmField::EthType(0x8847)));
                assert!(has_field(fm, &OxmField::MplsLabel(100)));
                assert!(has_field(fm, &OxmField::MplsTc(3)));
                assert_eq!(
                    apply_actions(fm),
                    &[
                        Action::DecMplsTtl,
                        Action::PopMpls(0x0800),
                        Action::output(1)
                    ]
                );
            },
        )
    });
    steps.run("add-flow icmpv6 nd", p, |p| {
        add_flow(
            p,
            "icmp6,icmp_type=135,nd_target=fe80::1,nd_sll=00:00:00:00:00:01,actions=output:2",
            |fm| {
                assert!(has_field(fm, &OxmField::Icmpv6Type(135)));
                assert!(has_field(fm, &OxmField::Ipv6NdTarget(ip6("fe80::1"))));
                assert!(has_field(
                    fm,
                    &OxmField::Ipv6NdSll(mac("00:00:00:00:00:01"))
                ));
            },
        )
    });
    steps.run("add-flow dscp ecn clear/write actions", p, |p| {
        add_flow(
            p,
            "udp,udp_src=53,ip_dscp=46,nw_ecn=1,actions=clear_actions,write_actions(set_queue:1,output:1)",
            |fm| {
                assert!(has_field(fm, &OxmField::IpDscp(46)));
                assert!(has_field(fm, &OxmField::IpEcn(1)));
                assert!(has_field(fm, &OxmField::UdpSrc(53)));
                assert_eq!(
                    fm.instructions,
                    vec![
                        Instruction::ClearActions,
                        Instruction::WriteActions(vec![Action::SetQueue(1), Action::output(1)]),
                    ]
                );
            },
        )
    });
    steps.run("add-flow sctp set_queue", p, |p| {
        add_flow(p, "sctp,sctp_dst=9,actions=set_queue:2,output:2", |fm| {
            assert!(has_field(fm, &OxmField::IpProto(132)));
            assert!(has_field(fm, &OxmField::SctpDst(9)));
            assert_eq!(apply_actions(fm), &[Action::SetQueue(2), Action::output(2)]);
        })
    });
    steps.run("add-flows from a file", p, |p| {
        let file = p.file(
            "flows.txt",
            "priority=1,in_port=1,actions=output:2\n\
             priority=2,ip,actions=drop\n\
             priority=3,tcp6,tp_src=22,actions=output:1\n",
        );
        let s = p.ofctl("add-flows", &[&file]);
        let prios: Vec<u16> = s.flow_mods().iter().map(|f| f.priority).collect();
        assert_eq!(prios, vec![1, 2, 3]);
        assert!(s
            .flow_mods()
            .iter()
            .all(|f| f.command == FlowModCommand::Add));
    });
    steps.run("del-flows", p, |p| {
        let s = p.ofctl("del-flows", &[]);
        let fm = s.one_flow_mod();
        assert_eq!(fm.command, FlowModCommand::Delete);
        assert_eq!(fm.table_id, 0xff);
        assert!(fm.r#match.fields.is_empty());
    });
    steps.run("del-flows with a match", p, |p| {
        let s = p.ofctl("del-flows", &["tcp,tp_dst=80"]);
        let fm = s.one_flow_mod();
        assert_eq!(fm.command, FlowModCommand::Delete);
        assert!(has_field(fm, &OxmField::TcpDst(80)));
    });
    steps.run("--strict del-flows", p, |p| {
        let s = p.run(&["--strict"], "del-flows", &["priority=100,in_port=1"]);
        let fm = s.one_flow_mod();
        assert_eq!(fm.command, FlowModCommand::DeleteStrict);
        assert_eq!(fm.priority, 100);
        assert_eq!(fm.r#match.fields, vec![OxmField::InPort(1)]);
    });
    steps.run("mod-flows", p, |p| {
        let s = p.ofctl("mod-flows", &["in_port=1,actions=output:3"]);
        let fm = s.one_flow_mod();
        assert_eq!(fm.command, FlowModCommand::Modify);
        assert_eq!(apply_actions(fm), &[Action::output(3)]);
    });
    steps.run("--strict mod-flows", p, |p| {
        let s = p.run(
            &["--strict"],
            "mod-flows",
            &["priority=7,in_port=1,actions=output:4"],
        );
        let fm = s.one_flow_mod();
        assert_eq!(fm.command, FlowModCommand::ModifyStrict);
        assert_eq!(fm.priority, 7);
    });
}

fn group_meter_steps(p: &mut Peer, steps: &mut Steps) {
    fn one_group(s: &Session) -> &GroupMod {
        let v = s.group_mods();
        assert_eq!(v.len(), 1, "`{}`: {v:#?}", s.cmdline);
        v[0]
    }
    fn one_meter(s: &Session) -> &MeterMod {
        let v = s.meter_mods();
        assert_eq!(v.len(), 1, "`{}`: {v:#?}", s.cmdline);
        v[0]
    }
    steps.run("add-group all", p, |p| {
        let s = p.ofctl(
            "add-group",
            &["group_id=1,type=all,bucket=output:1,bucket=output:2"],
        );
        let g = one_group(&s);
        assert_eq!(
            (g.command, g.group_type, g.group_id),
            (GroupModCommand::Add, GroupType::All, 1)
        );
        assert_eq!(
            g.buckets,
            vec![
                Bucket::new(vec![Action::output(1)]),
                Bucket::new(vec![Action::output(2)])
            ]
        );
    });
    steps.run("add-group select", p, |p| {
        let s = p.ofctl(
            "add-group",
            &["group_id=2,type=select,bucket=weight:10,output:1,bucket=weight:20,output:2"],
        );
        let g = one_group(&s);
        assert_eq!(g.group_type, GroupType::Select);
        let weights: Vec<u16> = g.buckets.iter().map(|b| b.weight).collect();
        assert_eq!(weights, vec![10, 20]);
    });
    steps.run("add-group indirect", p, |p| {
        let s = p.ofctl(
            "add-group",
            &["group_id=3,type=indirect,bucket=actions=push_vlan:0x8100,output:3"],
        );
        let g = one_group(&s);
        assert_eq!(g.group_type, GroupType::Indirect);
        assert_eq!(
            g.buckets[0].actions,
            vec![Action::PushVlan(0x8100), Action::output(3)]
        );
    });
    steps.run("add-group fast failover", p, |p| {
        let s = p.ofctl(
            "add-group",
            &["group_id=4,type=ff,bucket=watch_port:1,output:1,bucket=watch_port:2,output:2"],
        );
        let g = one_group(&s);
        assert_eq!(g.group_type, GroupType::FastFailover);
        let watch: Vec<u32> = g.buckets.iter().map(|b| b.watch_port).collect();
        assert_eq!(watch, vec![1, 2]);
    });
    steps.run("add-groups from a file", p, |p| {
        let file = p.file(
            "groups.txt",
            "group_id=5,type=all,bucket=output:1\ngroup_id=6,type=indirect,bucket=output:2\n",
        );
        let s = p.ofctl("add-groups", &[&file]);
        let ids: Vec<u32> = s.group_mods().iter().map(|g| g.group_id).collect();
        assert_eq!(ids, vec![5, 6]);
    });
    steps.run("mod-group", p, |p| {
        let s = p.ofctl("mod-group", &["group_id=1,type=all,bucket=output:3"]);
        let g = one_group(&s);
        assert_eq!((g.command, g.group_id), (GroupModCommand::Modify, 1));
    });
    steps.run("del-groups one", p, |p| {
        let s = p.ofctl("del-groups", &["group_id=2"]);
        let g = one_group(&s);
        assert_eq!((g.command, g.group_id), (GroupModCommand::Delete, 2));
    });
    steps.run("del-groups all", p, |p| {
        let s = p.ofctl("del-groups", &[]);
        let g = one_group(&s);
        assert_eq!(
            (g.command, g.group_id),
            (GroupModCommand::Delete, ofproto::msg::group_id::ALL)
        );
    });
    steps.run("add-meter drop", p, |p| {
        let s = p.ofctl(
            "add-meter",
            &["meter=1,kbps,burst,stats,band=type=drop,rate=1000,burst_size=100"],
        );
        let m = one_meter(&s);
        assert_eq!(
            (m.command, m.meter_id, m.flags),
            (MeterModCommand::Add, 1, 1 | 4 | 8)
        );
        assert_eq!(
            m.bands,
            vec![MeterBand::Drop {
                rate: 1000,
                burst_size: 100
            }]
        );
    });
    steps.run("add-meter dscp_remark", p, |p| {
        let s = p.ofctl(
            "add-meter",
            &["meter=2,pktps,band=type=dscp_remark,rate=500,prec_level=1"],
        );
        let m = one_meter(&s);
        assert_eq!(
            (m.command, m.meter_id, m.flags),
            (MeterModCommand::Add, 2, 2)
        );
        assert_eq!(
            m.bands,
            vec![MeterBand::DscpRemark {
                rate: 500,
                burst_size: 0,
                prec_level: 1
            }]
        );
    });
    steps.run("mod-meter", p, |p| {
        let s = p.ofctl("mod-meter", &["meter=2,pktps,band=type=drop,rate=800"]);
        let m = one_meter(&s);
        assert_eq!((m.command, m.meter_id), (MeterModCommand::Modify, 2));
    });
    steps.run("del-meter", p, |p| {
        let s = p.ofctl("del-meter", &["meter=1"]);
        let m = one_meter(&s);
        assert_eq!((m.command, m.meter_id), (MeterModCommand::Delete, 1));
        assert!(m.bands.is_empty());
    });
    steps.run("del-meters", p, |p| {
        let s = p.ofctl("del-meters", &[]);
        let m = one_meter(&s);
        assert_eq!(
            (m.command, m.meter_id),
            (MeterModCommand::Delete, ofproto::msg::meter_id::ALL)
        );
    });
}

fn bundle_steps(p: &mut Peer, steps: &mut Steps) {
    /// open, the adds (each embedding a message with the outer xid), commit; one bundle id.
    fn check_bundle(s: &Session, n_adds: usize) -> Vec<&Message> {
        let bodies = s.bodies(n_adds + 2);
        let (Body::BundleControl(open), Body::BundleControl(commit)) =
            (bodies[0], bodies[n_adds + 1])
        else {
            panic!("`{}`: not open ... commit: {bodies:#?}", s.cmdline);
        };
        assert_eq!(open.typ, BundleCtrlType::OpenRequest);
        assert_eq!(commit.typ, BundleCtrlType::CommitRequest);
        assert_eq!(commit.bundle_id, open.bundle_id);
        let flags = ofproto::msg::bundle_flags::ATOMIC | ofproto::msg::bundle_flags::ORDERED;
        assert_eq!(open.flags, flags);
        let cmds = s.commands();
        cmds[1..=n_adds]
            .iter()
            .map(|outer| {
                let Body::BundleAdd(add) = &outer.body else {
                    panic!("`{}`: not a bundle add: {outer:#?}", s.cmdline);
                };
                assert_eq!(add.bundle_id, open.bundle_id);
                assert_eq!(add.message.xid, outer.xid, "embedded xid differs");
                assert!(add.trailer.is_empty());
                &*add.message
            })
            .collect()
    }
    steps.run("--bundle add-flows", p, |p| {
        let file = p.file(
            "bundle.txt",
            "priority=10,in_port=1,actions=output:2\n\
             priority=11,ip,nw_dst=10.0.0.1,actions=output:3\n",
        );
        let s = p.run(&["--bundle"], "add-flows", &[&file]);
        let inner = check_bundle(&s, 2);
        let prios: Vec<u16> = inner
            .iter()
            .map(|m| match &m.body {
                Body::FlowMod(f) if f.command == FlowModCommand::Add => f.priority,
                b => panic!("bundle add carries {b:#?}, not a FLOW_MOD ADD"),
            })
            .collect();
        assert_eq!(prios, vec![10, 11]);
    });
    steps.run("--bundle del-flows", p, |p| {
        let s = p.run(&["--bundle"], "del-flows", &[]);
        let inner = check_bundle(&s, 1);
        assert!(matches!(&inner[0].body, Body::FlowMod(f) if f.command == FlowModCommand::Delete));
    });
    steps.run("--bundle add-group", p, |p| {
        let s = p.run(
            &["--bundle"],
            "add-group",
            &["group_id=9,type=all,bucket=output:1"],
        );
        let inner = check_bundle(&s, 1);
        assert!(matches!(&inner[0].body, Body::GroupMod(g) if g.group_id == 9));
    });
}

fn dump_steps(p: &mut Peer, steps: &mut Steps) {
    use MultipartRequestBody as Q;
    steps.run("dump-flows", p, |p| {
        let s = p.ofctl("dump-flows", &[]);
        assert!(
            matches!(s.bodies(1)[0], Body::MultipartRequest(r) if matches!(&r.body, Q::Flow(f) if f.table_id == 0xff && f.r#match.fields.is_empty()))
        );
        // The flows of `flow_stats()`, as ovs-ofctl prints them.
        s.assert_stdout(
            " cookie=0x1234, duration=42.500s, table=0, n_packets=7, n_bytes=700, \
             priority=100,tcp,in_port=1,tp_dst=443 actions=output:2\n",
        );
        s.assert_stdout(
            " cookie=0x0, duration=3s, table=1, n_packets=0, n_bytes=0, idle_timeout=30, \
             priority=10,ipv6,ipv6_dst=2001:db8::/32 actions=meter:1,write_actions(group:1),goto_table:2\n",
        );
        let lines = s.stdout.lines().filter(|l| l.contains("cookie=")).count();
        assert_eq!(lines, 2, "{}", s.stdout);
    });
    steps.run("dump-flows with a match", p, |p| {
        let s = p.ofctl("dump-flows", &["tcp,tp_dst=443"]);
        let Body::MultipartRequest(r) = s.bodies(1)[0] else {
            panic!()
        };
        let Q::Flow(f) = &r.body else { panic!("{r:?}") };
        assert!(f.r#match.fields.contains(&OxmField::TcpDst(443)));
    });
    steps.run("dump-aggregate", p, |p| {
        let s = p.ofctl("dump-aggregate", &[]);
        assert!(matches!(s.multipart_requests()[..], [Q::Aggregate(_)]));
        s.assert_stdout("packet_count=7 byte_count=700 flow_count=2");
    });
    steps.run("dump-groups", p, |p| {
        let s = p.ofctl("dump-groups", &[]);
        assert!(matches!(s.multipart_requests()[..], [Q::GroupDesc]));
        s.assert_stdout(" group_id=1,type=all,bucket=actions=output:1,bucket=actions=output:2\n");
        s.assert_stdout(" group_id=4,type=ff,bucket=watch_port:1,actions=output:1\n");
    });
    steps.run("dump-group-stats", p, |p| {
        let s = p.ofctl("dump-group-stats", &[]);
        s.assert_stdout(
            " group_id=1,duration=8s,ref_count=1,packet_count=3,byte_count=300,\
             bucket0:packet_count=1,byte_count=100,bucket1:packet_count=2,byte_count=200",
        );
    });
    steps.run("dump-group-features", p, |p| {
        let s = p.ofctl("dump-group-features", &[]);
        assert!(matches!(s.multipart_requests()[..], [Q::GroupFeatures]));
        s.assert_stdout("    Types:  0xf\n    Capabilities:  0x3\n");
        s.assert_stdout(
            "    fast failover group:\n       max_groups=0x10\n       actions: output\n",
        );
    });
    steps.run("dump-meters", p, |p| {
        let s = p.ofctl("dump-meters", &[]);
        assert!(matches!(
            s.multipart_requests()[..],
            [Q::MeterConfig(ofproto::msg::meter_id::ALL)]
        ));
        s.assert_stdout("meter=1 kbps burst bands=\ntype=drop rate=1000 burst_size=100\n");
        s.assert_stdout("meter=2 pktps bands=\ntype=dscp_remark rate=500 prec_level=1\n");
    });
    steps.run("meter-stats", p, |p| {
        let s = p.ofctl("meter-stats", &[]);
        assert!(matches!(s.multipart_requests()[..], [Q::Meter(_)]));
        s.assert_stdout(
            "meter:1 flow_count:1 packet_in_count:10 byte_in_count:1000 duration:4s bands:\n\
             0: packet_count:2 byte_count:200\n",
        );
    });
    steps.run("meter-features", p, |p| {
        let s = p.ofctl("meter-features", &[]);
        s.assert_stdout(
            "max_meter:64 max_bands:4 max_color:0\nband_types: drop dscp_remark\n\
             capabilities: kbps pktps burst stats\n",
        );
    });
    steps.run("dump-ports-desc", p, |p| {
        let s = p.ofctl("dump-ports-desc", &[]);
        assert!(matches!(s.multipart_requests()[..], [Q::PortDesc]));
        s.assert_stdout(" 1(p1): addr:02:00:00:00:00:01\n");
        s.assert_stdout(" 2(p2): addr:02:00:00:00:00:02\n");
        s.assert_stdout(" LOCAL(br0): addr:02:00:00:00:00:fe\n");
        s.assert_stdout(
            "     current:    1GB-FD COPPER\n     speed: 1000 Mbps now, 1000 Mbps max\n",
        );
    });
    steps.run("dump-ports", p, |p| {
        let s = p.ofctl("dump-ports", &[]);
        assert!(matches!(
            s.multipart_requests()[..],
            [Q::PortStats(port_no::ANY)]
        ));
        s.assert_stdout(
            "  port  1: rx pkts=11, bytes=1100, drop=0, errs=0, frame=0, over=0, crc=0\n",
        );
        s.assert_stdout("           tx pkts=22, bytes=2200, drop=0, errs=0, coll=0\n");
    });
    steps.run("dump-tables", p, |p| {
        let s = p.ofctl("dump-tables", &[]);
        s.assert_stdout("  table 0:\n    active=2, lookup=100, matched=90\n");
    });
    steps.run("dump-table-features", p, |p| {
        let s = p.ofctl("dump-table-features", &[]);
        assert!(matches!(s.multipart_requests()[..], [Q::TableFeatures(t)] if t.is_empty()));
        s.assert_stdout("  table 0 (\"main\"):\n");
        s.assert_stdout("    max_entries=1000\n");
        s.assert_stdout("      next tables: 1-2\n");
        s.assert_stdout("      exact match or wildcard: in_port_oxm eth_type ip_{src,dst}\n");
    });
    steps.run("dump-desc", p, |p| {
        let s = p.ofctl("dump-desc", &[]);
        s.assert_stdout(
            "Manufacturer: ofproto tests\nHardware: fake switch\nSoftware: ovs_peer.rs\n\
             Serial Num: 42\nDP Description: fake dp\n",
        );
    });
    steps.run("queue-stats", p, |p| {
        let s = p.ofctl("queue-stats", &[]);
        s.assert_stdout("  port 1 queue 0: bytes=500, pkts=5, errors=0, duration=9s\n");
    });
    steps.run("queue-get-config", p, |p| {
        let s = p.ofctl("queue-get-config", &["1"]);
        assert!(matches!(s.bodies(1)[0], Body::QueueGetConfigRequest(1)));
        s.assert_stdout("port=1\nqueue 0: min_rate:20.0%\n");
    });
    steps.run("dump-ipfix-bridge (experimenter multipart)", p, |p| {
        let s = p.ofctl("dump-ipfix-bridge", &[]);
        assert!(matches!(
            s.multipart_requests()[..],
            [Q::Experimenter {
                experimenter: NX,
                exp_type: 3,
                ..
            }]
        ));
        s.assert_stdout(
            "  bridge ipfix: flows=1, current flows=2, sampled pkts=3, ipv4 ok=4, ipv6 ok=5, tx pkts=9\n",
        );
    });
}

fn misc_steps(p: &mut Peer, steps: &mut Steps) {
    steps.run("show", p, |p| {
        let s = p.ofctl("show", &[]);
        let kinds: Vec<&Body> = s
            .msgs
            .iter()
            .map(|m| &m.body)
            .filter(|b| !matches!(b, Body::Hello(_)))
            .collect();
        assert!(
            matches!(
                kinds[..],
                [
                    Body::FeaturesRequest,
                    Body::MultipartRequest(_),
                    Body::GetConfigRequest
                ]
            ),
            "{kinds:#?}"
        );
        s.assert_stdout("dpid:00000000000000ab\nn_tables:254, n_buffers:0\n");
        s.assert_stdout(" 2(p2): addr:02:00:00:00:00:02\n");
        s.assert_stdout("frags=normal miss_send_len=128");
    });
    steps.run("get-frags / set-frags", p, |p| {
        let s = p.ofctl("set-frags", &["drop"]);
        assert!(s
            .msgs
            .iter()
            .any(|m| matches!(m.body, Body::SetConfig(SwitchConfig { flags: 1, .. }))));
        let s = p.ofctl("get-frags", &[]);
        assert_eq!(s.stdout.trim(), "drop");
        p.ofctl("set-frags", &["normal"]);
    });
    steps.run("packet-out", p, |p| {
        // Ethernet 00:..:01 -> 00:..:02, IPv4 header only.
        let packet = "000000000002000000000001080045000014000000004006000000000000000000000000";
        let arg = format!("in_port=controller packet={packet} actions=output:1");
        let s = p.ofctl("packet-out", &[&arg]);
        let Body::PacketOut(po) = s.bodies(1)[0] else {
            panic!("{:#?}", s.commands())
        };
        assert_eq!(po.in_port, port_no::CONTROLLER);
        assert_eq!(po.buffer_id, ofproto::msg::OFP_NO_BUFFER);
        assert_eq!(po.actions, vec![Action::output(1)]);
        assert_eq!(common::hex(&po.data), packet);
    });
    steps.run("mod-port", p, |p| {
        let s = p.ofctl("mod-port", &["1", "down"]);
        let Body::PortMod(pm) = s.bodies(1)[0] else {
            panic!("{:#?}", s.commands())
        };
        assert_eq!(pm.port_no, 1);
        // The address comes from the fake switch's port description.
        assert_eq!(pm.hw_addr, mac("02:00:00:00:00:01"));
        assert_eq!((pm.config, pm.mask), (1, 1)); // OFPPC_PORT_DOWN
        let s = p.ofctl("mod-port", &["p2", "no-packet-in"]);
        let Body::PortMod(pm) = s.bodies(1)[0] else {
            panic!("{:#?}", s.commands())
        };
        assert_eq!((pm.port_no, pm.config, pm.mask), (2, 0x40, 0x40));
    });
    steps.run("probe (echo)", p, |p| {
        let s = p.ofctl("probe", &[]);
        assert!(matches!(s.bodies(1)[0], Body::EchoRequest(d) if d.is_empty()));
    });
    steps.run("ping (echo with payload)", p, |p| {
        let s = p.ofctl("ping", &["16"]);
        let echoes = s
            .commands()
            .iter()
            .filter(|m| matches!(&m.body, Body::EchoRequest(d) if d.len() == 16))
            .count();
        assert_eq!(echoes, 10);
        s.assert_stdout("16 bytes from");
    });
}

/// Nicira / ONF extensions: experimenter actions and non-basic OXM classes, kept raw.
fn extension_steps(p: &mut Peer, steps: &mut Steps) {
    fn experimenter_actions(fm: &FlowMod) -> usize {
        apply_actions(fm)
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::Experimenter {
                        experimenter: NX,
                        ..
                    }
                )
            })
            .count()
    }
    steps.run("add-flow tcp_flags (ONF experimenter OXM)", p, |p| {
        add_flow(p, "tcp,tcp_flags=+syn-ack,actions=output:1", |fm| {
            let raw = fm.r#match.fields.iter().find_map(|f| match f {
                OxmField::Raw(r) => Some(r),
                _ => None,
            });
            let r = raw.expect("tcp_flags travels as an experimenter OXM");
            assert_eq!((r.class, r.hasmask), (0xffff, true));
            // Experimenter id ONF, then value 0x0002 (SYN) and mask 0x0012 (SYN|ACK).
            assert_eq!(r.payload, [0x4f, 0x4e, 0x46, 0x00, 0, 2, 0, 0x12]);
        })
    });
    steps.run("add-flow pkt_mark nw_frag (NXM_1 class)", p, |p| {
        add_flow(
            p,
            "pkt_mark=0x5/0xff,ip,nw_frag=first,actions=output:1",
            |fm| {
                let nxm: Vec<&RawOxm> = fm
                    .r#match
                    .fields
                    .iter()
                    .filter_map(|f| match f {
                        OxmField::Raw(r) if r.class == 0x0001 => Some(r),
                        _ => None,
                    })
                    .collect();
                assert_eq!(nxm.len(), 2, "{:?}", fm.r#match);
                let mark = nxm.iter().find(|r| r.field == 33).expect("NXM_NX_PKT_MARK");
                assert!(mark.hasmask);
                assert_eq!(mark.payload, [0, 0, 0, 5, 0, 0, 0, 0xff]);
            },
        )
    });
    steps.run("add-flow set_field to a register, note, exit", p, |p| {
        add_flow(
            p,
            "actions=set_field:5->reg3,set_field:0xa/0xff->reg4,note:01.02.03,exit",
            |fm| {
                assert_eq!(
                    apply_actions(fm)[0],
                    Action::SetField(OxmField::Raw(RawOxm {
                        class: 0x0001,
                        field: 3,
                        hasmask: false,
                        payload: vec![0, 0, 0, 5],
                    }))
                );
                assert_eq!(experimenter_actions(fm), 3);
            },
        )
    });
    for (name, flow, n_exp) in [
        ("controller()", "actions=controller(reason=no_match,max_len=100,id=5)", 1),
        ("learn", "actions=learn(table=1,NXM_OF_VLAN_TCI[0..11],output:NXM_OF_IN_PORT[])", 1),
        (
            "output:reg, resubmit, masked set_field",
            "actions=output:NXM_NX_REG0[0..15],resubmit(1,3),set_field:0x1/0x1->metadata",
            3,
        ),
        (
            "output trunc, clone, sample",
            "actions=output(port=1,max_len=100),clone(output:2),sample(probability=100,collector_set_id=1,obs_domain_id=2,obs_point_id=3)",
            3,
        ),
        ("pop_queue", "actions=set_queue:1,output:2,pop_queue", 1),
        ("conjunction", "ip,actions=conjunction(1,1/2),note:aa", 2),
        ("multipath, bundle", "actions=multipath(eth_src,50,modulo_n,1,0,NXM_NX_REG0[]),bundle(eth_src,0,hrw,ofport,members:1,2)", 2),
    ] {
        steps.run(&format!("add-flow {name} (Nicira actions)"), p, |p| {
            add_flow(p, flow, |fm| assert_eq!(experimenter_actions(fm), n_exp, "{fm:?}"))
        });
    }
    steps.run("add-flow conj_id", p, |p| {
        add_flow(p, "conj_id=1,actions=output:1", |fm| {
            assert!(matches!(&fm.r#match.fields[..], [OxmField::Raw(r)] if r.class == 1 && r.field == 37));
        })
    });
    steps.run("add-flow set_field ipv6, set_mpls_label", p, |p| {
        add_flow(
            p,
            "ipv6,actions=set_field:fe80::1->ipv6_src,output:1",
            |fm| {
                assert_eq!(
                    apply_actions(fm)[0],
                    Action::SetField(OxmField::Ipv6Src(Masked::exact(ip6("fe80::1"))))
                );
            },
        );
        add_flow(
            p,
            "ip,actions=push_mpls:0x8847,set_mpls_label:10,set_mpls_ttl:5,output:1",
            |fm| {
                assert_eq!(
                    apply_actions(fm),
                    &[
                        Action::PushMpls(0x8847),
                        Action::SetField(OxmField::MplsLabel(10)),
                        Action::SetMplsTtl(5),
                        Action::output(1)
                    ]
                );
            },
        );
    });
    steps.run("add-tlv-map (Nicira message)", p, |p| {
        let s = p.ofctl(
            "add-tlv-map",
            &["{class=0xffff,type=0,len=4}->tun_metadata0"],
        );
        assert!(matches!(
            s.bodies(1)[0],
            Body::Experimenter(e) if e.experimenter == NX && e.exp_type == 24
        ));
    });
}

fn reconcile_steps(p: &mut Peer, steps: &mut Steps) {
    let file = p.file(
        "replace.txt",
        "priority=100,tcp,in_port=1,tp_dst=443,actions=output:2\npriority=9,actions=drop\n",
    );
    steps.run("replace-flows", p, |p| {
        // ovs-ofctl dumps the switch's flows (our `flow_stats()`), then adds the file's flows
        // and deletes the switch's flow that the file lacks.
        let s = p.ofctl("replace-flows", &[&file]);
        let cmds = s.commands();
        assert!(matches!(&cmds[0].body, Body::MultipartRequest(r) if matches!(r.body, MultipartRequestBody::Flow(_))));
        let fms = s.flow_mods();
        let adds: Vec<u16> = fms.iter().filter(|f| f.command == FlowModCommand::Add).map(|f| f.priority).collect();
        assert_eq!(adds, vec![100, 9]);
        let dels: Vec<&&FlowMod> = fms.iter().filter(|f| f.command == FlowModCommand::DeleteStrict).collect();
        assert_eq!(dels.len(), 1, "{fms:#?}");
        assert_eq!((dels[0].table_id, dels[0].priority), (1, 10));
    });
    steps.run("diff-flows", p, |p| {
        // Exit status 2: the flows differ. The lines come from our flow-stats reply.
        let s = p.run_expecting(&[], "diff-flows", &[&file], 2);
        s.assert_stdout("-priority=100,tcp,in_port=1,tp_dst=443 cookie=0x1234 actions=output:2\n");
        s.assert_stdout("-table=1 priority=10,ipv6,ipv6_dst=2001:db8::/32 idle_timeout=30 actions=meter:1,write_actions(group:1),goto_table:2\n");
        s.assert_stdout("+priority=9 actions=drop\n");
    });
    steps.run("del-flows cookie mask, out_port", p, |p| {
        let s = p.ofctl("del-flows", &["cookie=0x10/0xff,out_port=2"]);
        let fm = s.one_flow_mod();
        assert_eq!(fm.command, FlowModCommand::Delete);
        assert_eq!((fm.cookie, fm.cookie_mask, fm.out_port), (0x10, 0xff, 2));
    });
}

fn monitor_steps(p: &mut Peer, steps: &mut Steps) {
    steps.run("monitor (async messages we emit)", p, |p| {
        // `monitor` prints what it receives on stderr.
        let ctl = format!("--unixctl={}", p.dir.join("ofctl.ctl").display());
        // The fake switch hangs up after pushing `async_messages()`: exit status 1.
        let s = p.run_expecting(&[&ctl], "monitor", &["128"], 1);
        assert!(s.stderr.contains("End of file"), "{}", s.stderr);
        let bodies: Vec<&Body> = s.msgs.iter().map(|m| &m.body).collect();
        assert!(bodies.iter().any(|b| matches!(b, Body::SetConfig(c) if c.miss_send_len == 128)));
        // NXT_SET_PACKET_IN_FORMAT.
        assert!(bodies.iter().any(|b| matches!(b, Body::Experimenter(e) if e.experimenter == NX && e.exp_type == 16)));
        s.assert_stderr(
            "OFPT_PACKET_IN (OF1.3) (xid=0x0): cookie=0xabc total_len=60 in_port=1 (via no_match) data_len=60 (unbuffered)\n\
             tcp,vlan_tci=0x0000,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,\
             nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=1000,tp_dst=80,tcp_flags=syn tcp_csum:0\n",
        );
        s.assert_stderr("OFPT_PORT_STATUS (OF1.3) (xid=0x0): ADD: 3(p3): addr:02:00:00:00:00:01\n");
        s.assert_stderr(
            "OFPT_FLOW_REMOVED (OF1.3) (xid=0x0): priority=100,in_port=2 reason=delete table_id=0 \
             cookie:0x77 duration5s idle60 pkts3 bytes180\n",
        );
    });
}

fn version_steps(p: &mut Peer, steps: &mut Steps) {
    // ovs-ofctl answers a HELLO without a common version with OFPT_ERROR HELLO_FAILED (in the
    // peer's version, 0x04) whose data is ASCII text.
    for (version, hello) in [
        ("OpenFlow10", Hello::default()),
        (
            "OpenFlow14",
            Hello {
                elements: vec![ofproto::msg::HelloElement::VersionBitmap(vec![1 << 5])],
            },
        ),
    ] {
        steps.run(
            &format!("-O {version}: version negotiation fails"),
            p,
            |p| {
                let s = p.run_expecting(&["-O", version], "show", &[], 1);
                let wire = if version == "OpenFlow10" { 1 } else { 5 };
                assert_eq!(s.msgs.len(), 2, "{:#?}", s.msgs);
                assert_eq!(s.msgs[0].version, wire);
                assert_eq!(s.msgs[0].body, Body::Hello(hello.clone()));
                let text = format!(
                "We support version 0x{wire:02x}, you support version 0x04, no common versions."
            );
                assert_eq!(
                    s.msgs[1].body,
                    Body::Error(ErrorMsg::Standard {
                        typ: 0,
                        code: 0,
                        data: text.into_bytes()
                    })
                );
            },
        );
    }
    steps.run("-O OpenFlow10,OpenFlow13: negotiates 1.3", p, |p| {
        let s = p.run(&["-O", "OpenFlow10,OpenFlow13"], "show", &[]);
        assert!(s.msgs.iter().all(|m| m.version == 4));
        assert!(matches!(&s.msgs[0].body, Body::Hello(h) if h.supports(1) == Some(true) && h.supports(4) == Some(true)));
        s.assert_stdout("dpid:00000000000000ab");
    });
}

/// Runs named steps, catching each one's panic so that every failing step is reported.
#[derive(Default)]
struct Steps {
    failures: Vec<String>,
    count: usize,
}

impl Steps {
    fn run(&mut self, name: &str, p: &mut Peer, f: impl FnOnce(&mut Peer)) {
        self.count += 1;
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(p)));
        if let Err(e) = r {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            self.failures.push(format!("step `{name}`: {msg}"));
        }
    }
}

#[test]
fn ovs_ofctl_messages_decode_and_reencode_byte_identically() {
    let mut p = Peer::new();
    let mut steps = Steps::default();
    flow_steps(&mut p, &mut steps);
    group_meter_steps(&mut p, &mut steps);
    bundle_steps(&mut p, &mut steps);
    dump_steps(&mut p, &mut steps);
    misc_steps(&mut p, &mut steps);
    extension_steps(&mut p, &mut steps);
    reconcile_steps(&mut p, &mut steps);
    monitor_steps(&mut p, &mut steps);
    version_steps(&mut p, &mut steps);

    // Every frame received, concatenated: a sample for tools such as `ofdump`.
    let capture = std::mem::take(&mut p.capture);
    let mut n = 0;
    for f in ofproto::codec::frames(&capture) {
        Message::decode(f.expect("capture frames")).expect("capture decodes");
        n += 1;
    }
    assert_eq!(n, p.frames);
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ovs-ofctl-capture.bin");
    let tmp = out.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&tmp, &capture).unwrap();
    std::fs::rename(&tmp, &out).unwrap();
    eprintln!(
        "{} steps; {n} frames from ovs-ofctl written to {}",
        steps.count,
        out.display()
    );
    if let Some(path) = std::env::var_os("OVS_PEER_CAPTURE") {
        std::fs::write(&path, &capture).unwrap();
        eprintln!("... and to {}", std::path::Path::new(&path).display());
    }

    assert!(
        steps.failures.is_empty(),
        "{} of {} ovs-ofctl steps failed:\n\n{}",
        steps.failures.len(),
        steps.count,
        steps.failures.join("\n\n")
    );
}
