//! `netctl flows`: a switch's flows as `ovs-ofctl dump-flows` prints them, each followed by
//! its owner.

use crate::text::printable;
use northbound_model::flows::SwitchFlows;
use std::fmt::Write as _;

/// The flows, one per line: ` <dump-flows text>  # <owner>`, after a header naming the switch.
pub fn render(flows: &SwitchFlows) -> String {
    let mut out = String::new();
    let host = flows
        .host
        .as_deref()
        .map(|h| format!(" (host {})", printable(h)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "switch {:016x}{host}: {} flows, owners from snapshot {}",
        flows.dpid,
        flows.flows.len(),
        flows.snapshot
    );
    for f in &flows.flows {
        let _ = writeln!(
            out,
            " {}  # {}",
            printable(&f.text),
            printable(&f.owner.to_string())
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use northbound_model::flows::{FlowLine, FlowOwner, OwnerKind};

    #[test]
    fn every_flow_is_followed_by_its_owner() {
        let flows = SwitchFlows {
            dpid: 0x2a,
            host: Some("h1".into()),
            snapshot: 7,
            flows: vec![FlowLine {
                table: 0,
                priority: 100,
                cookie: 0x4e50_0400_0000_0001,
                packets: 3,
                bytes: 180,
                text: "cookie=0x4e50040000000001, duration=1s, table=0, n_packets=3, n_bytes=180, priority=100,in_port=1 actions=goto_table:10".into(),
                owner: FlowOwner::of(OwnerKind::Endpoint, vec!["blue:a\u{1b}".into()]),
            }],
        };
        assert_eq!(
            render(&flows),
            "switch 000000000000002a (host h1): 1 flows, owners from snapshot 7\n \
             cookie=0x4e50040000000001, duration=1s, table=0, n_packets=3, n_bytes=180, \
             priority=100,in_port=1 actions=goto_table:10  # endpoint blue:a\\u{1b}\n"
        );
    }
}
