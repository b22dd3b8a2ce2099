//! Semantic OXM matches: canonical form, packet matching, and the relations between matches
//! that flow-mod commands need (identity, "more specific than", overlap).
//!
//! A [`CanonicalMatch`] ignores field order, turns an all-ones mask into an exact match, clears
//! value bits outside the mask, and drops fields whose mask is zero, so that two matches that
//! select the same packets compare equal.

use crate::error::OfError;
use crate::packet::Packet;
use ofproto::oxm::{OxmValue, OFPXMC_OPENFLOW_BASIC};
use ofproto::{Match, OxmField};
use std::collections::BTreeMap;

/// The key of a canonical match field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldKey {
    /// An OpenFlow basic field, by number.
    Basic(u8),
    /// A field of another class (or a basic field kept raw), compared byte for byte.
    Raw {
        /// OXM class.
        class: u16,
        /// Field number.
        field: u8,
        /// The has-mask bit.
        hasmask: bool,
    },
}

/// A field's value and mask in canonical form: both as wide as the field, `value & !mask == 0`.
/// For raw fields `value` is the payload and `mask` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldMatch {
    /// Value bytes.
    pub value: Vec<u8>,
    /// Mask bytes (all ones for an exact match).
    pub mask: Vec<u8>,
}

/// A match in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CanonicalMatch {
    /// The fields, ordered by key.
    pub fields: BTreeMap<FieldKey, FieldMatch>,
}

/// The bits of a basic field that carry meaning (a value narrower than its wire width).
fn significant(code: u8, width: usize) -> Vec<u8> {
    let bits: Option<u64> = match code {
        6 => Some(0x1fff),    // VLAN_VID with OFPVID_PRESENT
        7 => Some(0x07),      // VLAN_PCP
        8 => Some(0x3f),      // IP_DSCP
        9 => Some(0x03),      // IP_ECN
        28 => Some(0xf_ffff), // IPV6_FLABEL
        34 => Some(0xf_ffff), // MPLS_LABEL
        35 => Some(0x07),     // MPLS_TC
        36 => Some(0x01),     // MPLS_BOS
        39 => Some(0x01ff),   // IPV6_EXTHDR
        _ => None,
    };
    match bits {
        Some(b) => b.to_be_bytes()[8 - width..].to_vec(),
        None => vec![0xff; width],
    }
}

fn bytes_of<T: OxmValue>(v: &T) -> Vec<u8> {
    let mut b = bytes::BytesMut::new();
    v.write(&mut b);
    b.to_vec()
}

macro_rules! field_value {
    ($f:expr; exact: $($e:ident),*; masked: $($m:ident),*;) => {
        match $f {
            $( OxmField::$e(v) => Some((bytes_of(v), None)), )*
            $( OxmField::$m(m) => Some((bytes_of(&m.value), m.mask.as_ref().map(bytes_of))), )*
            OxmField::Raw(_) => None,
        }
    };
}

/// A basic field's value and mask (`None`: exact) as wire bytes; `None` for raw fields.
pub fn field_value(f: &OxmField) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    field_value!(f;
        exact: InPort, InPhyPort, EthType, VlanPcp, IpDscp, IpEcn, IpProto, TcpSrc, TcpDst,
            UdpSrc, UdpDst, SctpSrc, SctpDst, Icmpv4Type, Icmpv4Code, ArpOp, Icmpv6Type,
            Icmpv6Code, Ipv6NdTarget, Ipv6NdSll, Ipv6NdTll, MplsLabel, MplsTc, MplsBos;
        masked: Metadata, EthDst, EthSrc, VlanVid, Ipv4Src, Ipv4Dst, ArpSpa, ArpTpa, ArpSha,
            ArpTha, Ipv6Src, Ipv6Dst, Ipv6Flabel, PbbIsid, TunnelId, Ipv6Exthdr;
    )
}

impl CanonicalMatch {
    /// The canonical form of a match (if a basic field appears twice, the last one counts;
    /// [`validate_match`] rejects such matches).
    pub fn new(m: &Match) -> CanonicalMatch {
        let mut fields = BTreeMap::new();
        for f in &m.fields {
            match (f.basic_field(), field_value(f)) {
                (Some(code), Some((value, mask))) => {
                    let sig = significant(code, value.len());
                    let mask: Vec<u8> = match mask {
                        Some(k) => k.iter().zip(&sig).map(|(k, s)| k & s).collect(),
                        None => sig,
                    };
                    if mask.iter().all(|b| *b == 0) {
                        fields.remove(&FieldKey::Basic(code));
                        continue;
                    }
                    let value = value.iter().zip(&mask).map(|(v, k)| v & k).collect();
                    fields.insert(FieldKey::Basic(code), FieldMatch { value, mask });
                }
                _ => {
                    if let OxmField::Raw(r) = f {
                        fields.insert(
                            FieldKey::Raw {
                                class: r.class,
                                field: r.field,
                                hasmask: r.hasmask,
                            },
                            FieldMatch {
                                value: r.payload.clone(),
                                mask: Vec::new(),
                            },
                        );
                    }
                }
            }
        }
        CanonicalMatch { fields }
    }

    /// True when the packet has every field and each agrees under the mask. Raw fields never
    /// match (the packet model has no such fields).
    pub fn matches(&self, p: &Packet) -> bool {
        self.fields.iter().all(|(k, fm)| match k {
            FieldKey::Basic(code) => match p.field_bytes(*code) {
                Some(b) => b.len() == fm.value.len() && masked_eq(&b, &fm.value, &fm.mask),
                None => false,
            },
            FieldKey::Raw { .. } => false,
        })
    }

    /// True when every packet `other` matches also matches `self`, judged field by field as
    /// OpenFlow's non-strict modify/delete do: `other` has every field of `self`, with a mask
    /// at least as wide and a value that agrees under `self`'s mask.
    pub fn covers(&self, other: &CanonicalMatch) -> bool {
        self.fields.iter().all(|(k, f)| match other.fields.get(k) {
            None => false,
            Some(o) if matches!(k, FieldKey::Raw { .. }) => o == f,
            Some(o) => f
                .mask
                .iter()
                .zip(&o.mask)
                .zip(o.value.iter().zip(&f.value))
                .all(|((fk, ok), (ov, fv))| ok & fk == *fk && ov & fk == *fv),
        })
    }

    /// True when some packet could match both (checked field by field on common fields).
    pub fn overlaps(&self, other: &CanonicalMatch) -> bool {
        self.fields.iter().all(|(k, a)| match other.fields.get(k) {
            None => true,
            Some(b) if matches!(k, FieldKey::Raw { .. }) => a == b,
            Some(b) => a
                .value
                .iter()
                .zip(&b.value)
                .zip(a.mask.iter().zip(&b.mask))
                .all(|((av, bv), (am, bm))| (av ^ bv) & am & bm == 0),
        })
    }
}

fn masked_eq(packet: &[u8], value: &[u8], mask: &[u8]) -> bool {
    packet
        .iter()
        .zip(value)
        .zip(mask)
        .all(|((p, v), k)| p & k == *v)
}

/// Checks a flow match the way a switch does before accepting a flow: prerequisites, duplicate
/// fields, values wider than their field, and basic-class fields the codec could not type.
pub fn validate_match(m: &Match) -> Result<(), OfError> {
    for f in &m.fields {
        match f {
            OxmField::Raw(r) if r.class == OFPXMC_OPENFLOW_BASIC => {
                return Err(if OxmField::basic_name(r.field).is_none() {
                    OfError::BAD_FIELD
                } else if r.hasmask && !OxmField::basic_maskable(r.field) {
                    OfError::BAD_MASK
                } else {
                    OfError::BAD_MATCH_LEN
                });
            }
            OxmField::Raw(_) => {}
            f => {
                if let (Some(code), Some((value, None))) = (f.basic_field(), field_value(f)) {
                    let sig = significant(code, value.len());
                    if value.iter().zip(&sig).any(|(v, s)| v & !s != 0) {
                        return Err(OfError::BAD_VALUE);
                    }
                }
            }
        }
    }
    m.check_prerequisites().map_err(|e| {
        if e.needs == "appearing only once" {
            OfError::DUP_FIELD
        } else {
            OfError::BAD_PREREQ
        }
    })
}
