//! The two ends of a traced packet: where the sender is plugged in, what the destination's
//! addresses are, and the packet the sender's stack would put on the wire.

use crate::compiled::Compiled;
use crate::compiler::gateway::GATEWAY_MAC;
use fakeswitch::Packet;
use northbound_api::model::{Endpoint, FwdMode, Network};
use northbound_api::oper::OperError;
use northbound_api::trace::{TraceProtocol, TraceRequest, TraceTarget};
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
    let (host, port) = placement(compiled, &from).ok_or_else(|| {
        OperError::NotFound(format!(
            "endpoint `{from}` is on no switch: no agent reported its port"
        ))
    })?;
    let (Some(smac), Some(sip)) = (src.mac_address, src.ip_address) else {
        return Err(OperError::Invalid(format!(
            "endpoint `{from}` has no IPv4 address to send from"
        )));
    };
    let (dip, dmac) = destination(compiled, request, src)?;
    let sport = request.sport.unwrap_or(DEFAULT_SPORT);
    let dport = request.dport.unwrap_or(DEFAULT_DPORT);
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
    Ok(Start {
        host,
        packet,
        arrived: format!("endpoint {from}"),
        text: format!("{proto} {sip} > {dip}, {smac} > {dmac}"),
    })
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
        .hosts
        .iter()
        .find_map(|(host, h)| h.endpoint_ports.get(key).map(|p| (host.clone(), *p)))
}

/// The destination's IPv4 address, and the MAC the sender sends to: the destination's own
/// in the sender's network, the gateway's beyond it (routing mode).
fn destination(
    compiled: &Compiled,
    request: &TraceRequest,
    src: &Endpoint,
) -> Result<(Ipv4Addr, MacAddr), OperError> {
    let intent = &compiled.intent;
    let tenant = &request.tenant;
    let src_net_key = format!("{tenant}:{}", src.network_name);
    let src_net = intent
        .networks
        .get(&src_net_key)
        .ok_or_else(|| OperError::NotFound(format!("networks `{src_net_key}` not found")))?;
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
    if let Some(e) = dst.filter(|e| e.network_name == src.network_name) {
        let mac = e.mac_address.ok_or_else(|| {
            OperError::Invalid(format!(
                "endpoint `{tenant}:{}` has no MAC",
                e.container_name
            ))
        })?;
        return Ok((ip, mac));
    }
    if routes(compiled, src_net)
        && (src_net.gateway == Some(ip) || !src_net.subnet.net().contains(&ip))
    {
        return Ok((ip, GATEWAY_MAC));
    }
    Err(OperError::Invalid(match dst {
        Some(e) => format!(
            "{ip} (endpoint `{tenant}:{}`) is in network `{}`, not in the sender's `{}`, and \
             the sender's network routes nothing (no gateway, or forwarding mode bridge): the \
             sender has no way to it",
            e.container_name, e.network_name, src.network_name
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
