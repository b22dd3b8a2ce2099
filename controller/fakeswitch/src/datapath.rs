//! The switch's state: 254 flow tables, groups, meters and ports, and the OpenFlow 1.3
//! semantics of FLOW_MOD, GROUP_MOD, METER_MOD and PORT_MOD on them.
//!
//! Every modification validates first and changes nothing when it fails, so a [`Datapath`] can
//! be cloned, modified message by message, and swapped in only if all succeeded (bundles).

use crate::error::OfError;
use crate::matching::{validate_match, CanonicalMatch};
use ofproto::action::port_no;
use ofproto::msg::{
    flow_flags, group_id, meter_flags, meter_id, Bucket, FlowMod, FlowModCommand, GroupMod,
    GroupModCommand, GroupType, MeterBand, MeterMod, MeterModCommand, Port, PortMod, OFPG_ANY,
    OFPTT_ALL,
};
use ofproto::multipart::{FlowStats, GroupDesc, MeterConfig};
use ofproto::{Action, Instruction, Match};
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

/// Number of flow tables (0..=253).
pub const N_TABLES: u8 = 254;

/// `OFPRR_DELETE`: removed by a delete flow mod (or by the deletion of its meter).
pub const OFPRR_DELETE: u8 = 2;
/// `OFPRR_GROUP_DELETE`: removed because a group it forwards to was deleted.
pub const OFPRR_GROUP_DELETE: u8 = 3;

/// `OFPPC_PORT_DOWN` port config bit.
pub const OFPPC_PORT_DOWN: u32 = 1;
/// `OFPPS_LINK_DOWN` port state bit.
pub const OFPPS_LINK_DOWN: u32 = 1;
/// `OFPPS_LIVE` port state bit.
pub const OFPPS_LIVE: u32 = 4;

/// The most bands a meter may have.
pub const MAX_BANDS: usize = 8;

/// One flow entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEntry {
    /// Table.
    pub table_id: u8,
    /// Priority.
    pub priority: u16,
    /// The match as the last flow mod that set it wrote it.
    pub r#match: Match,
    /// Cookie.
    pub cookie: u64,
    /// Instructions.
    pub instructions: Vec<Instruction>,
    /// `OFPFF_*` flags.
    pub flags: u16,
    /// Idle timeout (stored, not enforced).
    pub idle_timeout: u16,
    /// Hard timeout (stored, not enforced).
    pub hard_timeout: u16,
    /// Packets that hit the entry.
    pub packet_count: u64,
    /// Bytes that hit the entry.
    pub byte_count: u64,
    /// When the entry was added (or replaced by an identical ADD).
    pub created: Instant,
    pub(crate) canon: CanonicalMatch,
    pub(crate) seq: u64,
}

impl FlowEntry {
    /// The match in canonical form.
    pub fn canonical_match(&self) -> &CanonicalMatch {
        &self.canon
    }

    /// Time since the entry was added.
    pub fn duration(&self) -> Duration {
        self.created.elapsed()
    }

    /// Every action of its apply-actions and write-actions instructions.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.instructions.iter().flat_map(|i| match i {
            Instruction::ApplyActions(a) | Instruction::WriteActions(a) => a.as_slice(),
            _ => &[],
        })
    }

    /// True when an action outputs to `port` (the `out_port` filter).
    pub fn outputs_to(&self, port: u32) -> bool {
        self.actions()
            .any(|a| matches!(a, Action::Output { port: p, .. } if *p == port))
    }

    /// True when an action sends to group `group` (the `out_group` filter).
    pub fn uses_group(&self, group: u32) -> bool {
        self.actions()
            .any(|a| matches!(a, Action::Group(g) if *g == group))
    }

    /// True when a meter instruction uses meter `meter`.
    pub fn uses_meter(&self, meter: u32) -> bool {
        self.instructions
            .iter()
            .any(|i| matches!(i, Instruction::Meter(m) if *m == meter))
    }

    /// The entry as an `ofp_flow_stats` record.
    pub fn to_flow_stats(&self) -> FlowStats {
        let d = self.duration();
        FlowStats {
            table_id: self.table_id,
            duration_sec: d.as_secs() as u32,
            duration_nsec: d.subsec_nanos(),
            priority: self.priority,
            idle_timeout: self.idle_timeout,
            hard_timeout: self.hard_timeout,
            flags: self.flags,
            cookie: self.cookie,
            packet_count: self.packet_count,
            byte_count: self.byte_count,
            r#match: self.r#match.clone(),
            instructions: self.instructions.clone(),
        }
    }
}

/// A flow entry removed by a modification, with its `OFPRR_*` reason (for FLOW_REMOVED).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedFlow {
    /// The entry as it was.
    pub entry: FlowEntry,
    /// [`OFPRR_DELETE`] or [`OFPRR_GROUP_DELETE`].
    pub reason: u8,
}

/// One group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    /// Group id.
    pub group_id: u32,
    /// Type.
    pub group_type: GroupType,
    /// Buckets.
    pub buckets: Vec<Bucket>,
    /// Packets processed.
    pub packet_count: u64,
    /// Bytes processed.
    pub byte_count: u64,
    /// Per-bucket (packets, bytes).
    pub bucket_counts: Vec<(u64, u64)>,
    /// When the group was added.
    pub created: Instant,
}

impl GroupEntry {
    /// The group as an `ofp_group_desc` record (what a group-desc reply reports).
    pub fn to_group_desc(&self) -> GroupDesc {
        GroupDesc {
            group_type: self.group_type,
            group_id: self.group_id,
            buckets: self.buckets.clone(),
        }
    }
}

/// One meter. Bands are kept, not enforced: a metered packet is counted, never dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterEntry {
    /// Meter id.
    pub meter_id: u32,
    /// `OFPMF_*` flags.
    pub flags: u16,
    /// Bands.
    pub bands: Vec<MeterBand>,
    /// Packets that went through the meter.
    pub packet_count: u64,
    /// Bytes that went through the meter.
    pub byte_count: u64,
    /// When the meter was added.
    pub created: Instant,
}

impl MeterEntry {
    /// The meter as an `ofp_meter_config` record (what a meter-config reply reports).
    pub fn to_meter_config(&self) -> MeterConfig {
        MeterConfig {
            flags: self.flags,
            meter_id: self.meter_id,
            bands: self.bands.clone(),
        }
    }
}

/// Per-port counters, fed by traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortCounters {
    /// Packets traced in on the port.
    pub rx_packets: u64,
    /// Bytes traced in on the port.
    pub rx_bytes: u64,
    /// Packets traced out of the port.
    pub tx_packets: u64,
    /// Bytes traced out of the port.
    pub tx_bytes: u64,
}

/// Per-table lookup counters, fed by traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableCounters {
    /// Lookups in the table.
    pub lookup_count: u64,
    /// Lookups that hit an entry.
    pub matched_count: u64,
}

/// Which entries a modify, delete or statistics request selects.
#[derive(Debug, Clone)]
pub struct FlowSelector {
    /// Table, or `OFPTT_ALL`.
    pub table_id: u8,
    /// Strict: same priority and the same match; otherwise entries the match covers.
    pub strict: bool,
    /// Priority (strict only).
    pub priority: u16,
    /// The match.
    pub r#match: CanonicalMatch,
    /// Cookie value.
    pub cookie: u64,
    /// Cookie mask (0: any cookie).
    pub cookie_mask: u64,
    /// Output port filter (`OFPP_ANY`: none).
    pub out_port: u32,
    /// Output group filter (`OFPG_ANY`: none).
    pub out_group: u32,
}

impl FlowSelector {
    /// Every flow of every table.
    pub fn all() -> FlowSelector {
        FlowSelector {
            table_id: OFPTT_ALL,
            strict: false,
            priority: 0,
            r#match: CanonicalMatch::default(),
            cookie: 0,
            cookie_mask: 0,
            out_port: port_no::ANY,
            out_group: OFPG_ANY,
        }
    }

    /// True when the selector picks `e`.
    pub fn selects(&self, e: &FlowEntry) -> bool {
        (self.table_id == OFPTT_ALL || self.table_id == e.table_id)
            && (e.cookie & self.cookie_mask) == (self.cookie & self.cookie_mask)
            && (self.out_port == port_no::ANY || e.outputs_to(self.out_port))
            && (self.out_group == OFPG_ANY || e.uses_group(self.out_group))
            && if self.strict {
                e.priority == self.priority && e.canon == self.r#match
            } else {
                self.r#match.covers(&e.canon)
            }
    }
}

/// The tables, groups, meters and ports of one switch.
#[derive(Debug, Clone)]
pub struct Datapath {
    /// Each table's entries, highest priority first (ties: oldest first).
    pub(crate) tables: Vec<Vec<FlowEntry>>,
    pub(crate) table_counters: Vec<TableCounters>,
    pub(crate) groups: BTreeMap<u32, GroupEntry>,
    pub(crate) meters: BTreeMap<u32, MeterEntry>,
    pub(crate) ports: BTreeMap<u32, Port>,
    pub(crate) port_counters: BTreeMap<u32, PortCounters>,
    /// Whether vendor extensions (Open vSwitch's Nicira actions and fields) are accepted.
    pub(crate) nicira: bool,
    next_seq: u64,
}

impl Default for Datapath {
    fn default() -> Self {
        Datapath::new()
    }
}

impl Datapath {
    /// An empty datapath without ports.
    pub fn new() -> Datapath {
        Datapath {
            tables: vec![Vec::new(); N_TABLES as usize],
            table_counters: vec![TableCounters::default(); N_TABLES as usize],
            groups: BTreeMap::new(),
            meters: BTreeMap::new(),
            ports: BTreeMap::new(),
            port_counters: BTreeMap::new(),
            nicira: true,
            next_seq: 0,
        }
    }

    /// Every flow entry, by table then lookup order.
    pub fn flows(&self) -> Vec<FlowEntry> {
        self.tables.iter().flatten().cloned().collect()
    }

    /// The entries a selector picks, by table then lookup order.
    pub fn select(&self, sel: &FlowSelector) -> Vec<&FlowEntry> {
        self.tables
            .iter()
            .flatten()
            .filter(|e| sel.selects(e))
            .collect()
    }

    /// The groups by id.
    pub fn groups(&self) -> &BTreeMap<u32, GroupEntry> {
        &self.groups
    }

    /// The meters by id.
    pub fn meters(&self) -> &BTreeMap<u32, MeterEntry> {
        &self.meters
    }

    /// The ports by number.
    pub fn ports(&self) -> &BTreeMap<u32, Port> {
        &self.ports
    }

    /// A port's counters (zero for an unknown port).
    pub fn port_counters(&self, port: u32) -> PortCounters {
        self.port_counters.get(&port).copied().unwrap_or_default()
    }

    /// A table's lookup counters.
    pub fn table_counters(&self, table: u8) -> TableCounters {
        self.table_counters
            .get(table as usize)
            .copied()
            .unwrap_or_default()
    }

    /// Adds or replaces a port (by number).
    pub fn set_port(&mut self, port: Port) {
        self.ports.insert(port.port_no, port);
    }

    /// Removes a port.
    pub fn remove_port(&mut self, port_no: u32) -> Option<Port> {
        self.ports.remove(&port_no)
    }

    /// True when the port exists, is not administratively down and its link is up.
    pub fn port_live(&self, port_no: u32) -> bool {
        self.ports
            .get(&port_no)
            .is_some_and(|p| p.config & OFPPC_PORT_DOWN == 0 && p.state & OFPPS_LINK_DOWN == 0)
    }

    /// True when the group exists and, for fast-failover, has a live bucket.
    pub fn group_live(&self, group: u32) -> bool {
        self.group_live_depth(group, 0)
    }

    fn group_live_depth(&self, group: u32, depth: usize) -> bool {
        match self.groups.get(&group) {
            None => false,
            Some(_) if depth > 16 => false,
            Some(g) if g.group_type == GroupType::FastFailover => g
                .buckets
                .iter()
                .any(|b| self.bucket_live_depth(b, depth + 1)),
            Some(_) => true,
        }
    }

    /// True when a bucket's watch port and watch group (if any) are live.
    pub fn bucket_live(&self, b: &Bucket) -> bool {
        self.bucket_live_depth(b, 0)
    }

    fn bucket_live_depth(&self, b: &Bucket, depth: usize) -> bool {
        (b.watch_port == port_no::ANY || self.port_live(b.watch_port))
            && (b.watch_group == group_id::ANY || self.group_live_depth(b.watch_group, depth))
    }

    /// Applies a FLOW_MOD. Returns the entries it removed.
    pub fn flow_mod(&mut self, fm: &FlowMod) -> Result<Vec<RemovedFlow>, OfError> {
        match fm.command {
            FlowModCommand::Add => self.add_flow(fm).map(|()| Vec::new()),
            FlowModCommand::Modify | FlowModCommand::ModifyStrict => {
                self.modify_flows(fm).map(|_| Vec::new())
            }
            FlowModCommand::Delete | FlowModCommand::DeleteStrict => self.delete_flows(fm),
        }
    }

    fn check_table(table_id: u8, allow_all: bool) -> Result<(), OfError> {
        if table_id < N_TABLES || (allow_all && table_id == OFPTT_ALL) {
            Ok(())
        } else {
            Err(OfError::FLOW_MOD_BAD_TABLE_ID)
        }
    }

    fn add_flow(&mut self, fm: &FlowMod) -> Result<(), OfError> {
        Self::check_table(fm.table_id, false)?;
        validate_match(&fm.r#match)?;
        if !self.nicira && fm.r#match.uses_extensions() {
            return Err(OfError::BAD_FIELD);
        }
        self.check_instructions(fm.table_id, &fm.instructions)?;
        let canon = CanonicalMatch::new(&fm.r#match);
        let seq = self.next_seq;
        let table = &mut self.tables[fm.table_id as usize];
        if fm.flags & flow_flags::CHECK_OVERLAP != 0
            && table
                .iter()
                .any(|e| e.priority == fm.priority && e.canon.overlaps(&canon))
        {
            return Err(OfError::OVERLAP);
        }
        let reset = fm.flags & flow_flags::RESET_COUNTS != 0;
        let mut entry = FlowEntry {
            table_id: fm.table_id,
            priority: fm.priority,
            r#match: fm.r#match.clone(),
            cookie: fm.cookie,
            instructions: fm.instructions.clone(),
            flags: fm.flags,
            idle_timeout: fm.idle_timeout,
            hard_timeout: fm.hard_timeout,
            packet_count: 0,
            byte_count: 0,
            created: Instant::now(),
            canon,
            seq,
        };
        if let Some(old) = table
            .iter_mut()
            .find(|e| e.priority == fm.priority && e.canon == entry.canon)
        {
            entry.seq = old.seq;
            if !reset {
                entry.packet_count = old.packet_count;
                entry.byte_count = old.byte_count;
            }
            *old = entry;
        } else {
            self.next_seq += 1;
            table.push(entry);
            table.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.seq.cmp(&b.seq)));
        }
        Ok(())
    }

    fn selector(fm: &FlowMod, filters: bool) -> FlowSelector {
        let strict = matches!(
            fm.command,
            FlowModCommand::ModifyStrict | FlowModCommand::DeleteStrict
        );
        FlowSelector {
            table_id: fm.table_id,
            strict,
            priority: fm.priority,
            r#match: CanonicalMatch::new(&fm.r#match),
            cookie: fm.cookie,
            cookie_mask: fm.cookie_mask,
            out_port: if filters { fm.out_port } else { port_no::ANY },
            out_group: if filters { fm.out_group } else { OFPG_ANY },
        }
    }

    fn modify_flows(&mut self, fm: &FlowMod) -> Result<usize, OfError> {
        Self::check_table(fm.table_id, true)?;
        validate_match(&fm.r#match)?;
        let sel = Self::selector(fm, false);
        let tables: HashSet<u8> = self.select(&sel).iter().map(|e| e.table_id).collect();
        for t in tables {
            self.check_instructions(t, &fm.instructions)?;
        }
        let mut n = 0;
        for e in self.tables.iter_mut().flatten().filter(|e| sel.selects(e)) {
            e.instructions = fm.instructions.clone();
            if fm.cookie_mask == 0 {
                e.cookie = fm.cookie;
            }
            if fm.flags & flow_flags::RESET_COUNTS != 0 {
                e.packet_count = 0;
                e.byte_count = 0;
            }
            n += 1;
        }
        Ok(n)
    }

    fn delete_flows(&mut self, fm: &FlowMod) -> Result<Vec<RemovedFlow>, OfError> {
        Self::check_table(fm.table_id, true)?;
        let sel = Self::selector(fm, true);
        Ok(self.remove_where(|e| sel.selects(e), OFPRR_DELETE))
    }

    /// Removes every entry for which `f` holds.
    pub fn remove_where(
        &mut self,
        mut f: impl FnMut(&FlowEntry) -> bool,
        reason: u8,
    ) -> Vec<RemovedFlow> {
        let mut removed = Vec::new();
        for table in &mut self.tables {
            table.retain(|e| {
                if f(e) {
                    removed.push(RemovedFlow {
                        entry: e.clone(),
                        reason,
                    });
                    false
                } else {
                    true
                }
            });
        }
        removed
    }

    /// Checks a flow's instructions for a flow in `table`: goto only forward, meters and groups
    /// that exist, known instruction and action types, valid output ports.
    pub fn check_instructions(&self, table: u8, list: &[Instruction]) -> Result<(), OfError> {
        let mut seen = HashSet::new();
        for i in list {
            if !seen.insert(i.typ()) {
                return Err(OfError::UNSUP_INST);
            }
            match i {
                Instruction::GotoTable(n) if *n <= table || *n >= N_TABLES => {
                    return Err(OfError::BAD_INSTRUCTION_TABLE_ID)
                }
                Instruction::Meter(m) if !self.meters.contains_key(m) => {
                    return Err(OfError::UNKNOWN_METER)
                }
                Instruction::ApplyActions(a) | Instruction::WriteActions(a) => {
                    self.check_actions(a, None)?
                }
                Instruction::Unknown { .. } => return Err(OfError::UNKNOWN_INST),
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks actions (of a flow, or of a bucket of group `in_group`).
    pub fn check_actions(&self, actions: &[Action], in_group: Option<u32>) -> Result<(), OfError> {
        for a in actions {
            match a {
                Action::Output { port, .. } => {
                    let reserved_ok = matches!(
                        *port,
                        port_no::IN_PORT
                            | port_no::NORMAL
                            | port_no::FLOOD
                            | port_no::ALL
                            | port_no::CONTROLLER
                            | port_no::LOCAL
                    );
                    if *port == 0 || (*port > port_no::MAX && !reserved_ok) {
                        return Err(OfError::BAD_OUT_PORT);
                    }
                }
                Action::Group(g) if Some(*g) == in_group => return Err(OfError::LOOP),
                Action::Group(g) if !self.groups.contains_key(g) => {
                    return Err(OfError::BAD_OUT_GROUP)
                }
                Action::Unknown { .. } => return Err(OfError::BAD_ACTION_TYPE),
                Action::Experimenter { .. } if !self.nicira => {
                    return Err(OfError::BAD_ACTION_EXPERIMENTER)
                }
                Action::SetField(f) if !self.nicira && f.is_extension() => {
                    return Err(OfError::BAD_SET_TYPE)
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Applies a GROUP_MOD. Returns the flow entries removed with deleted groups.
    pub fn group_mod(&mut self, gm: &GroupMod) -> Result<Vec<RemovedFlow>, OfError> {
        let id = gm.group_id;
        match gm.command {
            GroupModCommand::Add | GroupModCommand::Modify => {
                if id > group_id::MAX {
                    return Err(OfError::INVALID_GROUP);
                }
                let exists = self.groups.contains_key(&id);
                if gm.command == GroupModCommand::Add && exists {
                    return Err(OfError::GROUP_EXISTS);
                }
                if gm.command == GroupModCommand::Modify && !exists {
                    return Err(OfError::UNKNOWN_GROUP);
                }
                if gm.group_type == GroupType::Indirect && gm.buckets.len() != 1 {
                    return Err(OfError::INVALID_GROUP);
                }
                for b in &gm.buckets {
                    self.check_actions(&b.actions, Some(id))?;
                }
                let old = self.groups.get(&id);
                let entry = GroupEntry {
                    group_id: id,
                    group_type: gm.group_type,
                    buckets: gm.buckets.clone(),
                    packet_count: old.map_or(0, |g| g.packet_count),
                    byte_count: old.map_or(0, |g| g.byte_count),
                    bucket_counts: vec![(0, 0); gm.buckets.len()],
                    created: old.map_or_else(Instant::now, |g| g.created),
                };
                let previous = self.groups.insert(id, entry);
                if self.group_reaches(id, id, 0) {
                    match previous {
                        Some(p) => self.groups.insert(id, p),
                        None => self.groups.remove(&id),
                    };
                    return Err(OfError::LOOP);
                }
                Ok(Vec::new())
            }
            GroupModCommand::Delete => {
                let ids: Vec<u32> = if id == group_id::ALL {
                    self.groups.keys().copied().collect()
                } else {
                    self.groups.keys().copied().filter(|g| *g == id).collect()
                };
                for g in &ids {
                    self.groups.remove(g);
                }
                Ok(self.remove_where(|e| ids.iter().any(|g| e.uses_group(*g)), OFPRR_GROUP_DELETE))
            }
            GroupModCommand::Other(_) => Err(OfError::GROUP_BAD_COMMAND),
        }
    }

    /// True when group `from` sends (through any chain of group actions) to `target`.
    fn group_reaches(&self, from: u32, target: u32, depth: usize) -> bool {
        if depth > 32 {
            return true;
        }
        let Some(g) = self.groups.get(&from) else {
            return false;
        };
        g.buckets.iter().flat_map(|b| &b.actions).any(|a| match a {
            Action::Group(n) => *n == target || self.group_reaches(*n, target, depth + 1),
            _ => false,
        })
    }

    /// Applies a METER_MOD. Returns the flow entries removed with deleted meters.
    pub fn meter_mod(&mut self, mm: &MeterMod) -> Result<Vec<RemovedFlow>, OfError> {
        let id = mm.meter_id;
        let valid = (1..=meter_id::MAX).contains(&id)
            || id == meter_id::SLOWPATH
            || id == meter_id::CONTROLLER;
        match mm.command {
            MeterModCommand::Add | MeterModCommand::Modify => {
                if !valid {
                    return Err(OfError::INVALID_METER);
                }
                let exists = self.meters.contains_key(&id);
                if mm.command == MeterModCommand::Add && exists {
                    return Err(OfError::METER_EXISTS);
                }
                if mm.command == MeterModCommand::Modify && !exists {
                    return Err(OfError::UNKNOWN_METER);
                }
                if mm.flags & meter_flags::KBPS != 0 && mm.flags & meter_flags::PKTPS != 0 {
                    return Err(OfError::METER_BAD_FLAGS);
                }
                if mm.bands.len() > MAX_BANDS {
                    return Err(OfError::METER_OUT_OF_BANDS);
                }
                for b in &mm.bands {
                    if matches!(b, MeterBand::Unknown { .. }) {
                        return Err(OfError::METER_BAD_BAND);
                    }
                    if b.rate() == 0 {
                        return Err(OfError::METER_BAD_RATE);
                    }
                }
                let old = self.meters.get(&id);
                let entry = MeterEntry {
                    meter_id: id,
                    flags: mm.flags,
                    bands: mm.bands.clone(),
                    packet_count: old.map_or(0, |m| m.packet_count),
                    byte_count: old.map_or(0, |m| m.byte_count),
                    created: old.map_or_else(Instant::now, |m| m.created),
                };
                self.meters.insert(id, entry);
                Ok(Vec::new())
            }
            MeterModCommand::Delete => {
                let ids: Vec<u32> = if id == meter_id::ALL {
                    self.meters.keys().copied().collect()
                } else {
                    self.meters.keys().copied().filter(|m| *m == id).collect()
                };
                for m in &ids {
                    self.meters.remove(m);
                }
                Ok(self.remove_where(|e| ids.iter().any(|m| e.uses_meter(*m)), OFPRR_DELETE))
            }
            MeterModCommand::Other(_) => Err(OfError::METER_BAD_COMMAND),
        }
    }

    /// Applies a PORT_MOD (the config bits under the mask). Returns the updated port.
    pub fn port_mod(&mut self, pm: &PortMod) -> Result<Port, OfError> {
        let port = self
            .ports
            .get_mut(&pm.port_no)
            .ok_or(OfError::PORT_MOD_BAD_PORT)?;
        if port.hw_addr != pm.hw_addr {
            return Err(OfError::PORT_MOD_BAD_HW_ADDR);
        }
        port.config = (port.config & !pm.mask) | (pm.config & pm.mask);
        Ok(port.clone())
    }
}
