//! IGMP (RFC 2236 v2, RFC 3376 v3, RFC 1112 v1) as the snooping application needs it: what an
//! endpoint's IGMP frame says about its memberships, and the general query netmaster sends as
//! a network's querier. No I/O.

use crate::checksum::checksum;
use ofproto::MacAddr;
use std::net::Ipv4Addr;

/// Ethertype of IPv4.
const ETH_TYPE_IPV4: u16 = 0x0800;
/// IP protocol number of IGMP.
pub const IP_PROTO_IGMP: u8 = 2;
/// Membership query (every version).
const QUERY: u8 = 0x11;
/// IGMPv1 membership report.
const V1_REPORT: u8 = 0x12;
/// IGMPv2 membership report.
const V2_REPORT: u8 = 0x16;
/// IGMPv2 leave group.
const V2_LEAVE: u8 = 0x17;
/// IGMPv3 membership report.
const V3_REPORT: u8 = 0x22;
/// `all-systems.mcast.net`, where general queries go.
pub const ALL_SYSTEMS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 1);
/// The robustness variable netmaster's queries announce (RFC 3376's default).
pub const ROBUSTNESS: u32 = 2;

/// What an IGMP frame says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Igmp {
    /// A membership query (another querier on the network; snooping ignores it).
    Query,
    /// A report: groups joined or left by the sender.
    Report(Vec<GroupChange>),
}

/// One group in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupChange {
    /// The group address.
    pub group: Ipv4Addr,
    /// Whether the sender is (still) a member: `false` for a leave.
    pub member: bool,
}

/// Why a frame is not a usable IGMP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgmpError(pub String);

impl std::fmt::Display for IgmpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IgmpError {}

fn err<T>(msg: impl Into<String>) -> Result<T, IgmpError> {
    Err(IgmpError(msg.into()))
}

/// Whether `group` is a group address snooping tracks: multicast, outside the link-local
/// control block 224.0.0.0/24 (always flooded, RFC 4541 2.1.2).
pub fn is_snooped(group: Ipv4Addr) -> bool {
    group.is_multicast() && group.octets()[..3] != [224, 0, 0]
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn addr(b: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3])
}

/// The IGMP message of an untagged Ethernet frame: the checksum must be right, the lengths
/// consistent, and every group a report names a multicast address (groups in 224.0.0.0/24
/// are left out of the result: they are never snooped).
pub fn parse(frame: &[u8]) -> Result<Igmp, IgmpError> {
    if frame.len() < 14 + 20 {
        return err(format!("frame of {} bytes is too short", frame.len()));
    }
    if be16(frame, 12) != ETH_TYPE_IPV4 {
        return err(format!("ethertype {:#06x} is not IPv4", be16(frame, 12)));
    }
    let ip = &frame[14..];
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    if ip[0] >> 4 != 4 || ihl < 20 {
        return err(format!("bad IPv4 version/IHL byte {:#04x}", ip[0]));
    }
    if ip[9] != IP_PROTO_IGMP {
        return err(format!("IP protocol {} is not IGMP", ip[9]));
    }
    let total = usize::from(be16(ip, 2));
    if total < ihl + 8 || total > ip.len() {
        return err(format!(
            "IPv4 total length {total} does not fit the {}-byte packet",
            ip.len()
        ));
    }
    if be16(ip, 6) & 0x3fff != 0 {
        return err("fragmented IGMP");
    }
    let msg = &ip[ihl..total];
    if checksum(msg) != 0 {
        return err("bad IGMP checksum");
    }
    let group = addr(msg, 4);
    let one = |member| {
        let changes = if is_snooped(group) {
            vec![GroupChange { group, member }]
        } else if group.is_multicast() {
            Vec::new()
        } else {
            return err(format!("group {group} is not a multicast address"));
        };
        Ok(Igmp::Report(changes))
    };
    match msg[0] {
        QUERY => Ok(Igmp::Query),
        V1_REPORT | V2_REPORT => one(true),
        V2_LEAVE => one(false),
        V3_REPORT => v3_report(msg).map(Igmp::Report),
        t => err(format!(
            "IGMP type {t:#04x} is not a query, report or leave"
        )),
    }
}

/// The group records of an IGMPv3 report (RFC 3376 4.2), as any-source memberships: a record
/// in EXCLUDE mode or allowing sources is a membership; an INCLUDE record with no source is a
/// leave; blocking some sources changes nothing (sources are not filtered).
fn v3_report(msg: &[u8]) -> Result<Vec<GroupChange>, IgmpError> {
    const IS_INCLUDE: u8 = 1;
    const IS_EXCLUDE: u8 = 2;
    const TO_INCLUDE: u8 = 3;
    const TO_EXCLUDE: u8 = 4;
    const ALLOW: u8 = 5;
    let records = be16(msg, 6);
    let mut at = 8;
    let mut out = Vec::new();
    for i in 0..records {
        if msg.len() < at + 8 {
            return err(format!("group record {i} runs past the message"));
        }
        let typ = msg[at];
        let aux = usize::from(msg[at + 1]) * 4;
        let sources = usize::from(be16(msg, at + 2));
        let group = addr(msg, at + 4);
        let len = 8 + sources * 4 + aux;
        if msg.len() < at + len {
            return err(format!("group record {i} runs past the message"));
        }
        if !group.is_multicast() {
            return err(format!("group {group} is not a multicast address"));
        }
        let member = match typ {
            IS_EXCLUDE | TO_EXCLUDE => Some(true),
            IS_INCLUDE | TO_INCLUDE | ALLOW => Some(sources > 0),
            _ => None, // BLOCK_OLD_SOURCES, or a type this version does not know: ignored
        };
        if let (Some(member), true) = (member, is_snooped(group)) {
            out.push(GroupChange { group, member });
        }
        at += len;
    }
    Ok(out)
}

/// An IGMP time code (RFC 3376 4.1.1 and 4.1.7): values below 128 as they are, larger ones in
/// its floating-point form (at most 31,744).
pub fn time_code(value: u32) -> u8 {
    if value < 128 {
        return value as u8;
    }
    let value = value.min(31_744);
    let mut exp = 0u32;
    while (value >> (exp + 3)) > 0x1f {
        exp += 1;
    }
    let mant = (value >> (exp + 3)) & 0x0f;
    0x80 | (exp << 4) as u8 | mant as u8
}

/// The IGMPv3 general query netmaster sends as a querier (IGMPv2 hosts take it as a v2
/// query): from `src_mac`/`src_ip` to 224.0.0.1 with TTL 1 and the Router Alert option,
/// asking for reports within `max_resp_ds` tenths of a second (below 128) and announcing the
/// query interval `interval_s`.
pub fn general_query(
    src_mac: MacAddr,
    src_ip: Ipv4Addr,
    max_resp_ds: u8,
    interval_s: u32,
) -> Vec<u8> {
    let mut igmp = vec![QUERY, max_resp_ds.min(127), 0, 0, 0, 0, 0, 0];
    igmp.push(ROBUSTNESS as u8); // S = 0, QRV
    igmp.push(time_code(interval_s));
    igmp.extend_from_slice(&[0, 0]); // no sources
    let c = checksum(&igmp);
    igmp[2..4].copy_from_slice(&c.to_be_bytes());
    let total = (24 + igmp.len()) as u16;
    let mut ip = vec![0x46, 0xc0];
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&[0, 0, 0, 0, 1, IP_PROTO_IGMP, 0, 0]);
    ip.extend_from_slice(&src_ip.octets());
    ip.extend_from_slice(&ALL_SYSTEMS.octets());
    ip.extend_from_slice(&[0x94, 0x04, 0, 0]); // Router Alert
    let c = checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let mut frame = vec![0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
    frame.extend_from_slice(&src_mac.0);
    frame.extend_from_slice(&ETH_TYPE_IPV4.to_be_bytes());
    frame.extend(ip);
    frame.extend(igmp);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An untagged IPv4 frame carrying IGMP message `igmp` (checksum filled in) to `dst`.
    fn frame(dst: Ipv4Addr, mut igmp: Vec<u8>) -> Vec<u8> {
        igmp[2..4].copy_from_slice(&[0, 0]);
        let c = checksum(&igmp);
        igmp[2..4].copy_from_slice(&c.to_be_bytes());
        let mut ip = vec![0x45, 0xc0];
        ip.extend_from_slice(&((20 + igmp.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 0, 0x40, 0, 1, 2, 0, 0, 10, 0, 0, 5]);
        ip.extend_from_slice(&dst.octets());
        let mut f = vec![0x01, 0, 0x5e, 0, 0, 0x16, 2, 0, 0, 0, 0, 5, 0x08, 0];
        f.extend(ip);
        f.extend(igmp);
        f
    }

    fn g(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
        Ipv4Addr::new(a, b, c, d)
    }

    fn join(group: Ipv4Addr) -> GroupChange {
        GroupChange {
            group,
            member: true,
        }
    }

    fn leave(group: Ipv4Addr) -> GroupChange {
        GroupChange {
            group,
            member: false,
        }
    }

    #[test]
    fn v1_and_v2_reports_join_and_v2_leaves_leave() {
        let grp = g(239, 1, 1, 1);
        for typ in [V1_REPORT, V2_REPORT] {
            let f = frame(grp, vec![typ, 0, 0, 0, 239, 1, 1, 1]);
            assert_eq!(parse(&f), Ok(Igmp::Report(vec![join(grp)])));
        }
        let f = frame(g(224, 0, 0, 2), vec![V2_LEAVE, 0, 0, 0, 239, 1, 1, 1]);
        assert_eq!(parse(&f), Ok(Igmp::Report(vec![leave(grp)])));
        let f = frame(ALL_SYSTEMS, vec![QUERY, 100, 0, 0, 0, 0, 0, 0]);
        assert_eq!(parse(&f), Ok(Igmp::Query));
    }

    #[test]
    fn v3_records_are_any_source_memberships() {
        let mut m = vec![V3_REPORT, 0, 0, 0, 0, 0, 0, 6];
        m.extend([4, 0, 0, 0, 239, 1, 1, 1]); // TO_EX {}: join
        m.extend([3, 0, 0, 0, 239, 1, 1, 2]); // TO_IN {}: leave
        m.extend([
            1, 1, 0, 1, 239, 1, 1, 3, 10, 0, 0, 9, 0xaa, 0xbb, 0xcc, 0xdd,
        ]); // IS_IN {S} + aux
        m.extend([6, 0, 0, 1, 239, 1, 1, 4, 10, 0, 0, 9]); // BLOCK: ignored
        m.extend([2, 0, 0, 0, 224, 0, 0, 251]); // link-local: never snooped
        m.extend([9, 0, 0, 0, 239, 1, 1, 5]); // unknown record type: ignored
        let f = frame(g(224, 0, 0, 22), m);
        assert_eq!(
            parse(&f),
            Ok(Igmp::Report(vec![
                join(g(239, 1, 1, 1)),
                leave(g(239, 1, 1, 2)),
                join(g(239, 1, 1, 3)),
            ]))
        );
    }

    #[test]
    fn malformed_frames_are_refused_with_a_reason() {
        let good = frame(g(239, 1, 1, 1), vec![V2_REPORT, 0, 0, 0, 239, 1, 1, 1]);
        let mut bad_sum = good.clone();
        *bad_sum.last_mut().unwrap() ^= 1;
        let v3_short = frame(g(224, 0, 0, 22), {
            let mut m = vec![V3_REPORT, 0, 0, 0, 0, 0, 0, 2];
            m.extend([4, 0, 0, 0, 239, 1, 1, 1]);
            m
        });
        let mut long_len = good.clone();
        long_len[14 + 2..14 + 4].copy_from_slice(&200u16.to_be_bytes());
        let mut not_ip = good.clone();
        not_ip[12] = 0x86;
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (good[..30].to_vec(), "too short"),
            (bad_sum, "checksum"),
            (v3_short, "record 1 runs past"),
            (long_len, "total length 200"),
            (not_ip, "not IPv4"),
            (
                frame(g(10, 0, 0, 1), vec![V2_REPORT, 0, 0, 0, 10, 0, 0, 1]),
                "not a multicast address",
            ),
            (
                frame(g(239, 1, 1, 1), vec![0x99, 0, 0, 0, 0, 0, 0, 0]),
                "type 0x99",
            ),
        ];
        for (f, needle) in cases {
            let e = parse(&f).unwrap_err();
            assert!(e.0.contains(needle), "{e} lacks {needle}");
        }
        for n in 0..good.len() {
            let _ = parse(&good[..n]); // never panics
        }
    }

    #[test]
    fn time_codes_follow_rfc_3376() {
        assert_eq!(time_code(125), 125);
        assert_eq!(time_code(128), 0x80);
        // 0x8f: mant 15, exp 0 -> (15 | 16) << 3 = 248
        assert_eq!(time_code(248), 0x8f);
        // 3600 -> exp 4, mant 12: (12 | 16) << 7 = 3584 (the code rounds down)
        assert_eq!(time_code(3600), 0xcc);
        assert_eq!(time_code(1_000_000), 0xff);
    }

    #[test]
    fn the_general_query_is_well_formed() {
        let q = general_query(
            MacAddr([2, 0x4e, 0x50, 0xff, 0xff, 0xfd]),
            Ipv4Addr::UNSPECIFIED,
            10,
            2,
        );
        assert_eq!(&q[..6], &[1, 0, 0x5e, 0, 0, 1]);
        assert_eq!(parse(&q), Ok(Igmp::Query));
        assert_eq!(checksum(&q[14..38]), 0, "IPv4 header checksum");
        assert_eq!(q.len(), 14 + 24 + 12);
        assert_eq!(
            (q[14 + 8], q[14 + 24 + 1], q[14 + 24 + 9]),
            (1, 10, 2),
            "TTL, max resp, QQIC"
        );
    }
}
