//! `format_message`: one line for every kind of message.

use crate::action::{port_no, Action};
use crate::msg::*;
use crate::multipart::{
    AggregateStats, Desc, FlowStats, FlowStatsRequest, GroupStats, MeterConfig, MeterFeatures,
    MeterStats, MultipartReply, MultipartReplyBody as R, MultipartRequest,
    MultipartRequestBody as Q, PortStats, QueueStats, TableFeatures, TableStats, OFPMPF_MORE,
};
use crate::text::*;
use crate::{Body, Instruction, Match, Message};
use proptest::prelude::*;

/// The name of a body's variant; the exhaustive match makes a new variant fail to compile
/// until the list in [`every_body`] covers it.
fn variant(b: &Body) -> &'static str {
    match b {
        Body::Hello(_) => "Hello",
        Body::Error(_) => "Error",
        Body::EchoRequest(_) => "EchoRequest",
        Body::EchoReply(_) => "EchoReply",
        Body::Experimenter(_) => "Experimenter",
        Body::FeaturesRequest => "FeaturesRequest",
        Body::FeaturesReply(_) => "FeaturesReply",
        Body::GetConfigRequest => "GetConfigRequest",
        Body::GetConfigReply(_) => "GetConfigReply",
        Body::SetConfig(_) => "SetConfig",
        Body::PacketIn(_) => "PacketIn",
        Body::FlowRemoved(_) => "FlowRemoved",
        Body::PortStatus(_) => "PortStatus",
        Body::PacketOut(_) => "PacketOut",
        Body::FlowMod(_) => "FlowMod",
        Body::GroupMod(_) => "GroupMod",
        Body::PortMod(_) => "PortMod",
        Body::TableMod(_) => "TableMod",
        Body::MultipartRequest(_) => "MultipartRequest",
        Body::MultipartReply(_) => "MultipartReply",
        Body::BarrierRequest => "BarrierRequest",
        Body::BarrierReply => "BarrierReply",
        Body::QueueGetConfigRequest(_) => "QueueGetConfigRequest",
        Body::QueueGetConfigReply(_) => "QueueGetConfigReply",
        Body::RoleRequest(_) => "RoleRequest",
        Body::RoleReply(_) => "RoleReply",
        Body::GetAsyncRequest => "GetAsyncRequest",
        Body::GetAsyncReply(_) => "GetAsyncReply",
        Body::SetAsync(_) => "SetAsync",
        Body::MeterMod(_) => "MeterMod",
        Body::BundleControl(_) => "BundleControl",
        Body::BundleAdd(_) => "BundleAdd",
    }
}

fn flow_mod() -> FlowMod {
    FlowMod::add(
        0,
        100,
        parse_match("in_port=1").unwrap(),
        vec![Instruction::ApplyActions(vec![Action::output(2)])],
    )
}

fn port() -> Port {
    Port {
        port_no: 1,
        name: "eth1".into(),
        curr_speed: 10_000_000,
        ..Port::default()
    }
}

/// One message of every body variant, with the line it must give.
fn every_body() -> Vec<(Body, &'static str)> {
    let flow_stats = FlowStats {
        table_id: 0,
        duration_sec: 1,
        duration_nsec: 500_000_000,
        priority: 100,
        idle_timeout: 0,
        hard_timeout: 0,
        flags: 0,
        cookie: 0,
        packet_count: 3,
        byte_count: 180,
        r#match: Match::new(),
        instructions: vec![],
    };
    let request = Message::new(5, Body::FlowMod(flow_mod()))
        .to_bytes()
        .unwrap();
    vec![
        (Body::Hello(Hello::of13()), "OFPT_HELLO xid=0x1: version bitmap: 0x04"),
        (
            Body::Hello(Hello { elements: vec![HelloElement::VersionBitmap(vec![0x12, 1]), HelloElement::Unknown { typ: 9, body: vec![1] }] }),
            "OFPT_HELLO xid=0x1: version bitmap: 0x01, 0x04, 0x20; element type=9 (1 bytes)",
        ),
        (
            Body::Error(ErrorMsg::Standard { typ: error_type::BAD_MATCH, code: 9, data: request.to_vec() }),
            "OFPT_ERROR xid=0x1: OFPBMC_BAD_PREREQ request: OFPT_FLOW_MOD xid=0x5: ADD priority=100,in_port=1 actions=output:2",
        ),
        (
            Body::Error(ErrorMsg::Standard { typ: error_type::HELLO_FAILED, code: 0, data: b"no common version".to_vec() }),
            "OFPT_ERROR xid=0x1: OFPHFC_INCOMPATIBLE: \"no common version\"",
        ),
        (
            Body::Error(ErrorMsg::Standard { typ: 4, code: 99, data: request[..12].to_vec() }),
            "OFPT_ERROR xid=0x1: OFPET_BAD_MATCH code 99 request: OFPT_FLOW_MOD xid=0x5 (12 bytes shown)",
        ),
        (
            Body::Error(ErrorMsg::Experimenter { exp_type: 3, experimenter: 0x2320, data: vec![] }),
            "OFPT_ERROR xid=0x1: OFPET_EXPERIMENTER exp_type=3 experimenter=0x2320 (0 bytes)",
        ),
        (Body::EchoRequest(vec![1, 2]), "OFPT_ECHO_REQUEST xid=0x1: (2 bytes) 0x0102"),
        (Body::EchoReply(vec![]), "OFPT_ECHO_REPLY xid=0x1: (0 bytes)"),
        (
            Body::Experimenter(Experimenter { experimenter: 0x2320, exp_type: 7, data: vec![0; 20] }),
            "OFPT_EXPERIMENTER xid=0x1: experimenter=0x2320 exp_type=7 (20 bytes) 0x00000000000000000000000000000000...",
        ),
        (Body::FeaturesRequest, "OFPT_FEATURES_REQUEST xid=0x1"),
        (
            Body::FeaturesReply(FeaturesReply { datapath_id: 1, n_buffers: 0, n_tables: 254, auxiliary_id: 0, capabilities: 0x4f, reserved: 0 }),
            "OFPT_FEATURES_REPLY xid=0x1: dpid=0x0000000000000001 n_tables=254 n_buffers=0 auxiliary_id=0 capabilities=0x4f",
        ),
        (Body::GetConfigRequest, "OFPT_GET_CONFIG_REQUEST xid=0x1"),
        (Body::GetConfigReply(SwitchConfig { flags: 0, miss_send_len: 128 }), "OFPT_GET_CONFIG_REPLY xid=0x1: frags=normal miss_send_len=128"),
        (Body::SetConfig(SwitchConfig { flags: 0x12, miss_send_len: 0xffff }), "OFPT_SET_CONFIG xid=0x1: frags=reassemble miss_send_len=65535 flags=0x12"),
        (
            Body::PacketIn(PacketIn { buffer_id: OFP_NO_BUFFER, total_len: 60, reason: 1, table_id: 2, cookie: 0x9, r#match: parse_match("in_port=3").unwrap(), data: vec![0; 60] }),
            "OFPT_PACKET_IN xid=0x1: table_id=2 cookie=0x9 total_len=60 in_port=3 (via action) data_len=60 (unbuffered)",
        ),
        (
            Body::FlowRemoved(FlowRemoved { cookie: 1, priority: 5, reason: 0, table_id: 1, duration_sec: 2, duration_nsec: 0, idle_timeout: 10, hard_timeout: 0, packet_count: 4, byte_count: 5, r#match: parse_match("ip").unwrap() }),
            "OFPT_FLOW_REMOVED xid=0x1: priority=5,ip reason=idle table_id=1 cookie=0x1 duration=2s idle_timeout=10 hard_timeout=0 n_packets=4 n_bytes=5",
        ),
        (
            Body::PortStatus(PortStatus { reason: 2, desc: port() }),
            "OFPT_PORT_STATUS xid=0x1: MODIFY: 1(eth1): addr=00:00:00:00:00:00 config=0x0 state=0x0 curr=0x0 speed=10000000kbps max=0kbps",
        ),
        (
            Body::PacketOut(PacketOut { buffer_id: 7, in_port: port_no::CONTROLLER, actions: vec![Action::output(port_no::FLOOD)], data: vec![] }),
            "OFPT_PACKET_OUT xid=0x1: in_port=CONTROLLER actions=FLOOD data_len=0 buffer=0x7",
        ),
        (Body::FlowMod(flow_mod()), "OFPT_FLOW_MOD xid=0x1: ADD priority=100,in_port=1 actions=output:2"),
        (
            Body::GroupMod(GroupMod { command: GroupModCommand::Delete, group_type: GroupType::All, group_id: 3, buckets: vec![] }),
            "OFPT_GROUP_MOD xid=0x1: DEL group_id=3",
        ),
        (
            Body::PortMod(PortMod { port_no: 2, config: 1, mask: 1, ..PortMod::default() }),
            "OFPT_PORT_MOD xid=0x1: port=2 addr=00:00:00:00:00:00 config=0x1 mask=0x1 advertise=0x0",
        ),
        (Body::TableMod(TableMod { table_id: 255, config: 3 }), "OFPT_TABLE_MOD xid=0x1: table_id=all config=0x3"),
        (
            Body::MultipartRequest(MultipartRequest { flags: 0, body: Q::Flow(FlowStatsRequest { r#match: parse_match("tcp").unwrap(), ..FlowStatsRequest::all() }) }),
            "OFPT_MULTIPART_REQUEST xid=0x1: OFPMP_FLOW: table=all tcp",
        ),
        (
            Body::MultipartReply(MultipartReply { flags: OFPMPF_MORE, body: R::Flow(vec![flow_stats.clone(); 4]) }),
            "OFPT_MULTIPART_REPLY xid=0x1: OFPMP_FLOW flags=more: 4 flows; \
             cookie=0x0, duration=1.500s, table=0, n_packets=3, n_bytes=180, priority=100 actions=drop; \
             cookie=0x0, duration=1.500s, table=0, n_packets=3, n_bytes=180, priority=100 actions=drop; \
             cookie=0x0, duration=1.500s, table=0, n_packets=3, n_bytes=180, priority=100 actions=drop; ...",
        ),
        (Body::BarrierRequest, "OFPT_BARRIER_REQUEST xid=0x1"),
        (Body::BarrierReply, "OFPT_BARRIER_REPLY xid=0x1"),
        (Body::QueueGetConfigRequest(port_no::ANY), "OFPT_QUEUE_GET_CONFIG_REQUEST xid=0x1: port=ANY"),
        (
            Body::QueueGetConfigReply(QueueGetConfigReply { port: 1, queues: vec![PacketQueue { queue_id: 0, port: 1, properties: vec![QueueProperty::MinRate(100), QueueProperty::MaxRate(500)] }] }),
            "OFPT_QUEUE_GET_CONFIG_REPLY xid=0x1: port=1 queues=1; queue 0: min_rate=100 max_rate=500",
        ),
        (Body::RoleRequest(RoleMessage { role: Role::Master, generation_id: 3 }), "OFPT_ROLE_REQUEST xid=0x1: role=master generation_id=3"),
        (Body::RoleReply(RoleMessage { role: Role::Slave, generation_id: 0 }), "OFPT_ROLE_REPLY xid=0x1: role=slave generation_id=0"),
        (Body::GetAsyncRequest, "OFPT_GET_ASYNC_REQUEST xid=0x1"),
        (
            Body::GetAsyncReply(AsyncConfig { packet_in_mask: [3, 0], port_status_mask: [7, 7], flow_removed_mask: [15, 0] }),
            "OFPT_GET_ASYNC_REPLY xid=0x1: packet_in_mask=0x3/0x0 port_status_mask=0x7/0x7 flow_removed_mask=0xf/0x0",
        ),
        (Body::SetAsync(AsyncConfig::default()), "OFPT_SET_ASYNC xid=0x1: packet_in_mask=0x0/0x0 port_status_mask=0x0/0x0 flow_removed_mask=0x0/0x0"),
        (
            Body::MeterMod(MeterMod { command: MeterModCommand::Add, flags: meter_flags::KBPS, meter_id: 1, bands: vec![MeterBand::Drop { rate: 5, burst_size: 0 }] }),
            "OFPT_METER_MOD xid=0x1: ADD meter=1,kbps,bands=type=drop,rate=5",
        ),
        (
            Body::BundleControl(BundleControl { bundle_id: 1, typ: BundleCtrlType::OpenRequest, flags: bundle_flags::ATOMIC | bundle_flags::ORDERED, properties: vec![] }),
            "ONFT_BUNDLE_CONTROL xid=0x1: bundle_id=0x1 type=OPEN_REQUEST flags=atomic|ordered",
        ),
        (
            Body::BundleAdd(BundleAdd { bundle_id: 1, flags: 0, message: Box::new(Message::new(1, Body::FlowMod(flow_mod()))), trailer: vec![] }),
            "ONFT_BUNDLE_ADD_MESSAGE xid=0x1: bundle_id=0x1 flags=0x0 message: OFPT_FLOW_MOD xid=0x1: ADD priority=100,in_port=1 actions=output:2",
        ),
    ]
}

#[test]
fn every_body_has_its_line() {
    let bodies = every_body();
    let mut seen: Vec<&str> = bodies.iter().map(|(b, _)| variant(b)).collect();
    for (body, want) in bodies {
        let msg = Message::new(1, body);
        assert_eq!(format_message(&msg), want);
        assert!(!format_message(&msg).contains('\n'));
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 32, "every Body variant needs a line: {seen:?}");
}

#[test]
fn multipart_lines() {
    let req = |body| Body::MultipartRequest(MultipartRequest::new(body));
    let rep = |body| Body::MultipartReply(MultipartReply::new(body));
    let cases = vec![
        (req(Q::Desc), "OFPMP_DESC"),
        (req(Q::Aggregate(FlowStatsRequest { out_port: 2, cookie: 1, cookie_mask: 1, ..FlowStatsRequest::all() })), "OFPMP_AGGREGATE: table=all out_port=2 cookie=0x1/0x1"),
        (req(Q::Table), "OFPMP_TABLE"),
        (req(Q::PortStats(port_no::ANY)), "OFPMP_PORT_STATS: port=ANY"),
        (req(Q::Queue { port_no: 1, queue_id: u32::MAX }), "OFPMP_QUEUE: port=1 queue=all"),
        (req(Q::Group(group_id::ALL)), "OFPMP_GROUP: group_id=all"),
        (req(Q::GroupDesc), "OFPMP_GROUP_DESC"),
        (req(Q::GroupFeatures), "OFPMP_GROUP_FEATURES"),
        (req(Q::Meter(meter_id::ALL)), "OFPMP_METER: meter=all"),
        (req(Q::MeterConfig(4)), "OFPMP_METER_CONFIG: meter=4"),
        (req(Q::MeterFeatures), "OFPMP_METER_FEATURES"),
        (req(Q::TableFeatures(vec![])), "OFPMP_TABLE_FEATURES"),
        (req(Q::PortDesc), "OFPMP_PORT_DESC"),
        (req(Q::Experimenter { experimenter: 1, exp_type: 2, data: vec![3] }), "OFPMP_EXPERIMENTER: experimenter=0x1 exp_type=2 (1 bytes)"),
        (rep(R::Desc(Desc { mfr_desc: "Nicira, Inc.".into(), ..Desc::default() })), "OFPMP_DESC: mfr=\"Nicira, Inc.\" hw=\"\" sw=\"\" serial=\"\" dp=\"\""),
        (rep(R::Aggregate(AggregateStats { packet_count: 1, byte_count: 2, flow_count: 3 })), "OFPMP_AGGREGATE: packet_count=1 byte_count=2 flow_count=3"),
        (rep(R::Table(vec![TableStats { table_id: 0, active_count: 4, lookup_count: 5, matched_count: 6 }])), "OFPMP_TABLE: 1 tables; table 0: active=4 lookup=5 matched=6"),
        (rep(R::PortStats(vec![PortStats { port_no: 1, ..PortStats::default() }])), "OFPMP_PORT_STATS: 1 ports; port 1: rx_pkts=0 rx_bytes=0 rx_drop=0 rx_errs=0 tx_pkts=0 tx_bytes=0 tx_drop=0 tx_errs=0 duration=0s"),
        (rep(R::Queue(vec![QueueStats::default()])), "OFPMP_QUEUE: 1 queues; port 0 queue 0: tx_pkts=0 tx_bytes=0 tx_errs=0"),
        (rep(R::Group(vec![GroupStats { group_id: 1, bucket_stats: vec![(1, 2)], ..GroupStats::default() }])), "OFPMP_GROUP: 1 groups; group_id=1 ref_count=0 packet_count=0 byte_count=0 duration=0s buckets=1"),
        (
            rep(R::GroupDesc(vec![crate::multipart::GroupDesc { group_type: GroupType::Indirect, group_id: 2, buckets: vec![Bucket::new(vec![Action::output(1)])] }])),
            "OFPMP_GROUP_DESC: 1 groups; group_id=2,type=indirect,bucket=actions=output:1",
        ),
        (rep(R::GroupFeatures(Default::default())), "OFPMP_GROUP_FEATURES: types=0x0 capabilities=0x0 max_groups=[0, 0, 0, 0] actions=[0, 0, 0, 0]"),
        (rep(R::Meter(vec![MeterStats { meter_id: 1, ..MeterStats::default() }])), "OFPMP_METER: 1 meters; meter=1 flow_count=0 packet_in_count=0 byte_in_count=0 duration=0s bands=0"),
        (
            rep(R::MeterConfig(vec![MeterConfig { flags: meter_flags::PKTPS, meter_id: 2, bands: vec![MeterBand::Drop { rate: 1, burst_size: 0 }] }])),
            "OFPMP_METER_CONFIG: 1 meters; meter=2,pktps,bands=type=drop,rate=1",
        ),
        (rep(R::MeterFeatures(MeterFeatures { max_meter: 10, ..MeterFeatures::default() })), "OFPMP_METER_FEATURES: max_meter=10 band_types=0x0 capabilities=0x0 max_bands=0 max_color=0"),
        (
            rep(R::TableFeatures(vec![TableFeatures { name: "classifier".into(), max_entries: 1000, ..TableFeatures::default() }])),
            "OFPMP_TABLE_FEATURES: 1 tables; table 0 \"classifier\": max_entries=1000 metadata_match=0x0 metadata_write=0x0 config=0x0 properties=0",
        ),
        (rep(R::PortDesc(vec![port()])), "OFPMP_PORT_DESC: 1 ports; 1(eth1): addr=00:00:00:00:00:00 config=0x0 state=0x0 curr=0x0 speed=10000000kbps max=0kbps"),
        (rep(R::Experimenter { experimenter: 1, exp_type: 2, data: vec![3] }), "OFPMP_EXPERIMENTER: experimenter=0x1 exp_type=2 (1 bytes) 0x03"),
    ];
    for (body, want) in cases {
        let line = format_message(&Message::new(2, body));
        let (_, rest) = line.split_once(": ").unwrap();
        assert_eq!(rest, want);
    }
}

#[test]
fn version_shows_when_not_of13() {
    let mut m = Message::new(1, Body::Hello(Hello::default()));
    m.version = 1;
    assert_eq!(
        format_message(&m),
        "OFPT_HELLO xid=0x1 (version 0x01): no version bitmap"
    );
}

proptest! {
    /// Whatever decodes also formats, without panicking, on one line.
    #[test]
    fn any_decoded_message_formats(typ in 0u8..30, body in proptest::collection::vec(any::<u8>(), 0..96)) {
        let mut bytes = vec![4, typ, 0, 0, 0, 0, 0, 1];
        bytes.extend(body);
        let len = bytes.len() as u16;
        bytes[2..4].copy_from_slice(&len.to_be_bytes());
        if let Ok(m) = Message::decode(&bytes) {
            let line = format_message(&m);
            prop_assert!(line.starts_with("OFPT_") || line.starts_with("ONFT_"));
        }
    }
}
