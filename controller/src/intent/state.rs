//! The validated intent and how a batch changes it: validation, allocation and ordering.
//!
//! [`State::apply`] mutates the state in place and may fail half-way; callers apply a batch to
//! a clone and keep the clone only on success, which makes batches all-or-nothing (allocations
//! included).

use super::ipam::{Family, Ipam};
use super::{contiv, Snapshot};
use northbound_api::addr::{self, IdRanges, Ipv4Addr, Ipv4Range, Ipv6Addr, MacAddr};
use northbound_api::model::{
    Direction, Encap, Endpoint, EndpointGroup, Global, Host, Kind, NetProfile, Network, Object,
    Policy, Rule, Tenant, DEFAULT_TENANT,
};
use northbound_api::service::{Batch, IntentError};
use std::collections::BTreeSet;

/// The longest IGMP query interval a network may ask for, in seconds.
const MAX_QUERY_INTERVAL_S: u32 = 3600;

/// The validated objects, their ids and the allocators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// Every object with allocated fields, and the ids.
    pub snap: Snapshot,
    /// What is allocated.
    pub ipam: Ipam,
}

/// Why a stored object could not be put back: it lacks what every applied object has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    /// A network, group or endpoint without its id.
    #[error("stored {0} has no id")]
    NoId(String),
    /// A network without its tag.
    #[error("stored {0} has no pktTag")]
    NoPktTag(String),
}

/// What a successful batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The upserted objects as stored, in batch order.
    pub objects: Vec<Object>,
    /// Every object upserted or deleted.
    pub touched: BTreeSet<(Kind, String)>,
}

/// Position of a kind in the parents-before-children order.
fn rank(kind: Kind) -> usize {
    Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Global => "global",
        Kind::Tenant => "tenant",
        Kind::Network => "network",
        Kind::EndpointGroup => "endpoint group",
        Kind::Endpoint => "endpoint",
        Kind::Host => "host",
        Kind::Policy => "policy",
        Kind::Rule => "rule",
        Kind::NetProfile => "netprofile",
    }
}

fn tag_space(encap: Encap) -> (&'static str, &'static str, u32) {
    match encap {
        Encap::Vlan => ("vlans", "VLAN", 4094),
        Encap::Vxlan => ("vxlans", "VNI", 0xff_ffff),
    }
}

/// The first rule whose `fields` (group or network names of its tenant) name `key`
/// (`tenant:name`), as "rule <key>".
fn rule_naming<'a>(
    s: &'a super::Snapshot,
    key: &str,
    fields: impl Fn(&'a Rule) -> [&'a Option<String>; 2],
) -> Option<String> {
    s.rules
        .iter()
        .find(|(_, r)| {
            fields(r).iter().any(|f| {
                f.as_ref()
                    .is_some_and(|n| net_key(&r.tenant_name, n) == key)
            })
        })
        .map(|(k, _)| format!("rule {k}"))
}

/// Rejects empty names and names with characters that break keys.
fn check_name(what: &str, field: &str, value: &str) -> Result<(), IntentError> {
    northbound_api::name::check(value).map_err(|e| {
        IntentError::Invalid(format!("{what}: {field} '{}' {e}", value.escape_debug()))
    })?;
    Ok(())
}

/// The longest interface name Linux takes (`IFNAMSIZ` less its terminating zero).
const IFNAME_MAX: usize = 15;

/// The underlay MTUs a fabric may have.
const MTU: std::ops::RangeInclusive<u16> = 576..=9216;

/// The smallest underlay MTU that leaves IPv6's minimum (1280) inside VXLAN (50 bytes of
/// headers).
const IPV6_MIN_MTU: u16 = 1280 + 50;

fn net_key(tenant: &str, network: &str) -> String {
    format!("{tenant}:{network}")
}

/// An IPv4 address as an allocator value.
fn v4(a: Ipv4Addr) -> u128 {
    u128::from(u32::from(a))
}

/// The global range of a network's tags, refused if it goes past the largest VLAN id or VNI.
fn tag_ranges(global: &Global, encap: Encap) -> Result<&IdRanges, IntentError> {
    let ranges = match encap {
        Encap::Vlan => &global.vlans,
        Encap::Vxlan => &global.vxlans,
    };
    check_tag_ranges("global", encap, ranges)?;
    Ok(ranges)
}

/// A tenant's own range of its networks' tags, if it has one for `encap`.
fn tenant_ranges(tenant: &Tenant, encap: Encap) -> Option<&IdRanges> {
    match encap {
        Encap::Vlan => tenant.vlans.as_ref(),
        Encap::Vxlan => tenant.vxlans.as_ref(),
    }
}

/// Refuses `ranges` of `owner` (`global`, `tenant t1`) going past the largest VLAN id or VNI.
fn check_tag_ranges(owner: &str, encap: Encap, ranges: &IdRanges) -> Result<(), IntentError> {
    let (space, name, max) = tag_space(encap);
    if ranges.max() > max {
        return Err(IntentError::Invalid(format!(
            "{owner}: {space}: `{ranges}` goes past the largest {name} {max}"
        )));
    }
    Ok(())
}

/// The pool an endpoint's IPv4 address comes from, and how to name it in errors.
fn endpoint_pool(net: &Network, group: Option<&EndpointGroup>) -> (Ipv4Range, String) {
    if let Some((g, pool)) = group.and_then(|g| g.ip_pool.map(|p| (g, p))) {
        return (
            pool,
            format!("ipPool {pool} of group {}:{}", g.tenant_name, g.group_name),
        );
    }
    (
        net.subnet.pool(),
        format!(
            "the subnet {} of network {}:{}",
            net.subnet, net.tenant_name, net.network_name
        ),
    )
}

impl State {
    /// One object, with its allocated fields.
    pub fn get(&self, kind: Kind, key: &str) -> Option<Object> {
        let s = &self.snap;
        match kind {
            Kind::Global => (key == "global").then(|| Object::Global(s.global.clone())),
            Kind::Tenant => s.tenants.get(key).cloned().map(Object::Tenant),
            Kind::Network => s.networks.get(key).cloned().map(Object::Network),
            Kind::EndpointGroup => s.groups.get(key).cloned().map(Object::EndpointGroup),
            Kind::Endpoint => s.endpoints.get(key).cloned().map(Object::Endpoint),
            Kind::Host => s.hosts.get(key).cloned().map(Object::Host),
            Kind::Policy => s.policies.get(key).cloned().map(Object::Policy),
            Kind::Rule => s.rules.get(key).cloned().map(Object::Rule),
            Kind::NetProfile => s.profiles.get(key).cloned().map(Object::NetProfile),
        }
    }

    /// The keys of every object of a kind, sorted.
    pub fn keys(&self, kind: Kind) -> Vec<String> {
        let s = &self.snap;
        match kind {
            Kind::Global => vec!["global".to_string()],
            Kind::Tenant => s.tenants.keys().cloned().collect(),
            Kind::Network => s.networks.keys().cloned().collect(),
            Kind::EndpointGroup => s.groups.keys().cloned().collect(),
            Kind::Endpoint => s.endpoints.keys().cloned().collect(),
            Kind::Host => s.hosts.keys().cloned().collect(),
            Kind::Policy => s.policies.keys().cloned().collect(),
            Kind::Rule => s.rules.keys().cloned().collect(),
            Kind::NetProfile => s.profiles.keys().cloned().collect(),
        }
    }

    /// The stable id of a network, group or endpoint.
    pub fn id(&self, kind: Kind, key: &str) -> Option<u64> {
        let s = &self.snap;
        match kind {
            Kind::Network => s.network_ids.get(key).map(|i| u64::from(*i)),
            Kind::EndpointGroup => s.group_ids.get(key).map(|i| u64::from(*i)),
            Kind::Endpoint => s.endpoint_ids.get(key).copied(),
            _ => None,
        }
    }

    /// Puts back a stored object with its id, marking its allocations in use (no validation:
    /// the object was validated when it was applied). Parents must be restored first.
    pub fn restore(&mut self, object: Object, id: Option<u64>) -> Result<(), RestoreError> {
        let key = object.key();
        let missing = || RestoreError::NoId(key.clone());
        match object {
            Object::Global(g) => self.snap.global = g,
            Object::Tenant(t) => {
                self.snap.tenants.insert(key, t);
            }
            Object::Host(h) => {
                self.snap.hosts.insert(key, h);
            }
            Object::Policy(p) => {
                self.snap.policies.insert(key, p);
            }
            Object::Rule(r) => {
                self.snap.rules.insert(key, r);
            }
            Object::NetProfile(p) => {
                self.snap.profiles.insert(key, p);
            }
            Object::Network(n) => {
                let tag = n
                    .pkt_tag
                    .ok_or_else(|| RestoreError::NoPktTag(key.clone()))?;
                self.ipam.take_tag(n.encap, tag);
                let id = id.ok_or_else(missing)?;
                self.snap.network_ids.insert(key.clone(), id as u32);
                self.snap.networks.insert(key, n);
            }
            Object::EndpointGroup(g) => {
                let id = id.ok_or_else(missing)?;
                self.snap.group_ids.insert(key.clone(), id as u16);
                self.snap.groups.insert(key, g);
            }
            Object::Endpoint(e) => {
                self.take_endpoint(&e);
                let id = id.ok_or_else(missing)?;
                self.snap.endpoint_ids.insert(key.clone(), id);
                self.snap.endpoints.insert(key, e);
            }
        }
        Ok(())
    }

    fn take_endpoint(&mut self, e: &Endpoint) {
        let net = net_key(&e.tenant_name, &e.network_name);
        if let Some(ip) = e.ip_address {
            self.ipam.take_addr(Family::V4, &net, v4(ip));
        }
        if let Some(ip) = e.ipv6_address {
            self.ipam.take_addr(Family::V6, &net, u128::from(ip));
        }
        if let Some(mac) = e.mac_address {
            self.ipam.take_mac(mac.to_u64());
        }
    }

    fn release_endpoint(&mut self, e: &Endpoint) {
        let net = net_key(&e.tenant_name, &e.network_name);
        if let Some(ip) = e.ip_address {
            self.ipam.release_addr(Family::V4, &net, v4(ip));
        }
        if let Some(ip) = e.ipv6_address {
            self.ipam.release_addr(Family::V6, &net, u128::from(ip));
        }
        if let Some(mac) = e.mac_address {
            self.ipam.release_mac(mac.to_u64());
        }
    }

    /// Applies a batch in place: deletes children first, then upserts parents first, then
    /// checks that nothing left refers to a deleted object. On error the state is partly
    /// changed and must be thrown away.
    pub fn apply(&mut self, batch: Batch) -> Result<Applied, IntentError> {
        let mut upserted = BTreeSet::new();
        for o in &batch.upserts {
            if !upserted.insert((o.kind(), o.key())) {
                return Err(IntentError::Invalid(format!(
                    "{} {}: appears twice in the batch",
                    kind_name(o.kind()),
                    o.key()
                )));
            }
        }
        let mut deletes = BTreeSet::new();
        for (kind, key) in &batch.deletes {
            let what = format!("{} {key}", kind_name(*kind));
            if upserted.contains(&(*kind, key.clone())) {
                return Err(IntentError::Invalid(format!(
                    "{what}: both upserted and deleted"
                )));
            }
            if !deletes.insert((*kind, key.clone())) {
                return Err(IntentError::Invalid(format!(
                    "{what}: deleted twice in the batch"
                )));
            }
            if self.get(*kind, key).is_none() {
                return Err(IntentError::NotFound(format!("{what}: does not exist")));
            }
        }
        if batch.replace {
            for kind in Kind::ALL {
                for key in self.keys(kind) {
                    let default_global =
                        kind == Kind::Global && self.snap.global == Global::default();
                    let default_tenant = kind == Kind::Tenant && key == DEFAULT_TENANT;
                    if !upserted.contains(&(kind, key.clone()))
                        && !default_global
                        && !default_tenant
                    {
                        deletes.insert((kind, key));
                    }
                }
            }
        }
        let mut deletes: Vec<(Kind, String)> = deletes.into_iter().collect();
        deletes.sort_by_key(|(kind, _)| std::cmp::Reverse(rank(*kind)));
        for (kind, key) in &deletes {
            self.remove(*kind, key);
        }

        let mut order: Vec<usize> = (0..batch.upserts.len()).collect();
        order.sort_by_key(|i| rank(batch.upserts[*i].kind()));
        let mut stored: Vec<Option<Object>> = vec![None; batch.upserts.len()];
        for i in order {
            stored[i] = Some(self.upsert(batch.upserts[i].clone())?);
        }
        self.check_deleted_unused(&deletes)?;
        self.check_consistency(&upserted)?;
        let mut touched = upserted;
        touched.extend(deletes);
        Ok(Applied {
            objects: stored.into_iter().flatten().collect(),
            touched,
        })
    }

    fn remove(&mut self, kind: Kind, key: &str) {
        let s = &mut self.snap;
        match kind {
            Kind::Global => s.global = Global::default(),
            Kind::Tenant => {
                s.tenants.remove(key);
            }
            Kind::Host => {
                s.hosts.remove(key);
            }
            Kind::Policy => {
                s.policies.remove(key);
            }
            Kind::Rule => {
                s.rules.remove(key);
            }
            Kind::NetProfile => {
                s.profiles.remove(key);
            }
            Kind::Network => {
                if let Some(n) = s.networks.remove(key) {
                    s.network_ids.remove(key);
                    if let Some(tag) = n.pkt_tag {
                        self.ipam.release_tag(n.encap, tag);
                    }
                    self.ipam.drop_network(key);
                }
            }
            Kind::EndpointGroup => {
                s.groups.remove(key);
                s.group_ids.remove(key);
            }
            Kind::Endpoint => {
                if let Some(e) = s.endpoints.remove(key) {
                    s.endpoint_ids.remove(key);
                    self.release_endpoint(&e);
                }
            }
        }
    }

    fn upsert(&mut self, object: Object) -> Result<Object, IntentError> {
        contiv::check(
            &format!("{} {}", kind_name(object.kind()), object.key()),
            &object,
        )?;
        match object {
            Object::Global(g) => self.upsert_global(g).map(Object::Global),
            Object::Tenant(t) => {
                check_name("tenant", "tenantName", &t.tenant_name)?;
                let what = format!("tenant {}", t.tenant_name);
                for encap in [Encap::Vlan, Encap::Vxlan] {
                    if let Some(ranges) = tenant_ranges(&t, encap) {
                        check_tag_ranges(&what, encap, ranges)?;
                    }
                }
                if let Some(len) = t.alloc_subnet_len {
                    let pool_len = t.subnet_pool.map_or(1, |p| p.net().prefix_len());
                    if !(pool_len..=30).contains(&len) {
                        return Err(IntentError::Invalid(format!(
                            "{what}: allocSubnetLen {len} is not in {pool_len}..=30 (the pool's length to a /30)"
                        )));
                    }
                }
                self.snap.tenants.insert(t.tenant_name.clone(), t.clone());
                Ok(Object::Tenant(t))
            }
            Object::Host(h) => self.upsert_host(h).map(Object::Host),
            Object::Network(n) => self.upsert_network(n).map(Object::Network),
            Object::EndpointGroup(g) => self.upsert_group(g).map(Object::EndpointGroup),
            Object::Endpoint(e) => self.upsert_endpoint(e).map(Object::Endpoint),
            Object::Policy(p) => self.upsert_policy(p).map(Object::Policy),
            Object::Rule(r) => self.upsert_rule(r).map(Object::Rule),
            Object::NetProfile(p) => self.upsert_profile(p).map(Object::NetProfile),
        }
    }

    fn upsert_profile(&mut self, p: NetProfile) -> Result<NetProfile, IntentError> {
        let key = net_key(&p.tenant_name, &p.profile_name);
        let what = format!("netprofile {key}");
        check_name(&what, "tenantName", &p.tenant_name)?;
        check_name(&what, "profileName", &p.profile_name)?;
        if !self.snap.tenants.contains_key(&p.tenant_name) {
            return Err(IntentError::NotFound(format!(
                "{what}: tenantName '{}' does not exist",
                p.tenant_name
            )));
        }
        if let Some(b) = &p.bandwidth {
            super::addr::parse_bandwidth_kbps(b)
                .map_err(|e| IntentError::Invalid(format!("{what}: bandwidth: {e}")))?;
        }
        if p.burst == Some(0) {
            return Err(IntentError::Invalid(format!(
                "{what}: burst must be positive"
            )));
        }
        if p.dscp.is_some_and(|d| d > 63) {
            return Err(IntentError::Invalid(format!(
                "{what}: dscp {} is outside 0..=63",
                p.dscp.unwrap_or_default()
            )));
        }
        self.snap.profiles.insert(key, p.clone());
        Ok(p)
    }

    fn upsert_policy(&mut self, p: Policy) -> Result<Policy, IntentError> {
        let key = net_key(&p.tenant_name, &p.policy_name);
        let what = format!("policy {key}");
        check_name(&what, "tenantName", &p.tenant_name)?;
        check_name(&what, "policyName", &p.policy_name)?;
        if !self.snap.tenants.contains_key(&p.tenant_name) {
            return Err(IntentError::NotFound(format!(
                "{what}: tenantName '{}' does not exist",
                p.tenant_name
            )));
        }
        self.snap.policies.insert(key, p.clone());
        Ok(p)
    }

    fn upsert_rule(&mut self, r: Rule) -> Result<Rule, IntentError> {
        let key = format!("{}:{}:{}", r.tenant_name, r.policy_name, r.rule_id);
        let what = format!("rule {key}");
        check_name(&what, "tenantName", &r.tenant_name)?;
        check_name(&what, "policyName", &r.policy_name)?;
        check_name(&what, "ruleId", &r.rule_id)?;
        if !self
            .snap
            .policies
            .contains_key(&net_key(&r.tenant_name, &r.policy_name))
        {
            return Err(IntentError::NotFound(format!(
                "{what}: policyName '{}' does not exist",
                r.policy_name
            )));
        }
        if !(1..=100).contains(&r.priority) {
            return Err(IntentError::Invalid(format!(
                "{what}: priority {} is outside 1..=100",
                r.priority
            )));
        }
        let (wrong_side, wrong_named) = match r.direction {
            Direction::In => (
                "to",
                r.to_endpoint_group.is_some()
                    || r.to_network.is_some()
                    || r.to_ip_address.is_some(),
            ),
            Direction::Out => (
                "from",
                r.from_endpoint_group.is_some()
                    || r.from_network.is_some()
                    || r.from_ip_address.is_some(),
            ),
        };
        if wrong_named {
            return Err(IntentError::Invalid(format!(
                "{what}: a rule of direction {} names its peers with {} fields, not {wrong_side}*",
                if r.direction == Direction::In {
                    "in"
                } else {
                    "out"
                },
                if r.direction == Direction::In {
                    "from*"
                } else {
                    "to*"
                },
            )));
        }
        for group in [&r.from_endpoint_group, &r.to_endpoint_group]
            .into_iter()
            .flatten()
        {
            if !self
                .snap
                .groups
                .contains_key(&net_key(&r.tenant_name, group))
            {
                return Err(IntentError::NotFound(format!(
                    "{what}: endpoint group '{group}' does not exist"
                )));
            }
        }
        for net in [&r.from_network, &r.to_network].into_iter().flatten() {
            if !self
                .snap
                .networks
                .contains_key(&net_key(&r.tenant_name, net))
            {
                return Err(IntentError::NotFound(format!(
                    "{what}: network '{net}' does not exist"
                )));
            }
        }
        let proto = match r.protocol.as_deref() {
            None => None,
            Some(p) => Some(super::addr::ip_protocol(p).ok_or_else(|| {
                IntentError::Invalid(format!(
                    "{what}: protocol '{p}' is not tcp, udp, icmp or a number 0..=255"
                ))
            })?),
        };
        if r.port != 0 && !matches!(proto, Some(6) | Some(17)) {
            return Err(IntentError::Invalid(format!(
                "{what}: a port needs protocol tcp or udp"
            )));
        }
        self.snap.rules.insert(key, r.clone());
        Ok(r)
    }

    fn upsert_global(&mut self, g: Global) -> Result<Global, IntentError> {
        if g.name != "global" {
            return Err(IntentError::Invalid(format!(
                "global {}: name must be 'global'",
                g.name
            )));
        }
        for encap in [Encap::Vlan, Encap::Vxlan] {
            tag_ranges(&g, encap)?;
        }
        if let Some(dns) = g.dns_address.filter(|a| !a.is_link_local()) {
            return Err(IntentError::Invalid(format!(
                "global: dnsAddress {dns} is not link-local (169.254.0.0/16): it must be no endpoint's address"
            )));
        }
        if !MTU.contains(&g.mtu) {
            return Err(IntentError::Invalid(format!(
                "global: mtu {} is outside {}..={}",
                g.mtu,
                MTU.start(),
                MTU.end()
            )));
        }
        if let Some(n) = self
            .snap
            .networks
            .values()
            .find(|n| n.ipv6_subnet.is_some())
        {
            if g.mtu < IPV6_MIN_MTU {
                return Err(IntentError::Invalid(format!(
                    "global: mtu {} leaves IPv6 network {}:{} less than 1280 bytes inside VXLAN (at least {IPV6_MIN_MTU})",
                    g.mtu, n.tenant_name, n.network_name
                )));
            }
        }
        if g.vxlan_port == 0 {
            return Err(IntentError::Invalid(
                "global: vxlanPort must be 1..=65535".into(),
            ));
        }
        self.snap.global = g.clone();
        Ok(g)
    }

    fn upsert_host(&mut self, h: Host) -> Result<Host, IntentError> {
        check_name("host", "name", &h.name)?;
        if let Some(vtep) = h.vtep_ip.filter(|ip| !addr::is_host_address(*ip)) {
            return Err(IntentError::Invalid(format!(
                "host {}: vtepIp {vtep} is not a host's unicast address (0/8, loopback, multicast and 240/4 are not)",
                h.name
            )));
        }
        self.snap.hosts.insert(h.name.clone(), h.clone());
        Ok(h)
    }

    fn upsert_network(&mut self, mut n: Network) -> Result<Network, IntentError> {
        let key = net_key(&n.tenant_name, &n.network_name);
        let what = format!("network {key}");
        check_name(&what, "tenantName", &n.tenant_name)?;
        check_name(&what, "networkName", &n.network_name)?;
        if !self.snap.tenants.contains_key(&n.tenant_name) {
            return Err(IntentError::NotFound(format!(
                "{what}: tenantName '{}' does not exist",
                n.tenant_name
            )));
        }
        let bad = |field: &str, e: String| IntentError::Invalid(format!("{what}: {field}: {e}"));
        let subnet = n.subnet;
        if !(1..=MAX_QUERY_INTERVAL_S).contains(&n.multicast.query_interval_s) {
            return Err(bad(
                "multicast.queryIntervalS",
                format!(
                    "{} is not in 1..={MAX_QUERY_INTERVAL_S} seconds",
                    n.multicast.query_interval_s
                ),
            ));
        }
        let gateway = n.gateway;
        if let Some(g) = gateway.filter(|g| !subnet.is_host(*g)) {
            return Err(bad(
                "gateway",
                format!("{g} is not a host address of {}", n.subnet),
            ));
        }
        let subnet6 = n.ipv6_subnet;
        if subnet6.is_some() && self.snap.global.mtu < IPV6_MIN_MTU {
            return Err(bad(
                "ipv6Subnet",
                format!(
                    "the global mtu {} leaves less than 1280 bytes inside VXLAN (at least {IPV6_MIN_MTU})",
                    self.snap.global.mtu
                ),
            ));
        }
        let gateway6 = match (n.ipv6_gateway, subnet6) {
            (Some(g), Some(s6)) => {
                if !s6.is_host(g) {
                    return Err(bad(
                        "ipv6Gateway",
                        format!("{g} is not a host address of the ipv6Subnet"),
                    ));
                }
                Some(g)
            }
            (Some(_), None) => return Err(bad("ipv6Gateway", "needs an ipv6Subnet".into())),
            (None, _) => None,
        };
        for (other_key, other) in &self.snap.networks {
            if other.tenant_name != n.tenant_name || *other_key == key {
                continue;
            }
            if other.subnet.overlaps(&subnet) {
                return Err(IntentError::Conflict(format!(
                    "{what}: subnet {} overlaps subnet {} of network {other_key}",
                    n.subnet, other.subnet
                )));
            }
            if let (Some(a), Some(b)) = (subnet6, other.ipv6_subnet) {
                if a.overlaps(&b) {
                    return Err(IntentError::Conflict(format!(
                        "{what}: ipv6Subnet overlaps the ipv6Subnet of network {other_key}"
                    )));
                }
            }
        }
        let old = self.snap.networks.get(&key).cloned();
        if let Some(old) = &old {
            if let Some(ep) = self.endpoints_on(&key).next() {
                if old.subnet != subnet || old.ipv6_subnet != subnet6 {
                    return Err(IntentError::Conflict(format!(
                        "{what}: subnet cannot change while endpoint {ep} is on the network"
                    )));
                }
            }
        }
        if let Some(g) = gateway.filter(|g| self.ipam.addr_in_use(Family::V4, &key, v4(*g))) {
            return Err(IntentError::Conflict(format!(
                "{what}: gateway {g} is an endpoint's address"
            )));
        }
        if let Some(g) =
            gateway6.filter(|g| self.ipam.addr_in_use(Family::V6, &key, u128::from(*g)))
        {
            return Err(IntentError::Conflict(format!(
                "{what}: ipv6Gateway {g} is an endpoint's address"
            )));
        }
        n.pkt_tag = Some(self.network_tag(&n, old.as_ref(), &what)?);
        if !self.snap.network_ids.contains_key(&key) {
            let id = self.ipam.new_network_id()?;
            self.snap.network_ids.insert(key.clone(), id);
        }
        self.snap.networks.insert(key, n.clone());
        Ok(n)
    }

    /// Takes the requested tag, keeps the old one, or allocates one.
    fn network_tag(
        &mut self,
        n: &Network,
        old: Option<&Network>,
        what: &str,
    ) -> Result<u32, IntentError> {
        if let Some(tag) = old.and_then(|o| o.pkt_tag.map(|t| (o.encap, t))) {
            self.ipam.release_tag(tag.0, tag.1);
        }
        let (ranges, owner) = self.network_tag_ranges(n)?;
        let (space, name, _) = tag_space(n.encap);
        let range = &ranges;
        if let Some(tag) = n.pkt_tag {
            if !ranges.contains(tag) {
                return Err(IntentError::Invalid(format!(
                    "{what}: pktTag {tag} is outside {owner} {space} range {range}"
                )));
            }
            if !self.ipam.take_tag(n.encap, tag) {
                let user = self
                    .snap
                    .networks
                    .iter()
                    .find(|(_, o)| o.encap == n.encap && o.pkt_tag == Some(tag))
                    .map(|(k, _)| k.clone())
                    .unwrap_or_default();
                return Err(IntentError::Conflict(format!(
                    "{what}: pktTag: {name} {tag} is already used by network {user}"
                )));
            }
            return Ok(tag);
        }
        let kept = old
            .filter(|o| o.encap == n.encap)
            .and_then(|o| o.pkt_tag)
            .filter(|t| ranges.contains(*t) && self.ipam.take_tag(n.encap, *t));
        match kept.or_else(|| self.ipam.alloc_tag(n.encap, &ranges)) {
            Some(tag) => Ok(tag),
            None => Err(IntentError::Conflict(format!(
                "{what}: pktTag: no free {name} in {owner} {space} range {range}"
            ))),
        }
    }

    /// The range `n`'s tag comes from: its tenant's own for its encapsulation, else the
    /// global one; and whose it is (`tenant t1's`, `the global`), for errors.
    fn network_tag_ranges(&self, n: &Network) -> Result<(IdRanges, String), IntentError> {
        match self
            .snap
            .tenants
            .get(&n.tenant_name)
            .and_then(|t| tenant_ranges(t, n.encap))
        {
            Some(ranges) => Ok((ranges.clone(), format!("tenant {}'s", n.tenant_name))),
            None => Ok((
                tag_ranges(&self.snap.global, n.encap)?.clone(),
                "the global".into(),
            )),
        }
    }

    fn endpoints_on<'a>(&'a self, network: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.snap
            .endpoints
            .iter()
            .filter(move |(_, e)| net_key(&e.tenant_name, &e.network_name) == network)
            .map(|(k, _)| k)
    }

    fn upsert_group(&mut self, g: EndpointGroup) -> Result<EndpointGroup, IntentError> {
        let key = net_key(&g.tenant_name, &g.group_name);
        let what = format!("endpoint group {key}");
        check_name(&what, "tenantName", &g.tenant_name)?;
        check_name(&what, "groupName", &g.group_name)?;
        let nkey = net_key(&g.tenant_name, &g.network_name);
        let net = self.snap.networks.get(&nkey).ok_or_else(|| {
            IntentError::NotFound(format!(
                "{what}: networkName '{}' does not exist",
                g.network_name
            ))
        })?;
        if let Some(pool) = g.ip_pool {
            check_pool(&what, pool, net).map_err(IntentError::Invalid)?;
        }
        if let Some(profile) = &g.net_profile {
            if !self
                .snap
                .profiles
                .contains_key(&net_key(&g.tenant_name, profile))
            {
                return Err(IntentError::NotFound(format!(
                    "{what}: netProfile '{profile}' does not exist"
                )));
            }
        }
        for policy in &g.policies {
            if !self
                .snap
                .policies
                .contains_key(&net_key(&g.tenant_name, policy))
            {
                return Err(IntentError::NotFound(format!(
                    "{what}: policy '{policy}' does not exist"
                )));
            }
        }
        if !self.snap.group_ids.contains_key(&key) {
            let id = self.ipam.new_group_id()?;
            self.snap.group_ids.insert(key.clone(), id);
        }
        self.snap.groups.insert(key, g.clone());
        Ok(g)
    }

    fn upsert_endpoint(&mut self, mut e: Endpoint) -> Result<Endpoint, IntentError> {
        let key = e.key();
        let what = format!("endpoint {key}");
        check_name(&what, "tenantName", &e.tenant_name)?;
        check_name(&what, "containerName", &e.container_name)?;
        if let Some(attach) = &e.attach_uuid {
            check_name(&what, "attachUuid", attach)?;
        }
        if let Some(sandbox) = &e.sandbox {
            check_name(&what, "sandbox", sandbox)?;
        }
        if let Some(ifname) = &e.interface {
            check_name(&what, "interface", ifname)?;
            if ifname.len() > IFNAME_MAX {
                return Err(IntentError::Invalid(format!(
                    "{what}: interface '{ifname}' is longer than an interface name may be ({IFNAME_MAX} bytes)"
                )));
            }
        }
        let nkey = net_key(&e.tenant_name, &e.network_name);
        let net = self.snap.networks.get(&nkey).cloned().ok_or_else(|| {
            IntentError::NotFound(format!(
                "{what}: networkName '{}' does not exist",
                e.network_name
            ))
        })?;
        if e.external {
            if e.host.is_some() {
                return Err(IntentError::Invalid(format!(
                    "{what}: an external endpoint is reached through the uplinks and has no host"
                )));
            }
            if e.mac_address.is_none() {
                return Err(IntentError::Invalid(format!(
                    "{what}: an external endpoint needs its macAddress"
                )));
            }
            if net.encap != Encap::Vlan {
                return Err(IntentError::Invalid(format!(
                    "{what}: an external endpoint needs a VLAN network ('{}' is VXLAN)",
                    e.network_name
                )));
            }
        }
        let group = match &e.group_name {
            Some(name) => {
                let g = self
                    .snap
                    .groups
                    .get(&net_key(&e.tenant_name, name))
                    .ok_or_else(|| {
                        IntentError::NotFound(format!("{what}: groupName '{name}' does not exist"))
                    })?;
                if g.network_name != e.network_name {
                    return Err(IntentError::Invalid(format!(
                        "{what}: groupName '{name}' is on network '{}', not '{}'",
                        g.network_name, e.network_name
                    )));
                }
                Some(g.clone())
            }
            None => None,
        };
        if let Some(h) = e
            .host
            .as_ref()
            .filter(|h| !self.snap.hosts.contains_key(*h))
        {
            return Err(IntentError::NotFound(format!(
                "{what}: host '{h}' does not exist"
            )));
        }
        let old = self.snap.endpoints.get(&key).cloned();
        if let Some(old) = &old {
            self.release_endpoint(old);
        }
        let same_net = old.filter(|o| o.network_name == e.network_name);
        e.ip_address =
            Some(self.endpoint_ipv4(&e, &what, &nkey, &net, group.as_ref(), same_net.as_ref())?);
        e.ipv6_address = self.endpoint_ipv6(&e, &what, &nkey, &net, same_net.as_ref())?;
        e.mac_address = Some(self.endpoint_mac(&e, &what, same_net.as_ref())?);
        if !self.snap.endpoint_ids.contains_key(&key) {
            let id = self.ipam.new_endpoint_id()?;
            self.snap.endpoint_ids.insert(key.clone(), id);
        }
        self.snap.endpoints.insert(key, e.clone());
        Ok(e)
    }

    /// The endpoint (other than `me`, on network `net` if given) whose field equals `value`.
    fn user_of<T: PartialEq>(
        &self,
        me: &Endpoint,
        net: Option<&str>,
        field: impl Fn(&Endpoint) -> Option<T>,
        value: T,
    ) -> String {
        let me = me.key();
        let on_net =
            |e: &Endpoint| net.is_none_or(|n| net_key(&e.tenant_name, &e.network_name) == n);
        self.snap
            .endpoints
            .iter()
            .find(|(k, e)| **k != me && on_net(e) && field(e).is_some_and(|v| v == value))
            .map(|(k, _)| k.clone())
            .unwrap_or_default()
    }

    fn endpoint_ipv4(
        &mut self,
        e: &Endpoint,
        what: &str,
        nkey: &str,
        net: &Network,
        group: Option<&EndpointGroup>,
        old: Option<&Endpoint>,
    ) -> Result<Ipv4Addr, IntentError> {
        let (pool, pool_name) = endpoint_pool(net, group);
        let gateway = net.gateway;
        let usable = |a: Ipv4Addr| pool.contains(a) && Some(a) != gateway;
        if let Some(req) = e.ip_address {
            if !usable(req) {
                return Err(IntentError::Invalid(format!(
                    "{what}: ipAddress {req} is outside {pool_name} or is its gateway"
                )));
            }
            if !self.ipam.take_addr(Family::V4, nkey, v4(req)) {
                let user = self.user_of(e, Some(nkey), |o| o.ip_address, req);
                return Err(IntentError::Conflict(format!(
                    "{what}: ipAddress {req} is already used by endpoint {user}"
                )));
            }
            return Ok(req);
        }
        let kept = old
            .and_then(|o| o.ip_address)
            .filter(|a| usable(*a) && self.ipam.take_addr(Family::V4, nkey, v4(*a)));
        let range = (v4(pool.first()), v4(pool.last()));
        kept.or_else(|| {
            self.ipam
                .alloc_addr(Family::V4, nkey, range, gateway.map(v4))
                .map(|a| Ipv4Addr::from(a as u32))
        })
        .ok_or_else(|| {
            IntentError::Conflict(format!("{what}: ipAddress: no free address in {pool_name}"))
        })
    }

    fn endpoint_ipv6(
        &mut self,
        e: &Endpoint,
        what: &str,
        nkey: &str,
        net: &Network,
        old: Option<&Endpoint>,
    ) -> Result<Option<Ipv6Addr>, IntentError> {
        let Some(s6) = net.ipv6_subnet else {
            if e.ipv6_address.is_some() {
                return Err(IntentError::Invalid(format!(
                    "{what}: ipv6Address given but network {nkey} has no ipv6Subnet"
                )));
            }
            return Ok(None);
        };
        let gateway = net.ipv6_gateway;
        let usable = |a: Ipv6Addr| s6.is_host(a) && Some(a) != gateway;
        if let Some(req) = e.ipv6_address {
            if !usable(req) {
                return Err(IntentError::Invalid(format!(
                    "{what}: ipv6Address {req} is outside the ipv6Subnet of network {nkey} or is reserved"
                )));
            }
            if !self.ipam.take_addr(Family::V6, nkey, u128::from(req)) {
                let user = self.user_of(e, Some(nkey), |o| o.ipv6_address, req);
                return Err(IntentError::Conflict(format!(
                    "{what}: ipv6Address {req} is already used by endpoint {user}"
                )));
            }
            return Ok(Some(req));
        }
        let kept = old
            .and_then(|o| o.ipv6_address)
            .filter(|a| usable(*a) && self.ipam.take_addr(Family::V6, nkey, u128::from(*a)));
        let range = (
            u128::from(s6.net().network()) + 1,
            u128::from(s6.net().broadcast()),
        );
        kept.or_else(|| {
            self.ipam
                .alloc_addr(Family::V6, nkey, range, gateway.map(u128::from))
                .map(Ipv6Addr::from)
        })
        .map(Some)
        .ok_or_else(|| {
            IntentError::Conflict(format!(
                "{what}: ipv6Address: no free address in network {nkey}"
            ))
        })
    }

    fn endpoint_mac(
        &mut self,
        e: &Endpoint,
        what: &str,
        old: Option<&Endpoint>,
    ) -> Result<MacAddr, IntentError> {
        if let Some(req) = e.mac_address {
            if req.is_multicast() || req.to_u64() == 0 {
                return Err(IntentError::Invalid(format!(
                    "{what}: macAddress {req} is not a unicast address (a group or broadcast address, or zero, cannot be an endpoint's)"
                )));
            }
            if !self.ipam.take_mac(req.to_u64()) {
                let user = self.user_of(e, None, |o| o.mac_address, req);
                return Err(IntentError::Conflict(format!(
                    "{what}: macAddress {req} is already used by endpoint {user}"
                )));
            }
            return Ok(req);
        }
        let kept = old
            .and_then(|o| o.mac_address)
            .filter(|m| self.ipam.take_mac(m.to_u64()));
        match kept {
            Some(m) => Ok(m),
            None => self.ipam.alloc_mac().map(MacAddr::from_u64),
        }
    }

    /// Nothing that remains may refer to a deleted object.
    fn check_deleted_unused(&self, deletes: &[(Kind, String)]) -> Result<(), IntentError> {
        let s = &self.snap;
        for (kind, key) in deletes {
            let user = match kind {
                Kind::Tenant => s
                    .networks
                    .iter()
                    .find(|(_, n)| n.tenant_name == *key)
                    .map(|(k, _)| format!("network {k}"))
                    .or_else(|| {
                        s.endpoints
                            .keys()
                            .find(|k| k.starts_with(&format!("{key}:")))
                            .map(|k| format!("endpoint {k}"))
                    })
                    .or_else(|| {
                        s.policies
                            .keys()
                            .find(|k| k.starts_with(&format!("{key}:")))
                            .map(|k| format!("policy {k}"))
                    }),
                Kind::Network => s
                    .groups
                    .iter()
                    .find(|(_, g)| net_key(&g.tenant_name, &g.network_name) == *key)
                    .map(|(k, _)| format!("endpoint group {k}"))
                    .or_else(|| {
                        self.endpoints_on(key)
                            .next()
                            .map(|k| format!("endpoint {k}"))
                    })
                    .or_else(|| rule_naming(s, key, |r| [&r.from_network, &r.to_network])),
                Kind::EndpointGroup => s
                    .endpoints
                    .iter()
                    .find(|(_, e)| {
                        e.group_name
                            .as_ref()
                            .is_some_and(|g| net_key(&e.tenant_name, g) == *key)
                    })
                    .map(|(k, _)| format!("endpoint {k}"))
                    .or_else(|| {
                        rule_naming(s, key, |r| [&r.from_endpoint_group, &r.to_endpoint_group])
                    }),
                Kind::Host => s
                    .endpoints
                    .iter()
                    .find(|(_, e)| e.host.as_ref() == Some(key))
                    .map(|(k, _)| format!("endpoint {k}")),
                Kind::Policy => s
                    .groups
                    .iter()
                    .find(|(gk, g)| {
                        g.policies
                            .iter()
                            .any(|p| net_key(&g.tenant_name, p) == *key && !gk.is_empty())
                    })
                    .map(|(k, _)| format!("endpoint group {k}"))
                    .or_else(|| {
                        s.rules
                            .keys()
                            .find(|k| k.starts_with(&format!("{key}:")))
                            .map(|k| format!("rule {k}"))
                    }),
                Kind::NetProfile => s
                    .groups
                    .iter()
                    .find(|(_, g)| {
                        g.net_profile
                            .as_ref()
                            .is_some_and(|p| net_key(&g.tenant_name, p) == *key)
                    })
                    .map(|(k, _)| format!("endpoint group {k}")),
                Kind::Global | Kind::Endpoint | Kind::Rule => None,
            };
            if let Some(user) = user {
                return Err(IntentError::Conflict(format!(
                    "cannot delete {} {key}: {user} still uses it",
                    kind_name(*kind)
                )));
            }
        }
        Ok(())
    }

    /// Objects not in the batch must still agree with the changed ones: network tags with their
    /// tenant's or the global ranges, group pools with their network, endpoints with their
    /// group.
    fn check_consistency(&self, upserted: &BTreeSet<(Kind, String)>) -> Result<(), IntentError> {
        let s = &self.snap;
        let touched = |kind: Kind, key: &str| upserted.contains(&(kind, key.to_string()));
        for (k, n) in &s.networks {
            let own = s
                .tenants
                .get(&n.tenant_name)
                .and_then(|t| tenant_ranges(t, n.encap));
            let (ranges, owner) = match own {
                Some(ranges) if touched(Kind::Tenant, &n.tenant_name) => {
                    (ranges, format!("tenant {}", n.tenant_name))
                }
                None if touched(Kind::Global, "global")
                    || touched(Kind::Tenant, &n.tenant_name) =>
                {
                    (tag_ranges(&s.global, n.encap)?, "global".to_string())
                }
                _ => continue,
            };
            if let Some(tag) = n.pkt_tag.filter(|t| !ranges.contains(*t)) {
                let (space, name, _) = tag_space(n.encap);
                return Err(IntentError::Conflict(format!(
                    "{owner}: {space}: the new range leaves out {name} {tag} of network {k}"
                )));
            }
        }
        for (gkey, g) in &s.groups {
            let nkey = net_key(&g.tenant_name, &g.network_name);
            if !touched(Kind::EndpointGroup, gkey) && !touched(Kind::Network, &nkey) {
                continue;
            }
            let net = &s.networks[&nkey];
            if let Some(pool) = g.ip_pool {
                check_pool(&format!("endpoint group {gkey}"), pool, net)
                    .map_err(IntentError::Conflict)?;
            }
            for (ekey, e) in &s.endpoints {
                if e.group_name
                    .as_ref()
                    .is_none_or(|n| net_key(&e.tenant_name, n) != *gkey)
                {
                    continue;
                }
                if e.network_name != g.network_name {
                    return Err(IntentError::Conflict(format!(
                        "endpoint group {gkey}: endpoint {ekey} is on network '{}', not '{}'",
                        e.network_name, g.network_name
                    )));
                }
                let (pool, pool_name) = endpoint_pool(net, Some(g));
                if e.ip_address.is_none_or(|a| !pool.contains(a)) {
                    return Err(IntentError::Conflict(format!(
                        "endpoint group {gkey}: endpoint {ekey} would be outside {pool_name}"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// An EPG pool must lie within its network's allocation range (the message says why not).
fn check_pool(what: &str, pool: Ipv4Range, net: &Network) -> Result<(), String> {
    let range = net.subnet.pool();
    if !range.contains(pool.first()) || !range.contains(pool.last()) {
        return Err(format!(
            "{what}: ipPool {pool} is outside the subnet {} of network {}:{}",
            net.subnet, net.tenant_name, net.network_name
        ));
    }
    Ok(())
}
