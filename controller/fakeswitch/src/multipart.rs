//! Answers to multipart (statistics) requests, split over several parts with `OFPMPF_MORE`
//! when they hold more records than the switch's per-part limit.

use crate::datapath::{Datapath, FlowSelector, GroupEntry, MeterEntry, N_TABLES};
use crate::error::OfError;
use crate::matching::CanonicalMatch;
use crate::state::Options;
use ofproto::action::port_no;
use ofproto::msg::{group_id, meter_flags, meter_id, OFPTT_ALL};
use ofproto::multipart::{
    AggregateStats, FlowStatsRequest, GroupFeatures, GroupStats, MeterFeatures, MeterStats,
    MultipartReply, MultipartReplyBody as R, MultipartRequest, MultipartRequestBody as Q,
    PortStats, TableFeatures, TableStats, OFPMPF_MORE,
};
use ofproto::{Body, Message};
use std::time::Instant;

/// The selector of a flow or aggregate statistics request.
pub fn flow_selector(req: &FlowStatsRequest) -> FlowSelector {
    FlowSelector {
        table_id: req.table_id,
        strict: false,
        priority: 0,
        r#match: CanonicalMatch::new(&req.r#match),
        cookie: req.cookie,
        cookie_mask: req.cookie_mask,
        out_port: req.out_port,
        out_group: req.out_group,
    }
}

fn age(created: Instant) -> (u32, u32) {
    let d = created.elapsed();
    (d.as_secs() as u32, d.subsec_nanos())
}

/// True when the body, as one multipart reply, fits in a message.
fn fits(body: &R) -> bool {
    let m = Message::new(0, Body::MultipartReply(MultipartReply::new(body.clone())));
    m.to_bytes().is_ok()
}

/// Splits records into parts of at most `limit` (fewer if a part would not fit in 64 KiB).
pub fn split<T: Clone>(items: Vec<T>, limit: usize, mk: impl Fn(Vec<T>) -> R) -> Vec<R> {
    fn go<T: Clone>(items: &[T], mk: &impl Fn(Vec<T>) -> R, out: &mut Vec<R>) {
        let body = mk(items.to_vec());
        if items.len() <= 1 || fits(&body) {
            out.push(body);
        } else {
            let (a, b) = items.split_at(items.len() / 2);
            go(a, mk, out);
            go(b, mk, out);
        }
    }
    let mut out = Vec::new();
    if items.is_empty() {
        out.push(mk(Vec::new()));
    }
    for chunk in items.chunks(limit.max(1)) {
        go(chunk, &mk, &mut out);
    }
    out
}

/// The reply parts to a multipart request, in order (all but the last flagged `MORE`).
pub fn reply(
    dp: &Datapath,
    opts: &Options,
    req: &MultipartRequest,
) -> Result<Vec<MultipartReply>, OfError> {
    let limit = opts.multipart_limit;
    let bodies = match &req.body {
        Q::Desc => vec![R::Desc(opts.desc.clone())],
        Q::Flow(f) => {
            check_table(f.table_id)?;
            let flows = dp
                .select(&flow_selector(f))
                .into_iter()
                .map(|e| e.to_flow_stats())
                .collect();
            split(flows, limit, R::Flow)
        }
        Q::Aggregate(f) => {
            check_table(f.table_id)?;
            let sel = dp.select(&flow_selector(f));
            vec![R::Aggregate(AggregateStats {
                packet_count: sel.iter().map(|e| e.packet_count).sum(),
                byte_count: sel.iter().map(|e| e.byte_count).sum(),
                flow_count: sel.len() as u32,
            })]
        }
        Q::Table => {
            let tables = (0..N_TABLES)
                .map(|t| {
                    let c = dp.table_counters(t);
                    TableStats {
                        table_id: t,
                        active_count: dp.tables[t as usize].len() as u32,
                        lookup_count: c.lookup_count,
                        matched_count: c.matched_count,
                    }
                })
                .collect();
            split(tables, limit.max(N_TABLES as usize), R::Table)
        }
        Q::PortStats(p) => {
            let stats = dp
                .ports()
                .keys()
                .filter(|n| *p == port_no::ANY || **n == *p)
                .map(|n| {
                    let c = dp.port_counters(*n);
                    PortStats {
                        port_no: *n,
                        rx_packets: c.rx_packets,
                        tx_packets: c.tx_packets,
                        rx_bytes: c.rx_bytes,
                        tx_bytes: c.tx_bytes,
                        ..PortStats::default()
                    }
                })
                .collect();
            split(stats, limit, R::PortStats)
        }
        Q::Queue { .. } => vec![R::Queue(Vec::new())],
        Q::Group(g) => {
            let stats = dp
                .groups()
                .values()
                .filter(|e| *g == group_id::ALL || e.group_id == *g)
                .map(|e| {
                    let (duration_sec, duration_nsec) = age(e.created);
                    GroupStats {
                        group_id: e.group_id,
                        ref_count: dp
                            .tables
                            .iter()
                            .flatten()
                            .filter(|f| f.uses_group(e.group_id))
                            .count() as u32,
                        packet_count: e.packet_count,
                        byte_count: e.byte_count,
                        duration_sec,
                        duration_nsec,
                        bucket_stats: e.bucket_counts.clone(),
                    }
                })
                .collect();
            split(stats, limit, R::Group)
        }
        Q::GroupDesc => {
            let descs = dp
                .groups()
                .values()
                .map(GroupEntry::to_group_desc)
                .collect();
            split(descs, limit, R::GroupDesc)
        }
        Q::GroupFeatures => vec![R::GroupFeatures(group_features())],
        Q::Meter(m) => {
            let stats = dp
                .meters()
                .values()
                .filter(|e| *m == meter_id::ALL || e.meter_id == *m)
                .map(|e| {
                    let (duration_sec, duration_nsec) = age(e.created);
                    MeterStats {
                        meter_id: e.meter_id,
                        flow_count: dp
                            .tables
                            .iter()
                            .flatten()
                            .filter(|f| f.uses_meter(e.meter_id))
                            .count() as u32,
                        packet_in_count: e.packet_count,
                        byte_in_count: e.byte_count,
                        duration_sec,
                        duration_nsec,
                        band_stats: vec![(0, 0); e.bands.len()],
                    }
                })
                .collect();
            split(stats, limit, R::Meter)
        }
        Q::MeterConfig(m) => {
            let configs = dp
                .meters()
                .values()
                .filter(|e| *m == meter_id::ALL || e.meter_id == *m)
                .map(MeterEntry::to_meter_config)
                .collect();
            split(configs, limit, R::MeterConfig)
        }
        Q::MeterFeatures => vec![R::MeterFeatures(MeterFeatures {
            max_meter: 65536,
            band_types: (1 << 1) | (1 << 2),
            capabilities: u32::from(
                meter_flags::KBPS | meter_flags::PKTPS | meter_flags::BURST | meter_flags::STATS,
            ),
            max_bands: crate::datapath::MAX_BANDS as u8,
            max_color: 0,
        })],
        Q::TableFeatures(set) if !set.is_empty() => return Err(OfError::TABLE_FEATURES_EPERM),
        Q::TableFeatures(_) => {
            let features = (0..N_TABLES)
                .map(|t| TableFeatures {
                    table_id: t,
                    name: format!("table{t}"),
                    metadata_match: u64::MAX,
                    metadata_write: u64::MAX,
                    config: 0,
                    max_entries: 1_000_000,
                    properties: Vec::new(),
                })
                .collect();
            split(features, limit, R::TableFeatures)
        }
        Q::PortDesc => split(dp.ports().values().cloned().collect(), limit, R::PortDesc),
        Q::Experimenter { .. } => return Err(OfError::BAD_EXPERIMENTER),
    };
    let n = bodies.len();
    Ok(bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| MultipartReply {
            flags: if i + 1 < n { OFPMPF_MORE } else { 0 },
            body,
        })
        .collect())
}

fn check_table(t: u8) -> Result<(), OfError> {
    if t < N_TABLES || t == OFPTT_ALL {
        Ok(())
    } else {
        Err(OfError::BAD_REQUEST_TABLE_ID)
    }
}

/// The group features: all four types, weights, liveness and chaining.
fn group_features() -> GroupFeatures {
    // Action types the trace models (bit n = action type n).
    let actions: u32 = [0u32, 11, 12, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]
        .iter()
        .map(|b| 1u32 << b)
        .sum();
    GroupFeatures {
        types: 0b1111,
        capabilities: 0b111,
        max_groups: [group_id::MAX; 4],
        actions: [actions; 4],
    }
}
