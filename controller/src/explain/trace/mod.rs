//! Packet traces through the compiled pipeline (`POST /api/v1/trace`, `netctl trace`), like
//! `ovn-trace`: the packet an endpoint would send is pushed through the compiled state of its
//! switch, and every copy that crosses a tunnel or uplink through the next switch's, table by
//! table, each matching flow named with its owner; the verdict says which endpoints received
//! it, or where it was dropped and by which flow (a policy rule, the default deny of a table).
//!
//! The switches are modelled by [`fakeswitch::Datapath`] (OpenFlow 1.3 tables, groups and
//! meters), which skips Open vSwitch's extension actions other than register moves: a
//! stateful group's connection tracking is noted, not executed (the trace sees every packet
//! as the first of its connection).

mod ends;
mod fabric;

use super::owners::Owners;
use crate::compiled::Compiled;
use fabric::{Fabric, Walk};
use northbound_api::oper::OperError;
use northbound_api::trace::{DropPoint, TraceReport, TraceRequest, Verdict};

/// Traces `request` through the switches of `compiled`.
pub fn trace(compiled: &Compiled, request: &TraceRequest) -> Result<TraceReport, OperError> {
    let start = ends::start(compiled, request)?;
    let owners = Owners::new(compiled);
    let walk = Fabric::new(compiled, &owners).follow(&start.host, start.packet, start.arrived);
    Ok(TraceReport {
        snapshot: compiled.number,
        packet: start.text,
        verdict: verdict(&walk),
        hops: walk.hops,
    })
}

/// The outcome of a walk, with its one-line summary.
fn verdict(walk: &Walk) -> Verdict {
    let mut delivered = walk.delivered.clone();
    delivered.sort();
    delivered.dedup();
    let mut summary: Vec<String> = Vec::new();
    if !delivered.is_empty() {
        summary.push(format!("delivered to {}", delivered.join(", ")));
    }
    summary.extend(walk.dropped.iter().map(dropped));
    summary.extend(walk.left.iter().map(|l| format!("left by {l}")));
    if summary.is_empty() {
        summary.push("delivered to no endpoint".into());
    }
    Verdict {
        delivered_to: delivered,
        left_fabric: walk.left.clone(),
        dropped: walk.dropped.clone(),
        summary: summary.join("; "),
    }
}

/// `dropped on host2 in table 30 by rule blue:dbp:2 (priority 1005)`.
fn dropped(d: &DropPoint) -> String {
    match &d.by {
        Some(step) => format!(
            "dropped on {} in table {} by {} (priority {})",
            d.host, d.table, step.owner, step.priority
        ),
        None => format!(
            "dropped on {} in table {}: no flow matched",
            d.host, d.table
        ),
    }
}
