//! Port numbers: decimal, or the reserved names Open vSwitch uses (`LOCAL`, `CONTROLLER`, ...).

use super::lex::parse_u64;
use crate::action::port_no;

/// Reserved ports and their names, as `ovs-ofctl` prints them.
const RESERVED: [(u32, &str); 8] = [
    (port_no::IN_PORT, "IN_PORT"),
    (port_no::TABLE, "TABLE"),
    (port_no::NORMAL, "NORMAL"),
    (port_no::FLOOD, "FLOOD"),
    (port_no::ALL, "ALL"),
    (port_no::CONTROLLER, "CONTROLLER"),
    (port_no::LOCAL, "LOCAL"),
    (port_no::ANY, "ANY"),
];

/// The name of a reserved port, if `port` is one.
pub(crate) fn reserved_name(port: u32) -> Option<&'static str> {
    RESERVED.iter().find(|(p, _)| *p == port).map(|(_, n)| *n)
}

/// A port as text: its reserved name, or the number in decimal.
pub(crate) fn format_port(port: u32) -> String {
    reserved_name(port).map_or_else(|| port.to_string(), str::to_string)
}

/// Parses a port number or reserved name (any case; `NONE` is accepted for `ANY`).
pub(crate) fn parse_port(s: &str) -> Option<u32> {
    if s.eq_ignore_ascii_case("NONE") {
        return Some(port_no::ANY);
    }
    RESERVED
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(s))
        .map(|(p, _)| *p)
        .or_else(|| parse_u64(s).and_then(|v| u32::try_from(v).ok()))
}

/// What [`parse_port`] accepts, for error messages.
pub(crate) const PORT_EXPECTED: &str =
    "a port number or one of IN_PORT, TABLE, NORMAL, FLOOD, ALL, CONTROLLER, LOCAL, ANY";
