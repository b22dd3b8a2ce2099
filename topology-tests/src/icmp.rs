//! A pinger for many destinations at once, without a process per ping: a thread joins the
//! source's network namespace and sends ICMP echo requests from a raw socket to every target,
//! again every second (like `ping`) to those that have not answered, noting when each first
//! answered.

use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// From namespace `ns`, pings every address of `targets` until each answered or `timeout`
/// passed; when each first answered, measured from `since` (`None`: never).
pub fn ping_all(
    ns: &str,
    targets: &[Ipv4Addr],
    since: Instant,
    timeout: Duration,
) -> Vec<Option<Duration>> {
    let ns = ns.to_string();
    let targets = targets.to_vec();
    crate::netns::run_in(&ns, move || run(&targets, since, timeout))
}

fn run(targets: &[Ipv4Addr], since: Instant, timeout: Duration) -> Vec<Option<Duration>> {
    // SAFETY: plain socket(2); the descriptor is owned right away.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP) };
    assert!(
        fd >= 0,
        "raw ICMP socket: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: fd is a fresh descriptor nobody else owns.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 50_000,
    };
    // SAFETY: a valid timeval of the right size.
    unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
    let id = (std::process::id() as u16) ^ (targets.len() as u16).rotate_left(8);
    let mut answered: Vec<Option<Duration>> = vec![None; targets.len()];
    let start = Instant::now();
    let mut last_send: Option<Instant> = None;
    while answered.iter().any(Option::is_none) && start.elapsed() < timeout {
        if last_send.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
            for (seq, (ip, done)) in targets.iter().zip(&answered).enumerate() {
                if done.is_none() {
                    send_echo(&sock, *ip, id, seq as u16);
                }
            }
            last_send = Some(Instant::now());
        }
        let mut buf = [0u8; 1500];
        // SAFETY: buf is valid for its length.
        let n = unsafe { libc::recv(sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n <= 0 {
            continue;
        }
        let pkt = &buf[..n as usize];
        let ihl = usize::from(pkt[0] & 0x0f) * 4;
        if pkt.len() < ihl + 8 || pkt[ihl] != 0 {
            continue; // not an echo reply
        }
        let src = Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]);
        let reply_id = u16::from_be_bytes([pkt[ihl + 4], pkt[ihl + 5]]);
        let seq = usize::from(u16::from_be_bytes([pkt[ihl + 6], pkt[ihl + 7]]));
        if reply_id == id && targets.get(seq) == Some(&src) && answered[seq].is_none() {
            answered[seq] = Some(since.elapsed());
        }
    }
    answered
}

fn send_echo(sock: &OwnedFd, to: Ipv4Addr, id: u16, seq: u16) {
    let mut icmp = [0u8; 16];
    icmp[0] = 8; // echo request
    icmp[4..6].copy_from_slice(&id.to_be_bytes());
    icmp[6..8].copy_from_slice(&seq.to_be_bytes());
    icmp[8..16].copy_from_slice(b"netplugn");
    let sum = checksum(&icmp);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(to.octets()),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: icmp and addr are valid for their lengths; a failed send is retried later.
    unsafe {
        libc::sendto(
            sock.as_raw_fd(),
            icmp.as_ptr().cast(),
            icmp.len(),
            0,
            (&addr as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        );
    }
}

/// The Internet checksum.
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

#[cfg(test)]
mod tests {
    use super::checksum;

    #[test]
    fn checksum_of_an_echo_request() {
        // type 8, code 0, id 1, seq 1, no data: sum 0x0802 -> !0x0802 = 0xf7fd.
        assert_eq!(checksum(&[8, 0, 0, 0, 0, 1, 0, 1]), 0xf7fd);
    }
}
