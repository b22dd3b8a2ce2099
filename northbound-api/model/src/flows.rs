//! What `GET /api/v1/flows/?switch=DPID` (or `?host=NAME`, optionally `&owner=OBJ`) answers:
//! a switch's flows as the switch holds them now, read live over OpenFlow, each written as
//! `ovs-ofctl dump-flows` prints it and annotated with the object it was compiled from (its
//! cookie decoded against the latest compiled snapshot).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which switch a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwitchSelector {
    /// The switch with this datapath id.
    Dpid(u64),
    /// The switch of this host.
    Host(String),
}

/// One switch's flows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchFlows {
    /// Its datapath id.
    pub dpid: u64,
    /// The host whose agent reported it, if any.
    pub host: Option<String>,
    /// The compiled snapshot the owners were decoded against.
    pub snapshot: u64,
    /// The flows (only those of the `owner` filter, when one was given), in table, then
    /// descending priority order.
    pub flows: Vec<FlowLine>,
}

/// One flow of a switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlowLine {
    /// Its table.
    pub table: u8,
    /// Its priority.
    pub priority: u16,
    /// Its cookie.
    pub cookie: u64,
    /// Packets that hit it.
    pub packets: u64,
    /// Bytes that hit it.
    pub bytes: u64,
    /// The flow as `ovs-ofctl dump-flows` writes it (cookie, duration, table, counters,
    /// match and actions).
    pub text: String,
    /// The object it was compiled from.
    pub owner: FlowOwner,
}

/// The object a flow was compiled from, decoded from its cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlowOwner {
    /// The kind of owner (the cookie's kind, or `foreign` for another controller's flow).
    pub kind: OwnerKind,
    /// The owning objects' keys (`tenant:network`, `tenant:container`, `tenant:group`,
    /// `tenant:policy:ruleId`): one, or several endpoint groups that share one class (and so
    /// one set of flows). Empty when no object of the snapshot has the cookie's id (the flow
    /// is stale: about to be removed) or for owners that are not objects.
    pub objects: Vec<String>,
    /// What the owner is when it is no object: the base pipeline's table and rule, a static
    /// flow's number, a packet-in application, a multicast group's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl FlowOwner {
    /// An owner that is one kind with objects.
    pub fn of(kind: OwnerKind, objects: Vec<String>) -> FlowOwner {
        FlowOwner {
            kind,
            objects,
            detail: None,
        }
    }

    /// Whether the `owner` filter `obj` selects this owner: `obj` is the kind's name
    /// (`basePipeline`, `rule`, `foreign`, ...), one of the objects, or a prefix of one that
    /// ends before a `:` (a tenant selects all its objects, a policy all its rules).
    pub fn selected_by(&self, obj: &str) -> bool {
        self.kind.as_str() == obj
            || self.objects.iter().any(|o| {
                o == obj
                    || o.strip_prefix(obj)
                        .is_some_and(|rest| rest.starts_with(':'))
            })
    }
}

impl fmt::Display for FlowOwner {
    /// `endpoint blue:web1`, `group blue:web,blue:db`, `basePipeline table 10 rule 1`,
    /// `endpoint (stale id 42)`, `foreign`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        if !self.objects.is_empty() {
            write!(f, " {}", self.objects.join(","))?;
        }
        if let Some(d) = &self.detail {
            write!(f, " {d}")?;
        }
        Ok(())
    }
}

/// The kinds of flow owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum OwnerKind {
    /// The fixed base pipeline every switch gets.
    BasePipeline,
    /// A flow of netmaster's `--flows` file.
    StaticFlow,
    /// A network (classification, flooding, VNI/VLAN mapping).
    Network,
    /// An endpoint (port security, ARP answers, delivery).
    Endpoint,
    /// An endpoint group (classification; connection tracking of a stateful group).
    Group,
    /// A policy rule.
    Rule,
    /// The QoS profile of an endpoint group.
    Qos,
    /// A network's gateway (routing mode).
    Gateway,
    /// A tunnel to a peer host.
    Tunnel,
    /// A multicast group learned by IGMP snooping.
    Multicast,
    /// A flow that sends packets to one of netmaster's packet-in applications.
    PacketIn,
    /// netplugin's cookie with a kind this netmaster does not know.
    Unknown,
    /// Not netplugin's: another controller's or someone's by hand.
    Foreign,
}

impl OwnerKind {
    /// Every kind, in wire order.
    pub const ALL: [OwnerKind; 13] = [
        OwnerKind::BasePipeline,
        OwnerKind::StaticFlow,
        OwnerKind::Network,
        OwnerKind::Endpoint,
        OwnerKind::Group,
        OwnerKind::Rule,
        OwnerKind::Qos,
        OwnerKind::Gateway,
        OwnerKind::Tunnel,
        OwnerKind::Multicast,
        OwnerKind::PacketIn,
        OwnerKind::Unknown,
        OwnerKind::Foreign,
    ];

    /// Its name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::BasePipeline => "basePipeline",
            OwnerKind::StaticFlow => "staticFlow",
            OwnerKind::Network => "network",
            OwnerKind::Endpoint => "endpoint",
            OwnerKind::Group => "group",
            OwnerKind::Rule => "rule",
            OwnerKind::Qos => "qos",
            OwnerKind::Gateway => "gateway",
            OwnerKind::Tunnel => "tunnel",
            OwnerKind::Multicast => "multicast",
            OwnerKind::PacketIn => "packetIn",
            OwnerKind::Unknown => "unknown",
            OwnerKind::Foreign => "foreign",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_the_wire_names() {
        for k in OwnerKind::ALL {
            let wire = serde_json::to_string(&k).unwrap();
            assert_eq!(wire, format!("\"{}\"", k.as_str()));
        }
    }

    #[test]
    fn the_owner_filter_takes_kinds_objects_and_key_prefixes() {
        let rule = FlowOwner::of(OwnerKind::Rule, vec!["blue:dbp:1".into()]);
        for yes in ["rule", "blue:dbp:1", "blue:dbp", "blue"] {
            assert!(rule.selected_by(yes), "{yes}");
        }
        for no in ["endpoint", "blue:db", "blu", "blue:dbp:10", "red"] {
            assert!(!rule.selected_by(no), "{no}");
        }
        let shared = FlowOwner::of(OwnerKind::Group, vec!["blue:db".into(), "blue:web".into()]);
        assert!(shared.selected_by("blue:web") && shared.selected_by("blue:db"));
        assert_eq!(shared.to_string(), "group blue:db,blue:web");
        let base = FlowOwner {
            kind: OwnerKind::BasePipeline,
            objects: Vec::new(),
            detail: Some("table 10 rule 1".into()),
        };
        assert_eq!(base.to_string(), "basePipeline table 10 rule 1");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let line = r#"{"kind":"foreign","objects":[],"extra":1}"#;
        assert!(serde_json::from_str::<FlowOwner>(line).is_err());
    }
}
