//! `netctl trace`: a packet's way through the fabric, switch by switch and table by table,
//! like `ovn-trace`, and its verdict.

use crate::text::printable;
use northbound_model::trace::{LiveHop, TraceReport};
use std::fmt::Write as _;

/// The trace as text.
pub fn render(report: &TraceReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (snapshot {})",
        printable(&report.packet),
        report.snapshot
    );
    for hop in &report.hops {
        let _ = writeln!(
            out,
            "\n{} (switch {:016x}), in_port {}: {}",
            printable(&hop.host),
            hop.dpid,
            hop.in_port,
            printable(&hop.arrived)
        );
        for s in &hop.steps {
            let _ = writeln!(
                out,
                "  table {:>2}  {}\n            {}",
                s.table,
                printable(&s.owner.to_string()),
                printable(&s.flow)
            );
        }
        if let Some(t) = hop.table_miss {
            let _ = writeln!(out, "  table {t:>2}  no flow matched: dropped");
        }
        for o in &hop.outputs {
            let _ = writeln!(out, "  -> output {}: {}", o.port, printable(&o.to));
        }
        if hop.outputs.is_empty() && hop.table_miss.is_none() {
            let _ = writeln!(out, "  -> dropped");
        }
        for n in &hop.notes {
            let _ = writeln!(out, "  note: {}", printable(n));
        }
        if let Some(live) = &hop.live {
            live_lines(&mut out, live);
        }
    }
    let _ = writeln!(out, "\nverdict: {}", printable(&report.verdict.summary));
    out
}

/// What Open vSwitch said about one hop.
fn live_lines(out: &mut String, live: &LiveHop) {
    let actions = live
        .datapath_actions
        .as_deref()
        .map(|a| format!("; datapath actions: {}", printable(a)))
        .unwrap_or_default();
    if let Some(e) = &live.error {
        let _ = writeln!(out, "  live: no answer from Open vSwitch: {}", printable(e));
    } else if live.agrees {
        let _ = writeln!(out, "  live: Open vSwitch matched the same flows{actions}");
    } else {
        let _ = writeln!(out, "  live: Open vSwitch matched other flows{actions}:");
        for s in &live.steps {
            match s.priority {
                Some(p) => {
                    let _ = writeln!(
                        out,
                        "    table {:>2}  priority {p}, cookie {:#x}",
                        s.table, s.cookie
                    );
                }
                None => {
                    let _ = writeln!(out, "    table {:>2}  no flow matched", s.table);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use northbound_model::flows::{FlowOwner, OwnerKind};
    use northbound_model::trace::{DropPoint, LiveStep, TraceHop, TraceStep, Verdict};

    #[test]
    fn hops_steps_and_the_verdict_are_printed() {
        let step = TraceStep {
            table: 30,
            priority: 1005,
            cookie: 1,
            flow: "table=30, priority=1005,tcp actions=drop".into(),
            owner: FlowOwner::of(OwnerKind::Rule, vec!["blue:p:1".into()]),
        };
        let report = TraceReport {
            snapshot: 4,
            packet: "tcp 49152 > 80 10.0.0.1 > 10.0.0.2".into(),
            hops: vec![TraceHop {
                host: "h1".into(),
                dpid: 1,
                in_port: 3,
                packet: "tcp,in_port=3".into(),
                arrived: "endpoint blue:a".into(),
                steps: vec![step.clone()],
                outputs: vec![],
                table_miss: None,
                notes: vec![],
                live: Some(LiveHop {
                    steps: vec![
                        LiveStep {
                            table: 0,
                            priority: Some(100),
                            cookie: 0x2a,
                        },
                        LiveStep {
                            table: 30,
                            priority: None,
                            cookie: 0,
                        },
                    ],
                    datapath_actions: Some("drop".into()),
                    agrees: false,
                    error: None,
                }),
            }],
            verdict: Verdict {
                delivered_to: vec![],
                left_fabric: vec![],
                dropped: vec![DropPoint {
                    host: "h1".into(),
                    table: 30,
                    by: Some(step),
                }],
                summary: "dropped on h1 in table 30 by rule blue:p:1 (priority 1005)".into(),
                live_agrees: Some(false),
            },
        };
        let text = render(&report);
        assert!(text.contains("h1 (switch 0000000000000001), in_port 3: endpoint blue:a"));
        assert!(text.contains(
            "  table 30  rule blue:p:1\n            table=30, priority=1005,tcp actions=drop"
        ));
        assert!(text.contains("  -> dropped\n"));
        assert!(text.contains(
            "  live: Open vSwitch matched other flows; datapath actions: drop:\n    \
             table  0  priority 100, cookie 0x2a\n    table 30  no flow matched\n"
        ));
        assert!(
            text.ends_with("verdict: dropped on h1 in table 30 by rule blue:p:1 (priority 1005)\n")
        );
    }
}
