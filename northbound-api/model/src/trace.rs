//! `POST /api/v1/trace`: where a packet from an endpoint goes, worked out by netmaster from the
//! compiled pipeline of every switch on its way (like `ovn-trace`): every table it passes, the
//! flow that matched and the object that flow was compiled from, the hops across tunnels and
//! uplinks, and the verdict (delivered to which endpoint, or dropped where and by what).

use crate::flows::FlowOwner;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// What to trace: a packet from one endpoint of a tenant to another or to an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceRequest {
    /// The tenant of both ends.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub tenant: String,
    /// The sending endpoint's container name (an external endpoint's packets come in through
    /// the uplink of the destination's host).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub from: String,
    /// Where the packet enters, when not at the sender's own port: a host's uplink or tunnel,
    /// as if it had crossed the fabric (tagged with the network's VLAN, or with its VNI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<TraceIngress>,
    /// The destination: an endpoint's container name, or an IPv4 address.
    pub to: TraceTarget,
    /// The protocol (ICMP echo request when absent).
    #[serde(default)]
    pub protocol: TraceProtocol,
    /// The TCP or UDP destination port (1 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub dport: Option<u16>,
    /// The TCP or UDP source port (49152 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub sport: Option<u16>,
    /// Also ask Open vSwitch on every switch on the way (`ofproto/trace`, run by the host's
    /// agent) and compare what it matched with the compiled pipeline.
    #[serde(default, skip_serializing_if = "is_false")]
    pub live: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A host's fabric port a traced packet comes in on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceIngress {
    /// The host.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub host: String,
    /// Which of its fabric ports.
    pub port: FabricPort,
}

/// A kind of fabric port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FabricPort {
    /// Its (first) VLAN uplink.
    Uplink,
    /// Its VXLAN tunnel port from the sender's host.
    Tunnel,
}

impl TraceIngress {
    /// `uplink:HOST` or `tunnel:HOST`.
    pub fn parse(text: &str) -> Option<TraceIngress> {
        let (port, host) = text.split_once(':')?;
        let port = match port {
            "uplink" => FabricPort::Uplink,
            "tunnel" => FabricPort::Tunnel,
            _ => return None,
        };
        (!host.is_empty()).then(|| TraceIngress {
            host: host.to_string(),
            port,
        })
    }
}

/// Where a traced packet is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum TraceTarget {
    /// An IPv4 address (of an endpoint of the tenant, or beyond its network's gateway).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Ipv4))]
    Address(Ipv4Addr),
    /// An endpoint's container name.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    Endpoint(String),
}

impl TraceTarget {
    /// An address when `text` is one, else a container name.
    pub fn parse(text: &str) -> TraceTarget {
        text.parse().map_or_else(
            |_| TraceTarget::Endpoint(text.to_string()),
            TraceTarget::Address,
        )
    }
}

/// The protocol of a traced packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TraceProtocol {
    /// An ICMP echo request.
    #[default]
    Icmp,
    /// A TCP SYN.
    Tcp,
    /// A UDP datagram.
    Udp,
}

/// What happened to the packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceReport {
    /// The compiled snapshot traced.
    pub snapshot: u64,
    /// The packet as sent: `icmp 10.1.0.1 > 10.1.0.2, 02:02:0a:01:00:01 > 02:02:0a:01:00:02`.
    pub packet: String,
    /// Every switch the packet (or a copy of it) went through, in the order reached.
    pub hops: Vec<TraceHop>,
    /// The outcome.
    pub verdict: Verdict,
}

/// The packet's way through one switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceHop {
    /// The host of the switch.
    pub host: String,
    /// Its datapath id.
    pub dpid: u64,
    /// The port the packet came in on.
    pub in_port: u32,
    /// The packet as it came in, in `ovs-ofctl` flow syntax (what `ovs-appctl ofproto/trace
    /// br-int FLOW` takes).
    pub packet: String,
    /// What that port is: `endpoint blue:web1`, `tunnel from host1 (VNI 7001)`, `uplink
    /// from host2 (VLAN 100)`.
    pub arrived: String,
    /// The flows it matched, table by table.
    pub steps: Vec<TraceStep>,
    /// Where copies of it left the switch.
    pub outputs: Vec<TraceOutput>,
    /// The table in which no flow matched (the packet was dropped there), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_miss: Option<u8>,
    /// What the trace could not model on this switch (an Open vSwitch extension action such
    /// as connection tracking, which the trace skips).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What Open vSwitch itself did with the packet (a live trace only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveHop>,
}

/// What Open vSwitch's `ofproto/trace` found on one switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LiveHop {
    /// The flows it matched, table by table.
    pub steps: Vec<LiveStep>,
    /// Its datapath actions (`drop`, `3`, `set(tunnel(...)),4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datapath_actions: Option<String>,
    /// It matched the same flows (table, priority, cookie) as the trace of the compiled
    /// pipeline, in the same order.
    pub agrees: bool,
    /// Why there is no usable answer: the agent did not answer in time, `ofproto/trace`
    /// failed, or its output did not parse (then quoted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One table of an Open vSwitch trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LiveStep {
    /// The table.
    pub table: u8,
    /// The matching flow's priority; absent when no flow matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u16>,
    /// The matching flow's cookie (0 when none matched).
    pub cookie: u64,
}

/// One flow a traced packet matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceStep {
    /// The table.
    pub table: u8,
    /// The flow's priority.
    pub priority: u16,
    /// The flow's cookie.
    pub cookie: u64,
    /// The flow as `ovs-ofctl add-flow` takes it.
    pub flow: String,
    /// The object it was compiled from.
    pub owner: FlowOwner,
}

/// A copy of the packet leaving a switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceOutput {
    /// The OpenFlow port (or reserved port number).
    pub port: u32,
    /// Where it leads: `endpoint blue:db1`, `tunnel to host2 (VNI 7001)`, `uplink (VLAN
    /// 100) to host2`, `controller`.
    pub to: String,
}

/// The outcome of a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Verdict {
    /// The endpoints that received the packet (keys, `tenant:container`).
    pub delivered_to: Vec<String>,
    /// Copies that left the fabric or went to netmaster: `uplink of host1 (VLAN 100)`,
    /// `controller`.
    pub left_fabric: Vec<String>,
    /// Where copies were dropped.
    pub dropped: Vec<DropPoint>,
    /// One line: `delivered to blue:db1 on host2`, `dropped on host2 in table 30 by rule
    /// blue:dbp:2`.
    pub summary: String,
    /// With a live trace: whether Open vSwitch matched the same flows on every switch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_agrees: Option<bool>,
}

/// Where a copy of the packet was dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DropPoint {
    /// The host.
    pub host: String,
    /// The table.
    pub table: u8,
    /// The flow that dropped it (absent when no flow matched: the table's miss).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<TraceStep>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_an_address_or_a_name() {
        assert_eq!(
            TraceTarget::parse("10.1.0.2"),
            TraceTarget::Address([10, 1, 0, 2].into())
        );
        assert_eq!(
            TraceTarget::parse("web1"),
            TraceTarget::Endpoint("web1".into())
        );
        let req: TraceRequest =
            serde_json::from_str(r#"{"tenant":"t","from":"a","to":"10.0.0.9"}"#).unwrap();
        assert_eq!(req.to, TraceTarget::Address([10, 0, 0, 9].into()));
        assert_eq!(req.protocol, TraceProtocol::Icmp);
        let req: TraceRequest = serde_json::from_str(
            r#"{"tenant":"t","from":"a","to":"b","protocol":"tcp","dport":80}"#,
        )
        .unwrap();
        assert_eq!(req.to, TraceTarget::Endpoint("b".into()));
        assert_eq!((req.protocol, req.dport), (TraceProtocol::Tcp, Some(80)));
    }

    #[test]
    fn ingress_ports_are_uplinks_or_tunnels_of_a_host() {
        assert_eq!(
            TraceIngress::parse("uplink:host2"),
            Some(TraceIngress {
                host: "host2".into(),
                port: FabricPort::Uplink
            })
        );
        assert_eq!(
            TraceIngress::parse("tunnel:h").map(|i| i.port),
            Some(FabricPort::Tunnel)
        );
        for bad in ["uplink", "uplink:", "port:h", "h"] {
            assert_eq!(TraceIngress::parse(bad), None, "{bad}");
        }
        let req: TraceRequest = serde_json::from_str(
            r#"{"tenant":"t","from":"a","to":"b","ingress":{"host":"h2","port":"tunnel"}}"#,
        )
        .unwrap();
        assert_eq!(req.ingress.map(|i| i.port), Some(FabricPort::Tunnel));
    }

    #[test]
    fn bad_requests_are_refused() {
        for body in [
            r#"{"tenant":"t","from":"a"}"#,
            r#"{"tenant":"t","from":"a","to":"b","protocol":"sctp"}"#,
            r#"{"tenant":"t","from":"a","to":"b","dport":70000}"#,
            r#"{"tenant":"t","from":"a","to":"b","extra":true}"#,
        ] {
            assert!(
                serde_json::from_str::<TraceRequest>(body).is_err(),
                "{body}"
            );
        }
    }
}
