//! Hand-made frames sent from a container namespace through a raw `AF_PACKET` socket
//! (Python's, from Debian's python3), for what the kernel's own stack never sends: spoofed
//! sources, forged ARP, 802.1Q tags.

use crate::cmd::output;
use std::net::Ipv4Addr;

/// Parses `aa:bb:cc:dd:ee:ff`.
pub fn mac(s: &str) -> [u8; 6] {
    let mut m = [0u8; 6];
    for (b, p) in m.iter_mut().zip(s.split(':')) {
        *b = u8::from_str_radix(p, 16).expect("a MAC address");
    }
    m
}

/// An Ethernet frame carrying a UDP datagram with `payload` (optionally 802.1Q-tagged).
pub fn udp(
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    vlan: Option<u16>,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(dst_mac);
    f.extend(src_mac);
    if let Some(vid) = vlan {
        f.extend(0x8100u16.to_be_bytes());
        f.extend(vid.to_be_bytes());
    }
    f.extend(0x0800u16.to_be_bytes());
    let total = (20 + 8 + payload.len()) as u16;
    let mut ip = vec![0x45, 0];
    ip.extend(total.to_be_bytes());
    ip.extend([0, 0, 0x40, 0, 64, 17, 0, 0]);
    ip.extend(src.octets());
    ip.extend(dst.octets());
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend(ip);
    f.extend(40000u16.to_be_bytes());
    f.extend(40001u16.to_be_bytes());
    f.extend((8 + payload.len() as u16).to_be_bytes());
    f.extend([0, 0]); // no UDP checksum
    f.extend(payload);
    f
}

/// A broadcast ARP request "who has `target`? tell `sender_ip` at `sender_mac`", sent from
/// `src_mac`.
pub fn arp_request(
    src_mac: [u8; 6],
    sender_mac: [u8; 6],
    sender_ip: Ipv4Addr,
    target: Ipv4Addr,
) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend(src_mac);
    f.extend(0x0806u16.to_be_bytes());
    f.extend([0, 1, 8, 0, 6, 4, 0, 1]);
    f.extend(sender_mac);
    f.extend(sender_ip.octets());
    f.extend([0; 6]);
    f.extend(target.octets());
    f
}

/// An IGMPv2 membership report for `group` from `src_mac`/`src` (a join the sender's kernel
/// knows nothing of, so it never answers a query for it).
pub fn igmp_v2_report(src_mac: [u8; 6], src: Ipv4Addr, group: Ipv4Addr) -> Vec<u8> {
    let g = group.octets();
    let mut f = vec![0x01, 0x00, 0x5e, g[1] & 0x7f, g[2], g[3]];
    f.extend(src_mac);
    f.extend(0x0800u16.to_be_bytes());
    let mut ip = vec![0x45, 0xc0, 0, 28, 0, 0, 0x40, 0, 1, 2, 0, 0];
    ip.extend(src.octets());
    ip.extend(g);
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend(ip);
    let mut igmp = vec![0x16, 0, 0, 0];
    igmp.extend(g);
    let sum = checksum(&igmp);
    igmp[2..4].copy_from_slice(&sum.to_be_bytes());
    f.extend(igmp);
    f
}

/// Sends `frames` out of `eth0` in namespace `ns`; panics if Python fails.
pub fn send(ns: &str, frames: &[Vec<u8>]) {
    let hex: Vec<String> = frames
        .iter()
        .map(|f| f.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let script = "import socket,sys\n\
                  s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n\
                  s.bind(('eth0',0))\n\
                  [s.send(bytes.fromhex(h)) for h in sys.argv[1:]]";
    let mut args = vec!["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", script];
    args.extend(hex.iter().map(String::as_str));
    let out = output(&args);
    assert!(
        out.status.success(),
        "sending raw frames from {ns}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

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
