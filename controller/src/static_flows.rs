//! Static flows, groups and meters from a file in `ovs-ofctl` syntax, pushed to every switch
//! (`netmaster --flows FILE`): a debugging and bring-up aid that goes through the same
//! reconciler as intent.
//!
//! One entry per line; blank lines and `#` comments are ignored. A line starting with
//! `group_id=` is a group (`ovs-ofctl add-group` syntax), one starting with `meter=` a meter
//! (`add-meter` syntax), anything else a flow (`add-flow` syntax). Each flow's cookie is
//! replaced by the static-flow cookie of its line; group and meter ids must lie in netplugin's
//! reserved range (see `docs/cookies.md`).

use crate::cookie::{is_owned_id, Cookie, OwnerKind};
use crate::desired::{GroupEntry, MeterEntry, SwitchState};
use ofproto::msg::{FlowModCommand, GroupModCommand, MeterModCommand};
use ofproto::text::{parse_flow_mod, parse_group_mod, parse_meter_mod};

/// Why a static flow file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaticFlowError {
    /// A line does not parse in `ovs-ofctl` syntax.
    #[error("line {line}: {message}")]
    Syntax {
        /// The line number (from 1).
        line: usize,
        /// What the parser says.
        message: String,
    },
    /// A group or meter id outside netplugin's reserved range.
    #[error("line {line}: {what} id {id:#x} is outside netplugin's range 0x4e000000-0x4effffff")]
    NotOurs {
        /// The line number (from 1).
        line: usize,
        /// `group` or `meter`.
        what: &'static str,
        /// The id.
        id: u32,
    },
}

/// Parses a static flow file into desired state; the error names the line.
pub fn parse(text: &str) -> Result<SwitchState, StaticFlowError> {
    let mut state = SwitchState::default();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |e: &dyn std::fmt::Display| StaticFlowError::Syntax {
            line: n,
            message: e.to_string(),
        };
        if line.starts_with("group_id=") {
            let g = parse_group_mod(line, GroupModCommand::Add).map_err(|e| err(&e))?;
            if !is_owned_id(g.group_id) {
                return Err(StaticFlowError::NotOurs {
                    line: n,
                    what: "group",
                    id: g.group_id,
                });
            }
            state.groups.insert(
                g.group_id,
                GroupEntry {
                    group_type: g.group_type,
                    buckets: g.buckets,
                },
            );
        } else if line.starts_with("meter=") {
            let m = parse_meter_mod(line, MeterModCommand::Add).map_err(|e| err(&e))?;
            if !is_owned_id(m.meter_id) {
                return Err(StaticFlowError::NotOurs {
                    line: n,
                    what: "meter",
                    id: m.meter_id,
                });
            }
            state.meters.insert(
                m.meter_id,
                MeterEntry {
                    flags: m.flags,
                    bands: m.bands,
                },
            );
        } else {
            let f = parse_flow_mod(line, FlowModCommand::Add).map_err(|e| err(&e))?;
            state.add_flow(
                f.table_id,
                f.priority,
                &f.r#match,
                Cookie::new(OwnerKind::StaticFlow, n as u64),
                f.instructions,
            );
        }
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_groups_meters_and_errors() {
        let s = parse(
            "# comment\n\
             table=0,priority=100,in_port=1,actions=output:2\n\
             \n\
             group_id=0x4e000001,type=all,bucket=actions=output:1\n\
             meter=0x4e000002,kbps,band=type=drop,rate=1000\n",
        )
        .expect("parses");
        assert_eq!(s.flows.len(), 1);
        let cookie = s.flows.values().next().map(|f| f.cookie);
        assert_eq!(cookie, Some(Cookie::new(OwnerKind::StaticFlow, 2)));
        assert!(s.groups.contains_key(&0x4e00_0001));
        assert!(s.meters.contains_key(&0x4e00_0002));
        let e = parse("priority=1,actions=output:1\nbogus_field=3,actions=drop\n").unwrap_err();
        assert!(e.to_string().starts_with("line 2:"), "{e}");
        let e = parse("group_id=1,type=all,bucket=actions=output:1").unwrap_err();
        assert!(e.to_string().contains("outside netplugin's range"), "{e}");
    }
}
