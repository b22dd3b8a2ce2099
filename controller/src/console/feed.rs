//! What happened, for the web console: events derived from one audit to the next (a switch
//! connected or went away, a reconciliation sent something, drift was repaired, a
//! reconciliation failed), and a version that changes whenever anything the console shows may
//! have changed (the console's event stream waits on it).

use super::state::FlowReads;
use crate::compiled::publisher::input_versions;
use crate::oper::Oper;
use northbound_api::audit::{Audit, SwitchAudit, SyncState, Trigger};
use northbound_api::console::{ConsoleEvent, EventKind};
use northbound_api::oper::OperService;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

/// Events kept.
pub const MAX_EVENTS: usize = 200;
/// How often the audit is looked at.
pub const PERIOD: Duration = Duration::from_millis(200);

/// The console's events and change version.
pub struct ConsoleFeed {
    events: Mutex<VecDeque<ConsoleEvent>>,
    version: watch::Sender<u64>,
    /// The switches' flows, read for the rules' hit counters and the flow counts.
    pub(super) reads: FlowReads,
}

impl Default for ConsoleFeed {
    fn default() -> ConsoleFeed {
        ConsoleFeed {
            events: Mutex::default(),
            version: watch::channel(0).0,
            reads: FlowReads::default(),
        }
    }
}

impl ConsoleFeed {
    /// The events kept, oldest first.
    pub fn events(&self) -> Vec<ConsoleEvent> {
        self.events
            .lock()
            .expect("events lock")
            .iter()
            .cloned()
            .collect()
    }

    /// A receiver of the change version.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn push(&self, new: Vec<ConsoleEvent>) {
        let mut events = self.events.lock().expect("events lock");
        events.extend(new);
        while events.len() > MAX_EVENTS {
            events.pop_front();
        }
    }
}

/// Everything whose change the console must see.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    inputs: (u64, u64, u64),
    snapshot: u64,
    pending: bool,
    switches: Vec<(u64, SyncState, Option<u64>, u64, u64, bool)>,
}

fn fingerprint(oper: &Oper, audit: &Audit) -> Fingerprint {
    let v = input_versions(&oper.intent, &oper.reports, &oper.snooping);
    Fingerprint {
        inputs: (v.intent, v.reports, v.memberships),
        snapshot: audit.snapshot,
        pending: audit.compile_pending,
        switches: audit
            .switches
            .iter()
            .map(|s| {
                (
                    s.dpid,
                    s.state,
                    s.snapshot,
                    s.reads,
                    s.repairs,
                    s.peer.is_some(),
                )
            })
            .collect(),
    }
}

/// Looks at the audit every [`PERIOD`], records the events since the last look and bumps the
/// version when anything changed. Runs until the task is dropped.
pub async fn run(oper: Oper) {
    let feed = oper.console.clone();
    let mut last: Option<(Fingerprint, Audit)> = None;
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let audit = oper.audit();
        let print = fingerprint(&oper, &audit);
        let before = last.as_ref().map(|(_, a)| a);
        let new = events(before, &audit);
        let changed = last.as_ref().is_none_or(|(p, _)| *p != print) || !new.is_empty();
        feed.push(new);
        if changed {
            feed.version.send_modify(|v| *v += 1);
        }
        last = Some((print, audit));
    }
}

fn subject(s: &SwitchAudit) -> String {
    match &s.host {
        Some(h) => format!("{h} {:016x}", s.dpid),
        None => format!("{:016x}", s.dpid),
    }
}

/// The events between two audits (at the first look: every connected switch's connection and
/// its last reconciliation that sent something).
fn events(before: Option<&Audit>, now: &Audit) -> Vec<ConsoleEvent> {
    let old: BTreeMap<u64, &SwitchAudit> = before
        .map(|a| a.switches.iter().map(|s| (s.dpid, s)).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut event = |s: &SwitchAudit, at_ms: u64, kind, text: String| {
        out.push(ConsoleEvent {
            at_ms,
            kind,
            subject: subject(s),
            text,
        })
    };
    for s in &now.switches {
        let was = old.get(&s.dpid);
        let was_connected = was.is_some_and(|w| w.peer.is_some());
        match (&s.peer, was_connected) {
            (Some(peer), false) => event(
                s,
                s.since_ms,
                EventKind::Connect,
                format!("connected from {peer}"),
            ),
            (None, true) => event(s, s.since_ms, EventKind::Disconnect, "disconnected".into()),
            _ => {}
        }
        let Some(read) = &s.last_read else { continue };
        if was.and_then(|w| w.last_read.as_ref()).map(|r| r.at_ms) == Some(read.at_ms) {
            continue;
        }
        let drift = format!(
            "{} missing, {} unexpected, {} different; {} sent, {} refused, {:.1} ms",
            read.missing.total(),
            read.unexpected.total(),
            read.different.total(),
            read.messages,
            read.errors,
            read.took_us as f64 / 1000.0
        );
        let repaired = was.is_some_and(|w| s.repairs > w.repairs);
        if repaired {
            event(
                s,
                read.at_ms,
                EventKind::Repair,
                format!("drift repaired: {drift}"),
            );
        } else if read.trigger != Trigger::Audit || read.messages > 0 {
            let why = read.trigger.as_str();
            event(
                s,
                read.at_ms,
                EventKind::Reconcile,
                format!("reconciled ({why}): {drift}"),
            );
        }
        if s.state == SyncState::Failed && was.is_none_or(|w| w.state != SyncState::Failed) {
            let why = s.error.clone().unwrap_or_default();
            event(s, s.since_ms, EventKind::Failure, format!("failed: {why}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use northbound_api::audit::{Drift, Reconciliation};

    fn switch(peer: Option<&str>, read: Option<(Trigger, u64, u64)>, repairs: u64) -> SwitchAudit {
        SwitchAudit {
            dpid: 1,
            host: Some("h1".into()),
            peer: peer.map(str::to_string),
            state: SyncState::InSync,
            since_ms: 5,
            snapshot: Some(1),
            last_read: read.map(|(trigger, at_ms, messages)| Reconciliation {
                trigger,
                at_ms,
                took_us: 1500,
                missing: Drift {
                    flows: messages,
                    groups: 0,
                    meters: 0,
                },
                unexpected: Drift::default(),
                different: Drift::default(),
                messages,
                errors: 0,
            }),
            reads: 1,
            repairs,
            error: None,
        }
    }

    fn audit(s: SwitchAudit) -> Audit {
        Audit {
            snapshot: 1,
            compile_pending: false,
            switches: vec![s],
        }
    }

    fn kinds(e: &[ConsoleEvent]) -> Vec<EventKind> {
        e.iter().map(|e| e.kind).collect()
    }

    #[test]
    fn connects_reconciles_repairs_and_disconnects_are_told_quiet_audits_are_not() {
        let connected = audit(switch(
            Some("tcp:10.0.0.1:4000"),
            Some((Trigger::Connect, 10, 40)),
            0,
        ));
        let first = events(None, &connected);
        assert_eq!(kinds(&first), [EventKind::Connect, EventKind::Reconcile]);
        assert_eq!(first[0].subject, "h1 0000000000000001");
        assert!(
            first[1]
                .text
                .starts_with("reconciled (connect): 40 missing"),
            "{}",
            first[1].text
        );
        let quiet = audit(switch(
            Some("tcp:10.0.0.1:4000"),
            Some((Trigger::Audit, 20, 0)),
            0,
        ));
        assert!(events(Some(&connected), &quiet).is_empty());
        let repaired = audit(switch(
            Some("tcp:10.0.0.1:4000"),
            Some((Trigger::Audit, 30, 1)),
            1,
        ));
        let e = events(Some(&quiet), &repaired);
        assert_eq!(kinds(&e), [EventKind::Repair]);
        assert!(e[0].text.starts_with("drift repaired: 1 missing"));
        assert!(events(Some(&repaired), &repaired).is_empty(), "nothing new");
        let gone = audit(switch(None, Some((Trigger::Audit, 30, 1)), 1));
        assert_eq!(
            kinds(&events(Some(&repaired), &gone)),
            [EventKind::Disconnect]
        );
    }
}
