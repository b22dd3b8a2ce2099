//! Flow entries: [`parse_flow_mod`] / [`format_flow_mod`] in `ovs-ofctl add-flow` syntax, and
//! [`format_flow_stats`] in `ovs-ofctl dump-flows` style.

use super::group::parse_group_id;
use super::instruction::{format_instructions, parse_instructions};
use super::lex::{duration, key_value, masked_u64, num_u16, num_u32, num_u8, spans};
use super::matching::{match_items, MatchBuilder};
use super::port::{format_port, parse_port, PORT_EXPECTED};
use super::TextError;
use crate::action::port_no;
use crate::msg::{flow_flags, FlowMod, FlowModCommand, OFPG_ANY, OFPTT_ALL, OFP_NO_BUFFER};
use crate::multipart::FlowStats;
use crate::Match;

/// Priority of a flow written without `priority=` (`OFP_DEFAULT_PRIORITY`).
pub(crate) const DEFAULT_PRIORITY: u16 = 0x8000;

/// Flow-mod flags and their keywords.
const FLAGS: [(u16, &str); 5] = [
    (flow_flags::SEND_FLOW_REM, "send_flow_rem"),
    (flow_flags::CHECK_OVERLAP, "check_overlap"),
    (flow_flags::RESET_COUNTS, "reset_counts"),
    (flow_flags::NO_PKT_COUNTS, "no_packet_counts"),
    (flow_flags::NO_BYT_COUNTS, "no_byte_counts"),
];

/// The table a flow mod without `table=` applies to: all tables for deletes (as `ovs-ofctl
/// del-flows`), table 0 otherwise.
fn default_table(command: FlowModCommand) -> u8 {
    if is_delete(command) {
        OFPTT_ALL
    } else {
        0
    }
}

/// `priority=N,` (left out for the default priority) followed by the match.
pub(crate) fn match_with_priority(priority: u16, m: &Match) -> String {
    let mut items = Vec::new();
    if priority != DEFAULT_PRIORITY {
        items.push(format!("priority={priority}"));
    }
    items.extend(match_items(m));
    items.join(",")
}

/// Flag keywords, each followed by a space; unknown bits as `flags=0xN, `.
fn flags_text(flags: u16) -> String {
    let mut s = String::new();
    for (bit, name) in FLAGS {
        if flags & bit != 0 {
            s.push_str(name);
            s.push(' ');
        }
    }
    let other = flags & !FLAGS.iter().fold(0, |a, (b, _)| a | b);
    if other != 0 {
        s.push_str(&format!("flags={other:#x}, "));
    }
    s
}

/// The match (with a trailing space when not empty) and `actions=...`.
fn match_and_actions(priority: u16, m: &Match, ins: &[crate::Instruction]) -> String {
    let mut s = match_with_priority(priority, m);
    if !s.is_empty() {
        s.push(' ');
    }
    s.push_str("actions=");
    s.push_str(&format_instructions(ins));
    s
}

/// Writes a flow mod (everything but the command) in the style of `ovs-ofctl dump-flows
/// --no-stats`, which `ovs-ofctl add-flow` reads back:
/// `cookie=0x5, table=1, idle_timeout=10, send_flow_rem priority=100,tcp,tp_dst=80
/// actions=output:2`.
///
/// `cookie=` appears when the cookie or its mask is not zero (`cookie=0xV/0xM` with a mask),
/// `table=` when it is not the command's default (0, or 255 for deletes), the timeouts when not
/// zero, `priority=` when not 32768; deletes without instructions leave out `actions=`, which
/// `ovs-ofctl del-flows` does not take. Extensions for what `ovs-ofctl` leaves out:
/// `out_port=P, `, `out_group=G, ` and `buffer_id=0xN, ` when not the wildcard / no buffer,
/// `flags=0xN, ` for flag bits without a keyword.
pub fn format_flow_mod(fm: &FlowMod) -> String {
    let mut s = String::new();
    if fm.cookie_mask != 0 {
        s.push_str(&format!("cookie={:#x}/{:#x}, ", fm.cookie, fm.cookie_mask));
    } else if fm.cookie != 0 {
        s.push_str(&format!("cookie={:#x}, ", fm.cookie));
    }
    if fm.table_id != default_table(fm.command) {
        s.push_str(&format!("table={}, ", fm.table_id));
    }
    s.push_str(&timeouts(fm.idle_timeout, fm.hard_timeout));
    s.push_str(&flags_text(fm.flags));
    if fm.out_port != port_no::ANY {
        s.push_str(&format!("out_port={}, ", format_port(fm.out_port)));
    }
    if fm.out_group != OFPG_ANY {
        s.push_str(&format!("out_group={}, ", fm.out_group));
    }
    if fm.buffer_id != OFP_NO_BUFFER {
        s.push_str(&format!("buffer_id={:#x}, ", fm.buffer_id));
    }
    let all = match_and_actions(fm.priority, &fm.r#match, &fm.instructions);
    if is_delete(fm.command) && fm.instructions.is_empty() {
        let m = all.strip_suffix("actions=drop").unwrap_or(&all);
        s.push_str(m.trim_end());
        return s.trim_end_matches([',', ' ']).to_string();
    }
    s.push_str(&all);
    s
}

fn is_delete(c: FlowModCommand) -> bool {
    matches!(c, FlowModCommand::Delete | FlowModCommand::DeleteStrict)
}

fn timeouts(idle: u16, hard: u16) -> String {
    let mut s = String::new();
    if idle != 0 {
        s.push_str(&format!("idle_timeout={idle}, "));
    }
    if hard != 0 {
        s.push_str(&format!("hard_timeout={hard}, "));
    }
    s
}

/// Writes one flow-stats entry as a line of `ovs-ofctl dump-flows` (without the leading
/// space): `cookie=0x0, duration=1.5s, table=0, n_packets=3, n_bytes=180, idle_timeout=10,
/// priority=100,ip actions=output:2`.
pub fn format_flow_stats(fs: &FlowStats) -> String {
    format!(
        "cookie={:#x}, duration={}, table={}, n_packets={}, n_bytes={}, {}{}{}",
        fs.cookie,
        duration(fs.duration_sec, fs.duration_nsec),
        fs.table_id,
        fs.packet_count,
        fs.byte_count,
        timeouts(fs.idle_timeout, fs.hard_timeout),
        flags_text(fs.flags),
        match_and_actions(fs.priority, &fs.r#match, &fs.instructions)
    )
}

/// Parses a flow in `ovs-ofctl add-flow` / `mod-flows` / `del-flows` syntax into a flow mod
/// with the given command: keywords `table=`, `priority=`, `cookie=V[/M]`, `idle_timeout=`,
/// `hard_timeout=`, `send_flow_rem`, `check_overlap`, `reset_counts`, `no_packet_counts`,
/// `no_byte_counts`, `out_port=`, `out_group=`, `buffer_id=`, `flags=`, match fields as in
/// [`parse_match`](super::parse_match), and finally `actions=` as in
/// [`parse_instructions`](super::parse_instructions) (required except for deletes).
/// Separators are commas or white space.
pub fn parse_flow_mod(text: &str, command: FlowModCommand) -> Result<FlowMod, TextError> {
    let spans = spans(text)?;
    let act = spans.iter().position(|(_, t)| t.starts_with("actions="));
    let (head, instructions) = match act {
        Some(i) => (&spans[..i], parse_instructions(&text[spans[i].0 + 8..])?),
        None if is_delete(command) => (&spans[..], Vec::new()),
        None => {
            return Err(TextError::Missing {
                what: "actions= (write actions=drop for a flow without actions)",
            })
        }
    };
    let mut fm = FlowMod::add(
        default_table(command),
        DEFAULT_PRIORITY,
        Match::new(),
        instructions,
    );
    fm.command = command;
    let mut b = MatchBuilder::default();
    for (_, tok) in head {
        match key_value(tok) {
            ("table", Some("all")) => fm.table_id = OFPTT_ALL,
            ("table", Some(v)) => fm.table_id = num_u8("table", v)?,
            ("priority", Some(v)) => fm.priority = num_u16("priority", v)?,
            ("cookie", Some(v)) => {
                let (c, m) = masked_u64("cookie", v)?;
                fm.cookie = c;
                fm.cookie_mask = m.unwrap_or(0);
            }
            ("idle_timeout", Some(v)) => fm.idle_timeout = num_u16("idle_timeout", v)?,
            ("hard_timeout", Some(v)) => fm.hard_timeout = num_u16("hard_timeout", v)?,
            ("out_port", Some(v)) => {
                fm.out_port =
                    parse_port(v).ok_or_else(|| TextError::bad("out_port", v, PORT_EXPECTED))?
            }
            ("out_group", Some(v)) => fm.out_group = parse_group_id("out_group", v)?,
            ("buffer_id", Some(v)) => fm.buffer_id = num_u32("buffer_id", v)?,
            ("flags", Some(v)) => fm.flags |= num_u16("flags", v)?,
            (k, None) if FLAGS.iter().any(|(_, n)| *n == k) => {
                fm.flags |= FLAGS.iter().find(|(_, n)| *n == k).map_or(0, |f| f.0)
            }
            _ => b.add(tok)?,
        }
    }
    fm.r#match = b.finish()?;
    Ok(fm)
}
