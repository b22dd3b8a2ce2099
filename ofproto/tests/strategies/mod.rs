//! proptest strategies for canonical OpenFlow 1.3 messages of every type.
//!
//! "Canonical" means the value is exactly what decoding its own encoding gives back: strings
//! hold no NUL and fit their field with room for the terminator, raw OXM fields are never of
//! the basic class `0x8000`, unknown type numbers lie outside the known ranges, raw TLV bodies
//! have the length that keeps the TLV aligned, and every length fits its 16-bit field.

#![allow(dead_code)]

use ofproto::action::Action;
use ofproto::instruction::Instruction;
use ofproto::msg::{
    AsyncConfig, Bucket, BundleAdd, BundleControl, BundleCtrlType, BundleProperty, ErrorMsg,
    Experimenter, FeaturesReply, FlowMod, FlowModCommand, FlowRemoved, GroupMod, GroupModCommand,
    GroupType, Hello, HelloElement, MeterBand, MeterMod, MeterModCommand, PacketIn, PacketOut,
    PacketQueue, Port, PortMod, PortStatus, QueueGetConfigReply, QueueProperty, Role, RoleMessage,
    SwitchConfig, TableMod, ONF_EXPERIMENTER,
};
use ofproto::multipart::{
    AggregateStats, Desc, FeatureId, FlowStats, FlowStatsRequest, GroupDesc, GroupFeatures,
    GroupStats, MeterConfig, MeterFeatures, MeterStats, MultipartReply, MultipartReplyBody,
    MultipartRequest, MultipartRequestBody, OxmId, PortStats, PropValue, QueueStats,
    TableFeatureProp, TableFeatures, TableStats,
};
use ofproto::oxm::{RawOxm, U24};
use ofproto::{Body, MacAddr, Masked, Match, Message, OxmField};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use std::fmt::Debug;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The ONF bundle experimenter message types.
const ONFT_BUNDLE_CONTROL: u32 = 2300;
const ONFT_BUNDLE_ADD_MESSAGE: u32 = 2301;

// ---------------------------------------------------------------------------------------------
// Small values

/// Arbitrary bytes, at most `max` of them.
pub fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> + Clone {
    vec(any::<u8>(), 0..=max)
}

/// Arbitrary bytes whose length is `k * step + rem` for `k` in `0..=max_k`.
pub fn bytes_len_mod(step: usize, rem: usize, max_k: usize) -> impl Strategy<Value = Vec<u8>> {
    (0..=max_k).prop_flat_map(move |k| vec(any::<u8>(), k * step + rem))
}

/// A printable ASCII string (no NUL) of at most `max` bytes.
pub fn fixed_str(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[ -~]{{0,{max}}}")).expect("valid regex")
}

pub fn mac() -> impl Strategy<Value = MacAddr> + Clone {
    any::<[u8; 6]>().prop_map(MacAddr)
}

pub fn ipv4() -> impl Strategy<Value = Ipv4Addr> + Clone {
    any::<u32>().prop_map(Ipv4Addr::from)
}

pub fn ipv6() -> impl Strategy<Value = Ipv6Addr> + Clone {
    any::<u128>().prop_map(Ipv6Addr::from)
}

/// A value with or without a mask.
pub fn masked<T: Debug + Clone>(
    s: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = Masked<T>> {
    (s.clone(), option::of(s)).prop_map(|(value, mask)| Masked { value, mask })
}

/// A `u16` avoiding the given values (for unknown type numbers).
pub fn u16_except(known: &'static [u16]) -> impl Strategy<Value = u16> {
    any::<u16>().prop_filter("known type number", move |v| !known.contains(v))
}

// ---------------------------------------------------------------------------------------------
// OXM and matches

/// A typed OpenFlow basic field (every field; masks where the specification allows them).
pub fn typed_oxm() -> BoxedStrategy<OxmField> {
    use OxmField::*;
    prop_oneof![
        any::<u32>().prop_map(InPort),
        any::<u32>().prop_map(InPhyPort),
        masked(any::<u64>()).prop_map(Metadata),
        masked(mac()).prop_map(EthDst),
        masked(mac()).prop_map(EthSrc),
        any::<u16>().prop_map(EthType),
        masked(any::<u16>()).prop_map(VlanVid),
        any::<u8>().prop_map(VlanPcp),
        any::<u8>().prop_map(IpDscp),
        any::<u8>().prop_map(IpEcn),
        any::<u8>().prop_map(IpProto),
        masked(ipv4()).prop_map(Ipv4Src),
        masked(ipv4()).prop_map(Ipv4Dst),
        any::<u16>().prop_map(TcpSrc),
        any::<u16>().prop_map(TcpDst),
        any::<u16>().prop_map(UdpSrc),
        any::<u16>().prop_map(UdpDst),
        any::<u16>().prop_map(SctpSrc),
        any::<u16>().prop_map(SctpDst),
        any::<u8>().prop_map(Icmpv4Type),
        any::<u8>().prop_map(Icmpv4Code),
        any::<u16>().prop_map(ArpOp),
        masked(ipv4()).prop_map(ArpSpa),
        masked(ipv4()).prop_map(ArpTpa),
        masked(mac()).prop_map(ArpSha),
        masked(mac()).prop_map(ArpTha),
        masked(ipv6()).prop_map(Ipv6Src),
        masked(ipv6()).prop_map(Ipv6Dst),
        masked(any::<u32>()).prop_map(Ipv6Flabel),
        any::<u8>().prop_map(Icmpv6Type),
        any::<u8>().prop_map(Icmpv6Code),
        ipv6().prop_map(Ipv6NdTarget),
        mac().prop_map(Ipv6NdSll),
        mac().prop_map(Ipv6NdTll),
        any::<u32>().prop_map(MplsLabel),
        any::<u8>().prop_map(MplsTc),
        any::<u8>().prop_map(MplsBos),
        masked((0u32..=0xff_ffff).prop_map(U24)).prop_map(PbbIsid),
        masked(any::<u64>()).prop_map(TunnelId),
        masked(any::<u16>()).prop_map(Ipv6Exthdr),
    ]
    .boxed()
}

/// A raw OXM field of a class other than the basic one: NXM (0x0000/0x0001), other classes,
/// and experimenter fields (class 0xffff) whose payload starts with a 4-byte experimenter id.
pub fn raw_oxm() -> BoxedStrategy<OxmField> {
    let class = prop_oneof![
        Just(0x0000u16),
        Just(0x0001u16),
        any::<u16>().prop_filter("basic or experimenter class", |c| *c != 0x8000
            && *c != 0xffff),
    ];
    let plain =
        (class, 0u8..128, any::<bool>(), bytes(24)).prop_map(|(class, field, hasmask, payload)| {
            OxmField::Raw(RawOxm {
                class,
                field,
                hasmask,
                payload,
            })
        });
    let experimenter = (
        prop_oneof![Just(0x4f4e_4600u32), Just(0x0000_2320), any::<u32>()],
        0u8..128,
        any::<bool>(),
        bytes(16),
    )
        .prop_map(|(exp, field, hasmask, rest)| {
            let mut payload = exp.to_be_bytes().to_vec();
            payload.extend(rest);
            OxmField::Raw(RawOxm {
                class: 0xffff,
                field,
                hasmask,
                payload,
            })
        });
    prop_oneof![plain, experimenter].boxed()
}

/// Any OXM field, mostly typed.
pub fn oxm() -> BoxedStrategy<OxmField> {
    prop_oneof![12 => typed_oxm(), 3 => raw_oxm(), 1 => basic_raw_oxm()].boxed()
}

/// Whether a basic-class TLV of this shape decodes as a typed field.
fn types_as_basic(field: u8, hasmask: bool, len: usize) -> bool {
    match OxmField::basic_width(field) {
        None => false,
        Some(w) if OxmField::basic_maskable(field) => {
            (!hasmask && len == w) || (hasmask && len == 2 * w)
        }
        Some(w) => !hasmask && len == w,
    }
}

/// A basic-class (0x8000) field that the codec keeps raw because it is not a typed one: an
/// unassigned field number, a mask on an exact-only field, or an unusual payload length.
/// Such a value is canonical too: it decodes back to the same raw field.
pub fn basic_raw_oxm() -> BoxedStrategy<OxmField> {
    (0u8..128, any::<bool>(), bytes(20))
        .prop_filter("would decode as a typed field", |(f, m, p)| {
            !types_as_basic(*f, *m, p.len())
        })
        .prop_map(|(field, hasmask, payload)| {
            OxmField::Raw(RawOxm {
                class: 0x8000,
                field,
                hasmask,
                payload,
            })
        })
        .boxed()
}

/// A match of up to `max` fields.
pub fn match_(max: usize) -> BoxedStrategy<Match> {
    vec(oxm(), 0..=max)
        .prop_map(|fields| Match { fields })
        .boxed()
}

// ---------------------------------------------------------------------------------------------
// Actions and instructions

const KNOWN_ACTIONS: &[u16] = &[
    0, 11, 12, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 0xffff,
];
const KNOWN_INSTRUCTIONS: &[u16] = &[1, 2, 3, 4, 5, 6, 0xffff];

/// Any action, of every type.
pub fn action() -> BoxedStrategy<Action> {
    prop_oneof![
        1 => (any::<u32>(), any::<u16>()).prop_map(|(port, max_len)| Action::Output { port, max_len }),
        1 => Just(Action::CopyTtlOut),
        1 => Just(Action::CopyTtlIn),
        1 => any::<u8>().prop_map(Action::SetMplsTtl),
        1 => Just(Action::DecMplsTtl),
        1 => any::<u16>().prop_map(Action::PushVlan),
        1 => Just(Action::PopVlan),
        1 => any::<u16>().prop_map(Action::PushMpls),
        1 => any::<u16>().prop_map(Action::PopMpls),
        1 => any::<u32>().prop_map(Action::SetQueue),
        1 => any::<u32>().prop_map(Action::Group),
        1 => any::<u8>().prop_map(Action::SetNwTtl),
        1 => Just(Action::DecNwTtl),
        3 => oxm().prop_map(Action::SetField),
        1 => any::<u16>().prop_map(Action::PushPbb),
        1 => Just(Action::PopPbb),
        1 => (any::<u32>(), bytes_len_mod(8, 0, 3))
            .prop_map(|(experimenter, data)| Action::Experimenter { experimenter, data }),
        1 => (u16_except(KNOWN_ACTIONS), bytes_len_mod(8, 4, 2))
            .prop_map(|(typ, body)| Action::Unknown { typ, body }),
    ]
    .boxed()
}

pub fn actions(max: usize) -> BoxedStrategy<Vec<Action>> {
    vec(action(), 0..=max).boxed()
}

/// Any instruction, of every type.
pub fn instruction() -> BoxedStrategy<Instruction> {
    prop_oneof![
        1 => any::<u8>().prop_map(Instruction::GotoTable),
        1 => (any::<u64>(), any::<u64>())
            .prop_map(|(metadata, mask)| Instruction::WriteMetadata { metadata, mask }),
        2 => actions(4).prop_map(Instruction::WriteActions),
        2 => actions(4).prop_map(Instruction::ApplyActions),
        1 => Just(Instruction::ClearActions),
        1 => any::<u32>().prop_map(Instruction::Meter),
        1 => (any::<u32>(), bytes_len_mod(8, 0, 2))
            .prop_map(|(experimenter, data)| Instruction::Experimenter { experimenter, data }),
        1 => (u16_except(KNOWN_INSTRUCTIONS), bytes_len_mod(8, 4, 2))
            .prop_map(|(typ, body)| Instruction::Unknown { typ, body }),
    ]
    .boxed()
}

pub fn instructions(max: usize) -> BoxedStrategy<Vec<Instruction>> {
    vec(instruction(), 0..=max).boxed()
}

// ---------------------------------------------------------------------------------------------
// Message parts

pub fn hello() -> impl Strategy<Value = Hello> {
    let element = prop_oneof![
        vec(any::<u32>(), 0..4).prop_map(HelloElement::VersionBitmap),
        (u16_except(&[1]), bytes(12)).prop_map(|(typ, body)| HelloElement::Unknown { typ, body }),
        // A version bitmap whose length is not a multiple of 4 stays raw.
        bytes(11)
            .prop_filter("whole words", |b| b.len() % 4 > 0)
            .prop_map(|body| HelloElement::Unknown { typ: 1, body }),
    ];
    vec(element, 0..4).prop_map(|elements| Hello { elements })
}

pub fn error_msg() -> impl Strategy<Value = ErrorMsg> {
    prop_oneof![
        (u16_except(&[0xffff]), any::<u16>(), bytes(72))
            .prop_map(|(typ, code, data)| ErrorMsg::Standard { typ, code, data }),
        (any::<u16>(), any::<u32>(), bytes(32)).prop_map(|(exp_type, experimenter, data)| {
            ErrorMsg::Experimenter {
                exp_type,
                experimenter,
                data,
            }
        }),
    ]
}

pub fn experimenter() -> impl Strategy<Value = Experimenter> {
    (
        prop_oneof![Just(ONF_EXPERIMENTER), Just(0x2320), any::<u32>()],
        any::<u32>(),
        bytes(32),
    )
        .prop_filter("ONF bundle message", |(e, t, _)| {
            !(*e == ONF_EXPERIMENTER
                && (*t == ONFT_BUNDLE_CONTROL || *t == ONFT_BUNDLE_ADD_MESSAGE))
        })
        .prop_map(|(experimenter, exp_type, data)| Experimenter {
            experimenter,
            exp_type,
            data,
        })
}

pub fn features_reply() -> impl Strategy<Value = FeaturesReply> {
    (
        any::<u64>(),
        any::<u32>(),
        any::<u8>(),
        any::<u8>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(datapath_id, n_buffers, n_tables, auxiliary_id, capabilities, reserved)| {
                FeaturesReply {
                    datapath_id,
                    n_buffers,
                    n_tables,
                    auxiliary_id,
                    capabilities,
                    reserved,
                }
            },
        )
}

pub fn switch_config() -> impl Strategy<Value = SwitchConfig> {
    (any::<u16>(), any::<u16>()).prop_map(|(flags, miss_send_len)| SwitchConfig {
        flags,
        miss_send_len,
    })
}

pub fn packet_in() -> impl Strategy<Value = PacketIn> {
    (
        any::<u32>(),
        any::<u16>(),
        any::<u8>(),
        any::<u8>(),
        any::<u64>(),
        match_(6),
        bytes(80),
    )
        .prop_map(
            |(buffer_id, total_len, reason, table_id, cookie, r#match, data)| PacketIn {
                buffer_id,
                total_len,
                reason,
                table_id,
                cookie,
                r#match,
                data,
            },
        )
}

pub fn flow_removed() -> impl Strategy<Value = FlowRemoved> {
    (
        (any::<u64>(), any::<u16>(), any::<u8>(), any::<u8>()),
        (any::<u32>(), any::<u32>(), any::<u16>(), any::<u16>()),
        (any::<u64>(), any::<u64>(), match_(6)),
    )
        .prop_map(
            |(
                (cookie, priority, reason, table_id),
                (duration_sec, duration_nsec, idle_timeout, hard_timeout),
                (packet_count, byte_count, r#match),
            )| FlowRemoved {
                cookie,
                priority,
                reason,
                table_id,
                duration_sec,
                duration_nsec,
                idle_timeout,
                hard_timeout,
                packet_count,
                byte_count,
                r#match,
            },
        )
}

pub fn port() -> impl Strategy<Value = Port> {
    ((any::<u32>(), mac(), fixed_str(15)), vec(any::<u32>(), 8)).prop_map(
        |((port_no, hw_addr, name), v)| Port {
            port_no,
            hw_addr,
            name,
            config: v[0],
            state: v[1],
            curr: v[2],
            advertised: v[3],
            supported: v[4],
            peer: v[5],
            curr_speed: v[6],
            max_speed: v[7],
        },
    )
}

pub fn port_status() -> impl Strategy<Value = PortStatus> {
    (any::<u8>(), port()).prop_map(|(reason, desc)| PortStatus { reason, desc })
}

pub fn packet_out() -> impl Strategy<Value = PacketOut> {
    (any::<u32>(), any::<u32>(), actions(6), bytes(80)).prop_map(
        |(buffer_id, in_port, actions, data)| PacketOut {
            buffer_id,
            in_port,
            actions,
            data,
        },
    )
}

pub fn flow_mod_command() -> impl Strategy<Value = FlowModCommand> {
    (0u8..5).prop_map(|c| FlowModCommand::from_u8(c).expect("0..5 are commands"))
}

pub fn flow_mod() -> impl Strategy<Value = FlowMod> {
    (
        (any::<u64>(), any::<u64>(), any::<u8>(), flow_mod_command()),
        (any::<u16>(), any::<u16>(), any::<u16>(), any::<u32>()),
        (any::<u32>(), any::<u32>(), any::<u16>()),
        (match_(8), instructions(5)),
    )
        .prop_map(
            |(
                (cookie, cookie_mask, table_id, command),
                (idle_timeout, hard_timeout, priority, buffer_id),
                (out_port, out_group, flags),
                (r#match, instructions),
            )| FlowMod {
                cookie,
                cookie_mask,
                table_id,
                command,
                idle_timeout,
                hard_timeout,
                priority,
                buffer_id,
                out_port,
                out_group,
                flags,
                r#match,
                instructions,
            },
        )
}

pub fn group_type() -> impl Strategy<Value = GroupType> + Clone {
    (0u8..4).prop_map(|t| GroupType::from_u8(t).expect("0..4 are group types"))
}

pub fn bucket() -> impl Strategy<Value = Bucket> {
    (any::<u16>(), any::<u32>(), any::<u32>(), actions(4)).prop_map(
        |(weight, watch_port, watch_group, actions)| Bucket {
            weight,
            watch_port,
            watch_group,
            actions,
        },
    )
}

pub fn group_mod() -> impl Strategy<Value = GroupMod> {
    (
        any::<u16>().prop_map(GroupModCommand::from_u16),
        group_type(),
        any::<u32>(),
        vec(bucket(), 0..4),
    )
        .prop_map(|(command, group_type, group_id, buckets)| GroupMod {
            command,
            group_type,
            group_id,
            buckets,
        })
}

pub fn port_mod() -> impl Strategy<Value = PortMod> {
    (
        any::<u32>(),
        mac(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(port_no, hw_addr, config, mask, advertise)| PortMod {
            port_no,
            hw_addr,
            config,
            mask,
            advertise,
        })
}

pub fn table_mod() -> impl Strategy<Value = TableMod> {
    (any::<u8>(), any::<u32>()).prop_map(|(table_id, config)| TableMod { table_id, config })
}

pub fn meter_band() -> impl Strategy<Value = MeterBand> {
    prop_oneof![
        (any::<u32>(), any::<u32>())
            .prop_map(|(rate, burst_size)| MeterBand::Drop { rate, burst_size }),
        (any::<u32>(), any::<u32>(), any::<u8>()).prop_map(|(rate, burst_size, prec_level)| {
            MeterBand::DscpRemark {
                rate,
                burst_size,
                prec_level,
            }
        }),
        (any::<u32>(), any::<u32>(), any::<u32>(), bytes(12)).prop_map(
            |(rate, burst_size, experimenter, data)| MeterBand::Experimenter {
                rate,
                burst_size,
                experimenter,
                data,
            }
        ),
        (
            prop_oneof![
                u16_except(&[1, 2, 0xffff]),
                Just(1u16),
                Just(2u16),
                Just(0xffffu16)
            ],
            any::<u32>(),
            any::<u32>(),
            bytes(12)
        )
            .prop_filter(
                "drop/dscp_remark of 16 bytes, experimenter with an id",
                |(t, _, _, b)| {
                    match t {
                        1 | 2 => b.len() != 4,
                        0xffff => b.len() < 4,
                        _ => true,
                    }
                }
            )
            .prop_map(|(typ, rate, burst_size, body)| MeterBand::Unknown {
                typ,
                rate,
                burst_size,
                body,
            }),
    ]
}

pub fn meter_mod() -> impl Strategy<Value = MeterMod> {
    (
        any::<u16>().prop_map(MeterModCommand::from_u16),
        any::<u16>(),
        any::<u32>(),
        vec(meter_band(), 0..4),
    )
        .prop_map(|(command, flags, meter_id, bands)| MeterMod {
            command,
            flags,
            meter_id,
            bands,
        })
}

pub fn queue_property() -> impl Strategy<Value = QueueProperty> {
    prop_oneof![
        any::<u16>().prop_map(QueueProperty::MinRate),
        any::<u16>().prop_map(QueueProperty::MaxRate),
        (any::<u32>(), bytes(12))
            .prop_map(|(experimenter, data)| QueueProperty::Experimenter { experimenter, data }),
        (u16_except(&[1, 2, 0xffff]), bytes(12))
            .prop_map(|(typ, body)| QueueProperty::Unknown { typ, body }),
        // Known types with lengths that keep them raw.
        (prop_oneof![Just(1u16), Just(2), Just(0xffff)], bytes(12))
            .prop_filter("typed property", |(t, b)| match t {
                1 | 2 => b.len() != 8,
                _ => b.len() < 8,
            })
            .prop_map(|(typ, body)| QueueProperty::Unknown { typ, body }),
    ]
}

pub fn queue_get_config_reply() -> impl Strategy<Value = QueueGetConfigReply> {
    let queue = (any::<u32>(), any::<u32>(), vec(queue_property(), 0..4)).prop_map(
        |(queue_id, port, properties)| PacketQueue {
            queue_id,
            port,
            properties,
        },
    );
    (any::<u32>(), vec(queue, 0..4)).prop_map(|(port, queues)| QueueGetConfigReply { port, queues })
}

pub fn role_message() -> impl Strategy<Value = RoleMessage> {
    (0u32..4, any::<u64>()).prop_map(|(r, generation_id)| RoleMessage {
        role: Role::from_u32(r).expect("0..4 are roles"),
        generation_id,
    })
}

pub fn async_config() -> impl Strategy<Value = AsyncConfig> {
    any::<[u32; 6]>().prop_map(|v| AsyncConfig {
        packet_in_mask: [v[0], v[1]],
        port_status_mask: [v[2], v[3]],
        flow_removed_mask: [v[4], v[5]],
    })
}

pub fn bundle_control() -> impl Strategy<Value = BundleControl> {
    let property = (any::<u16>(), bytes(12)).prop_map(|(typ, body)| BundleProperty { typ, body });
    (
        any::<u32>(),
        (0u16..8).prop_map(|t| BundleCtrlType::from_u16(t).expect("0..8 are control types")),
        any::<u16>(),
        vec(property, 0..3),
    )
        .prop_map(|(bundle_id, typ, flags, properties)| BundleControl {
            bundle_id,
            typ,
            flags,
            properties,
        })
}

/// A bundle add wrapping a message made by `inner`.
pub fn bundle_add(inner: BoxedStrategy<Message>) -> impl Strategy<Value = BundleAdd> {
    (any::<u32>(), any::<u16>(), inner, bytes(16)).prop_map(
        |(bundle_id, flags, message, trailer)| BundleAdd {
            bundle_id,
            flags,
            message: Box::new(message),
            trailer,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Multipart

pub fn flow_stats_request() -> impl Strategy<Value = FlowStatsRequest> {
    (
        any::<u8>(),
        any::<u32>(),
        any::<u32>(),
        any::<u64>(),
        any::<u64>(),
        match_(6),
    )
        .prop_map(
            |(table_id, out_port, out_group, cookie, cookie_mask, r#match)| FlowStatsRequest {
                table_id,
                out_port,
                out_group,
                cookie,
                cookie_mask,
                r#match,
            },
        )
}

pub fn feature_ids(known: &'static [u16]) -> impl Strategy<Value = Vec<FeatureId>> {
    let id = prop_oneof![
        // A known type: header only.
        proptest::sample::select(known).prop_map(|typ| FeatureId { typ, data: vec![] }),
        // An experimenter id: the experimenter id follows the header.
        any::<u32>().prop_map(|e| FeatureId {
            typ: 0xffff,
            data: e.to_be_bytes().to_vec(),
        }),
        // Anything else, with some bytes.
        (any::<u16>(), bytes(8)).prop_map(|(typ, data)| FeatureId { typ, data }),
    ];
    vec(id, 0..5)
}

pub fn oxm_ids() -> impl Strategy<Value = Vec<OxmId>> {
    let id = prop_oneof![
        3 => any::<u32>()
            .prop_filter("experimenter class", |h| h >> 16 != 0xffff)
            .prop_map(|header| OxmId {
                header,
                experimenter: None,
            }),
        1 => ((0u32..=0xffff), any::<u32>()).prop_map(|(low, e)| OxmId {
            header: 0xffff_0000 | low,
            experimenter: Some(e),
        }),
    ];
    vec(id, 0..6)
}

/// A table-features property of type `typ` with a value of the kind the type implies.
pub fn table_feature_prop_of(typ: u16) -> BoxedStrategy<TableFeatureProp> {
    let value: BoxedStrategy<PropValue> = match typ {
        0 | 1 => feature_ids(&[1, 2, 3, 4, 5, 6])
            .prop_map(PropValue::Instructions)
            .boxed(),
        2 | 3 => bytes(12).prop_map(PropValue::NextTables).boxed(),
        4..=7 => feature_ids(&[
            0, 11, 12, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
        ])
        .prop_map(PropValue::Actions)
        .boxed(),
        8 | 10 | 12..=15 => oxm_ids().prop_map(PropValue::Oxms).boxed(),
        _ => bytes(16).prop_map(PropValue::Raw).boxed(),
    };
    value
        .prop_map(move |value| TableFeatureProp { typ, value })
        .boxed()
}

/// Property types that carry a typed value.
pub const TABLE_FEATURE_PROP_TYPES: &[u16] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 13, 14, 15];

/// A table-features property of any kind: every typed kind, experimenter (0xfffe, 0xffff)
/// and unknown types.
pub fn table_feature_prop() -> BoxedStrategy<TableFeatureProp> {
    let typ = prop_oneof![
        6 => proptest::sample::select(TABLE_FEATURE_PROP_TYPES),
        1 => prop_oneof![Just(0xfffeu16), Just(0xffff)],
        1 => prop_oneof![Just(9u16), Just(11), 16u16..0xfffe],
    ];
    typ.prop_flat_map(table_feature_prop_of).boxed()
}

pub fn table_features() -> impl Strategy<Value = TableFeatures> {
    (
        any::<u8>(),
        fixed_str(31),
        any::<u64>(),
        any::<u64>(),
        any::<u32>(),
        any::<u32>(),
        vec(table_feature_prop(), 0..6),
    )
        .prop_map(
            |(table_id, name, metadata_match, metadata_write, config, max_entries, properties)| {
                TableFeatures {
                    table_id,
                    name,
                    metadata_match,
                    metadata_write,
                    config,
                    max_entries,
                    properties,
                }
            },
        )
}

/// Every multipart request body.
pub fn multipart_request_body() -> BoxedStrategy<MultipartRequestBody> {
    use MultipartRequestBody as B;
    prop_oneof![
        Just(B::Desc),
        flow_stats_request().prop_map(B::Flow),
        flow_stats_request().prop_map(B::Aggregate),
        Just(B::Table),
        any::<u32>().prop_map(B::PortStats),
        (any::<u32>(), any::<u32>()).prop_map(|(port_no, queue_id)| B::Queue { port_no, queue_id }),
        any::<u32>().prop_map(B::Group),
        Just(B::GroupDesc),
        Just(B::GroupFeatures),
        any::<u32>().prop_map(B::Meter),
        any::<u32>().prop_map(B::MeterConfig),
        Just(B::MeterFeatures),
        vec(table_features(), 0..3).prop_map(B::TableFeatures),
        Just(B::PortDesc),
        (any::<u32>(), any::<u32>(), bytes(24)).prop_map(|(experimenter, exp_type, data)| {
            B::Experimenter {
                experimenter,
                exp_type,
                data,
            }
        }),
    ]
    .boxed()
}

pub fn flow_stats() -> impl Strategy<Value = FlowStats> {
    (
        (any::<u8>(), any::<u32>(), any::<u32>(), any::<u16>()),
        (any::<u16>(), any::<u16>(), any::<u16>(), any::<u64>()),
        (any::<u64>(), any::<u64>(), match_(5), instructions(4)),
    )
        .prop_map(
            |(
                (table_id, duration_sec, duration_nsec, priority),
                (idle_timeout, hard_timeout, flags, cookie),
                (packet_count, byte_count, r#match, instructions),
            )| FlowStats {
                table_id,
                duration_sec,
                duration_nsec,
                priority,
                idle_timeout,
                hard_timeout,
                flags,
                cookie,
                packet_count,
                byte_count,
                r#match,
                instructions,
            },
        )
}

pub fn desc() -> impl Strategy<Value = Desc> {
    (
        fixed_str(255),
        fixed_str(255),
        fixed_str(255),
        fixed_str(31),
        fixed_str(255),
    )
        .prop_map(|(mfr_desc, hw_desc, sw_desc, serial_num, dp_desc)| Desc {
            mfr_desc,
            hw_desc,
            sw_desc,
            serial_num,
            dp_desc,
        })
}

pub fn port_stats() -> impl Strategy<Value = PortStats> {
    (any::<u32>(), any::<[u64; 12]>(), any::<u32>(), any::<u32>()).prop_map(
        |(port_no, c, duration_sec, duration_nsec)| PortStats {
            port_no,
            rx_packets: c[0],
            tx_packets: c[1],
            rx_bytes: c[2],
            tx_bytes: c[3],
            rx_dropped: c[4],
            tx_dropped: c[5],
            rx_errors: c[6],
            tx_errors: c[7],
            rx_frame_err: c[8],
            rx_over_err: c[9],
            rx_crc_err: c[10],
            collisions: c[11],
            duration_sec,
            duration_nsec,
        },
    )
}

pub fn counters(max: usize) -> impl Strategy<Value = Vec<(u64, u64)>> {
    vec((any::<u64>(), any::<u64>()), 0..=max)
}

/// Every multipart reply body.
pub fn multipart_reply_body() -> BoxedStrategy<MultipartReplyBody> {
    use MultipartReplyBody as B;
    let table_stats = (any::<u8>(), any::<u32>(), any::<u64>(), any::<u64>()).prop_map(
        |(table_id, active_count, lookup_count, matched_count)| TableStats {
            table_id,
            active_count,
            lookup_count,
            matched_count,
        },
    );
    let queue_stats = (
        any::<u32>(),
        any::<u32>(),
        any::<[u64; 3]>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(port_no, queue_id, c, duration_sec, duration_nsec)| QueueStats {
                port_no,
                queue_id,
                tx_bytes: c[0],
                tx_packets: c[1],
                tx_errors: c[2],
                duration_sec,
                duration_nsec,
            },
        );
    let group_stats = (
        any::<u32>(),
        any::<u32>(),
        any::<[u64; 2]>(),
        any::<[u32; 2]>(),
        counters(3),
    )
        .prop_map(|(group_id, ref_count, c, d, bucket_stats)| GroupStats {
            group_id,
            ref_count,
            packet_count: c[0],
            byte_count: c[1],
            duration_sec: d[0],
            duration_nsec: d[1],
            bucket_stats,
        });
    let group_desc = (group_type(), any::<u32>(), vec(bucket(), 0..3)).prop_map(
        |(group_type, group_id, buckets)| GroupDesc {
            group_type,
            group_id,
            buckets,
        },
    );
    let group_features = (
        any::<u32>(),
        any::<u32>(),
        any::<[u32; 4]>(),
        any::<[u32; 4]>(),
    )
        .prop_map(|(types, capabilities, max_groups, actions)| GroupFeatures {
            types,
            capabilities,
            max_groups,
            actions,
        });
    let meter_stats = (
        any::<u32>(),
        any::<u32>(),
        any::<[u64; 2]>(),
        any::<[u32; 2]>(),
        counters(3),
    )
        .prop_map(|(meter_id, flow_count, c, d, band_stats)| MeterStats {
            meter_id,
            flow_count,
            packet_in_count: c[0],
            byte_in_count: c[1],
            duration_sec: d[0],
            duration_nsec: d[1],
            band_stats,
        });
    let meter_config = (any::<u16>(), any::<u32>(), vec(meter_band(), 0..3)).prop_map(
        |(flags, meter_id, bands)| MeterConfig {
            flags,
            meter_id,
            bands,
        },
    );
    let meter_features =
        (any::<[u32; 3]>(), any::<u8>(), any::<u8>()).prop_map(|(v, max_bands, max_color)| {
            MeterFeatures {
                max_meter: v[0],
                band_types: v[1],
                capabilities: v[2],
                max_bands,
                max_color,
            }
        });
    prop_oneof![
        desc().prop_map(B::Desc),
        vec(flow_stats(), 0..3).prop_map(B::Flow),
        (any::<u64>(), any::<u64>(), any::<u32>()).prop_map(
            |(packet_count, byte_count, flow_count)| B::Aggregate(AggregateStats {
                packet_count,
                byte_count,
                flow_count,
            })
        ),
        vec(table_stats, 0..4).prop_map(B::Table),
        vec(port_stats(), 0..3).prop_map(B::PortStats),
        vec(queue_stats, 0..4).prop_map(B::Queue),
        vec(group_stats, 0..3).prop_map(B::Group),
        vec(group_desc, 0..3).prop_map(B::GroupDesc),
        group_features.prop_map(B::GroupFeatures),
        vec(meter_stats, 0..3).prop_map(B::Meter),
        vec(meter_config, 0..3).prop_map(B::MeterConfig),
        meter_features.prop_map(B::MeterFeatures),
        vec(table_features(), 0..3).prop_map(B::TableFeatures),
        vec(port(), 0..4).prop_map(B::PortDesc),
        (any::<u32>(), any::<u32>(), bytes(24)).prop_map(|(experimenter, exp_type, data)| {
            B::Experimenter {
                experimenter,
                exp_type,
                data,
            }
        }),
    ]
    .boxed()
}

pub fn multipart_request() -> impl Strategy<Value = MultipartRequest> {
    (any::<u16>(), multipart_request_body())
        .prop_map(|(flags, body)| MultipartRequest { flags, body })
}

pub fn multipart_reply() -> impl Strategy<Value = MultipartReply> {
    (any::<u16>(), multipart_reply_body()).prop_map(|(flags, body)| MultipartReply { flags, body })
}

// ---------------------------------------------------------------------------------------------
// Whole messages

/// Wraps bodies into OpenFlow 1.3 messages with a random xid.
fn msg(body: impl Strategy<Value = Body> + 'static) -> BoxedStrategy<Message> {
    (any::<u32>(), body)
        .prop_map(|(xid, body)| Message::new(xid, body))
        .boxed()
}

/// HELLO and ERROR may come from a peer of another version; the header keeps it.
fn any_version(body: impl Strategy<Value = Body> + 'static) -> BoxedStrategy<Message> {
    (
        prop_oneof![3 => Just(ofproto::OFP_VERSION), 1 => any::<u8>()],
        any::<u32>(),
        body,
    )
        .prop_map(|(version, xid, body)| Message { version, xid, body })
        .boxed()
}

/// Every message type except multipart and the experimenter/bundle family.
pub fn core_message() -> BoxedStrategy<Message> {
    prop_oneof![
        1 => any_version(hello().prop_map(Body::Hello)),
        1 => any_version(error_msg().prop_map(Body::Error)),
        1 => msg(bytes(48).prop_map(Body::EchoRequest)),
        1 => msg(bytes(48).prop_map(Body::EchoReply)),
        1 => msg(Just(Body::FeaturesRequest)),
        1 => msg(features_reply().prop_map(Body::FeaturesReply)),
        1 => msg(Just(Body::GetConfigRequest)),
        1 => msg(switch_config().prop_map(Body::GetConfigReply)),
        1 => msg(switch_config().prop_map(Body::SetConfig)),
        1 => msg(packet_in().prop_map(Body::PacketIn)),
        1 => msg(flow_removed().prop_map(Body::FlowRemoved)),
        1 => msg(port_status().prop_map(Body::PortStatus)),
        1 => msg(packet_out().prop_map(Body::PacketOut)),
        2 => msg(flow_mod().prop_map(Body::FlowMod)),
        1 => msg(group_mod().prop_map(Body::GroupMod)),
        1 => msg(port_mod().prop_map(Body::PortMod)),
        1 => msg(table_mod().prop_map(Body::TableMod)),
        1 => msg(Just(Body::BarrierRequest)),
        1 => msg(Just(Body::BarrierReply)),
        1 => msg(any::<u32>().prop_map(Body::QueueGetConfigRequest)),
        1 => msg(queue_get_config_reply().prop_map(Body::QueueGetConfigReply)),
        1 => msg(role_message().prop_map(Body::RoleRequest)),
        1 => msg(role_message().prop_map(Body::RoleReply)),
        1 => msg(Just(Body::GetAsyncRequest)),
        1 => msg(async_config().prop_map(Body::GetAsyncReply)),
        1 => msg(async_config().prop_map(Body::SetAsync)),
        1 => msg(meter_mod().prop_map(Body::MeterMod)),
    ]
    .boxed()
}

pub fn multipart_request_message() -> BoxedStrategy<Message> {
    msg(multipart_request().prop_map(Body::MultipartRequest))
}

pub fn multipart_reply_message() -> BoxedStrategy<Message> {
    msg(multipart_reply().prop_map(Body::MultipartReply))
}

/// Messages that may be embedded in a bundle add (anything but another bundle add).
pub fn bundle_inner_message() -> BoxedStrategy<Message> {
    prop_oneof![
        4 => core_message(),
        1 => multipart_request_message(),
        1 => msg(experimenter().prop_map(Body::Experimenter)),
        1 => msg(bundle_control().prop_map(Body::BundleControl)),
    ]
    .boxed()
}

/// Experimenter messages, bundle control and bundle add (with an embedded message).
pub fn experimenter_message() -> BoxedStrategy<Message> {
    prop_oneof![
        1 => msg(experimenter().prop_map(Body::Experimenter)),
        1 => msg(bundle_control().prop_map(Body::BundleControl)),
        2 => msg(bundle_add(bundle_inner_message()).prop_map(Body::BundleAdd)),
    ]
    .boxed()
}

/// A message of any type.
pub fn any_message() -> BoxedStrategy<Message> {
    prop_oneof![
        27 => core_message(),
        8 => multipart_request_message(),
        8 => multipart_reply_message(),
        4 => experimenter_message(),
    ]
    .boxed()
}

/// A name for the variant of a message, down to the multipart body, for coverage checks.
pub fn variant_name(m: &Message) -> String {
    let dbg = |s: String| s.split(['(', ' ', '{']).next().unwrap_or("").to_string();
    match &m.body {
        Body::MultipartRequest(r) => format!("MultipartRequest::{}", dbg(format!("{:?}", r.body))),
        Body::MultipartReply(r) => format!("MultipartReply::{}", dbg(format!("{:?}", r.body))),
        b => dbg(format!("{b:?}")),
    }
}

/// Every variant name [`variant_name`] can return.
pub const ALL_VARIANTS: &[&str] = &[
    "Hello",
    "Error",
    "EchoRequest",
    "EchoReply",
    "Experimenter",
    "FeaturesRequest",
    "FeaturesReply",
    "GetConfigRequest",
    "GetConfigReply",
    "SetConfig",
    "PacketIn",
    "FlowRemoved",
    "PortStatus",
    "PacketOut",
    "FlowMod",
    "GroupMod",
    "PortMod",
    "TableMod",
    "BarrierRequest",
    "BarrierReply",
    "QueueGetConfigRequest",
    "QueueGetConfigReply",
    "RoleRequest",
    "RoleReply",
    "GetAsyncRequest",
    "GetAsyncReply",
    "SetAsync",
    "MeterMod",
    "BundleControl",
    "BundleAdd",
    "MultipartRequest::Desc",
    "MultipartRequest::Flow",
    "MultipartRequest::Aggregate",
    "MultipartRequest::Table",
    "MultipartRequest::PortStats",
    "MultipartRequest::Queue",
    "MultipartRequest::Group",
    "MultipartRequest::GroupDesc",
    "MultipartRequest::GroupFeatures",
    "MultipartRequest::Meter",
    "MultipartRequest::MeterConfig",
    "MultipartRequest::MeterFeatures",
    "MultipartRequest::TableFeatures",
    "MultipartRequest::PortDesc",
    "MultipartRequest::Experimenter",
    "MultipartReply::Desc",
    "MultipartReply::Flow",
    "MultipartReply::Aggregate",
    "MultipartReply::Table",
    "MultipartReply::PortStats",
    "MultipartReply::Queue",
    "MultipartReply::Group",
    "MultipartReply::GroupDesc",
    "MultipartReply::GroupFeatures",
    "MultipartReply::Meter",
    "MultipartReply::MeterConfig",
    "MultipartReply::MeterFeatures",
    "MultipartReply::TableFeatures",
    "MultipartReply::PortDesc",
    "MultipartReply::Experimenter",
];

/// One generated message of every variant in [`ALL_VARIANTS`], from a fixed seed.
pub fn one_of_each_variant() -> Vec<Message> {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]),
    );
    let strategy = any_message();
    let mut found: Vec<Option<Message>> = vec![None; ALL_VARIANTS.len()];
    for _ in 0..20_000 {
        if found.iter().all(Option::is_some) {
            break;
        }
        let m = strategy.new_tree(&mut runner).expect("generates").current();
        let name = variant_name(&m);
        if let Some(i) = ALL_VARIANTS.iter().position(|v| *v == name) {
            found[i].get_or_insert(m);
        }
    }
    found
        .into_iter()
        .zip(ALL_VARIANTS)
        .map(|(m, v)| m.unwrap_or_else(|| panic!("no sample of {v}")))
        .collect()
}
