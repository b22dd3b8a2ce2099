//! The two ends of a traced packet: where the sender is plugged in, what the destination's
//! addresses are, and the packet the sender's stack would put on the wire.

use crate::compiled::Compiled;
use crate::compiler::gateway::GATEWAY_MAC;
use fakeswitch::Packet;
use northbound_api::model::{Encap, Endpoint, FwdMode, Network};
use northbound_api::oper::OperError;
use northbound_api::trace::{FabricPort, TraceIngress, TraceProtocol, TraceRequest, TraceTarget};
use ofproto::MacAddr;
use std::net::Ipv4Addr;

/// TCP/UDP destination port when the request gives none.
const DEFAULT_DPORT: u16 = 1;
/// TCP/UDP source port when the request gives none (the first ephemeral port).
const DEFAULT_SPORT: u16 = 49152;
/// ICMP echo request.
const ICMP_ECHO_REQUEST: u8 = 8;

/// Where a trace starts.
pub(super) struct Start {
    /// The sender's host.
    pub host: String,
    /// The packet as it enters the sender's switch.
    pub packet: Packet,
    /// What the ingress port is.
    pub arrived: String,
    /// The packet in one line.
    pub text: String,
}

/// The sender's switch, port and packet for `request`.
pub(super) fn start(compiled: &Compiled, request: &TraceRequest) -> Result<Start, OperError> {
    let intent = &compiled.intent;
    let tenant = &request.tenant;
    if !intent.tenants.contains_key(tenant) {
        return Err(OperError::NotFound(format!("tenants `{tenant}` not found")));
    }
    let from = format!("{tenant}:{}", request.from);
    let src = endpoint(compiled, &from)?;
    let (Some(smac), Some(sip)) = (src.mac_address, src.ip_address) else {
        return Err(OperError::Invalid(format!(
            "endpoint `{from}` has no IPv4 address to send from"
        )));
    };
    let net = network(compiled, tenant, &src.network_name)?;
    let (dip, dmac, dst) = destination(compiled, request, src, net)?;
    let sender = placement(compiled, &from);
    let entry = match (&request.ingress, &sender) {
        (Some(i), _) => ingress(compiled, i, net, sender.as_ref().map(|(h, _)| h.as_str()))?,
        (None, Some((host, port))) => Entry {
            host: host.clone(),
            port: *port,
            arrived: format!("endpoint {from}"),
            tag: None,
        },
        // An external endpoint's frames come in through the uplink of the destination's host.
        (None, None) if src.external => {
            let host = dst
                .and_then(|key| placement(compiled, &key))
                .map(|(h, _)| h)
                .ok_or_else(|| {
                    OperError::Invalid(format!(
                        "`{from}` is external and the destination is on no host: give the \
                         uplink it comes in on (ingress)"
                    ))
                })?;
            let uplink = TraceIngress {
                host,
                port: FabricPort::Uplink,
            };
            ingress(compiled, &uplink, net, None)?
        }
        (None, None) => {
            return Err(OperError::NotFound(format!(
                "endpoint `{from}` is on no switch: no agent reported its port"
            )))
        }
    };
    let sport = request.sport.unwrap_or(DEFAULT_SPORT);
    let dport = request.dport.unwrap_or(DEFAULT_DPORT);
    let port = entry.port;
    let (packet, proto) = match request.protocol {
        TraceProtocol::Icmp => (
            Packet::ipv4_icmp(port, smac, dmac, sip, dip, ICMP_ECHO_REQUEST, 0),
            "icmp echo".to_string(),
        ),
        TraceProtocol::Tcp => (
            Packet::ipv4_tcp(port, smac, dmac, sip, dip, sport, dport),
            format!("tcp {sport} > {dport}"),
        ),
        TraceProtocol::Udp => (
            Packet::ipv4_udp(port, smac, dmac, sip, dip, sport, dport),
            format!("udp {sport} > {dport}"),
        ),
    };
    let packet = match entry.tag {
        Some(Tag::Vlan(vid)) => packet.with_vlan(vid, 0),
        Some(Tag::Vni(vni)) => packet.with_tunnel_id(u64::from(vni)),
        None => packet,
    };
    Ok(Start {
        host: entry.host,
        packet,
        arrived: entry.arrived,
        text: format!("{proto} {sip} > {dip}, {smac} > {dmac}"),
    })
}

/// How a packet that crossed the fabric is marked.
enum Tag {
    /// With the network's VLAN.
    Vlan(u16),
    /// With the network's VNI.
    Vni(u32),
}

/// The switch port a trace starts at.
struct Entry {
    host: String,
    port: u32,
    arrived: String,
    tag: Option<Tag>,
}

/// The uplink or tunnel port of `i.host` that a packet of `net` comes in on, from the
/// sender's host `from_host` (for a tunnel port per peer).
fn ingress(
    compiled: &Compiled,
    i: &TraceIngress,
    net: &Network,
    from_host: Option<&str>,
) -> Result<Entry, OperError> {
    let hosts = &compiled.topology.hosts;
    let h = hosts.get(&i.host).ok_or_else(|| {
        OperError::NotFound(format!(
            "host `{}` has no switch: no agent reported it and intent gives it no dpid",
            i.host
        ))
    })?;
    let name = format!("{}:{}", net.tenant_name, net.network_name);
    let tag = net.pkt_tag.unwrap_or_default();
    match (i.port, net.encap) {
        (FabricPort::Uplink, Encap::Vlan) => {
            let port = *h
                .uplinks
                .first()
                .ok_or_else(|| OperError::NotFound(format!("host `{}` has no uplink", i.host)))?;
            let vid = u16::try_from(tag)
                .map_err(|_| OperError::Invalid(format!("network `{name}` has no VLAN")))?;
            Ok(Entry {
                host: i.host.clone(),
                port,
                arrived: format!("uplink (VLAN {vid}) from the physical network"),
                tag: Some(Tag::Vlan(vid)),
            })
        }
        (FabricPort::Tunnel, Encap::Vxlan) => {
            let peer_vtep = from_host.and_then(|f| hosts.get(f)).and_then(|p| p.vtep_ip);
            let port = match peer_vtep {
                Some(vtep) => h.tunnel_port_to(vtep).map(|(p, _)| p),
                None => h.tunnel_ports().first().copied(),
            }
            .ok_or_else(|| {
                OperError::NotFound(format!(
                    "host `{}` has no tunnel port from {}",
                    i.host,
                    from_host.unwrap_or("outside")
                ))
            })?;
            Ok(Entry {
                host: i.host.clone(),
                port,
                arrived: format!("tunnel (VNI {tag}) from {}", from_host.unwrap_or("outside")),
                tag: Some(Tag::Vni(tag)),
            })
        }
        (FabricPort::Uplink, Encap::Vxlan) => Err(OperError::Invalid(format!(
            "network `{name}` is a VXLAN network: its packets come in through tunnels, not uplinks"
        ))),
        (FabricPort::Tunnel, Encap::Vlan) => Err(OperError::Invalid(format!(
            "network `{name}` is a VLAN network: its packets come in through uplinks, not tunnels"
        ))),
    }
}

/// Network `name` of `tenant`.
fn network<'a>(compiled: &'a Compiled, tenant: &str, name: &str) -> Result<&'a Network, OperError> {
    let key = format!("{tenant}:{name}");
    compiled
        .intent
        .networks
        .get(&key)
        .ok_or_else(|| OperError::NotFound(format!("networks `{key}` not found")))
}

/// The endpoint with `key`.
fn endpoint<'a>(compiled: &'a Compiled, key: &str) -> Result<&'a Endpoint, OperError> {
    compiled
        .intent
        .endpoints
        .get(key)
        .ok_or_else(|| OperError::NotFound(format!("endpoints `{key}` not found")))
}

/// The host and OpenFlow port of endpoint `key`, where an agent reported it.
pub(super) fn placement(compiled: &Compiled, key: &str) -> Option<(String, u32)> {
    compiled
        .topology
        .placements()
        .find(|(k, _, _)| *k == key)
        .map(|(_, host, port)| (host.clone(), port))
}

/// The destination's IPv4 address, the MAC the sender sends to (the destination's own in the
/// sender's network `src_net`, the gateway's beyond it in routing mode) and the destination
/// endpoint's key, when an endpoint has the address.
fn destination(
    compiled: &Compiled,
    request: &TraceRequest,
    src: &Endpoint,
    src_net: &Network,
) -> Result<(Ipv4Addr, MacAddr, Option<String>), OperError> {
    let intent = &compiled.intent;
    let tenant = &request.tenant;
    let (ip, dst) = match &request.to {
        TraceTarget::Endpoint(name) => {
            let key = format!("{tenant}:{name}");
            let e = endpoint(compiled, &key)?;
            let ip = e.ip_address.ok_or_else(|| {
                OperError::Invalid(format!("endpoint `{key}` has no IPv4 address"))
            })?;
            (ip, Some(e))
        }
        TraceTarget::Address(ip) => {
            let mut owners: Vec<&Endpoint> = intent
                .endpoints
                .values()
                .filter(|e| e.tenant_name == *tenant && e.ip_address == Some(*ip))
                .collect();
            // An address of the sender's own network first.
            owners.sort_by_key(|e| e.network_name != src.network_name);
            (*ip, owners.first().copied())
        }
    };
    let key = dst.map(Endpoint::key);
    if let Some(e) = dst.filter(|e| e.network_name == src.network_name) {
        let mac = e
            .mac_address
            .ok_or_else(|| OperError::Invalid(format!("endpoint `{}` has no MAC", e.key())))?;
        return Ok((ip, mac, key));
    }
    if routes(compiled, src_net)
        && (src_net.gateway == Some(ip) || !src_net.subnet.net().contains(&ip))
    {
        return Ok((ip, GATEWAY_MAC, key));
    }
    Err(OperError::Invalid(match dst {
        Some(e) => format!(
            "{ip} (endpoint `{}`) is in network `{}`, not in the sender's `{}`, and \
             the sender's network routes nothing (no gateway, or forwarding mode bridge): the \
             sender has no way to it",
            e.key(),
            e.network_name,
            src.network_name
        ),
        None => format!(
            "no endpoint of tenant `{tenant}` has {ip}, and the sender's network `{}` routes \
             nothing to it: the sender's ARP request goes unanswered",
            src.network_name
        ),
    }))
}

/// Whether the sender's network routes: routing mode and a gateway address.
fn routes(compiled: &Compiled, net: &Network) -> bool {
    compiled.intent.global.fwd_mode == FwdMode::Routing && net.gateway.is_some()
}
