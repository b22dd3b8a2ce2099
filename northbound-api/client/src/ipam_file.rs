//! Addresses managed elsewhere, brought in and taken out (`netctl ipam import|export`): one
//! row per address — tenant, network, IPv4 address, MAC, the owning container, optionally its
//! host and the interface inside it (`eth0` when empty) — as CSV (with the header
//! `tenant,network,address,mac,owner,host,interface`; the last columns may be left out) or as
//! a JSON array of objects with those fields.
//!
//! An imported row becomes the owner's endpoint (`tenant:owner` on the network, with that
//! address and MAC), so netmaster never hands the address or MAC to anyone else, and the
//! container gets them when it appears (`netplugin attach`, CNI, an intent file naming it
//! without addresses keeps them). [`plan`] checks every row against what netmaster has and
//! against the rows before it, and names every row at fault; an export writes the same rows,
//! so that an export imported into another netmaster with the same networks gives the same
//! endpoints.

use crate::addr::{Ipv4Addr, MacAddr};
use crate::intent_file::Existing;
use crate::model::{endpoint_key, Endpoint, Host, Kind, Object, DEFAULT_IFNAME};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One address and its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpamRow {
    /// The tenant.
    pub tenant: String,
    /// The network (of the tenant).
    pub network: String,
    /// The IPv4 address.
    pub address: Ipv4Addr,
    /// The MAC address (netmaster allocates one when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<MacAddr>,
    /// The container that owns it.
    pub owner: String,
    /// The host the container runs on, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The interface inside the container (`eth0` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
}

impl IpamRow {
    /// The owner's endpoint key.
    fn key(&self) -> String {
        endpoint_key(
            &self.tenant,
            &self.owner,
            self.interface.as_deref().unwrap_or(DEFAULT_IFNAME),
        )
    }
}

impl fmt::Display for IpamRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{},{},{},{},{}",
            self.tenant,
            self.network,
            self.address,
            self.mac.map(|m| m.to_string()).unwrap_or_default(),
            self.owner,
            self.host.as_deref().unwrap_or_default(),
            self.interface.as_deref().unwrap_or_default()
        )
    }
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated, with a header line.
    Csv,
    /// A JSON array of rows.
    Json,
}

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum IpamFileError {
    /// A CSV line that does not parse (its line number is in the message).
    #[error("malformed CSV: {0}")]
    Csv(#[from] csv::Error),
    /// JSON that does not parse.
    #[error("malformed JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Reads rows: JSON when the text starts with `[`, else CSV with a header.
pub fn parse(text: &str) -> Result<Vec<IpamRow>, IpamFileError> {
    if text.trim_start().starts_with('[') {
        return Ok(serde_json::from_str(text)?);
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.deserialize::<CsvRow>() {
        rows.push(record?.into());
    }
    Ok(rows)
}

/// A CSV line: empty cells are absent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvRow {
    tenant: String,
    network: String,
    address: Ipv4Addr,
    #[serde(default, deserialize_with = "csv::invalid_option")]
    mac: Option<MacAddr>,
    owner: String,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    interface: Option<String>,
}

impl From<CsvRow> for IpamRow {
    fn from(r: CsvRow) -> IpamRow {
        IpamRow {
            tenant: r.tenant,
            network: r.network,
            address: r.address,
            mac: r.mac,
            owner: r.owner,
            host: r.host.filter(|h| !h.is_empty()),
            interface: r.interface.filter(|i| !i.is_empty()),
        }
    }
}

/// Writes rows in `format`.
pub fn write(rows: &[IpamRow], format: Format) -> String {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(rows).expect("rows serialize");
            text.push('\n');
            text
        }
        Format::Csv => {
            let mut text = String::from("tenant,network,address,mac,owner,host,interface\n");
            for row in rows {
                text.push_str(&row.to_string());
                text.push('\n');
            }
            text
        }
    }
}

/// The rows of netmaster's endpoints that have an IPv4 address, in key order.
pub fn export(endpoints: &[Endpoint]) -> Vec<IpamRow> {
    let mut rows: Vec<IpamRow> = endpoints
        .iter()
        .filter_map(|e| {
            Some(IpamRow {
                tenant: e.tenant_name.clone(),
                network: e.network_name.clone(),
                address: e.ip_address?,
                mac: e.mac_address,
                owner: e.container_name.clone(),
                host: e.host.clone(),
                interface: e.interface.clone(),
            })
        })
        .collect();
    rows.sort_by_key(IpamRow::key);
    rows
}

/// A row that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The row's number in the file (1 for the first row, the header not counted).
    pub row: usize,
    /// The row.
    pub text: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {} ({}): {}", self.row, self.text, self.reason)
    }
}

/// What an import does: the objects to create (missing hosts, then the owners' endpoints) and
/// the rows refused.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Hosts the rows name that netmaster lacks, then one endpoint per accepted row.
    pub upserts: Vec<Object>,
    /// The rows at fault, in file order.
    pub refused: Vec<Refused>,
}

/// Checks every row against `existing` and the rows before it (the tenant and network exist,
/// the address is a host address of the network's subnet and not its gateway, neither the
/// address nor the MAC belongs to another endpoint or an earlier row, the owner has no other
/// address); the accepted rows become endpoints. A row that repeats what netmaster has is
/// accepted (importing twice changes nothing).
pub fn plan(rows: &[IpamRow], existing: &Existing) -> Plan {
    let endpoints: Vec<&Endpoint> = existing
        .objects()
        .filter_map(|o| match o {
            Object::Endpoint(e) => Some(e),
            _ => None,
        })
        .collect();
    let mut addresses: BTreeMap<(String, Ipv4Addr), String> = endpoints
        .iter()
        .filter_map(|e| {
            let net = format!("{}:{}", e.tenant_name, e.network_name);
            Some(((net, e.ip_address?), format!("endpoint {}", e.key())))
        })
        .collect();
    let mut macs: BTreeMap<MacAddr, String> = endpoints
        .iter()
        .filter_map(|e| Some((e.mac_address?, format!("endpoint {}", e.key()))))
        .collect();
    let mut owners: BTreeSet<String> = BTreeSet::new();
    let mut hosts: BTreeSet<String> = BTreeSet::new();
    let mut plan = Plan::default();
    let mut accepted = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let number = i + 1;
        let refuse = |reason: String| Refused {
            row: number,
            text: row.to_string(),
            reason,
        };
        match check(row, existing, &addresses, &macs, &owners) {
            Err(reason) => plan.refused.push(refuse(reason)),
            Ok(()) => {
                let me = format!("row {number}");
                let net = format!("{}:{}", row.tenant, row.network);
                addresses.insert((net, row.address), me.clone());
                if let Some(mac) = row.mac {
                    macs.insert(mac, me);
                }
                owners.insert(row.key());
                if let Some(host) = &row.host {
                    if existing.get(Kind::Host, host).is_none() {
                        hosts.insert(host.clone());
                    }
                }
                accepted.push(row);
            }
        }
    }
    plan.upserts.extend(hosts.into_iter().map(|name| {
        Object::Host(Host {
            name,
            vtep_ip: None,
            uplinks: Vec::new(),
            dpid: None,
        })
    }));
    plan.upserts.extend(accepted.into_iter().map(|row| {
        let known = match existing.get(Kind::Endpoint, &row.key()) {
            Some(Object::Endpoint(e)) => Some(e),
            _ => None,
        };
        Object::Endpoint(Endpoint {
            tenant_name: row.tenant.clone(),
            network_name: row.network.clone(),
            group_name: known.and_then(|e| e.group_name.clone()),
            container_name: row.owner.clone(),
            host: row
                .host
                .clone()
                .or_else(|| known.and_then(|e| e.host.clone())),
            interface: row.interface.clone(),
            mac_address: row.mac.or_else(|| known.and_then(|e| e.mac_address)),
            ip_address: Some(row.address),
            ipv6_address: known.and_then(|e| e.ipv6_address),
            external: known.is_some_and(|e| e.external),
            attach_uuid: known.and_then(|e| e.attach_uuid.clone()),
            sandbox: known.and_then(|e| e.sandbox.clone()),
        })
    }));
    plan
}

/// Why `row` cannot be imported, if it cannot.
fn check(
    row: &IpamRow,
    existing: &Existing,
    addresses: &BTreeMap<(String, Ipv4Addr), String>,
    macs: &BTreeMap<MacAddr, String>,
    owners: &BTreeSet<String>,
) -> Result<(), String> {
    for (field, name) in [
        ("tenant", &row.tenant),
        ("network", &row.network),
        ("owner", &row.owner),
    ] {
        crate::name::check(name).map_err(|e| format!("{field} `{name}` {e}"))?;
    }
    for (field, name) in [("host", &row.host), ("interface", &row.interface)] {
        if let Some(name) = name {
            crate::name::check(name).map_err(|e| format!("{field} `{name}` {e}"))?;
        }
    }
    let key = row.key();
    let net_key = format!("{}:{}", row.tenant, row.network);
    let Some(Object::Network(net)) = existing.get(Kind::Network, &net_key) else {
        return Err(format!("network {net_key} does not exist"));
    };
    if !net.subnet.pool().contains(row.address) {
        return Err(format!(
            "{} is not a host address of {net_key}'s subnet {}",
            row.address, net.subnet
        ));
    }
    if net.gateway == Some(row.address) {
        return Err(format!("{} is {net_key}'s gateway", row.address));
    }
    if owners.contains(&key) {
        return Err(format!("owner {key} appears in an earlier row"));
    }
    let me = format!("endpoint {key}");
    if let Some(user) = addresses
        .get(&(net_key.clone(), row.address))
        .filter(|u| **u != me)
    {
        return Err(format!("{} is {user}'s", row.address));
    }
    if let Some(user) = row.mac.and_then(|m| macs.get(&m)).filter(|u| **u != me) {
        return Err(format!("MAC {} is {user}'s", row.mac.expect("a MAC")));
    }
    if let Some(Object::Endpoint(e)) = existing.get(Kind::Endpoint, &key) {
        if e.network_name != row.network {
            return Err(format!("{key} is on network {}", e.network_name));
        }
        if let Some(ip) = e.ip_address.filter(|ip| *ip != row.address) {
            return Err(format!("{key} has {ip} already"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_read_the_same_rows() {
        let csv = "tenant,network,address,mac,owner,host\n\
                   t1, n1, 10.1.1.5, 02:00:00:00:01:05, c5, h1\n\
                   t1,n1,10.1.1.6,,c6,\n";
        let rows = parse(csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].host.as_deref(), Some("h1"));
        assert_eq!((rows[1].mac, rows[1].host.as_deref()), (None, None));
        let json = write(&rows, Format::Json);
        assert_eq!(parse(&json).unwrap(), rows);
        assert_eq!(parse(&write(&rows, Format::Csv)).unwrap(), rows);
        let err = parse("tenant,network,address,mac,owner,host\nt1,n1,10.1.1.300,,c,\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line: 2") || err.contains("line 2"), "{err}");
    }

    #[test]
    fn a_row_of_a_known_endpoint_keeps_what_the_row_does_not_say() {
        let network = crate::model::Network::vxlan("t1", "n1", "10.1.1.0/24".parse().unwrap());
        let known = Endpoint {
            group_name: Some("web".into()),
            host: Some("h1".into()),
            attach_uuid: Some("infra5".into()),
            sandbox: Some("pod5".into()),
            ..Endpoint::named("t1", "n1", "c5")
        };
        let existing = Existing::new([
            Object::Tenant(crate::model::Tenant::named("t1")),
            Object::Network(network),
            Object::Endpoint(known.clone()),
        ]);
        let rows = parse("tenant,network,address,mac,owner\nt1,n1,10.1.1.5,,c5\n").unwrap();
        let p = plan(&rows, &existing);
        assert!(p.refused.is_empty(), "{:?}", p.refused);
        assert_eq!(
            p.upserts,
            [Object::Endpoint(Endpoint {
                ip_address: Some("10.1.1.5".parse().unwrap()),
                ..known
            })]
        );
    }
}
