//! The membership table of IGMP snooping: which endpoint is a member of which group of which
//! network, until when. Time is passed in, so that the table can be tested without waiting.
//!
//! Every port of a netplugin switch is one endpoint, so a leave removes that endpoint at once
//! (what switches call fast or immediate leave): there is nobody else behind the port whose
//! membership a group-specific query would have to find.

use crate::compiler::GroupMembers;
use crate::cookie::{INDEX_MAX, MULTICAST_INDEX_BASE};
use serde::{Deserialize, Serialize};
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

/// One membership as it is saved across a restart: with its group's index (the OpenFlow group
/// id derives from it, so the switches' groups stay as they are), when it ends and when it was
/// saved, as milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedMembership {
    /// The network id.
    pub network: u32,
    /// The group address.
    pub group: Ipv4Addr,
    /// The group's index.
    pub index: u32,
    /// The member endpoint's key.
    pub endpoint: String,
    /// When the membership ends unless renewed.
    pub expires_at_ms: u64,
    /// When it was saved (0 in tables saved before this field existed).
    #[serde(default)]
    pub saved_at_ms: u64,
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

    /// Every membership, to be saved; `now` is `now_ms` milliseconds after the Unix epoch.
    pub fn save(&self, now: Instant, now_ms: u64) -> Vec<SavedMembership> {
        let mut out = Vec::new();
        for ((network, group), g) in &self.groups {
            for (endpoint, until) in &g.members {
                out.push(SavedMembership {
                    network: *network,
                    group: *group,
                    index: g.index,
                    endpoint: endpoint.clone(),
                    expires_at_ms: now_ms + until.saturating_duration_since(now).as_millis() as u64,
                    saved_at_ms: now_ms,
                });
            }
        }
        out
    }

    /// The table that `saved` describes, `now` being `now_ms` milliseconds after the Unix
    /// epoch. Each membership gets the time it had left when it was saved: while netmaster
    /// was not running nobody heard the reports that would have renewed it, so that time does
    /// not count against it (a membership saved without its save time, by an older netmaster,
    /// keeps its end instead). Memberships with no time left are left out, as are entries that
    /// contradict earlier ones (a group with another index, an index of another group, an
    /// index out of range).
    pub fn restore(saved: &[SavedMembership], now: Instant, now_ms: u64) -> Memberships {
        let mut m = Memberships::default();
        let left = |s: &SavedMembership| match s.saved_at_ms {
            0 => s.expires_at_ms.saturating_sub(now_ms),
            at => s.expires_at_ms.saturating_sub(at),
        };
        for s in saved.iter().filter(|s| left(s) > 0) {
            let key = (s.network, s.group);
            let fits = match m.groups.get(&key) {
                Some(g) => g.index == s.index,
                None => (1..=MAX_INDEX).contains(&s.index) && !m.used.contains(&s.index),
            };
            if !fits {
                continue;
            }
            m.used.insert(s.index);
            let until = now + Duration::from_millis(left(s));
            m.groups
                .entry(key)
                .or_insert_with(|| Group {
                    index: s.index,
                    members: BTreeMap::new(),
                })
                .members
                .insert(s.endpoint.clone(), until);
        }
        m
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
    fn saved_memberships_come_back_with_their_index_and_expiry() {
        let mut m = Memberships::default();
        let t0 = Instant::now();
        m.update(1, G, "t:a", true, t0, HOLD).unwrap();
        m.update(1, H, "t:a", true, t0, HOLD * 2).unwrap();
        m.update(1, H, "t:b", true, t0, HOLD).unwrap();
        m.update(1, G, "t:a", false, t0, HOLD).unwrap(); // index 1 is free again
        let saved = m.save(t0, 1_000_000);
        let json = serde_json::to_string(&saved).unwrap();
        let back: Vec<SavedMembership> = serde_json::from_str(&json).unwrap();
        // Restored 3 s later (another process: another Instant), and much later: the time
        // netmaster was down does not count, each membership has what it had left.
        let t1 = Instant::now();
        for later in [1_003_000, 1_000_000 + 3_600_000] {
            let r = Memberships::restore(&back, t1, later);
            assert_eq!(r.view(), m.view(), "the same groups with the same indexes");
            let members = r.members_of(1, t1);
            assert_eq!(members[0].expires_in, HOLD * 2);
            assert_eq!(members[1].expires_in, HOLD);
        }
        // A table saved without save times (an older netmaster): what ended meanwhile is left
        // out (b), the rest keeps its end; a new group does not take index 2.
        let old: Vec<SavedMembership> = back
            .iter()
            .map(|s| SavedMembership {
                saved_at_ms: 0,
                ..s.clone()
            })
            .collect();
        let r = Memberships::restore(&old, t1, 1_003_000);
        assert_eq!(
            r.members_of(1, t1)[1].expires_in,
            HOLD - Duration::from_secs(3)
        );
        let mut r = Memberships::restore(&old, t1, 1_006_000);
        assert_eq!(r.view()[&1][&H].endpoints, ["t:a".to_string()].into());
        r.update(2, G, "t:c", true, t1, HOLD).unwrap();
        assert_eq!(r.view()[&2][&G].index, 1);
        // Contradictions are left out.
        let mut bad = back.clone();
        bad.push(SavedMembership {
            index: 9,
            endpoint: "t:z".into(),
            ..back[0].clone()
        });
        bad.push(SavedMembership {
            group: Ipv4Addr::new(239, 7, 7, 7),
            ..back[0].clone()
        });
        assert_eq!(Memberships::restore(&bad, t1, 1_003_000).view(), m.view());
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
