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
mod flow_text;

use super::live::{compare, LiveTraces};
use super::owners::Owners;
use crate::compiled::Compiled;
use fabric::{Fabric, Walk};
use northbound_api::live_trace::OfprotoFlow;
use northbound_api::oper::OperError;
use northbound_api::trace::{DropPoint, TraceReport, TraceRequest, Verdict};
use std::sync::Arc;
use std::time::Duration;

/// How long the agents have to answer a live trace.
pub const LIVE_TIMEOUT: Duration = Duration::from_secs(5);

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
        live_agrees: None,
    }
}

/// Asks Open vSwitch about the packet of every hop of `report` (`ofproto/trace`, run by the
/// agent of the hop's host, all at once, for at most [`LIVE_TIMEOUT`]) and records beside
/// each hop what it matched and whether that is what the compiled pipeline matched.
pub async fn add_live(report: &mut TraceReport, traces: &Arc<LiveTraces>) {
    let asked: Vec<_> = report
        .hops
        .iter()
        .map(|hop| {
            let flow = OfprotoFlow::new(&hop.packet).map_err(|e| e.to_string())?;
            traces.ask(&hop.host, flow).map_err(|e| e.to_string())
        })
        .collect();
    let deadline = tokio::time::Instant::now() + LIVE_TIMEOUT;
    for (hop, asked) in report.hops.iter_mut().zip(asked) {
        let answer = match asked {
            Err(why) => Err(why),
            Ok(mut a) => match tokio::time::timeout_at(deadline, &mut a.answer).await {
                Ok(Ok(answer)) => Ok(answer),
                Ok(Err(_)) => Err("the live trace was withdrawn".to_string()),
                Err(_) => Err(format!(
                    "the agent of {} did not answer within {} s",
                    hop.host,
                    LIVE_TIMEOUT.as_secs()
                )),
            },
        };
        hop.live = Some(compare(hop, answer));
    }
    let differ: Vec<&str> = report
        .hops
        .iter()
        .filter(|h| !h.live.as_ref().is_some_and(|l| l.agrees))
        .map(|h| h.host.as_str())
        .collect();
    report.verdict.live_agrees = Some(differ.is_empty());
    let live = if differ.is_empty() {
        "Open vSwitch agrees on every switch".to_string()
    } else {
        format!("Open vSwitch differs on {}", differ.join(", "))
    };
    report.verdict.summary = format!("{}; {live}", report.verdict.summary);
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
