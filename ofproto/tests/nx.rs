//! `ofproto::nx`, Open vSwitch's Nicira extensions as typed values: annotated wire vectors
//! that decode to the typed value and re-encode identically, round-trip and losslessness
//! properties, malformed bytes with their errors, and `ovs-ofctl ofp-print` (Open vSwitch 3.1)
//! reading a flow-mod that carries every typed extension.

mod common;

use ofproto::msg::FlowMod;
use ofproto::nx::{
    is_ct_commit_only, Conntrack, CtState, NxAction, NxError, NxField, NxmHeader, RegMove, NXM_0,
    NXM_1, NX_VENDOR_ID,
};
use ofproto::oxm::RawOxm;
use ofproto::{Action, Body, Instruction, Masked, Match, Message, OxmField};
use proptest::prelude::*;
use std::net::Ipv4Addr;

/// `NXM_NX_REG0` and `NXM_NX_REG1` (32 bits each), for moves of part of a field.
const REG0: NxmHeader = NxmHeader::new(NXM_1, 0, 4);
const REG1: NxmHeader = NxmHeader::new(NXM_1, 1, 4);

/// A flow-mod (table 0, priority 1) applying `actions` with match `m`.
fn flow_mod(m: Match, actions: Vec<Action>) -> Message {
    Message::new(
        1,
        Body::FlowMod(FlowMod::add(
            0,
            1,
            m,
            vec![Instruction::ApplyActions(actions)],
        )),
    )
}

/// The one action of a decoded [`flow_mod`].
fn only_action(m: &Message) -> &Action {
    match &m.body {
        Body::FlowMod(fm) => match fm.instructions.as_slice() {
            [Instruction::ApplyActions(a)] if a.len() == 1 => &a[0],
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

/// `wire` is a whole action (header, vendor id, data): the codec carries it in a flow-mod as
/// an experimenter action, which decodes to `want` and re-encodes to the same message.
fn check_action_vector(wire: &[u8], want: NxAction) {
    assert_eq!(u16::from_be_bytes([wire[2], wire[3]]) as usize, wire.len());
    let raw = Action::Experimenter {
        experimenter: u32::from_be_bytes([wire[4], wire[5], wire[6], wire[7]]),
        data: wire[8..].to_vec(),
    };
    let bytes = flow_mod(Match::new(), vec![raw]).to_bytes().unwrap();
    assert!(bytes.ends_with(wire), "{bytes:02x?}");
    let decoded = Message::decode(&bytes).unwrap();
    let action = only_action(&decoded);
    assert_eq!(NxAction::try_from(action), Ok(want));
    let again = flow_mod(Match::new(), vec![Action::from(want)])
        .to_bytes()
        .unwrap();
    assert_eq!(again, bytes, "typed value re-encodes identically");
}

/// `tlv` is one OXM TLV (header, payload): carried as the only field of a flow-mod's match,
/// it decodes to `want` and re-encodes to the same message.
fn check_field_vector(tlv: &[u8], want: NxField) {
    let raw = OxmField::Raw(RawOxm {
        class: u16::from_be_bytes([tlv[0], tlv[1]]),
        field: tlv[2] >> 1,
        hasmask: tlv[2] & 1 == 1,
        payload: tlv[4..].to_vec(),
    });
    assert_eq!(tlv[3] as usize, tlv.len() - 4, "length byte");
    let bytes = flow_mod(Match::new().with(raw), vec![]).to_bytes().unwrap();
    // 48 bytes of flow-mod, then `ofp_match` type and length, then the fields.
    assert_eq!(&bytes[52..52 + tlv.len()], tlv, "{bytes:02x?}");
    let decoded = Message::decode(&bytes).unwrap();
    let Body::FlowMod(fm) = &decoded.body else {
        panic!("{decoded:?}")
    };
    assert_eq!(NxField::try_from(&fm.r#match.fields[0]), Ok(want));
    let again = flow_mod(Match::new().with(want.into()), vec![])
        .to_bytes()
        .unwrap();
    assert_eq!(again, bytes, "typed value re-encodes identically");
}

#[test]
fn nxm_headers_are_the_ones_open_vswitch_reports() {
    assert_eq!(NxmHeader::ETH_DST.0, 0x0000_0206);
    assert_eq!(NxmHeader::ETH_SRC.0, 0x0000_0406);
    assert_eq!(NxmHeader::IP_SRC.0, 0x0000_0e04);
    assert_eq!(NxmHeader::IP_DST.0, 0x0000_1004);
    assert_eq!(NxmHeader::ARP_SPA.0, 0x0000_2004);
    assert_eq!(NxmHeader::ARP_TPA.0, 0x0000_2204);
    assert_eq!(NxmHeader::ARP_SHA.0, 0x0001_2206);
    assert_eq!(NxmHeader::ARP_THA.0, 0x0001_2406);
    assert_eq!(NxmHeader::TUN_IPV4_DST.0, 0x0001_4004);
    assert_eq!(NxmHeader::CT_STATE.0, 0x0001_d204);
    let masked = NxmHeader(0x0001_d308); // NXM_NX_CT_STATE_W
    assert_eq!((masked.class(), masked.field()), (NXM_1, 105));
    assert!(masked.has_mask());
    assert_eq!((masked.length(), masked.bits()), (8, 32));
    assert_eq!(NxmHeader::ARP_SHA.basic_field(), Some(24));
    assert_eq!(NxmHeader(0x8000_0806).basic_field(), Some(4), "OXM ETH_SRC");
    assert_eq!(REG0.basic_field(), None);
}

#[test]
fn reg_move_vectors() {
    // move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[] (the ARP responder's first copy).
    #[rustfmt::skip]
    let eth: [u8; 24] = [
        0xff, 0xff, 0x00, 0x18, // OFPAT_EXPERIMENTER, length 24
        0x00, 0x00, 0x23, 0x20, // NX_VENDOR_ID
        0x00, 0x06,             // NXAST_REG_MOVE
        0x00, 0x30,             // n_bits 48
        0x00, 0x00, 0x00, 0x00, // src_ofs 0, dst_ofs 0
        0x00, 0x00, 0x04, 0x06, // NXM_OF_ETH_SRC
        0x00, 0x00, 0x02, 0x06, // NXM_OF_ETH_DST
    ];
    let whole = RegMove::whole(NxmHeader::ETH_SRC, NxmHeader::ETH_DST).unwrap();
    check_action_vector(&eth, NxAction::RegMove(whole));
    // move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[], move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[].
    #[rustfmt::skip]
    let sha: [u8; 24] = [
        0xff, 0xff, 0x00, 0x18, 0x00, 0x00, 0x23, 0x20, // experimenter, 24, NX
        0x00, 0x06, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, // REG_MOVE, 48 bits, offsets 0
        0x00, 0x01, 0x22, 0x06, 0x00, 0x01, 0x24, 0x06, // NXM_NX_ARP_SHA, NXM_NX_ARP_THA
    ];
    let whole = RegMove::whole(NxmHeader::ARP_SHA, NxmHeader::ARP_THA).unwrap();
    check_action_vector(&sha, NxAction::RegMove(whole));
    #[rustfmt::skip]
    let spa: [u8; 24] = [
        0xff, 0xff, 0x00, 0x18, 0x00, 0x00, 0x23, 0x20, // experimenter, 24, NX
        0x00, 0x06, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, // REG_MOVE, 32 bits, offsets 0
        0x00, 0x00, 0x20, 0x04, 0x00, 0x00, 0x22, 0x04, // NXM_OF_ARP_SPA, NXM_OF_ARP_TPA
    ];
    let whole = RegMove::whole(NxmHeader::ARP_SPA, NxmHeader::ARP_TPA).unwrap();
    check_action_vector(&spa, NxAction::RegMove(whole));
    // move:NXM_NX_REG0[4..11]->NXM_NX_REG1[16..23]: part of a field, at offsets.
    #[rustfmt::skip]
    let part: [u8; 24] = [
        0xff, 0xff, 0x00, 0x18, 0x00, 0x00, 0x23, 0x20, // experimenter, 24, NX
        0x00, 0x06, 0x00, 0x08, 0x00, 0x04, 0x00, 0x10, // REG_MOVE, 8 bits, src_ofs 4, dst_ofs 16
        0x00, 0x01, 0x00, 0x04, 0x00, 0x01, 0x02, 0x04, // NXM_NX_REG0, NXM_NX_REG1
    ];
    let part_move = RegMove {
        n_bits: 8,
        src_ofs: 4,
        dst_ofs: 16,
        src: REG0,
        dst: REG1,
    };
    check_action_vector(&part, NxAction::RegMove(part_move));
}

#[test]
fn conntrack_vectors() {
    // ct(table=30,zone=7): track, then run the packet through table 30 again.
    #[rustfmt::skip]
    let track: [u8; 24] = [
        0xff, 0xff, 0x00, 0x18, // OFPAT_EXPERIMENTER, length 24
        0x00, 0x00, 0x23, 0x20, // NX_VENDOR_ID
        0x00, 0x23,             // NXAST_CT (35)
        0x00, 0x00,             // flags: none
        0x00, 0x00, 0x00, 0x00, // zone_src 0: immediate zone
        0x00, 0x07,             // zone 7
        0x1e,                   // recirc_table 30
        0x00, 0x00, 0x00,       // pad
        0x00, 0x00,             // alg: none
    ];
    let ct = Conntrack {
        commit: false,
        zone: 7,
        recirc_table: Some(30),
        alg: 0,
    };
    check_action_vector(&track, NxAction::Conntrack(ct));
    assert!(!ct.only_commits());
    // ct(commit,zone=7): only commits.
    #[rustfmt::skip]
    let commit: [u8; 24] = [
        0xff, 0xff, 0x00, 0x18, 0x00, 0x00, 0x23, 0x20, // experimenter, 24, NX
        0x00, 0x23, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // CT, NX_CT_F_COMMIT, zone_src 0
        0x00, 0x07, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, // zone 7, NX_CT_RECIRC_NONE, pad, alg 0
    ];
    let ct = Conntrack {
        commit: true,
        zone: 7,
        recirc_table: None,
        alg: 0,
    };
    check_action_vector(&commit, NxAction::Conntrack(ct));
    assert!(ct.only_commits());
    assert!(is_ct_commit_only(&ct.into()));
    // ct(commit,zone=1,alg=ftp).
    #[rustfmt::skip]
    let ftp: [u8; 24] = [
        0xff, 0xff, 0x00, 0x18, 0x00, 0x00, 0x23, 0x20, // experimenter, 24, NX
        0x00, 0x23, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // CT, NX_CT_F_COMMIT, zone_src 0
        0x00, 0x01, 0xff, 0x00, 0x00, 0x00, 0x00, 0x15, // zone 1, no recirculation, pad, alg 21
    ];
    let ct = Conntrack {
        commit: true,
        zone: 1,
        recirc_table: None,
        alg: 21,
    };
    check_action_vector(&ftp, NxAction::Conntrack(ct));
}

#[test]
fn field_vectors() {
    // ct_state=+est+trk: NXM_NX_CT_STATE_W, value 0x22, mask 0x22.
    #[rustfmt::skip]
    let est: [u8; 12] = [
        0x00, 0x01,             // class NXM_1
        0xd3,                   // field 105, has-mask
        0x08,                   // payload length 8
        0x00, 0x00, 0x00, 0x22, // value: EST | TRK
        0x00, 0x00, 0x00, 0x22, // mask: EST | TRK
    ];
    let est_trk = CtState::EST | CtState::TRK;
    check_field_vector(&est, NxField::CtState(Masked::new(est_trk, est_trk)));
    // ct_state=-trk.
    #[rustfmt::skip]
    let untracked: [u8; 12] = [
        0x00, 0x01, 0xd3, 0x08, // NXM_NX_CT_STATE_W
        0x00, 0x00, 0x00, 0x00, // value: none
        0x00, 0x00, 0x00, 0x20, // mask: TRK
    ];
    let want = NxField::CtState(Masked::new(CtState::NONE, CtState::TRK));
    check_field_vector(&untracked, want);
    // ct_state=0x21 (exact: NEW | TRK and nothing else).
    #[rustfmt::skip]
    let exact: [u8; 8] = [
        0x00, 0x01, 0xd2, 0x04, // NXM_NX_CT_STATE
        0x00, 0x00, 0x00, 0x21, // NEW | TRK
    ];
    let want = NxField::CtState(Masked::exact(CtState::NEW | CtState::TRK));
    check_field_vector(&exact, want);
    // tun_dst=10.200.0.2: NXM_NX_TUN_IPV4_DST.
    #[rustfmt::skip]
    let tun: [u8; 8] = [
        0x00, 0x01,             // class NXM_1
        0x40,                   // field 32, no mask
        0x04,                   // payload length 4
        10, 200, 0, 2,          // the address
    ];
    let want = NxField::TunDst(Masked::exact(Ipv4Addr::new(10, 200, 0, 2)));
    check_field_vector(&tun, want);
    // tun_dst=10.0.0.0/8.
    #[rustfmt::skip]
    let tun_w: [u8; 12] = [
        0x00, 0x01, 0x41, 0x08, // NXM_NX_TUN_IPV4_DST_W
        10, 0, 0, 0,            // value
        255, 0, 0, 0,           // mask
    ];
    let want = NxField::TunDst(Masked::new(
        Ipv4Addr::new(10, 0, 0, 0),
        Ipv4Addr::new(255, 0, 0, 0),
    ));
    check_field_vector(&tun_w, want);
}

/// The data of a Nicira experimenter action from the subtype on, for malformed cases.
fn nx(data: &[u8]) -> Action {
    Action::Experimenter {
        experimenter: NX_VENDOR_ID,
        data: data.to_vec(),
    }
}

#[test]
fn malformed_actions_are_typed_errors() {
    let reg_move = |tail: &[u8]| {
        let mut d = vec![0, 6, 0, 48, 0, 0, 0, 0, 0, 0, 4, 6, 0, 0, 2, 6];
        d.extend_from_slice(tail);
        d
    };
    let ct = |patch: &[(usize, u8)]| {
        let mut d = vec![0, 35, 0, 1, 0, 0, 0, 0, 0, 7, 255, 0, 0, 0, 0, 0];
        for (i, b) in patch {
            d[*i] = *b;
        }
        d
    };
    let cases: Vec<(&str, Action, NxError)> = vec![
        ("plain output", Action::output(1), NxError::NotNiciraAction),
        (
            "another vendor",
            Action::Experimenter {
                experimenter: 0x4f4e_4600,
                data: reg_move(&[]),
            },
            NxError::NotNiciraAction,
        ),
        (
            "no subtype",
            nx(&[0]),
            NxError::Length {
                what: "Nicira action subtype",
                len: 1,
                expected: 2,
            },
        ),
        (
            "resubmit",
            nx(&[0, 14, 0xff, 0xf8, 2, 0, 0, 0]),
            NxError::UnknownSubtype(14),
        ),
        (
            "truncated move",
            nx(&reg_move(&[])[..12]),
            NxError::Length {
                what: "NXAST_REG_MOVE",
                len: 12,
                expected: 16,
            },
        ),
        (
            "move with non-zero padding",
            nx(&reg_move(&[0, 0, 0, 0, 0, 0, 0, 1])),
            NxError::NonZeroPadding {
                what: "NXAST_REG_MOVE",
            },
        ),
        (
            "move with extra zero bytes",
            nx(&reg_move(&[0; 8])),
            NxError::Length {
                what: "NXAST_REG_MOVE",
                len: 24,
                expected: 16,
            },
        ),
        (
            "move with experimenter OXM headers",
            nx(&[
                0, 6, 0, 8, 0, 0, 0, 0, 0xff, 0xff, 0x00, 0x05, 0, 0, 0x23, 0x20, 0, 1, 2, 4, 0, 0,
                0, 0,
            ]),
            NxError::Unsupported {
                what: "NXAST_REG_MOVE",
                form: "an experimenter OXM header",
            },
        ),
        (
            "truncated ct",
            nx(&ct(&[])[..10]),
            NxError::Length {
                what: "NXAST_CT",
                len: 10,
                expected: 16,
            },
        ),
        (
            "ct with nested actions",
            nx(&[
                ct(&[]),
                vec![0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 0, 36, 0, 0, 0, 0, 0, 0],
            ]
            .concat()),
            NxError::Unsupported {
                what: "NXAST_CT",
                form: "nested actions",
            },
        ),
        (
            "ct commit,force",
            nx(&ct(&[(3, 3)])),
            NxError::UnsupportedFlags {
                what: "NXAST_CT",
                flags: 3,
            },
        ),
        (
            "ct zone from a field",
            nx(&ct(&[(6, 0x04), (7, 0x04)])),
            NxError::Unsupported {
                what: "NXAST_CT",
                form: "a zone taken from a field",
            },
        ),
        (
            "ct with non-zero padding",
            nx(&ct(&[(12, 1)])),
            NxError::NonZeroPadding { what: "NXAST_CT" },
        ),
    ];
    for (name, action, want) in cases {
        assert_eq!(NxAction::try_from(&action), Err(want), "{name}");
        assert!(!is_ct_commit_only(&action), "{name}");
    }
    assert_eq!(
        RegMove::whole(NxmHeader::ETH_SRC, NxmHeader::ARP_SPA),
        Err(NxError::WidthMismatch {
            src_bits: 48,
            dst_bits: 32
        })
    );
    assert_eq!(
        NxError::UnknownSubtype(14).to_string(),
        "Nicira action subtype 14 is not supported"
    );
}

#[test]
fn malformed_fields_are_typed_errors() {
    let raw = |class, field, hasmask, payload: &[u8]| {
        OxmField::Raw(RawOxm {
            class,
            field,
            hasmask,
            payload: payload.to_vec(),
        })
    };
    let cases: Vec<(&str, OxmField, NxError)> = vec![
        (
            "basic field",
            OxmField::EthType(0x0800),
            NxError::NotNiciraField,
        ),
        (
            "experimenter class",
            raw(0xffff, 42, false, &[0, 0, 0x23, 0x20, 0, 1]),
            NxError::NotNiciraField,
        ),
        (
            "reg0",
            raw(NXM_1, 0, false, &[0, 0, 0, 5]),
            NxError::UnknownField {
                class: NXM_1,
                field: 0,
            },
        ),
        (
            "NXM_OF_IN_PORT",
            raw(NXM_0, 0, false, &[0, 1]),
            NxError::UnknownField {
                class: NXM_0,
                field: 0,
            },
        ),
        (
            "ct_state with a mask bit but no mask",
            raw(NXM_1, 105, true, &[0, 0, 0, 0x20]),
            NxError::Length {
                what: "NXM_NX_CT_STATE",
                len: 4,
                expected: 8,
            },
        ),
        (
            "short tun_dst",
            raw(NXM_1, 32, false, &[10, 200]),
            NxError::Length {
                what: "NXM_NX_TUN_IPV4_DST",
                len: 2,
                expected: 4,
            },
        ),
    ];
    for (name, field, want) in cases {
        assert_eq!(NxField::try_from(&field), Err(want), "{name}");
    }
}

fn header() -> impl Strategy<Value = NxmHeader> {
    any::<u32>()
        .prop_filter("experimenter OXM headers are 64 bits", |h| {
            h >> 16 != 0xffff
        })
        .prop_map(NxmHeader)
}

fn nx_action() -> impl Strategy<Value = NxAction> {
    prop_oneof![
        (any::<u16>(), any::<u16>(), any::<u16>(), header(), header()).prop_map(
            |(n_bits, src_ofs, dst_ofs, src, dst)| NxAction::RegMove(RegMove {
                n_bits,
                src_ofs,
                dst_ofs,
                src,
                dst
            })
        ),
        (
            any::<bool>(),
            any::<u16>(),
            proptest::option::of(0u8..255),
            any::<u16>()
        )
            .prop_map(
                |(commit, zone, recirc_table, alg)| NxAction::Conntrack(Conntrack {
                    commit,
                    zone,
                    recirc_table,
                    alg
                })
            ),
    ]
}

fn masked<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = Masked<T>> {
    (s.clone(), proptest::option::of(s)).prop_map(|(value, mask)| Masked { value, mask })
}

fn nx_field() -> impl Strategy<Value = NxField> {
    prop_oneof![
        masked(any::<u32>().prop_map(CtState)).prop_map(NxField::CtState),
        masked(any::<u32>().prop_map(Ipv4Addr::from)).prop_map(NxField::TunDst),
    ]
}

proptest! {
    /// A typed action survives the codec: encode into a flow-mod, decode, type again.
    #[test]
    fn actions_round_trip(a in nx_action()) {
        let bytes = flow_mod(Match::new(), vec![a.into()]).to_bytes().unwrap();
        let decoded = Message::decode(&bytes).unwrap();
        prop_assert_eq!(NxAction::try_from(only_action(&decoded)), Ok(a));
        prop_assert_eq!(decoded.to_bytes().unwrap(), bytes);
    }

    /// A typed field survives the codec in a match and as a `set_field`.
    #[test]
    fn fields_round_trip(f in nx_field()) {
        let bytes = flow_mod(Match::new().with(f.into()), vec![]).to_bytes().unwrap();
        let Body::FlowMod(fm) = Message::decode(&bytes).unwrap().body else { unreachable!() };
        prop_assert_eq!(NxField::try_from(&fm.r#match.fields[0]), Ok(f));
        if f.header() == NxmHeader::TUN_IPV4_DST {
            let set = flow_mod(Match::new(), vec![f.into()]).to_bytes().unwrap();
            let decoded = Message::decode(&set).unwrap();
            let Action::SetField(field) = only_action(&decoded) else { unreachable!() };
            prop_assert_eq!(NxField::try_from(field), Ok(f));
        }
    }

    /// Lossless: Nicira action bytes near valid ones (one byte changed, or cut or extended)
    /// either do not decode, or decode to a value that re-encodes to exactly those bytes.
    #[test]
    fn decoding_is_lossless(
        a in nx_action(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        resize in -4i32..12,
    ) {
        let mut data = a.encode();
        let i = at.index(data.len());
        data[i] = byte;
        let len = (data.len() as i32 + resize).max(0) as usize;
        data.resize(len, 0);
        if let Ok(typed) = NxAction::decode(&data) {
            prop_assert_eq!(typed.encode(), data);
        }
    }

    /// The same for Nicira fields: whatever an NXM TLV decodes to re-encodes to that TLV.
    #[test]
    fn field_decoding_is_lossless(
        class in 0u16..2,
        field in prop_oneof![Just(32u8), Just(105u8), any::<u8>().prop_map(|f| f & 0x7f)],
        hasmask in any::<bool>(),
        payload in proptest::collection::vec(any::<u8>(), 0..10),
    ) {
        let raw = OxmField::Raw(RawOxm { class, field, hasmask, payload });
        if let Ok(typed) = NxField::try_from(&raw) {
            prop_assert_eq!(OxmField::from(typed), raw);
        }
    }
}

/// What `ovs-ofctl ofp-print` prints for `msg`, with no decode failure.
fn ofp_print(msg: &Message) -> String {
    let bytes = msg.to_bytes().unwrap();
    let run = common::run_ovs_ofctl(&["ofp-print", &common::hex(&bytes)], None);
    run.assert_ok();
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(!text.contains("***"), "ovs-ofctl failed to decode:\n{text}");
    text
}

/// Every typed extension in flow-mods, as the reference implementation reads them.
#[test]
fn ovs_ofctl_reads_every_typed_extension() {
    common::ovs_ofctl();
    let ip = || Match::new().with(OxmField::EthType(0x0800));
    let est_trk = CtState::EST | CtState::TRK;
    let responder = flow_mod(
        Match::new().with(OxmField::EthType(0x0806)),
        vec![
            RegMove::whole(NxmHeader::ETH_SRC, NxmHeader::ETH_DST)
                .unwrap()
                .into(),
            RegMove::whole(NxmHeader::ARP_SHA, NxmHeader::ARP_THA)
                .unwrap()
                .into(),
            RegMove::whole(NxmHeader::ARP_SPA, NxmHeader::ARP_TPA)
                .unwrap()
                .into(),
            Action::output(2),
        ],
    );
    let text = ofp_print(&responder);
    assert!(
        text.contains(
            "priority=1,arp \
             actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],\
             move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],\
             move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],output:2\n"
        ),
        "{text}"
    );
    let tracked = flow_mod(
        ip().with(NxField::CtState(Masked::new(est_trk, est_trk)).into())
            .with(NxField::TunDst(Masked::exact(Ipv4Addr::new(10, 200, 0, 2))).into()),
        vec![
            RegMove {
                n_bits: 8,
                src_ofs: 4,
                dst_ofs: 16,
                src: REG0,
                dst: REG1,
            }
            .into(),
            Conntrack {
                commit: true,
                zone: 7,
                recirc_table: None,
                alg: 0,
            }
            .into(),
            NxField::TunDst(Masked::exact(Ipv4Addr::new(10, 200, 0, 3))).into(),
            Action::output(2),
        ],
    );
    let text = ofp_print(&tracked);
    assert!(
        text.contains(
            "priority=1,ct_state=+est+trk,ip,tun_dst=10.200.0.2 \
             actions=move:NXM_NX_REG0[4..11]->NXM_NX_REG1[16..23],\
             ct(commit,zone=7),set_field:10.200.0.3->tun_dst,output:2\n"
        ),
        "{text}"
    );
    let untracked = flow_mod(
        ip().with(NxField::CtState(Masked::new(CtState::NONE, CtState::TRK)).into())
            .with(
                NxField::TunDst(Masked::new(
                    Ipv4Addr::new(10, 0, 0, 0),
                    Ipv4Addr::new(255, 0, 0, 0),
                ))
                .into(),
            ),
        vec![Conntrack {
            commit: false,
            zone: 7,
            recirc_table: Some(30),
            alg: 0,
        }
        .into()],
    );
    let text = ofp_print(&untracked);
    assert!(
        text.contains(
            "priority=1,ct_state=-trk,ip,tun_dst=10.0.0.0/8 actions=ct(table=30,zone=7)\n"
        ),
        "{text}"
    );
    let ftp = flow_mod(
        Match::new()
            .with(OxmField::EthType(0x0800))
            .with(OxmField::IpProto(6))
            .with(NxField::CtState(Masked::exact(CtState::NEW | CtState::TRK)).into()),
        vec![Conntrack {
            commit: true,
            zone: 1,
            recirc_table: None,
            alg: 21,
        }
        .into()],
    );
    let text = ofp_print(&ftp);
    assert!(
        text.contains("priority=1,ct_state=new|trk,tcp actions=ct(commit,zone=1,alg=ftp)\n"),
        "{text}"
    );
}
