//! Annotated byte vectors written by hand from the OpenFlow 1.3.5 specification's structure
//! layouts (`ofp_header`, `ofp_match`, `ofp_action_*`, ...), one line per field.
//!
//! Each test decodes the bytes into the exact value spelled out in Rust, encodes that value
//! back into the same bytes, and has `ovs-ofctl ofp-print` (Open vSwitch, the reference peer)
//! decode the bytes without complaint.

mod common;

use ofproto::action::port_no;
use ofproto::msg::{
    flow_flags, group_id, meter_flags, AsyncConfig, Bucket, BundleAdd, BundleControl,
    BundleCtrlType, ErrorMsg, FeaturesReply, FlowMod, FlowModCommand, FlowRemoved, GroupMod,
    GroupModCommand, GroupType, Hello, HelloElement, MeterBand, MeterMod, MeterModCommand,
    PacketIn, PacketOut, PacketQueue, Port, PortStatus, QueueGetConfigReply, QueueProperty, Role,
    RoleMessage, SwitchConfig, OFPG_ANY, OFPTT_ALL, OFP_NO_BUFFER,
};
use ofproto::multipart::{
    FeatureId, FlowStats, FlowStatsRequest, MultipartReply, MultipartReplyBody, MultipartRequest,
    MultipartRequestBody, OxmId, PropValue, TableFeatureProp, TableFeatures,
};
use ofproto::{Action, Body, Instruction, MacAddr, Masked, Match, Message, OxmField};
use std::net::Ipv4Addr;

/// Bytes from annotated hex: `#` starts a comment, whitespace is ignored.
fn hex(s: &str) -> Vec<u8> {
    let digits: String = s
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    assert_eq!(digits.len() % 2, 0, "odd number of hex digits");
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// The bytes decode to `want`, and `want` encodes to the bytes.
#[track_caller]
fn check(vector: &str, want: Message) {
    let bytes = hex(vector);
    assert_eq!(
        u16::from_be_bytes([bytes[2], bytes[3]]) as usize,
        bytes.len(),
        "the vector's header length is wrong"
    );
    let got = Message::decode(&bytes).unwrap_or_else(|e| panic!("decode failed: {e}"));
    assert_eq!(got, want, "decoded value");
    let enc = want.to_bytes().expect("encodes");
    assert_eq!(
        enc.as_ref(),
        &bytes[..],
        "encoded bytes\n got: {:02x?}\nwant: {:02x?}",
        enc.as_ref(),
        &bytes[..]
    );
    let hexs = common::hex(&bytes);
    let run = common::run_ovs_ofctl(&["ofp-print", &hexs], None);
    let text = format!("{}{}", run.stdout, run.stderr);
    /// `ofp_header.type` of OFPT_ERROR.
    const OFPT_ERROR: u8 = 1;
    let problems = common::decode_problems(&text, bytes[1] == OFPT_ERROR, &[]);
    assert!(
        run.status.success() && problems.is_empty(),
        "ovs-ofctl ofp-print {hexs}: {problems:?} (exit {})\n{text}",
        run.status
    );
}

fn mac(s: &str) -> MacAddr {
    s.parse().expect("MAC address")
}

/// A 16-byte output action.
fn output(port: u32) -> Action {
    Action::Output { port, max_len: 0 }
}

// ---------------------------------------------------------------------------------------------

const HELLO: &str = "
    04                  # version 1.3
    00                  # type OFPT_HELLO
    0010                # length 16
    00000001            # xid
    0001                # element type OFPHET_VERSIONBITMAP
    0008                # element length 8
    00000010            # bitmap: bit 4 = OpenFlow 1.3
";

#[test]
fn hello() {
    check(
        HELLO,
        Message::new(
            1,
            Body::Hello(Hello {
                elements: vec![HelloElement::VersionBitmap(vec![0x10])],
            }),
        ),
    );
}

const ERROR: &str = "
    04                  # version
    01                  # type OFPT_ERROR
    0014                # length 20
    00000002            # xid
    0001                # type OFPET_BAD_REQUEST
    0006                # code OFPBRC_BAD_LEN
    04 02 0008 00000005 # data: the offending request (an ECHO_REQUEST, xid 5)
";

#[test]
fn error() {
    check(
        ERROR,
        Message::new(
            2,
            Body::Error(ErrorMsg::Standard {
                typ: 1,
                code: 6,
                data: vec![0x04, 0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05],
            }),
        ),
    );
}

const ERROR_EXPERIMENTER: &str = "
    04                  # version
    01                  # type OFPT_ERROR
    0018                # length 24
    00000003            # xid
    ffff                # type OFPET_EXPERIMENTER
    0010                # exp_type 16
    00002320            # experimenter (Nicira)
    04 02 0008 00000003 # data: the offending request (an ECHO_REQUEST, xid 3)
";

#[test]
fn error_experimenter() {
    check(
        ERROR_EXPERIMENTER,
        Message::new(
            3,
            Body::Error(ErrorMsg::Experimenter {
                exp_type: 16,
                experimenter: 0x2320,
                data: vec![0x04, 0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03],
            }),
        ),
    );
}

const ECHO_REQUEST: &str = "
    04                  # version
    02                  # type OFPT_ECHO_REQUEST
    000c                # length 12
    00000003            # xid
    61626364            # arbitrary payload \"abcd\"
";

#[test]
fn echo_request() {
    check(
        ECHO_REQUEST,
        Message::new(3, Body::EchoRequest(b"abcd".to_vec())),
    );
}

const ECHO_REPLY: &str = "
    04                  # version
    03                  # type OFPT_ECHO_REPLY
    0008                # length 8
    00000003            # xid
";

#[test]
fn echo_reply() {
    check(ECHO_REPLY, Message::new(3, Body::EchoReply(vec![])));
}

const FEATURES_REQUEST: &str = "
    04                  # version
    05                  # type OFPT_FEATURES_REQUEST
    0008                # length 8
    0000000a            # xid
";

#[test]
fn features_request() {
    check(FEATURES_REQUEST, Message::new(10, Body::FeaturesRequest));
}

const FEATURES_REPLY: &str = "
    04                  # version
    06                  # type OFPT_FEATURES_REPLY
    0020                # length 32
    0000000a            # xid
    0000000000000abc    # datapath_id
    00000100            # n_buffers 256
    fe                  # n_tables 254
    00                  # auxiliary_id
    0000                # pad
    0000004f            # capabilities: FLOW|TABLE|PORT|GROUP_STATS, QUEUE_STATS
    00000000            # reserved
";

#[test]
fn features_reply() {
    check(
        FEATURES_REPLY,
        Message::new(
            10,
            Body::FeaturesReply(FeaturesReply {
                datapath_id: 0xabc,
                n_buffers: 256,
                n_tables: 254,
                auxiliary_id: 0,
                capabilities: 0x4f,
                reserved: 0,
            }),
        ),
    );
}

const SET_CONFIG: &str = "
    04                  # version
    09                  # type OFPT_SET_CONFIG
    000c                # length 12
    0000000b            # xid
    0000                # flags OFPC_FRAG_NORMAL
    0080                # miss_send_len 128
";

#[test]
fn set_config() {
    check(
        SET_CONFIG,
        Message::new(
            11,
            Body::SetConfig(SwitchConfig {
                flags: 0,
                miss_send_len: 128,
            }),
        ),
    );
}

const PACKET_IN: &str = "
    04                  # version
    0a                  # type OFPT_PACKET_IN
    0038                # length 56
    0000000c            # xid
    ffffffff            # buffer_id OFP_NO_BUFFER
    000e                # total_len 14
    01                  # reason OFPR_ACTION
    00                  # table_id
    0000000000000000    # cookie
    0001                # match type OFPMT_OXM
    000c                # match length 12
    80000004 00000001   #   OXM_OF_IN_PORT = 1
    00000000            # match padding to 16
    0000                # pad
    ffffffffffff        # frame: eth_dst
    000000000001        #        eth_src
    0806                #        eth_type ARP
";

#[test]
fn packet_in() {
    check(
        PACKET_IN,
        Message::new(
            12,
            Body::PacketIn(PacketIn {
                buffer_id: OFP_NO_BUFFER,
                total_len: 14,
                reason: 1,
                table_id: 0,
                cookie: 0,
                r#match: Match::new().with(OxmField::InPort(1)),
                data: hex("ffffffffffff 000000000001 0806"),
            }),
        ),
    );
}

const FLOW_REMOVED: &str = "
    04                  # version
    0b                  # type OFPT_FLOW_REMOVED
    0040                # length 64
    0000000d            # xid
    0000000000000064    # cookie
    8000                # priority
    00                  # reason OFPRR_IDLE_TIMEOUT
    00                  # table_id
    0000000a            # duration_sec 10
    000f4240            # duration_nsec 1000000
    003c                # idle_timeout 60
    0000                # hard_timeout
    000000000000000a    # packet_count 10
    0000000000000384    # byte_count 900
    0001                # match type OFPMT_OXM
    000a                # match length 10
    80000a02 0800       #   OXM_OF_ETH_TYPE = 0x0800
    000000000000        # match padding to 16
";

#[test]
fn flow_removed() {
    check(
        FLOW_REMOVED,
        Message::new(
            13,
            Body::FlowRemoved(FlowRemoved {
                cookie: 100,
                priority: 0x8000,
                reason: 0,
                table_id: 0,
                duration_sec: 10,
                duration_nsec: 1_000_000,
                idle_timeout: 60,
                hard_timeout: 0,
                packet_count: 10,
                byte_count: 900,
                r#match: Match::new().with(OxmField::EthType(0x0800)),
            }),
        ),
    );
}

const PORT_STATUS: &str = "
    04                  # version
    0c                  # type OFPT_PORT_STATUS
    0050                # length 80
    0000000e            # xid
    00                  # reason OFPPR_ADD
    00000000000000      # pad
    00000001            # port_no 1
    00000000            # pad
    001122334455        # hw_addr
    0000                # pad
    65746831 00000000 00000000 00000000  # name \"eth1\", NUL-padded to 16
    00000000            # config
    00000004            # state OFPPS_LIVE
    00002840            # curr: 10GB_FD | COPPER | AUTONEG
    00000000            # advertised
    00000000            # supported
    00000000            # peer
    00989680            # curr_speed 10000000 kbps
    00989680            # max_speed 10000000 kbps
";

fn eth1() -> Port {
    Port {
        port_no: 1,
        hw_addr: mac("00:11:22:33:44:55"),
        name: "eth1".into(),
        config: 0,
        state: 4,
        curr: 0x2840,
        advertised: 0,
        supported: 0,
        peer: 0,
        curr_speed: 10_000_000,
        max_speed: 10_000_000,
    }
}

#[test]
fn port_status() {
    check(
        PORT_STATUS,
        Message::new(
            14,
            Body::PortStatus(PortStatus {
                reason: 0,
                desc: eth1(),
            }),
        ),
    );
}

const PACKET_OUT: &str = "
    04                  # version
    0d                  # type OFPT_PACKET_OUT
    0036                # length 54
    0000000f            # xid
    ffffffff            # buffer_id OFP_NO_BUFFER
    fffffffd            # in_port OFPP_CONTROLLER
    0010                # actions_len 16
    000000000000        # pad
    0000                # action type OFPAT_OUTPUT
    0010                # action length 16
    fffffffb            #   port OFPP_FLOOD
    0000                #   max_len
    000000000000        #   pad
    ffffffffffff        # frame: eth_dst
    000000000001        #        eth_src
    0806                #        eth_type ARP
";

#[test]
fn packet_out() {
    check(
        PACKET_OUT,
        Message::new(
            15,
            Body::PacketOut(PacketOut {
                buffer_id: OFP_NO_BUFFER,
                in_port: port_no::CONTROLLER,
                actions: vec![output(port_no::FLOOD)],
                data: hex("ffffffffffff 000000000001 0806"),
            }),
        ),
    );
}

const FLOW_MOD: &str = "
    04                  # version
    0e                  # type OFPT_FLOW_MOD
    0090                # length 144
    00000010            # xid
    0000000000001234    # cookie
    0000000000000000    # cookie_mask
    00                  # table_id
    00                  # command OFPFC_ADD
    000a                # idle_timeout 10
    0000                # hard_timeout
    0064                # priority 100
    ffffffff            # buffer_id OFP_NO_BUFFER
    ffffffff            # out_port OFPP_ANY
    ffffffff            # out_group OFPG_ANY
    0001                # flags OFPFF_SEND_FLOW_REM
    0000                # pad
    0001                # match type OFPMT_OXM
    0016                # match length 22
    80000a02 0800       #   OXM_OF_ETH_TYPE = 0x0800
    80001708            #   OXM_OF_IPV4_SRC_W (hasmask, length 8)
    0a000000 ffffff00   #     10.0.0.0/255.255.255.0
    0000                # match padding to 24
    0004                # instruction OFPIT_APPLY_ACTIONS
    0028                # instruction length 40
    00000000            #   pad
    0019                #   action OFPAT_SET_FIELD
    0010                #   action length 16
    80000606            #     OXM_OF_ETH_DST (length 6)
    001122334455        #     00:11:22:33:44:55
    0000                #     padding to 16
    0000                #   action OFPAT_OUTPUT
    0010                #   action length 16
    00000002            #     port 2
    0000                #     max_len
    000000000000        #     pad
    0002                # instruction OFPIT_WRITE_METADATA
    0018                # instruction length 24
    00000000            #   pad
    0000000000000001    #   metadata
    00000000000000ff    #   metadata_mask
    0001                # instruction OFPIT_GOTO_TABLE
    0008                # instruction length 8
    01                  #   table_id 1
    000000              #   pad
";

#[test]
fn flow_mod() {
    check(
        FLOW_MOD,
        Message::new(
            16,
            Body::FlowMod(FlowMod {
                cookie: 0x1234,
                cookie_mask: 0,
                table_id: 0,
                command: FlowModCommand::Add,
                idle_timeout: 10,
                hard_timeout: 0,
                priority: 100,
                buffer_id: OFP_NO_BUFFER,
                out_port: port_no::ANY,
                out_group: OFPG_ANY,
                flags: flow_flags::SEND_FLOW_REM,
                r#match: Match::new()
                    .with(OxmField::EthType(0x0800))
                    .with(OxmField::Ipv4Src(Masked::new(
                        Ipv4Addr::new(10, 0, 0, 0),
                        Ipv4Addr::new(255, 255, 255, 0),
                    ))),
                instructions: vec![
                    Instruction::ApplyActions(vec![
                        Action::SetField(OxmField::EthDst(Masked::exact(mac("00:11:22:33:44:55")))),
                        output(2),
                    ]),
                    Instruction::WriteMetadata {
                        metadata: 1,
                        mask: 0xff,
                    },
                    Instruction::GotoTable(1),
                ],
            }),
        ),
    );
}

const GROUP_MOD: &str = "
    04                  # version
    0f                  # type OFPT_GROUP_MOD
    0050                # length 80
    00000011            # xid
    0000                # command OFPGC_ADD
    01                  # type OFPGT_SELECT
    00                  # pad
    00000001            # group_id 1
    0020                # bucket length 32
    0032                #   weight 50
    ffffffff            #   watch_port OFPP_ANY
    ffffffff            #   watch_group OFPG_ANY
    00000000            #   pad
    0000 0010           #   action OFPAT_OUTPUT, length 16
    00000001 0000       #     port 1, max_len 0
    000000000000        #     pad
    0020                # bucket length 32
    0032                #   weight 50
    ffffffff            #   watch_port OFPP_ANY
    ffffffff            #   watch_group OFPG_ANY
    00000000            #   pad
    0000 0010           #   action OFPAT_OUTPUT, length 16
    00000002 0000       #     port 2, max_len 0
    000000000000        #     pad
";

#[test]
fn group_mod() {
    let bucket = |port| Bucket {
        weight: 50,
        watch_port: port_no::ANY,
        watch_group: group_id::ANY,
        actions: vec![output(port)],
    };
    check(
        GROUP_MOD,
        Message::new(
            17,
            Body::GroupMod(GroupMod {
                command: GroupModCommand::Add,
                group_type: GroupType::Select,
                group_id: 1,
                buckets: vec![bucket(1), bucket(2)],
            }),
        ),
    );
}

const METER_MOD: &str = "
    04                  # version
    1d                  # type OFPT_METER_MOD
    0030                # length 48
    00000012            # xid
    0000                # command OFPMC_ADD
    0005                # flags OFPMF_KBPS | OFPMF_BURST
    00000001            # meter_id 1
    0001                # band type OFPMBT_DROP
    0010                # band length 16
    00002710            #   rate 10000
    000003e8            #   burst_size 1000
    00000000            #   pad
    0002                # band type OFPMBT_DSCP_REMARK
    0010                # band length 16
    00004e20            #   rate 20000
    000007d0            #   burst_size 2000
    01                  #   prec_level 1
    000000              #   pad
";

#[test]
fn meter_mod() {
    check(
        METER_MOD,
        Message::new(
            18,
            Body::MeterMod(MeterMod {
                command: MeterModCommand::Add,
                flags: meter_flags::KBPS | meter_flags::BURST,
                meter_id: 1,
                bands: vec![
                    MeterBand::Drop {
                        rate: 10_000,
                        burst_size: 1000,
                    },
                    MeterBand::DscpRemark {
                        rate: 20_000,
                        burst_size: 2000,
                        prec_level: 1,
                    },
                ],
            }),
        ),
    );
}

const FLOW_STATS_REQUEST: &str = "
    04                  # version
    12                  # type OFPT_MULTIPART_REQUEST
    0038                # length 56
    00000013            # xid
    0001                # multipart type OFPMP_FLOW
    0000                # flags
    00000000            # pad
    ff                  # table_id OFPTT_ALL
    000000              # pad
    ffffffff            # out_port OFPP_ANY
    ffffffff            # out_group OFPG_ANY
    00000000            # pad
    0000000000000000    # cookie
    0000000000000000    # cookie_mask
    0001                # match type OFPMT_OXM
    0004                # match length 4 (no fields)
    00000000            # match padding to 8
";

#[test]
fn multipart_flow_request() {
    check(
        FLOW_STATS_REQUEST,
        Message::new(
            19,
            Body::MultipartRequest(MultipartRequest::new(MultipartRequestBody::Flow(
                FlowStatsRequest {
                    table_id: OFPTT_ALL,
                    out_port: port_no::ANY,
                    out_group: OFPG_ANY,
                    cookie: 0,
                    cookie_mask: 0,
                    r#match: Match::new(),
                },
            ))),
        ),
    );
}

const FLOW_STATS_REPLY: &str = "
    04                  # version
    13                  # type OFPT_MULTIPART_REPLY
    0068                # length 104
    00000013            # xid
    0001                # multipart type OFPMP_FLOW
    0000                # flags
    00000000            # pad
    0058                # flow stats length 88
    00                  #   table_id
    00                  #   pad
    0000001e            #   duration_sec 30
    00000000            #   duration_nsec
    8000                #   priority
    0000                #   idle_timeout
    0000                #   hard_timeout
    0000                #   flags
    00000000            #   pad
    0000000000000000    #   cookie
    0000000000000005    #   packet_count 5
    00000000000001f4    #   byte_count 500
    0001 000c           #   match type OFPMT_OXM, length 12
    80000004 00000001   #     OXM_OF_IN_PORT = 1
    00000000            #   match padding to 16
    0004 0018           #   instruction OFPIT_APPLY_ACTIONS, length 24
    00000000            #     pad
    0000 0010           #     action OFPAT_OUTPUT, length 16
    00000002 0000       #       port 2, max_len 0
    000000000000        #       pad
";

#[test]
fn multipart_flow_reply() {
    check(
        FLOW_STATS_REPLY,
        Message::new(
            19,
            Body::MultipartReply(MultipartReply::new(MultipartReplyBody::Flow(vec![
                FlowStats {
                    table_id: 0,
                    duration_sec: 30,
                    duration_nsec: 0,
                    priority: 0x8000,
                    idle_timeout: 0,
                    hard_timeout: 0,
                    flags: 0,
                    cookie: 0,
                    packet_count: 5,
                    byte_count: 500,
                    r#match: Match::new().with(OxmField::InPort(1)),
                    instructions: vec![Instruction::ApplyActions(vec![output(2)])],
                },
            ]))),
        ),
    );
}

const PORT_DESC_REPLY: &str = "
    04                  # version
    13                  # type OFPT_MULTIPART_REPLY
    0090                # length 144
    00000014            # xid
    000d                # multipart type OFPMP_PORT_DESC
    0000                # flags
    00000000            # pad
    00000001            # port_no 1
    00000000            #   pad
    001122334455        #   hw_addr
    0000                #   pad
    65746831 00000000 00000000 00000000  # name \"eth1\"
    00000000            #   config
    00000004            #   state OFPPS_LIVE
    00002840            #   curr: 10GB_FD | COPPER | AUTONEG
    00000000            #   advertised
    00000000            #   supported
    00000000            #   peer
    00989680            #   curr_speed
    00989680            #   max_speed
    fffffffe            # port_no OFPP_LOCAL
    00000000            #   pad
    0a0000000001        #   hw_addr
    0000                #   pad
    62723000 00000000 00000000 00000000  # name \"br0\"
    00000001            #   config OFPPC_PORT_DOWN
    00000001            #   state OFPPS_LINK_DOWN
    00000000            #   curr
    00000000            #   advertised
    00000000            #   supported
    00000000            #   peer
    00000000            #   curr_speed
    00000000            #   max_speed
";

#[test]
fn multipart_port_desc_reply() {
    let local = Port {
        port_no: port_no::LOCAL,
        hw_addr: mac("0a:00:00:00:00:01"),
        name: "br0".into(),
        config: 1,
        state: 1,
        ..Port::default()
    };
    check(
        PORT_DESC_REPLY,
        Message::new(
            20,
            Body::MultipartReply(MultipartReply::new(MultipartReplyBody::PortDesc(vec![
                eth1(),
                local,
            ]))),
        ),
    );
}

const TABLE_FEATURES_REPLY: &str = "
    04                  # version
    13                  # type OFPT_MULTIPART_REPLY
    00b8                # length 184
    00000015            # xid
    000c                # multipart type OFPMP_TABLE_FEATURES
    0000                # flags
    00000000            # pad
    00a8                # table features length 168
    00                  #   table_id 0
    0000000000          #   pad
    636c6173 73696669 65720000 00000000  # name \"classifier\"
    00000000 00000000 00000000 00000000  #   (NUL padding to 32)
    ffffffffffffffff    #   metadata_match
    ffffffffffffffff    #   metadata_write
    00000000            #   config
    000f4240            #   max_entries 1000000
    0000 000c           #   property OFPTFPT_INSTRUCTIONS, length 12
    0001 0004           #     OFPIT_GOTO_TABLE
    0004 0004           #     OFPIT_APPLY_ACTIONS
    00000000            #     padding to 16
    0002 0007           #   property OFPTFPT_NEXT_TABLES, length 7
    010203              #     tables 1, 2, 3
    00                  #     padding to 8
    0004 0008           #   property OFPTFPT_WRITE_ACTIONS, length 8
    0000 0004           #     OFPAT_OUTPUT
    0006 0010           #   property OFPTFPT_APPLY_ACTIONS, length 16
    0000 0004           #     OFPAT_OUTPUT
    0011 0004           #     OFPAT_PUSH_VLAN
    0012 0004           #     OFPAT_POP_VLAN
    0008 000c           #   property OFPTFPT_MATCH, length 12
    80000004            #     OXM_OF_IN_PORT
    80000606            #     OXM_OF_ETH_DST
    00000000            #     padding to 16
    000a 0008           #   property OFPTFPT_WILDCARDS, length 8
    80000606            #     OXM_OF_ETH_DST
    000c 0008           #   property OFPTFPT_WRITE_SETFIELD, length 8
    80000606            #     OXM_OF_ETH_DST
    000e 0008           #   property OFPTFPT_APPLY_SETFIELD, length 8
    80000606            #     OXM_OF_ETH_DST
    fffe 000c           #   property OFPTFPT_EXPERIMENTER, length 12
    00002320            #     experimenter (Nicira)
    00000001            #     exp_type 1
    00000000            #     padding to 16
";

#[test]
fn multipart_table_features_reply() {
    let ids = |types: &[u16]| -> Vec<FeatureId> {
        types
            .iter()
            .map(|&typ| FeatureId { typ, data: vec![] })
            .collect()
    };
    let oxm = |header| OxmId {
        header,
        experimenter: None,
    };
    let prop = |typ, value| TableFeatureProp { typ, value };
    check(
        TABLE_FEATURES_REPLY,
        Message::new(
            21,
            Body::MultipartReply(MultipartReply::new(MultipartReplyBody::TableFeatures(
                vec![TableFeatures {
                    table_id: 0,
                    name: "classifier".into(),
                    metadata_match: u64::MAX,
                    metadata_write: u64::MAX,
                    config: 0,
                    max_entries: 1_000_000,
                    properties: vec![
                        prop(0, PropValue::Instructions(ids(&[1, 4]))),
                        prop(2, PropValue::NextTables(vec![1, 2, 3])),
                        prop(4, PropValue::Actions(ids(&[0]))),
                        prop(6, PropValue::Actions(ids(&[0, 0x11, 0x12]))),
                        prop(8, PropValue::Oxms(vec![oxm(0x8000_0004), oxm(0x8000_0606)])),
                        prop(10, PropValue::Oxms(vec![oxm(0x8000_0606)])),
                        prop(12, PropValue::Oxms(vec![oxm(0x8000_0606)])),
                        prop(14, PropValue::Oxms(vec![oxm(0x8000_0606)])),
                        prop(0xfffe, PropValue::Raw(hex("00002320 00000001"))),
                    ],
                }],
            ))),
        ),
    );
}

const ROLE_REQUEST: &str = "
    04                  # version
    18                  # type OFPT_ROLE_REQUEST
    0018                # length 24
    00000016            # xid
    00000002            # role OFPCR_ROLE_MASTER
    00000000            # pad
    0000000000000001    # generation_id
";

#[test]
fn role_request() {
    check(
        ROLE_REQUEST,
        Message::new(
            22,
            Body::RoleRequest(RoleMessage {
                role: Role::Master,
                generation_id: 1,
            }),
        ),
    );
}

const SET_ASYNC: &str = "
    04                  # version
    1c                  # type OFPT_SET_ASYNC
    0020                # length 32
    00000017            # xid
    00000007            # packet_in_mask[master/equal]: NO_MATCH | ACTION | INVALID_TTL
    00000000            # packet_in_mask[slave]
    00000007            # port_status_mask[master/equal]: ADD | DELETE | MODIFY
    00000007            # port_status_mask[slave]
    0000000f            # flow_removed_mask[master/equal]: IDLE | HARD | DELETE | GROUP_DELETE
    00000000            # flow_removed_mask[slave]
";

#[test]
fn set_async() {
    check(
        SET_ASYNC,
        Message::new(
            23,
            Body::SetAsync(AsyncConfig {
                packet_in_mask: [7, 0],
                port_status_mask: [7, 7],
                flow_removed_mask: [0xf, 0],
            }),
        ),
    );
}

const QUEUE_GET_CONFIG_REPLY: &str = "
    04                  # version
    17                  # type OFPT_QUEUE_GET_CONFIG_REPLY
    0040                # length 64
    00000018            # xid
    00000001            # port 1
    00000000            # pad
    00000001            # queue_id 1
    00000001            #   port 1
    0030                #   length 48
    000000000000        #   pad
    0001 0010           #   property OFPQT_MIN_RATE, length 16
    00000000            #     pad
    01f4                #     rate 500 (50.0%)
    000000000000        #     pad
    0002 0010           #   property OFPQT_MAX_RATE, length 16
    00000000            #     pad
    03e8                #     rate 1000 (100.0%)
    000000000000        #     pad
";

#[test]
fn queue_get_config_reply() {
    check(
        QUEUE_GET_CONFIG_REPLY,
        Message::new(
            24,
            Body::QueueGetConfigReply(QueueGetConfigReply {
                port: 1,
                queues: vec![PacketQueue {
                    queue_id: 1,
                    port: 1,
                    properties: vec![QueueProperty::MinRate(500), QueueProperty::MaxRate(1000)],
                }],
            }),
        ),
    );
}

const BUNDLE_CONTROL: &str = "
    04                  # version
    04                  # type OFPT_EXPERIMENTER
    0018                # length 24
    00000019            # xid
    4f4e4600            # experimenter ONF_EXPERIMENTER_ID
    000008fc            # exp_type ONFT_BUNDLE_CONTROL (2300)
    00000001            # bundle_id 1
    0000                # type OFPBCT_OPEN_REQUEST
    0001                # flags OFPBF_ATOMIC
";

#[test]
fn bundle_control() {
    check(
        BUNDLE_CONTROL,
        Message::new(
            25,
            Body::BundleControl(BundleControl {
                bundle_id: 1,
                typ: BundleCtrlType::OpenRequest,
                flags: 1,
                properties: vec![],
            }),
        ),
    );
}

const BUNDLE_ADD: &str = "
    04                  # version
    04                  # type OFPT_EXPERIMENTER
    0050                # length 80
    0000001a            # xid
    4f4e4600            # experimenter ONF_EXPERIMENTER_ID
    000008fd            # exp_type ONFT_BUNDLE_ADD_MESSAGE (2301)
    00000001            # bundle_id 1
    0000                # pad
    0001                # flags OFPBF_ATOMIC
    04                  # message: version
    0e                  #   type OFPT_FLOW_MOD
    0038                #   length 56
    0000001a            #   xid (the same as the bundle's)
    0000000000000000    #   cookie
    0000000000000000    #   cookie_mask
    ff                  #   table_id OFPTT_ALL
    03                  #   command OFPFC_DELETE
    0000                #   idle_timeout
    0000                #   hard_timeout
    0000                #   priority
    ffffffff            #   buffer_id OFP_NO_BUFFER
    ffffffff            #   out_port OFPP_ANY
    ffffffff            #   out_group OFPG_ANY
    0000                #   flags
    0000                #   pad
    0001 0004           #   match type OFPMT_OXM, length 4
    00000000            #   match padding to 8
";

#[test]
fn bundle_add() {
    let delete_all = FlowMod {
        table_id: OFPTT_ALL,
        command: FlowModCommand::Delete,
        priority: 0,
        ..FlowMod::add(0, 0, Match::new(), vec![])
    };
    check(
        BUNDLE_ADD,
        Message::new(
            26,
            Body::BundleAdd(BundleAdd {
                bundle_id: 1,
                flags: 1,
                message: Box::new(Message::new(26, Body::FlowMod(delete_all))),
                trailer: vec![],
            }),
        ),
    );
}

const BARRIER_REQUEST: &str = "
    04                  # version
    14                  # type OFPT_BARRIER_REQUEST
    0008                # length 8
    0000001b            # xid
";

#[test]
fn barrier_request() {
    check(BARRIER_REQUEST, Message::new(27, Body::BarrierRequest));
}

const PORT_STATS_REQUEST: &str = "
    04                  # version
    12                  # type OFPT_MULTIPART_REQUEST
    0018                # length 24
    0000001c            # xid
    0004                # multipart type OFPMP_PORT_STATS
    0000                # flags
    00000000            # pad
    ffffffff            # port_no OFPP_ANY
    00000000            # pad
";

#[test]
fn multipart_port_stats_request() {
    check(
        PORT_STATS_REQUEST,
        Message::new(
            28,
            Body::MultipartRequest(MultipartRequest::new(MultipartRequestBody::PortStats(
                port_no::ANY,
            ))),
        ),
    );
}

/// Every vector above, for the cross-check with `ovs-ofctl` and for completeness checks.
const ALL: &[(&str, &str)] = &[
    ("HELLO", HELLO),
    ("ERROR", ERROR),
    ("ERROR_EXPERIMENTER", ERROR_EXPERIMENTER),
    ("ECHO_REQUEST", ECHO_REQUEST),
    ("ECHO_REPLY", ECHO_REPLY),
    ("FEATURES_REQUEST", FEATURES_REQUEST),
    ("FEATURES_REPLY", FEATURES_REPLY),
    ("SET_CONFIG", SET_CONFIG),
    ("PACKET_IN", PACKET_IN),
    ("FLOW_REMOVED", FLOW_REMOVED),
    ("PORT_STATUS", PORT_STATUS),
    ("PACKET_OUT", PACKET_OUT),
    ("FLOW_MOD", FLOW_MOD),
    ("GROUP_MOD", GROUP_MOD),
    ("METER_MOD", METER_MOD),
    ("FLOW_STATS_REQUEST", FLOW_STATS_REQUEST),
    ("FLOW_STATS_REPLY", FLOW_STATS_REPLY),
    ("PORT_DESC_REPLY", PORT_DESC_REPLY),
    ("TABLE_FEATURES_REPLY", TABLE_FEATURES_REPLY),
    ("ROLE_REQUEST", ROLE_REQUEST),
    ("SET_ASYNC", SET_ASYNC),
    ("QUEUE_GET_CONFIG_REPLY", QUEUE_GET_CONFIG_REPLY),
    ("BUNDLE_CONTROL", BUNDLE_CONTROL),
    ("BUNDLE_ADD", BUNDLE_ADD),
    ("BARRIER_REQUEST", BARRIER_REQUEST),
    ("PORT_STATS_REQUEST", PORT_STATS_REQUEST),
];

/// All vectors concatenated form a valid stream.
#[test]
fn all_vectors_frame_as_one_stream() {
    let stream: Vec<u8> = ALL.iter().flat_map(|(_, v)| hex(v)).collect();
    let frames: Vec<&[u8]> = ofproto::codec::frames(&stream)
        .map(|f| f.expect("whole frames"))
        .collect();
    assert_eq!(frames.len(), ALL.len());
    for ((name, v), f) in ALL.iter().zip(frames) {
        assert_eq!(f, &hex(v)[..], "{name}");
        Message::decode(f).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
