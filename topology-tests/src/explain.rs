//! What netmaster explains about the fabric, checked against what the fabric does: packet
//! traces (`POST /api/v1/trace`) compared with real pings and connections, and every switch's
//! flows (`GET /api/v1/flows`) with an owner from intent.

use crate::matrix::Endpoint;
use crate::Fabric;
use northbound_api::flows::{OwnerKind, SwitchFlows, SwitchSelector};
use northbound_api::trace::{TraceIngress, TraceProtocol, TraceReport, TraceRequest, TraceTarget};
use northbound_client::client::ClientError;

/// The ephemeral port a traced connection's replies go back to.
const EPHEMERAL: u16 = 49152;

/// A trace request for a packet from `from` to `to`'s address, asking Open vSwitch too.
fn live_request(
    from: &Endpoint,
    to: &Endpoint,
    protocol: TraceProtocol,
    ports: Option<(u16, u16)>,
) -> TraceRequest {
    TraceRequest {
        tenant: from.tenant.clone(),
        from: from.name.clone(),
        to: TraceTarget::Address(to.ip),
        protocol,
        sport: ports.map(|p| p.0),
        dport: ports.map(|p| p.1),
        live: true,
        ingress: None,
    }
}

/// The live trace of an ICMP echo request from `from` to `to`, whatever Open vSwitch says.
pub fn live_trace(f: &Fabric, from: &Endpoint, to: &Endpoint) -> TraceReport {
    let request = live_request(from, to, TraceProtocol::Icmp, None);
    f.api(move |c| c.trace(&request))
        .unwrap_or_else(|e| panic!("trace {} -> {}: {e}", from.name, to.name))
}

/// The live trace of a packet from `from` to `to`'s address, which must agree with Open
/// vSwitch on every switch on the way; `Err` with netmaster's reason when the sender has no
/// way to send it (a 400: another network without routing); panics on any other error.
pub fn trace(
    f: &Fabric,
    from: &Endpoint,
    to: &Endpoint,
    protocol: TraceProtocol,
    ports: Option<(u16, u16)>,
) -> Result<TraceReport, String> {
    agreed(f, from, to, live_request(from, to, protocol, ports))
}

/// The same as [`trace`] for a packet that enters through `ingress` (a host's uplink or
/// tunnel port) instead of the sender's own port.
pub fn trace_entering(
    f: &Fabric,
    from: &Endpoint,
    to: &Endpoint,
    protocol: TraceProtocol,
    ingress: TraceIngress,
) -> Result<TraceReport, String> {
    let mut request = live_request(from, to, protocol, None);
    request.ingress = Some(ingress);
    agreed(f, from, to, request)
}

/// `request`'s live trace, which must agree with Open vSwitch; `Err` for a 400.
fn agreed(
    f: &Fabric,
    from: &Endpoint,
    to: &Endpoint,
    request: TraceRequest,
) -> Result<TraceReport, String> {
    match f.api(move |c| c.trace(&request)) {
        Ok(report) => {
            assert_eq!(
                report.verdict.live_agrees,
                Some(true),
                "trace {} -> {}: Open vSwitch differs from the compiled pipeline:\n{}",
                from.name,
                to.name,
                northbound_client::trace_report::render(&report)
            );
            Ok(report)
        }
        Err(ClientError::Api(e)) if e.status == 400 => Err(e.message),
        Err(e) => panic!("trace {} -> {}: {e}", from.name, to.name),
    }
}

/// Whether the trace delivers the packet to `to` (and to no other endpoint).
pub fn delivered(report: &Result<TraceReport, String>, to: &Endpoint) -> bool {
    report
        .as_ref()
        .is_ok_and(|r| r.verdict.delivered_to == [format!("{}:{}", to.tenant, to.name)])
}

/// What the traces say of a ping from `a` to `b`: the echo request reaches `b` and the reply
/// reaches `a`.
pub fn trace_pings(f: &Fabric, a: &Endpoint, b: &Endpoint) -> bool {
    delivered(&trace(f, a, b, TraceProtocol::Icmp, None), b)
        && delivered(&trace(f, b, a, TraceProtocol::Icmp, None), a)
}

/// What the traces say of a TCP connection from `a` to `b:port`: the SYN reaches `b` and the
/// SYN-ACK reaches `a`.
pub fn trace_connects(f: &Fabric, a: &Endpoint, b: &Endpoint, port: u16) -> bool {
    let syn = trace(f, a, b, TraceProtocol::Tcp, Some((EPHEMERAL, port)));
    let ack = trace(f, b, a, TraceProtocol::Tcp, Some((port, EPHEMERAL)));
    delivered(&syn, b) && delivered(&ack, a)
}

/// The owner of the flow that dropped the packet, when one flow dropped it.
pub fn dropped_by(report: &Result<TraceReport, String>) -> Option<String> {
    match report.as_ref().ok()?.verdict.dropped.as_slice() {
        [one] => one.by.as_ref().map(|s| s.owner.to_string()),
        _ => None,
    }
}

/// Every flow of every host's switch, read live through netmaster; asserts that each has an
/// owner in intent (no foreign, unknown or stale flow). The number of flows by owner kind.
pub fn assert_every_flow_owned(f: &Fabric, hosts: &[&str]) -> Vec<(OwnerKind, usize)> {
    let mut counts: Vec<(OwnerKind, usize)> = Vec::new();
    for host in hosts {
        let selector = SwitchSelector::Host(host.to_string());
        let flows: SwitchFlows = f
            .api(move |c| c.flows(&selector, None))
            .unwrap_or_else(|e| panic!("flows of {host}: {e}"));
        assert!(!flows.flows.is_empty(), "{host} holds no flow");
        for line in &flows.flows {
            let o = &line.owner;
            let named = match o.kind {
                OwnerKind::BasePipeline | OwnerKind::PacketIn => o.detail.is_some(),
                OwnerKind::Foreign | OwnerKind::Unknown | OwnerKind::StaticFlow => false,
                _ => !o.objects.is_empty(),
            };
            assert!(named, "{host}: {} has owner `{o}`", line.text);
            match counts.iter_mut().find(|(k, _)| *k == o.kind) {
                Some((_, n)) => *n += 1,
                None => counts.push((o.kind, 1)),
            }
        }
    }
    counts
}
