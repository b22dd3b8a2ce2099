//! Address and range syntax: IPv4 subnets (plain and range form), IPv6 subnets, IPv4 ranges,
//! id range lists (`1-4094`, `100-200,300`) and MAC addresses.
//!
//! Addresses are handled as integers (`u32` for IPv4, `u128` for IPv6) so that pools are plain
//! integer intervals.

use std::net::{Ipv4Addr, Ipv6Addr};

fn mask4(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

fn mask6(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

/// Parses a dotted IPv4 address.
pub fn parse_ipv4(s: &str) -> Result<u32, String> {
    s.trim()
        .parse::<Ipv4Addr>()
        .map(u32::from)
        .map_err(|_| format!("'{s}' is not an IPv4 address"))
}

/// Parses an IPv6 address.
pub fn parse_ipv6(s: &str) -> Result<u128, String> {
    s.trim()
        .parse::<Ipv6Addr>()
        .map(u128::from)
        .map_err(|_| format!("'{s}' is not an IPv6 address"))
}

/// Formats an IPv4 address.
pub fn ipv4_string(a: u32) -> String {
    Ipv4Addr::from(a).to_string()
}

/// Formats an IPv6 address.
pub fn ipv6_string(a: u128) -> String {
    Ipv6Addr::from(a).to_string()
}

/// An IPv4 subnet and the interval endpoints are allocated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet4 {
    /// Network address (host bits zero).
    pub network: u32,
    /// Prefix length (at most 30).
    pub prefix_len: u8,
    /// First allocatable address.
    pub first: u32,
    /// Last allocatable address.
    pub last: u32,
}

impl Subnet4 {
    /// Parses `a.b.c.d/len` (allocating from every host address) or `a.b.c.d-a.b.c.e/len`
    /// (allocating only from that range).
    pub fn parse(s: &str) -> Result<Subnet4, String> {
        let (addr, len) = s
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not a.b.c.d/len or a.b.c.d-a.b.c.e/len"))?;
        let prefix_len: u8 = len
            .parse()
            .ok()
            .filter(|l| *l <= 30)
            .ok_or_else(|| format!("'{s}': prefix length must be 0..=30"))?;
        let mask = mask4(prefix_len);
        match addr.split_once('-') {
            None => {
                let network = parse_ipv4(addr)?;
                if network & !mask != 0 {
                    return Err(format!(
                        "'{s}': host bits are set (the network is {}/{prefix_len})",
                        ipv4_string(network & mask)
                    ));
                }
                Ok(Subnet4 {
                    network,
                    prefix_len,
                    first: network + 1,
                    last: (network | !mask) - 1,
                })
            }
            Some((a, b)) => {
                let (first, last) = (parse_ipv4(a)?, parse_ipv4(b)?);
                let network = first & mask;
                let subnet = Subnet4 {
                    network,
                    prefix_len,
                    first: network + 1,
                    last: (network | !mask) - 1,
                };
                if first > last || !subnet.is_host(first) || !subnet.is_host(last) {
                    return Err(format!(
                        "'{s}': the range must be ordered and lie within the host addresses of {}/{prefix_len}",
                        ipv4_string(network)
                    ));
                }
                Ok(Subnet4 {
                    first,
                    last,
                    ..subnet
                })
            }
        }
    }

    /// The broadcast address.
    pub fn broadcast(&self) -> u32 {
        self.network | !mask4(self.prefix_len)
    }

    /// Whether `a` is a host address of the subnet (neither network nor broadcast address).
    pub fn is_host(&self, a: u32) -> bool {
        a > self.network && a < self.broadcast()
    }

    /// Whether the two subnets share an address.
    pub fn overlaps(&self, other: &Subnet4) -> bool {
        self.network <= other.broadcast() && other.network <= self.broadcast()
    }
}

/// An IPv6 subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet6 {
    /// Network address (the subnet-router anycast address, never allocated).
    pub network: u128,
    /// Prefix length (at most 126).
    pub prefix_len: u8,
}

impl Subnet6 {
    /// Parses `x::/len` (host bits zero).
    pub fn parse(s: &str) -> Result<Subnet6, String> {
        let (addr, len) = s
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not an IPv6 prefix x::/len"))?;
        let prefix_len: u8 = len
            .parse()
            .ok()
            .filter(|l| *l <= 126)
            .ok_or_else(|| format!("'{s}': prefix length must be 0..=126"))?;
        let network = parse_ipv6(addr)?;
        if network & !mask6(prefix_len) != 0 {
            return Err(format!("'{s}': host bits are set"));
        }
        Ok(Subnet6 {
            network,
            prefix_len,
        })
    }

    /// The last address of the subnet.
    pub fn last(&self) -> u128 {
        self.network | !mask6(self.prefix_len)
    }

    /// Whether `a` lies in the subnet and is not the subnet-router anycast address.
    pub fn is_host(&self, a: u128) -> bool {
        a > self.network && a <= self.last()
    }

    /// Whether the two subnets share an address.
    pub fn overlaps(&self, other: &Subnet6) -> bool {
        self.network <= other.last() && other.network <= self.last()
    }
}

/// Parses an IPv4 range `a.b.c.d-a.b.c.e` into its ordered bounds.
pub fn parse_ipv4_range(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("'{s}' is not a range a.b.c.d-a.b.c.e"))?;
    let (a, b) = (parse_ipv4(a)?, parse_ipv4(b)?);
    if a > b {
        return Err(format!("'{s}': the range is reversed"));
    }
    Ok((a, b))
}

/// A rule's IPv4 selector — `a.b.c.d`, `a.b.c.d/len` or `a.b.c.d-a.b.c.e` — as the fewest
/// prefixes `(network, prefix length)` that cover exactly those addresses.
pub fn parse_ipv4_selector(s: &str) -> Result<Vec<(u32, u8)>, String> {
    let (lo, hi) = if let Some((addr, len)) = s.split_once('/') {
        let len: u8 = len
            .parse()
            .ok()
            .filter(|l| *l <= 32)
            .ok_or_else(|| format!("'{s}': prefix length must be 0..=32"))?;
        let a = parse_ipv4(addr)?;
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        if a & !mask != 0 {
            return Err(format!("'{s}': host bits are set"));
        }
        (a, a | !mask)
    } else if s.contains('-') {
        parse_ipv4_range(s)?
    } else {
        let a = parse_ipv4(s)?;
        (a, a)
    };
    Ok(range_to_prefixes(lo, hi))
}

/// The fewest prefixes covering `lo..=hi` exactly.
fn range_to_prefixes(lo: u32, hi: u32) -> Vec<(u32, u8)> {
    let mut out = Vec::new();
    let mut a = u64::from(lo);
    let end = u64::from(hi) + 1;
    while a < end {
        // The largest aligned block starting at `a` that does not pass `end`.
        let mut size: u64 = if a == 0 {
            1 << 32
        } else {
            a & a.wrapping_neg()
        };
        while a + size > end {
            size >>= 1;
        }
        out.push((a as u32, 32 - size.trailing_zeros() as u8));
        a += size;
    }
    out
}

/// A bandwidth such as `10Mbps`, `500kbps`, `1Gbps` or `2000` (kb/s), in kb/s (at least 1).
pub fn parse_bandwidth_kbps(s: &str) -> Result<u32, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, unit) = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((t.as_str(), ""), |i| t.split_at(i));
    let factor = match unit.trim().trim_end_matches("ps").trim_end_matches("/s") {
        "" | "k" | "kb" | "kbit" => 1.0,
        "m" | "mb" | "mbit" => 1e3,
        "g" | "gb" | "gbit" => 1e6,
        _ => return Err(format!("'{s}': unit must be kbps, Mbps or Gbps")),
    };
    let value: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a number with a unit such as 10Mbps"))?;
    let kbps = value * factor;
    if !(1.0..=f64::from(u32::MAX)).contains(&kbps) {
        return Err(format!("'{s}' is outside 1 kbps..4 Tbps"));
    }
    Ok(kbps.round() as u32)
}

/// An IP protocol number from a rule's `protocol`: `tcp`, `udp`, `icmp` or a number.
pub fn ip_protocol(s: &str) -> Option<u8> {
    match s.to_ascii_lowercase().as_str() {
        "tcp" => Some(6),
        "udp" => Some(17),
        "icmp" => Some(1),
        n => n.parse().ok(),
    }
}

/// A list of inclusive id intervals, as in the global `vlans` and `vxlans` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRanges(pub Vec<(u32, u32)>);

impl IdRanges {
    /// Parses `1-4094` or `100-200,300`; every id must lie in `1..=max`.
    pub fn parse(s: &str, max: u32) -> Result<IdRanges, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim) {
            let num = |x: &str| {
                x.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("'{s}': '{x}' is not a number"))
            };
            let (lo, hi) = match part.split_once('-') {
                Some((a, b)) => (num(a)?, num(b)?),
                None => (num(part)?, num(part)?),
            };
            if lo == 0 || lo > hi || hi > max {
                return Err(format!(
                    "'{s}': '{part}' must be an ordered range in 1-{max}"
                ));
            }
            out.push((lo, hi));
        }
        Ok(IdRanges(out))
    }

    /// Whether `id` lies in one of the intervals.
    pub fn contains(&self, id: u32) -> bool {
        self.0.iter().any(|(lo, hi)| (*lo..=*hi).contains(&id))
    }
}

/// Parses a MAC address `aa:bb:cc:dd:ee:ff` into its 48-bit value.
pub fn parse_mac(s: &str) -> Result<u64, String> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return Err(format!("'{s}' is not a MAC address aa:bb:cc:dd:ee:ff"));
    }
    parts.iter().try_fold(0u64, |acc, p| {
        if p.len() != 2 {
            return Err(format!("'{s}' is not a MAC address aa:bb:cc:dd:ee:ff"));
        }
        u8::from_str_radix(p, 16)
            .map(|b| acc << 8 | u64::from(b))
            .map_err(|_| format!("'{s}' is not a MAC address aa:bb:cc:dd:ee:ff"))
    })
}

/// Formats a 48-bit MAC address as `aa:bb:cc:dd:ee:ff`.
pub fn mac_string(m: u64) -> String {
    let b = m.to_be_bytes();
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b[2], b[3], b[4], b[5], b[6], b[7]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_plain_and_range_forms() {
        let s = Subnet4::parse("10.1.1.0/24").unwrap();
        assert_eq!(ipv4_string(s.first), "10.1.1.1");
        assert_eq!(ipv4_string(s.last), "10.1.1.254");
        assert_eq!(ipv4_string(s.broadcast()), "10.1.1.255");
        let r = Subnet4::parse("10.1.1.10-10.1.1.20/24").unwrap();
        assert_eq!(
            (r.network, r.first, r.last),
            (s.network, s.first + 9, s.first + 19)
        );
        assert!(Subnet4::parse("10.1.1.1/24").is_err());
        assert!(Subnet4::parse("10.1.1.0/31").is_err());
        assert!(Subnet4::parse("10.1.1.0").is_err());
        assert!(Subnet4::parse("10.1.1.0-10.1.2.5/24").is_err());
        assert!(Subnet4::parse("10.1.1.20-10.1.1.10/24").is_err());
        assert!(s.overlaps(&Subnet4::parse("10.1.0.0/16").unwrap()));
        assert!(!s.overlaps(&Subnet4::parse("10.1.2.0/24").unwrap()));
    }

    #[test]
    fn ipv6_subnet() {
        let s = Subnet6::parse("2001:db8::/64").unwrap();
        assert!(!s.is_host(s.network));
        assert!(s.is_host(s.network + 1));
        assert!(Subnet6::parse("2001:db8::1/64").is_err());
        assert!(s.overlaps(&Subnet6::parse("2001:db8::/48").unwrap()));
    }

    #[test]
    fn id_ranges_and_macs() {
        let r = IdRanges::parse("100-200, 300", 4094).unwrap();
        assert!(r.contains(100) && r.contains(300) && !r.contains(201));
        assert!(IdRanges::parse("0-10", 4094).is_err());
        assert!(IdRanges::parse("1-5000", 4094).is_err());
        assert!(IdRanges::parse("x", 4094).is_err());
        assert_eq!(parse_mac("02:02:0a:01:01:02").unwrap(), 0x0202_0a01_0102);
        assert_eq!(mac_string(0x0202_0a01_0102), "02:02:0a:01:01:02");
        assert!(parse_mac("02:02:0a:01:01").is_err());
    }

    #[test]
    fn selectors_become_exact_prefixes() {
        let ip = |s: &str| parse_ipv4(s).unwrap();
        assert_eq!(
            parse_ipv4_selector("10.1.2.3").unwrap(),
            [(ip("10.1.2.3"), 32)]
        );
        assert_eq!(
            parse_ipv4_selector("10.200.7.0/24").unwrap(),
            [(ip("10.200.7.0"), 24)]
        );
        assert_eq!(
            parse_ipv4_selector("10.0.0.1-10.0.0.6").unwrap(),
            [
                (ip("10.0.0.1"), 32),
                (ip("10.0.0.2"), 31),
                (ip("10.0.0.4"), 31),
                (ip("10.0.0.6"), 32)
            ]
        );
        assert_eq!(parse_ipv4_selector("0.0.0.0/0").unwrap(), [(0, 0)]);
        assert!(parse_ipv4_selector("10.0.0.1/24").is_err(), "host bits");
        assert!(
            parse_ipv4_selector("10.0.0.9-10.0.0.1").is_err(),
            "reversed"
        );
        assert!(parse_ipv4_selector("10.0.0").is_err());
        assert_eq!(ip_protocol("TCP"), Some(6));
        assert_eq!(ip_protocol("47"), Some(47));
        assert_eq!(ip_protocol("sctpx"), None);
        assert_eq!(ip_protocol("300"), None);
        assert_eq!(parse_bandwidth_kbps("10Mbps"), Ok(10_000));
        assert_eq!(parse_bandwidth_kbps("1.5mbps"), Ok(1_500));
        assert_eq!(parse_bandwidth_kbps("500Kbps"), Ok(500));
        assert_eq!(parse_bandwidth_kbps("1Gbps"), Ok(1_000_000));
        assert_eq!(parse_bandwidth_kbps("2000"), Ok(2_000));
        assert!(parse_bandwidth_kbps("10 furlongs").is_err());
        assert!(parse_bandwidth_kbps("0Mbps").is_err());
    }
}
