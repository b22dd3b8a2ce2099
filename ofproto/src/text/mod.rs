//! The `ovs-ofctl` text syntax for matches, actions, instructions, flow, group and meter mods,
//! and one-line summaries of every message.
//!
//! The spelling follows Open vSwitch 3.1 as closely as OpenFlow 1.3 allows, so that text from
//! `ovs-ofctl dump-flows` or written for `ovs-ofctl add-flow` parses, and what is written here
//! is what `ovs-ofctl` prints for the same message:
//!
//! * [`format_match`] / [`parse_match`]: `tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80`.
//! * [`format_actions`] / [`parse_actions`] and [`format_instructions`] /
//!   [`parse_instructions`]: `meter:1,output:2,write_actions(group:3),goto_table:4`.
//! * [`format_flow_mod`] / [`parse_flow_mod`], [`format_group_mod`] / [`parse_group_mod`],
//!   [`format_meter_mod`] / [`parse_meter_mod`], and [`format_flow_stats`].
//! * [`format_message`]: one line per message for logs and `ofdump`.
//!
//! # Lossless extensions
//!
//! Whatever the codec can hold can be written and read back. Where Open vSwitch has no syntax,
//! these forms are used (`BLOB` is `0x` followed by two hex digits per byte, `0x` alone for no
//! bytes):
//!
//! * A field kept raw (another OXM class, or an unusual length):
//!   `oxm(0xCLASS:FIELD)=BLOB` in a match, `BLOB/BLOB` when its has-mask bit is set (the
//!   payload split in two halves, the second one longer for odd lengths);
//!   `set_field:BLOB->oxm(0xCLASS:FIELD)` in an action. For the experimenter class the payload
//!   starts with the experimenter id.
//! * OpenFlow 1.3 basic fields Open vSwitch lacks: `in_phy_port=PORT`, `pbb_isid=0xN[/0xM]`,
//!   `ipv6_exthdr=0xN[/0xM]`; values Open vSwitch's spelling cannot carry use the field's own
//!   name: `vlan_vid=N[/0xM]`, `vlan_pcp=N`, `ip_dscp=N`, `tcp_src=N`, `icmpv4_type=N`, ...
//! * Actions: `copy_ttl_out`, `copy_ttl_in`, `push_pbb:0xETHERTYPE`, `pop_pbb`,
//!   `output(port=PORT,max_len=N)`, `experimenter(0xID[:BLOB])` (data after the experimenter
//!   id) and `action(TYPE[:BLOB])` for an unknown type (body after the 4-byte header).
//! * Instructions: `apply_actions(...)` for an apply-actions instruction after the first or an
//!   empty one, `experimenter_instruction(0xID[:BLOB])`, `instruction(TYPE[:BLOB])`.
//! * Flow mods: `out_port=`, `out_group=`, `buffer_id=`, `flags=0xN` for bits without a name.
//! * Meter bands: `type=experimenter,...,experimenter=0xID,data=BLOB` and
//!   `type=N,...,data=BLOB`; meter flags without a name as `flags=0xN`.
//!
//! Parsing is literal: an explicit mask is kept even if it is all ones, and value bits outside
//! the mask are kept. `parse(format(x)) == x` holds for every value whose match satisfies the
//! OpenFlow prerequisites, except that a match comes back with its fields in Open vSwitch's
//! canonical order (compare field sets, not sequences).

mod action;
mod error;
mod field;
mod flow;
mod group;
mod instruction;
mod lex;
mod matching;
mod message;
mod meter;
mod port;
mod stats;
mod vlan;

#[cfg(test)]
mod tests;

pub use action::{format_actions, parse_actions};
pub use error::TextError;
pub use flow::{format_flow_mod, format_flow_stats, parse_flow_mod};
pub use group::{format_group_mod, parse_group_mod};
pub use instruction::{format_instructions, parse_instructions};
pub use matching::{format_match, parse_match};
pub use message::format_message;
pub use meter::{format_meter_mod, parse_meter_mod};
