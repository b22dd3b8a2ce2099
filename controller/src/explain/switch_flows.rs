//! A switch's flows read live and annotated with their owners (`GET /api/v1/flows`).

use super::owners::Owners;
use crate::app::{Controller, SwitchView};
use crate::compiled::Compiled;
use northbound_api::flows::{FlowLine, SwitchFlows, SwitchSelector};
use northbound_api::oper::OperError;
use ofproto::text::format_flow_stats;
use std::cmp::Reverse;

/// The datapath id and host name of the switch `selector` names, from the topology of
/// `compiled` (reported hosts and intent hosts with a datapath id).
pub fn resolve(
    compiled: &Compiled,
    selector: &SwitchSelector,
) -> Result<(u64, Option<String>), OperError> {
    let hosts = &compiled.topology.hosts;
    match selector {
        SwitchSelector::Dpid(dpid) => Ok((
            *dpid,
            hosts
                .iter()
                .find(|(_, h)| h.dpid == *dpid)
                .map(|(name, _)| name.clone()),
        )),
        SwitchSelector::Host(name) => hosts
            .get(name)
            .map(|h| (h.dpid, Some(name.clone())))
            .ok_or_else(|| {
                OperError::NotFound(format!(
                    "host `{name}` has no switch: no agent reported it and intent gives it no dpid"
                ))
            }),
    }
}

/// The flows switch `selector` holds now, read over its OpenFlow session, with the owners
/// decoded against `compiled`; only those `owner` selects when given.
pub async fn read(
    controller: &Controller,
    compiled: &Compiled,
    selector: &SwitchSelector,
    owner: Option<&str>,
) -> Result<SwitchFlows, OperError> {
    let (dpid, host) = resolve(compiled, selector)?;
    let SwitchView::Connected { handle, .. } = controller.view(dpid) else {
        return Err(OperError::NotFound(format!(
            "switch {dpid:#x} is not connected"
        )));
    };
    let mut stats = handle
        .flow_stats()
        .await
        .map_err(|e| OperError::Switch(format!("switch {dpid:#x} did not answer: {e}")))?;
    stats.sort_by_key(|f| (f.table_id, Reverse(f.priority)));
    let owners = Owners::new(compiled);
    let flows = stats
        .iter()
        .map(|f| FlowLine {
            table: f.table_id,
            priority: f.priority,
            cookie: f.cookie,
            packets: f.packet_count,
            bytes: f.byte_count,
            text: format_flow_stats(f),
            owner: owners.of(f.cookie),
        })
        .filter(|line| owner.is_none_or(|o| line.owner.selected_by(o)))
        .collect();
    Ok(SwitchFlows {
        dpid,
        host,
        snapshot: compiled.number,
        flows,
    })
}
