//! Bad text gives an error that names the token and what was expected.

use crate::msg::{FlowModCommand, GroupModCommand, MeterModCommand};
use crate::text::*;

/// Asserts that `r` failed with a message containing every one of `words`.
fn fails<T: std::fmt::Debug>(r: Result<T, TextError>, words: &[&str]) -> TextError {
    let e = r.expect_err("expected an error");
    let msg = e.to_string();
    for w in words {
        assert!(msg.contains(w), "`{msg}` lacks `{w}`");
    }
    e
}

#[test]
fn unknown_fields_and_keywords() {
    let e = fails(
        parse_match("in_port=1,foo=2"),
        &["unknown match field", "`foo`", "in_port"],
    );
    assert!(matches!(e, TextError::Unknown { .. }));
    fails(
        parse_match("tcpp"),
        &["unknown match field or shortcut", "`tcpp`"],
    );
    fails(parse_match("in_port"), &["`in_port`", "`in_port=VALUE`"]);
    fails(
        parse_match("priority=5"),
        &["unknown match field", "`priority`"],
    );
    fails(parse_match("oxm(0x0001)=0x01"), &["CLASS:FIELD"]);
    fails(
        parse_group_mod("group_id=1,type=all,color=red", GroupModCommand::Add),
        &["group keyword", "color=red"],
    );
    fails(
        parse_meter_mod("meter=1,fast", MeterModCommand::Add),
        &["meter keyword", "`fast`"],
    );
    fails(
        parse_meter_mod(
            "meter=1,kbps,bands=type=drop,rate=5,prec_level=1",
            MeterModCommand::Add,
        ),
        &["band keyword", "prec_level=1"],
    );
}

#[test]
fn bad_values() {
    fails(
        parse_match("in_port=eth0"),
        &["`eth0`", "`in_port`", "port number", "LOCAL"],
    );
    fails(
        parse_match("ip,nw_src=10.0.0.300"),
        &["`10.0.0.300`", "IPv4 address"],
    );
    fails(parse_match("ip,nw_src=10.0.0.0/33"), &["`33`", "mask"]);
    fails(parse_match("tcp,tp_dst=70000"), &["`70000`", "0 to 65535"]);
    fails(
        parse_match("dl_src=00:11:22:33:44"),
        &["`00:11:22:33:44`", "Ethernet address"],
    );
    fails(parse_match("in_port=1/0xff"), &["takes no mask"]);
    fails(parse_match("dl_vlan=5000"), &["VLAN id"]);
    fails(parse_match("dl_vlan_pcp=8"), &["`8`", "0 to 7"]);
    fails(parse_match("ip,nw_tos=41"), &["multiple of 4"]);
    fails(parse_match("vlan_tci=0x3000/0x3000"), &["PCP"]);
    fails(
        parse_match("oxm(0x0001:2)=0x123"),
        &["even number of hex digits"],
    );
    fails(
        parse_flow_mod("priority=-1,actions=drop", FlowModCommand::Add),
        &["`-1`", "priority"],
    );
    fails(
        parse_group_mod("group_id=1,type=fancy", GroupModCommand::Add),
        &["`fancy`", "select"],
    );
    fails(
        parse_meter_mod("meter=x", MeterModCommand::Add),
        &["`x`", "meter"],
    );
}

#[test]
fn missing_prerequisites() {
    let e = fails(
        parse_match("tcp_dst=80"),
        &["tcp_dst", "TCP_DST", "IP_PROTO 6"],
    );
    assert!(matches!(e, TextError::Prerequisite { .. }));
    fails(parse_match("tp_dst=80"), &["tp_dst", "tcp, udp or sctp"]);
    fails(parse_match("ip,tp_src=1"), &["tp_src"]);
    fails(
        parse_match("nw_src=10.0.0.1"),
        &["nw_src (IPV4_SRC)", "ETH_TYPE 0x0800"],
    );
    fails(
        parse_match("ipv6,nd_target=::1"),
        &["nd_target", "ICMPV6_TYPE 135 or 136"],
    );
    fails(parse_match("arp,ipv6_src=::1"), &["ipv6_src", "0x86dd"]);
    fails(parse_match("mpls_label=5"), &["mpls_label", "0x8847"]);
    fails(
        parse_match("vlan_pcp=3,vlan_vid=0"),
        &["vlan_pcp", "VLAN_VID"],
    );
    fails(
        parse_match("ip,dl_type=0x0800"),
        &["dl_type", "more than once"],
    );
    fails(
        parse_flow_mod("udp,tcp_src=1,actions=drop", FlowModCommand::Add),
        &["tcp_src", "IP_PROTO 6"],
    );
}

#[test]
fn bad_actions_and_instructions() {
    let e = fails(
        parse_actions("output:1,resubmit:2"),
        &["unknown action", "`resubmit:2`", "output:PORT"],
    );
    assert!(matches!(e, TextError::Unknown { .. }));
    fails(
        parse_actions("output:"),
        &["`output:`", "needs an argument"],
    );
    fails(
        parse_actions("output:nowhere"),
        &["`nowhere`", "port number"],
    );
    fails(parse_actions("group:x"), &["`x`", "group"]);
    fails(parse_actions("pop_vlan:3"), &["takes no argument"]);
    fails(
        parse_actions("set_field:1->nope"),
        &["unknown field", "`nope`"],
    );
    fails(
        parse_actions("set_field:300->ip_dscp"),
        &["`300`", "ip_dscp"],
    );
    fails(parse_actions("set_field:1"), &["set_field:VALUE->FIELD"]);
    fails(
        parse_actions("set_field:5/0xff->tcp_dst"),
        &["takes no mask"],
    );
    fails(
        parse_actions("experimenter(0x2320:0x1)"),
        &["even number of hex digits"],
    );
    fails(
        parse_actions("output(port=1,size=3)"),
        &["output(port=PORT,max_len=N)"],
    );
    fails(parse_actions("ANY"), &["unknown action"]);
    fails(
        parse_instructions("write_actions(output:1"),
        &["`(` without a matching `)`"],
    );
    fails(
        parse_instructions("output:1)"),
        &["`)` without a matching `(`"],
    );
    fails(
        parse_instructions("goto_table:300"),
        &["`300`", "goto_table"],
    );
    fails(
        parse_instructions("write_actions(bogus)"),
        &["unknown action", "`bogus`"],
    );
    fails(
        parse_instructions("write_metadata:0x1/zz"),
        &["`zz`", "write_metadata"],
    );
}

#[test]
fn missing_parts() {
    let e = fails(
        parse_flow_mod("in_port=1", FlowModCommand::Add),
        &["missing actions="],
    );
    assert_eq!(
        e,
        TextError::Missing {
            what: "actions= (write actions=drop for a flow without actions)"
        }
    );
    fails(
        parse_group_mod("type=all", GroupModCommand::Add),
        &["missing group_id="],
    );
    fails(
        parse_group_mod("group_id=1,bucket=output:1", GroupModCommand::Add),
        &["missing type="],
    );
    fails(
        parse_meter_mod("kbps", MeterModCommand::Add),
        &["missing meter="],
    );
    fails(
        parse_meter_mod("meter=1,kbps,bands=rate=5", MeterModCommand::Add),
        &["must start with type="],
    );
    fails(
        parse_meter_mod("meter=1,kbps,bands=type=drop", MeterModCommand::Add),
        &["missing rate="],
    );
    fails(
        parse_meter_mod(
            "meter=1,bands=type=experimenter,rate=1",
            MeterModCommand::Add,
        ),
        &["missing experimenter="],
    );
}
