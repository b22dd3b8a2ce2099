//! One emulated switch's flow tables, groups and meters: what a controller wrote, stored for
//! size rather than for forwarding (no pipeline; a flow is found by table, priority and match
//! in constant time, so a switch holds 100,000 flows cheaply).
//!
//! FLOW_MOD ADD replaces an identical entry; MODIFY_STRICT and DELETE_STRICT find their entry
//! by table, priority and match (fields in any order), the cookie filtered by the mask;
//! non-strict MODIFY and DELETE are refused (`BAD_COMMAND`): netmaster never sends them, and a
//! benchmark must not quietly accept what it does not model.

use ofproto::msg::{
    ErrorMsg, FlowMod, FlowModCommand, GroupMod, GroupModCommand, MeterMod, MeterModCommand,
};
use ofproto::multipart::{AggregateStats, FlowStats, FlowStatsRequest, GroupDesc, MeterConfig};
use ofproto::{Instruction, Match, OxmField};
use std::collections::{BTreeMap, HashMap};

/// `OFPTT_ALL`.
const ALL_TABLES: u8 = 0xff;

/// OpenFlow error types and codes this switch answers with.
pub mod refusal {
    /// `OFPET_FLOW_MOD_FAILED`, `OFPFMFC_BAD_COMMAND`.
    pub const FLOW_BAD_COMMAND: (u16, u16) = (5, 6);
    /// `OFPET_FLOW_MOD_FAILED`, `OFPFMFC_BAD_TABLE_ID`.
    pub const FLOW_BAD_TABLE: (u16, u16) = (5, 2);
    /// `OFPET_GROUP_MOD_FAILED`, `OFPGMFC_GROUP_EXISTS`.
    pub const GROUP_EXISTS: (u16, u16) = (6, 0);
    /// `OFPET_GROUP_MOD_FAILED`, `OFPGMFC_UNKNOWN_GROUP`.
    pub const GROUP_UNKNOWN: (u16, u16) = (6, 8);
    /// `OFPET_GROUP_MOD_FAILED`, `OFPGMFC_BAD_COMMAND`.
    pub const GROUP_BAD_COMMAND: (u16, u16) = (6, 11);
    /// `OFPET_METER_MOD_FAILED`, `OFPMMFC_METER_EXISTS`.
    pub const METER_EXISTS: (u16, u16) = (12, 1);
    /// `OFPET_METER_MOD_FAILED`, `OFPMMFC_UNKNOWN_METER`.
    pub const METER_UNKNOWN: (u16, u16) = (12, 7);
    /// `OFPET_METER_MOD_FAILED`, `OFPMMFC_BAD_COMMAND`.
    pub const METER_BAD_COMMAND: (u16, u16) = (12, 3);
}

/// A refused modification: the OpenFlow error type and code.
pub type Refusal = (u16, u16);

/// `OFPET_EXPERIMENTER`: the ONF bundle extension's errors are of this type.
pub const EXPERIMENTER: u16 = 0xffff;
/// The ONF's experimenter id.
const ONF: u32 = 0x4F4E_4600;

/// The error message for `refusal` of the request `frame` (its first 64 bytes).
pub fn error_msg((typ, code): Refusal, frame: &[u8]) -> ErrorMsg {
    let data = frame[..frame.len().min(64)].to_vec();
    if typ == EXPERIMENTER {
        ErrorMsg::Experimenter {
            exp_type: code,
            experimenter: ONF,
            data,
        }
    } else {
        ErrorMsg::Standard { typ, code, data }
    }
}

/// Where a flow is: its table, priority and match (fields sorted by OXM header).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FlowKey {
    table_id: u8,
    priority: u16,
    fields: Vec<OxmField>,
}

impl FlowKey {
    fn of(fm: &FlowMod) -> FlowKey {
        let mut fields = fm.r#match.fields.clone();
        fields.sort_by_key(OxmField::header);
        FlowKey {
            table_id: fm.table_id,
            priority: fm.priority,
            fields,
        }
    }
}

/// What a flow holds besides its key.
#[derive(Debug, Clone)]
struct FlowValue {
    /// The match as written (field order kept for the read-back).
    r#match: Match,
    cookie: u64,
    flags: u16,
    idle_timeout: u16,
    hard_timeout: u16,
    instructions: Vec<Instruction>,
}

/// The tables, groups and meters of one switch.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    flows: HashMap<FlowKey, FlowValue>,
    groups: BTreeMap<u32, GroupDesc>,
    meters: BTreeMap<u32, MeterConfig>,
}

impl Tables {
    /// The number of flows.
    pub fn flow_count(&self) -> usize {
        self.flows.len()
    }

    /// The number of groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The number of meters.
    pub fn meter_count(&self) -> usize {
        self.meters.len()
    }

    /// Applies a FLOW_MOD.
    pub fn flow_mod(&mut self, fm: &FlowMod) -> Result<(), Refusal> {
        if fm.table_id == ALL_TABLES {
            return Err(refusal::FLOW_BAD_TABLE);
        }
        let key = FlowKey::of(fm);
        let cookie_matches =
            |v: &FlowValue| v.cookie & fm.cookie_mask == fm.cookie & fm.cookie_mask;
        match fm.command {
            FlowModCommand::Add => {
                self.flows.insert(
                    key,
                    FlowValue {
                        r#match: fm.r#match.clone(),
                        cookie: fm.cookie,
                        flags: fm.flags,
                        idle_timeout: fm.idle_timeout,
                        hard_timeout: fm.hard_timeout,
                        instructions: fm.instructions.clone(),
                    },
                );
            }
            FlowModCommand::ModifyStrict => {
                if let Some(v) = self.flows.get_mut(&key).filter(|v| cookie_matches(v)) {
                    v.instructions = fm.instructions.clone();
                }
            }
            FlowModCommand::DeleteStrict => {
                if self.flows.get(&key).is_some_and(cookie_matches) {
                    self.flows.remove(&key);
                }
            }
            FlowModCommand::Modify | FlowModCommand::Delete => {
                return Err(refusal::FLOW_BAD_COMMAND)
            }
        }
        Ok(())
    }

    /// Applies a GROUP_MOD.
    pub fn group_mod(&mut self, gm: &GroupMod) -> Result<(), Refusal> {
        let desc = GroupDesc {
            group_type: gm.group_type,
            group_id: gm.group_id,
            buckets: gm.buckets.clone(),
        };
        match gm.command {
            GroupModCommand::Add if self.groups.contains_key(&gm.group_id) => {
                Err(refusal::GROUP_EXISTS)
            }
            GroupModCommand::Add => {
                self.groups.insert(gm.group_id, desc);
                Ok(())
            }
            GroupModCommand::Modify => match self.groups.get_mut(&gm.group_id) {
                Some(g) => {
                    *g = desc;
                    Ok(())
                }
                None => Err(refusal::GROUP_UNKNOWN),
            },
            GroupModCommand::Delete => {
                self.groups.remove(&gm.group_id);
                Ok(())
            }
            GroupModCommand::Other(_) => Err(refusal::GROUP_BAD_COMMAND),
        }
    }

    /// Applies a METER_MOD.
    pub fn meter_mod(&mut self, mm: &MeterMod) -> Result<(), Refusal> {
        let config = MeterConfig {
            flags: mm.flags,
            meter_id: mm.meter_id,
            bands: mm.bands.clone(),
        };
        match mm.command {
            MeterModCommand::Add if self.meters.contains_key(&mm.meter_id) => {
                Err(refusal::METER_EXISTS)
            }
            MeterModCommand::Add => {
                self.meters.insert(mm.meter_id, config);
                Ok(())
            }
            MeterModCommand::Modify => match self.meters.get_mut(&mm.meter_id) {
                Some(m) => {
                    *m = config;
                    Ok(())
                }
                None => Err(refusal::METER_UNKNOWN),
            },
            MeterModCommand::Delete => {
                self.meters.remove(&mm.meter_id);
                Ok(())
            }
            MeterModCommand::Other(_) => Err(refusal::METER_BAD_COMMAND),
        }
    }

    fn selected<'a>(
        &'a self,
        req: &'a FlowStatsRequest,
    ) -> impl Iterator<Item = (&'a FlowKey, &'a FlowValue)> + 'a {
        self.flows.iter().filter(move |(k, v)| {
            (req.table_id == ALL_TABLES || k.table_id == req.table_id)
                && v.cookie & req.cookie_mask == req.cookie & req.cookie_mask
        })
    }

    /// The flows a flow-statistics request selects (by table and cookie; its match must be
    /// empty, as netmaster's are).
    pub fn flow_stats(&self, req: &FlowStatsRequest) -> Vec<FlowStats> {
        self.selected(req)
            .map(|(k, v)| FlowStats {
                table_id: k.table_id,
                duration_sec: 0,
                duration_nsec: 0,
                priority: k.priority,
                idle_timeout: v.idle_timeout,
                hard_timeout: v.hard_timeout,
                flags: v.flags,
                cookie: v.cookie,
                packet_count: 0,
                byte_count: 0,
                r#match: v.r#match.clone(),
                instructions: v.instructions.clone(),
            })
            .collect()
    }

    /// The aggregate of the same selection.
    pub fn aggregate(&self, req: &FlowStatsRequest) -> AggregateStats {
        AggregateStats {
            packet_count: 0,
            byte_count: 0,
            flow_count: self.selected(req).count() as u32,
        }
    }

    /// Every group.
    pub fn group_descs(&self) -> Vec<GroupDesc> {
        self.groups.values().cloned().collect()
    }

    /// Every meter.
    pub fn meter_configs(&self) -> Vec<MeterConfig> {
        self.meters.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ofproto::text::parse_flow_mod;

    fn fm(text: &str, command: FlowModCommand) -> FlowMod {
        parse_flow_mod(text, command).expect("a flow")
    }

    #[test]
    fn flows_are_found_by_table_priority_and_match_in_any_field_order() {
        let mut t = Tables::default();
        let add = fm(
            "table=3,priority=10,ip,nw_dst=10.0.0.1,cookie=0x5,actions=output:2",
            FlowModCommand::Add,
        );
        t.flow_mod(&add).unwrap();
        assert_eq!(t.flow_count(), 1);
        // The same flow again replaces it.
        t.flow_mod(&add).unwrap();
        assert_eq!(t.flow_count(), 1);
        // DELETE_STRICT with the fields in another order removes it; a wrong cookie does not.
        let mut del = fm(
            "table=3,priority=10,ip,nw_dst=10.0.0.1,cookie=0x6",
            FlowModCommand::DeleteStrict,
        );
        del.r#match.fields.reverse();
        del.cookie_mask = !0;
        t.flow_mod(&del).unwrap();
        assert_eq!(t.flow_count(), 1, "a wrong cookie deleted the flow");
        del.cookie = 5;
        t.flow_mod(&del).unwrap();
        assert_eq!(t.flow_count(), 0);
    }

    #[test]
    fn what_netmaster_never_sends_is_refused() {
        let mut t = Tables::default();
        let del = fm("table=3,priority=10,ip", FlowModCommand::Delete);
        assert_eq!(t.flow_mod(&del), Err(refusal::FLOW_BAD_COMMAND));
        let all = fm("table=3,priority=10,ip,actions=drop", FlowModCommand::Add);
        let all = FlowMod {
            table_id: ALL_TABLES,
            ..all
        };
        assert_eq!(t.flow_mod(&all), Err(refusal::FLOW_BAD_TABLE));
    }

    #[test]
    fn read_back_selects_by_table_and_cookie() {
        let mut t = Tables::default();
        for (table, cookie) in [(0, 1), (0, 2), (1, 1)] {
            let mut f = fm(
                &format!("table={table},priority={cookie},actions=drop"),
                FlowModCommand::Add,
            );
            f.cookie = cookie;
            t.flow_mod(&f).unwrap();
        }
        let ones = FlowStatsRequest {
            cookie: 1,
            cookie_mask: !0,
            ..FlowStatsRequest::all()
        };
        assert_eq!(t.flow_stats(&ones).len(), 2);
        assert_eq!(t.aggregate(&ones).flow_count, 2);
        let table0 = FlowStatsRequest {
            table_id: 0,
            ..FlowStatsRequest::all()
        };
        assert_eq!(t.flow_stats(&table0).len(), 2);
        assert_eq!(t.flow_stats(&FlowStatsRequest::all()).len(), 3);
    }
}
