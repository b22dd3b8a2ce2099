//! One-line summaries of multipart requests and replies, for [`format_message`](super::format_message).

use super::flow::format_flow_stats;
use super::group::format_group_mod;
use super::lex::{blob, duration};
use super::matching::format_match;
use super::message::{port_text, table_text};
use super::meter::{format_meter_id, format_meter_mod};
use super::port::format_port;
use crate::msg::{GroupMod, GroupModCommand, MeterMod, MeterModCommand};
use crate::multipart::{
    FlowStatsRequest, MultipartReply, MultipartReplyBody as R, MultipartRequest,
    MultipartRequestBody as Q, OFPMPF_MORE,
};

/// Entries of a reply shown before the rest is summarised as `...`.
const SHOWN: usize = 3;

const NAMES: [&str; 14] = [
    "OFPMP_DESC",
    "OFPMP_FLOW",
    "OFPMP_AGGREGATE",
    "OFPMP_TABLE",
    "OFPMP_PORT_STATS",
    "OFPMP_QUEUE",
    "OFPMP_GROUP",
    "OFPMP_GROUP_DESC",
    "OFPMP_GROUP_FEATURES",
    "OFPMP_METER",
    "OFPMP_METER_CONFIG",
    "OFPMP_METER_FEATURES",
    "OFPMP_TABLE_FEATURES",
    "OFPMP_PORT_DESC",
];

/// `OFPMP_*` name of a multipart type, plus ` flags=more` when more parts follow.
fn head(typ: u16, flags: u16) -> String {
    let mut s = NAMES
        .get(typ as usize)
        .map_or_else(|| "OFPMP_EXPERIMENTER".to_string(), |n| n.to_string());
    if flags & OFPMPF_MORE != 0 {
        s.push_str(" flags=more");
    }
    if flags & !OFPMPF_MORE != 0 {
        s.push_str(&format!(" flags={flags:#x}"));
    }
    s
}

/// `head: details`, or `head` alone when there are no details.
fn join(head: String, details: String) -> String {
    if details.is_empty() {
        head
    } else {
        format!("{head}: {details}")
    }
}

/// Summary of a multipart request.
pub(crate) fn multipart_request(m: &MultipartRequest) -> String {
    let details = match &m.body {
        Q::Desc | Q::Table | Q::GroupDesc | Q::GroupFeatures | Q::MeterFeatures | Q::PortDesc => {
            String::new()
        }
        Q::Flow(f) | Q::Aggregate(f) => flow_request(f),
        Q::PortStats(p) => format!("port={}", format_port(*p)),
        Q::Queue { port_no, queue_id } => {
            let q = if *queue_id == u32::MAX {
                "all".to_string()
            } else {
                queue_id.to_string()
            };
            format!("port={} queue={q}", format_port(*port_no))
        }
        Q::Group(g) => format!("group_id={}", group_text(*g)),
        Q::Meter(id) | Q::MeterConfig(id) => format!("meter={}", format_meter_id(*id)),
        Q::TableFeatures(t) if t.is_empty() => String::new(),
        Q::TableFeatures(t) => format!("set {} tables", t.len()),
        Q::Experimenter {
            experimenter,
            exp_type,
            data,
        } => experimenter_text(*experimenter, *exp_type, data),
    };
    join(head(m.typ(), m.flags), details)
}

fn flow_request(f: &FlowStatsRequest) -> String {
    let mut parts = vec![format!("table={}", table_text(f.table_id))];
    if f.out_port != crate::action::port_no::ANY {
        parts.push(format!("out_port={}", format_port(f.out_port)));
    }
    if f.out_group != crate::msg::OFPG_ANY {
        parts.push(format!("out_group={}", group_text(f.out_group)));
    }
    if f.cookie_mask != 0 {
        parts.push(format!("cookie={:#x}/{:#x}", f.cookie, f.cookie_mask));
    }
    let m = format_match(&f.r#match);
    if !m.is_empty() {
        parts.push(m);
    }
    parts.join(" ")
}

fn group_text(g: u32) -> String {
    match g {
        crate::msg::group_id::ALL => "all".into(),
        crate::msg::group_id::ANY => "any".into(),
        g => g.to_string(),
    }
}

fn experimenter_text(experimenter: u32, exp_type: u32, data: &[u8]) -> String {
    format!(
        "experimenter={experimenter:#x} exp_type={exp_type} ({} bytes)",
        data.len()
    )
}

/// `N label` and the first [`SHOWN`] entries, separated by `; `.
fn entries<T>(label: &str, list: &[T], f: impl Fn(&T) -> String) -> String {
    let mut s = format!("{} {label}", list.len());
    for e in list.iter().take(SHOWN) {
        s.push_str("; ");
        s.push_str(&f(e));
    }
    if list.len() > SHOWN {
        s.push_str("; ...");
    }
    s
}

/// Summary of a multipart reply.
pub(crate) fn multipart_reply(m: &MultipartReply) -> String {
    let details = match &m.body {
        R::Desc(d) => format!(
            "mfr={:?} hw={:?} sw={:?} serial={:?} dp={:?}",
            d.mfr_desc, d.hw_desc, d.sw_desc, d.serial_num, d.dp_desc
        ),
        R::Flow(v) => entries("flows", v, format_flow_stats),
        R::Aggregate(a) => format!(
            "packet_count={} byte_count={} flow_count={}",
            a.packet_count, a.byte_count, a.flow_count
        ),
        R::Table(v) => entries("tables", v, |t| {
            format!(
                "table {}: active={} lookup={} matched={}",
                t.table_id, t.active_count, t.lookup_count, t.matched_count
            )
        }),
        R::PortStats(v) => entries("ports", v, |p| {
            format!(
                "port {}: rx_pkts={} rx_bytes={} rx_drop={} rx_errs={} tx_pkts={} tx_bytes={} \
                 tx_drop={} tx_errs={} duration={}",
                format_port(p.port_no),
                p.rx_packets,
                p.rx_bytes,
                p.rx_dropped,
                p.rx_errors,
                p.tx_packets,
                p.tx_bytes,
                p.tx_dropped,
                p.tx_errors,
                duration(p.duration_sec, p.duration_nsec)
            )
        }),
        R::Queue(v) => entries("queues", v, |q| {
            format!(
                "port {} queue {}: tx_pkts={} tx_bytes={} tx_errs={}",
                format_port(q.port_no),
                q.queue_id,
                q.tx_packets,
                q.tx_bytes,
                q.tx_errors
            )
        }),
        R::Group(v) => entries("groups", v, |g| {
            format!(
                "group_id={} ref_count={} packet_count={} byte_count={} duration={} buckets={}",
                g.group_id,
                g.ref_count,
                g.packet_count,
                g.byte_count,
                duration(g.duration_sec, g.duration_nsec),
                g.bucket_stats.len()
            )
        }),
        R::GroupDesc(v) => entries("groups", v, |g| {
            format_group_mod(&GroupMod {
                command: GroupModCommand::Add,
                group_type: g.group_type,
                group_id: g.group_id,
                buckets: g.buckets.clone(),
            })
        }),
        R::GroupFeatures(g) => format!(
            "types={:#x} capabilities={:#x} max_groups={:?} actions={:?}",
            g.types, g.capabilities, g.max_groups, g.actions
        ),
        R::Meter(v) => entries("meters", v, |s| {
            format!(
                "meter={} flow_count={} packet_in_count={} byte_in_count={} duration={} bands={}",
                format_meter_id(s.meter_id),
                s.flow_count,
                s.packet_in_count,
                s.byte_in_count,
                duration(s.duration_sec, s.duration_nsec),
                s.band_stats.len()
            )
        }),
        R::MeterConfig(v) => entries("meters", v, |c| {
            format_meter_mod(&MeterMod {
                command: MeterModCommand::Add,
                flags: c.flags,
                meter_id: c.meter_id,
                bands: c.bands.clone(),
            })
        }),
        R::MeterFeatures(f) => format!(
            "max_meter={} band_types={:#x} capabilities={:#x} max_bands={} max_color={}",
            f.max_meter, f.band_types, f.capabilities, f.max_bands, f.max_color
        ),
        R::TableFeatures(v) => entries("tables", v, |t| {
            format!(
                "table {} {:?}: max_entries={} metadata_match={:#x} metadata_write={:#x} \
                 config={:#x} properties={}",
                t.table_id,
                t.name,
                t.max_entries,
                t.metadata_match,
                t.metadata_write,
                t.config,
                t.properties.len()
            )
        }),
        R::PortDesc(v) => entries("ports", v, port_text),
        R::Experimenter {
            experimenter,
            exp_type,
            data,
        } => {
            let mut s = experimenter_text(*experimenter, *exp_type, data);
            if !data.is_empty() {
                s.push(' ');
                s.push_str(&blob(&data[..data.len().min(16)]));
            }
            s
        }
    };
    join(head(m.typ(), m.flags), details)
}
