//! Action lists in `ovs-ofctl` syntax: [`format_actions`] and [`parse_actions`].

use super::field::{field_name, parse_named, value_text};
use super::lex::{
    fmt_id_blob, id_and_blob, key_value, num_u16, num_u32, num_u8, paren_arg, tokens,
};
use super::port::{format_port, parse_port, reserved_name, PORT_EXPECTED};
use super::TextError;
use crate::action::{port_no, Action, OFPCML_NO_BUFFER};

/// Ports that `ovs-ofctl` writes as a bare action name.
const BARE_PORTS: [u32; 6] = [
    port_no::IN_PORT,
    port_no::TABLE,
    port_no::NORMAL,
    port_no::FLOOD,
    port_no::ALL,
    port_no::LOCAL,
];

/// Writes an action list, `drop` when empty.
///
/// Spellings are Open vSwitch's: `output:2`, `IN_PORT`, `NORMAL`, `FLOOD`, `ALL`, `LOCAL`,
/// `TABLE`, `CONTROLLER:65535`, `group:5`, `set_queue:3`, `push_vlan:0x8100`, `pop_vlan`,
/// `push_mpls:0x8847`, `pop_mpls:0x0800`, `set_mpls_ttl(64)`, `dec_mpls_ttl`, `mod_nw_ttl:64`,
/// `dec_ttl`, `set_field:10.0.0.1->ip_dst`. Actions Open vSwitch has no syntax for use:
/// `copy_ttl_out`, `copy_ttl_in`, `push_pbb:0x88e7`, `pop_pbb`,
/// `output(port=2,max_len=128)` for an output to a port other than CONTROLLER with a non-zero
/// `max_len`, `set_field:0xVALUE[/0xMASK]->oxm(0xCLASS:FIELD)` for a raw field,
/// `experimenter(0xID[:0xDATA])` and `action(TYPE[:0xBODY])` for experimenter and unknown
/// actions (`DATA` and `BODY` are the bytes after the id or after the 4-byte header).
pub fn format_actions(actions: &[Action]) -> String {
    if actions.is_empty() {
        "drop".to_string()
    } else {
        action_list(actions)
    }
}

/// The actions joined by commas (empty for none).
pub(crate) fn action_list(actions: &[Action]) -> String {
    actions
        .iter()
        .map(format_action)
        .collect::<Vec<_>>()
        .join(",")
}

fn format_action(a: &Action) -> String {
    match a {
        Action::Output { port, max_len } if *port == port_no::CONTROLLER => {
            format!("CONTROLLER:{max_len}")
        }
        Action::Output { port, max_len: 0 } if BARE_PORTS.contains(port) => format_port(*port),
        Action::Output { port, max_len: 0 } => format!("output:{}", format_port(*port)),
        Action::Output { port, max_len } => {
            format!("output(port={},max_len={max_len})", format_port(*port))
        }
        Action::CopyTtlOut => "copy_ttl_out".into(),
        Action::CopyTtlIn => "copy_ttl_in".into(),
        Action::SetMplsTtl(t) => format!("set_mpls_ttl({t})"),
        Action::DecMplsTtl => "dec_mpls_ttl".into(),
        Action::PushVlan(e) => format!("push_vlan:0x{e:04x}"),
        Action::PopVlan => "pop_vlan".into(),
        Action::PushMpls(e) => format!("push_mpls:0x{e:04x}"),
        Action::PopMpls(e) => format!("pop_mpls:0x{e:04x}"),
        Action::SetQueue(q) => format!("set_queue:{q}"),
        Action::Group(g) => format!("group:{g}"),
        Action::SetNwTtl(t) => format!("mod_nw_ttl:{t}"),
        Action::DecNwTtl => "dec_ttl".into(),
        Action::SetField(f) => format!("set_field:{}->{}", value_text(f), field_name(f)),
        Action::PushPbb(e) => format!("push_pbb:0x{e:04x}"),
        Action::PopPbb => "pop_pbb".into(),
        Action::Experimenter { experimenter, data } => {
            format!(
                "experimenter({})",
                fmt_id_blob(format!("{experimenter:#x}"), data)
            )
        }
        Action::Unknown { typ, body } => format!("action({})", fmt_id_blob(typ.to_string(), body)),
    }
}

/// Parses an action list as written by [`format_actions`]; also accepts `drop` or nothing for
/// an empty list, bare port numbers, `output:PORT`, `CONTROLLER`, `controller:MAX_LEN`,
/// `controller(max_len=N)`, `set_nw_ttl:N` and `set_mpls_ttl:N`. Names are case-insensitive.
pub fn parse_actions(text: &str) -> Result<Vec<Action>, TextError> {
    let toks = tokens(text)?;
    if let [t] = toks.as_slice() {
        if t.eq_ignore_ascii_case("drop") {
            return Ok(Vec::new());
        }
    }
    toks.into_iter().map(parse_action).collect()
}

/// Parses one action token.
pub(crate) fn parse_action(tok: &str) -> Result<Action, TextError> {
    if let Some(rest) = strip_prefix_ci(tok, "set_field:") {
        return parse_set_field(tok, rest);
    }
    let (name, arg) = match tok.find(['(', ':']) {
        Some(i) if tok.as_bytes()[i] == b'(' => match paren_arg(tok, &tok[..i]) {
            Some(a) => (&tok[..i], Some(a)),
            None => return Err(TextError::syntax(tok, "expected `name(arguments)`")),
        },
        Some(i) => (&tok[..i], Some(&tok[i + 1..])),
        None => (tok, None),
    };
    let lower = name.to_ascii_lowercase();
    let ethertype = |a: Option<&str>| num_u16(&lower, need(tok, a)?);
    let none = |a: Option<&str>, act: Action| match a {
        None => Ok(act),
        Some(_) => Err(TextError::syntax(
            tok,
            format!("`{lower}` takes no argument"),
        )),
    };
    Ok(match lower.as_str() {
        "output" => match arg {
            Some(a) if tok.contains('(') => output_args(tok, a)?,
            a => Action::output(port("output", need(tok, a)?)?),
        },
        "controller" => Action::Output {
            port: port_no::CONTROLLER,
            max_len: match arg {
                None => OFPCML_NO_BUFFER,
                Some(a) => match a.strip_prefix("max_len=") {
                    Some(n) => num_u16("max_len", n)?,
                    None => num_u16("controller", a)?,
                },
            },
        },
        "group" => Action::Group(num_u32(&lower, need(tok, arg)?)?),
        "set_queue" => Action::SetQueue(num_u32(&lower, need(tok, arg)?)?),
        "push_vlan" => Action::PushVlan(ethertype(arg)?),
        "push_mpls" => Action::PushMpls(ethertype(arg)?),
        "pop_mpls" => Action::PopMpls(ethertype(arg)?),
        "push_pbb" => Action::PushPbb(ethertype(arg)?),
        "set_mpls_ttl" => Action::SetMplsTtl(num_u8(&lower, need(tok, arg)?)?),
        "set_nw_ttl" | "mod_nw_ttl" => Action::SetNwTtl(num_u8(&lower, need(tok, arg)?)?),
        "pop_vlan" => none(arg, Action::PopVlan)?,
        "pop_pbb" => none(arg, Action::PopPbb)?,
        "dec_mpls_ttl" => none(arg, Action::DecMplsTtl)?,
        "dec_ttl" => none(arg, Action::DecNwTtl)?,
        "copy_ttl_out" => none(arg, Action::CopyTtlOut)?,
        "copy_ttl_in" => none(arg, Action::CopyTtlIn)?,
        "experimenter" => {
            let (id, data) = id_and_blob("experimenter", need(tok, arg)?, u32::MAX as u64)?;
            Action::Experimenter {
                experimenter: id as u32,
                data,
            }
        }
        "action" => {
            let (typ, body) = id_and_blob("action", need(tok, arg)?, u16::MAX as u64)?;
            Action::Unknown {
                typ: typ as u16,
                body,
            }
        }
        _ => match (parse_port(name), arg) {
            (Some(p), None) if reserved_name(p).is_none() || BARE_PORTS.contains(&p) => {
                Action::output(p)
            }
            _ => {
                return Err(TextError::Unknown {
                    what: "action",
                    token: tok.to_string(),
                    expected: "an OpenFlow 1.3 action such as output:PORT, CONTROLLER:LEN, \
                               group:N, set_queue:N, push_vlan:0x8100, pop_vlan, \
                               set_field:VALUE->FIELD, dec_ttl, or experimenter(ID:DATA)",
                })
            }
        },
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn need<'a>(tok: &str, arg: Option<&'a str>) -> Result<&'a str, TextError> {
    arg.filter(|a| !a.is_empty())
        .ok_or_else(|| TextError::syntax(tok, "this action needs an argument"))
}

fn port(field: &str, s: &str) -> Result<u32, TextError> {
    parse_port(s).ok_or_else(|| TextError::bad(field, s, PORT_EXPECTED))
}

/// `output(port=P,max_len=N)`.
fn output_args(tok: &str, args: &str) -> Result<Action, TextError> {
    let (mut p, mut max_len) = (None, 0);
    for a in tokens(args)? {
        match key_value(a) {
            ("port", Some(v)) => p = Some(port("port", v)?),
            ("max_len", Some(v)) => max_len = num_u16("max_len", v)?,
            _ => {
                return Err(TextError::syntax(
                    tok,
                    "expected output(port=PORT,max_len=N)",
                ))
            }
        }
    }
    let port = p.ok_or_else(|| TextError::syntax(tok, "output(...) needs port=PORT"))?;
    Ok(Action::Output { port, max_len })
}

/// `set_field:VALUE[/MASK]->FIELD`.
fn parse_set_field(tok: &str, rest: &str) -> Result<Action, TextError> {
    let (value, field) = rest
        .rsplit_once("->")
        .ok_or_else(|| TextError::syntax(tok, "expected set_field:VALUE->FIELD"))?;
    Ok(Action::SetField(parse_named(field, value)?))
}
