//! What the compiler needs from the model's text fields beyond the typed addresses of
//! [`northbound_api::addr`]: a rule's address selector as prefixes, a QoS bandwidth, an IP
//! protocol.

use northbound_api::addr::Ipv4Selector;

/// A rule's IPv4 selector as the fewest prefixes `(network, prefix length)` that cover exactly
/// its addresses.
pub fn selector_prefixes(selector: &Ipv4Selector) -> Vec<(u32, u8)> {
    let range = selector.range();
    range_to_prefixes(u32::from(range.first()), u32::from(range.last()))
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

/// A bandwidth that is not a rate such as `10Mbps`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BandwidthError {
    /// The unit is not kbps, Mbps or Gbps.
    #[error("`{0}`: the unit must be kbps, Mbps or Gbps")]
    Unit(String),
    /// The number does not parse.
    #[error("`{0}` is not a number with a unit such as 10Mbps")]
    Number(String),
    /// The rate is out of bounds.
    #[error("`{0}` is outside 1 kbps..4 Tbps")]
    Range(String),
}

/// A bandwidth such as `10Mbps`, `500kbps`, `1Gbps` or `2000` (kb/s), in kb/s (at least 1).
pub fn parse_bandwidth_kbps(s: &str) -> Result<u32, BandwidthError> {
    let t = s.trim().to_ascii_lowercase();
    let (num, unit) = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((t.as_str(), ""), |i| t.split_at(i));
    let factor = match unit.trim().trim_end_matches("ps").trim_end_matches("/s") {
        "" | "k" | "kb" | "kbit" => 1.0,
        "m" | "mb" | "mbit" => 1e3,
        "g" | "gb" | "gbit" => 1e6,
        _ => return Err(BandwidthError::Unit(s.to_string())),
    };
    let value: f64 = num
        .parse()
        .map_err(|_| BandwidthError::Number(s.to_string()))?;
    let kbps = value * factor;
    if !(1.0..=f64::from(u32::MAX)).contains(&kbps) {
        return Err(BandwidthError::Range(s.to_string()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_become_exact_prefixes() {
        let ip = |s: &str| u32::from(s.parse::<std::net::Ipv4Addr>().unwrap());
        let prefixes = |s: &str| selector_prefixes(&s.parse().unwrap());
        assert_eq!(prefixes("10.1.2.3"), [(ip("10.1.2.3"), 32)]);
        assert_eq!(prefixes("10.200.7.0/24"), [(ip("10.200.7.0"), 24)]);
        assert_eq!(
            prefixes("10.0.0.1-10.0.0.6"),
            [
                (ip("10.0.0.1"), 32),
                (ip("10.0.0.2"), 31),
                (ip("10.0.0.4"), 31),
                (ip("10.0.0.6"), 32)
            ]
        );
        assert_eq!(prefixes("0.0.0.0/0"), [(0, 0)]);
    }

    #[test]
    fn protocols_and_bandwidths() {
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
