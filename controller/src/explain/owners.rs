//! Cookies decoded back to the intent objects they were compiled from ([`Owners`]).

use crate::compiled::Compiled;
use crate::compiler::classes::group_classes;
use crate::compiler::policy::rule_cookie_id;
use crate::cookie::{Cookie, OwnerKind};
use crate::metrics::packet_in_app;
use northbound_api::flows::{FlowOwner, OwnerKind as Wire};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// What the ids in the cookies of one compiled snapshot name.
#[derive(Debug, Default)]
pub struct Owners {
    networks: BTreeMap<u32, String>,
    endpoints: BTreeMap<u64, String>,
    /// Group keys by class id (groups that share one class share its flows).
    classes: BTreeMap<u16, Vec<String>>,
    rules: BTreeMap<u64, String>,
    /// Network key and group address by multicast group index.
    multicast: BTreeMap<u32, (String, Ipv4Addr)>,
}

impl Owners {
    /// The owners of the flows of `compiled`, from the intent and topology it was compiled
    /// from.
    pub fn new(compiled: &Compiled) -> Owners {
        let intent = &compiled.intent;
        let networks: BTreeMap<u32, String> = intent
            .network_ids
            .iter()
            .map(|(k, id)| (*id, k.clone()))
            .collect();
        let mut classes: BTreeMap<u16, Vec<String>> = BTreeMap::new();
        for (group, class) in group_classes(intent) {
            classes.entry(class).or_default().push(group);
        }
        let multicast = compiled
            .topology
            .multicast
            .iter()
            .flat_map(|(net, groups)| {
                let key = networks.get(net).cloned().unwrap_or_default();
                groups
                    .iter()
                    .map(move |(addr, g)| (g.index, (key.clone(), *addr)))
            })
            .collect();
        Owners {
            endpoints: intent
                .endpoint_ids
                .iter()
                .map(|(k, id)| (*id, k.clone()))
                .collect(),
            rules: intent
                .rules
                .iter()
                .map(|(k, r)| (rule_cookie_id(r), k.clone()))
                .collect(),
            networks,
            classes,
            multicast,
        }
    }

    /// The owner of a flow with `cookie`.
    pub fn of(&self, cookie: u64) -> FlowOwner {
        let Some(Cookie { kind, id }) = Cookie::parse(cookie) else {
            return FlowOwner::of(Wire::Foreign, Vec::new());
        };
        let one = |name: Option<&String>| name.into_iter().cloned().collect::<Vec<_>>();
        let class = |id: u64| {
            u16::try_from(id)
                .ok()
                .and_then(|c| self.classes.get(&c))
                .cloned()
                .unwrap_or_default()
        };
        let network = |id: u64| u32::try_from(id).ok().and_then(|n| self.networks.get(&n));
        let (wire, objects, detail) = match kind {
            OwnerKind::BasePipeline => (
                Wire::BasePipeline,
                Vec::new(),
                Some(format!("table {} rule {}", id >> 8, id & 0xff)),
            ),
            OwnerKind::StaticFlow => (Wire::StaticFlow, Vec::new(), Some(format!("flow {id}"))),
            OwnerKind::Network => (Wire::Network, one(network(id)), None),
            OwnerKind::Gateway => (Wire::Gateway, one(network(id)), None),
            OwnerKind::Endpoint => (Wire::Endpoint, one(self.endpoints.get(&id)), None),
            OwnerKind::Epg => (Wire::Group, class(id), None),
            OwnerKind::Qos => (Wire::Qos, class(id), None),
            OwnerKind::PolicyRule => match self.rules.get(&id) {
                Some(rule) => (Wire::Rule, vec![rule.clone()], None),
                // The connection tracking of a stateful group carries its class id.
                None => match class(id) {
                    groups if groups.is_empty() => (Wire::Rule, groups, None),
                    groups => (Wire::Group, groups, Some("connection tracking".into())),
                },
            },
            OwnerKind::Multicast => {
                match u32::try_from(id).ok().and_then(|i| self.multicast.get(&i)) {
                    Some((net, group)) => (
                        Wire::Multicast,
                        vec![net.clone()],
                        Some(format!("group {group}")),
                    ),
                    None => (Wire::Multicast, Vec::new(), None),
                }
            }
            OwnerKind::PacketIn => {
                let app = match packet_in_app(id) {
                    Some(name) => name.replace('_', " "),
                    None => format!("application {id}"),
                };
                (Wire::PacketIn, Vec::new(), Some(app))
            }
            OwnerKind::Tunnel => (Wire::Tunnel, Vec::new(), Some(format!("peer {id}"))),
            OwnerKind::Other(k) => (
                Wire::Unknown,
                Vec::new(),
                Some(format!("kind {k:#04x} id {id}")),
            ),
        };
        // An object kind whose id no object of the snapshot has: a stale flow.
        let detail = detail.or_else(|| {
            objects
                .is_empty()
                .then(|| format!("id {id} (in no object of this snapshot)"))
        });
        FlowOwner {
            kind: wire,
            objects,
            detail,
        }
    }
}
