//! Policing of a misbehaving switch: a token bucket on the messages it sends, a bound on the
//! undecodable ones, and the message types a switch must never send.

use ofproto::MsgType;
use std::time::Instant;

/// Token bucket limiting how many messages per second a switch may send (twice that in a
/// burst).
pub(super) struct RateLimit {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    /// A full bucket at `now`.
    pub fn new(per_sec: u32, now: Instant) -> RateLimit {
        RateLimit {
            rate: per_sec as f64,
            tokens: 2.0 * per_sec as f64,
            last: now,
        }
    }

    /// Takes a token; false when the switch exceeds its rate.
    pub fn take(&mut self, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(2.0 * self.rate);
        self.last = self.last.max(now);
        self.tokens -= 1.0;
        self.tokens >= 0.0
    }
}

/// Message types only a controller sends: a switch sending one gets OFPBRC_BAD_TYPE.
pub(super) fn controller_only(t: MsgType) -> bool {
    use MsgType::*;
    matches!(
        t,
        FeaturesRequest
            | GetConfigRequest
            | SetConfig
            | PacketOut
            | FlowMod
            | GroupMod
            | PortMod
            | TableMod
            | MultipartRequest
            | BarrierRequest
            | QueueGetConfigRequest
            | RoleRequest
            | GetAsyncRequest
            | SetAsync
            | MeterMod
    )
}
