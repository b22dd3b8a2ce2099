//! OXM (OpenFlow Extensible Match) fields and the `ofp_match` structure.
//!
//! Every OpenFlow 1.3 basic field (class `0x8000`) is typed; masks are kept for the fields the
//! specification lets be masked. Anything else — other classes such as Nicira's NXM, experimenter
//! fields, or basic fields with an unusual mask or length — is kept as [`RawOxm`] so that it is
//! re-emitted unchanged.

use crate::error::Reason;
use crate::wire::{len_placeholder, pad_to, patch_len, DResult, Reader};
use crate::{EncodeError, MacAddr};
use bytes::{BufMut, BytesMut};
use std::net::{Ipv4Addr, Ipv6Addr};

/// OXM class of the OpenFlow basic fields.
pub const OFPXMC_OPENFLOW_BASIC: u16 = 0x8000;
/// OXM class of experimenter fields (a 32-bit experimenter id follows the header).
pub const OFPXMC_EXPERIMENTER: u16 = 0xffff;
/// Bit set in `vlan_vid` when a VLAN tag is present.
pub const OFPVID_PRESENT: u16 = 0x1000;

/// A value with an optional mask (a 1 bit in the mask means "must match").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Masked<T> {
    /// The value.
    pub value: T,
    /// The mask, `None` for an exact match.
    pub mask: Option<T>,
}

impl<T> Masked<T> {
    /// An exact match.
    pub fn exact(value: T) -> Self {
        Masked { value, mask: None }
    }

    /// A masked match.
    pub fn new(value: T, mask: T) -> Self {
        Masked {
            value,
            mask: Some(mask),
        }
    }
}

/// A 24-bit unsigned value (PBB I-SID) carried in a `u32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct U24(pub u32);

/// Fixed-width values that an OXM field can hold.
pub trait OxmValue: Copy {
    /// Width on the wire.
    const WIDTH: usize;
    /// Reads the value from exactly `WIDTH` bytes.
    fn read(b: &[u8]) -> Self;
    /// Writes the value.
    fn write(&self, buf: &mut BytesMut);
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl OxmValue for $t {
            const WIDTH: usize = std::mem::size_of::<$t>();
            fn read(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(b);
                <$t>::from_be_bytes(a)
            }
            fn write(&self, buf: &mut BytesMut) {
                buf.put_slice(&self.to_be_bytes());
            }
        }
    )*};
}
int_value!(u8, u16, u32, u64);

impl OxmValue for U24 {
    const WIDTH: usize = 3;
    fn read(b: &[u8]) -> Self {
        U24(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.0.to_be_bytes()[1..]);
    }
}

impl OxmValue for MacAddr {
    const WIDTH: usize = 6;
    fn read(b: &[u8]) -> Self {
        let mut a = [0u8; 6];
        a.copy_from_slice(b);
        MacAddr(a)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.0);
    }
}

impl OxmValue for Ipv4Addr {
    const WIDTH: usize = 4;
    fn read(b: &[u8]) -> Self {
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.octets());
    }
}

impl OxmValue for Ipv6Addr {
    const WIDTH: usize = 16;
    fn read(b: &[u8]) -> Self {
        let mut a = [0u8; 16];
        a.copy_from_slice(b);
        Ipv6Addr::from(a)
    }
    fn write(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.octets());
    }
}

/// An OXM TLV this codec does not type: kept byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawOxm {
    /// OXM class.
    pub class: u16,
    /// Field number (7 bits).
    pub field: u8,
    /// The has-mask bit.
    pub hasmask: bool,
    /// The payload (for the experimenter class, starting with the experimenter id).
    pub payload: Vec<u8>,
}

macro_rules! oxm_fields {
    (
        exact { $( $ev:ident = $ef:literal : $et:ty , $en:literal ; )* }
        masked { $( $mv:ident = $mf:literal : $mt:ty , $mn:literal ; )* }
    ) => {
        /// One OXM match field (or a `set_field` target).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum OxmField {
            $(
                #[doc = concat!("`OXM_OF_", $en, "` (field ", stringify!($ef), ").")]
                $ev($et),
            )*
            $(
                #[doc = concat!("`OXM_OF_", $mn, "` (field ", stringify!($mf), "), maskable.")]
                $mv(Masked<$mt>),
            )*
            /// A field of another class, or one kept as raw bytes.
            Raw(RawOxm),
        }

        impl OxmField {
            /// The OpenFlow basic field number, `None` for raw fields.
            pub fn basic_field(&self) -> Option<u8> {
                match self {
                    $( OxmField::$ev(_) => Some($ef), )*
                    $( OxmField::$mv(_) => Some($mf), )*
                    OxmField::Raw(_) => None,
                }
            }

            /// The specification's name of a basic field number (`IN_PORT`, ...).
            pub fn basic_name(field: u8) -> Option<&'static str> {
                match field {
                    $( $ef => Some($en), )*
                    $( $mf => Some($mn), )*
                    _ => None,
                }
            }

            /// Whether the specification allows a mask on this basic field number.
            pub fn basic_maskable(field: u8) -> bool {
                match field {
                    $( $mf => true, )*
                    _ => false,
                }
            }

            /// Width of a basic field's value.
            pub fn basic_width(field: u8) -> Option<usize> {
                match field {
                    $( $ef => Some(<$et as OxmValue>::WIDTH), )*
                    $( $mf => Some(<$mt as OxmValue>::WIDTH), )*
                    _ => None,
                }
            }

            /// True when a mask is present.
            pub fn has_mask(&self) -> bool {
                match self {
                    $( OxmField::$ev(_) => false, )*
                    $( OxmField::$mv(m) => m.mask.is_some(), )*
                    OxmField::Raw(r) => r.hasmask,
                }
            }

            fn decode_basic(field: u8, hasmask: bool, p: &[u8]) -> Option<OxmField> {
                match field {
                    $( $ef if !hasmask && p.len() == <$et as OxmValue>::WIDTH => {
                        Some(OxmField::$ev(<$et as OxmValue>::read(p)))
                    } )*
                    $( $mf => {
                        let w = <$mt as OxmValue>::WIDTH;
                        if !hasmask && p.len() == w {
                            Some(OxmField::$mv(Masked::exact(<$mt as OxmValue>::read(p))))
                        } else if hasmask && p.len() == 2 * w {
                            Some(OxmField::$mv(Masked::new(
                                <$mt as OxmValue>::read(&p[..w]),
                                <$mt as OxmValue>::read(&p[w..]),
                            )))
                        } else {
                            None
                        }
                    } )*
                    _ => None,
                }
            }

            fn emit_payload(&self, buf: &mut BytesMut) {
                match self {
                    $( OxmField::$ev(v) => v.write(buf), )*
                    $( OxmField::$mv(m) => {
                        m.value.write(buf);
                        if let Some(mask) = &m.mask {
                            mask.write(buf);
                        }
                    } )*
                    OxmField::Raw(r) => buf.put_slice(&r.payload),
                }
            }
        }
    };
}

oxm_fields! {
    exact {
        InPort = 0: u32, "IN_PORT";
        InPhyPort = 1: u32, "IN_PHY_PORT";
        EthType = 5: u16, "ETH_TYPE";
        VlanPcp = 7: u8, "VLAN_PCP";
        IpDscp = 8: u8, "IP_DSCP";
        IpEcn = 9: u8, "IP_ECN";
        IpProto = 10: u8, "IP_PROTO";
        TcpSrc = 13: u16, "TCP_SRC";
        TcpDst = 14: u16, "TCP_DST";
        UdpSrc = 15: u16, "UDP_SRC";
        UdpDst = 16: u16, "UDP_DST";
        SctpSrc = 17: u16, "SCTP_SRC";
        SctpDst = 18: u16, "SCTP_DST";
        Icmpv4Type = 19: u8, "ICMPV4_TYPE";
        Icmpv4Code = 20: u8, "ICMPV4_CODE";
        ArpOp = 21: u16, "ARP_OP";
        Icmpv6Type = 29: u8, "ICMPV6_TYPE";
        Icmpv6Code = 30: u8, "ICMPV6_CODE";
        Ipv6NdTarget = 31: Ipv6Addr, "IPV6_ND_TARGET";
        Ipv6NdSll = 32: MacAddr, "IPV6_ND_SLL";
        Ipv6NdTll = 33: MacAddr, "IPV6_ND_TLL";
        MplsLabel = 34: u32, "MPLS_LABEL";
        MplsTc = 35: u8, "MPLS_TC";
        MplsBos = 36: u8, "MPLS_BOS";
    }
    masked {
        Metadata = 2: u64, "METADATA";
        EthDst = 3: MacAddr, "ETH_DST";
        EthSrc = 4: MacAddr, "ETH_SRC";
        VlanVid = 6: u16, "VLAN_VID";
        Ipv4Src = 11: Ipv4Addr, "IPV4_SRC";
        Ipv4Dst = 12: Ipv4Addr, "IPV4_DST";
        ArpSpa = 22: Ipv4Addr, "ARP_SPA";
        ArpTpa = 23: Ipv4Addr, "ARP_TPA";
        ArpSha = 24: MacAddr, "ARP_SHA";
        ArpTha = 25: MacAddr, "ARP_THA";
        Ipv6Src = 26: Ipv6Addr, "IPV6_SRC";
        Ipv6Dst = 27: Ipv6Addr, "IPV6_DST";
        Ipv6Flabel = 28: u32, "IPV6_FLABEL";
        PbbIsid = 37: U24, "PBB_ISID";
        TunnelId = 38: u64, "TUNNEL_ID";
        Ipv6Exthdr = 39: u16, "IPV6_EXTHDR";
    }
}

impl OxmField {
    /// Reads one OXM TLV.
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<OxmField> {
        let start = r.offset();
        let header = r.u32("oxm header")?;
        let class = (header >> 16) as u16;
        let field = ((header >> 9) & 0x7f) as u8;
        let hasmask = header & 0x100 != 0;
        let len = (header & 0xff) as usize;
        // The length is the header's last byte; it must fit the match (or action) it is in.
        if len > r.remaining() {
            return Err(crate::DecodeError::new(
                start + 3,
                Reason::BadLength { what: "oxm", len },
            ));
        }
        let payload = r.take(len, "oxm payload")?;
        if class == OFPXMC_EXPERIMENTER && len < 4 {
            return Err(crate::DecodeError::new(
                start + 3,
                Reason::BadLength {
                    what: "experimenter oxm",
                    len,
                },
            ));
        }
        if class == OFPXMC_OPENFLOW_BASIC {
            if let Some(f) = OxmField::decode_basic(field, hasmask, payload) {
                return Ok(f);
            }
        }
        Ok(OxmField::Raw(RawOxm {
            class,
            field,
            hasmask,
            payload: payload.to_vec(),
        }))
    }

    /// The 32-bit OXM header of this field.
    pub fn header(&self) -> u32 {
        let (class, field, hasmask, len) = match self {
            OxmField::Raw(r) => (r.class, r.field, r.hasmask, r.payload.len()),
            f => {
                let code = f.basic_field().unwrap_or(0);
                let w = OxmField::basic_width(code).unwrap_or(0);
                let m = f.has_mask();
                (OFPXMC_OPENFLOW_BASIC, code, m, if m { 2 * w } else { w })
            }
        };
        ((class as u32) << 16)
            | ((field as u32 & 0x7f) << 9)
            | ((hasmask as u32) << 8)
            | (len as u32 & 0xff)
    }

    /// Length of the TLV on the wire (header included).
    pub fn wire_len(&self) -> usize {
        4 + (self.header() & 0xff) as usize
    }

    /// Writes the TLV.
    pub(crate) fn emit(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        if let OxmField::Raw(r) = self {
            if r.payload.len() > 255 {
                return Err(EncodeError::TooLong {
                    what: "oxm payload",
                    len: r.payload.len(),
                });
            }
        }
        buf.put_u32(self.header());
        self.emit_payload(buf);
        Ok(())
    }
}

/// An OpenFlow 1.3 `ofp_match` of type OXM: an ordered list of fields.
///
/// Field order is kept as received so that a decoded match re-emits identically.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Match {
    /// The fields in wire order.
    pub fields: Vec<OxmField>,
}

/// `ofp_match.type` for OXM matches.
pub const OFPMT_OXM: u16 = 1;

/// A prerequisite that a match is missing (OpenFlow 1.3 section 7.2.3.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrereqError {
    /// The field whose prerequisite is not met.
    pub field: &'static str,
    /// What it needs.
    pub needs: &'static str,
}

impl std::fmt::Display for PrereqError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} requires {}", self.field, self.needs)
    }
}

impl std::error::Error for PrereqError {}

impl Match {
    /// A match on nothing (matches every packet).
    pub fn new() -> Self {
        Match::default()
    }

    /// Adds a field (builder style).
    pub fn with(mut self, f: OxmField) -> Self {
        self.fields.push(f);
        self
    }

    /// Whether a field of the match is a vendor extension ([`OxmField::is_extension`]).
    pub fn uses_extensions(&self) -> bool {
        self.fields.iter().any(OxmField::is_extension)
    }

    /// The first field with this basic field number.
    pub fn get(&self, basic_field: u8) -> Option<&OxmField> {
        self.fields
            .iter()
            .find(|f| f.basic_field() == Some(basic_field))
    }

    fn eth_type(&self) -> Option<u16> {
        self.fields.iter().find_map(|f| match f {
            OxmField::EthType(t) => Some(*t),
            _ => None,
        })
    }

    fn ip_proto(&self) -> Option<u8> {
        self.fields.iter().find_map(|f| match f {
            OxmField::IpProto(p) => Some(*p),
            _ => None,
        })
    }

    fn icmpv6_type(&self) -> Option<u8> {
        self.fields.iter().find_map(|f| match f {
            OxmField::Icmpv6Type(t) => Some(*t),
            _ => None,
        })
    }

    /// Checks the OXM prerequisites of every basic field and that no basic field appears twice.
    pub fn check_prerequisites(&self) -> Result<(), PrereqError> {
        use OxmField::*;
        let eth = self.eth_type();
        let proto = self.ip_proto();
        let is_ip = matches!(eth, Some(0x0800) | Some(0x86dd));
        let is_arp = eth == Some(0x0806);
        let is_mpls = matches!(eth, Some(0x8847) | Some(0x8848));
        let fail = |field, needs| Err(PrereqError { field, needs });
        let mut seen = [false; 64];
        for f in &self.fields {
            if let Some(code) = f.basic_field() {
                if std::mem::replace(&mut seen[code as usize], true) {
                    return fail(
                        OxmField::basic_name(code).unwrap_or("field"),
                        "appearing only once",
                    );
                }
            }
            let ok = match f {
                InPhyPort(_) => self.get(0).is_some(),
                VlanPcp(_) => !matches!(
                    self.get(6),
                    None | Some(VlanVid(Masked {
                        value: 0,
                        mask: None
                    }))
                ),
                IpDscp(_) | IpEcn(_) | IpProto(_) => is_ip,
                Ipv4Src(_) | Ipv4Dst(_) => eth == Some(0x0800),
                TcpSrc(_) | TcpDst(_) => is_ip && proto == Some(6),
                UdpSrc(_) | UdpDst(_) => is_ip && proto == Some(17),
                SctpSrc(_) | SctpDst(_) => is_ip && proto == Some(132),
                Icmpv4Type(_) | Icmpv4Code(_) => eth == Some(0x0800) && proto == Some(1),
                ArpOp(_) | ArpSpa(_) | ArpTpa(_) | ArpSha(_) | ArpTha(_) => is_arp,
                Ipv6Src(_) | Ipv6Dst(_) | Ipv6Flabel(_) | Ipv6Exthdr(_) => eth == Some(0x86dd),
                Icmpv6Type(_) | Icmpv6Code(_) => eth == Some(0x86dd) && proto == Some(58),
                Ipv6NdTarget(_) => matches!(self.icmpv6_type(), Some(135) | Some(136)),
                Ipv6NdSll(_) => self.icmpv6_type() == Some(135),
                Ipv6NdTll(_) => self.icmpv6_type() == Some(136),
                MplsLabel(_) | MplsTc(_) | MplsBos(_) => is_mpls,
                PbbIsid(_) => eth == Some(0x88e7),
                _ => true,
            };
            if !ok {
                let code = f.basic_field().unwrap_or(0);
                return fail(
                    OxmField::basic_name(code).unwrap_or("field"),
                    prerequisite_text(code),
                );
            }
        }
        Ok(())
    }

    /// Reads an `ofp_match` (header, fields and padding to 8 bytes).
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<Match> {
        Match::decode_fields(r).map_err(|e| e.within(crate::Part::Match))
    }

    fn decode_fields(r: &mut Reader<'_>) -> DResult<Match> {
        let start = r.offset();
        let typ = r.u16("match type")?;
        if typ != OFPMT_OXM {
            return Err(crate::DecodeError::new(
                start,
                Reason::BadValue {
                    what: crate::Field::MatchType,
                    value: typ as u64,
                },
            ));
        }
        let len = r.u16("match length")? as usize;
        if len < 4 {
            return Err(crate::DecodeError::new(
                start + 2,
                Reason::BadLength { what: "match", len },
            ));
        }
        let mut body = r.sub(len - 4, "match fields").map_err(|_| {
            crate::DecodeError::new(start + 2, Reason::BadLength { what: "match", len })
        })?;
        r.skip(len.div_ceil(8) * 8 - len, "match padding")?;
        let fields = body.many(OxmField::decode)?;
        Ok(Match { fields })
    }

    /// Writes the `ofp_match` with its padding.
    pub(crate) fn emit(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        buf.put_u16(OFPMT_OXM);
        let at = len_placeholder(buf);
        for f in &self.fields {
            f.emit(buf)?;
        }
        patch_len(buf, at, start, "match")?;
        pad_to(buf, start, 8);
        Ok(())
    }
}

fn prerequisite_text(code: u8) -> &'static str {
    match code {
        1 => "IN_PORT",
        7 => "VLAN_VID other than OFPVID_NONE",
        8..=10 => "ETH_TYPE 0x0800 or 0x86dd",
        11 | 12 => "ETH_TYPE 0x0800",
        13 | 14 => "IP_PROTO 6",
        15 | 16 => "IP_PROTO 17",
        17 | 18 => "IP_PROTO 132",
        19 | 20 => "ETH_TYPE 0x0800 and IP_PROTO 1",
        21..=25 => "ETH_TYPE 0x0806",
        26..=28 | 39 => "ETH_TYPE 0x86dd",
        29 | 30 => "ETH_TYPE 0x86dd and IP_PROTO 58",
        31 => "ICMPV6_TYPE 135 or 136",
        32 => "ICMPV6_TYPE 135",
        33 => "ICMPV6_TYPE 136",
        34..=36 => "ETH_TYPE 0x8847 or 0x8848",
        37 => "ETH_TYPE 0x88e7",
        _ => "nothing",
    }
}

impl OxmField {
    /// Whether the field is a vendor extension (a class other than the OpenFlow basic one,
    /// e.g. Open vSwitch's `NXM_0`/`NXM_1` fields or an experimenter field), which a switch
    /// of another vendor does not know.
    pub fn is_extension(&self) -> bool {
        matches!(self, OxmField::Raw(r) if r.class != OFPXMC_OPENFLOW_BASIC)
    }
}
