//! Who owns a flow, group or meter on a switch.
//!
//! # Flow cookies
//!
//! Every flow netmaster installs carries a 64-bit cookie that says "netplugin" and names the
//! object it was compiled from, so that `ovs-ofctl dump-flows` output leads back to intent and
//! flows of other controllers are never touched:
//!
//! ```text
//!  63            48 47      40 39                                    0
//! +----------------+----------+---------------------------------------+
//! |  magic 0x4e50  |   kind   |               owner id                |
//! +----------------+----------+---------------------------------------+
//!       "NP"         OwnerKind          40 bits, meaning per kind
//! ```
//!
//! `cookie=0x4e5004000000002a` is therefore "netplugin, endpoint 42". A cookie whose top 16 bits
//! are not [`MAGIC`] is foreign. [`CookieFilter`] gives the cookie/mask pairs that select all of
//! our flows, all flows of one kind, or the flows of one object (for flow-stats requests and
//! delete filters).
//!
//! # Group and meter ids
//!
//! Groups and meters have no cookie, so ownership is in the id itself: ours are the ids with
//! [`ID_PREFIX`] (`0x4e`) in bits 31..24 and an index in bits 23..0, i.e.
//! `0x4e00_0000..=0x4eff_ffff`. The range lies below both Open vSwitch limits (groups up to
//! `0xffff_ff00`, meters up to `0xffff_0000`, both checked against Open vSwitch 3.1, which
//! accepts `0x4e000001` as a meter id on the userspace datapath because it maps OpenFlow meter
//! ids to datapath meters itself) and far above the small ids people and other controllers
//! pick by hand. See `docs/cookies.md`.

/// The top 16 bits of every netplugin cookie: `"NP"`.
pub const MAGIC: u16 = 0x4e50;
/// Largest owner id a cookie can carry (40 bits).
pub const ID_MAX: u64 = (1 << 40) - 1;

const MAGIC_SHIFT: u32 = 48;
const KIND_SHIFT: u32 = 40;
const MAGIC_MASK: u64 = 0xffff << MAGIC_SHIFT;
const KIND_MASK: u64 = MAGIC_MASK | (0xff << KIND_SHIFT);

/// The kind of object a flow was compiled from (bits 47..40 of the cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OwnerKind {
    /// The fixed base pipeline ([`crate::pipeline`]); the id names the base rule.
    BasePipeline,
    /// A flow from a static flow file; the id is the line or entry number.
    StaticFlow,
    /// A network (flooding, VNI/VLAN mapping); the id is the network id.
    Network,
    /// An endpoint (port security, local delivery); the id is the endpoint id.
    Endpoint,
    /// An endpoint group (EPG classification); the id is the EPG id.
    Epg,
    /// A policy rule (ACL entry); the id is the rule id.
    PolicyRule,
    /// A QoS profile applied to an endpoint group (meters, DSCP marking); the id is the
    /// group (class) id.
    Qos,
    /// An L3 gateway / router interface; the id is the gateway id.
    Gateway,
    /// A tunnel to a peer host; the id is the peer host id.
    Tunnel,
    /// A multicast group learned by IGMP/MLD snooping; the id is the membership id.
    Multicast,
    /// A flow that sends packets to a packet-in application (ARP, IGMP, LLDP); the id names it.
    PacketIn,
    /// Any other kind number (never one of the numbers above).
    Other(u8),
}

impl OwnerKind {
    /// The kinds with a name, in wire order.
    const NAMED: [OwnerKind; 11] = [
        OwnerKind::BasePipeline,
        OwnerKind::StaticFlow,
        OwnerKind::Network,
        OwnerKind::Endpoint,
        OwnerKind::Epg,
        OwnerKind::PolicyRule,
        OwnerKind::Qos,
        OwnerKind::Gateway,
        OwnerKind::Tunnel,
        OwnerKind::Multicast,
        OwnerKind::PacketIn,
    ];

    /// The kind number (named kinds are `0x01..=0x0b`).
    pub fn to_u8(self) -> u8 {
        match self {
            OwnerKind::Other(v) => v,
            named => OwnerKind::NAMED
                .iter()
                .position(|k| *k == named)
                .map_or(0, |i| i as u8 + 1),
        }
    }

    /// The kind for a number; numbers without a name become [`OwnerKind::Other`].
    pub fn from_u8(v: u8) -> OwnerKind {
        v.checked_sub(1)
            .and_then(|i| OwnerKind::NAMED.get(i as usize).copied())
            .unwrap_or(OwnerKind::Other(v))
    }
}

/// A decoded netplugin cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cookie {
    /// The kind of the owning object.
    pub kind: OwnerKind,
    /// The owning object's id (at most [`ID_MAX`]).
    pub id: u64,
}

impl Cookie {
    /// The cookie of a flow owned by object `id` of `kind`.
    ///
    /// # Panics
    /// If `id` is above [`ID_MAX`]; use [`Cookie::try_new`] for ids that may not fit.
    // Returns the wire value rather than `Self`: that is what every flow needs.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(kind: OwnerKind, id: u64) -> u64 {
        Cookie::try_new(kind, id).expect("cookie owner id wider than 40 bits")
    }

    /// The cookie of a flow owned by object `id` of `kind`, or `None` if `id` needs more than
    /// 40 bits.
    pub fn try_new(kind: OwnerKind, id: u64) -> Option<u64> {
        (id <= ID_MAX).then(|| {
            (u64::from(MAGIC) << MAGIC_SHIFT) | (u64::from(kind.to_u8()) << KIND_SHIFT) | id
        })
    }

    /// Decodes a cookie; `None` for a foreign one.
    pub fn parse(cookie: u64) -> Option<Cookie> {
        is_ours(cookie).then(|| Cookie {
            kind: OwnerKind::from_u8((cookie >> KIND_SHIFT) as u8),
            id: cookie & ID_MAX,
        })
    }

    /// The encoded cookie.
    pub fn to_u64(self) -> u64 {
        Cookie::new(self.kind, self.id)
    }
}

/// Whether a flow cookie is netplugin's.
pub fn is_ours(cookie: u64) -> bool {
    cookie & MAGIC_MASK == u64::from(MAGIC) << MAGIC_SHIFT
}

/// A cookie value and mask as OpenFlow uses them in flow-stats requests and in modify and
/// delete flow mods: a flow is selected when `flow.cookie & mask == cookie & mask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CookieFilter {
    /// The value.
    pub cookie: u64,
    /// The mask (1 bits must match).
    pub mask: u64,
}

impl CookieFilter {
    /// Every netplugin flow.
    pub fn ours() -> CookieFilter {
        CookieFilter {
            cookie: u64::from(MAGIC) << MAGIC_SHIFT,
            mask: MAGIC_MASK,
        }
    }

    /// Every netplugin flow of one kind.
    pub fn kind(kind: OwnerKind) -> CookieFilter {
        CookieFilter {
            cookie: Cookie::new(kind, 0),
            mask: KIND_MASK,
        }
    }

    /// The flows of one object (exactly this cookie).
    pub fn object(kind: OwnerKind, id: u64) -> CookieFilter {
        CookieFilter::exact(Cookie::new(kind, id))
    }

    /// Exactly `cookie`.
    pub fn exact(cookie: u64) -> CookieFilter {
        CookieFilter {
            cookie,
            mask: u64::MAX,
        }
    }

    /// Whether a flow with this cookie is selected.
    pub fn matches(self, cookie: u64) -> bool {
        (cookie ^ self.cookie) & self.mask == 0
    }
}

/// Bits 31..24 of every group and meter id that netplugin owns.
pub const ID_PREFIX: u32 = 0x4e00_0000;
/// Mask of the prefix bits of a group or meter id.
pub const ID_PREFIX_MASK: u32 = 0xff00_0000;
/// Largest index of an owned group or meter id (24 bits).
pub const INDEX_MAX: u32 = 0x00ff_ffff;

/// The first group index of multicast groups ([`crate::compiler::topology::GroupMembers`]):
/// indexes below it are networks' flood groups (so network ids stay below it), indexes from it
/// up are `MULTICAST_INDEX_BASE + membership index`. Meters use it for the IGMP packet-in meter.
pub const MULTICAST_INDEX_BASE: u32 = 0x0080_0000;

/// Our group or meter id for `index`.
///
/// # Panics
/// If `index` is above [`INDEX_MAX`].
pub fn owned_id(index: u32) -> u32 {
    assert!(index <= INDEX_MAX, "group/meter index wider than 24 bits");
    ID_PREFIX | index
}

/// Whether a group or meter id is netplugin's.
pub fn is_owned_id(id: u32) -> bool {
    id & ID_PREFIX_MASK == ID_PREFIX
}

/// The index of one of our group or meter ids; `None` for a foreign id.
pub fn owned_index(id: u32) -> Option<u32> {
    is_owned_id(id).then_some(id & INDEX_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_puts_magic_kind_and_id_in_place() {
        let c = Cookie::new(OwnerKind::Endpoint, 42);
        assert_eq!(c, 0x4e50_0400_0000_002a);
        assert_eq!(format!("{c:#x}"), "0x4e5004000000002a");
        assert_eq!(
            Cookie::parse(c),
            Some(Cookie {
                kind: OwnerKind::Endpoint,
                id: 42
            })
        );
        assert_eq!(
            Cookie::new(OwnerKind::BasePipeline, ID_MAX),
            0x4e50_01ff_ffff_ffff
        );
    }

    #[test]
    fn every_kind_number_round_trips() {
        for v in 0..=u8::MAX {
            let k = OwnerKind::from_u8(v);
            assert_eq!(k.to_u8(), v);
            let c = Cookie::new(k, 7);
            assert_eq!(Cookie::parse(c).map(|c| c.kind), Some(k));
        }
        assert_eq!(OwnerKind::from_u8(0), OwnerKind::Other(0));
        assert_eq!(OwnerKind::from_u8(6), OwnerKind::PolicyRule);
        assert_eq!(OwnerKind::from_u8(0x0c), OwnerKind::Other(0x0c));
    }

    #[test]
    fn foreign_cookies_are_not_ours() {
        for c in [0, 1, 0x4e51_0000_0000_0000, 0x004e_5000_0000_0000, u64::MAX] {
            assert!(!is_ours(c));
            assert_eq!(Cookie::parse(c), None);
        }
        assert!(is_ours(0x4e50_0000_0000_0000));
    }

    #[test]
    fn ids_wider_than_40_bits_are_refused() {
        assert_eq!(Cookie::try_new(OwnerKind::Network, ID_MAX + 1), None);
        assert!(std::panic::catch_unwind(|| Cookie::new(OwnerKind::Network, 1 << 40)).is_err());
    }

    #[test]
    fn filters_select_ours_a_kind_or_an_object() {
        let ep42 = Cookie::new(OwnerKind::Endpoint, 42);
        let ep43 = Cookie::new(OwnerKind::Endpoint, 43);
        let net42 = Cookie::new(OwnerKind::Network, 42);
        let ours = CookieFilter::ours();
        assert!(ours.matches(ep42) && ours.matches(net42) && !ours.matches(42));
        let eps = CookieFilter::kind(OwnerKind::Endpoint);
        assert!(eps.matches(ep42) && eps.matches(ep43) && !eps.matches(net42));
        let one = CookieFilter::object(OwnerKind::Endpoint, 42);
        assert!(one.matches(ep42) && !one.matches(ep43) && !one.matches(net42));
        assert_eq!(eps.mask, 0xffff_ff00_0000_0000);
    }

    #[test]
    fn group_and_meter_ids_carry_the_prefix() {
        assert_eq!(owned_id(1), 0x4e00_0001);
        assert_eq!(owned_index(0x4eff_ffff), Some(INDEX_MAX));
        assert!(!is_owned_id(1) && !is_owned_id(0x4f00_0000) && !is_owned_id(0xffff_ff00));
        assert!(owned_id(INDEX_MAX) < ofproto::msg::meter_id::MAX);
        assert!(owned_id(INDEX_MAX) < ofproto::msg::group_id::MAX);
    }
}
