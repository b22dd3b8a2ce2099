//! `netctl audit`: the sync state of every switch ([`Audit`]) as a table, and which switches
//! have been out of sync for too long.

use crate::text::printable;
use northbound_model::audit::{Audit, SwitchAudit, SyncState};
use std::fmt::Write;

/// Whether `s` counts as out of sync: it should hold the compiled state and does not (a
/// read-only switch never does).
pub fn is_out_of_sync(s: &SwitchAudit) -> bool {
    matches!(
        s.state,
        SyncState::Pending | SyncState::Failed | SyncState::Disconnected
    )
}

/// The switches out of sync for more than `bound_ms` at `now_ms` (milliseconds since the
/// epoch).
pub fn out_of_sync_for(audit: &Audit, now_ms: u64, bound_ms: u64) -> Vec<&SwitchAudit> {
    audit
        .switches
        .iter()
        .filter(|s| is_out_of_sync(s) && now_ms.saturating_sub(s.since_ms) > bound_ms)
        .collect()
}

/// The audit as a table, one line per switch, with durations relative to `now_ms`.
pub fn render(audit: &Audit, now_ms: u64) -> String {
    let mut out = format!(
        "snapshot {}{}\n",
        audit.snapshot,
        if audit.compile_pending {
            " (a newer compile is pending)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "{:<16}  {:<12}  {:<12}  {:>8}  {:>8}  {:>7}  {:>10}  {:>9}  {:>5}  {:>7}  LAST READ",
        "DPID",
        "HOST",
        "STATE",
        "FOR",
        "SNAPSHOT",
        "MISSING",
        "UNEXPECTED",
        "DIFFERENT",
        "READS",
        "REPAIRS"
    );
    for s in &audit.switches {
        let (missing, unexpected, different, last) = match &s.last_read {
            Some(r) => (
                r.missing.total().to_string(),
                r.unexpected.total().to_string(),
                r.different.total().to_string(),
                format!(
                    "{} ago ({}, {:.1} ms, {} sent, {} refused)",
                    duration(now_ms.saturating_sub(r.at_ms)),
                    r.trigger.as_str(),
                    r.took_us as f64 / 1e3,
                    r.messages,
                    r.errors
                ),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        let _ = writeln!(
            out,
            "{:016x}  {:<12}  {:<12}  {:>8}  {:>8}  {:>7}  {:>10}  {:>9}  {:>5}  {:>7}  {}{}",
            s.dpid,
            printable(s.host.as_deref().unwrap_or("-")),
            s.state.as_str(),
            duration(now_ms.saturating_sub(s.since_ms)),
            s.snapshot.map_or_else(|| "-".into(), |n| n.to_string()),
            missing,
            unexpected,
            different,
            s.reads,
            s.repairs,
            last,
            s.error
                .as_deref()
                .map(|e| format!(": {}", printable(e)))
                .unwrap_or_default()
        );
    }
    out
}

/// `1.2s`, `3m04s`, `2h05m`.
fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{}.{}s", s, (ms % 1000) / 100),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use northbound_model::audit::{Drift, Reconciliation, Trigger};

    fn switch(dpid: u64, state: SyncState, since_ms: u64) -> SwitchAudit {
        SwitchAudit {
            dpid,
            host: Some(format!("host{dpid}")),
            peer: None,
            state,
            since_ms,
            snapshot: (state == SyncState::InSync).then_some(9),
            last_read: None,
            reads: 3,
            repairs: 1,
            error: None,
        }
    }

    #[test]
    fn out_of_sync_counts_only_switches_past_the_bound() {
        let audit = Audit {
            snapshot: 9,
            compile_pending: false,
            switches: vec![
                switch(1, SyncState::InSync, 0),
                switch(2, SyncState::Pending, 95_000),
                switch(3, SyncState::Disconnected, 10_000),
                switch(4, SyncState::ReadOnly, 0),
                switch(5, SyncState::Failed, 60_000),
            ],
        };
        let late: Vec<u64> = out_of_sync_for(&audit, 100_000, 30_000)
            .iter()
            .map(|s| s.dpid)
            .collect();
        assert_eq!(late, [3, 5]);
        assert!(out_of_sync_for(&audit, 100_000, 100_000).is_empty());
    }

    #[test]
    fn the_table_shows_the_last_read_and_escapes_control_characters() {
        let mut s = switch(1, SyncState::Failed, 40_000);
        s.host = Some("evil\u{1b}[2J".into());
        s.error = Some("the switch refused 1 of 3 messages".into());
        s.last_read = Some(Reconciliation {
            trigger: Trigger::Audit,
            at_ms: 99_000,
            took_us: 1_500,
            missing: Drift {
                flows: 2,
                groups: 1,
                meters: 0,
            },
            unexpected: Drift::default(),
            different: Drift {
                flows: 1,
                groups: 0,
                meters: 0,
            },
            messages: 3,
            errors: 1,
        });
        let audit = Audit {
            snapshot: 9,
            compile_pending: true,
            switches: vec![s],
        };
        let text = render(&audit, 100_000);
        assert!(
            text.starts_with("snapshot 9 (a newer compile is pending)\n"),
            "{text}"
        );
        let line = text.lines().nth(2).unwrap();
        assert!(
            line.starts_with("0000000000000001  evil\\u{1b}[2J"),
            "{line}"
        );
        assert!(!text.contains('\u{1b}'), "{text}");
        for part in [
            "failed",
            "1m00s",
            "audit",
            "1.0s ago",
            "1.5 ms",
            "3 sent, 1 refused",
        ] {
            assert!(line.contains(part), "{part} missing: {line}");
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&cols[4..10], ["-", "3", "0", "1", "3", "1"], "{line}");
    }
}
