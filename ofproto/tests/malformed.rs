//! Bad input gets a precise error (message type, offset, reason), never a panic.

mod strategies;

use bytes::BytesMut;
use ofproto::codec::{BadFrame, CodecError, OfCodec};
use ofproto::msg::{error_name, error_type, error_type_name, ErrorMsg};
use ofproto::{DecodeError, DecodeErrorKind, Field, Message, MsgType, Part, Reason};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use strategies::{any_message, one_of_each_variant, variant_name};
use tokio_util::codec::Decoder;

/// Bytes from hex text; whitespace and `#` comments are ignored.
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

/// A message with a correct header (version 4, xid 0x12345678) around `body`.
fn msg(typ: u8, body: &[u8]) -> Vec<u8> {
    msg_v(4, typ, body)
}

fn msg_v(version: u8, typ: u8, body: &[u8]) -> Vec<u8> {
    let len = (8 + body.len()) as u16;
    let mut v = vec![version, typ];
    v.extend(len.to_be_bytes());
    v.extend(0x1234_5678u32.to_be_bytes());
    v.extend(body);
    v
}

/// Decodes `bytes`, expects exactly this error, checks that the text names the message type,
/// and that the framing codec reports the same error with the whole frame.
#[track_caller]
fn expect_err(bytes: &[u8], msg_type: Option<u8>, offset: usize, reason: Reason) -> DecodeError {
    let e = Message::decode(bytes).expect_err("decoding must fail");
    assert_eq!(
        (e.msg_type, e.offset, &e.reason),
        (msg_type, offset, &reason),
        "for bytes {bytes:02x?}"
    );
    let text = e.to_string();
    match msg_type {
        Some(t) => assert!(
            text.starts_with(&format!("{}: at offset {offset}: ", MsgType::name_of(t))),
            "{text}"
        ),
        None => assert!(text.starts_with("OpenFlow message: "), "{text}"),
    }
    // A complete frame (header length >= 8 and matching) gives the same error from the codec.
    if bytes.len() >= 8 && u16::from_be_bytes([bytes[2], bytes[3]]) as usize == bytes.len() {
        let mut buf = BytesMut::from(bytes);
        match OfCodec.decode(&mut buf) {
            Ok(Some(Err(BadFrame { error, frame }))) => {
                assert_eq!(error, e);
                assert_eq!(&frame[..], bytes);
            }
            other => panic!("codec gave {other:?}"),
        }
    }
    e
}

fn bad_len(what: &'static str, len: usize) -> Reason {
    Reason::BadLength { what, len }
}

fn bad_value(what: Field, value: u64) -> Reason {
    Reason::BadValue { what, value }
}

const FLOW_MOD: u8 = MsgType::FlowMod as u8;
const PACKET_OUT: u8 = MsgType::PacketOut as u8;
const GROUP_MOD: u8 = MsgType::GroupMod as u8;
const EXPERIMENTER: u8 = MsgType::Experimenter as u8;
const MP_REQUEST: u8 = MsgType::MultipartRequest as u8;
const MP_REPLY: u8 = MsgType::MultipartReply as u8;

/// The 40 fixed bytes of a FLOW_MOD body with the given command; the match starts at
/// message offset 48 and the command is at offset 25.
fn flow_mod_fixed(command: u8) -> Vec<u8> {
    let mut v = hex("
        0000000000000001    # cookie
        0000000000000000    # cookie_mask
        00                  # table_id
    ");
    v.push(command); // command (offset 25)
    v.extend(hex("
        0000 0000           # idle_timeout, hard_timeout
        8000                # priority
        ffffffff            # buffer_id
        ffffffff ffffffff   # out_port, out_group
        0000 0000           # flags, pad
    "));
    v
}

/// An empty OXM match (message offsets 48..56 in a FLOW_MOD).
const EMPTY_MATCH: &str = "0001 0004 00000000";

/// A FLOW_MOD (ADD, empty match) followed by raw instruction bytes at offset 56.
fn flow_mod_with_instructions(instructions: &str) -> Vec<u8> {
    let mut body = flow_mod_fixed(0);
    body.extend(hex(EMPTY_MATCH));
    body.extend(hex(instructions));
    msg(FLOW_MOD, &body)
}

/// A PACKET_OUT with the given actions_len (offset 16) and action bytes from offset 24.
fn packet_out(actions_len: u16, actions: &str) -> Vec<u8> {
    let mut body = hex("ffffffff fffffffd");
    body.extend(actions_len.to_be_bytes());
    body.extend([0; 6]);
    body.extend(hex(actions));
    msg(PACKET_OUT, &body)
}

/// A bundle add (ONF experimenter, type 2301) around an embedded message at offset 24.
fn bundle_add(inner: &[u8]) -> Vec<u8> {
    let mut body = hex("
        4f4e4600    # experimenter ONF
        000008fd    # exp_type 2301 (ONFT_BUNDLE_ADD_MESSAGE)
        00000007    # bundle_id
        0000 0001   # pad, flags ATOMIC
    ");
    body.extend(inner);
    msg(EXPERIMENTER, &body)
}

// ---------------------------------------------------------------------------------------------
// Header

#[test]
fn header_shorter_than_8_bytes() {
    let full = msg(MsgType::EchoRequest as u8, &[]);
    expect_err(
        &[],
        None,
        0,
        Reason::Truncated {
            what: "header",
            need: 1,
            have: 0,
        },
    );
    expect_err(
        &full[..1],
        None,
        1,
        Reason::Truncated {
            what: "header",
            need: 1,
            have: 0,
        },
    );
    expect_err(
        &full[..3],
        Some(2),
        2,
        Reason::Truncated {
            what: "header",
            need: 2,
            have: 1,
        },
    );
    expect_err(
        &full[..7],
        Some(2),
        4,
        Reason::Truncated {
            what: "header",
            need: 4,
            have: 3,
        },
    );
}

#[test]
fn header_length_below_8() {
    for len in [0u16, 4, 7] {
        let mut b = msg(MsgType::Hello as u8, &[]);
        b[2..4].copy_from_slice(&len.to_be_bytes());
        let e = expect_err(&b, Some(0), 2, bad_len("message", len as usize));
        assert!(e.to_string().contains("OFPT_HELLO"));
        // The stream cannot be resynchronised: the codec refuses the header.
        let mut buf = BytesMut::from(&b[..]);
        assert!(matches!(
            OfCodec.decode(&mut buf),
            Err(CodecError::BadLength(l)) if l == len as usize
        ));
    }
}

#[test]
fn header_length_disagrees_with_buffer() {
    let mut b = msg(MsgType::EchoRequest as u8, &[1, 2, 3, 4]);
    // Says 12, buffer holds 10.
    expect_err(&b[..10], Some(2), 2, bad_len("message", 12));
    // Says 8, buffer holds 12.
    b[2..4].copy_from_slice(&8u16.to_be_bytes());
    let e = expect_err(&b, Some(2), 2, bad_len("message", 8));
    assert!(e.to_string().contains("OFPT_ECHO_REQUEST"));
}

#[test]
fn wrong_version_for_non_hello() {
    let b = msg_v(0x01, MsgType::FeaturesRequest as u8, &[]);
    let e = expect_err(&b, Some(5), 0, Reason::BadVersion(1));
    assert_eq!(
        e.to_string(),
        "OFPT_FEATURES_REQUEST: at offset 0: unsupported OpenFlow version 0x01"
    );
    let mut body = flow_mod_fixed(0);
    body.extend(hex(EMPTY_MATCH));
    expect_err(
        &msg_v(0x05, FLOW_MOD, &body),
        Some(FLOW_MOD),
        0,
        Reason::BadVersion(5),
    );
    // HELLO and ERROR of another version are accepted (version negotiation needs them).
    let hello = Message::decode(&msg_v(0x01, 0, &[])).expect("an OpenFlow 1.0 HELLO decodes");
    assert_eq!(hello.version, 1);
    let error = Message::decode(&msg_v(0x06, 1, &hex("0000 0000"))).expect("ERROR decodes");
    assert_eq!(error.version, 6);
}

#[test]
fn unknown_message_type() {
    for t in [30u8, 36, 0xff] {
        let e = expect_err(
            &msg(t, &[]),
            Some(t),
            1,
            bad_value(Field::MessageType, t as u64),
        );
        assert!(e.to_string().starts_with(&format!("OFPT_{t}: at offset 1")));
    }
}

// ---------------------------------------------------------------------------------------------
// Matches and OXM

#[test]
fn bad_match_type() {
    let mut body = flow_mod_fixed(0);
    body.extend(hex("0000 0004 00000000")); // OFPMT_STANDARD (0), not OXM
    let e = expect_err(
        &msg(FLOW_MOD, &body),
        Some(FLOW_MOD),
        48,
        bad_value(Field::MatchType, 0),
    );
    assert!(e.to_string().contains("OFPT_FLOW_MOD"), "{e}");
}

#[test]
fn match_length_below_4_or_beyond_message() {
    let mut body = flow_mod_fixed(0);
    body.extend(hex("0001 0002 00000000"));
    expect_err(
        &msg(FLOW_MOD, &body),
        Some(FLOW_MOD),
        50,
        bad_len("match", 2),
    );
    let mut body = flow_mod_fixed(0);
    body.extend(hex("0001 0040 00000000"));
    expect_err(
        &msg(FLOW_MOD, &body),
        Some(FLOW_MOD),
        50,
        bad_len("match", 64),
    );
}

#[test]
fn oxm_length_runs_past_the_match() {
    let mut body = flow_mod_fixed(0);
    body.extend(hex("
        0001 000c       # match: OXM, length 12
        80000008        # OXM_OF_IN_PORT header claiming 8 payload bytes (offset 52)
        00000001        # only 4 are inside the match
        00000000        # padding
    "));
    expect_err(&msg(FLOW_MOD, &body), Some(FLOW_MOD), 55, bad_len("oxm", 8));
}

#[test]
fn experimenter_oxm_without_experimenter_id() {
    let mut body = flow_mod_fixed(0);
    body.extend(hex("
        0001 000a       # match: OXM, length 10
        ffff0002        # experimenter class, 2 payload bytes (offset 52)
        abcd
        000000000000    # padding
    "));
    expect_err(
        &msg(FLOW_MOD, &body),
        Some(FLOW_MOD),
        55,
        bad_len("experimenter oxm", 2),
    );
}

// ---------------------------------------------------------------------------------------------
// Actions

#[test]
fn action_length_not_a_multiple_of_8() {
    // Output with length 12, the list is 16 bytes.
    let b = packet_out(16, "0000 000c 00000001 ffff0000 00000000");
    let e = expect_err(&b, Some(PACKET_OUT), 26, bad_len("action", 12));
    assert!(e.to_string().contains("OFPT_PACKET_OUT"), "{e}");
    // The same with the list ending right after the 12 bytes.
    let b = packet_out(12, "0000 000c 00000001 ffff0000");
    expect_err(&b, Some(PACKET_OUT), 26, bad_len("action", 12));
    // Second action misaligned.
    let b = packet_out(
        24,
        "0000 0010 00000001 ffff 000000000000  0019 000c 80000004 00000000",
    );
    expect_err(&b, Some(PACKET_OUT), 42, bad_len("action", 12));
}

#[test]
fn action_length_below_8() {
    expect_err(
        &packet_out(8, "0000 0004 00000000"),
        Some(PACKET_OUT),
        26,
        bad_len("action", 4),
    );
    expect_err(
        &packet_out(8, "0000 0000 00000000"),
        Some(PACKET_OUT),
        26,
        bad_len("action", 0),
    );
}

#[test]
fn action_length_beyond_the_list() {
    // A 16-byte output action in an 8-byte list (the rest is packet data).
    let b = packet_out(8, "0000 0010 00000001 ffff 000000000000");
    expect_err(&b, Some(PACKET_OUT), 26, bad_len("action", 16));
    // Fewer than 4 bytes left for an action header.
    let b = packet_out(2, "0000");
    expect_err(
        &b,
        Some(PACKET_OUT),
        24,
        Reason::Truncated {
            what: "action",
            need: 4,
            have: 2,
        },
    );
}

#[test]
fn action_length_wrong_for_its_type() {
    // OUTPUT must be 16 bytes.
    expect_err(
        &packet_out(8, "0000 0008 00000001"),
        Some(PACKET_OUT),
        26,
        bad_len("action", 8),
    );
    // POP_VLAN must be 8 bytes.
    let b = packet_out(16, "0012 0010 00000000 0000000000000000");
    expect_err(&b, Some(PACKET_OUT), 26, bad_len("action", 16));
}

#[test]
fn packet_out_actions_len_beyond_message() {
    let b = packet_out(64, "0000 0010 00000001 ffff 000000000000");
    expect_err(&b, Some(PACKET_OUT), 16, bad_len("packet_out actions", 64));
}

#[test]
fn set_field_with_trailing_oxm_bytes() {
    // SET_FIELD of 16 bytes holding a 4-byte OXM with a zero-length payload: 8 bytes left over.
    let b = packet_out(16, "0019 0010 80000000 0000000000000000");
    expect_err(
        &b,
        Some(PACKET_OUT),
        32,
        Reason::TrailingBytes {
            what: "set_field oxm",
            len: 8,
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Instructions

#[test]
fn instruction_with_bad_length() {
    // GOTO_TABLE must be 8 bytes.
    let b = flow_mod_with_instructions("0001 0010 01000000 0000000000000000");
    let e = expect_err(&b, Some(FLOW_MOD), 58, bad_len("instruction", 16));
    assert!(e.to_string().contains("OFPT_FLOW_MOD"), "{e}");
    // Below 8.
    let b = flow_mod_with_instructions("0005 0004 00000000");
    expect_err(&b, Some(FLOW_MOD), 58, bad_len("instruction", 4));
    // Not a multiple of 8.
    let b = flow_mod_with_instructions("0004 000c 00000000 00000000");
    expect_err(&b, Some(FLOW_MOD), 58, bad_len("instruction", 12));
    // Beyond the message.
    let b = flow_mod_with_instructions("0004 0018 00000000 0000001000000001");
    expect_err(&b, Some(FLOW_MOD), 58, bad_len("instruction", 24));
    // WRITE_METADATA must be 24 bytes.
    let b = flow_mod_with_instructions("0002 0010 00000000 0000000000000001");
    expect_err(&b, Some(FLOW_MOD), 58, bad_len("instruction", 16));
    // An action inside APPLY_ACTIONS running past the instruction.
    let b = flow_mod_with_instructions("0004 0010 00000000  0000 0010 00000001");
    expect_err(&b, Some(FLOW_MOD), 66, bad_len("action", 16));
}

// ---------------------------------------------------------------------------------------------
// Flow, group, meter, role, multipart

#[test]
fn unknown_flow_mod_command() {
    let mut body = flow_mod_fixed(5);
    body.extend(hex(EMPTY_MATCH));
    let e = expect_err(
        &msg(FLOW_MOD, &body),
        Some(FLOW_MOD),
        25,
        bad_value(Field::FlowModCommand, 5),
    );
    assert_eq!(
        e.to_string(),
        "OFPT_FLOW_MOD: at offset 25: bad flow_mod command value 0x5"
    );
}

#[test]
fn unknown_group_type() {
    let b = msg(GROUP_MOD, &hex("0000 04 00 00000001"));
    let e = expect_err(&b, Some(GROUP_MOD), 10, bad_value(Field::GroupType, 4));
    assert!(e.to_string().contains("OFPT_GROUP_MOD"), "{e}");
    // In a group-desc reply (record at 16, type at 18).
    let b = msg(MP_REPLY, &hex("0007 0000 00000000  0008 ff 00 00000001"));
    expect_err(&b, Some(MP_REPLY), 18, bad_value(Field::GroupType, 0xff));
}

#[test]
fn bucket_length_too_small_misaligned_or_beyond() {
    let group = "0000 00 00 00000001";
    for (bucket, len) in [
        ("0008 0000 ffffffff", 8),                             // below 16
        ("0000 0000 ffffffff ffffffff 00000000", 0),           // zero
        ("0014 0000 ffffffff ffffffff 00000000 00000000", 20), // not a multiple of 8
        ("0020 0000 ffffffff ffffffff 00000000", 32),          // beyond the message
    ] {
        let b = msg(GROUP_MOD, &hex(&format!("{group} {bucket}")));
        expect_err(&b, Some(GROUP_MOD), 16, bad_len("bucket", len));
    }
}

#[test]
fn meter_band_length_too_small() {
    let b = msg(
        MsgType::MeterMod as u8,
        &hex("0000 0001 00000001  0001 0008 00000010"),
    );
    expect_err(&b, Some(29), 18, bad_len("meter band", 8));
}

#[test]
fn unknown_multipart_type() {
    let b = msg(MP_REQUEST, &hex("000e 0000 00000000"));
    let e = expect_err(&b, Some(MP_REQUEST), 8, bad_value(Field::MultipartType, 14));
    assert!(e.to_string().contains("OFPT_MULTIPART_REQUEST"), "{e}");
    let b = msg(MP_REPLY, &hex("fffe 0000 00000000"));
    expect_err(
        &b,
        Some(MP_REPLY),
        8,
        bad_value(Field::MultipartType, 0xfffe),
    );
}

#[test]
fn multipart_record_lengths() {
    // Flow stats record shorter than 56 bytes.
    let b = msg(
        MP_REPLY,
        &hex(&format!("0001 0000 00000000 0030 {}", "00".repeat(46))),
    );
    expect_err(&b, Some(MP_REPLY), 16, bad_len("flow stats", 48));
    // Meter stats length (at +4 in the record) beyond the message.
    let b = msg(
        MP_REPLY,
        &hex(&format!(
            "0009 0000 00000000 00000001 0050 {}",
            "00".repeat(34)
        )),
    );
    expect_err(&b, Some(MP_REPLY), 20, bad_len("meter stats", 80));
    // Table features shorter than its 64 fixed bytes.
    let b = msg(
        MP_REPLY,
        &hex(&format!("000c 0000 00000000 0020 {}", "00".repeat(30))),
    );
    expect_err(&b, Some(MP_REPLY), 16, bad_len("table features", 32));
}

#[test]
fn unknown_role() {
    let b = msg(
        MsgType::RoleRequest as u8,
        &hex("00000004 00000000 0000000000000001"),
    );
    let e = expect_err(&b, Some(24), 8, bad_value(Field::Role, 4));
    assert!(e.to_string().contains("OFPT_ROLE_REQUEST"), "{e}");
    let b = msg(
        MsgType::RoleReply as u8,
        &hex("ffffffff 00000000 0000000000000001"),
    );
    expect_err(&b, Some(25), 8, bad_value(Field::Role, 0xffff_ffff));
}

#[test]
fn trailing_bytes_after_fixed_size_body() {
    let b = msg(MsgType::SetConfig as u8, &hex("0000 0080 deadbeef"));
    let e = expect_err(
        &b,
        Some(9),
        12,
        Reason::TrailingBytes {
            what: "message body",
            len: 4,
        },
    );
    assert!(e.to_string().contains("OFPT_SET_CONFIG"), "{e}");
    let b = msg(MsgType::FeaturesRequest as u8, &hex("0000"));
    expect_err(
        &b,
        Some(5),
        8,
        Reason::TrailingBytes {
            what: "message without body",
            len: 2,
        },
    );
    let b = msg(
        MsgType::RoleRequest as u8,
        &hex("00000002 00000000 0000000000000001 0000000000000000"),
    );
    expect_err(
        &b,
        Some(24),
        24,
        Reason::TrailingBytes {
            what: "message body",
            len: 8,
        },
    );
    let b = msg(MsgType::PortMod as u8, &[0; 36]);
    expect_err(
        &b,
        Some(16),
        40,
        Reason::TrailingBytes {
            what: "message body",
            len: 4,
        },
    );
    // A multipart request with a fixed body and extra bytes.
    let b = msg(MP_REQUEST, &hex("0004 0000 00000000 ffffffff 00000000 00"));
    expect_err(
        &b,
        Some(MP_REQUEST),
        24,
        Reason::TrailingBytes {
            what: "message body",
            len: 1,
        },
    );
}

#[test]
fn truncated_fixed_body() {
    // FEATURES_REPLY with 10 of its 24 body bytes: n_buffers is cut.
    let b = msg(MsgType::FeaturesReply as u8, &hex("0000000000000001 0000"));
    expect_err(
        &b,
        Some(6),
        16,
        Reason::Truncated {
            what: "n_buffers",
            need: 4,
            have: 2,
        },
    );
}

#[test]
fn hello_element_length_too_small() {
    let b = msg(0, &hex("0001 0002 00000000"));
    expect_err(&b, Some(0), 10, bad_len("hello element", 2));
}

#[test]
fn queue_length_too_small() {
    let b = msg(
        MsgType::QueueGetConfigReply as u8,
        &hex("00000001 00000000  00000001 00000001 0008 000000000000"),
    );
    expect_err(&b, Some(23), 24, bad_len("packet queue", 8));
}

// ---------------------------------------------------------------------------------------------
// Bundles

#[test]
fn bad_embedded_message_in_bundle_add() {
    // The embedded FLOW_MOD has command 9: its offset 25 is offset 24 + 25 = 49 of the outer.
    let mut inner_body = flow_mod_fixed(9);
    inner_body.extend(hex(EMPTY_MATCH));
    let inner = msg(FLOW_MOD, &inner_body);
    let e = expect_err(
        &bundle_add(&inner),
        Some(EXPERIMENTER),
        49,
        bad_value(Field::FlowModCommand, 9),
    );
    assert!(
        e.to_string().starts_with("OFPT_EXPERIMENTER: at offset 49"),
        "{e}"
    );

    // Wrong version.
    expect_err(
        &bundle_add(&msg_v(3, MsgType::BarrierRequest as u8, &[])),
        Some(EXPERIMENTER),
        24,
        Reason::BadVersion(3),
    );
    // Unknown type.
    expect_err(
        &bundle_add(&msg(40, &[])),
        Some(EXPERIMENTER),
        25,
        bad_value(Field::MessageType, 40),
    );
    // Embedded length below 8 and beyond the outer message.
    let mut short = msg(MsgType::BarrierRequest as u8, &[]);
    short[2..4].copy_from_slice(&4u16.to_be_bytes());
    expect_err(
        &bundle_add(&short),
        Some(EXPERIMENTER),
        26,
        bad_len("embedded message", 4),
    );
    let mut long = msg(MsgType::BarrierRequest as u8, &[]);
    long[2..4].copy_from_slice(&16u16.to_be_bytes());
    expect_err(
        &bundle_add(&long),
        Some(EXPERIMENTER),
        26,
        bad_len("embedded message", 16),
    );
    // No room for the embedded header at all.
    expect_err(
        &bundle_add(&[4, 20]),
        Some(EXPERIMENTER),
        24,
        Reason::Truncated {
            what: "embedded message header",
            need: 8,
            have: 2,
        },
    );
}

#[test]
fn unknown_bundle_control_type() {
    let b = msg(EXPERIMENTER, &hex("4f4e4600 000008fc 00000001 0008 0000"));
    expect_err(
        &b,
        Some(EXPERIMENTER),
        20,
        bad_value(Field::BundleControlType, 8),
    );
}

// ---------------------------------------------------------------------------------------------
// The OFPT_ERROR that answers each kind of failure

/// The specification's names of the (type, code) that answers `bytes`.
#[track_caller]
fn answer(bytes: &[u8]) -> (DecodeErrorKind, String) {
    let e = Message::decode(bytes).expect_err("decoding must fail");
    let (typ, code) = e.kind().error_code();
    let name = format!(
        "{}/{}",
        error_type_name(typ).expect("a standard type"),
        error_name(typ, code).expect("a standard code")
    );
    (e.kind(), name)
}

#[test]
fn each_failure_is_answered_with_the_error_the_specification_names() {
    use DecodeErrorKind::*;
    let with_match = |m: &str| {
        let mut body = flow_mod_fixed(0);
        body.extend(hex(m));
        msg(FLOW_MOD, &body)
    };
    let cases: Vec<(&str, Vec<u8>, DecodeErrorKind, &str)> = vec![
        (
            "version",
            msg_v(0x01, MsgType::FeaturesRequest as u8, &[]),
            BadVersion,
            "OFPET_BAD_REQUEST/OFPBRC_BAD_VERSION",
        ),
        (
            "message type",
            msg(200, &[]),
            BadType,
            "OFPET_BAD_REQUEST/OFPBRC_BAD_TYPE",
        ),
        (
            "multipart type",
            msg(MP_REQUEST, &hex("000e 0000 00000000")),
            BadMultipart,
            "OFPET_BAD_REQUEST/OFPBRC_BAD_MULTIPART",
        ),
        (
            "bundle control type",
            msg(EXPERIMENTER, &hex("4f4e4600 000008fc 00000001 0008 0000")),
            BadExperimenterType,
            "OFPET_BAD_REQUEST/OFPBRC_BAD_EXP_TYPE",
        ),
        (
            "short body",
            msg(MsgType::FeaturesReply as u8, &[0, 0, 0, 1]),
            BadLen,
            "OFPET_BAD_REQUEST/OFPBRC_BAD_LEN",
        ),
        (
            "trailing bytes",
            msg(MsgType::BarrierRequest as u8, &[0; 4]),
            BadLen,
            "OFPET_BAD_REQUEST/OFPBRC_BAD_LEN",
        ),
        (
            "match type",
            with_match("0000 0004 00000000"),
            BadMatchType,
            "OFPET_BAD_MATCH/OFPBMC_BAD_TYPE",
        ),
        (
            "match length",
            with_match("0001 0002 00000000"),
            BadMatchLen,
            "OFPET_BAD_MATCH/OFPBMC_BAD_LEN",
        ),
        (
            "oxm length",
            with_match("0001 000c 80000008 00000001 00000000"),
            BadMatchLen,
            "OFPET_BAD_MATCH/OFPBMC_BAD_LEN",
        ),
        (
            "instruction length",
            flow_mod_with_instructions("0001 0010 01000000 0000000000000000"),
            BadInstructionLen,
            "OFPET_BAD_INSTRUCTION/OFPBIC_BAD_LEN",
        ),
        (
            "action in an instruction",
            flow_mod_with_instructions("0004 0010 00000000  0000 0010 00000001"),
            BadActionLen,
            "OFPET_BAD_ACTION/OFPBAC_BAD_LEN",
        ),
        (
            "action in a packet-out",
            packet_out(16, "0000 000c 00000001 ffff0000 00000000"),
            BadActionLen,
            "OFPET_BAD_ACTION/OFPBAC_BAD_LEN",
        ),
        (
            "set_field oxm",
            packet_out(16, "0019 0010 80000000 0000000000000000"),
            BadActionLen,
            "OFPET_BAD_ACTION/OFPBAC_BAD_LEN",
        ),
        (
            "flow_mod command",
            {
                let mut body = flow_mod_fixed(5);
                body.extend(hex(EMPTY_MATCH));
                msg(FLOW_MOD, &body)
            },
            BadFlowModCommand,
            "OFPET_FLOW_MOD_FAILED/OFPFMFC_BAD_COMMAND",
        ),
        (
            "group type",
            msg(GROUP_MOD, &hex("0000 04 00 00000001")),
            BadGroupType,
            "OFPET_GROUP_MOD_FAILED/OFPGMFC_BAD_TYPE",
        ),
        (
            "role",
            msg(
                MsgType::RoleRequest as u8,
                &hex("00000004 00000000 0000000000000001"),
            ),
            BadRole,
            "OFPET_ROLE_REQUEST_FAILED/OFPRRFC_BAD_ROLE",
        ),
    ];
    for (what, bytes, kind, name) in cases {
        assert_eq!(answer(&bytes), (kind, name.to_string()), "{what}");
    }
}

#[test]
fn the_error_reply_echoes_the_first_64_bytes_of_the_frame() {
    let mut b = packet_out(16, "0000 000c 00000001 ffff0000 00000000");
    b.extend([0xaa; 100]); // packet data
    let len = b.len() as u16;
    b[2..4].copy_from_slice(&len.to_be_bytes());
    let e = Message::decode(&b).expect_err("decoding must fail");
    assert_eq!(e.part, Part::Action);
    assert_eq!(
        e.error_reply(&b),
        ErrorMsg::Standard {
            typ: error_type::BAD_ACTION,
            code: error_type::BAD_ACTION_BAD_LEN,
            data: b[..64].to_vec(),
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Fixed-size strings

#[test]
fn invalid_utf8_in_a_name_decodes_to_a_stable_value() {
    // PORT_STATUS for a port whose name is 13 x 0x01, 0x80 (not UTF-8), 0x01, NUL. U+FFFD
    // takes 3 bytes, so the decoded name is cut to fit the 16-byte field again.
    let mut body = hex("00 00000000000000  00000001 00000000 001122334455 0000");
    body.extend([1u8; 13]);
    body.extend([0x80, 0x01, 0x00]);
    body.extend([0u8; 32]);
    let b = msg(MsgType::PortStatus as u8, &body);
    let m = Message::decode(&b).expect("decodes");
    let ofproto::Body::PortStatus(ps) = &m.body else {
        panic!("{m:?}")
    };
    assert_eq!(ps.desc.name, format!("{}\u{fffd}", "\u{1}".repeat(13)));
    let again = Message::decode(&m.to_bytes().expect("encodes")).expect("decodes");
    assert_eq!(again, m);
}

#[test]
fn long_names_are_cut_at_a_character_boundary() {
    use ofproto::msg::{Port, PortStatus};
    // 17 bytes: cutting at 16 would split the last two-byte character.
    let name = format!("a{}", "\u{e9}".repeat(8));
    let m = Message::new(
        1,
        ofproto::Body::PortStatus(PortStatus {
            reason: 0,
            desc: Port {
                name,
                ..Port::default()
            },
        }),
    );
    let wire = m.to_bytes().expect("encodes");
    // The name field (offsets 32..48) holds whole characters and a NUL, valid UTF-8.
    let field = &wire[32..48];
    assert_eq!(field[15], 0);
    assert!(std::str::from_utf8(&field[..15]).is_ok());
    let ofproto::Body::PortStatus(ps) = Message::decode(&wire).expect("decodes").body else {
        panic!()
    };
    assert_eq!(ps.desc.name, format!("a{}", "\u{e9}".repeat(7)));
}

// ---------------------------------------------------------------------------------------------
// Truncation of valid messages

/// Whether every strict prefix of this kind of message is invalid (no variable-length tail
/// that could legitimately be shorter).
fn fixed_size(variant: &str) -> bool {
    matches!(
        variant,
        "FeaturesReply"
            | "GetConfigReply"
            | "SetConfig"
            | "FlowRemoved"
            | "PortStatus"
            | "PortMod"
            | "TableMod"
            | "QueueGetConfigRequest"
            | "RoleRequest"
            | "RoleReply"
            | "GetAsyncReply"
            | "SetAsync"
            | "MultipartRequest::Flow"
            | "MultipartRequest::Aggregate"
            | "MultipartRequest::PortStats"
            | "MultipartRequest::Queue"
            | "MultipartRequest::Group"
            | "MultipartRequest::Meter"
            | "MultipartRequest::MeterConfig"
            | "MultipartReply::Desc"
            | "MultipartReply::Aggregate"
            | "MultipartReply::GroupFeatures"
            | "MultipartReply::MeterFeatures"
    )
}

/// Cuts the encoding of `m` at every length, with the header length left as it was and fixed
/// up to the cut. Returns how many fixed-up cuts still decoded.
fn check_truncations(m: &Message) -> usize {
    let wire = m.to_bytes().expect("encodes").to_vec();
    let n = wire.len();
    let typ = wire[1];
    let mut ok_cuts = 0;
    for k in 0..n {
        let cut = &wire[..k];
        // Header length left inconsistent: always an error, located in the header.
        let e = Message::decode(cut).expect_err("an inconsistent cut must fail");
        match k {
            0 | 1 => assert_eq!((e.msg_type, e.offset), (None, k)),
            2..=7 => {
                assert_eq!(e.msg_type, Some(typ));
                assert!(matches!(e.reason, Reason::Truncated { what: "header", .. }));
            }
            _ => assert_eq!(
                e,
                DecodeError {
                    msg_type: Some(typ),
                    offset: 2,
                    reason: bad_len("message", n),
                    part: Part::Message,
                }
            ),
        }
        if k < 8 {
            continue;
        }
        // Header length fixed up: an error inside the cut, or a shorter valid message that
        // re-encodes to exactly the cut bytes.
        let mut fixed = cut.to_vec();
        fixed[2..4].copy_from_slice(&(k as u16).to_be_bytes());
        match Message::decode(&fixed) {
            Err(e) => {
                assert_eq!(e.msg_type, Some(typ), "{e}");
                assert!(
                    e.offset <= k,
                    "offset {} beyond the {k} bytes: {e}",
                    e.offset
                );
            }
            Ok(short) => {
                assert!(
                    !fixed_size(&variant_name(m)),
                    "{} cut to {k} bytes decoded as {short:?}",
                    variant_name(m)
                );
                assert_eq!(
                    &short.to_bytes().expect("encodes")[..],
                    &fixed[..],
                    "a cut that decodes must be a faithful shorter message"
                );
                ok_cuts += 1;
            }
        }
    }
    ok_cuts
}

#[test]
fn every_truncation_of_every_message_type_fails_cleanly() {
    let samples = one_of_each_variant();
    assert!(samples.len() >= 60);
    for m in &samples {
        check_truncations(m);
    }
}

// ---------------------------------------------------------------------------------------------
// Random and mutated input

fn fix_length(b: &mut [u8]) {
    let len = b.len().min(0xffff) as u16;
    if b.len() >= 4 {
        b[2..4].copy_from_slice(&len.to_be_bytes());
    }
}

/// If `bytes` decode, the value must re-encode and decode to itself, with stable bytes.
fn check_stable(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(v) = Message::decode(bytes) {
        let again = v
            .to_bytes()
            .map_err(|e| TestCaseError::fail(format!("decoded value does not encode: {e}")))?;
        let v2 = Message::decode(&again).map_err(|e| {
            TestCaseError::fail(format!("re-encoded value does not decode: {e}\n{v:?}"))
        })?;
        prop_assert_eq!(
            &v2,
            &v,
            "decode(encode(decode(b))) != decode(b) for {:02x?}",
            bytes
        );
        prop_assert_eq!(&v2.to_bytes().expect("encodes")[..], &again[..]);
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(Index, u8),
    Flip(Index, u8),
    Insert(Index, u8),
    Remove(Index),
    /// Write a small length-like value (0..=64) as a big-endian u16.
    SmallU16(Index, u16),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), any::<u8>()).prop_map(|(i, v)| Mutation::Set(i, v)),
        4 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, v)| Mutation::Insert(i, v)),
        1 => any::<Index>().prop_map(Mutation::Remove),
        3 => (any::<Index>(), 0u16..=64).prop_map(|(i, v)| Mutation::SmallU16(i, v)),
    ]
}

fn apply(b: &mut Vec<u8>, m: &Mutation) {
    if b.is_empty() {
        return;
    }
    match m {
        Mutation::Set(i, v) => {
            let i = i.index(b.len());
            b[i] = *v;
        }
        Mutation::Flip(i, bit) => {
            let i = i.index(b.len());
            b[i] ^= 1 << bit;
        }
        Mutation::Insert(i, v) => {
            let i = i.index(b.len() + 1);
            b.insert(i, *v);
        }
        Mutation::Remove(i) => {
            let i = i.index(b.len());
            b.remove(i);
        }
        Mutation::SmallU16(i, v) => {
            if b.len() >= 2 {
                let i = i.index(b.len() - 1);
                b[i..i + 2].copy_from_slice(&v.to_be_bytes());
            }
        }
    }
}

proptest! {
    #![proptest_config(Config::with_cases(1024))]

    /// Random bodies behind a valid-looking header (version 4, any type, length = buffer
    /// length) never make the decoder panic; what decodes is stable.
    #[test]
    fn random_bytes_never_panic(typ in 0u8..=34, body in vec(any::<u8>(), 0..160)) {
        let b = msg(typ, &body);
        let _ = Message::decode(&b);
        check_stable(&b)?;
        let mut buf = BytesMut::from(&b[..]);
        let _ = OfCodec.decode(&mut buf);
    }

    /// Random body bytes after a plausible start of each message (the multipart type, the
    /// experimenter id and type, ...), so that the decoder gets past the first fields.
    #[test]
    fn random_tails_never_panic(
        prefix in prop_oneof![
            Just((14u8, flow_mod_fixed(0))),
            Just((14u8, { let mut v = flow_mod_fixed(0); v.extend(hex(EMPTY_MATCH)); v })),
            Just((13u8, hex("ffffffff fffffffd"))),
            Just((15u8, hex("0000 01 00 00000001"))),
            Just((29u8, hex("0000 0001 00000001"))),
            Just((4u8, hex("4f4e4600 000008fc"))),
            Just((4u8, hex("4f4e4600 000008fd 00000001 0000 0000"))),
            (0u16..=13).prop_map(|t| (18u8, { let mut v = t.to_be_bytes().to_vec(); v.extend([0; 6]); v })),
            (0u16..=13).prop_map(|t| (19u8, { let mut v = t.to_be_bytes().to_vec(); v.extend([0; 6]); v })),
        ],
        tail in vec(any::<u8>(), 0..200),
    ) {
        let (typ, mut body) = prefix;
        body.extend(tail);
        let b = msg(typ, &body);
        let _ = Message::decode(&b);
        check_stable(&b)?;
    }

    /// Valid messages with random bytes replaced, flipped, inserted or removed (header length
    /// usually fixed up): the decoder never panics, and whatever decodes is stable.
    #[test]
    fn mutated_messages_never_panic(
        m in any_message(),
        muts in vec(mutation(), 1..6),
        fix in prop::bool::weighted(0.8),
    ) {
        let mut b = m.to_bytes().expect("encodes").to_vec();
        for mu in &muts {
            apply(&mut b, mu);
        }
        if fix {
            fix_length(&mut b);
        }
        let _ = Message::decode(&b);
        check_stable(&b)?;
        let mut buf = BytesMut::from(&b[..]);
        while let Ok(Some(_)) = OfCodec.decode(&mut buf) {}
    }

    /// Truncations of generated messages, as for the fixed samples.
    #[test]
    fn truncations_of_generated_messages(m in any_message()) {
        check_truncations(&m);
    }
}
