//! The packet-in load (cbench's, against a real application): each switch sends PACKET_INs
//! as netmaster's gateway echo flow would (its cookie, table 10, in_port 1), each carrying an
//! ICMP echo request to a gateway address, keeps `window` of them outstanding, and checks each
//! PACKET_OUT it gets back, independently of netmaster: out of port 1, from the gateway MAC to
//! the sender's, addresses swapped, an echo reply with the request's id, sequence and data,
//! both checksums right. A request unanswered for [`PATIENCE`] is missing.

use netmaster::compiler::gateway::{ECHO_APP, GATEWAY_MAC};
use netmaster::cookie::{Cookie, OwnerKind};
use ofproto::msg::{PacketIn, PacketOut, OFP_NO_BUFFER};
use ofproto::{Action, Match, OxmField};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a request may wait for its reply.
pub const PATIENCE: Duration = Duration::from_secs(1);
/// The port the requests come in on.
const IN_PORT: u32 = 1;
/// The table of netmaster's gateway echo flow.
const TABLE: u8 = 10;
/// `OFPR_ACTION`.
const REASON_ACTION: u8 = 1;
/// The echo data.
const DATA: &[u8; 32] = b"ofbench packet-in load 0123456\0\0";

/// The internet checksum (RFC 1071) of `data`: 0 over a header that holds its right one.
/// ofbench's own, not netmaster's `checksum`: the check must not share the code it checks.
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Who sends: a switch's emulated endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    mac: [u8; 6],
    ip: [u8; 4],
    gateway: [u8; 4],
    id: u16,
}

impl Sender {
    /// The endpoint of switch `dpid`: MAC 02:..:dpid, address 10.x.y.z from the dpid, gateway
    /// 10.x.y.1 of its /24.
    pub fn of(dpid: u64) -> Sender {
        let [_, _, _, _, _, a, b, c] = dpid.to_be_bytes();
        Sender {
            mac: [0x02, 0x0b, 0, a, b, c],
            ip: [10, a, b, c.max(2)],
            gateway: [10, a, b, 1],
            id: dpid as u16,
        }
    }

    /// Echo request `seq` as the PACKET_IN a switch sends for it.
    pub fn packet_in(&self, seq: u16) -> PacketIn {
        let mut icmp = vec![8, 0, 0, 0];
        icmp.extend_from_slice(&self.id.to_be_bytes());
        icmp.extend_from_slice(&seq.to_be_bytes());
        icmp.extend_from_slice(DATA);
        let c = checksum(&icmp);
        icmp[2..4].copy_from_slice(&c.to_be_bytes());
        let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 1, 0, 0];
        ip[2..4].copy_from_slice(&((20 + icmp.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&self.ip);
        ip.extend_from_slice(&self.gateway);
        let c = checksum(&ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        let mut frame = Vec::with_capacity(14 + ip.len() + icmp.len());
        frame.extend_from_slice(&GATEWAY_MAC.0);
        frame.extend_from_slice(&self.mac);
        frame.extend_from_slice(&[0x08, 0x00]);
        frame.extend(ip);
        frame.extend(icmp);
        PacketIn {
            buffer_id: OFP_NO_BUFFER,
            total_len: frame.len() as u16,
            reason: REASON_ACTION,
            table_id: TABLE,
            cookie: Cookie::new(OwnerKind::PacketIn, ECHO_APP),
            r#match: Match::new().with(OxmField::InPort(IN_PORT)),
            data: frame,
        }
    }

    /// The sequence number `po` answers, if it is a right echo reply to this sender; else
    /// what is wrong with it.
    pub fn check(&self, po: &PacketOut) -> Result<u16, &'static str> {
        if !po
            .actions
            .iter()
            .any(|a| matches!(a, Action::Output { port, .. } if *port == IN_PORT))
        {
            return Err("not sent out of the port the request came in on");
        }
        let f = &po.data;
        if f.len() != 14 + 20 + 8 + DATA.len() {
            return Err("not the length of the echo reply");
        }
        if f[0..6] != self.mac || f[6..12] != GATEWAY_MAC.0 || f[12..14] != [0x08, 0x00] {
            return Err("not from the gateway MAC to the sender's, or not IPv4");
        }
        let (ip, icmp) = (&f[14..34], &f[34..]);
        if ip[0] != 0x45 || ip[9] != 1 || checksum(ip) != 0 {
            return Err("not a well-formed IPv4 header carrying ICMP");
        }
        if ip[12..16] != self.gateway || ip[16..20] != self.ip {
            return Err("addresses not swapped");
        }
        if icmp[0] != 0 || icmp[1] != 0 || checksum(icmp) != 0 {
            return Err("not an ICMP echo reply with a right checksum");
        }
        if icmp[4..6] != self.id.to_be_bytes() || icmp[8..] != DATA[..] {
            return Err("not the request's id and data");
        }
        Ok(u16::from_be_bytes([icmp[6], icmp[7]]))
    }
}

/// One connection's requests in flight.
#[derive(Debug, Default)]
pub struct InFlight {
    sent: BTreeMap<u16, Instant>,
    next: u16,
}

impl InFlight {
    /// Sequence numbers to send now to keep `window` in flight.
    pub fn top_up(&mut self, window: usize) -> Vec<u16> {
        let mut out = Vec::new();
        while self.sent.len() < window {
            let seq = self.next;
            self.next = self.next.wrapping_add(1);
            self.sent.insert(seq, Instant::now());
            out.push(seq);
        }
        out
    }

    /// The request `seq` answered: how long it took (`None`: not in flight).
    pub fn answered(&mut self, seq: u16) -> Option<Duration> {
        self.sent.remove(&seq).map(|t| t.elapsed())
    }

    /// Every request in flight, given up (its connection ended): how many.
    pub fn abandon(&mut self) -> u64 {
        let n = self.sent.len() as u64;
        self.sent.clear();
        n
    }

    /// Whether none is in flight.
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty()
    }

    /// Requests that waited longer than [`PATIENCE`], given up.
    pub fn expire(&mut self) -> u64 {
        let before = self.sent.len();
        self.sent.retain(|_, t| t.elapsed() < PATIENCE);
        (before - self.sent.len()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netmaster_s_own_answer_passes_the_check_and_a_changed_one_fails() {
        let s = Sender::of(0x2a);
        let pi = s.packet_in(7);
        assert_eq!(checksum(&pi.data[14..34]), 0);
        let reply = netmaster::gateway_echo::reply(&pi.data).expect("an echo request");
        let out = |data: Vec<u8>, port: u32| PacketOut {
            buffer_id: OFP_NO_BUFFER,
            in_port: ofproto::action::port_no::CONTROLLER,
            actions: vec![Action::output(port)],
            data,
        };
        assert_eq!(s.check(&out(reply.clone(), 1)), Ok(7));
        assert!(s.check(&out(reply.clone(), 2)).is_err());
        let mut bad = reply.clone();
        bad[40] ^= 1; // the sequence number, without fixing the checksum
        assert!(s.check(&out(bad, 1)).is_err());
        assert!(
            s.check(&out(pi.data.clone(), 1)).is_err(),
            "the request itself"
        );
        // Another sender's reply.
        assert!(Sender::of(0x2b).check(&out(reply, 1)).is_err());
    }

    #[test]
    fn requests_in_flight_are_topped_up_answered_and_expired() {
        let mut f = InFlight::default();
        assert_eq!(f.top_up(3), [0, 1, 2]);
        assert!(f.answered(1).is_some());
        assert!(f.answered(1).is_none());
        assert_eq!(f.top_up(3), [3]);
        assert_eq!(f.expire(), 0);
        assert!(f.top_up(3).is_empty(), "three are in flight");
        assert!(!f.is_empty());
        assert_eq!(f.abandon(), 3);
        assert!(f.is_empty());
        assert_eq!(f.top_up(1), [4]);
    }
}
