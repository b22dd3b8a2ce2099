//! Contiv's inspect: the operational state of an object beside its intent (`GET
//! /api/v1/inspect/{collection}/{key}/`), derived from the latest compiled snapshot — the
//! intent with every allocation, and the topology the agents reported (where each endpoint is
//! plugged in) — and the multicast memberships netmaster snooped. Nothing here is stored:
//! every answer is computed from what netmaster compiled.

use crate::compiled::Compiled;
use crate::intent::Snapshot;
use crate::multicast::snooping::Snooping;
use northbound_api::addr::{Ipv4Addr, Ipv4Range};
use northbound_api::model::{Encap, Endpoint, Kind};
use northbound_api::oper::{
    EndpointGroupOper, EndpointOper, GlobalOper, HostOper, NetworkOper, ObjectOper, PolicyOper,
    TenantOper,
};
use std::collections::{BTreeMap, BTreeSet};

/// The operational state of the object of `kind` with `key`; `None` for an object that does
/// not exist, and for the kinds Contiv shows without one (rules, netprofiles).
pub fn object_oper(
    compiled: &Compiled,
    snooping: &Snooping,
    kind: Kind,
    key: &str,
) -> Option<ObjectOper> {
    let view = View::new(compiled);
    Some(match kind {
        Kind::Tenant => ObjectOper::Tenant(view.tenant(snooping, key)?),
        Kind::Network => ObjectOper::Network(view.network(snooping, key)?),
        Kind::EndpointGroup => ObjectOper::EndpointGroup(view.group(key)?),
        Kind::Policy => ObjectOper::Policy(view.policy(key)?),
        Kind::Endpoint => ObjectOper::Endpoint(view.endpoint(key)?),
        Kind::Host => ObjectOper::Host(view.host(key)?),
        Kind::Global => ObjectOper::Global(view.global()),
        Kind::Rule | Kind::NetProfile => return None,
    })
}

/// The compiled snapshot, with each placed endpoint's host and port at hand.
struct View<'a> {
    intent: &'a Snapshot,
    compiled: &'a Compiled,
    /// Endpoint key → (host, OpenFlow port).
    placed: BTreeMap<&'a str, (&'a str, u32)>,
}

impl<'a> View<'a> {
    fn new(compiled: &'a Compiled) -> View<'a> {
        View {
            intent: &compiled.intent,
            compiled,
            placed: compiled
                .topology
                .placements()
                .map(|(key, host, port)| (key.as_str(), (host.as_str(), port)))
                .collect(),
        }
    }

    fn endpoint(&self, key: &str) -> Option<EndpointOper> {
        let e = self.intent.endpoints.get(key)?;
        let (host, port) = match self.placed.get(key) {
            Some((host, port)) => (host.to_string(), Some(*port)),
            None => (String::new(), None),
        };
        let vtep = self
            .compiled
            .topology
            .hosts
            .get(&host)
            .and_then(|h| h.vtep_ip)
            .map_or_else(String::new, |ip| ip.to_string());
        Some(EndpointOper {
            key: key.to_string(),
            endpoint_id: key.to_string(),
            container_name: e.container_name.clone(),
            network: format!("{}:{}", e.tenant_name, e.network_name),
            endpoint_group_key: e
                .group_name
                .as_ref()
                .map_or_else(String::new, |g| format!("{}:{g}", e.tenant_name)),
            ip_address: e
                .ip_address
                .iter()
                .map(|ip| ip.to_string())
                .chain(e.ipv6_address.iter().map(|ip| ip.to_string()))
                .collect(),
            mac_address: e
                .mac_address
                .map_or_else(String::new, |mac| mac.to_string()),
            homing_host: host,
            ofport: port,
            vtep_ip: vtep,
        })
    }

    /// The endpoints `keep` keeps, in key order.
    fn endpoints(&self, keep: impl Fn(&Endpoint) -> bool) -> Vec<EndpointOper> {
        self.intent
            .endpoints
            .iter()
            .filter(|(_, e)| keep(e))
            .filter_map(|(key, _)| self.endpoint(key))
            .collect()
    }

    /// The IPv4 addresses of the endpoints `keep` keeps, as numbers.
    fn addresses(&self, keep: impl Fn(&Endpoint) -> bool) -> BTreeSet<u32> {
        self.intent
            .endpoints
            .values()
            .filter(|e| keep(e))
            .filter_map(|e| e.ip_address)
            .map(u32::from)
            .collect()
    }

    fn network(&self, snooping: &Snooping, key: &str) -> Option<NetworkOper> {
        let n = self.intent.networks.get(key)?;
        let on_network =
            |e: &Endpoint| e.tenant_name == n.tenant_name && e.network_name == n.network_name;
        let endpoints = self.endpoints(on_network);
        let taken = self.addresses(on_network);
        let mut unavailable = taken.clone();
        unavailable.extend(n.gateway.map(u32::from));
        Some(NetworkOper {
            network: key.to_string(),
            pkt_tag: n.pkt_tag.unwrap_or_default(),
            network_tag: n.cfgd_tag.clone().unwrap_or_else(|| key.to_string()),
            num_endpoints: endpoints.len(),
            allocated_addresses_count: taken.len(),
            allocated_ip_addresses: ip_ranges(taken.iter().copied()),
            available_ip_addresses: available(n.subnet.pool(), &unavailable),
            endpoints,
            multicast_groups: snooping.network_groups(key),
        })
    }

    fn group(&self, key: &str) -> Option<EndpointGroupOper> {
        let g = self.intent.groups.get(key)?;
        let net = self
            .intent
            .networks
            .get(&format!("{}:{}", g.tenant_name, g.network_name))?;
        let in_group = |e: &Endpoint| {
            e.tenant_name == g.tenant_name && e.group_name.as_deref() == Some(&g.group_name)
        };
        let endpoints = self.endpoints(in_group);
        let mut unavailable = self
            .addresses(|e| e.tenant_name == net.tenant_name && e.network_name == net.network_name);
        unavailable.extend(net.gateway.map(u32::from));
        Some(EndpointGroupOper {
            group: key.to_string(),
            pkt_tag: self.intent.group_ids.get(key).copied().map_or(0, u64::from),
            group_tag: g.cfgd_tag.clone().unwrap_or_else(|| key.to_string()),
            num_endpoints: endpoints.len(),
            allocated_ip_addresses: ip_ranges(self.addresses(in_group).into_iter()),
            available_ip_addresses: available(
                g.ip_pool.unwrap_or_else(|| net.subnet.pool()),
                &unavailable,
            ),
            endpoints,
        })
    }

    fn policy(&self, key: &str) -> Option<PolicyOper> {
        let p = self.intent.policies.get(key)?;
        let groups: BTreeSet<&str> = self
            .intent
            .groups
            .values()
            .filter(|g| g.tenant_name == p.tenant_name && g.policies.contains(&p.policy_name))
            .map(|g| g.group_name.as_str())
            .collect();
        let endpoints = self.endpoints(|e| {
            e.tenant_name == p.tenant_name
                && e.group_name.as_deref().is_some_and(|g| groups.contains(g))
        });
        Some(PolicyOper {
            num_endpoints: endpoints.len(),
            endpoint_groups: groups
                .iter()
                .map(|g| format!("{}:{g}", p.tenant_name))
                .collect(),
            endpoints,
        })
    }

    fn tenant(&self, snooping: &Snooping, key: &str) -> Option<TenantOper> {
        self.intent.tenants.get(key)?;
        let mine = |k: &str| k.split_once(':').is_some_and(|(t, _)| t == key);
        let networks: Vec<NetworkOper> = self
            .intent
            .networks
            .keys()
            .filter(|k| mine(k))
            .filter_map(|k| self.network(snooping, k))
            .collect();
        let endpoint_groups: Vec<EndpointGroupOper> = self
            .intent
            .groups
            .keys()
            .filter(|k| mine(k))
            .filter_map(|k| self.group(k))
            .collect();
        Some(TenantOper {
            total_networks: networks.len(),
            total_epgs: endpoint_groups.len(),
            total_endpoints: self.intent.endpoints.keys().filter(|k| mine(k)).count(),
            total_policies: self.intent.policies.keys().filter(|k| mine(k)).count(),
            total_netprofiles: self.intent.profiles.keys().filter(|k| mine(k)).count(),
            networks,
            endpoint_groups,
        })
    }

    fn host(&self, name: &str) -> Option<HostOper> {
        self.intent.hosts.get(name)?;
        let ports = self.compiled.topology.hosts.get(name);
        let endpoints: Vec<EndpointOper> = self
            .placed
            .iter()
            .filter(|(_, (host, _))| *host == name)
            .filter_map(|(key, _)| self.endpoint(key))
            .collect();
        Some(HostOper {
            reporting: ports.is_some(),
            dpid: ports.map(|p| p.dpid),
            vtep_ip: ports
                .and_then(|p| p.vtep_ip)
                .map_or_else(String::new, |ip| ip.to_string()),
            num_endpoints: endpoints.len(),
            endpoints,
        })
    }

    fn global(&self) -> GlobalOper {
        let tags = |encap: Encap| {
            let used: BTreeSet<u32> = self
                .intent
                .networks
                .values()
                .filter(|n| n.encap == encap)
                .filter_map(|n| n.pkt_tag)
                .collect();
            used
        };
        let vxlans = tags(Encap::Vxlan);
        let free_vxlans_start = self
            .intent
            .global
            .vxlans
            .intervals()
            .iter()
            .flat_map(|(first, last)| *first..=*last)
            .find(|vni| !vxlans.contains(vni))
            .unwrap_or(0);
        GlobalOper {
            num_networks: self.intent.networks.len(),
            vlans_in_use: ranges(tags(Encap::Vlan).into_iter()),
            vxlans_in_use: ranges(vxlans.into_iter()),
            free_vxlans_start,
            num_hosts: self.compiled.topology.hosts.len(),
        }
    }
}

/// Ascending numbers as runs of consecutive ones.
fn runs(values: impl Iterator<Item = u64>) -> Vec<(u64, u64)> {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for v in values {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == v => *last = v,
            _ => runs.push((v, v)),
        }
    }
    runs
}

/// Runs as text, each number written by `text`: `1-3, 7`.
fn write_runs(runs: &[(u64, u64)], text: impl Fn(u64) -> String) -> String {
    runs.iter()
        .map(|(first, last)| {
            if first == last {
                text(*first)
            } else {
                format!("{}-{}", text(*first), text(*last))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An IPv4 address held as a number.
fn address(v: u64) -> String {
    Ipv4Addr::from(u32::try_from(v).unwrap_or(u32::MAX)).to_string()
}

/// Ascending VLAN ids or VNIs as ranges.
fn ranges(values: impl Iterator<Item = u32>) -> String {
    write_runs(&runs(values.map(u64::from)), |v| v.to_string())
}

/// Ascending IPv4 addresses (as numbers) as ranges of addresses.
fn ip_ranges(values: impl Iterator<Item = u32>) -> String {
    write_runs(&runs(values.map(u64::from)), address)
}

/// The addresses of `pool` not in `taken`, as ranges of addresses.
fn available(pool: Ipv4Range, taken: &BTreeSet<u32>) -> String {
    let (first, last) = (u32::from(pool.first()), u32::from(pool.last()));
    let mut gaps = Vec::new();
    let mut next = u64::from(first);
    for t in taken.range(first..=last).map(|t| u64::from(*t)) {
        if t > next {
            gaps.push((next, t - 1));
        }
        next = t + 1;
    }
    if next <= u64::from(last) {
        gaps.push((next, u64::from(last)));
    }
    write_runs(&gaps, address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_runs() {
        assert_eq!(ranges([1, 2, 3, 7, 9, 10].into_iter()), "1-3, 7, 9-10");
        assert_eq!(ranges(std::iter::empty()), "");
        let pool =
            Ipv4Range::new("10.1.1.1".parse().unwrap(), "10.1.1.10".parse().unwrap()).unwrap();
        let taken: BTreeSet<u32> = ["10.1.1.1", "10.1.1.2", "10.1.1.5", "10.1.1.10", "10.9.9.9"]
            .iter()
            .map(|a| u32::from(a.parse::<Ipv4Addr>().unwrap()))
            .collect();
        assert_eq!(
            available(pool, &taken),
            "10.1.1.3-10.1.1.4, 10.1.1.6-10.1.1.9"
        );
        assert_eq!(
            ip_ranges(taken.iter().copied().take(3)),
            "10.1.1.1-10.1.1.2, 10.1.1.5"
        );
        assert_eq!(available(pool, &BTreeSet::new()), "10.1.1.1-10.1.1.10");
    }
}
