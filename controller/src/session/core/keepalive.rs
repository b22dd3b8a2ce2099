//! Echo keepalive: an ECHO_REQUEST after `echo_interval` of silence (and at most one per
//! interval), and the switch counts as dead after `dead_after` without receiving anything.

use std::time::{Duration, Instant};

/// What the keepalive wants done at a given time.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Due {
    /// Nothing yet.
    Nothing,
    /// Send an ECHO_REQUEST.
    Echo,
    /// The switch is dead: silent for this long.
    Dead(Duration),
}

/// The keepalive timers of one session.
pub(super) struct Keepalive {
    echo_interval: Duration,
    dead_after: Duration,
    last_rx: Instant,
    last_echo: Instant,
}

impl Keepalive {
    /// Timers that start at `now`.
    pub fn new(echo_interval: Duration, dead_after: Duration, now: Instant) -> Keepalive {
        Keepalive {
            echo_interval,
            dead_after,
            last_rx: now,
            last_echo: now,
        }
    }

    /// Something was received.
    pub fn received(&mut self, now: Instant) {
        self.last_rx = self.last_rx.max(now);
    }

    fn next_echo(&self) -> Instant {
        self.last_rx.max(self.last_echo) + self.echo_interval
    }

    fn dead_at(&self) -> Instant {
        self.last_rx + self.dead_after
    }

    /// When the keepalive next needs to act.
    pub fn deadline(&self) -> Instant {
        self.next_echo().min(self.dead_at())
    }

    /// What is due at `now`; an echo counts as sent when this says so.
    pub fn poll(&mut self, now: Instant) -> Due {
        if now >= self.dead_at() {
            return Due::Dead(now.duration_since(self.last_rx));
        }
        if now >= self.next_echo() {
            self.last_echo = now;
            return Due::Echo;
        }
        Due::Nothing
    }
}
