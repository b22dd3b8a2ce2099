//! The membership table of IGMP snooping: which endpoint is a member of which group of which
//! network, until when. Time is passed in, so that the table can be tested without waiting.
//!
//! Every port of a netplugin switch is one endpoint, so a leave removes that endpoint at once
//! (what switches call fast or immediate leave): there is nobody else behind the port whose
//! membership a group-specific query would have to find.

use crate::compiler::GroupMembers;
use crate::cookie::{INDEX_MAX, MULTICAST_INDEX_BASE};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// The largest membership index (the multicast half of the group id range, less the
/// meter's index 0).
const MAX_INDEX: u32 = INDEX_MAX - MULTICAST_INDEX_BASE;

/// One group of one network.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    /// Its index ([`GroupMembers::index`]).
    index: u32,
    /// When each member's membership ends unless renewed, by endpoint key.
    members: BTreeMap<String, Instant>,
}

/// Every membership, by (network id, group address).
#[derive(Debug, Clone, Default)]
pub struct Memberships {
    groups: BTreeMap<(u32, Ipv4Addr), Group>,
    used: BTreeSet<u32>,
}

/// One member as [`Memberships::members_of`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberState {
    /// The group address.
    pub group: Ipv4Addr,
    /// The endpoint's key.
    pub endpoint: String,
    /// How long the membership lasts unless renewed.
    pub expires_in: Duration,
}

/// Why a join was not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFull;

impl Memberships {
    /// Records that `endpoint` of network `net` is a member of `group` (until `now + hold`)
    /// or left it. `Ok(true)` when the set of members changed (a renewal only moves the
    /// expiry); `Err(TableFull)` when a new group needs an index and none is free.
    pub fn update(
        &mut self,
        net: u32,
        group: Ipv4Addr,
        endpoint: &str,
        member: bool,
        now: Instant,
        hold: Duration,
    ) -> Result<bool, TableFull> {
        let key = (net, group);
        if !member {
            let Some(g) = self.groups.get_mut(&key) else {
                return Ok(false);
            };
            let removed = g.members.remove(endpoint).is_some();
            if g.members.is_empty() {
                self.drop_group(key);
            }
            return Ok(removed);
        }
        if !self.groups.contains_key(&key) {
            let index = (1..=MAX_INDEX)
                .find(|i| !self.used.contains(i))
                .ok_or(TableFull)?;
            self.used.insert(index);
            self.groups.insert(
                key,
                Group {
                    index,
                    members: BTreeMap::new(),
                },
            );
        }
        let g = self.groups.get_mut(&key).expect("inserted above");
        Ok(g.members.insert(endpoint.to_owned(), now + hold).is_none())
    }

    fn drop_group(&mut self, key: (u32, Ipv4Addr)) {
        if let Some(g) = self.groups.remove(&key) {
            self.used.remove(&g.index);
        }
    }

    /// Removes the memberships that end at or before `now`; whether any did.
    pub fn expire(&mut self, now: Instant) -> bool {
        self.retain(|_, _, until| until > now)
    }

    /// Keeps the memberships for which `keep(network, endpoint, expiry)` holds; whether any
    /// was removed.
    pub fn retain(&mut self, mut keep: impl FnMut(u32, &str, Instant) -> bool) -> bool {
        let mut changed = false;
        let mut empty = Vec::new();
        for (key, g) in &mut self.groups {
            let before = g.members.len();
            g.members.retain(|ep, until| keep(key.0, ep, *until));
            changed |= g.members.len() != before;
            if g.members.is_empty() {
                empty.push(*key);
            }
        }
        for key in empty {
            self.drop_group(key);
        }
        changed
    }

    /// The groups with members, as the compiler takes them.
    pub fn view(&self) -> BTreeMap<u32, BTreeMap<Ipv4Addr, GroupMembers>> {
        let mut out: BTreeMap<u32, BTreeMap<Ipv4Addr, GroupMembers>> = BTreeMap::new();
        for ((net, addr), g) in &self.groups {
            out.entry(*net).or_default().insert(
                *addr,
                GroupMembers {
                    index: g.index,
                    endpoints: g.members.keys().cloned().collect(),
                },
            );
        }
        out
    }

    /// Every member of network `net`, in group then endpoint order.
    pub fn members_of(&self, net: u32, now: Instant) -> Vec<MemberState> {
        self.groups
            .range((net, Ipv4Addr::UNSPECIFIED)..=(net, Ipv4Addr::BROADCAST))
            .flat_map(|((_, addr), g)| {
                g.members.iter().map(move |(ep, until)| MemberState {
                    group: *addr,
                    endpoint: ep.clone(),
                    expires_in: until.saturating_duration_since(now),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: Ipv4Addr = Ipv4Addr::new(239, 1, 1, 1);
    const H: Ipv4Addr = Ipv4Addr::new(239, 1, 1, 2);
    const HOLD: Duration = Duration::from_secs(5);

    #[test]
    fn joins_renewals_and_leaves() {
        let mut m = Memberships::default();
        let t0 = Instant::now();
        assert_eq!(m.update(1, G, "t:a", true, t0, HOLD), Ok(true));
        assert_eq!(m.update(1, G, "t:b", true, t0, HOLD), Ok(true));
        assert_eq!(
            m.update(1, G, "t:a", true, t0 + HOLD / 2, HOLD),
            Ok(false),
            "renewal"
        );
        assert_eq!(
            m.update(1, G, "t:c", false, t0, HOLD),
            Ok(false),
            "not a member"
        );
        let v = m.view();
        assert_eq!(
            v[&1][&G].endpoints,
            ["t:a".to_string(), "t:b".into()].into()
        );
        assert_eq!(v[&1][&G].index, 1);
        assert_eq!(m.update(1, G, "t:b", false, t0, HOLD), Ok(true));
        assert_eq!(m.members_of(1, t0).len(), 1);
        assert_eq!(m.members_of(1, t0)[0].expires_in, HOLD + HOLD / 2);
        // The renewal holds a past the first expiry; b is gone.
        assert!(!m.expire(t0 + HOLD));
        assert!(m.expire(t0 + HOLD * 2));
        assert!(m.view().is_empty());
    }

    #[test]
    fn the_same_group_in_two_networks_is_two_groups_with_their_own_index() {
        let mut m = Memberships::default();
        let t0 = Instant::now();
        m.update(1, G, "t1:a", true, t0, HOLD).unwrap();
        m.update(2, G, "t2:a", true, t0, HOLD).unwrap();
        m.update(1, H, "t1:a", true, t0, HOLD).unwrap();
        let v = m.view();
        assert_eq!(
            (v[&1][&G].index, v[&2][&G].index, v[&1][&H].index),
            (1, 2, 3)
        );
        // A freed index is reused; the others keep theirs.
        m.update(2, G, "t2:a", false, t0, HOLD).unwrap();
        m.update(2, H, "t2:b", true, t0, HOLD).unwrap();
        let v = m.view();
        assert_eq!(
            (v[&1][&G].index, v[&2][&H].index, v[&1][&H].index),
            (1, 2, 3)
        );
        assert_eq!(m.members_of(2, t0).len(), 1);
    }

    #[test]
    fn retain_removes_memberships_of_endpoints_that_are_gone() {
        let mut m = Memberships::default();
        let t0 = Instant::now();
        m.update(1, G, "t:a", true, t0, HOLD).unwrap();
        m.update(1, G, "t:b", true, t0, HOLD).unwrap();
        assert!(!m.retain(|_, _, _| true));
        assert!(m.retain(|_, ep, _| ep != "t:a"));
        assert_eq!(m.view()[&1][&G].endpoints.len(), 1);
    }
}
