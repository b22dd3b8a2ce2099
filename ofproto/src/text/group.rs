//! Groups in `ovs-ofctl add-group` syntax: [`parse_group_mod`] and [`format_group_mod`].

use super::action::{format_actions, parse_actions};
use super::lex::{key_value, num_u16, num_u32, spans, Span};
use super::port::{format_port, parse_port, PORT_EXPECTED};
use super::TextError;
use crate::action::port_no;
use crate::msg::{group_id, Bucket, GroupMod, GroupModCommand, GroupType};

/// Parses a group id: a number, `all` or `any`.
pub(crate) fn parse_group_id(field: &str, s: &str) -> Result<u32, TextError> {
    match s.to_ascii_lowercase().as_str() {
        "all" => Ok(group_id::ALL),
        "any" => Ok(group_id::ANY),
        _ => num_u32(field, s),
    }
}

/// The bucket weight `ovs-ofctl` assumes when none is written: 1 in select groups, else 0.
fn default_weight(t: GroupType) -> u16 {
    u16::from(t == GroupType::Select)
}

/// Writes a group mod (everything but the command) as `ovs-ofctl` prints it:
/// `group_id=1,type=select,bucket=weight:10,actions=output:1,bucket=...`.
///
/// Deletes leave out `type=all` when they have no buckets, as `ovs-ofctl del-groups` takes no
/// type. A bucket shows `weight:` when it differs from the default (1 for select groups, 0 for
/// others), `watch_port:` and `watch_group:` unless they are the wildcard, then `actions=`.
pub fn format_group_mod(gm: &GroupMod) -> String {
    let mut s = format!("group_id={}", gm.group_id);
    let default_type = gm.command == GroupModCommand::Delete && gm.group_type == GroupType::All;
    if !default_type || !gm.buckets.is_empty() {
        s.push_str(&format!(",type={}", gm.group_type.name()));
    }
    for b in &gm.buckets {
        s.push_str(",bucket=");
        if b.weight != default_weight(gm.group_type) {
            s.push_str(&format!("weight:{},", b.weight));
        }
        if b.watch_port != port_no::ANY {
            s.push_str(&format!("watch_port:{},", format_port(b.watch_port)));
        }
        if b.watch_group != group_id::ANY {
            s.push_str(&format!("watch_group:{},", b.watch_group));
        }
        s.push_str("actions=");
        s.push_str(&format_actions(&b.actions));
    }
    s
}

/// Parses a group in `ovs-ofctl add-group` syntax into a group mod with the given command:
/// `group_id=N` (or `all`, `any`), `type=all|select|indirect|ff` (`fast_failover` too;
/// required except for deletes, which default to `all`), then any number of
/// `bucket=[weight:W,][watch_port:P,][watch_group:G,]actions=ACTIONS`; inside a bucket
/// `actions=` may be left out and `=` may replace `:`.
pub fn parse_group_mod(text: &str, command: GroupModCommand) -> Result<GroupMod, TextError> {
    let spans = spans(text)?;
    let starts: Vec<usize> = (0..spans.len())
        .filter(|i| spans[*i].1.starts_with("bucket="))
        .collect();
    let head = &spans[..starts.first().copied().unwrap_or(spans.len())];
    let (mut id, mut typ) = (None, None);
    for (_, tok) in head {
        match key_value(tok) {
            ("group_id", Some(v)) => id = Some(parse_group_id("group_id", v)?),
            ("type", Some(v)) => typ = Some(parse_type(v)?),
            _ => {
                return Err(TextError::Unknown {
                    what: "group keyword",
                    token: tok.to_string(),
                    expected: "group_id=N, type=TYPE or bucket=...",
                })
            }
        }
    }
    let group_id = id.ok_or(TextError::Missing { what: "group_id=" })?;
    let group_type = match (typ, command) {
        (Some(t), _) => t,
        (None, GroupModCommand::Delete) => GroupType::All,
        (None, _) => {
            return Err(TextError::Missing {
                what: "type= (all, select, indirect or ff)",
            })
        }
    };
    let mut buckets = Vec::new();
    for (n, start) in starts.iter().enumerate() {
        let from = spans[*start].0 + "bucket=".len();
        let to = starts.get(n + 1).map_or(text.len(), |i| spans[*i].0);
        buckets.push(parse_bucket(&text[from..to], group_type)?);
    }
    Ok(GroupMod {
        command,
        group_type,
        group_id,
        buckets,
    })
}

fn parse_type(v: &str) -> Result<GroupType, TextError> {
    Ok(match v.to_ascii_lowercase().as_str() {
        "all" => GroupType::All,
        "select" => GroupType::Select,
        "indirect" => GroupType::Indirect,
        "ff" | "fast_failover" => GroupType::FastFailover,
        _ => return Err(TextError::bad("type", v, "all, select, indirect or ff")),
    })
}

fn parse_bucket(text: &str, t: GroupType) -> Result<Bucket, TextError> {
    let mut b = Bucket::new(Vec::new());
    b.weight = default_weight(t);
    let spans: Vec<Span<'_>> = spans(text)?;
    let mut actions = Vec::new();
    for (at, tok) in &spans {
        if let Some(rest) = tok.strip_prefix("actions=") {
            let tail = &text[at + tok.len() - rest.len()..];
            actions.extend(parse_actions(tail)?);
            break;
        }
        let (k, v) = tok.split_once([':', '=']).unwrap_or((tok, ""));
        match k {
            "weight" => b.weight = num_u16("weight", v)?,
            "watch_port" => {
                b.watch_port =
                    parse_port(v).ok_or_else(|| TextError::bad("watch_port", v, PORT_EXPECTED))?
            }
            "watch_group" => b.watch_group = parse_group_id("watch_group", v)?,
            _ => actions.extend(parse_actions(tok)?),
        }
    }
    b.actions = actions;
    Ok(b)
}
