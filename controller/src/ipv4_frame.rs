//! The IPv4 packet of an untagged Ethernet frame, as netmaster's packet-in applications (the
//! gateway echo responder, DNS) read it: its header checked (version, header length, total
//! length within the frame), room for at least a UDP or ICMP header after it.

use std::net::Ipv4Addr;

/// Why a frame holds no usable IPv4 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Too short, or not IPv4 by its ethertype.
    NotIpv4,
    /// IPv4 by its ethertype, but the header is not well formed.
    Malformed,
}

/// An IPv4 packet inside a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Packet<'a> {
    /// The IP header and what follows it, up to the end of the frame.
    ip: &'a [u8],
    /// The header's length.
    ihl: usize,
    /// The packet's total length.
    total: usize,
}

impl<'a> Ipv4Packet<'a> {
    /// The IPv4 packet of `frame`.
    pub fn of(frame: &'a [u8]) -> Result<Ipv4Packet<'a>, FrameError> {
        if frame.len() < 14 + 20 + 8 || frame[12..14] != [0x08, 0x00] {
            return Err(FrameError::NotIpv4);
        }
        let ip = &frame[14..];
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
        if ip[0] >> 4 != 4 || ihl < 20 || total < ihl + 8 || total > ip.len() {
            return Err(FrameError::Malformed);
        }
        Ok(Ipv4Packet { ip, ihl, total })
    }

    /// The protocol number (1 ICMP, 17 UDP).
    pub fn protocol(&self) -> u8 {
        self.ip[9]
    }

    /// The source address.
    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::new(self.ip[12], self.ip[13], self.ip[14], self.ip[15])
    }

    /// The destination address.
    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::new(self.ip[16], self.ip[17], self.ip[18], self.ip[19])
    }

    /// What follows the header, up to the total length (at least 8 bytes).
    pub fn payload(&self) -> &'a [u8] {
        &self.ip[self.ihl..self.total]
    }
}
