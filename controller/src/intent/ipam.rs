//! Address and id allocation.
//!
//! * IPv4: per network, the lowest free address of the pool (the network's allocation range,
//!   or its group's `ipPool`), skipping the gateway; network and broadcast addresses are never in
//!   a pool.
//! * IPv6: per network, sequentially from the subnet: the lowest free address after the
//!   subnet-router anycast address, skipping the gateway.
//! * MACs: `02:02:` followed by a 32-bit counter that only grows, skipping MACs in use.
//! * VLAN ids and VNIs: the lowest free id of the global range, two separate spaces.
//! * Object ids: counters that only grow, so an id is never reused (networks 1..=0xffffff,
//!   groups 1..=0xffff, endpoints 1..2^40).
//!
//! Only the [`Counters`] are persisted; what is in use is rebuilt from the stored objects.

use imbl::{OrdMap, OrdSet};
use northbound_api::addr::IdRanges;
use northbound_api::model::Encap;
use northbound_api::service::IntentError;
use serde::{Deserialize, Serialize};

/// The largest network id.
pub const MAX_NETWORK_ID: u64 = 0xff_ffff;
/// The largest endpoint-group id.
pub const MAX_GROUP_ID: u64 = 0xffff;
/// The largest endpoint id.
pub const MAX_ENDPOINT_ID: u64 = (1 << 40) - 1;
/// The prefix of allocated MAC addresses (locally administered, unicast).
const MAC_PREFIX: u64 = 0x0202 << 32;

/// The persistent part of the allocators: next values of the never-reused counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Next network id.
    pub network: u64,
    /// Next endpoint-group id.
    pub group: u64,
    /// Next endpoint id.
    pub endpoint: u64,
    /// Next MAC counter value (low 32 bits after `02:02:`).
    pub mac: u64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            network: 1,
            group: 1,
            endpoint: 1,
            mac: 1,
        }
    }
}

/// The lowest value of `lo..=hi` that is neither used nor reserved.
fn lowest_free(used: &OrdSet<u128>, lo: u128, hi: u128, reserved: Option<u128>) -> Option<u128> {
    let mut c = lo;
    while c <= hi {
        if !used.contains(&c) && Some(c) != reserved {
            return Some(c);
        }
        c = c.checked_add(1)?;
    }
    None
}

/// What is allocated, plus the persistent counters.
///
/// Its sets are persistent ([`OrdSet`]): every write applies a batch to a clone, which shares
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ipam {
    /// The never-reused counters.
    pub counters: Counters,
    v4: OrdMap<String, OrdSet<u128>>,
    v6: OrdMap<String, OrdSet<u128>>,
    macs: OrdSet<u128>,
    vlans: OrdSet<u128>,
    vnis: OrdSet<u128>,
}

/// Which address family of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Ipam {
    /// An allocator with the given counters and nothing in use.
    pub fn new(counters: Counters) -> Ipam {
        Ipam {
            counters,
            ..Ipam::default()
        }
    }

    fn next_id(counter: &mut u64, max: u64, what: &str) -> Result<u64, IntentError> {
        if *counter > max {
            return Err(IntentError::Conflict(format!("{what} ids are exhausted")));
        }
        *counter += 1;
        Ok(*counter - 1)
    }

    /// A new network id (never reused).
    pub fn new_network_id(&mut self) -> Result<u32, IntentError> {
        Self::next_id(&mut self.counters.network, MAX_NETWORK_ID, "network").map(|i| i as u32)
    }

    /// A new endpoint-group id (never reused).
    pub fn new_group_id(&mut self) -> Result<u16, IntentError> {
        Self::next_id(&mut self.counters.group, MAX_GROUP_ID, "endpoint group").map(|i| i as u16)
    }

    /// A new endpoint id (never reused).
    pub fn new_endpoint_id(&mut self) -> Result<u64, IntentError> {
        Self::next_id(&mut self.counters.endpoint, MAX_ENDPOINT_ID, "endpoint")
    }

    fn addrs(&mut self, family: Family, network: &str) -> &mut OrdSet<u128> {
        let map = match family {
            Family::V4 => &mut self.v4,
            Family::V6 => &mut self.v6,
        };
        map.entry(network.to_string()).or_default()
    }

    /// Allocates the lowest free address of `first..=last` in a network, skipping `reserved`.
    pub fn alloc_addr(
        &mut self,
        family: Family,
        network: &str,
        (first, last): (u128, u128),
        reserved: Option<u128>,
    ) -> Option<u128> {
        let used = self.addrs(family, network);
        let a = lowest_free(used, first, last, reserved)?;
        used.insert(a);
        Some(a)
    }

    /// Marks an address of a network in use; false if it already was.
    pub fn take_addr(&mut self, family: Family, network: &str, a: u128) -> bool {
        self.addrs(family, network).insert(a).is_none()
    }

    /// Releases an address of a network.
    pub fn release_addr(&mut self, family: Family, network: &str, a: u128) {
        self.addrs(family, network).remove(&a);
    }

    /// Whether an address of a network is in use.
    pub fn addr_in_use(&self, family: Family, network: &str, a: u128) -> bool {
        let map = match family {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        };
        map.get(network).is_some_and(|s| s.contains(&a))
    }

    /// Forgets a network's address sets (its endpoints are gone).
    pub fn drop_network(&mut self, network: &str) {
        self.v4.remove(network);
        self.v6.remove(network);
    }

    /// Allocates a MAC address: `02:02:` and the next counter value not in use.
    pub fn alloc_mac(&mut self) -> Result<u64, IntentError> {
        loop {
            if self.counters.mac > u64::from(u32::MAX) {
                return Err(IntentError::Conflict("MAC addresses are exhausted".into()));
            }
            let mac = MAC_PREFIX | self.counters.mac;
            self.counters.mac += 1;
            if self.macs.insert(u128::from(mac)).is_none() {
                return Ok(mac);
            }
        }
    }

    /// Marks a MAC address in use; false if it already was.
    pub fn take_mac(&mut self, mac: u64) -> bool {
        self.macs.insert(u128::from(mac)).is_none()
    }

    /// Releases a MAC address.
    pub fn release_mac(&mut self, mac: u64) {
        self.macs.remove(&u128::from(mac));
    }

    fn tags(&mut self, encap: Encap) -> &mut OrdSet<u128> {
        match encap {
            Encap::Vlan => &mut self.vlans,
            Encap::Vxlan => &mut self.vnis,
        }
    }

    /// Allocates the lowest free VLAN id or VNI of the ranges.
    pub fn alloc_tag(&mut self, encap: Encap, ranges: &IdRanges) -> Option<u32> {
        let used = self.tags(encap);
        let tag = ranges
            .intervals()
            .iter()
            .find_map(|(lo, hi)| lowest_free(used, u128::from(*lo), u128::from(*hi), None))?;
        used.insert(tag);
        Some(tag as u32)
    }

    /// Marks a VLAN id or VNI in use; false if it already was.
    pub fn take_tag(&mut self, encap: Encap, tag: u32) -> bool {
        self.tags(encap).insert(u128::from(tag)).is_none()
    }

    /// Releases a VLAN id or VNI.
    pub fn release_tag(&mut self, encap: Encap, tag: u32) {
        self.tags(encap).remove(&u128::from(tag));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lowest_free_with_reserved_and_release() {
        let mut ipam = Ipam::default();
        let pool = (10, 13);
        assert_eq!(ipam.alloc_addr(Family::V4, "t:n", pool, Some(10)), Some(11));
        assert!(ipam.take_addr(Family::V4, "t:n", 13));
        assert!(!ipam.take_addr(Family::V4, "t:n", 13));
        assert_eq!(ipam.alloc_addr(Family::V4, "t:n", pool, Some(10)), Some(12));
        assert_eq!(ipam.alloc_addr(Family::V4, "t:n", pool, Some(10)), None);
        ipam.release_addr(Family::V4, "t:n", 11);
        assert_eq!(ipam.alloc_addr(Family::V4, "t:n", pool, Some(10)), Some(11));
        // Another network has its own space.
        assert_eq!(ipam.alloc_addr(Family::V4, "t:m", pool, None), Some(10));
    }

    #[test]
    fn ids_are_never_reused_and_bounded() {
        let mut ipam = Ipam::default();
        assert_eq!(ipam.new_network_id().unwrap(), 1);
        assert_eq!(ipam.new_network_id().unwrap(), 2);
        assert_eq!(ipam.new_group_id().unwrap(), 1);
        assert_eq!(ipam.new_endpoint_id().unwrap(), 1);
        ipam.counters.group = MAX_GROUP_ID;
        assert_eq!(ipam.new_group_id().unwrap(), 0xffff);
        assert!(matches!(ipam.new_group_id(), Err(IntentError::Conflict(_))));
    }

    #[test]
    fn macs_skip_those_in_use_and_are_not_reused() {
        let mut ipam = Ipam::default();
        assert!(ipam.take_mac(0x0202_0000_0001));
        assert_eq!(ipam.alloc_mac().unwrap(), 0x0202_0000_0002);
        ipam.release_mac(0x0202_0000_0002);
        assert_eq!(ipam.alloc_mac().unwrap(), 0x0202_0000_0003);
    }

    #[test]
    fn tags_are_separate_spaces_over_ranges() {
        let mut ipam = Ipam::default();
        let r = "5-6,9".parse::<IdRanges>().unwrap();
        assert_eq!(ipam.alloc_tag(Encap::Vlan, &r), Some(5));
        assert_eq!(ipam.alloc_tag(Encap::Vxlan, &r), Some(5));
        assert_eq!(ipam.alloc_tag(Encap::Vlan, &r), Some(6));
        assert_eq!(ipam.alloc_tag(Encap::Vlan, &r), Some(9));
        assert_eq!(ipam.alloc_tag(Encap::Vlan, &r), None);
        ipam.release_tag(Encap::Vlan, 6);
        assert_eq!(ipam.alloc_tag(Encap::Vlan, &r), Some(6));
    }
}
