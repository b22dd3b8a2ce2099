//! When each host last reported: a host whose agent went silent and whose switch is not
//! connected is gone, and is forgotten ([`crate::observed::agent_api::AgentApi::expire`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The time of every host's latest report.
#[derive(Debug, Default)]
pub struct Liveness(Mutex<HashMap<String, Instant>>);

impl Liveness {
    /// Hosts seen `now` (e.g. every host of the reports loaded at start-up).
    pub fn seen_all<'a>(hosts: impl IntoIterator<Item = &'a String>, now: Instant) -> Liveness {
        Liveness(Mutex::new(
            hosts.into_iter().map(|h| (h.clone(), now)).collect(),
        ))
    }

    /// `host` reported at `now`.
    pub fn seen(&self, host: &str, now: Instant) {
        self.0
            .lock()
            .expect("liveness lock")
            .insert(host.to_owned(), now);
    }

    /// Whether `host` has not reported for `timeout` by `now` (or never did).
    pub fn silent(&self, host: &str, timeout: Duration, now: Instant) -> bool {
        self.0
            .lock()
            .expect("liveness lock")
            .get(host)
            .is_none_or(|t| now.saturating_duration_since(*t) >= timeout)
    }

    /// Forgets `host`.
    pub fn forget(&self, host: &str) {
        self.0.lock().expect("liveness lock").remove(host);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_silent_after_the_timeout_or_when_never_seen() {
        let t0 = Instant::now();
        let l = Liveness::seen_all(&["h1".to_string()], t0);
        let s = Duration::from_secs(1);
        assert!(!l.silent("h1", s, t0 + Duration::from_millis(999)));
        assert!(l.silent("h1", s, t0 + s));
        assert!(l.silent("h2", s, t0));
        l.seen("h2", t0);
        assert!(!l.silent("h2", s, t0));
        l.forget("h2");
        assert!(l.silent("h2", s, t0));
    }
}
