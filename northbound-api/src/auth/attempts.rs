//! Failed authentications by client address ([`FailedAttempts`]): an address that presented
//! its limit of unknown tokens within [`WINDOW`] (netmaster's default: [`MAX_FAILURES`]) is answered
//! `429` until the window ends,
//! without its tokens being compared any more. The table holds at most [`MAX_ADDRESSES`]
//! addresses, so a flood from many addresses cannot grow it without bound.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures an address may have within one window, by default.
pub const MAX_FAILURES: u32 = 20;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked at once.
pub const MAX_ADDRESSES: usize = 4096;

/// The address a request came from (put in the request by the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Failed authentications per address: when its window started and how many.
pub struct FailedAttempts {
    /// Failures an address may have within one window.
    limit: u32,
    by_addr: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl FailedAttempts {
    /// A table that blocks an address after `limit` failures within a window.
    pub fn new(limit: u32) -> FailedAttempts {
        FailedAttempts {
            limit,
            by_addr: Mutex::default(),
        }
    }

    /// Whether `addr` is blocked at `now` (it failed too often in its current window).
    pub fn blocked(&self, addr: IpAddr, now: Instant) -> bool {
        let table = self.by_addr.lock().unwrap_or_else(|e| e.into_inner());
        table
            .get(&addr)
            .is_some_and(|(start, n)| now.duration_since(*start) < WINDOW && *n >= self.limit)
    }

    /// Counts a failure of `addr` at `now`.
    pub fn failed(&self, addr: IpAddr, now: Instant) {
        let mut table = self.by_addr.lock().unwrap_or_else(|e| e.into_inner());
        if table.len() >= MAX_ADDRESSES && !table.contains_key(&addr) {
            table.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if table.len() >= MAX_ADDRESSES {
                // Every slot is in use: the oldest window makes room.
                if let Some(oldest) = table.iter().min_by_key(|(_, (s, _))| *s).map(|(a, _)| *a) {
                    table.remove(&oldest);
                }
            }
        }
        let entry = table.entry(addr).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_after_too_many_failures_until_its_window_ends() {
        let f = FailedAttempts::new(MAX_FAILURES);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            assert!(!f.blocked(a, t0), "blocked after {i}");
            f.failed(a, t0);
        }
        assert!(f.blocked(a, t0 + Duration::from_secs(1)));
        assert!(!f.blocked(b, t0), "another address is not");
        assert!(!f.blocked(a, t0 + WINDOW), "the window ended");
        f.failed(a, t0 + WINDOW);
        assert!(!f.blocked(a, t0 + WINDOW), "a new window counts from one");
    }

    #[test]
    fn the_table_stays_bounded() {
        let f = FailedAttempts::new(MAX_FAILURES);
        let t0 = Instant::now();
        for i in 0..(MAX_ADDRESSES as u32 + 100) {
            f.failed(
                IpAddr::from(i.to_be_bytes()),
                t0 + Duration::from_millis(i.into()),
            );
        }
        assert_eq!(f.by_addr.lock().unwrap().len(), MAX_ADDRESSES);
    }
}
