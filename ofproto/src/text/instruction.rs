//! Instruction lists in `ovs-ofctl` `actions=` syntax: [`format_instructions`] and
//! [`parse_instructions`].

use super::action::{action_list, parse_action, parse_actions};
use super::lex::{fmt_id_blob, hex, id_and_blob, masked_u64, num_u32, num_u8, paren_arg, tokens};
use super::TextError;
use crate::instruction::Instruction;

/// Writes an instruction list as the value of `actions=`; `drop` when empty.
///
/// The first apply-actions instruction is written as the plain action list, as `ovs-ofctl`
/// does; the others are `meter:N`, `clear_actions`, `write_actions(...)`,
/// `write_metadata:0xV[/0xM]` (no mask when it is all ones) and `goto_table:N`, in the order of
/// the list. Cases Open vSwitch has no syntax for use: `apply_actions(...)` for a further or
/// empty apply-actions instruction, `experimenter_instruction(0xID[:0xDATA])` and
/// `instruction(TYPE[:0xBODY])` for experimenter and unknown instructions.
pub fn format_instructions(list: &[Instruction]) -> String {
    if list.is_empty() {
        return "drop".to_string();
    }
    let mut plain_done = false;
    let items: Vec<String> = list
        .iter()
        .map(|i| match i {
            Instruction::ApplyActions(a) if !plain_done && !a.is_empty() => {
                plain_done = true;
                action_list(a)
            }
            Instruction::ApplyActions(a) => {
                plain_done = true;
                format!("apply_actions({})", action_list(a))
            }
            Instruction::GotoTable(t) => format!("goto_table:{t}"),
            Instruction::WriteMetadata { metadata, mask } if *mask == u64::MAX => {
                format!("write_metadata:{}", hex(*metadata))
            }
            Instruction::WriteMetadata { metadata, mask } => {
                format!("write_metadata:{}/{}", hex(*metadata), hex(*mask))
            }
            Instruction::WriteActions(a) => format!("write_actions({})", action_list(a)),
            Instruction::ClearActions => "clear_actions".to_string(),
            Instruction::Meter(m) => format!("meter:{m}"),
            Instruction::Experimenter { experimenter, data } => format!(
                "experimenter_instruction({})",
                fmt_id_blob(format!("{experimenter:#x}"), data)
            ),
            Instruction::Unknown { typ, body } => {
                format!("instruction({})", fmt_id_blob(typ.to_string(), body))
            }
        })
        .collect();
    items.join(",")
}

/// Parses the value of `actions=` (see [`format_instructions`]): instructions, with every
/// plain action gathered into one apply-actions instruction placed where the first one
/// appears. `drop` or nothing is the empty list.
pub fn parse_instructions(text: &str) -> Result<Vec<Instruction>, TextError> {
    let toks = tokens(text)?;
    if let [t] = toks.as_slice() {
        if t.eq_ignore_ascii_case("drop") {
            return Ok(Vec::new());
        }
    }
    let mut out = Vec::new();
    let mut apply: Option<usize> = None;
    for tok in toks {
        let (name, arg) = tok.split_once(':').unwrap_or((tok, ""));
        let inst = match name.to_ascii_lowercase().as_str() {
            "goto_table" => Instruction::GotoTable(num_u8("goto_table", arg)?),
            "meter" => Instruction::Meter(num_u32("meter", arg)?),
            "write_metadata" => {
                let (metadata, mask) = masked_u64("write_metadata", arg)?;
                Instruction::WriteMetadata {
                    metadata,
                    mask: mask.unwrap_or(u64::MAX),
                }
            }
            "clear_actions" if arg.is_empty() => Instruction::ClearActions,
            _ => match paren_form(tok)? {
                Some(i) => i,
                None => {
                    let a = parse_action(tok)?;
                    match apply.and_then(|i| out.get_mut(i)) {
                        Some(Instruction::ApplyActions(list)) => list.push(a),
                        _ => {
                            apply = Some(out.len());
                            out.push(Instruction::ApplyActions(vec![a]));
                        }
                    }
                    continue;
                }
            },
        };
        out.push(inst);
    }
    Ok(out)
}

/// The `name(...)` instructions, `None` for anything else.
fn paren_form(tok: &str) -> Result<Option<Instruction>, TextError> {
    let lower = tok.to_ascii_lowercase();
    let arg = |name: &str| paren_arg(&lower, name).map(|_| &tok[name.len() + 1..tok.len() - 1]);
    Ok(Some(if let Some(a) = arg("write_actions") {
        Instruction::WriteActions(parse_actions(a)?)
    } else if let Some(a) = arg("apply_actions") {
        Instruction::ApplyActions(parse_actions(a)?)
    } else if let Some(a) = arg("experimenter_instruction") {
        let (id, data) = id_and_blob("experimenter_instruction", a, u32::MAX as u64)?;
        Instruction::Experimenter {
            experimenter: id as u32,
            data,
        }
    } else if let Some(a) = arg("instruction") {
        let (typ, body) = id_and_blob("instruction", a, u16::MAX as u64)?;
        Instruction::Unknown {
            typ: typ as u16,
            body,
        }
    } else {
        return Ok(None);
    }))
}
