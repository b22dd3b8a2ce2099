//! Property tests: text round trips over generated matches, actions, instructions and flow
//! mods, and parsers that never panic on arbitrary text.

use super::{assert_flow_eq, same_fields};
use crate::action::Action;
use crate::msg::{FlowMod, FlowModCommand};
use crate::oxm::{Masked, RawOxm, U24};
use crate::text::*;
use crate::{Instruction, MacAddr, Match, OxmField};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn masked<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + Clone + 'static,
) -> impl Strategy<Value = Masked<T>> {
    (s.clone(), of(s)).prop_map(|(value, mask)| Masked { value, mask })
}

fn mac() -> impl Strategy<Value = MacAddr> + Clone {
    any::<[u8; 6]>().prop_map(MacAddr)
}

fn v4() -> impl Strategy<Value = Ipv4Addr> + Clone {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

fn v6() -> impl Strategy<Value = Ipv6Addr> + Clone {
    any::<[u8; 16]>().prop_map(Ipv6Addr::from)
}

/// A raw field that cannot collide with a typed basic field.
fn raw() -> impl Strategy<Value = OxmField> {
    (
        prop_oneof![Just(0x0001u16), Just(0xffff), 0x8001u16..0xfffe],
        0u8..128,
        any::<bool>(),
        vec(any::<u8>(), 0..12),
    )
        .prop_map(|(class, field, hasmask, payload)| {
            OxmField::Raw(RawOxm {
                class,
                field,
                hasmask,
                payload,
            })
        })
}

/// Every typed field with any value (for set_field), plus raw fields.
fn any_field() -> impl Strategy<Value = OxmField> {
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
        masked(v4()).prop_map(Ipv4Src),
        masked(v4()).prop_map(Ipv4Dst),
        any::<u16>().prop_map(TcpSrc),
        any::<u16>().prop_map(UdpDst),
        any::<u16>().prop_map(SctpSrc),
        any::<u8>().prop_map(Icmpv4Type),
        any::<u8>().prop_map(Icmpv6Code),
        any::<u16>().prop_map(ArpOp),
        masked(v4()).prop_map(ArpTpa),
        masked(mac()).prop_map(ArpSha),
        masked(v6()).prop_map(Ipv6Src),
        masked(any::<u32>()).prop_map(Ipv6Flabel),
        v6().prop_map(Ipv6NdTarget),
        mac().prop_map(Ipv6NdTll),
        any::<u32>().prop_map(MplsLabel),
        any::<u8>().prop_map(MplsBos),
        masked(0u32..0x100_0000).prop_map(|m| PbbIsid(Masked {
            value: U24(m.value),
            mask: m.mask.map(U24)
        })),
        masked(any::<u64>()).prop_map(TunnelId),
        masked(any::<u16>()).prop_map(Ipv6Exthdr),
        raw(),
    ]
}

/// Matches that satisfy the OpenFlow prerequisites.
fn valid_match() -> impl Strategy<Value = Match> {
    use OxmField::*;
    let l3 = prop_oneof![
        Just(vec![]),
        (masked(v4()), of(masked(v4())), any::<u8>(), of(any::<u8>())).prop_flat_map(
            |(src, dst, dscp, ecn)| {
                let base = {
                    let mut v = vec![EthType(0x0800), Ipv4Src(src)];
                    v.extend(dst.map(Ipv4Dst));
                    v.push(IpDscp(dscp));
                    v.extend(ecn.map(IpEcn));
                    v
                };
                prop_oneof![
                    Just(base.clone()),
                    (any::<u16>(), any::<u16>()).prop_map({
                        let b = base.clone();
                        move |(s, d)| [b.clone(), vec![IpProto(6), TcpSrc(s), TcpDst(d)]].concat()
                    }),
                    any::<u16>().prop_map({
                        let b = base.clone();
                        move |s| [b.clone(), vec![IpProto(17), UdpSrc(s)]].concat()
                    }),
                    any::<u16>().prop_map({
                        let b = base.clone();
                        move |d| [b.clone(), vec![IpProto(132), SctpDst(d)]].concat()
                    }),
                    (any::<u8>(), any::<u8>()).prop_map({
                        let b = base.clone();
                        move |(t, c)| {
                            [b.clone(), vec![IpProto(1), Icmpv4Type(t), Icmpv4Code(c)]].concat()
                        }
                    }),
                    any::<u8>().prop_map(move |p| [base.clone(), vec![IpProto(p)]].concat()),
                ]
            }
        ),
        (
            masked(v6()),
            masked(v6()),
            masked(any::<u32>()),
            masked(any::<u16>()),
            v6(),
            mac(),
            any::<bool>(),
            any::<u8>()
        )
            .prop_map(|(src, dst, label, ext, target, ll, sol, code)| {
                let mut v = vec![
                    EthType(0x86dd),
                    Ipv6Src(src),
                    Ipv6Dst(dst),
                    Ipv6Flabel(label),
                    Ipv6Exthdr(ext),
                ];
                v.extend([
                    IpProto(58),
                    Icmpv6Type(if sol { 135 } else { 136 }),
                    Icmpv6Code(code),
                    Ipv6NdTarget(target),
                ]);
                v.push(if sol { Ipv6NdSll(ll) } else { Ipv6NdTll(ll) });
                v
            }),
        (
            any::<u16>(),
            masked(v4()),
            masked(v4()),
            masked(mac()),
            masked(mac())
        )
            .prop_map(|(op, spa, tpa, sha, tha)| {
                vec![
                    EthType(0x0806),
                    ArpOp(op),
                    ArpSpa(spa),
                    ArpTpa(tpa),
                    ArpSha(sha),
                    ArpTha(tha),
                ]
            }),
        (
            prop_oneof![Just(0x8847u16), Just(0x8848)],
            any::<u32>(),
            any::<u8>(),
            any::<u8>()
        )
            .prop_map(|(e, l, tc, bos)| vec![
                EthType(e),
                MplsLabel(l),
                MplsTc(tc),
                MplsBos(bos)
            ]),
        masked(0u32..0x100_0000).prop_map(|m| vec![
            EthType(0x88e7),
            PbbIsid(Masked {
                value: U24(m.value),
                mask: m.mask.map(U24)
            })
        ]),
        any::<u16>().prop_map(|e| vec![EthType(e)]),
    ];
    let vlan = prop_oneof![
        Just(vec![]),
        masked(any::<u16>()).prop_map(|m| vec![VlanVid(m)]),
        (masked(1u16..0x2000), any::<u8>()).prop_map(|(m, p)| vec![VlanVid(m), VlanPcp(p)]),
        (0u16..0x1000, 0u8..8)
            .prop_map(|(v, p)| vec![VlanVid(Masked::exact(0x1000 | v)), VlanPcp(p)]),
    ];
    let l2 = (
        of((any::<u32>(), of(any::<u32>()))),
        of(masked(any::<u64>())),
        of(masked(mac())),
        of(masked(mac())),
        of(masked(any::<u64>())),
        vec(raw(), 0..2),
    );
    (l2, vlan, l3, any::<prop::sample::Index>()).prop_map(
        |((port, meta, src, dst, tun, raws), vlan, l3, i)| {
            let mut f = Vec::new();
            if let Some((p, phy)) = port {
                f.push(InPort(p));
                f.extend(phy.map(InPhyPort));
            }
            f.extend(meta.map(Metadata));
            f.extend(src.map(EthSrc));
            f.extend(dst.map(EthDst));
            f.extend(tun.map(TunnelId));
            f.extend(vlan);
            f.extend(l3);
            // Raw fields of one class and number would be the same field twice.
            let mut seen = std::collections::HashSet::new();
            f.extend(
                raws.into_iter()
                    .filter(|r| seen.insert(r.header() & 0xfffffe00)),
            );
            let n = f.len();
            f.rotate_left(i.index(n.max(1)) % n.max(1));
            Match { fields: f }
        },
    )
}

fn action() -> impl Strategy<Value = Action> {
    use Action::*;
    prop_oneof![
        (any::<u32>(), any::<u16>()).prop_map(|(port, max_len)| Output { port, max_len }),
        (0u32..4).prop_map(Action::output),
        Just(CopyTtlOut),
        Just(CopyTtlIn),
        any::<u8>().prop_map(SetMplsTtl),
        Just(DecMplsTtl),
        any::<u16>().prop_map(PushVlan),
        Just(PopVlan),
        any::<u16>().prop_map(PushMpls),
        any::<u16>().prop_map(PopMpls),
        any::<u32>().prop_map(SetQueue),
        any::<u32>().prop_map(Group),
        any::<u8>().prop_map(SetNwTtl),
        Just(DecNwTtl),
        any_field().prop_map(SetField),
        any::<u16>().prop_map(PushPbb),
        Just(PopPbb),
        (any::<u32>(), vec(any::<u8>(), 0..12))
            .prop_map(|(experimenter, data)| Experimenter { experimenter, data }),
        (any::<u16>(), vec(any::<u8>(), 0..12)).prop_map(|(typ, body)| Unknown { typ, body }),
    ]
}

fn instruction() -> impl Strategy<Value = Instruction> {
    use Instruction::*;
    prop_oneof![
        any::<u8>().prop_map(GotoTable),
        (any::<u64>(), any::<u64>()).prop_map(|(metadata, mask)| WriteMetadata { metadata, mask }),
        vec(action(), 0..4).prop_map(WriteActions),
        vec(action(), 0..4).prop_map(ApplyActions),
        Just(ClearActions),
        any::<u32>().prop_map(Meter),
        (any::<u32>(), vec(any::<u8>(), 0..12))
            .prop_map(|(experimenter, data)| Experimenter { experimenter, data }),
        (any::<u16>(), vec(any::<u8>(), 0..12)).prop_map(|(typ, body)| Unknown { typ, body }),
    ]
}

fn flow_mod() -> impl Strategy<Value = FlowMod> {
    (
        (
            any::<u64>(),
            any::<u64>(),
            any::<u8>(),
            0usize..5,
            any::<u16>(),
            any::<u16>(),
        ),
        (
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u16>(),
        ),
        valid_match(),
        vec(instruction(), 0..4),
    )
        .prop_map(
            |(
                (cookie, cookie_mask, table_id, cmd, idle_timeout, hard_timeout),
                (priority, buffer_id, out_port, out_group, flags),
                m,
                instructions,
            )| {
                use FlowModCommand::*;
                FlowMod {
                    cookie,
                    cookie_mask,
                    table_id,
                    command: [Add, Modify, ModifyStrict, Delete, DeleteStrict][cmd],
                    idle_timeout,
                    hard_timeout,
                    priority,
                    buffer_id,
                    out_port,
                    out_group,
                    flags,
                    r#match: m,
                    instructions,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn match_roundtrip(m in valid_match()) {
        let text = format_match(&m);
        let back = parse_match(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert!(same_fields(&back, &m), "{}: {:?} != {:?}", text, back, m);
    }

    #[test]
    fn action_roundtrip(list in vec(action(), 0..6)) {
        let text = format_actions(&list);
        let back = parse_actions(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(back, list, "{}", text);
    }

    #[test]
    fn instruction_roundtrip(list in vec(instruction(), 0..6)) {
        let text = format_instructions(&list);
        let back = parse_instructions(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(back, list, "{}", text);
    }

    #[test]
    fn flow_mod_roundtrip(fm in flow_mod()) {
        let text = format_flow_mod(&fm);
        let back = parse_flow_mod(&text, fm.command).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        assert_flow_eq(&back, &fm);
    }

    #[test]
    fn parsers_never_panic(s in "[a-z_0-9:=,/()>. x-]{0,40}") {
        let _ = parse_match(&s);
        let _ = parse_actions(&s);
        let _ = parse_instructions(&s);
        let _ = parse_flow_mod(&s, FlowModCommand::Add);
        let _ = parse_group_mod(&s, crate::msg::GroupModCommand::Add);
        let _ = parse_meter_mod(&s, crate::msg::MeterModCommand::Add);
    }

    #[test]
    fn parsers_never_panic_on_mutated_text(i in any::<prop::sample::Index>(), c in any::<char>(), cut in any::<bool>()) {
        let base = "priority=5,tcp,in_port=1,dl_vlan=3,nw_src=10.0.0.0/8,tp_dst=80,oxm(0x0001:2)=0x01/0x02 \
                    actions=set_field:1.2.3.4->ip_dst,write_actions(group:1),experimenter(0x2320:0x01),goto_table:1";
        let mut s: Vec<char> = base.chars().collect();
        let at = i.index(s.len());
        if cut { s.truncate(at) } else { s[at] = c }
        let s: String = s.into_iter().collect();
        let _ = parse_flow_mod(&s, FlowModCommand::Add);
        let _ = parse_group_mod(&format!("group_id=1,type=all,bucket={s}"), crate::msg::GroupModCommand::Add);
        let _ = parse_meter_mod(&format!("meter=1,kbps,bands={s}"), crate::msg::MeterModCommand::Add);
    }
}
