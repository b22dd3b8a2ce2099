//! OXM fields as text: the names Open vSwitch gives them, the value syntax of each kind of field,
//! and the lossless `oxm(CLASS:FIELD)=VALUE[/MASK]` form for fields kept raw.

use super::lex::{blob, hex, number, parse_blob, parse_u64};
use super::port::{format_port, parse_port, PORT_EXPECTED};
use super::TextError;
use crate::oxm::{OxmField, RawOxm, OFPXMC_OPENFLOW_BASIC};
use crate::wire::Reader;
use crate::MacAddr;
use bytes::BytesMut;
use std::net::{Ipv4Addr, Ipv6Addr};

/// How a field's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A port: number or reserved name.
    Port,
    /// A decimal number (masks in hex).
    Dec,
    /// A hexadecimal number.
    Hex,
    /// An Ethernet address.
    Mac,
    /// An IPv4 address; masks as a prefix length or an address.
    Ipv4,
    /// An IPv6 address; masks as a prefix length or an address.
    Ipv6,
}

/// One OpenFlow basic field as text.
#[derive(Debug)]
pub(crate) struct FieldDef {
    /// OXM field number.
    pub code: u8,
    /// Open vSwitch's name for the field, used in `set_field`.
    pub name: &'static str,
    /// The name `ovs-ofctl` prints in matches.
    pub match_name: &'static str,
    /// Further names accepted when parsing.
    pub aliases: &'static [&'static str],
    /// Value syntax.
    pub kind: Kind,
}

const fn def(
    code: u8,
    name: &'static str,
    match_name: &'static str,
    aliases: &'static [&'static str],
    kind: Kind,
) -> FieldDef {
    FieldDef {
        code,
        name,
        match_name,
        aliases,
        kind,
    }
}

use Kind::*;

/// Every OpenFlow 1.3 basic field, indexed by field number.
const FIELDS: [FieldDef; 40] = [
    def(0, "in_port", "in_port", &["in_port_oxm"], Port),
    def(1, "in_phy_port", "in_phy_port", &[], Port),
    def(2, "metadata", "metadata", &[], Hex),
    def(3, "eth_dst", "dl_dst", &[], Mac),
    def(4, "eth_src", "dl_src", &[], Mac),
    def(5, "eth_type", "dl_type", &[], Hex),
    def(6, "vlan_vid", "vlan_vid", &[], Dec),
    def(7, "vlan_pcp", "vlan_pcp", &[], Dec),
    def(8, "ip_dscp", "ip_dscp", &[], Dec),
    def(9, "nw_ecn", "nw_ecn", &["ip_ecn"], Dec),
    def(10, "nw_proto", "nw_proto", &["ip_proto"], Dec),
    def(11, "ip_src", "nw_src", &["ipv4_src"], Ipv4),
    def(12, "ip_dst", "nw_dst", &["ipv4_dst"], Ipv4),
    def(13, "tcp_src", "tcp_src", &["tp_src"], Dec),
    def(14, "tcp_dst", "tcp_dst", &["tp_dst"], Dec),
    def(15, "udp_src", "udp_src", &[], Dec),
    def(16, "udp_dst", "udp_dst", &[], Dec),
    def(17, "sctp_src", "sctp_src", &[], Dec),
    def(18, "sctp_dst", "sctp_dst", &[], Dec),
    def(19, "icmp_type", "icmpv4_type", &[], Dec),
    def(20, "icmp_code", "icmpv4_code", &[], Dec),
    def(21, "arp_op", "arp_op", &[], Dec),
    def(22, "arp_spa", "arp_spa", &[], Ipv4),
    def(23, "arp_tpa", "arp_tpa", &[], Ipv4),
    def(24, "arp_sha", "arp_sha", &[], Mac),
    def(25, "arp_tha", "arp_tha", &[], Mac),
    def(26, "ipv6_src", "ipv6_src", &[], Ipv6),
    def(27, "ipv6_dst", "ipv6_dst", &[], Ipv6),
    def(28, "ipv6_label", "ipv6_label", &["ipv6_flabel"], Hex),
    def(29, "icmpv6_type", "icmpv6_type", &[], Dec),
    def(30, "icmpv6_code", "icmpv6_code", &[], Dec),
    def(31, "nd_target", "nd_target", &["ipv6_nd_target"], Ipv6),
    def(32, "nd_sll", "nd_sll", &["ipv6_nd_sll"], Mac),
    def(33, "nd_tll", "nd_tll", &["ipv6_nd_tll"], Mac),
    def(34, "mpls_label", "mpls_label", &[], Dec),
    def(35, "mpls_tc", "mpls_tc", &[], Dec),
    def(36, "mpls_bos", "mpls_bos", &[], Dec),
    def(37, "pbb_isid", "pbb_isid", &[], Hex),
    def(38, "tun_id", "tun_id", &["tunnel_id"], Hex),
    def(39, "ipv6_exthdr", "ipv6_exthdr", &[], Hex),
];

/// The definition of basic field number `code`.
pub(crate) fn def_of(code: u8) -> Option<&'static FieldDef> {
    FIELDS.get(code as usize)
}

/// The field called `name` (any of its names, case-sensitive as in Open vSwitch).
pub(crate) fn lookup(name: &str) -> Option<&'static FieldDef> {
    FIELDS
        .iter()
        .find(|d| d.name == name || d.match_name == name || d.aliases.contains(&name))
}

/// Value and mask bytes of a field as they go on the wire.
pub(crate) fn payload(f: &OxmField) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut buf = BytesMut::new();
    if f.emit(&mut buf).is_err() {
        return (Vec::new(), None);
    }
    let p = buf.get(4..).unwrap_or_default();
    if f.has_mask() {
        let (v, m) = p.split_at(p.len() / 2);
        (v.to_vec(), Some(m.to_vec()))
    } else {
        (p.to_vec(), None)
    }
}

/// Big-endian bytes (at most 8) as an integer.
pub(crate) fn be(b: &[u8]) -> u64 {
    b.iter().fold(0, |a, x| (a << 8) | *x as u64)
}

fn prefix_len(mask: &[u8]) -> Option<u32> {
    let ones: u32 = mask.iter().map(|b| b.count_ones()).sum();
    let leading = mask
        .iter()
        .position(|b| *b != 0xff)
        .map_or(8 * mask.len() as u32, |i| {
            8 * i as u32 + mask[i].leading_ones()
        });
    (ones == leading).then_some(ones)
}

/// Formats a value of the given kind.
pub(crate) fn format_value(kind: Kind, v: &[u8]) -> String {
    match kind {
        Port => format_port(be(v) as u32),
        Dec => be(v).to_string(),
        Hex => hex(be(v)),
        Mac => <[u8; 6]>::try_from(v).map_or_else(|_| blob(v), |a| MacAddr(a).to_string()),
        Ipv4 => <[u8; 4]>::try_from(v).map_or_else(|_| blob(v), |a| Ipv4Addr::from(a).to_string()),
        Ipv6 => <[u8; 16]>::try_from(v).map_or_else(|_| blob(v), |a| Ipv6Addr::from(a).to_string()),
    }
}

/// Formats a mask: hex for numbers, a prefix length for CIDR address masks.
pub(crate) fn format_mask(kind: Kind, m: &[u8]) -> String {
    match kind {
        Ipv4 | Ipv6 => match prefix_len(m) {
            Some(n) => n.to_string(),
            None => format_value(kind, m),
        },
        Mac => format_value(kind, m),
        Port | Dec | Hex => hex(be(m)),
    }
}

/// `VALUE[/MASK]` of a field in `set_field` syntax (raw fields in the raw syntax).
pub(crate) fn value_text(f: &OxmField) -> String {
    if let OxmField::Raw(r) = f {
        return raw_value(r);
    }
    let Some(d) = f.basic_field().and_then(def_of) else {
        return String::new();
    };
    let (v, m) = payload(f);
    match m {
        Some(m) => format!("{}/{}", format_value(d.kind, &v), format_mask(d.kind, &m)),
        None => format_value(d.kind, &v),
    }
}

/// The `set_field` name of a field (`oxm(CLASS:FIELD)` for raw fields).
pub(crate) fn field_name(f: &OxmField) -> String {
    match f {
        OxmField::Raw(r) => raw_name(r),
        f => f
            .basic_field()
            .and_then(def_of)
            .map_or_else(String::new, |d| d.name.to_string()),
    }
}

fn expected(kind: Kind, width: usize) -> String {
    match kind {
        Port => PORT_EXPECTED.to_string(),
        Dec | Hex => format!("a number from 0 to {:#x}", width_max(width)),
        Mac => "an Ethernet address such as 00:11:22:33:44:55".to_string(),
        Ipv4 => "an IPv4 address such as 10.0.0.1".to_string(),
        Ipv6 => "an IPv6 address such as 2001:db8::1".to_string(),
    }
}

fn width_max(width: usize) -> u64 {
    if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    }
}

fn int_bytes(v: u64, width: usize) -> Vec<u8> {
    v.to_be_bytes()[8 - width.min(8)..].to_vec()
}

fn value_bytes(kind: Kind, s: &str, width: usize) -> Option<Vec<u8>> {
    match kind {
        Port => parse_port(s).map(|p| int_bytes(p as u64, width)),
        Dec | Hex => parse_u64(s)
            .filter(|v| *v <= width_max(width))
            .map(|v| int_bytes(v, width)),
        Mac => s.parse::<MacAddr>().ok().map(|m| m.0.to_vec()),
        Ipv4 => s.parse::<Ipv4Addr>().ok().map(|a| a.octets().to_vec()),
        Ipv6 => s.parse::<Ipv6Addr>().ok().map(|a| a.octets().to_vec()),
    }
}

fn mask_bytes(kind: Kind, s: &str, width: usize) -> Option<Vec<u8>> {
    match kind {
        Ipv4 | Ipv6 if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            let n: usize = s.parse().ok().filter(|n| *n <= 8 * width)?;
            Some(
                (0..width)
                    .map(|i| ((0xff00u16 >> n.saturating_sub(8 * i).min(8)) & 0xff) as u8)
                    .collect(),
            )
        }
        Port | Dec => value_bytes(Hex, s, width),
        _ => value_bytes(kind, s, width),
    }
}

/// Parses `VALUE[/MASK]` for a basic field (given by its definition) into a typed field.
pub(crate) fn parse_value(d: &FieldDef, name: &str, text: &str) -> Result<OxmField, TextError> {
    let width = OxmField::basic_width(d.code).unwrap_or(0);
    let (v, m) = match text.split_once('/') {
        Some((v, m)) => (v, Some(m)),
        None => (text, None),
    };
    if m.is_some() && !OxmField::basic_maskable(d.code) {
        return Err(TextError::bad(
            name,
            text,
            "an exact value: this field takes no mask",
        ));
    }
    let mut payload = value_bytes(d.kind, v, width)
        .ok_or_else(|| TextError::bad(name, v, expected(d.kind, width)))?;
    if let Some(m) = m {
        let mask_kind = if d.kind == Port { Hex } else { d.kind };
        let mb = mask_bytes(d.kind, m, width).ok_or_else(|| {
            TextError::bad(name, m, format!("a mask: {}", expected(mask_kind, width)))
        })?;
        payload.extend(mb);
    }
    let raw = RawOxm {
        class: OFPXMC_OPENFLOW_BASIC,
        field: d.code,
        hasmask: m.is_some(),
        payload,
    };
    decode_raw(raw, name, text)
}

/// Turns a basic-class raw field into its typed form by decoding its wire encoding.
fn decode_raw(raw: RawOxm, name: &str, text: &str) -> Result<OxmField, TextError> {
    let mut buf = BytesMut::new();
    OxmField::Raw(raw)
        .emit(&mut buf)
        .map_err(|_| TextError::bad(name, text, "a shorter value"))?;
    let mut r = Reader::new(&buf);
    OxmField::decode(&mut r).map_err(|_| TextError::bad(name, text, "a valid value"))
}

/// `oxm(0xCLASS:FIELD)`, the name of a raw field.
pub(crate) fn raw_name(r: &RawOxm) -> String {
    format!("oxm({:#06x}:{})", r.class, r.field)
}

/// The value of a raw field: its payload as a blob, split in halves by `/` when the has-mask bit
/// is set.
pub(crate) fn raw_value(r: &RawOxm) -> String {
    if r.hasmask {
        let (v, m) = r.payload.split_at(r.payload.len() / 2);
        format!("{}/{}", blob(v), blob(m))
    } else {
        blob(&r.payload)
    }
}

/// Parses `oxm(CLASS:FIELD)` into the class and field number; `None` if `name` is not of that
/// form at all.
pub(crate) fn parse_raw_name(name: &str) -> Option<Result<(u16, u8), TextError>> {
    let inner = name.strip_prefix("oxm(")?.strip_suffix(')')?;
    let bad = || {
        TextError::bad(
            name,
            inner,
            "CLASS:FIELD with a 16-bit class and a field below 128",
        )
    };
    Some(inner.split_once(':').ok_or_else(bad).and_then(|(c, f)| {
        let class = number(name, c, u16::MAX as u64).map_err(|_| bad())?;
        let field = number(name, f, 127).map_err(|_| bad())?;
        Ok((class as u16, field as u8))
    }))
}

/// Parses the value of a raw field (see [`raw_value`]).
pub(crate) fn parse_raw_value(
    (class, field): (u16, u8),
    name: &str,
    text: &str,
) -> Result<OxmField, TextError> {
    let (payload, hasmask) = match text.split_once('/') {
        Some((v, m)) => {
            let mut p = parse_blob(name, v)?;
            p.extend(parse_blob(name, m)?);
            (p, true)
        }
        None => (parse_blob(name, text)?, false),
    };
    if payload.len() > 255 {
        return Err(TextError::bad(name, text, "at most 255 bytes"));
    }
    Ok(OxmField::Raw(RawOxm {
        class,
        field,
        hasmask,
        payload,
    }))
}

/// Parses `VALUE[/MASK]` for the field called `name` (a basic field name or the raw form).
pub(crate) fn parse_named(name: &str, text: &str) -> Result<OxmField, TextError> {
    if let Some(id) = parse_raw_name(name) {
        return parse_raw_value(id?, name, text);
    }
    let d = lookup(name).ok_or_else(|| TextError::Unknown {
        what: "field",
        token: name.to_string(),
        expected: "an OpenFlow 1.3 field such as eth_dst, ip_src or tcp_dst, or oxm(CLASS:FIELD)",
    })?;
    parse_value(d, name, text)
}
