//! Helpers shared by the test binaries.
#![allow(dead_code)]

use fakeswitch::MacAddr;
use ofproto::msg::{FlowMod, FlowModCommand, GroupMod, GroupModCommand, MeterMod, MeterModCommand};
use ofproto::text::{parse_flow_mod, parse_group_mod, parse_meter_mod};
use std::net::Ipv4Addr;

/// An ADD flow mod in `ovs-ofctl add-flow` syntax.
pub fn add(text: &str) -> FlowMod {
    parse_flow_mod(text, FlowModCommand::Add).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A flow mod with another command.
pub fn fm(text: &str, command: FlowModCommand) -> FlowMod {
    parse_flow_mod(text, command).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// An ADD group mod in `ovs-ofctl add-group` syntax.
pub fn group(text: &str) -> GroupMod {
    gm(text, GroupModCommand::Add)
}

/// A group mod with another command.
pub fn gm(text: &str, command: GroupModCommand) -> GroupMod {
    parse_group_mod(text, command).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// An ADD meter mod in `ovs-ofctl add-meter` syntax.
pub fn meter(text: &str) -> MeterMod {
    mm(text, MeterModCommand::Add)
}

/// A meter mod with another command.
pub fn mm(text: &str, command: MeterModCommand) -> MeterMod {
    parse_meter_mod(text, command).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// `02:00:00:00:00:nn`.
pub fn mac(n: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, n])
}

/// `10.0.0.n`.
pub fn ip(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, n)
}

/// A UDP packet from host `src` to host `dst` entering on `in_port`.
pub fn udp(in_port: u32, src: u8, dst: u8) -> fakeswitch::Packet {
    fakeswitch::Packet::ipv4_udp(in_port, mac(src), mac(dst), ip(src), ip(dst), 1000, 53)
}
