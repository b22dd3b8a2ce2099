//! The intent files of the original netplugin (`netdcli -cfg FILE`, now `netctl -cfg FILE`),
//! converted into a [`Batch`] of model objects.
//!
//! The schema is the original's (`netmaster/intent/config.go`), with its capitalized field names:
//!
//! ```json
//! { "Hosts":   [ { "Name": "host1", "Intf": "eth2", "VtepIp": "192.168.2.10" } ],
//!   "Tenants": [ { "Name": "tenant-one", "DefaultNetType": "vlan",
//!                  "SubnetPool": "11.1.0.0/16", "AllocSubnetLen": 24,
//!                  "Vlans": "11-28", "Vxlans": "10001-20000",
//!                  "Networks": [ { "Name": "orange", "PktTagType": "vlan", "PktTag": "12",
//!                                  "SubnetCIDR": "11.1.5.0/24", "Gateway": "11.1.5.254",
//!                                  "Endpoints": [ { "Container": "myContainer1",
//!                                                   "Host": "host1",
//!                                                   "IPAddress": "11.1.5.1" } ] } ] } ],
//!   "HostBindings": [ { "Container": "myContainer1", "Host": "host1" } ] }
//! ```
//!
//! Go matched field names case-insensitively, so the spellings the original files and structs use
//! are all accepted: `VtepIp`/`VtepIP`, `Vlans`/`VLANs`, `Vxlans`/`VXLANs`, `SubnetCIDR`/`SubnetCidr`,
//! `Gateway`/`DefaultGw`, `IPAddress`/`IpAddress`, and in host bindings `Container`/`ContainerName`,
//! `Host`/`HostName`, `Tenant`/`TenantName`. Any other field is an error naming it. An empty
//! string means the field is absent, as in Go.
//!
//! Conversion rules ([`IntentFile::to_objects`]):
//! * each tenant becomes a [`Tenant`] that owns its `Vlans`, `Vxlans`, `SubnetPool` and
//!   `AllocSubnetLen`, as in the original: its networks' tags come from its own ranges (the
//!   global ranges stay for the tenants that have none), and two tenants' files can be added
//!   one after the other; each host a [`Host`] (`VtepIp` as `vtepIp`, `Intf` as its one
//!   uplink); a host an endpoint or binding names without a `Hosts` entry is created (the
//!   original created hosts implicitly) unless netmaster has it;
//! * each network becomes a [`Network`]: encapsulation from its `PktTagType`, else the tenant's
//!   `DefaultNetType`, else VXLAN; `PktTag` (a string or a number; `auto` or empty: allocated by
//!   the controller); `SubnetCIDR` and `Gateway` as given. A network without `SubnetCIDR` gets
//!   the next free subnet of length `AllocSubnetLen` (24 when absent) carved from its tenant's
//!   `SubnetPool`, in file order, starting at the pool's first address and skipping every
//!   subnet that overlaps one given explicitly in the same tenant. (The original netmaster
//!   carved these itself; here the file conversion does it, so the controller always receives
//!   explicit subnets. Tenants are separate address spaces: two tenants with the same pool get
//!   the same subnets.) Carved subnets have no gateway;
//! * a file that adds to what netmaster has (`-add-cfg`, a *delta* file) may name a tenant or
//!   network that exists only to reach its endpoints: one that gives nothing beyond its name
//!   (no ranges or pool; no subnet, tag or gateway) is left as netmaster has it, and a new
//!   network is carved from the tenant's pool (the file's, else the one netmaster keeps for the
//!   tenant) around the subnets netmaster's networks of the tenant have;
//! * a file whose objects are deleted (`-del-cfg`, [`IntentFile::to_delete_batch`]) deletes its
//!   endpoints, and its networks, tenants and hosts that nothing else uses once they are gone
//!   (a delta file that removes one endpoint leaves its network alone);
//! * each endpoint becomes an [`Endpoint`] keyed `tenant:container` on its network, with `Host`
//!   and `IPAddress` when given (else the controller allocates the address and the host is
//!   bound later); a container that appears on several networks of a tenant gets one interface
//!   per network, `eth0`, `eth1`, ... in file order (its further endpoints are keyed
//!   `tenant:container:eth1`, ...);
//! * each `HostBindings` entry sets `host` on the file's endpoints of that container (in the named
//!   tenant only, when it gives one); a binding that matches none is an error;
//! * an endpoint's or a binding's `AttachUUID` (the original's infra container mapping) names
//!   the runtime container, by name or id, whose namespace the endpoint goes into when it is
//!   not `Container` (a pod's infra container): the endpoint's `attachUuid`, which the agent's
//!   Docker watcher follows.
//!
//! A host-bindings file (`netctl -host-bindings-cfg FILE`) is, as in the original, a JSON array
//! of bindings — or an object with a `HostBindings` array; [`bind_hosts`] applies it to the
//! endpoints the controller has.

use ipnet::Ipv4Net;
use northbound_model::addr::{IdRanges, Ipv4Subnet};
use northbound_model::batch::Batch;
use northbound_model::model::{Encap, Endpoint, Host, Kind, Network, Object, Tenant};
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::str::FromStr;

/// Why an intent file was refused.
#[derive(Debug, thiserror::Error)]
pub enum IntentFileError {
    /// Not JSON of the schema (the message has the line and column).
    #[error("malformed intent file: {0}")]
    Syntax(#[from] serde_json::Error),
    /// Well-formed, but inconsistent (duplicate names, no subnet, exhausted pool, a bad
    /// address...).
    #[error("invalid intent file: {0}")]
    Invalid(String),
}

/// An optional text field of the file as the model's type: `""` is absent, a value that does not
/// parse is an error naming `what` and `field`.
fn typed<T>(what: &str, field: &str, value: &Option<String>) -> Result<Option<T>, IntentFileError>
where
    T: FromStr,
    T::Err: Display,
{
    set(value)
        .map(|v| {
            v.parse().map_err(|e: T::Err| {
                // The model's errors quote the value; std's (IP addresses) do not.
                let e = e.to_string();
                if e.contains(v) {
                    invalid(format!("{what}: {field} {e}"))
                } else {
                    invalid(format!("{what}: {field} `{v}`: {e}"))
                }
            })
        })
        .transpose()
}

fn invalid(message: String) -> IntentFileError {
    IntentFileError::Invalid(message)
}

/// A whole intent file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentFile {
    /// The hosts.
    #[serde(rename = "Hosts", default)]
    pub hosts: Vec<FileHost>,
    /// The tenants, with their networks and endpoints.
    #[serde(rename = "Tenants", default)]
    pub tenants: Vec<FileTenant>,
    /// Container-to-host bindings for the file's endpoints.
    #[serde(rename = "HostBindings", default)]
    pub host_bindings: Vec<HostBinding>,
}

/// A host (`ConfigHost`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileHost {
    /// Host name (the agent's host label).
    #[serde(rename = "Name")]
    pub name: String,
    /// Uplink interface for VLAN networks.
    #[serde(rename = "Intf", default)]
    pub intf: Option<String>,
    /// VTEP address for VXLAN networks.
    #[serde(rename = "VtepIp", alias = "VtepIP", default)]
    pub vtep_ip: Option<String>,
}

/// A tenant (`ConfigTenant`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileTenant {
    /// Tenant name.
    #[serde(rename = "Name")]
    pub name: String,
    /// `vlan` or `vxlan`: the encapsulation of networks without `PktTagType`.
    #[serde(rename = "DefaultNetType", default)]
    pub default_net_type: Option<String>,
    /// Pool that subnets of networks without `SubnetCIDR` are carved from.
    #[serde(rename = "SubnetPool", default)]
    pub subnet_pool: Option<String>,
    /// Prefix length of carved subnets (24 when absent or 0).
    #[serde(rename = "AllocSubnetLen", default)]
    pub alloc_subnet_len: Option<u8>,
    /// VLAN ids for allocation, e.g. `11-28`.
    #[serde(rename = "Vlans", alias = "VLANs", default)]
    pub vlans: Option<String>,
    /// VXLAN ids for allocation, e.g. `10001-20000`.
    #[serde(rename = "Vxlans", alias = "VXLANs", default)]
    pub vxlans: Option<String>,
    /// The tenant's networks.
    #[serde(rename = "Networks", default)]
    pub networks: Vec<FileNetwork>,
}

/// A network (`ConfigNetwork`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileNetwork {
    /// Network name.
    #[serde(rename = "Name")]
    pub name: String,
    /// `vlan` or `vxlan`.
    #[serde(rename = "PktTagType", default)]
    pub pkt_tag_type: Option<String>,
    /// VLAN id or VNI (a string in the original files; a number is accepted too).
    #[serde(rename = "PktTag", default, deserialize_with = "pkt_tag")]
    pub pkt_tag: Option<u32>,
    /// Subnet, `a.b.c.d/len`.
    #[serde(rename = "SubnetCIDR", alias = "SubnetCidr", default)]
    pub subnet_cidr: Option<String>,
    /// Gateway address.
    #[serde(rename = "Gateway", alias = "DefaultGw", default)]
    pub gateway: Option<String>,
    /// The network's endpoints.
    #[serde(rename = "Endpoints", default)]
    pub endpoints: Vec<FileEndpoint>,
}

/// An endpoint (`ConfigEP`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEndpoint {
    /// Container name.
    #[serde(rename = "Container")]
    pub container: String,
    /// Host the container runs on; absent for late binding.
    #[serde(rename = "Host", default)]
    pub host: Option<String>,
    /// IPv4 address; allocated by the controller when absent.
    #[serde(rename = "IPAddress", alias = "IpAddress", default)]
    pub ip_address: Option<String>,
    /// MAC address; allocated by the controller when absent (required when `External`).
    #[serde(rename = "MacAddress", alias = "MACAddress", default)]
    pub mac_address: Option<String>,
    /// A workload outside the cluster behind the uplinks (VLAN networks only).
    #[serde(rename = "External", default)]
    pub external: bool,
    /// The runtime container (name or id) the endpoint goes into when it is not `Container`
    /// (a pod's infra container): the endpoint's `attachUuid`.
    #[serde(rename = "AttachUUID", default)]
    pub attach_uuid: Option<String>,
}

/// A container-to-host binding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostBinding {
    /// Container name.
    #[serde(rename = "Container", alias = "ContainerName")]
    pub container: String,
    /// Host name.
    #[serde(rename = "Host", alias = "HostName")]
    pub host: String,
    /// Only bind the container's endpoint in this tenant.
    #[serde(rename = "Tenant", alias = "TenantName", default)]
    pub tenant: Option<String>,
    /// The runtime container the bound endpoints go into, when not `Container` (the infra
    /// container mapping): sets their `attachUuid`.
    #[serde(rename = "AttachUUID", default)]
    pub attach_uuid: Option<String>,
}

impl HostBinding {
    fn matches(&self, endpoint: &Endpoint) -> bool {
        endpoint.container_name == self.container
            && set(&self.tenant).is_none_or(|t| t == endpoint.tenant_name)
    }
}

/// `PktTag`: a number, a decimal string, or `""`/`auto` (none).
fn pkt_tag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("PktTag {n} is not a 32-bit tag"))),
        Value::String(s) if s.is_empty() || s == "auto" => Ok(None),
        Value::String(s) => s
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("PktTag `{s}` is not a number"))),
        other => Err(D::Error::custom(format!(
            "PktTag must be a number or a string, not {other}"
        ))),
    }
}

/// An optional string field, with `""` meaning absent.
fn set(field: &Option<String>) -> Option<&str> {
    field.as_deref().filter(|s| !s.is_empty())
}

/// Parses an intent file.
pub fn parse(text: &str) -> Result<IntentFile, IntentFileError> {
    Ok(serde_json::from_str(text)?)
}

/// Parses a host-bindings file: a JSON array of bindings, or `{"HostBindings": [...]}`.
pub fn parse_host_bindings(text: &str) -> Result<Vec<HostBinding>, IntentFileError> {
    if text.trim_start().starts_with('[') {
        Ok(serde_json::from_str(text)?)
    } else {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Bindings {
            #[serde(rename = "HostBindings")]
            host_bindings: Vec<HostBinding>,
        }
        let file: Bindings = serde_json::from_str(text)?;
        Ok(file.host_bindings)
    }
}

/// Sets the host of every endpoint a binding matches; returns the endpoints that changed,
/// ready to upsert. A binding without container or host, or that matches no endpoint, is an
/// error.
pub fn bind_hosts(
    bindings: &[HostBinding],
    endpoints: &[Endpoint],
) -> Result<Vec<Endpoint>, IntentFileError> {
    let mut endpoints = endpoints.to_vec();
    let bound = bind(bindings, &mut endpoints)?;
    Ok(endpoints
        .into_iter()
        .zip(bound)
        .filter_map(|(e, bound)| bound.then_some(e))
        .collect())
}

/// Applies `bindings` to `endpoints` in place; which endpoints were bound.
fn bind(
    bindings: &[HostBinding],
    endpoints: &mut [Endpoint],
) -> Result<Vec<bool>, IntentFileError> {
    let mut bound = vec![false; endpoints.len()];
    for binding in bindings {
        if binding.container.is_empty() || binding.host.is_empty() {
            return Err(invalid(format!(
                "host binding {{Container: `{}`, Host: `{}`}} needs both",
                binding.container, binding.host
            )));
        }
        let mut found = false;
        for (endpoint, bound) in endpoints.iter_mut().zip(&mut bound) {
            if binding.matches(endpoint) {
                endpoint.host = Some(binding.host.clone());
                if let Some(attach) = set(&binding.attach_uuid) {
                    endpoint.attach_uuid = Some(attach.into());
                }
                *bound = true;
                found = true;
            }
        }
        if !found {
            let scope = set(&binding.tenant).map_or(String::new(), |t| format!(" in tenant `{t}`"));
            return Err(invalid(format!(
                "host binding of container `{}`{scope}: no such endpoint",
                binding.container
            )));
        }
    }
    Ok(bound)
}

/// What netmaster has (every object, as `GET /api/v1/{collection}/` lists them), for a file
/// that adds to it or deletes from it.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    objects: BTreeMap<(Kind, String), Object>,
}

impl Existing {
    /// netmaster's objects.
    pub fn new(objects: impl IntoIterator<Item = Object>) -> Existing {
        Existing {
            objects: objects
                .into_iter()
                .map(|o| ((o.kind(), o.key()), o))
                .collect(),
        }
    }

    /// The object of `kind` with `key`, if netmaster has it.
    pub fn get(&self, kind: Kind, key: &str) -> Option<&Object> {
        self.objects.get(&(kind, key.to_string()))
    }

    /// Every object, by kind and key.
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.objects.values()
    }

    fn tenant(&self, name: &str) -> Option<&Tenant> {
        match self.get(Kind::Tenant, name) {
            Some(Object::Tenant(t)) => Some(t),
            _ => None,
        }
    }

    fn network(&self, key: &str) -> Option<&Network> {
        match self.get(Kind::Network, key) {
            Some(Object::Network(n)) => Some(n),
            _ => None,
        }
    }

    /// The subnets of the tenant's networks netmaster has.
    fn subnets_of(&self, tenant: &str) -> Vec<Ipv4Net> {
        self.objects
            .values()
            .filter_map(|o| match o {
                Object::Network(n) if n.tenant_name == tenant => Some(n.subnet.net()),
                _ => None,
            })
            .collect()
    }

    /// The objects that depend on the object of `kind` with `key` (its tenant's objects, a
    /// network's groups and endpoints, a host's endpoints).
    fn users(&self, kind: Kind, key: &str) -> impl Iterator<Item = (Kind, String)> + '_ {
        let key = key.to_string();
        self.objects.iter().filter_map(move |((k, okey), o)| {
            let uses = match (kind, o) {
                (Kind::Tenant, _) => *k != Kind::Tenant && k.tenant_in_key(okey) == Some(&key),
                (Kind::Network, Object::Endpoint(e)) => {
                    format!("{}:{}", e.tenant_name, e.network_name) == key
                }
                (Kind::Network, Object::EndpointGroup(g)) => {
                    format!("{}:{}", g.tenant_name, g.network_name) == key
                }
                (Kind::Host, Object::Endpoint(e)) => e.host.as_deref() == Some(key.as_str()),
                _ => false,
            };
            uses.then(|| (*k, okey.clone()))
        })
    }
}

impl IntentFile {
    /// The file's objects, parents before children: tenants, hosts, networks, endpoints (with
    /// the file's host bindings applied). `existing` is what netmaster has when the file adds
    /// to it (empty for a desired state): tenants and networks the file only names are left
    /// out, new networks are carved around netmaster's, and implicit hosts it has are not
    /// created again.
    pub fn to_objects(&self, existing: &Existing) -> Result<Vec<Object>, IntentFileError> {
        let mut objects = Vec::new();
        let mut names = HashSet::new();
        for tenant in &self.tenants {
            if !names.insert(&tenant.name) {
                return Err(invalid(format!(
                    "tenant `{}` is defined twice",
                    tenant.name
                )));
            }
            if let Some(t) = tenant.tenant(existing.tenant(&tenant.name))? {
                objects.push(Object::Tenant(t));
            }
        }
        let mut names = HashSet::new();
        for host in &self.hosts {
            if !names.insert(&host.name) {
                return Err(invalid(format!("host `{}` is defined twice", host.name)));
            }
            let what = format!("host `{}`", host.name);
            objects.push(Object::Host(Host {
                name: host.name.clone(),
                vtep_ip: typed(&what, "VtepIp", &host.vtep_ip)?,
                uplinks: set(&host.intf).map(Into::into).into_iter().collect(),
                dpid: None,
            }));
        }
        for name in self.implicit_hosts() {
            if existing.get(Kind::Host, &name).is_none() {
                objects.push(Object::Host(Host {
                    name,
                    vtep_ip: None,
                    uplinks: Vec::new(),
                    dpid: None,
                }));
            }
        }
        for tenant in &self.tenants {
            objects.extend(tenant.networks(existing)?.into_iter().map(Object::Network));
        }
        let mut endpoints = Vec::new();
        for tenant in &self.tenants {
            endpoints.extend(tenant.endpoints()?);
        }
        bind(&self.host_bindings, &mut endpoints)?;
        objects.extend(endpoints.into_iter().map(Object::Endpoint));
        Ok(objects)
    }

    /// The hosts the file's endpoints and bindings name that its `Hosts` does not define.
    fn implicit_hosts(&self) -> BTreeSet<String> {
        let defined: BTreeSet<&str> = self.hosts.iter().map(|h| h.name.as_str()).collect();
        self.tenants
            .iter()
            .flat_map(|t| &t.networks)
            .flat_map(|n| &n.endpoints)
            .filter_map(|e| set(&e.host))
            .chain(self.host_bindings.iter().map(|b| b.host.as_str()))
            .filter(|h| !h.is_empty() && !defined.contains(h))
            .map(str::to_string)
            .collect()
    }

    /// A batch creating or replacing the file's objects: the desired state (every other object
    /// is deleted) with `replace`, else an addition to `existing`.
    pub fn to_batch(&self, replace: bool, existing: &Existing) -> Result<Batch, IntentFileError> {
        let existing = if replace {
            &Existing::default()
        } else {
            existing
        };
        Ok(Batch {
            upserts: self.to_objects(existing)?,
            deletes: Vec::new(),
            replace,
        })
    }

    /// A batch deleting the file's endpoints (each must exist), and the networks, tenants and
    /// hosts the file defines that nothing in `existing` uses once they are gone; children
    /// first.
    pub fn to_delete_batch(&self, existing: &Existing) -> Result<Batch, IntentFileError> {
        let mut deleted: BTreeSet<(Kind, String)> = BTreeSet::new();
        let mut deletes = Vec::new();
        for tenant in &self.tenants {
            for ep in tenant.endpoints()? {
                let key = (Kind::Endpoint, ep.key());
                if deleted.insert(key.clone()) {
                    deletes.push(key);
                }
            }
        }
        let networks = self.tenants.iter().flat_map(|t| {
            t.networks
                .iter()
                .map(move |n| format!("{}:{}", t.name, n.name))
        });
        let hosts = self.hosts.iter().map(|h| h.name.clone());
        let tenants = self.tenants.iter().map(|t| t.name.clone());
        let parents: Vec<(Kind, String)> = networks
            .map(|k| (Kind::Network, k))
            .chain(hosts.map(|k| (Kind::Host, k)))
            .chain(tenants.map(|k| (Kind::Tenant, k)))
            .collect();
        for (kind, key) in parents {
            let unused = existing.users(kind, &key).all(|u| deleted.contains(&u));
            if existing.get(kind, &key).is_some() && unused {
                deleted.insert((kind, key.clone()));
                deletes.push((kind, key));
            }
        }
        Ok(Batch {
            deletes,
            ..Batch::default()
        })
    }
}

impl FileTenant {
    /// The tenant with what the file gives it; none when the file only names a tenant that
    /// `existing` has (a delta file), which is then left as it is.
    fn tenant(&self, existing: Option<&Tenant>) -> Result<Option<Tenant>, IntentFileError> {
        let what = format!("tenant `{}`", self.name);
        let vlans: Option<IdRanges> = typed(&what, "Vlans", &self.vlans)?;
        let vxlans: Option<IdRanges> = typed(&what, "Vxlans", &self.vxlans)?;
        let subnet_pool = self
            .pool()?
            .map(Ipv4Subnet::new)
            .transpose()
            .map_err(|e| invalid(format!("{what}: SubnetPool: {e}")))?;
        let alloc_subnet_len = self.alloc_subnet_len.filter(|l| *l != 0);
        let gives_nothing = vlans.is_none()
            && vxlans.is_none()
            && subnet_pool.is_none()
            && alloc_subnet_len.is_none()
            && set(&self.default_net_type).is_none();
        if gives_nothing && existing.is_some() {
            return Ok(None);
        }
        let mut tenant = existing
            .cloned()
            .unwrap_or_else(|| Tenant::named(self.name.clone()));
        tenant.vlans = vlans.or(tenant.vlans);
        tenant.vxlans = vxlans.or(tenant.vxlans);
        tenant.subnet_pool = subnet_pool.or(tenant.subnet_pool);
        tenant.alloc_subnet_len = alloc_subnet_len.or(tenant.alloc_subnet_len);
        Ok(Some(tenant))
    }

    /// The file's `SubnetPool` (host bits ignored, as in the original).
    fn pool(&self) -> Result<Option<Ipv4Net>, IntentFileError> {
        set(&self.subnet_pool)
            .map(|text| {
                text.parse::<Ipv4Net>().map(|p| p.trunc()).map_err(|_| {
                    invalid(format!(
                        "tenant `{}`: SubnetPool `{text}` is not an IPv4 subnet a.b.c.d/len",
                        self.name
                    ))
                })
            })
            .transpose()
    }

    /// The tenant's networks, with carved subnets where none is given; a network `existing`
    /// has that the file only names is left out.
    fn networks(&self, existing: &Existing) -> Result<Vec<Network>, IntentFileError> {
        let tenant = &self.name;
        let default_encap = match set(&self.default_net_type) {
            Some(t) => {
                encap(t).map_err(|e| invalid(format!("tenant `{tenant}`: DefaultNetType {e}")))?
            }
            None => Encap::default(),
        };
        let mut names = HashSet::new();
        let mut taken = existing.subnets_of(tenant);
        let server_tenant = existing.tenant(tenant);
        let pool = match self.pool()? {
            Some(pool) => Some(pool),
            None => server_tenant.and_then(|t| t.subnet_pool).map(|p| p.net()),
        };
        let alloc_len = self
            .alloc_subnet_len
            .filter(|l| *l != 0)
            .or(server_tenant.and_then(|t| t.alloc_subnet_len));
        for net in &self.networks {
            if !names.insert(&net.name) {
                return Err(invalid(format!(
                    "network `{}` is defined twice in tenant `{tenant}`",
                    net.name
                )));
            }
            let what = format!("network `{tenant}:{}`", net.name);
            if let Some(cidr) = typed::<Ipv4Subnet>(&what, "SubnetCIDR", &net.subnet_cidr)? {
                taken.push(cidr.net());
            }
        }
        let mut networks = Vec::new();
        for net in &self.networks {
            let what = format!("network `{tenant}:{}`", net.name);
            let known = existing.network(&format!("{tenant}:{}", net.name));
            let names_only = set(&net.subnet_cidr).is_none()
                && set(&net.pkt_tag_type).is_none()
                && net.pkt_tag.is_none()
                && set(&net.gateway).is_none();
            if known.is_some() && names_only {
                continue;
            }
            let encap = match set(&net.pkt_tag_type) {
                Some(t) => encap(t).map_err(|e| invalid(format!("{what}: PktTagType {e}")))?,
                None => known.map_or(default_encap, |n| n.encap),
            };
            let subnet = match typed(&what, "SubnetCIDR", &net.subnet_cidr)? {
                Some(cidr) => cidr,
                None if known.is_some() => known.map(|n| n.subnet).expect("known"),
                None => {
                    let carved = carve(pool, alloc_len, &taken)
                        .map_err(|e| invalid(format!("{what}: {e}")))?;
                    taken.push(carved);
                    Ipv4Subnet::new(carved).map_err(|e| invalid(format!("{what}: {e}")))?
                }
            };
            networks.push(Network {
                tenant_name: tenant.clone(),
                network_name: net.name.clone(),
                encap,
                pkt_tag: net.pkt_tag,
                subnet,
                gateway: typed(&what, "Gateway", &net.gateway)?,
                ipv6_subnet: None,
                ipv6_gateway: None,
                multicast: Default::default(),
                nw_type: Default::default(),
                cfgd_tag: None,
            });
        }
        Ok(networks)
    }
}

/// The next subnet of length `len` (24 when none) of `pool` that overlaps none of `taken`.
fn carve(pool: Option<Ipv4Net>, len: Option<u8>, taken: &[Ipv4Net]) -> Result<Ipv4Net, String> {
    let pool = pool.ok_or("no SubnetCIDR, and the tenant has no SubnetPool to carve one from")?;
    let len = len.unwrap_or(24);
    let overlaps = |a: &Ipv4Net, b: &Ipv4Net| a.contains(&b.network()) || b.contains(&a.network());
    pool.subnets(len)
        .map_err(|_| {
            format!(
                "AllocSubnetLen {len} must be between the pool's length {} and 32",
                pool.prefix_len()
            )
        })?
        .find(|candidate| !taken.iter().any(|t| overlaps(t, candidate)))
        .ok_or_else(|| format!("SubnetPool {pool} has no free /{len} left"))
}

impl FileTenant {
    /// The tenant's endpoints: a container on several networks gets one interface per network,
    /// `eth0`, `eth1`, ... in file order, as in the original.
    fn endpoints(&self) -> Result<Vec<Endpoint>, IntentFileError> {
        let mut endpoints: Vec<Endpoint> = Vec::new();
        for net in &self.networks {
            for ep in &net.endpoints {
                let mine: Vec<&Endpoint> = endpoints
                    .iter()
                    .filter(|e| e.container_name == ep.container)
                    .collect();
                if let Some(other) = mine.iter().find(|e| e.network_name == net.name) {
                    return Err(invalid(format!(
                        "container `{}` is on network `{}` of tenant `{}` twice",
                        ep.container, other.network_name, self.name
                    )));
                }
                let interface = (!mine.is_empty()).then(|| format!("eth{}", mine.len()));
                let what = format!("endpoint `{}:{}`", self.name, ep.container);
                endpoints.push(Endpoint {
                    tenant_name: self.name.clone(),
                    network_name: net.name.clone(),
                    group_name: None,
                    container_name: ep.container.clone(),
                    host: set(&ep.host).map(Into::into),
                    interface,
                    mac_address: typed(&what, "MacAddress", &ep.mac_address)?,
                    ip_address: typed(&what, "IPAddress", &ep.ip_address)?,
                    ipv6_address: None,
                    external: ep.external,
                    attach_uuid: set(&ep.attach_uuid).map(Into::into),
                    sandbox: None,
                });
            }
        }
        Ok(endpoints)
    }
}

/// `vlan` or `vxlan`, any case.
fn encap(s: &str) -> Result<Encap, String> {
    match s.to_ascii_lowercase().as_str() {
        "vlan" => Ok(Encap::Vlan),
        "vxlan" => Ok(Encap::Vxlan),
        _ => Err(format!("`{s}` is neither `vlan` nor `vxlan`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(pool: &str, len: Option<u8>, nets: &[(&str, Option<&str>)]) -> FileTenant {
        FileTenant {
            name: "t".into(),
            subnet_pool: Some(pool.into()),
            alloc_subnet_len: len,
            networks: nets
                .iter()
                .map(|(name, cidr)| FileNetwork {
                    name: (*name).into(),
                    subnet_cidr: cidr.map(Into::into),
                    ..FileNetwork::default()
                })
                .collect(),
            ..FileTenant::default()
        }
    }

    fn subnets(t: &FileTenant) -> Vec<String> {
        t.networks(&Existing::default())
            .unwrap()
            .into_iter()
            .map(|n| n.subnet.to_string())
            .collect()
    }

    #[test]
    fn carving_is_sequential_and_skips_explicit_subnets() {
        let t = tenant(
            "11.1.0.0/16",
            None,
            &[
                ("a", None),
                ("b", Some("11.1.1.0/24")),
                ("c", None),
                ("d", Some("11.1.4.0/23")),
                ("e", None),
                ("f", None),
            ],
        );
        assert_eq!(
            subnets(&t),
            [
                "11.1.0.0/24",
                "11.1.1.0/24",
                "11.1.2.0/24",
                "11.1.4.0/23",
                "11.1.3.0/24",
                "11.1.6.0/24"
            ]
        );
    }

    #[test]
    fn carving_honours_alloc_len_and_exhaustion() {
        let t = tenant("10.0.0.0/24", Some(25), &[("a", None), ("b", None)]);
        assert_eq!(subnets(&t), ["10.0.0.0/25", "10.0.0.128/25"]);
        let t = tenant(
            "10.0.0.0/24",
            Some(25),
            &[("a", None), ("b", None), ("c", None)],
        );
        let err = t.networks(&Existing::default()).unwrap_err().to_string();
        assert!(err.contains("no free /25"), "{err}");
        let t = tenant("10.0.0.0/24", Some(16), &[("a", None)]);
        let err = t.networks(&Existing::default()).unwrap_err().to_string();
        assert!(err.contains("AllocSubnetLen 16"), "{err}");
        let t = tenant("10.0.0.0/33", None, &[("a", None)]);
        let err = t.networks(&Existing::default()).unwrap_err().to_string();
        assert!(
            err.contains("SubnetPool `10.0.0.0/33` is not an IPv4 subnet"),
            "{err}"
        );
    }

    #[test]
    fn carving_at_the_top_of_the_address_space() {
        // The pool runs out: the third network gets nothing.
        let t = tenant(
            "223.255.255.0/24",
            Some(25),
            &[("a", Some("223.255.255.0/25")), ("b", None), ("c", None)],
        );
        let err = t.networks(&Existing::default()).unwrap_err().to_string();
        assert!(err.contains("network `t:c`"), "{err}");
        // At the very top, the reserved block is refused before any arithmetic can overflow.
        let t = tenant(
            "255.255.255.0/24",
            Some(25),
            &[("a", None), ("b", None), ("c", None)],
        );
        let err = t.networks(&Existing::default()).unwrap_err().to_string();
        assert!(err.contains("240.0.0.0/4 (reserved)"), "{err}");
    }

    #[test]
    fn pkt_tag_forms() {
        let parse_tag = |json: &str| {
            serde_json::from_str::<FileNetwork>(&format!(r#"{{"Name":"n","PktTag":{json}}}"#))
                .map(|n| n.pkt_tag)
        };
        assert_eq!(parse_tag("\"100\"").unwrap(), Some(100));
        assert_eq!(parse_tag("100").unwrap(), Some(100));
        assert_eq!(parse_tag("\"auto\"").unwrap(), None);
        assert_eq!(parse_tag("\"\"").unwrap(), None);
        let err = parse_tag("\"x1\"").unwrap_err().to_string();
        assert!(
            err.contains("PktTag `x1` is not a number") && err.contains("line 1"),
            "{err}"
        );
    }
}
