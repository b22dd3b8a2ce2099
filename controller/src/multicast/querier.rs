//! netmaster as the IGMP querier of the networks that ask for one (`multicast.querier`): a
//! general query to every endpoint port of the network every query interval, sent as a
//! packet-out to each switch with endpoints of the network. Each switch has its own schedule:
//! its first query goes as soon as it has endpoints of the network and is connected (after a
//! netmaster restart, as soon as it reconnects, so that the members renew their memberships
//! at once), the next one an interval later. The same loop ends the memberships that no report
//! renewed and saves the table when it changed.

use super::igmp;
use super::snooping::{max_response, Snooping};
use crate::compiler::multicast::QUERIER_MAC;
use crate::compiler::MulticastPlan;
use crate::session::{dpid_str, SwitchHandle};
use ofproto::action::port_no;
use ofproto::msg::{Body, PacketOut, Role, OFP_NO_BUFFER};
use ofproto::Action;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::warn;

/// How often the loop looks for due queries and expired memberships.
const TICK: Duration = Duration::from_millis(250);

/// One query to send: `frame` out of `ports` of switch `dpid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The network.
    pub network: u32,
    /// The switch.
    pub dpid: u64,
    /// The endpoint ports.
    pub ports: Vec<u32>,
    /// The IGMPv3 general query.
    pub frame: Vec<u8>,
}

/// The queries due at `now` under `plan`; `next` holds when each (network, switch)'s next
/// query is due and is updated (pairs that no longer have a querier or endpoints are
/// forgotten, new ones are due at once).
pub fn due(
    plan: &MulticastPlan,
    next: &mut BTreeMap<(u32, u64), Instant>,
    now: Instant,
) -> Vec<Query> {
    next.retain(|(id, dpid), _| {
        plan.networks
            .get(id)
            .is_some_and(|n| n.config.querier && n.ports.contains_key(dpid))
    });
    let mut out = Vec::new();
    for (id, np) in plan.networks.iter().filter(|(_, n)| n.config.querier) {
        let max_resp_ds = (max_response(&np.config).as_millis() / 100) as u8;
        let frame = igmp::general_query(
            QUERIER_MAC,
            np.querier_ip,
            max_resp_ds,
            np.config.query_interval_s,
        );
        for (dpid, ports) in &np.ports {
            let at = next.entry((*id, *dpid)).or_insert(now);
            if *at > now {
                continue;
            }
            *at = now + Duration::from_secs(np.config.query_interval_s.into());
            out.push(Query {
                network: *id,
                dpid: *dpid,
                ports: ports.clone(),
                frame: frame.clone(),
            });
        }
    }
    out
}

/// Sends the due queries and expires memberships until the process ends; `switch` finds the
/// session of a datapath id.
pub async fn run(
    snooping: Arc<Snooping>,
    switch: impl Fn(u64) -> Option<SwitchHandle> + Send + 'static,
) {
    let mut next = BTreeMap::new();
    let mut tick = tokio::time::interval(TICK);
    loop {
        tick.tick().await;
        let now = Instant::now();
        snooping.expire(now);
        snooping.save_if_changed();
        for q in due(&snooping.plan(), &mut next, now) {
            let Some(handle) = switch(q.dpid) else {
                // Not connected: its query is due again at the first tick it is.
                next.remove(&(q.network, q.dpid));
                continue;
            };
            if handle.info().role == Role::Slave {
                continue; // a slave may not send packets; the master queries
            }
            let out = PacketOut {
                buffer_id: OFP_NO_BUFFER,
                in_port: port_no::CONTROLLER,
                actions: q.ports.iter().map(|p| Action::output(*p)).collect(),
                data: q.frame,
            };
            // Never waits: one switch's slowness never delays the others' queries.
            if let Err(e) = handle.post(vec![Body::PacketOut(out)]) {
                warn!(dpid = %dpid_str(handle.dpid()), error = %e, "IGMP query not sent");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::NetPlan;
    use northbound_api::model::MulticastConfig;
    use std::net::Ipv4Addr;

    fn plan(querier: bool) -> MulticastPlan {
        let np = NetPlan {
            key: "t:n".into(),
            config: MulticastConfig {
                querier,
                query_interval_s: 2,
                ..MulticastConfig::default()
            },
            querier_ip: Ipv4Addr::new(10, 0, 0, 254),
            ports: [(1, vec![3, 4]), (2, vec![5])].into(),
            hosts: BTreeMap::new(),
        };
        MulticastPlan {
            networks: imbl::OrdMap::unit(7, np),
            ports: imbl::OrdMap::new(),
        }
    }

    #[test]
    fn queries_are_due_at_once_then_every_interval() {
        let p = plan(true);
        let mut next = BTreeMap::new();
        let t0 = Instant::now();
        let first = due(&p, &mut next, t0);
        assert_eq!(
            first
                .iter()
                .map(|q| (q.dpid, q.ports.clone()))
                .collect::<Vec<_>>(),
            [(1, vec![3, 4]), (2, vec![5])]
        );
        let q = igmp::parse(&first[0].frame).unwrap();
        assert_eq!(q, igmp::Igmp::Query);
        assert_eq!(first[0].frame[14 + 12..14 + 16], [10, 0, 0, 254], "source");
        assert_eq!(first[0].frame[14 + 24 + 1], 10, "max response 1 s");
        assert!(due(&p, &mut next, t0 + Duration::from_millis(1999)).is_empty());
        assert_eq!(due(&p, &mut next, t0 + Duration::from_secs(2)).len(), 2);
        // A switch whose query could not be sent (not connected) is due again at once, the
        // other keeps its interval.
        next.remove(&(7, 2));
        let t3 = t0 + Duration::from_secs(3);
        let again = due(&p, &mut next, t3);
        assert_eq!(again.iter().map(|q| q.dpid).collect::<Vec<_>>(), [2]);
        assert_eq!(next[&(7, 1)], t0 + Duration::from_secs(4));
        assert_eq!(next[&(7, 2)], t3 + Duration::from_secs(2));
        // Querier switched off: nothing, and the network is forgotten.
        assert!(due(&plan(false), &mut next, t0 + Duration::from_secs(9)).is_empty());
        assert!(next.is_empty());
    }
}
