//! [`format_message`]: one line per message, in the spirit of `ovs-ofctl ofp-print`.

use super::action::format_actions;
use super::flow::{format_flow_mod, match_with_priority};
use super::group::format_group_mod;
use super::lex::{blob, duration};
use super::matching::format_match;
use super::meter::format_meter_mod;
use super::port::format_port;
use super::stats::{multipart_reply, multipart_request};
use crate::msg::{
    bundle_flags, error_name, error_type, error_type_name, Body, ErrorMsg, FlowModCommand,
    GroupModCommand, HelloElement, MeterModCommand, Port, QueueProperty, OFP_NO_BUFFER,
};
use crate::{Message, MsgType, OFP_VERSION};

/// Bytes of a payload shown in hex before it is cut short.
const SHOWN_BYTES: usize = 16;

/// Summarises any message on one line: `OFPT_FLOW_MOD xid=0x5: ADD priority=100,in_port=1
/// actions=output:2`.
///
/// The line starts with the message type (`ONFT_BUNDLE_CONTROL` / `ONFT_BUNDLE_ADD_MESSAGE` for
/// the bundle messages) and the xid, plus `(version 0xNN)` when the version is not OpenFlow
/// 1.3; after a colon come the body's contents (nothing for bodiless messages). Flow, group and
/// meter mods show their command and then the text of [`format_flow_mod`],
/// [`format_group_mod`] or [`format_meter_mod`]; multipart messages their `OFPMP_*` type, the
/// request's parameters or the number of entries in a reply with the first few of them;
/// errors their `OFPET_*`/`OFP*C_*` name and the request they echo; bundle-add messages the
/// embedded message's own line. Never panics.
pub fn format_message(msg: &Message) -> String {
    let name = match &msg.body {
        Body::BundleControl(_) => "ONFT_BUNDLE_CONTROL".to_string(),
        Body::BundleAdd(_) => "ONFT_BUNDLE_ADD_MESSAGE".to_string(),
        b => MsgType::name_of(b.msg_type() as u8),
    };
    let mut line = format!("{name} xid={:#x}", msg.xid);
    if msg.version != OFP_VERSION {
        line.push_str(&format!(" (version {:#04x})", msg.version));
    }
    let body = body_text(&msg.body);
    if !body.is_empty() {
        line.push_str(": ");
        line.push_str(&body);
    }
    line
}

fn body_text(body: &Body) -> String {
    match body {
        Body::Hello(h) if h.elements.is_empty() => "no version bitmap".into(),
        Body::Hello(h) => h
            .elements
            .iter()
            .map(hello_element)
            .collect::<Vec<_>>()
            .join("; "),
        Body::Error(e) => error_text(e),
        Body::EchoRequest(d) | Body::EchoReply(d) => bytes_text(d),
        Body::Experimenter(e) => format!(
            "experimenter={:#x} exp_type={} {}",
            e.experimenter,
            e.exp_type,
            bytes_text(&e.data)
        ),
        Body::FeaturesRequest
        | Body::GetConfigRequest
        | Body::BarrierRequest
        | Body::BarrierReply
        | Body::GetAsyncRequest => String::new(),
        Body::FeaturesReply(f) => format!(
            "dpid={:#018x} n_tables={} n_buffers={} auxiliary_id={} capabilities={:#x}",
            f.datapath_id, f.n_tables, f.n_buffers, f.auxiliary_id, f.capabilities
        ),
        Body::GetConfigReply(c) | Body::SetConfig(c) => {
            let frags = ["normal", "drop", "reassemble", "mask"][(c.flags & 3) as usize];
            let mut s = format!("frags={frags} miss_send_len={}", c.miss_send_len);
            if c.flags & !3 != 0 {
                s.push_str(&format!(" flags={:#x}", c.flags));
            }
            s
        }
        Body::PacketIn(p) => {
            let reason = ["no_match", "action", "invalid_ttl"]
                .get(p.reason as usize)
                .map_or_else(|| p.reason.to_string(), |r| r.to_string());
            format!(
                "table_id={} cookie={:#x} total_len={} {} (via {reason}) data_len={} {}",
                p.table_id,
                p.cookie,
                p.total_len,
                format_match(&p.r#match),
                p.data.len(),
                buffer_text(p.buffer_id)
            )
        }
        Body::FlowRemoved(f) => {
            let reason = ["idle", "hard", "delete", "group_delete", "meter_delete"]
                .get(f.reason as usize)
                .map_or_else(|| f.reason.to_string(), |r| r.to_string());
            format!(
                "{} reason={reason} table_id={} cookie={:#x} duration={} idle_timeout={} \
                 hard_timeout={} n_packets={} n_bytes={}",
                match_with_priority(f.priority, &f.r#match),
                f.table_id,
                f.cookie,
                duration(f.duration_sec, f.duration_nsec),
                f.idle_timeout,
                f.hard_timeout,
                f.packet_count,
                f.byte_count
            )
        }
        Body::PortStatus(p) => {
            let reason = ["ADD", "DELETE", "MODIFY"]
                .get(p.reason as usize)
                .map_or_else(|| format!("reason {}", p.reason), |r| r.to_string());
            format!("{reason}: {}", port_text(&p.desc))
        }
        Body::PacketOut(p) => format!(
            "in_port={} actions={} data_len={} {}",
            format_port(p.in_port),
            format_actions(&p.actions),
            p.data.len(),
            buffer_text(p.buffer_id)
        ),
        Body::FlowMod(f) => format!("{} {}", flow_command(f.command), format_flow_mod(f)),
        Body::GroupMod(g) => format!("{} {}", group_command(g.command), format_group_mod(g)),
        Body::PortMod(p) => format!(
            "port={} addr={} config={:#x} mask={:#x} advertise={:#x}",
            format_port(p.port_no),
            p.hw_addr,
            p.config,
            p.mask,
            p.advertise
        ),
        Body::TableMod(t) => format!("table_id={} config={:#x}", table_text(t.table_id), t.config),
        Body::MultipartRequest(m) => multipart_request(m),
        Body::MultipartReply(m) => multipart_reply(m),
        Body::QueueGetConfigRequest(port) => format!("port={}", format_port(*port)),
        Body::QueueGetConfigReply(q) => {
            let mut s = format!("port={} queues={}", format_port(q.port), q.queues.len());
            for queue in &q.queues {
                s.push_str(&format!("; queue {}:", queue.queue_id));
                for p in &queue.properties {
                    s.push(' ');
                    s.push_str(&queue_property(p));
                }
            }
            s
        }
        Body::RoleRequest(r) | Body::RoleReply(r) => {
            format!("role={} generation_id={}", r.role.name(), r.generation_id)
        }
        Body::GetAsyncReply(a) | Body::SetAsync(a) => format!(
            "packet_in_mask={:#x}/{:#x} port_status_mask={:#x}/{:#x} flow_removed_mask={:#x}/{:#x}",
            a.packet_in_mask[0],
            a.packet_in_mask[1],
            a.port_status_mask[0],
            a.port_status_mask[1],
            a.flow_removed_mask[0],
            a.flow_removed_mask[1]
        ),
        Body::MeterMod(m) => format!("{} {}", meter_command(m.command), format_meter_mod(m)),
        Body::BundleControl(b) => {
            let mut s = format!(
                "bundle_id={:#x} type={} flags={}",
                b.bundle_id,
                b.typ.name(),
                bundle_flags_text(b.flags)
            );
            if !b.properties.is_empty() {
                s.push_str(&format!(" properties={}", b.properties.len()));
            }
            s
        }
        Body::BundleAdd(b) => {
            let mut s = format!(
                "bundle_id={:#x} flags={} message: {}",
                b.bundle_id,
                bundle_flags_text(b.flags),
                format_message(&b.message)
            );
            if !b.trailer.is_empty() {
                s.push_str(&format!(" (trailer {} bytes)", b.trailer.len()));
            }
            s
        }
    }
}

fn hello_element(e: &HelloElement) -> String {
    match e {
        HelloElement::VersionBitmap(words) => {
            let versions: Vec<String> = words
                .iter()
                .enumerate()
                .flat_map(|(i, w)| {
                    (0..32u32)
                        .filter(move |b| w & (1 << b) != 0)
                        .map(move |b| format!("{:#04x}", 32 * i as u64 + b as u64))
                })
                .collect();
            format!("version bitmap: {}", versions.join(", "))
        }
        HelloElement::Unknown { typ, body } => {
            format!("element type={typ} ({} bytes)", body.len())
        }
    }
}

fn error_text(e: &ErrorMsg) -> String {
    match e {
        ErrorMsg::Standard { typ, code, data } => {
            let name = error_name(*typ, *code).unwrap_or_else(|| {
                let t = error_type_name(*typ).map_or_else(|| format!("type {typ}"), str::to_string);
                format!("{t} code {code}")
            });
            if *typ == error_type::HELLO_FAILED {
                return format!("{name}: {:?}", String::from_utf8_lossy(data));
            }
            format!("{name} {}", echoed_request(data))
        }
        ErrorMsg::Experimenter {
            exp_type,
            experimenter,
            data,
        } => format!(
            "OFPET_EXPERIMENTER exp_type={exp_type} experimenter={experimenter:#x} {}",
            bytes_text(data)
        ),
    }
}

/// The request an error echoes: its own line when it decodes, else its header.
fn echoed_request(data: &[u8]) -> String {
    if let Ok(m) = Message::decode(data) {
        return format!("request: {}", format_message(&m));
    }
    match data {
        [_, t, _, _, a, b, c, d, ..] => format!(
            "request: {} xid={:#x} ({} bytes shown)",
            MsgType::name_of(*t),
            u32::from_be_bytes([*a, *b, *c, *d]),
            data.len()
        ),
        _ => bytes_text(data),
    }
}

/// A byte count and the first bytes in hex.
fn bytes_text(d: &[u8]) -> String {
    if d.is_empty() {
        return "(0 bytes)".into();
    }
    let shown = &d[..d.len().min(SHOWN_BYTES)];
    let more = if d.len() > SHOWN_BYTES { "..." } else { "" };
    format!("({} bytes) {}{more}", d.len(), blob(shown))
}

fn buffer_text(buffer_id: u32) -> String {
    if buffer_id == OFP_NO_BUFFER {
        "(unbuffered)".into()
    } else {
        format!("buffer={buffer_id:#x}")
    }
}

/// A table id, `all` for 255.
pub(crate) fn table_text(t: u8) -> String {
    if t == crate::msg::OFPTT_ALL {
        "all".into()
    } else {
        t.to_string()
    }
}

/// One port's description.
pub(crate) fn port_text(p: &Port) -> String {
    format!(
        "{}({}): addr={} config={:#x} state={:#x} curr={:#x} speed={}kbps max={}kbps",
        format_port(p.port_no),
        p.name.escape_debug(),
        p.hw_addr,
        p.config,
        p.state,
        p.curr,
        p.curr_speed,
        p.max_speed
    )
}

fn queue_property(p: &QueueProperty) -> String {
    match p {
        QueueProperty::MinRate(r) => format!("min_rate={r}"),
        QueueProperty::MaxRate(r) => format!("max_rate={r}"),
        QueueProperty::Experimenter { experimenter, data } => {
            format!("experimenter={experimenter:#x} {}", bytes_text(data))
        }
        QueueProperty::Unknown { typ, body } => format!("property {typ} {}", bytes_text(body)),
    }
}

fn bundle_flags_text(flags: u16) -> String {
    let mut names = Vec::new();
    if flags & bundle_flags::ATOMIC != 0 {
        names.push("atomic".to_string());
    }
    if flags & bundle_flags::ORDERED != 0 {
        names.push("ordered".to_string());
    }
    let other = flags & !(bundle_flags::ATOMIC | bundle_flags::ORDERED);
    if other != 0 || names.is_empty() {
        names.push(format!("{other:#x}"));
    }
    names.join("|")
}

fn flow_command(c: FlowModCommand) -> &'static str {
    match c {
        FlowModCommand::Add => "ADD",
        FlowModCommand::Modify => "MOD",
        FlowModCommand::ModifyStrict => "MOD_STRICT",
        FlowModCommand::Delete => "DEL",
        FlowModCommand::DeleteStrict => "DEL_STRICT",
    }
}

fn group_command(c: GroupModCommand) -> String {
    match c {
        GroupModCommand::Add => "ADD".into(),
        GroupModCommand::Modify => "MOD".into(),
        GroupModCommand::Delete => "DEL".into(),
        GroupModCommand::Other(0x8000) => "ADD_OR_MOD".into(),
        GroupModCommand::Other(n) => format!("cmd:{n}"),
    }
}

fn meter_command(c: MeterModCommand) -> String {
    match c {
        MeterModCommand::Add => "ADD".into(),
        MeterModCommand::Modify => "MOD".into(),
        MeterModCommand::Delete => "DEL".into(),
        MeterModCommand::Other(n) => format!("cmd:{n}"),
    }
}
