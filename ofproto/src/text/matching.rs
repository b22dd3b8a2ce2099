//! Matches in `ovs-ofctl` syntax: [`format_match`] and [`parse_match`].
//!
//! Fields are written in the order and with the names `ovs-ofctl` uses (`tcp,in_port=1,
//! nw_src=10.0.0.0/8,tp_dst=80`), so the text does not keep the order of the fields in the
//! [`Match`]; parsing produces the fields in text order, a shortcut yielding `ETH_TYPE` then
//! `IP_PROTO`.

use super::field::{self, def_of, lookup, parse_raw_name, parse_raw_value, parse_value};
use super::lex::{key_value, masked_u64, num_u16, num_u8, number, tokens};
use super::vlan::{format_tci, Tci};
use super::TextError;
use crate::oxm::{Masked, Match, OxmField, OFPVID_PRESENT};

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;
const ETH_ARP: u16 = 0x0806;

/// Shortcut names with the `eth_type` and `ip_proto` they stand for.
const SHORTCUTS: [(&str, u16, Option<u8>); 14] = [
    ("ip", ETH_IPV4, None),
    ("icmp", ETH_IPV4, Some(1)),
    ("tcp", ETH_IPV4, Some(6)),
    ("udp", ETH_IPV4, Some(17)),
    ("sctp", ETH_IPV4, Some(132)),
    ("ipv6", ETH_IPV6, None),
    ("icmp6", ETH_IPV6, Some(58)),
    ("tcp6", ETH_IPV6, Some(6)),
    ("udp6", ETH_IPV6, Some(17)),
    ("sctp6", ETH_IPV6, Some(132)),
    ("arp", ETH_ARP, None),
    ("rarp", 0x8035, None),
    ("mpls", 0x8847, None),
    ("mplsm", 0x8848, None),
];

/// Writes a match in `ovs-ofctl` syntax (empty for a match on everything).
///
/// Fields come in Open vSwitch's canonical order, with its spellings: shortcuts for
/// `eth_type`/`ip_proto`, `dl_vlan`/`dl_vlan_pcp`/`vlan_tci` for the VLAN fields, `nw_tos` for
/// `IP_DSCP` (the DSCP shifted left by 2), `tp_src`/`tp_dst` and `icmp_type`/`icmp_code` where
/// the match says which protocol they belong to. Values that Open vSwitch's syntax cannot carry
/// exactly fall back to the field's own name (`vlan_vid=`, `ip_dscp=`, `tcp_src=`, ...), and
/// fields of other classes use `oxm(0xCLASS:FIELD)=0xVALUE[/0xMASK]`, so that [`parse_match`]
/// gives back the same fields (in canonical order).
pub fn format_match(m: &Match) -> String {
    match_items(m).join(",")
}

/// The comma-separated items of [`format_match`].
pub(crate) fn match_items(m: &Match) -> Vec<String> {
    use OxmField::*;
    let f = &m.fields;
    let eth = f.iter().enumerate().find_map(|(i, x)| match x {
        EthType(e) => Some((i, *e)),
        _ => None,
    });
    let proto = f.iter().enumerate().find_map(|(i, x)| match x {
        IpProto(p) => Some((i, *p)),
        _ => None,
    });
    let mut skip = vec![false; f.len()];
    let mut items: Vec<(u8, String)> = Vec::new();
    if let Some((eth_i, e)) = eth {
        let p = proto.map(|(_, p)| p);
        let full = SHORTCUTS
            .iter()
            .find(|s| s.1 == e && s.2.is_some() && s.2 == p);
        let plain = SHORTCUTS.iter().find(|s| s.1 == e && s.2.is_none());
        if let Some((name, _, folded)) = full.or(plain) {
            items.push((0, name.to_string()));
            skip[eth_i] = true;
            if let (Some(_), Some((proto_i, _))) = (folded, proto) {
                skip[proto_i] = true;
            }
        }
    }
    let vids: Vec<(usize, Masked<u16>)> = f
        .iter()
        .enumerate()
        .filter_map(|(i, x)| match x {
            VlanVid(m) => Some((i, *m)),
            _ => None,
        })
        .collect();
    let pcps: Vec<(usize, u8)> = f
        .iter()
        .enumerate()
        .filter_map(|(i, x)| match x {
            VlanPcp(p) => Some((i, *p)),
            _ => None,
        })
        .collect();
    if let ([(vid_i, vid)], [] | [_]) = (vids.as_slice(), pcps.as_slice()) {
        if let Some(tci) = format_tci(*vid, pcps.first().map(|p| p.1)) {
            items.extend(tci.into_iter().map(|s| (5, s)));
            skip[*vid_i] = true;
            pcps.iter().for_each(|(i, _)| skip[*i] = true);
        }
    }
    let (eth, proto) = (eth.map(|e| e.1), proto.map(|p| p.1));
    for (field, _) in f.iter().zip(&skip).filter(|(_, s)| !**s) {
        items.push((rank(field), item(field, eth, proto)));
    }
    items.sort_by_key(|(r, _)| *r);
    items.into_iter().map(|(_, s)| s).collect()
}

/// Position of a field in Open vSwitch's canonical order.
fn rank(f: &OxmField) -> u8 {
    match f.basic_field() {
        Some(38) => 1,
        Some(2) => 2,
        Some(0) => 3,
        Some(1) => 4,
        Some(6 | 7) => 5,
        Some(4) => 6,
        Some(3) => 7,
        Some(5) => 8,
        Some(26 | 22 | 11) => 9,
        Some(27 | 23 | 12) => 10,
        Some(28) => 11,
        Some(10 | 21) => 12,
        Some(24) => 13,
        Some(25) => 14,
        Some(8) => 15,
        Some(9) => 16,
        Some(34) => 17,
        Some(35) => 18,
        Some(36) => 19,
        Some(13 | 15 | 17 | 19 | 29) => 20,
        Some(14 | 16 | 18 | 20 | 30) => 21,
        Some(31) => 22,
        Some(32) => 23,
        Some(33) => 24,
        Some(37) => 25,
        Some(39) => 26,
        _ => 27,
    }
}

/// One `name=value` item.
fn item(f: &OxmField, eth: Option<u16>, proto: Option<u8>) -> String {
    use OxmField::*;
    let v6 = eth == Some(ETH_IPV6);
    let name = match f {
        Raw(r) => return format!("{}={}", field::raw_name(r), field::raw_value(r)),
        EthType(t) => return format!("dl_type=0x{t:04x}"),
        IpDscp(d) if *d < 64 => return format!("nw_tos={}", d << 2),
        Ipv6Flabel(m) => {
            return match m.mask {
                Some(mask) => format!("ipv6_label=0x{:05x}/0x{mask:05x}", m.value),
                None => format!("ipv6_label=0x{:05x}", m.value),
            }
        }
        TcpSrc(_) | TcpDst(_) if proto == Some(6) => tp_name(f),
        UdpSrc(_) | UdpDst(_) if proto == Some(17) => tp_name(f),
        SctpSrc(_) | SctpDst(_) if proto == Some(132) => tp_name(f),
        Icmpv4Type(_) | Icmpv6Type(_) if v6 == matches!(f, Icmpv6Type(_)) => "icmp_type",
        Icmpv4Code(_) | Icmpv6Code(_) if v6 == matches!(f, Icmpv6Code(_)) => "icmp_code",
        f => f
            .basic_field()
            .and_then(def_of)
            .map_or("", |d| d.match_name),
    };
    format!("{name}={}", field::value_text(f))
}

fn tp_name(f: &OxmField) -> &'static str {
    if matches!(f.basic_field(), Some(13 | 15 | 17)) {
        "tp_src"
    } else {
        "tp_dst"
    }
}

/// Parses a match in `ovs-ofctl` syntax (see [`format_match`]) and checks the OpenFlow
/// prerequisites of its fields.
///
/// Accepted: every name `ovs-ofctl` accepts for an OpenFlow 1.3 field (`in_port`, `dl_src`,
/// `eth_src`, `nw_src`, `ip_src`, `tp_dst`, `tcp_dst`, `icmp_type`, `icmpv6_type`, `nd_target`,
/// `mpls_label`, `tun_id`, `ipv6_label`, ...), the VLAN forms `dl_vlan`, `dl_vlan_pcp`,
/// `vlan_tci`, `vlan_vid` and `vlan_pcp`, `nw_tos` and `ip_dscp`, the shortcuts `ip`, `ipv6`,
/// `icmp`, `icmp6`, `tcp`, `tcp6`, `udp`, `udp6`, `sctp`, `sctp6`, `arp`, `rarp`, `mpls`,
/// `mplsm`, the extensions `in_phy_port`, `pbb_isid`, `ipv6_exthdr`, and raw fields
/// `oxm(0xCLASS:FIELD)=0xVALUE[/0xMASK]`. Masks follow a `/`: hex numbers, Ethernet addresses,
/// or a prefix length or address for IP fields. An explicit mask is kept even when it is all
/// ones.
pub fn parse_match(text: &str) -> Result<Match, TextError> {
    let mut b = MatchBuilder::default();
    for t in tokens(text)? {
        b.add(t)?;
    }
    b.finish()
}

/// A field whose exact meaning depends on the rest of the match.
#[derive(Debug)]
enum Pending {
    /// A field as given.
    Field(OxmField),
    /// `tp_src` / `tp_dst`: TCP, UDP or SCTP by `ip_proto`.
    TpPort { dst: bool, value: u16 },
    /// `icmp_type` / `icmp_code`: ICMPv4 or ICMPv6 by `eth_type`.
    Icmp { code: bool, value: u8 },
    /// `nw_src`, `nw_dst`, `nw_proto`: the ARP fields when `eth_type` is ARP.
    Nw(OxmField),
    /// Where the VLAN fields from `dl_vlan`, `dl_vlan_pcp`, `vlan_tci` go.
    Vlan,
}

/// Collects match tokens and resolves them into a [`Match`].
#[derive(Debug, Default)]
pub(crate) struct MatchBuilder {
    items: Vec<Pending>,
    tci: Option<Tci>,
}

impl MatchBuilder {
    fn tci(&mut self) -> &mut Tci {
        if self.tci.is_none() {
            self.items.push(Pending::Vlan);
        }
        self.tci.get_or_insert_with(Tci::default)
    }

    /// Adds one `key=value` or shortcut token.
    pub(crate) fn add(&mut self, token: &str) -> Result<(), TextError> {
        let (key, value) = key_value(token);
        let Some(v) = value else {
            let (_, eth, proto) = SHORTCUTS.iter().find(|s| s.0 == key).ok_or_else(|| {
                if lookup(key).is_some() {
                    TextError::bad(key, "", format!("`{key}=VALUE`"))
                } else {
                    TextError::Unknown {
                        what: "match field or shortcut",
                        token: token.to_string(),
                        expected: "KEY=VALUE or a shortcut such as ip, tcp, udp6, arp, mpls",
                    }
                }
            })?;
            self.items.push(Pending::Field(OxmField::EthType(*eth)));
            if let Some(p) = proto {
                self.items.push(Pending::Field(OxmField::IpProto(*p)));
            }
            return Ok(());
        };
        let item = match key {
            "dl_vlan" => {
                let vid = number(key, v, 0xffff)
                    .ok()
                    .filter(|n| *n <= 0xfff || *n == 0xffff)
                    .ok_or_else(|| {
                        TextError::bad(key, v, "a VLAN id from 0 to 4095, or 0xffff for no VLAN")
                    })?;
                self.tci().vlan(vid as u16);
                return Ok(());
            }
            "dl_vlan_pcp" => {
                let pcp = number(key, v, 7)?;
                self.tci().pcp(pcp as u8);
                return Ok(());
            }
            "vlan_tci" => {
                let (value, mask) = masked_u64(key, v)?;
                let too_big = value > 0xffff || mask.is_some_and(|m| m > 0xffff);
                if too_big {
                    return Err(TextError::bad(
                        key,
                        v,
                        "a 16-bit TCI with an optional 16-bit mask",
                    ));
                }
                self.tci().set(value as u16, mask.unwrap_or(0xffff) as u16);
                return Ok(());
            }
            "nw_tos" => {
                let tos = num_u8(key, v)?;
                if tos % 4 != 0 {
                    return Err(TextError::bad(
                        key,
                        v,
                        "a multiple of 4 (the DSCP bits of the TOS byte)",
                    ));
                }
                Pending::Field(OxmField::IpDscp(tos >> 2))
            }
            "tp_src" | "tp_dst" => Pending::TpPort {
                dst: key == "tp_dst",
                value: num_u16(key, v)?,
            },
            "icmp_type" | "icmp_code" => Pending::Icmp {
                code: key == "icmp_code",
                value: num_u8(key, v)?,
            },
            "nw_src" | "nw_dst" | "nw_proto" => Pending::Nw(field::parse_named(key, v)?),
            _ => Pending::Field(match parse_raw_name(key) {
                Some(id) => parse_raw_value(id?, key, v)?,
                None => {
                    let d = lookup(key).ok_or_else(|| TextError::Unknown {
                        what: "match field",
                        token: key.to_string(),
                        expected: "a field such as in_port, dl_src, dl_vlan, nw_dst, tp_dst, or oxm(CLASS:FIELD)",
                    })?;
                    parse_value(d, key, v)?
                }
            }),
        };
        self.items.push(item);
        Ok(())
    }

    /// Resolves the collected tokens and checks duplicates and prerequisites.
    pub(crate) fn finish(self) -> Result<Match, TextError> {
        let eth = self.items.iter().find_map(|p| match p {
            Pending::Field(OxmField::EthType(e)) => Some(*e),
            _ => None,
        });
        let arp = eth == Some(ETH_ARP);
        let proto = self.items.iter().find_map(|p| match p {
            Pending::Field(OxmField::IpProto(p)) => Some(*p),
            Pending::Nw(OxmField::IpProto(p)) if !arp => Some(*p),
            _ => None,
        });
        let mut fields = Vec::new();
        for p in self.items {
            match p {
                Pending::Field(f) => fields.push(f),
                Pending::TpPort { dst, value } => fields.push(tp_field(proto, dst, value)?),
                Pending::Icmp { code, value } => fields.push(match (eth == Some(ETH_IPV6), code) {
                    (false, false) => OxmField::Icmpv4Type(value),
                    (false, true) => OxmField::Icmpv4Code(value),
                    (true, false) => OxmField::Icmpv6Type(value),
                    (true, true) => OxmField::Icmpv6Code(value),
                }),
                Pending::Nw(f) => fields.push(match f {
                    OxmField::Ipv4Src(m) if arp => OxmField::ArpSpa(m),
                    OxmField::Ipv4Dst(m) if arp => OxmField::ArpTpa(m),
                    OxmField::IpProto(p) if arp => OxmField::ArpOp(p as u16),
                    f => f,
                }),
                Pending::Vlan => fields.extend(self.tci.unwrap_or_default().into_fields()?),
            }
        }
        // `vlan_pcp=N` alone means "tagged, with this priority", as in Open vSwitch.
        let has_vid = fields.iter().any(|f| matches!(f, OxmField::VlanVid(_)));
        if let Some(i) = fields
            .iter()
            .position(|f| matches!(f, OxmField::VlanPcp(_)))
        {
            if !has_vid {
                let tagged = Masked::new(OFPVID_PRESENT, OFPVID_PRESENT);
                fields.insert(i, OxmField::VlanVid(tagged));
            }
        }
        let m = Match { fields };
        check(&m)?;
        Ok(m)
    }
}

fn tp_field(proto: Option<u8>, dst: bool, v: u16) -> Result<OxmField, TextError> {
    use OxmField::*;
    Ok(match (proto, dst) {
        (Some(6), false) => TcpSrc(v),
        (Some(6), true) => TcpDst(v),
        (Some(17), false) => UdpSrc(v),
        (Some(17), true) => UdpDst(v),
        (Some(132), false) => SctpSrc(v),
        (Some(132), true) => SctpDst(v),
        _ => {
            return Err(TextError::Prerequisite {
                field: if dst { "tp_dst" } else { "tp_src" }.to_string(),
                needs: "a transport protocol: tcp, udp or sctp (ip_proto 6, 17 or 132)".into(),
            })
        }
    })
}

/// Rejects repeated fields and unmet prerequisites with errors that name the field.
fn check(m: &Match) -> Result<(), TextError> {
    let mut seen = [false; 64];
    for f in &m.fields {
        if let Some(code) = f.basic_field() {
            if std::mem::replace(&mut seen[code as usize], true) {
                let name = def_of(code).map_or("field", |d| d.match_name);
                return Err(TextError::syntax(
                    &format!("{name}="),
                    "the field is given more than once (a shortcut such as `tcp` already sets dl_type and nw_proto)",
                ));
            }
        }
    }
    m.check_prerequisites().map_err(|e| {
        let code = (0..40u8).find(|c| OxmField::basic_name(*c) == Some(e.field));
        let name = code.and_then(def_of).map_or(e.field, |d| d.match_name);
        TextError::Prerequisite {
            field: format!("{name} ({})", e.field),
            needs: e.needs.to_string(),
        }
    })
}
