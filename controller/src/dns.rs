//! The tenants' name responder (`Global::dns_address`): the switches send the DNS queries of
//! their local endpoints to the DNS address here ([`crate::compiler::dns`]), and this
//! packet-in application answers each from the compiled intent, with the names of the asking
//! network's tenant only:
//! * `container` is the container's address (its endpoint on the asking network when it has
//!   several, else its first interface's), `container.network` its address on that network;
//!   names are case-insensitive, a trailing dot is allowed;
//! * `A` gets the IPv4 address, `AAAA` the IPv6 one; a known name without such an address
//!   gets an empty answer (NOERROR), an unknown name — another tenant's included — NXDOMAIN;
//! * anything but a standard query gets NOTIMP, a query without exactly one question FORMERR.
//!
//! Which network asks is what the compiled plan says of the switch port the query came in
//! on (port security already checked its source MAC and address); a packet-in from a port that
//! is no endpoint's, or that is not a well-formed UDP datagram to port 53, is counted and
//! dropped. The answer is sent back out of the port the query came in on, from the DNS
//! address and [`DNS_MAC`].

use crate::app::{send_frame, PacketInApp};
use crate::checksum::checksum;
use crate::compiled::Compiled;
use crate::compiler::dns::{DNS_APP, DNS_MAC, DNS_PORT};
use crate::cookie::{Cookie, OwnerKind};
use crate::intent::Snapshot;
use crate::ipv4_frame::Ipv4Packet;
use crate::session::{dpid_str, SwitchHandle};
use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA};
use hickory_proto::rr::{RData, Record, RecordType};
use northbound_api::model::Endpoint;
use ofproto::msg::PacketIn;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::watch;
use tracing::warn;

/// How long resolvers may cache an answer, in seconds (endpoints come and go).
const TTL: u32 = 5;

/// Why a packet-in gets no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoAnswer {
    /// Not untagged Ethernet, IPv4, UDP to port 53.
    #[error("not a UDP datagram to port 53")]
    NotDns,
    /// The DNS message does not decode.
    #[error("the DNS message does not decode: {0}")]
    Undecodable(String),
    /// The packet-in carries no `in_port`, or its port is no endpoint's.
    #[error("not from an endpoint's port")]
    NotAnEndpoint,
}

/// A query as it came in: where it came from and its DNS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// The sender's MAC address.
    pub mac: [u8; 6],
    /// The sender's address.
    pub src: Ipv4Addr,
    /// The address it was sent to.
    pub dst: Ipv4Addr,
    /// The sender's UDP port.
    pub port: u16,
    /// The DNS message.
    pub payload: &'a [u8],
}

/// The UDP datagram to port 53 in `frame` (untagged Ethernet, IPv4).
pub fn datagram(frame: &[u8]) -> Result<Datagram<'_>, NoAnswer> {
    let ip = Ipv4Packet::of(frame).map_err(|_| NoAnswer::NotDns)?;
    if ip.protocol() != 17 {
        return Err(NoAnswer::NotDns);
    }
    let udp = ip.payload();
    let len = usize::from(u16::from_be_bytes([udp[4], udp[5]]));
    if u16::from_be_bytes([udp[2], udp[3]]) != DNS_PORT || len < 8 || len > udp.len() {
        return Err(NoAnswer::NotDns);
    }
    Ok(Datagram {
        mac: frame[6..12].try_into().expect("six bytes"),
        src: ip.src(),
        dst: ip.dst(),
        port: u16::from_be_bytes([udp[0], udp[1]]),
        payload: &udp[8..len],
    })
}

/// The endpoint `name` (lowercase, without a trailing dot) names for a query from network
/// `network` of `tenant`: `container` or `container.network`.
pub fn lookup<'a>(
    snapshot: &'a Snapshot,
    tenant: &str,
    network: &str,
    name: &str,
) -> Option<&'a Endpoint> {
    let prefix = format!("{tenant}:");
    let mine: Vec<&'a Endpoint> = snapshot
        .endpoints
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, e)| e)
        .filter(|e| !e.external)
        .collect();
    let named = |container: &str| -> Vec<&'a Endpoint> {
        mine.iter()
            .copied()
            .filter(|e| e.container_name.eq_ignore_ascii_case(container))
            .collect()
    };
    let whole = named(name);
    if let Some(e) = whole
        .iter()
        .find(|e| e.network_name == network)
        .or_else(|| whole.first())
    {
        return Some(e);
    }
    let (container, net) = name.rsplit_once('.')?;
    named(container)
        .into_iter()
        .find(|e| e.network_name.eq_ignore_ascii_case(net))
}

/// The answer to DNS message `query` from network `network` of `tenant`; `None` when it is
/// not a query (a response sent to the responder).
pub fn answer(
    snapshot: &Snapshot,
    tenant: &str,
    network: &str,
    query: &Message,
) -> Option<Message> {
    if query.metadata.message_type != MessageType::Query {
        return None;
    }
    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
    reply.metadata.authoritative = true;
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.add_queries(query.queries.iter().cloned());
    if query.metadata.op_code != OpCode::Query {
        reply.metadata.response_code = ResponseCode::NotImp;
        return Some(reply);
    }
    let [q] = query.queries.as_slice() else {
        reply.metadata.response_code = ResponseCode::FormErr;
        return Some(reply);
    };
    let name = q.name().to_lowercase().to_ascii();
    let name = name.trim_end_matches('.');
    let Some(e) = lookup(snapshot, tenant, network, name) else {
        reply.metadata.response_code = ResponseCode::NXDomain;
        return Some(reply);
    };
    let rdata = match q.query_type() {
        RecordType::A => e.ip_address.map(|ip| RData::A(A(ip))),
        RecordType::AAAA => e.ipv6_address.map(|ip| RData::AAAA(AAAA(ip))),
        _ => None,
    };
    if let Some(rdata) = rdata {
        reply.add_answer(Record::from_rdata(q.name().clone(), TTL, rdata));
    }
    Some(reply)
}

/// The Ethernet frame that carries `reply` back to the sender of `query`, from the DNS
/// address it asked and [`DNS_MAC`].
pub fn reply_frame(query: &Datagram<'_>, reply: &[u8]) -> Vec<u8> {
    let udp_len = 8 + reply.len();
    let mut udp = Vec::with_capacity(udp_len);
    udp.extend_from_slice(&DNS_PORT.to_be_bytes());
    udp.extend_from_slice(&query.port.to_be_bytes());
    udp.extend_from_slice(&(udp_len as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(reply);
    // The UDP checksum over the pseudo-header and the datagram.
    let mut pseudo = Vec::with_capacity(12 + udp.len());
    pseudo.extend_from_slice(&query.dst.octets());
    pseudo.extend_from_slice(&query.src.octets());
    pseudo.extend_from_slice(&[0, 17]);
    pseudo.extend_from_slice(&(udp_len as u16).to_be_bytes());
    pseudo.extend_from_slice(&udp);
    let sum = match checksum(&pseudo) {
        0 => 0xffff,
        s => s,
    };
    udp[6..8].copy_from_slice(&sum.to_be_bytes());
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0];
    ip[2..4].copy_from_slice(&((20 + udp_len) as u16).to_be_bytes());
    ip.extend_from_slice(&query.dst.octets());
    ip.extend_from_slice(&query.src.octets());
    let c = checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let mut frame = Vec::with_capacity(14 + ip.len() + udp.len());
    frame.extend_from_slice(&query.mac);
    frame.extend_from_slice(&DNS_MAC.0);
    frame.extend_from_slice(&[0x08, 0x00]);
    frame.extend(ip);
    frame.extend(udp);
    frame
}

/// The application: answers the DNS queries of every switch.
pub struct DnsResponder<F> {
    switch: F,
    compiled: watch::Receiver<Arc<Compiled>>,
    refused: AtomicU64,
}

impl<F: Fn(u64) -> Option<SwitchHandle> + Send + Sync> DnsResponder<F> {
    /// A responder that reads names and ports from `compiled` and finds a switch's session
    /// with `switch`.
    pub fn new(compiled: watch::Receiver<Arc<Compiled>>, switch: F) -> DnsResponder<F> {
        DnsResponder {
            switch,
            compiled,
            refused: AtomicU64::new(0),
        }
    }

    /// How many packet-ins were not answered.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The frame answering packet-in `pi` of switch `dpid`, and the port it goes out of.
    pub fn respond(&self, dpid: u64, pi: &PacketIn) -> Result<Option<(u32, Vec<u8>)>, NoAnswer> {
        let port = pi.in_port().ok_or(NoAnswer::NotAnEndpoint)?;
        let compiled = self.compiled.borrow().clone();
        let (net, _) = compiled
            .multicast
            .ports
            .get(&(dpid, port))
            .ok_or(NoAnswer::NotAnEndpoint)?;
        let key = &compiled
            .multicast
            .networks
            .get(net)
            .ok_or(NoAnswer::NotAnEndpoint)?
            .key;
        let (tenant, network) = key.split_once(':').ok_or(NoAnswer::NotAnEndpoint)?;
        let query = datagram(&pi.data)?;
        let message =
            Message::from_vec(query.payload).map_err(|e| NoAnswer::Undecodable(e.to_string()))?;
        let Some(reply) = answer(&compiled.intent, tenant, network, &message) else {
            return Ok(None);
        };
        let bytes = reply
            .to_vec()
            .map_err(|e| NoAnswer::Undecodable(e.to_string()))?;
        Ok(Some((port, reply_frame(&query, &bytes))))
    }
}

impl<F: Fn(u64) -> Option<SwitchHandle> + Send + Sync> PacketInApp for DnsResponder<F> {
    fn packet_in(&self, dpid: u64, pi: &PacketIn) {
        if pi.cookie != Cookie::new(OwnerKind::PacketIn, DNS_APP) {
            return;
        }
        let (port, frame) = match self.respond(dpid, pi) {
            Ok(Some(answer)) => answer,
            Ok(None) => return,
            Err(e) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                warn!(dpid = %dpid_str(dpid), error = %e, "DNS packet-in refused");
                return;
            }
        };
        if let Some(handle) = (self.switch)(dpid) {
            send_frame(&handle, port, frame, "DNS answer");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;
    use hickory_proto::rr::Name;
    use northbound_api::model::Endpoint;

    fn endpoint(tenant: &str, network: &str, container: &str, ip: [u8; 4]) -> Endpoint {
        Endpoint {
            host: Some("host1".into()),
            ip_address: Some(ip.into()),
            ..Endpoint::named(tenant, network, container)
        }
    }

    fn snapshot() -> Snapshot {
        let mut s = Snapshot::default();
        for e in [
            endpoint("blue", "web", "Web1", [10, 0, 0, 2]),
            endpoint("blue", "db", "db1", [10, 0, 1, 2]),
            endpoint("red", "web", "web1", [10, 0, 0, 3]),
            endpoint("red", "web", "redonly", [10, 0, 0, 4]),
        ] {
            s.endpoints.insert(e.key(), e);
        }
        // A container on two networks of blue: eth0 on web, eth1 on db.
        let mut two = endpoint("blue", "web", "two", [10, 0, 0, 9]);
        s.endpoints.insert(two.key(), two.clone());
        two.network_name = "db".into();
        two.interface = Some("eth1".into());
        two.ip_address = Some([10, 0, 1, 9].into());
        s.endpoints.insert(two.key(), two);
        s
    }

    fn ask(name: &str, qtype: RecordType, tenant: &str, network: &str) -> Message {
        let mut q = Message::query();
        q.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
        answer(&snapshot(), tenant, network, &q).expect("an answer")
    }

    fn addresses(m: &Message) -> Vec<String> {
        m.answers.iter().map(|r| r.data.to_string()).collect()
    }

    #[test]
    fn names_of_the_asking_tenant_only() {
        let m = ask("web1", RecordType::A, "blue", "web");
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert_eq!(addresses(&m), ["10.0.0.2"], "case-insensitive");
        let m = ask("web1.", RecordType::A, "red", "web");
        assert_eq!(addresses(&m), ["10.0.0.3"], "red's own web1");
        let m = ask("redonly", RecordType::A, "blue", "web");
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        assert!(m.answers.is_empty());
        let m = ask("nobody", RecordType::A, "blue", "web");
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    }

    #[test]
    fn container_dot_network_and_several_interfaces() {
        assert_eq!(
            addresses(&ask("db1.db", RecordType::A, "blue", "web")),
            ["10.0.1.2"]
        );
        assert_eq!(
            ask("db1.web", RecordType::A, "blue", "web")
                .metadata
                .response_code,
            ResponseCode::NXDomain
        );
        // The asking network's interface first, else the first one.
        assert_eq!(
            addresses(&ask("two", RecordType::A, "blue", "db")),
            ["10.0.1.9"]
        );
        assert_eq!(
            addresses(&ask("two", RecordType::A, "blue", "web")),
            ["10.0.0.9"]
        );
        assert_eq!(
            addresses(&ask("two.db", RecordType::A, "blue", "web")),
            ["10.0.1.9"]
        );
        // A known name without an IPv6 address: an empty answer, not NXDOMAIN.
        let m = ask("web1", RecordType::AAAA, "blue", "web");
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.answers.is_empty());
    }

    #[test]
    fn the_reply_frame_goes_back_from_the_dns_address_with_good_checksums() {
        let mut q = Message::query();
        q.add_query(Query::query(
            Name::from_ascii("web1").unwrap(),
            RecordType::A,
        ));
        let payload = q.to_vec().unwrap();
        let query = Datagram {
            mac: [2, 0, 0, 0, 0, 5],
            src: Ipv4Addr::new(10, 0, 0, 5),
            dst: Ipv4Addr::new(169, 254, 0, 53),
            port: 40000,
            payload: &payload,
        };
        let frame = reply_frame(&query, b"answer");
        assert_eq!(&frame[..6], &[2, 0, 0, 0, 0, 5]);
        assert_eq!(&frame[6..12], &DNS_MAC.0);
        assert_eq!(checksum(&frame[14..34]), 0, "IPv4 header checksum");
        assert_eq!(&frame[26..34], &[169, 254, 0, 53, 10, 0, 0, 5]);
        // Parsing the frame as if it were a query gives the ports swapped back.
        let mut pseudo = frame[26..34].to_vec();
        pseudo.extend_from_slice(&[0, 17, 0, 14]);
        pseudo.extend_from_slice(&frame[34..]);
        assert_eq!(checksum(&pseudo), 0, "UDP checksum");
        assert_eq!(&frame[34..36], &53u16.to_be_bytes());
        assert_eq!(&frame[36..38], &40000u16.to_be_bytes());
        assert_eq!(&frame[42..], b"answer");
    }

    #[test]
    fn only_udp_to_port_53_is_a_query() {
        let mut q = Message::query();
        q.add_query(Query::query(
            Name::from_ascii("web1").unwrap(),
            RecordType::A,
        ));
        let payload = q.to_vec().unwrap();
        let mut frame = reply_frame(
            &Datagram {
                mac: [2, 0, 0, 0, 0, 5],
                src: Ipv4Addr::new(169, 254, 0, 53),
                dst: Ipv4Addr::new(10, 0, 0, 5),
                port: 53,
                payload: &payload,
            },
            &payload,
        );
        // (A frame from port 53 to port 53: a query as far as the parser goes.)
        let d = datagram(&frame).unwrap();
        assert_eq!(d.payload, payload.as_slice());
        assert_eq!(d.port, 53);
        frame[37] = 54; // destination port 54
        assert_eq!(datagram(&frame), Err(NoAnswer::NotDns));
        for n in 0..frame.len() {
            let _ = datagram(&frame[..n]); // never panics
        }
    }
}
