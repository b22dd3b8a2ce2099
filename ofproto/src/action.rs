//! OpenFlow 1.3 actions (`ofp_action_*`).

use crate::error::Reason;
use crate::oxm::OxmField;
use crate::wire::{len_placeholder, pad_to, patch_len, DResult, Reader};
use crate::EncodeError;
use bytes::{BufMut, BytesMut};

/// Action type numbers (`enum ofp_action_type`).
pub mod action_type {
    /// Output to a port.
    pub const OUTPUT: u16 = 0;
    /// Copy TTL outwards.
    pub const COPY_TTL_OUT: u16 = 11;
    /// Copy TTL inwards.
    pub const COPY_TTL_IN: u16 = 12;
    /// Set MPLS TTL.
    pub const SET_MPLS_TTL: u16 = 15;
    /// Decrement MPLS TTL.
    pub const DEC_MPLS_TTL: u16 = 16;
    /// Push a VLAN tag.
    pub const PUSH_VLAN: u16 = 17;
    /// Pop the outer VLAN tag.
    pub const POP_VLAN: u16 = 18;
    /// Push an MPLS label.
    pub const PUSH_MPLS: u16 = 19;
    /// Pop the outer MPLS label.
    pub const POP_MPLS: u16 = 20;
    /// Set the output queue.
    pub const SET_QUEUE: u16 = 21;
    /// Apply a group.
    pub const GROUP: u16 = 22;
    /// Set IP TTL.
    pub const SET_NW_TTL: u16 = 23;
    /// Decrement IP TTL.
    pub const DEC_NW_TTL: u16 = 24;
    /// Set a header field.
    pub const SET_FIELD: u16 = 25;
    /// Push a PBB service tag.
    pub const PUSH_PBB: u16 = 26;
    /// Pop the PBB service tag.
    pub const POP_PBB: u16 = 27;
    /// Experimenter action.
    pub const EXPERIMENTER: u16 = 0xffff;
}

/// Reserved port numbers (`enum ofp_port_no`).
pub mod port_no {
    /// Highest physical port number.
    pub const MAX: u32 = 0xffff_ff00;
    /// Send back out the input port.
    pub const IN_PORT: u32 = 0xffff_fff8;
    /// Submit to the first flow table (packet-out only).
    pub const TABLE: u32 = 0xffff_fff9;
    /// Normal L2/L3 processing.
    pub const NORMAL: u32 = 0xffff_fffa;
    /// Flood.
    pub const FLOOD: u32 = 0xffff_fffb;
    /// All ports but the input port.
    pub const ALL: u32 = 0xffff_fffc;
    /// To the controller.
    pub const CONTROLLER: u32 = 0xffff_fffd;
    /// The local port.
    pub const LOCAL: u32 = 0xffff_fffe;
    /// Wildcard / no port.
    pub const ANY: u32 = 0xffff_ffff;
}

/// `max_len` asking the switch to send the whole packet to the controller.
pub const OFPCML_NO_BUFFER: u16 = 0xffff;

/// One action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// Output to `port`; `max_len` bytes go to the controller when `port` is CONTROLLER.
    Output {
        /// Output port.
        port: u32,
        /// Bytes to send to the controller.
        max_len: u16,
    },
    /// Copy TTL "outwards".
    CopyTtlOut,
    /// Copy TTL "inwards".
    CopyTtlIn,
    /// Set MPLS TTL.
    SetMplsTtl(u8),
    /// Decrement MPLS TTL.
    DecMplsTtl,
    /// Push a VLAN header with this ethertype.
    PushVlan(u16),
    /// Pop the outer VLAN header.
    PopVlan,
    /// Push an MPLS header with this ethertype.
    PushMpls(u16),
    /// Pop the outer MPLS header; the payload gets this ethertype.
    PopMpls(u16),
    /// Set the queue for the output port.
    SetQueue(u32),
    /// Process the packet through a group.
    Group(u32),
    /// Set IP TTL.
    SetNwTtl(u8),
    /// Decrement IP TTL.
    DecNwTtl,
    /// Set a header field.
    SetField(OxmField),
    /// Push a PBB service instance header with this ethertype.
    PushPbb(u16),
    /// Pop the outer PBB service instance header.
    PopPbb,
    /// An experimenter action (e.g. Nicira's), kept raw.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Everything after the experimenter id.
        data: Vec<u8>,
    },
    /// An action type this codec does not know, kept raw.
    Unknown {
        /// Action type.
        typ: u16,
        /// Everything after the 4-byte header.
        body: Vec<u8>,
    },
}

impl Action {
    /// Shorthand for an output action (whole packet to the controller if it is the port).
    pub fn output(port: u32) -> Action {
        Action::Output {
            port,
            max_len: if port == port_no::CONTROLLER {
                OFPCML_NO_BUFFER
            } else {
                0
            },
        }
    }

    /// Whether the action is a vendor extension: an experimenter action, or a set-field of a
    /// vendor field ([`OxmField::is_extension`]).
    pub fn is_extension(&self) -> bool {
        match self {
            Action::Experimenter { .. } => true,
            Action::SetField(f) => f.is_extension(),
            _ => false,
        }
    }

    /// The action type number.
    pub fn typ(&self) -> u16 {
        use action_type::*;
        match self {
            Action::Output { .. } => OUTPUT,
            Action::CopyTtlOut => COPY_TTL_OUT,
            Action::CopyTtlIn => COPY_TTL_IN,
            Action::SetMplsTtl(_) => SET_MPLS_TTL,
            Action::DecMplsTtl => DEC_MPLS_TTL,
            Action::PushVlan(_) => PUSH_VLAN,
            Action::PopVlan => POP_VLAN,
            Action::PushMpls(_) => PUSH_MPLS,
            Action::PopMpls(_) => POP_MPLS,
            Action::SetQueue(_) => SET_QUEUE,
            Action::Group(_) => GROUP,
            Action::SetNwTtl(_) => SET_NW_TTL,
            Action::DecNwTtl => DEC_NW_TTL,
            Action::SetField(_) => SET_FIELD,
            Action::PushPbb(_) => PUSH_PBB,
            Action::PopPbb => POP_PBB,
            Action::Experimenter { .. } => EXPERIMENTER,
            Action::Unknown { typ, .. } => *typ,
        }
    }

    /// Reads one action.
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<Action> {
        let (typ, mut a, len) = r.tlv8("action")?;
        let fixed = |n| len.expect(n);
        use action_type::*;
        let action = match typ {
            OUTPUT => {
                fixed(16)?;
                let port = a.u32("output port")?;
                let max_len = a.u16("output max_len")?;
                Action::Output { port, max_len }
            }
            COPY_TTL_OUT | COPY_TTL_IN | DEC_MPLS_TTL | POP_VLAN | DEC_NW_TTL | POP_PBB => {
                fixed(8)?;
                match typ {
                    COPY_TTL_OUT => Action::CopyTtlOut,
                    COPY_TTL_IN => Action::CopyTtlIn,
                    DEC_MPLS_TTL => Action::DecMplsTtl,
                    POP_VLAN => Action::PopVlan,
                    DEC_NW_TTL => Action::DecNwTtl,
                    _ => Action::PopPbb,
                }
            }
            SET_MPLS_TTL | SET_NW_TTL => {
                fixed(8)?;
                let ttl = a.u8("ttl")?;
                if typ == SET_MPLS_TTL {
                    Action::SetMplsTtl(ttl)
                } else {
                    Action::SetNwTtl(ttl)
                }
            }
            PUSH_VLAN | PUSH_MPLS | POP_MPLS | PUSH_PBB => {
                fixed(8)?;
                let et = a.u16("ethertype")?;
                match typ {
                    PUSH_VLAN => Action::PushVlan(et),
                    PUSH_MPLS => Action::PushMpls(et),
                    POP_MPLS => Action::PopMpls(et),
                    _ => Action::PushPbb(et),
                }
            }
            SET_QUEUE | GROUP => {
                fixed(8)?;
                let v = a.u32("id")?;
                if typ == SET_QUEUE {
                    Action::SetQueue(v)
                } else {
                    Action::Group(v)
                }
            }
            SET_FIELD => {
                let f = OxmField::decode(&mut a)?;
                if a.remaining() >= 8 {
                    return Err(a.err(Reason::TrailingBytes {
                        what: "set_field oxm",
                        len: a.remaining(),
                    }));
                }
                Action::SetField(f)
            }
            EXPERIMENTER => {
                let experimenter = a.u32("experimenter id")?;
                Action::Experimenter {
                    experimenter,
                    data: a.rest().to_vec(),
                }
            }
            _ => Action::Unknown {
                typ,
                body: a.rest().to_vec(),
            },
        };
        Ok(action)
    }

    /// Writes the action.
    pub(crate) fn emit(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        buf.put_u16(self.typ());
        let at = len_placeholder(buf);
        match self {
            Action::Output { port, max_len } => {
                buf.put_u32(*port);
                buf.put_u16(*max_len);
                buf.put_bytes(0, 6);
            }
            Action::CopyTtlOut
            | Action::CopyTtlIn
            | Action::DecMplsTtl
            | Action::PopVlan
            | Action::DecNwTtl
            | Action::PopPbb => buf.put_bytes(0, 4),
            Action::SetMplsTtl(t) | Action::SetNwTtl(t) => {
                buf.put_u8(*t);
                buf.put_bytes(0, 3);
            }
            Action::PushVlan(e) | Action::PushMpls(e) | Action::PopMpls(e) | Action::PushPbb(e) => {
                buf.put_u16(*e);
                buf.put_bytes(0, 2);
            }
            Action::SetQueue(v) | Action::Group(v) => buf.put_u32(*v),
            Action::SetField(f) => f.emit(buf)?,
            Action::Experimenter { experimenter, data } => {
                buf.put_u32(*experimenter);
                buf.put_slice(data);
            }
            Action::Unknown { body, .. } => buf.put_slice(body),
        }
        pad_to(buf, start, 8);
        patch_len(buf, at, start, "action")
    }
}

/// Reads actions until the reader is exhausted.
pub(crate) fn decode_actions(r: &mut Reader<'_>) -> DResult<Vec<Action>> {
    r.many(Action::decode)
        .map_err(|e| e.within(crate::Part::Action))
}

/// Writes a list of actions.
pub(crate) fn emit_actions(actions: &[Action], buf: &mut BytesMut) -> Result<(), EncodeError> {
    actions.iter().try_for_each(|a| a.emit(buf))
}
