//! The kernel's neighbour (ARP) table limits, raised for a test with many containers.
//!
//! Linux keeps one ARP table for all network namespaces, and its limits
//! (`net.ipv4.neigh.default.gc_thresh1..3`, 128 / 512 / 1024 by default) can only be set in the
//! root namespace. The emulated hosts' containers all share this one kernel: 256 containers
//! that each resolve 15 peers need 3,840 entries. Past `gc_thresh3` the kernel creates no
//! entry ("neighbour: arp_cache: neighbor table overflow!" in `dmesg`), so the container sends
//! no packet at all to a peer it has not resolved yet, until old entries are collected. A
//! real host with that many containers needs the same setting.
//!
//! [`Raised`] raises the limits for as long as it lives and puts the previous values back when
//! the last one is dropped (tests in one process may hold several at once).

use std::sync::Mutex;

const SYSCTLS: [&str; 3] = [
    "/proc/sys/net/ipv4/neigh/default/gc_thresh1",
    "/proc/sys/net/ipv4/neigh/default/gc_thresh2",
    "/proc/sys/net/ipv4/neigh/default/gc_thresh3",
];

/// Holders of raised limits in this process, and the values found before the first.
static HELD: Mutex<(usize, Option<[u64; 3]>)> = Mutex::new((0, None));

/// The neighbour table limits raised to hold at least some number of entries; the previous
/// limits come back when the last holder is dropped.
#[derive(Debug)]
pub struct Raised(());

fn read(path: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn write(path: &str, value: u64) {
    std::fs::write(path, value.to_string()).unwrap_or_else(|e| panic!("{path}: {e}"));
}

impl Raised {
    /// Raises the limits so that `entries` neighbour entries fit with room to spare (never
    /// lowers one): the hard limit to twice `entries`, garbage collection from `entries` on.
    pub fn to_hold(entries: u64) -> Self {
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        let before = SYSCTLS.map(read);
        if held.1.is_none() {
            held.1 = Some(before);
        }
        held.0 += 1;
        let wanted = [entries / 2, entries, entries * 2];
        for ((path, now), want) in SYSCTLS.iter().zip(before).zip(wanted) {
            if want > now {
                write(path, want);
            }
        }
        Raised(())
    }
}

impl Drop for Raised {
    fn drop(&mut self) {
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        held.0 -= 1;
        if held.0 == 0 {
            if let Some(before) = held.1.take() {
                for (path, value) in SYSCTLS.iter().zip(before) {
                    write(path, value);
                }
            }
        }
    }
}
