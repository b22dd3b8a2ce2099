//! A log line that may repeat fast (a flood of failed handshakes) is written once per interval,
//! with how many were left out ([`Sampled`]).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Decides which occurrences of an event are logged: the first, then at most one per interval.
pub struct Sampled {
    every: Duration,
    /// When one was last logged, and how many occurred since without being logged.
    state: Mutex<(Option<Instant>, u64)>,
}

impl Sampled {
    /// At most one logged occurrence per `every`.
    pub const fn new(every: Duration) -> Sampled {
        Sampled {
            every,
            state: Mutex::new((None, 0)),
        }
    }

    /// An occurrence at `now`: `Some(n)` when it is to be logged, `n` being how many were left
    /// out since the last one logged; `None` when it is left out.
    pub fn sample(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (last, skipped) = &mut *state;
        match last {
            Some(t) if now.saturating_duration_since(*t) < self.every => {
                *skipped += 1;
                None
            }
            _ => {
                *last = Some(now);
                Some(std::mem::take(skipped))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_with_the_count_left_out() {
        let s = Sampled::new(Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(s.sample(t0), Some(0));
        let logged: Vec<Option<u64>> = (1..=99)
            .map(|i| s.sample(t0 + Duration::from_millis(i * 10)))
            .collect();
        assert!(logged.iter().all(Option::is_none));
        assert_eq!(s.sample(t0 + Duration::from_millis(1000)), Some(99));
        assert_eq!(s.sample(t0 + Duration::from_millis(1001)), None);
        assert_eq!(s.sample(t0 + Duration::from_secs(5)), Some(1));
    }
}
