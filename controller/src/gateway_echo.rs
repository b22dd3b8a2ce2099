//! The gateway echo responder: in routing mode a network's gateway address answers ping. The
//! switches send an echo request for a gateway address to netmaster (table 10, see
//! [`crate::compiler::gateway`]); this packet-in application sends the echo reply back out of
//! the port it came in on, from the gateway MAC and address. It keeps no state: the flow that
//! sent the request vouches that its destination is the gateway of the sender's network.

use crate::app::{send_frame, PacketInApp};
use crate::checksum::checksum;
use crate::compiler::fault::{self, Fault};
use crate::compiler::gateway::{ECHO_APP, GATEWAY_MAC};
use crate::cookie::{Cookie, OwnerKind};
use crate::ipv4_frame::{FrameError, Ipv4Packet};
use crate::session::SwitchHandle;
use ofproto::msg::PacketIn;
use std::sync::atomic::{AtomicU64, Ordering};

/// ICMP echo request and reply types.
const ECHO_REQUEST: u8 = 8;
const ECHO_REPLY: u8 = 0;

/// Why a packet sent to a gateway gets no echo reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoReply {
    /// Not untagged Ethernet carrying IPv4.
    #[error("not an IPv4 frame")]
    NotIpv4,
    /// Not a well-formed IPv4 packet carrying ICMP.
    #[error("not a well-formed ICMP packet")]
    NotIcmp,
    /// ICMP, but not an echo request, or its checksum is wrong.
    #[error("not an echo request with a good checksum")]
    NotEchoRequest,
}

/// The echo reply to the echo request in `frame` (untagged Ethernet, IPv4, ICMP), or why
/// there is none.
pub fn reply(frame: &[u8]) -> Result<Vec<u8>, NoReply> {
    let ip = Ipv4Packet::of(frame).map_err(|e| match e {
        FrameError::NotIpv4 => NoReply::NotIpv4,
        FrameError::Malformed => NoReply::NotIcmp,
    })?;
    if ip.protocol() != 1 {
        return Err(NoReply::NotIcmp);
    }
    let icmp = ip.payload();
    if icmp[0] != ECHO_REQUEST || checksum(icmp) != 0 {
        return Err(NoReply::NotEchoRequest);
    }
    let mut out = Vec::with_capacity(14 + 20 + icmp.len());
    out.extend_from_slice(&frame[6..12]); // back to the sender
    out.extend_from_slice(&GATEWAY_MAC.0);
    out.extend_from_slice(&[0x08, 0x00]);
    let mut hdr = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 1, 0, 0];
    hdr[2..4].copy_from_slice(&((20 + icmp.len()) as u16).to_be_bytes());
    hdr.extend_from_slice(&ip.dst().octets()); // from the gateway address it was sent to
    hdr.extend_from_slice(&ip.src().octets());
    let c = checksum(&hdr);
    hdr[10..12].copy_from_slice(&c.to_be_bytes());
    out.extend(hdr);
    let mut body = icmp.to_vec();
    body[0] = ECHO_REPLY;
    body[2..4].copy_from_slice(&[0, 0]);
    let c = checksum(&body);
    body[2..4].copy_from_slice(&c.to_be_bytes());
    out.extend(body);
    Ok(out)
}

/// The application: answers the gateway echo requests of every switch.
pub struct GatewayEcho<F> {
    switch: F,
    refused: AtomicU64,
    /// Requests answered (only counted for [`Fault::EchoSilent`]).
    answered: AtomicU64,
}

impl<F: Fn(u64) -> Option<SwitchHandle> + Send + Sync> GatewayEcho<F> {
    /// A responder that finds a switch's session with `switch`.
    pub fn new(switch: F) -> GatewayEcho<F> {
        GatewayEcho {
            switch,
            refused: AtomicU64::new(0),
            answered: AtomicU64::new(0),
        }
    }

    /// How many packet-ins were not answered (malformed, or without an in_port).
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

impl<F: Fn(u64) -> Option<SwitchHandle> + Send + Sync> PacketInApp for GatewayEcho<F> {
    fn packet_in(&self, dpid: u64, pi: &PacketIn) {
        if pi.cookie != Cookie::new(OwnerKind::PacketIn, ECHO_APP) {
            return;
        }
        let (Some(port), Ok(mut frame)) = (pi.in_port(), reply(&pi.data)) else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if fault::active(Fault::EchoWrong) {
            frame[36] ^= 0xff;
        }
        if fault::active(Fault::EchoSilent)
            && self.answered.fetch_add(1, Ordering::Relaxed) % 10 == 9
        {
            return;
        }
        if let Some(handle) = (self.switch)(dpid) {
            send_frame(&handle, port, frame, "gateway echo reply");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ofproto::msg::OFP_NO_BUFFER;

    /// An echo request from 10.0.0.5 (MAC 02:00:00:00:00:05) to 10.0.0.254.
    fn request() -> Vec<u8> {
        let mut icmp = vec![ECHO_REQUEST, 0, 0, 0, 0x12, 0x34, 0, 1, b'h', b'i'];
        let c = checksum(&icmp);
        icmp[2..4].copy_from_slice(&c.to_be_bytes());
        let mut f = GATEWAY_MAC.0.to_vec();
        f.extend([2, 0, 0, 0, 0, 5, 0x08, 0x00]);
        f.extend([
            0x45, 0, 0, 30, 0, 0, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 5, 10, 0, 0, 254,
        ]);
        f.extend(icmp);
        f
    }

    #[test]
    fn the_reply_goes_back_from_the_gateway_with_the_same_id_sequence_and_data() {
        let r = reply(&request()).unwrap();
        assert_eq!(&r[..6], &[2, 0, 0, 0, 0, 5]);
        assert_eq!(&r[6..12], &GATEWAY_MAC.0);
        assert_eq!(&r[14 + 12..14 + 20], &[10, 0, 0, 254, 10, 0, 0, 5]);
        assert_eq!(checksum(&r[14..34]), 0, "IPv4 header checksum");
        let icmp = &r[34..];
        assert_eq!(icmp[0], ECHO_REPLY);
        assert_eq!(checksum(icmp), 0, "ICMP checksum");
        assert_eq!(&icmp[4..], &[0x12, 0x34, 0, 1, b'h', b'i']);
    }

    #[test]
    fn the_application_takes_its_own_packet_ins_and_counts_the_bad_ones() {
        let app = GatewayEcho::new(|_| None);
        let pi = |cookie, data| PacketIn {
            buffer_id: OFP_NO_BUFFER,
            total_len: 0,
            reason: 1,
            table_id: 10,
            cookie,
            r#match: ofproto::Match::new().with(ofproto::OxmField::InPort(1)),
            data,
        };
        let ours = Cookie::new(OwnerKind::PacketIn, ECHO_APP);
        app.packet_in(1, &pi(ours, request()));
        app.packet_in(1, &pi(Cookie::new(OwnerKind::PacketIn, 1), vec![0; 3]));
        assert_eq!(
            app.refused(),
            0,
            "a good request; another application's packet"
        );
        app.packet_in(1, &pi(ours, vec![0; 3]));
        assert_eq!(app.refused(), 1);
    }

    #[test]
    fn anything_else_gets_no_reply() {
        let mut bad_sum = request();
        *bad_sum.last_mut().unwrap() ^= 1;
        let mut reply_type = request();
        reply_type[34] = ECHO_REPLY;
        let mut not_icmp = request();
        not_icmp[14 + 9] = 17;
        for f in [bad_sum, reply_type, not_icmp, request()[..40].to_vec()] {
            assert!(reply(&f).is_err());
        }
        for n in 0..request().len() {
            let _ = reply(&request()[..n]); // never panics
        }
    }
}
