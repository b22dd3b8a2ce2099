//! The aligned tables `netctl <object> ls` prints.

use crate::addr::Ipv4Selector;
use crate::model::{Kind, Object};
use crate::text::printable;
use crate::wire;
use std::fmt::Display;

/// The objects as an aligned table with a header.
pub(super) fn table(kind: Kind, objects: &[Object]) -> String {
    fn opt<T: Display>(s: &Option<T>) -> String {
        s.as_ref().map_or_else(|| "-".into(), T::to_string)
    }
    let header: &[&str] = match kind {
        Kind::Global => &["NAME", "VLANS", "VXLANS"],
        Kind::Tenant => &["NAME"],
        Kind::Network => &["TENANT", "NETWORK", "ENCAP", "PKTTAG", "SUBNET", "GATEWAY"],
        Kind::EndpointGroup => &["TENANT", "GROUP", "NETWORK", "IPPOOL", "POLICIES"],
        Kind::Endpoint => &[
            "TENANT",
            "CONTAINER",
            "NETWORK",
            "GROUP",
            "HOST",
            "IP",
            "MAC",
        ],
        Kind::Host => &["NAME", "VTEPIP", "UPLINKS", "DPID"],
        Kind::Policy => &["TENANT", "POLICY"],
        Kind::NetProfile => &["TENANT", "PROFILE", "BANDWIDTH", "BURST", "DSCP"],
        Kind::Rule => &[
            "TENANT", "POLICY", "RULE", "DIR", "PRIO", "FROM", "TO", "PROTO", "PORT", "ACTION",
        ],
    };
    let mut rows = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    for object in objects {
        rows.push(match object {
            Object::Global(g) => vec![g.name.clone(), g.vlans.to_string(), g.vxlans.to_string()],
            Object::Tenant(t) => vec![t.tenant_name.clone()],
            Object::Network(n) => vec![
                n.tenant_name.clone(),
                n.network_name.clone(),
                wire::to_value(object)["encap"]
                    .as_str()
                    .unwrap_or("-")
                    .into(),
                n.pkt_tag.map_or("-".into(), |t| t.to_string()),
                n.subnet.to_string(),
                opt(&n.gateway),
            ],
            Object::EndpointGroup(g) => vec![
                g.tenant_name.clone(),
                g.group_name.clone(),
                g.network_name.clone(),
                opt(&g.ip_pool),
                if g.policies.is_empty() {
                    "-".into()
                } else {
                    g.policies.join(",")
                },
            ],
            Object::Endpoint(e) => vec![
                e.tenant_name.clone(),
                e.container_name.clone(),
                e.network_name.clone(),
                opt(&e.group_name),
                opt(&e.host),
                opt(&e.ip_address),
                opt(&e.mac_address),
            ],
            Object::Host(h) => vec![
                h.name.clone(),
                opt(&h.vtep_ip),
                if h.uplinks.is_empty() {
                    "-".into()
                } else {
                    h.uplinks.join(",")
                },
                h.dpid.map_or("-".into(), |d| format!("{d:#x}")),
            ],
            Object::Policy(p) => vec![p.tenant_name.clone(), p.policy_name.clone()],
            Object::NetProfile(p) => vec![
                p.tenant_name.clone(),
                p.profile_name.clone(),
                opt(&p.bandwidth),
                p.burst.map_or("-".into(), |b| b.to_string()),
                p.dscp.map_or("-".into(), |d| d.to_string()),
            ],
            Object::Rule(r) => {
                let v = wire::to_value(object);
                let side = |g: &Option<String>, n: &Option<String>, ip: &Option<Ipv4Selector>| {
                    g.clone()
                        .or_else(|| n.clone())
                        .or_else(|| ip.map(|ip| ip.to_string()))
                        .unwrap_or_else(|| "any".into())
                };
                vec![
                    r.tenant_name.clone(),
                    r.policy_name.clone(),
                    r.rule_id.clone(),
                    v["direction"].as_str().unwrap_or("-").into(),
                    r.priority.to_string(),
                    side(&r.from_endpoint_group, &r.from_network, &r.from_ip_address),
                    side(&r.to_endpoint_group, &r.to_network, &r.to_ip_address),
                    r.protocol.clone().unwrap_or_else(|| "any".into()),
                    if r.port == 0 {
                        "any".into()
                    } else {
                        r.port.to_string()
                    },
                    v["action"].as_str().unwrap_or("-").into(),
                ]
            }
        });
    }
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| r.iter().map(|c| printable(c)).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
