//! The IGMP snooping application: the switches' IGMP packet-ins become memberships.
//!
//! A packet-in is trusted only as far as the pipeline vouches for it: it must come from the
//! IGMP flow (its cookie), from a port the compiled plan knows as a local endpoint of a
//! network (port security already checked the frame's source MAC and IP), and parse as IGMP.
//! Anything else is counted and logged, and changes nothing.

use super::igmp::{self, Igmp, ROBUSTNESS};
use super::membership::{Memberships, SavedMembership};
use crate::app::PacketInApp;
use crate::compiled::Compiled;
use crate::compiler::multicast::IGMP_APP;
use crate::compiler::{GroupMembers, MulticastPlan};
use crate::cookie::{Cookie, OwnerKind};
use crate::session::dpid_str;
use crate::store::{decode, encode, Store, StoreError, Table, Txn};
use northbound_api::model::MulticastConfig;
use northbound_api::oper::{MulticastGroupOper, MulticastMemberOper};
use ofproto::msg::PacketIn;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::{info, warn};

/// Milliseconds since the Unix epoch.
fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The longest response time netmaster's queries ask for (RFC 3376's default, 10 s).
const MAX_RESPONSE: Duration = Duration::from_secs(10);

/// The response time of a network's queries: 10 s, or half the query interval if shorter.
pub fn max_response(cfg: &MulticastConfig) -> Duration {
    MAX_RESPONSE.min(Duration::from_secs(cfg.query_interval_s.into()) / 2)
}

/// How long a report keeps a membership (RFC 3376's group membership interval): the
/// robustness variable times the query interval, plus the query response interval.
pub fn hold_time(cfg: &MulticastConfig) -> Duration {
    Duration::from_secs(cfg.query_interval_s.into()) * ROBUSTNESS + max_response(cfg)
}

/// Why an IGMP packet-in was refused (counted, logged, and nothing changed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The packet-in carries no `in_port`.
    #[error("no in_port")]
    NoInPort,
    /// The port is no local endpoint's in the compiled plan.
    #[error("port {0} is no endpoint's")]
    NotAnEndpoint(u32),
    /// The frame is not a usable IGMP message.
    #[error(transparent)]
    Igmp(#[from] igmp::IgmpError),
    /// Every multicast group index is in use.
    #[error("no free multicast group index for {0}")]
    TableFull(Ipv4Addr),
}

/// The snooping application's state, shared by the packet-in path, the querier, the compiler
/// loop and the REST API. It reads the networks and ports from the compiled snapshot's
/// [`MulticastPlan`] and keeps its memberships in the store (table `multicast`): after a
/// restart of netmaster the switches keep their multicast groups (same ids), delivery never
/// stops for the members, and the ones that left meanwhile expire on time.
pub struct Snooping {
    inner: Mutex<Memberships>,
    compiled: watch::Receiver<Arc<Compiled>>,
    store: Arc<dyn Store>,
    version: watch::Sender<u64>,
    refused: AtomicU64,
    dirty: AtomicBool,
}

/// The key of the memberships in the store's `multicast` table.
const MEMBERSHIPS: &str = "memberships";

impl Snooping {
    /// The memberships kept in `store` (loaded now), for the networks of the snapshots
    /// `compiled` receives; see [`Snooping::save_if_changed`].
    pub fn open(
        store: Arc<dyn Store>,
        compiled: watch::Receiver<Arc<Compiled>>,
    ) -> Result<Snooping, StoreError> {
        Ok(Snooping {
            inner: Mutex::new(Self::load(store.as_ref())?),
            compiled,
            store,
            version: watch::channel(0).0,
            refused: AtomicU64::new(0),
            dirty: AtomicBool::new(false),
        })
    }

    fn load(store: &dyn Store) -> Result<Memberships, StoreError> {
        Ok(match store.rows(Table::Multicast)?.get(MEMBERSHIPS) {
            Some(bytes) => {
                let saved: Vec<SavedMembership> = decode(Table::Multicast, MEMBERSHIPS, bytes)?;
                Memberships::restore(&saved, Instant::now(), unix_ms())
            }
            None => Memberships::default(),
        })
    }

    /// Loads the memberships again from the store, which another replica changed; the
    /// version is bumped.
    pub fn reload(&self) -> Result<(), StoreError> {
        let table = Self::load(self.store.as_ref())?;
        *self.inner.lock().expect("snooping lock") = table;
        self.dirty.store(false, Ordering::Relaxed);
        self.version.send_modify(|v| *v += 1);
        Ok(())
    }

    /// Writes the table to the store (one transaction) if it changed since the last write,
    /// renewals included; the querier loop calls it every tick.
    pub fn save_if_changed(&self) {
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return;
        }
        let saved = self
            .inner
            .lock()
            .expect("snooping lock")
            .save(Instant::now(), unix_ms());
        let mut txn = Txn::default();
        txn.put(Table::Multicast, MEMBERSHIPS, encode(&saved));
        if let Err(e) = self.store.commit(&txn) {
            self.dirty.store(true, Ordering::Relaxed);
            warn!(error = %e, "multicast memberships not saved");
        }
    }

    /// A receiver of the version, bumped whenever the set of members changes (the compiler
    /// loop recompiles then).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// How many changes there were so far (what [`Self::subscribe`] receives).
    pub fn version(&self) -> u64 {
        *self.version.borrow()
    }

    fn changed(&self) {
        self.dirty.store(true, Ordering::Relaxed);
        self.version.send_modify(|v| *v += 1);
    }

    /// The groups with members, for the compiler.
    pub fn view(&self) -> BTreeMap<u32, BTreeMap<Ipv4Addr, GroupMembers>> {
        self.inner.lock().expect("snooping lock").view()
    }

    /// The compiled plan in use.
    pub fn plan(&self) -> Arc<MulticastPlan> {
        self.compiled.borrow().multicast.clone()
    }

    /// Ends the memberships nobody renewed by `now`, and forgets those of endpoints that are
    /// no longer in their network in the compiled plan (deleted, moved, unplugged: the
    /// compiler already leaves them out, so forgetting them changes no switch).
    pub fn expire(&self, now: Instant) {
        let plan = self.plan();
        let mut table = self.inner.lock().expect("snooping lock");
        let left = table.retain(|net, ep, _| {
            plan.networks
                .get(&net)
                .is_some_and(|n| n.hosts.contains_key(ep))
        });
        let expired = table.expire(now);
        drop(table);
        if left {
            self.dirty.store(true, Ordering::Relaxed);
        }
        if expired {
            info!("multicast memberships expired");
            self.changed();
        }
    }

    /// How many packet-ins were refused so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Takes an IGMP packet-in of switch `dpid` received at `now`: `Ok(true)` when the
    /// members changed, else why the packet was refused.
    pub fn take(&self, dpid: u64, pi: &PacketIn, now: Instant) -> Result<bool, Refused> {
        let in_port = pi.in_port().ok_or(Refused::NoInPort)?;
        let plan = self.plan();
        let mut inner = self.inner.lock().expect("snooping lock");
        let (net, endpoint) = plan
            .ports
            .get(&(dpid, in_port))
            .ok_or(Refused::NotAnEndpoint(in_port))?;
        let np = &plan.networks[net];
        let changes = match igmp::parse(&pi.data)? {
            Igmp::Query => return Ok(false), // a querier among the endpoints: not a member
            Igmp::Report(changes) => changes,
        };
        let hold = hold_time(&np.config);
        self.dirty.store(true, Ordering::Relaxed); // a renewal moves an expiry
        let mut changed = false;
        for c in changes {
            let done = inner
                .update(*net, c.group, endpoint, c.member, now, hold)
                .map_err(|_| Refused::TableFull(c.group))?;
            if done {
                info!(network = %np.key, endpoint = %endpoint, group = %c.group, member = c.member, "multicast membership changed");
            }
            changed |= done;
        }
        drop(inner);
        if changed {
            self.changed();
        }
        Ok(changed)
    }
}

impl PacketInApp for Snooping {
    fn packet_in(&self, dpid: u64, pi: &PacketIn) {
        if pi.cookie != Cookie::new(OwnerKind::PacketIn, IGMP_APP) {
            return;
        }
        if let Err(e) = self.take(dpid, pi, Instant::now()) {
            self.refused.fetch_add(1, Ordering::Relaxed);
            warn!(dpid = %dpid_str(dpid), error = %e, "IGMP packet-in refused");
        }
    }
}

impl Snooping {
    /// The multicast groups of network `key` (`tenant:network`) with their members; empty
    /// for an unknown network.
    pub fn network_groups(&self, key: &str) -> Vec<MulticastGroupOper> {
        let plan = self.plan();
        let Some((id, np)) = plan.networks.iter().find(|(_, n)| n.key == key) else {
            return Vec::new();
        };
        let members = self
            .inner
            .lock()
            .expect("snooping lock")
            .members_of(*id, Instant::now());
        let mut groups: Vec<MulticastGroupOper> = Vec::new();
        for m in members {
            let member = MulticastMemberOper {
                host: np.hosts.get(&m.endpoint).cloned().unwrap_or_default(),
                endpoint: m.endpoint,
                expires_in_ms: m.expires_in.as_millis() as u64,
            };
            let group = m.group.to_string();
            match groups.last_mut() {
                Some(g) if g.group == group => g.members.push(member),
                _ => groups.push(MulticastGroupOper {
                    group,
                    members: vec![member],
                }),
            }
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::publisher::Publisher;
    use crate::compiler::NetPlan;
    use crate::store::{MemStore, RedbStore};
    use ofproto::{Match, OxmField};

    const G: Ipv4Addr = Ipv4Addr::new(239, 1, 1, 1);

    fn plan() -> MulticastPlan {
        let np = NetPlan {
            key: "t:n".into(),
            config: MulticastConfig {
                query_interval_s: 2,
                ..MulticastConfig::default()
            },
            querier_ip: Ipv4Addr::UNSPECIFIED,
            ports: [(1, vec![3])].into(),
            hosts: [("t:a".to_string(), "h1".to_string())].into(),
        };
        MulticastPlan {
            networks: imbl::OrdMap::unit(7, np),
            ports: imbl::OrdMap::unit((1, 3), (7, "t:a".to_string())),
        }
    }

    /// The snapshot of `plan`.
    fn compiled(plan: MulticastPlan) -> Compiled {
        Compiled {
            multicast: Arc::new(plan),
            ..Compiled::default()
        }
    }

    /// A snooping application over `store` and a publisher of `plan()`.
    fn snooping(store: Arc<dyn Store>) -> (Snooping, Publisher) {
        let p = Publisher::default();
        p.publish(compiled(plan()));
        (Snooping::open(store, p.subscribe()).unwrap(), p)
    }

    /// An IGMPv2 message of `typ` for G from port `in_port`.
    fn packet_in(in_port: u32, typ: u8) -> PacketIn {
        let mut igmp = vec![typ, 0, 0, 0, 239, 1, 1, 1];
        let c = crate::checksum::checksum(&igmp);
        igmp[2..4].copy_from_slice(&c.to_be_bytes());
        let mut data = vec![1, 0, 0x5e, 1, 1, 1, 2, 0, 0, 0, 0, 1, 8, 0];
        data.extend([
            0x45, 0, 0, 28, 0, 0, 0x40, 0, 1, 2, 0, 0, 10, 0, 0, 1, 239, 1, 1, 1,
        ]);
        data.extend(igmp);
        PacketIn {
            buffer_id: u32::MAX,
            total_len: data.len() as u16,
            reason: 1,
            table_id: 10,
            cookie: Cookie::new(OwnerKind::PacketIn, IGMP_APP),
            r#match: Match::new().with(OxmField::InPort(in_port)),
            data,
        }
    }

    #[test]
    fn reports_and_leaves_of_known_ports_change_the_members() {
        let (s, _p) = snooping(Arc::new(MemStore::default()));
        let rx = s.subscribe();
        let t0 = Instant::now();
        assert_eq!(s.take(1, &packet_in(3, 0x16), t0), Ok(true));
        assert_eq!(*rx.borrow(), 1);
        assert_eq!(s.take(1, &packet_in(3, 0x16), t0), Ok(false), "renewal");
        assert_eq!(s.view()[&7][&G].endpoints, ["t:a".to_string()].into());
        let groups = s.network_groups("t:n");
        assert_eq!(groups[0].members[0].host, "h1");
        assert!(groups[0].members[0].expires_in_ms > 4000, "2 × 2 s + 1 s");
        assert_eq!(s.take(1, &packet_in(3, 0x17), t0), Ok(true), "leave");
        assert!(s.view().is_empty());
        assert_eq!(*rx.borrow(), 2);
    }

    #[test]
    fn memberships_survive_a_restart_when_persistent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("intent.redb");
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(&path).unwrap());
        let (s, p) = snooping(store.clone());
        s.take(1, &packet_in(3, 0x16), Instant::now()).unwrap();
        s.save_if_changed();
        let before = s.view();
        drop((s, store));
        let store: Arc<dyn Store> = Arc::new(RedbStore::open(&path).unwrap());
        let again = Snooping::open(store.clone(), p.subscribe()).unwrap();
        assert_eq!(again.view(), before);
        let mut txn = Txn::default();
        txn.put(Table::Multicast, MEMBERSHIPS, b"not json".to_vec());
        store.commit(&txn).unwrap();
        let e = Snooping::open(store, p.subscribe()).err().unwrap();
        assert!(e.to_string().contains("multicast `memberships`"), "{e}");
    }

    #[test]
    fn unknown_ports_and_bad_frames_change_nothing() {
        let (s, _p) = snooping(Arc::new(MemStore::default()));
        let t0 = Instant::now();
        let e = s.take(1, &packet_in(4, 0x16), t0).unwrap_err();
        assert!(e.to_string().contains("port 4"), "{e}");
        let e = s.take(2, &packet_in(3, 0x16), t0).unwrap_err();
        assert!(e.to_string().contains("port 3"), "{e}");
        let mut bad = packet_in(3, 0x16);
        bad.data.truncate(20);
        assert!(s.take(1, &bad, t0).is_err());
        // Another app's packet-in is not ours: not even counted.
        let mut other = packet_in(3, 0x16);
        other.cookie = Cookie::new(OwnerKind::PacketIn, 99);
        s.packet_in(1, &other);
        s.packet_in(1, &bad);
        assert_eq!(s.refused(), 1);
        assert!(s.view().is_empty());
        assert_eq!(*s.subscribe().borrow(), 0);
    }

    #[test]
    fn memberships_end_when_their_endpoint_leaves_the_plan_or_expire() {
        let (s, p) = snooping(Arc::new(MemStore::default()));
        let t0 = Instant::now();
        s.take(1, &packet_in(3, 0x16), t0).unwrap();
        s.expire(t0 + Duration::from_secs(4));
        assert!(!s.view().is_empty(), "within 2 × 2 s + 1 s");
        s.expire(t0 + Duration::from_secs(5));
        assert!(s.view().is_empty());
        s.take(1, &packet_in(3, 0x16), t0).unwrap();
        p.publish(compiled(MulticastPlan::default()));
        s.expire(t0);
        assert!(s.view().is_empty());
    }
}
