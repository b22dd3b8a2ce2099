//! The address types of the model. Each parses from, and prints as, the text Contiv's JSON uses,
//! so a body is checked where it is decoded and an error names the field and the value:
//!
//! * [`Ipv4Subnet`], a network's subnet: `a.b.c.d/len`, or `a.b.c.d-a.b.c.e/len` to allocate
//!   only from a range.
//! * [`Ipv6Subnet`], a network's IPv6 subnet: `x::/len`.
//! * [`Ipv4Range`], a group's pool: `a.b.c.d-a.b.c.e`.
//! * [`Ipv4Selector`], a rule's peers: `a.b.c.d`, `a.b.c.d/len` or `a.b.c.d-a.b.c.e`.
//! * [`IdRanges`], VLAN or VNI ranges: `1-4094` or `100-200,300`.
//! * [`MacAddr`] (OpenFlow's own type), [`Ipv4Addr`] and [`Ipv6Addr`].
//!
//! Text is taken exactly as given: surrounding spaces are an error, not trimmed.

pub use ipnet::{Ipv4Net, Ipv6Net};
pub use ofproto::{BadMac, MacAddr};
pub use std::net::{Ipv4Addr, Ipv6Addr};

use std::fmt;
use std::str::FromStr;

/// Why an address, subnet or range did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    /// Not an IPv4 address.
    #[error("`{0}` is not an IPv4 address")]
    Ipv4(String),
    /// Not an IPv6 address.
    #[error("`{0}` is not an IPv6 address")]
    Ipv6(String),
    /// Neither `a.b.c.d/len` nor `a.b.c.d-a.b.c.e/len`.
    #[error("`{0}` is not a.b.c.d/len or a.b.c.d-a.b.c.e/len")]
    Subnet4(String),
    /// Not `x::/len`.
    #[error("`{0}` is not an IPv6 prefix x::/len")]
    Subnet6(String),
    /// Not `a.b.c.d-a.b.c.e`.
    #[error("`{0}` is not a range a.b.c.d-a.b.c.e")]
    Range(String),
    /// A prefix length out of bounds.
    #[error("`{text}`: the prefix length must be 0..={max}")]
    PrefixLen {
        /// The text.
        text: String,
        /// The longest allowed.
        max: u8,
    },
    /// An address with bits set past the prefix.
    #[error("`{text}`: host bits are set (the network is {network})")]
    HostBits {
        /// The text.
        text: String,
        /// The prefix with the host bits cleared.
        network: String,
    },
    /// A range whose first address comes after its last.
    #[error("`{0}`: the range is reversed")]
    Reversed(String),
    /// A subnet's range that is not within its host addresses.
    #[error("`{text}`: the range must lie within the host addresses of {network}")]
    RangeOutside {
        /// The text.
        text: String,
        /// The subnet.
        network: Ipv4Net,
    },
    /// A subnet that is no network's to have: it overlaps multicast, loopback or another
    /// reserved block, or it is every address.
    #[error("`{text}` overlaps {block} ({what}): not a network's subnet")]
    Reserved {
        /// The text.
        text: String,
        /// The reserved block.
        block: &'static str,
        /// What the block is.
        what: &'static str,
    },
    /// Not a list of id ranges.
    #[error("`{text}`: `{part}` is not an id or an ordered range of ids from 1")]
    Ids {
        /// The whole list.
        text: String,
        /// The part that is wrong.
        part: String,
    },
}

fn ipv4(s: &str) -> Result<Ipv4Addr, AddrError> {
    s.parse().map_err(|_| AddrError::Ipv4(s.to_string()))
}

/// A number written with decimal digits only: no sign, no spaces (`str::parse` takes a `+`).
fn decimal<T: FromStr>(text: &str) -> Option<T> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

fn prefix_len(text: &str, len: &str, max: u8) -> Result<u8, AddrError> {
    decimal::<u8>(len)
        .filter(|l| *l <= max)
        .ok_or_else(|| AddrError::PrefixLen {
            text: text.to_string(),
            max,
        })
}

/// The IPv4 blocks no network may overlap.
const RESERVED_V4: [(&str, &str); 4] = [
    ("0.0.0.0/8", "this network"),
    ("127.0.0.0/8", "loopback"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
];

/// The IPv6 blocks no network may overlap.
const RESERVED_V6: [(&str, &str); 2] = [
    ("::/8", "loopback, unspecified and IPv4-mapped"),
    ("ff00::/8", "multicast"),
];

/// Refuses `net` if it overlaps one of `blocks`.
fn not_reserved<N: Copy>(
    text: &str,
    net: N,
    blocks: &[(&'static str, &'static str)],
    parse: impl Fn(&str) -> N,
    overlaps: impl Fn(N, N) -> bool,
) -> Result<(), AddrError> {
    match blocks.iter().find(|(b, _)| overlaps(net, parse(b))) {
        Some(&(block, what)) => Err(AddrError::Reserved {
            text: text.to_string(),
            block,
            what,
        }),
        None => Ok(()),
    }
}

fn v4_not_reserved(text: &str, net: Ipv4Net) -> Result<(), AddrError> {
    not_reserved(
        text,
        net,
        &RESERVED_V4,
        |b| b.parse().expect("a reserved block"),
        |a: Ipv4Net, b: Ipv4Net| a.contains(&b.network()) || b.contains(&a.network()),
    )
}

fn v6_not_reserved(text: &str, net: Ipv6Net) -> Result<(), AddrError> {
    not_reserved(
        text,
        net,
        &RESERVED_V6,
        |b| b.parse().expect("a reserved block"),
        |a: Ipv6Net, b: Ipv6Net| a.contains(&b.network()) || b.contains(&a.network()),
    )
}

/// Whether `ip` can be a host's own address (a VTEP): not in `0.0.0.0/8`, loopback, multicast
/// or `240.0.0.0/4` (broadcast included).
pub fn is_host_address(ip: Ipv4Addr) -> bool {
    v4_not_reserved("", Ipv4Net::from(ip)).is_ok()
}

/// A prefix `a.b.c.d/len` whose host bits are zero, with the prefix length at most `max`.
fn ipv4_prefix(text: &str, max: u8) -> Result<Ipv4Net, AddrError> {
    let (addr, len) = text
        .split_once('/')
        .ok_or_else(|| AddrError::Subnet4(text.to_string()))?;
    let addr = ipv4(addr).map_err(|_| AddrError::Subnet4(text.to_string()))?;
    let net =
        Ipv4Net::new(addr, prefix_len(text, len, max)?).expect("the prefix length is checked");
    if net.addr() != net.network() {
        return Err(AddrError::HostBits {
            text: text.to_string(),
            network: net.trunc().to_string(),
        });
    }
    Ok(net)
}

/// An inclusive, ordered range of IPv4 addresses, `a.b.c.d-a.b.c.e`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Range {
    first: Ipv4Addr,
    last: Ipv4Addr,
}

impl Ipv4Range {
    /// The range `first..=last`, or `None` when it is reversed.
    pub fn new(first: Ipv4Addr, last: Ipv4Addr) -> Option<Ipv4Range> {
        (first <= last).then_some(Ipv4Range { first, last })
    }

    /// The first address.
    pub fn first(&self) -> Ipv4Addr {
        self.first
    }

    /// The last address.
    pub fn last(&self) -> Ipv4Addr {
        self.last
    }

    /// Whether `a` lies in the range.
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        (self.first..=self.last).contains(&a)
    }
}

impl fmt::Display for Ipv4Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

impl FromStr for Ipv4Range {
    type Err = AddrError;
    fn from_str(s: &str) -> Result<Self, AddrError> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| AddrError::Range(s.to_string()))?;
        Ipv4Range::new(ipv4(a)?, ipv4(b)?).ok_or_else(|| AddrError::Reversed(s.to_string()))
    }
}

/// A network's IPv4 subnet: the prefix (at most /30, host bits zero) and the addresses its
/// endpoints are allocated from, every host address (`a.b.c.d/len`) or a range of them
/// (`a.b.c.d-a.b.c.e/len`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Subnet {
    net: Ipv4Net,
    range: Option<Ipv4Range>,
}

impl Ipv4Subnet {
    /// The longest prefix a network may have (a /30 still has two host addresses).
    pub const MAX_PREFIX_LEN: u8 = 30;

    /// The subnet of a whole prefix (host bits zero, at most /30).
    pub fn new(net: Ipv4Net) -> Result<Ipv4Subnet, AddrError> {
        net.to_string().parse()
    }

    /// The prefix.
    pub fn net(&self) -> Ipv4Net {
        self.net
    }

    /// The addresses endpoints are allocated from: the range, or every host address.
    pub fn pool(&self) -> Ipv4Range {
        self.range.unwrap_or(Ipv4Range {
            first: (u32::from(self.net.network()) + 1).into(),
            last: (u32::from(self.net.broadcast()) - 1).into(),
        })
    }

    /// Whether `a` is a host address of the prefix (neither its network nor its broadcast
    /// address).
    pub fn is_host(&self, a: Ipv4Addr) -> bool {
        a > self.net.network() && a < self.net.broadcast()
    }

    /// Whether the two prefixes share an address.
    pub fn overlaps(&self, other: &Ipv4Subnet) -> bool {
        self.net.contains(&other.net.network()) || other.net.contains(&self.net.network())
    }
}

impl fmt::Display for Ipv4Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.range {
            None => write!(f, "{}", self.net),
            Some(r) => write!(f, "{r}/{}", self.net.prefix_len()),
        }
    }
}

impl FromStr for Ipv4Subnet {
    type Err = AddrError;
    fn from_str(s: &str) -> Result<Self, AddrError> {
        let (addr, len) = s
            .split_once('/')
            .ok_or_else(|| AddrError::Subnet4(s.to_string()))?;
        if !addr.contains('-') {
            let net = ipv4_prefix(s, Self::MAX_PREFIX_LEN)?;
            v4_not_reserved(s, net)?;
            return Ok(Ipv4Subnet { net, range: None });
        }
        let range: Ipv4Range = addr
            .parse()
            .map_err(|_| AddrError::Subnet4(s.to_string()))?;
        let len = prefix_len(s, len, Self::MAX_PREFIX_LEN)?;
        let net = Ipv4Net::new(range.first, len)
            .expect("the prefix length is checked")
            .trunc();
        v4_not_reserved(s, net)?;
        let subnet = Ipv4Subnet { net, range: None };
        if !subnet.is_host(range.first) || !subnet.is_host(range.last) {
            return Err(AddrError::RangeOutside {
                text: s.to_string(),
                network: net,
            });
        }
        Ok(Ipv4Subnet {
            range: Some(range),
            ..subnet
        })
    }
}

/// A network's IPv6 subnet, `x::/len` (at most /126, host bits zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Subnet(Ipv6Net);

impl Ipv6Subnet {
    /// The longest prefix a network may have.
    pub const MAX_PREFIX_LEN: u8 = 126;

    /// The prefix.
    pub fn net(&self) -> Ipv6Net {
        self.0
    }

    /// Whether `a` lies in the subnet and is not its subnet-router anycast address (the
    /// network address, never allocated).
    pub fn is_host(&self, a: Ipv6Addr) -> bool {
        a > self.0.network() && a <= self.0.broadcast()
    }

    /// Whether the two prefixes share an address.
    pub fn overlaps(&self, other: &Ipv6Subnet) -> bool {
        self.0.contains(&other.0.network()) || other.0.contains(&self.0.network())
    }
}

impl fmt::Display for Ipv6Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Ipv6Subnet {
    type Err = AddrError;
    fn from_str(s: &str) -> Result<Self, AddrError> {
        let (addr, len) = s
            .split_once('/')
            .ok_or_else(|| AddrError::Subnet6(s.to_string()))?;
        let addr: Ipv6Addr = addr.parse().map_err(|_| AddrError::Ipv6(s.to_string()))?;
        let net = Ipv6Net::new(addr, prefix_len(s, len, Self::MAX_PREFIX_LEN)?)
            .expect("the prefix length is checked");
        if net.addr() != net.network() {
            return Err(AddrError::HostBits {
                text: s.to_string(),
                network: net.trunc().to_string(),
            });
        }
        v6_not_reserved(s, net)?;
        Ok(Ipv6Subnet(net))
    }
}

/// The peers a policy rule selects by address: one address, a prefix or a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ipv4Selector {
    /// `a.b.c.d`.
    Addr(Ipv4Addr),
    /// `a.b.c.d/len` (host bits zero).
    Prefix(Ipv4Net),
    /// `a.b.c.d-a.b.c.e`.
    Range(Ipv4Range),
}

impl Ipv4Selector {
    /// The addresses selected, as an inclusive range.
    pub fn range(&self) -> Ipv4Range {
        match *self {
            Ipv4Selector::Addr(a) => Ipv4Range { first: a, last: a },
            Ipv4Selector::Prefix(net) => Ipv4Range {
                first: net.network(),
                last: net.broadcast(),
            },
            Ipv4Selector::Range(r) => r,
        }
    }
}

impl fmt::Display for Ipv4Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ipv4Selector::Addr(a) => a.fmt(f),
            Ipv4Selector::Prefix(n) => n.fmt(f),
            Ipv4Selector::Range(r) => r.fmt(f),
        }
    }
}

impl FromStr for Ipv4Selector {
    type Err = AddrError;
    fn from_str(s: &str) -> Result<Self, AddrError> {
        if s.contains('/') {
            ipv4_prefix(s, 32).map(Ipv4Selector::Prefix)
        } else if s.contains('-') {
            s.parse().map(Ipv4Selector::Range)
        } else {
            ipv4(s).map(Ipv4Selector::Addr)
        }
    }
}

/// A list of inclusive, ordered id intervals starting from 1, as in the global `vlans` and
/// `vxlans` settings: `1-4094` or `100-200,300`. The largest id allowed depends on the space
/// (VLAN or VNI) and is checked by whoever uses the list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdRanges(Vec<(u32, u32)>);

impl IdRanges {
    /// The intervals, in the order given.
    pub fn intervals(&self) -> &[(u32, u32)] {
        &self.0
    }

    /// Whether `id` lies in one of the intervals.
    pub fn contains(&self, id: u32) -> bool {
        self.0.iter().any(|(lo, hi)| (*lo..=*hi).contains(&id))
    }

    /// The largest id of any interval.
    pub fn max(&self) -> u32 {
        self.0.iter().map(|(_, hi)| *hi).max().unwrap_or(0)
    }
}

impl fmt::Display for IdRanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (lo, hi)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for IdRanges {
    type Err = AddrError;
    fn from_str(s: &str) -> Result<Self, AddrError> {
        s.split(',')
            .map(|part| {
                let bad = || AddrError::Ids {
                    text: s.to_string(),
                    part: part.to_string(),
                };
                let num = |x: &str| decimal::<u32>(x).ok_or_else(bad);
                let (lo, hi) = match part.split_once('-') {
                    Some((a, b)) => (num(a)?, num(b)?),
                    None => (num(part)?, num(part)?),
                };
                if lo == 0 || lo > hi {
                    return Err(bad());
                }
                Ok((lo, hi))
            })
            .collect::<Result<_, _>>()
            .map(IdRanges)
    }
}

/// serde as the text form: `Display` out, `FromStr` in.
macro_rules! serde_as_text {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

serde_as_text!(Ipv4Range, Ipv4Subnet, Ipv6Subnet, Ipv4Selector, IdRanges);

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn subnet_plain_and_range_forms() {
        let s: Ipv4Subnet = "10.1.1.0/24".parse().unwrap();
        assert_eq!(s.pool(), "10.1.1.1-10.1.1.254".parse().unwrap());
        assert_eq!(s.to_string(), "10.1.1.0/24");
        let r: Ipv4Subnet = "10.1.1.10-10.1.1.20/24".parse().unwrap();
        assert_eq!(r.net(), s.net());
        assert_eq!(
            (r.pool().first(), r.pool().last()),
            (ip("10.1.1.10"), ip("10.1.1.20"))
        );
        assert_eq!(r.to_string(), "10.1.1.10-10.1.1.20/24");
        for bad in [
            "10.1.1.1/24",
            "10.1.1.0/31",
            "10.1.1.0",
            " 10.1.1.0/24",
            "10.1.1.0-10.1.2.5/24",
            "10.1.1.20-10.1.1.10/24",
            "10.1.1.0-10.1.1.5/24",
        ] {
            assert!(bad.parse::<Ipv4Subnet>().is_err(), "{bad}");
        }
        assert!(s.overlaps(&"10.1.0.0/16".parse().unwrap()));
        assert!(!s.overlaps(&"10.1.2.0/24".parse().unwrap()));
        assert_eq!(
            "10.1.1.1/24".parse::<Ipv4Subnet>().unwrap_err().to_string(),
            "`10.1.1.1/24`: host bits are set (the network is 10.1.1.0/24)"
        );
    }

    #[test]
    fn reserved_blocks_are_no_network_subnet() {
        for (text, block) in [
            ("224.0.0.0/24", "224.0.0.0/4"),
            ("239.1.0.0/16", "224.0.0.0/4"),
            ("127.0.0.0/24", "127.0.0.0/8"),
            ("0.0.0.0/0", "0.0.0.0/8"),
            ("0.0.0.0/8", "0.0.0.0/8"),
            ("128.0.0.0/1", "224.0.0.0/4"),
            ("250.0.0.0/24", "240.0.0.0/4"),
            ("127.0.0.2-127.0.0.9/24", "127.0.0.0/8"),
        ] {
            match text.parse::<Ipv4Subnet>() {
                Err(AddrError::Reserved { block: b, .. }) => assert_eq!(b, block, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        for (text, block) in [
            ("::/0", "::/8"),
            ("ff02::/64", "ff00::/8"),
            ("::/64", "::/8"),
        ] {
            match text.parse::<Ipv6Subnet>() {
                Err(AddrError::Reserved { block: b, .. }) => assert_eq!(b, block, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        let e = "224.0.0.0/24"
            .parse::<Ipv4Subnet>()
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "`224.0.0.0/24` overlaps 224.0.0.0/4 (multicast): not a network's subnet"
        );
        for ok in [
            "10.0.0.0/8",
            "192.168.1.0/24",
            "1.0.0.0/24",
            "223.255.255.0/24",
        ] {
            assert!(ok.parse::<Ipv4Subnet>().is_ok(), "{ok}");
        }
        assert!("2001:db8::/64".parse::<Ipv6Subnet>().is_ok());
    }

    #[test]
    fn host_addresses() {
        for ok in ["10.0.0.1", "192.168.2.10", "1.0.0.0", "223.255.255.254"] {
            assert!(is_host_address(ip(ok)), "{ok}");
        }
        for bad in [
            "0.0.0.0",
            "0.0.1.0",
            "127.0.0.1",
            "224.0.0.1",
            "239.1.1.1",
            "255.255.255.255",
            "240.0.0.1",
        ] {
            assert!(!is_host_address(ip(bad)), "{bad}");
        }
    }

    #[test]
    fn ipv6_subnet() {
        let s: Ipv6Subnet = "2001:db8::/64".parse().unwrap();
        let net = s.net().network();
        assert!(!s.is_host(net));
        assert!(s.is_host((u128::from(net) + 1).into()));
        assert!("2001:db8::1/64".parse::<Ipv6Subnet>().is_err());
        assert!("2001:db8::/127".parse::<Ipv6Subnet>().is_err());
        assert!(s.overlaps(&"2001:db8::/48".parse().unwrap()));
    }

    #[test]
    fn selectors_and_ranges() {
        let sel = |s: &str| s.parse::<Ipv4Selector>().map(|x| x.range());
        assert_eq!(
            sel("10.1.2.3").unwrap(),
            "10.1.2.3-10.1.2.3".parse().unwrap()
        );
        assert_eq!(
            sel("10.200.7.0/24").unwrap(),
            "10.200.7.0-10.200.7.255".parse().unwrap()
        );
        assert_eq!(
            sel("0.0.0.0/0").unwrap(),
            "0.0.0.0-255.255.255.255".parse().unwrap()
        );
        assert!(sel("10.0.0.1/24").is_err(), "host bits");
        assert!(sel("10.0.0.9-10.0.0.1").is_err(), "reversed");
        assert!(sel("10.0.0").is_err());
        assert!(sel("10.0.0.0/+8").is_err(), "a signed prefix length");
        assert!("10.1.1.0/ 24".parse::<Ipv4Subnet>().is_err());
        assert!("10.0.0.1".parse::<Ipv4Range>().is_err());
    }

    #[test]
    fn id_ranges() {
        let r: IdRanges = "100-200,300".parse().unwrap();
        assert!(r.contains(100) && r.contains(300) && !r.contains(201));
        assert_eq!(r.to_string(), "100-200,300");
        assert_eq!(r.max(), 300);
        assert!("0-10".parse::<IdRanges>().is_err());
        assert!("10-5".parse::<IdRanges>().is_err());
        assert!("x".parse::<IdRanges>().is_err());
        for spaced_or_signed in ["100-200, 300", " 1-10", "1-10 ", "+1-10", "1-+10"] {
            assert!(
                spaced_or_signed.parse::<IdRanges>().is_err(),
                "{spaced_or_signed:?}"
            );
        }
    }

    #[test]
    fn json_is_the_text_form_and_errors_name_the_value() {
        let s: Ipv4Subnet = serde_json::from_str("\"10.1.1.0/24\"").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"10.1.1.0/24\"");
        let m: MacAddr = serde_json::from_str("\"02:02:0a:01:01:02\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"02:02:0a:01:01:02\"");
        let err = serde_json::from_str::<Ipv4Subnet>("\"bad\"").unwrap_err();
        assert!(
            err.to_string().contains("`bad` is not a.b.c.d/len"),
            "{err}"
        );
        for bad in [
            "+2:02:0a:01:01:02",
            "02:02:0a:01:01: 2",
            "02:02:0a:01:01:02:",
        ] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad:?}");
        }
        let err = serde_json::from_str::<MacAddr>("\"02:02\"").unwrap_err();
        assert!(
            err.to_string().contains("`02:02` is not a MAC address"),
            "{err}"
        );
    }
}
