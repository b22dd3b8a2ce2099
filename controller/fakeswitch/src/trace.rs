//! Tracing a packet through the pipeline, as OpenFlow 1.3 section 5 describes it.
//!
//! Starting at table 0, each table's highest-priority matching entry runs its instructions in
//! the specification's order (meter, apply-actions, clear-actions, write-actions,
//! write-metadata, goto-table), whatever their order in the entry. A table without a matching
//! entry drops the packet (the OpenFlow 1.3 table-miss default). When no goto is left, the
//! action set runs in the specification's order (copy TTL in, pop, push MPLS, push PBB, push
//! VLAN, copy TTL out, decrement TTL, set-field, set-queue, group, output — output only when
//! there is no group).
//!
//! Of the experimenter actions only Open vSwitch's `NXAST_REG_MOVE` ([`ofproto::nx::RegMove`]) is
//! executed, for whole-field copies between address fields; the others are noted and skipped.
//!
//! Like Open vSwitch, an output to the packet's own `in_port` is skipped; only `IN_PORT` sends
//! a packet back where it came from. `ALL` and `FLOOD` output to every port but the ingress
//! port. Tracing updates the flow, table, group, meter and port counters.

use crate::datapath::Datapath;
use crate::packet::{MplsTag, Packet, VlanTag, ETH_TYPE_MPLS};
use ofproto::action::port_no;
use ofproto::msg::GroupType;
use ofproto::nx::NxAction;
use ofproto::{Action, Instruction, Match};

/// What happened to a traced packet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trace {
    /// Every packet that left the switch: (port, packet as sent). Reserved ports other than
    /// `IN_PORT`, `ALL` and `FLOOD` (e.g. `CONTROLLER`, `LOCAL`, `NORMAL`) are recorded as is.
    pub outputs: Vec<(u32, Packet)>,
    /// The flow entries hit, in order: (table, cookie).
    pub hits: Vec<(u8, u64)>,
    /// The priorities of the entries in `hits`, in the same order.
    pub priorities: Vec<u16>,
    /// The matches and instructions of the entries in `hits`, in the same order.
    pub rules: Vec<(Match, Vec<Instruction>)>,
    /// Meters the packet went through, in order.
    pub meters: Vec<u32>,
    /// Group buckets executed: (group, bucket index), in order.
    pub groups: Vec<(u32, usize)>,
    /// The table whose lookup missed (the packet was dropped there), if any.
    pub table_miss: Option<u8>,
    /// Things the model skipped or that stopped a copy of the packet (TTL expired,
    /// unsupported actions, missing groups, outputs to the ingress port).
    pub notes: Vec<String>,
}

impl Trace {
    /// The output ports, in order.
    pub fn ports(&self) -> Vec<u32> {
        self.outputs.iter().map(|(p, _)| *p).collect()
    }

    /// The packets sent out of `port`, in order.
    pub fn sent_to(&self, port: u32) -> Vec<&Packet> {
        self.outputs
            .iter()
            .filter(|(p, _)| *p == port)
            .map(|(_, pkt)| pkt)
            .collect()
    }

    /// The only packet sent out of `port`; `None` if there is none or more than one.
    pub fn output_to(&self, port: u32) -> Option<&Packet> {
        match self.sent_to(port).as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// True when the packet left by no port.
    pub fn dropped(&self) -> bool {
        self.outputs.is_empty()
    }

    /// The cookies of the entries hit, in order.
    pub fn cookies(&self) -> Vec<u64> {
        self.hits.iter().map(|(_, c)| *c).collect()
    }

    /// The tables visited that had a hit, in order.
    pub fn tables(&self) -> Vec<u8> {
        self.hits.iter().map(|(t, _)| *t).collect()
    }
}

/// Whether processing of a packet copy goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// Deepest group chain followed.
const MAX_GROUP_DEPTH: usize = 16;

/// The rank of an action in the action set's execution order.
fn set_rank(a: &Action) -> u8 {
    match a {
        Action::CopyTtlIn => 0,
        Action::PopVlan | Action::PopMpls(_) | Action::PopPbb => 1,
        Action::PushMpls(_) => 2,
        Action::PushPbb(_) => 3,
        Action::PushVlan(_) => 4,
        Action::CopyTtlOut => 5,
        Action::DecNwTtl | Action::DecMplsTtl => 6,
        Action::SetField(_) | Action::SetNwTtl(_) | Action::SetMplsTtl(_) => 7,
        Action::SetQueue(_) => 8,
        Action::Group(_) => 9,
        Action::Output { .. } => 10,
        Action::Experimenter { .. } | Action::Unknown { .. } => 11,
    }
}

/// The key under which the action set holds at most one action.
fn set_key(a: &Action) -> (u16, Option<u32>) {
    match a {
        Action::SetField(f) => (a.typ(), Some(f.header() & 0xffff_fe00)),
        _ => (a.typ(), None),
    }
}

/// The action set: at most one action of each type (one set-field per field).
#[derive(Debug, Clone, Default)]
struct ActionSet(Vec<Action>);

impl ActionSet {
    fn write(&mut self, actions: &[Action]) {
        for a in actions {
            let k = set_key(a);
            self.0.retain(|o| set_key(o) != k);
            self.0.push(a.clone());
        }
    }

    fn ordered(&self) -> Vec<Action> {
        let mut v = self.0.clone();
        v.sort_by_key(set_rank);
        if v.iter().any(|a| matches!(a, Action::Group(_))) {
            v.retain(|a| !matches!(a, Action::Output { .. }));
        }
        v
    }
}

/// A deterministic hash of the fields a select group balances on.
fn flow_hash(p: &Packet) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: &[u8]| {
        for x in b {
            h ^= u64::from(*x);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for code in [3u8, 4, 5, 10, 11, 12, 26, 27, 13, 14, 15, 16, 17, 18] {
        if let Some(b) = p.field_bytes(code) {
            eat(&[code]);
            eat(&b);
        }
    }
    h
}

impl Datapath {
    /// Traces `packet` through the pipeline from table 0, updating counters.
    pub fn trace(&mut self, packet: &Packet) -> Trace {
        let mut t = Trace::default();
        let mut pkt = packet.clone();
        let c = self.port_counters.entry(pkt.in_port).or_default();
        c.rx_packets += 1;
        c.rx_bytes += u64::from(pkt.len);
        let mut set = ActionSet::default();
        let mut table: u8 = 0;
        loop {
            let Some(tc) = self.table_counters.get_mut(table as usize) else {
                t.notes.push(format!("goto to missing table {table}"));
                return t;
            };
            tc.lookup_count += 1;
            let Some(entry) = self.tables[table as usize]
                .iter_mut()
                .find(|e| e.canon.matches(&pkt))
            else {
                t.table_miss = Some(table);
                return t;
            };
            self.table_counters[table as usize].matched_count += 1;
            entry.packet_count += 1;
            entry.byte_count += u64::from(pkt.len);
            t.hits.push((table, entry.cookie));
            t.priorities.push(entry.priority);
            t.rules
                .push((entry.r#match.clone(), entry.instructions.clone()));
            let mut instructions = entry.instructions.clone();
            instructions.sort_by_key(|i| i.execution_rank());
            let mut next = None;
            for i in &instructions {
                match i {
                    Instruction::Meter(m) => {
                        t.meters.push(*m);
                        match self.meters.get_mut(m) {
                            Some(meter) => {
                                meter.packet_count += 1;
                                meter.byte_count += u64::from(pkt.len);
                            }
                            None => t.notes.push(format!("meter {m} does not exist")),
                        }
                    }
                    Instruction::ApplyActions(a) => {
                        if self.apply(a, &mut pkt, &mut t, 0) == Flow::Stop {
                            return t;
                        }
                    }
                    Instruction::ClearActions => set.0.clear(),
                    Instruction::WriteActions(a) => set.write(a),
                    Instruction::WriteMetadata { metadata, mask } => {
                        pkt.metadata = (pkt.metadata & !mask) | (metadata & mask);
                    }
                    Instruction::GotoTable(n) => next = Some(*n),
                    other => t
                        .notes
                        .push(format!("instruction type {} not modelled", other.typ())),
                }
            }
            match next {
                Some(n) if n > table => table = n,
                Some(n) => {
                    t.notes
                        .push(format!("goto_table:{n} from table {table} ignored"));
                    break;
                }
                None => break,
            }
        }
        let actions = set.ordered();
        self.apply(&actions, &mut pkt, &mut t, 0);
        t
    }

    /// Runs an action list on `pkt` (changes stay for the rest of the list).
    fn apply(&mut self, actions: &[Action], pkt: &mut Packet, t: &mut Trace, depth: usize) -> Flow {
        for a in actions {
            match a {
                Action::Output { port, .. } => self.output(*port, pkt, t),
                Action::Group(g) => self.run_group(*g, pkt, t, depth + 1),
                Action::SetField(f) => {
                    if !pkt.set_field(f) {
                        t.notes.push(format!("set_field {f:?} not applicable"));
                    }
                }
                Action::PushVlan(tpid) => {
                    let (vid, pcp) = pkt.vlans.first().map_or((0, 0), |v| (v.vid, v.pcp));
                    pkt.vlans.insert(
                        0,
                        VlanTag {
                            tpid: *tpid,
                            vid,
                            pcp,
                        },
                    );
                    pkt.len += 4;
                }
                Action::PopVlan => {
                    if pkt.vlans.is_empty() {
                        t.notes.push("pop_vlan on an untagged packet".into());
                    } else {
                        pkt.vlans.remove(0);
                        pkt.len = pkt.len.saturating_sub(4);
                    }
                }
                Action::PushMpls(et) => {
                    let (label, tc, ttl) = match pkt.mpls.first() {
                        Some(m) => (m.label, m.tc, m.ttl),
                        None => (0, 0, pkt.ip_ttl.unwrap_or(64)),
                    };
                    pkt.mpls.insert(0, MplsTag { label, tc, ttl });
                    pkt.eth_type = *et;
                    pkt.len += 4;
                }
                Action::PopMpls(et) => {
                    if pkt.mpls.is_empty() {
                        t.notes.push("pop_mpls without a label".into());
                    } else {
                        pkt.mpls.remove(0);
                        pkt.len = pkt.len.saturating_sub(4);
                        pkt.eth_type = if pkt.mpls.is_empty() {
                            *et
                        } else {
                            ETH_TYPE_MPLS
                        };
                    }
                }
                Action::SetQueue(q) => pkt.queue_id = Some(*q),
                Action::SetNwTtl(v) => match pkt.ip_ttl.as_mut() {
                    Some(ttl) => *ttl = *v,
                    None => t.notes.push("set_nw_ttl on a non-IP packet".into()),
                },
                Action::DecNwTtl => match pkt.ip_ttl.as_mut() {
                    Some(ttl) if *ttl > 1 => *ttl -= 1,
                    Some(ttl) => {
                        *ttl = 0;
                        t.notes.push("IP TTL expired: packet dropped".into());
                        return Flow::Stop;
                    }
                    None => t.notes.push("dec_nw_ttl on a non-IP packet".into()),
                },
                Action::SetMplsTtl(v) => match pkt.mpls.first_mut() {
                    Some(m) => m.ttl = *v,
                    None => t.notes.push("set_mpls_ttl without a label".into()),
                },
                Action::DecMplsTtl => match pkt.mpls.first_mut() {
                    Some(m) if m.ttl > 1 => m.ttl -= 1,
                    Some(m) => {
                        m.ttl = 0;
                        t.notes.push("MPLS TTL expired: packet dropped".into());
                        return Flow::Stop;
                    }
                    None => t.notes.push("dec_mpls_ttl without a label".into()),
                },
                Action::CopyTtlOut => {
                    if let (Some(m), Some(ttl)) = (pkt.mpls.first_mut(), pkt.ip_ttl) {
                        m.ttl = ttl;
                    }
                }
                Action::CopyTtlIn => {
                    if let (Some(m), Some(ttl)) = (pkt.mpls.first(), pkt.ip_ttl.as_mut()) {
                        *ttl = m.ttl;
                    }
                }
                Action::Experimenter { .. } => match NxAction::try_from(a) {
                    Ok(NxAction::RegMove(mv)) => {
                        if let Err(why) = crate::reg_move::apply(&mv, pkt) {
                            t.notes.push(why.to_string());
                        }
                    }
                    _ => t.notes.push(format!("action {a:?} not modelled")),
                },
                other => t.notes.push(format!("action {other:?} not modelled")),
            }
        }
        Flow::Continue
    }

    fn output(&mut self, port: u32, pkt: &Packet, t: &mut Trace) {
        let ports: Vec<u32> = match port {
            port_no::IN_PORT => vec![pkt.in_port],
            port_no::ALL | port_no::FLOOD => self
                .ports
                .keys()
                .copied()
                .filter(|p| *p != pkt.in_port)
                .collect(),
            p if p == pkt.in_port => {
                t.notes
                    .push(format!("output:{p} to the ingress port skipped"));
                return;
            }
            p => vec![p],
        };
        for p in ports {
            if self.ports.contains_key(&p) {
                let c = self.port_counters.entry(p).or_default();
                c.tx_packets += 1;
                c.tx_bytes += u64::from(pkt.len);
            }
            t.outputs.push((p, pkt.clone()));
        }
    }

    fn run_group(&mut self, id: u32, pkt: &Packet, t: &mut Trace, depth: usize) {
        if depth > MAX_GROUP_DEPTH {
            t.notes.push(format!("group {id}: chain too deep"));
            return;
        }
        let Some(g) = self.groups.get(&id) else {
            t.notes.push(format!("group {id} does not exist"));
            return;
        };
        let chosen: Vec<usize> = match g.group_type {
            GroupType::All => (0..g.buckets.len()).collect(),
            GroupType::Indirect => (0..g.buckets.len().min(1)).collect(),
            GroupType::FastFailover => g
                .buckets
                .iter()
                .position(|b| self.bucket_live(b))
                .into_iter()
                .collect(),
            GroupType::Select => {
                let live: Vec<(usize, u64)> = g
                    .buckets
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| self.bucket_live(b))
                    .map(|(i, b)| (i, u64::from(b.weight)))
                    .collect();
                let all_zero = live.iter().all(|(_, w)| *w == 0);
                let weight = |w: u64| if all_zero { 1 } else { w };
                let total: u64 = live.iter().map(|(_, w)| weight(*w)).sum();
                let mut pick = if total == 0 {
                    0
                } else {
                    flow_hash(pkt) % total
                };
                let mut out = Vec::new();
                for (i, w) in &live {
                    if pick < weight(*w) {
                        out.push(*i);
                        break;
                    }
                    pick -= weight(*w);
                }
                out
            }
        };
        if chosen.is_empty() {
            t.notes.push(format!("group {id}: no live bucket"));
        }
        let buckets: Vec<_> = chosen
            .iter()
            .map(|i| (*i, g.buckets[*i].actions.clone()))
            .collect();
        if let Some(g) = self.groups.get_mut(&id) {
            g.packet_count += 1;
            g.byte_count += u64::from(pkt.len);
            for (i, _) in &buckets {
                if let Some(c) = g.bucket_counts.get_mut(*i) {
                    c.0 += 1;
                    c.1 += u64::from(pkt.len);
                }
            }
        }
        for (i, actions) in buckets {
            t.groups.push((id, i));
            let mut copy = pkt.clone();
            self.apply(&actions, &mut copy, t, depth);
        }
    }
}
