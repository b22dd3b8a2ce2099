//! Decode and encode errors with the message type, byte offset and reason.

use std::fmt;

/// Why a decode failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Fewer bytes remain than the structure needs.
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes left.
        have: usize,
    },
    /// A length field is impossible (too small, not aligned, or beyond its container).
    BadLength {
        /// The structure whose length is wrong.
        what: &'static str,
        /// The length found.
        len: usize,
    },
    /// A field holds a value this codec cannot represent.
    BadValue {
        /// The field.
        what: Field,
        /// The value found.
        value: u64,
    },
    /// The header carries a version other than OpenFlow 1.3 (0x04).
    BadVersion(u8),
    /// Bytes are left over after a structure that must fill its container.
    TrailingBytes {
        /// The container.
        what: &'static str,
        /// How many bytes are left.
        len: usize,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Truncated { what, need, have } => {
                write!(f, "truncated {what}: need {need} bytes, {have} left")
            }
            Reason::BadLength { what, len } => write!(f, "bad {what} length {len}"),
            Reason::BadValue { what, value } => write!(f, "bad {what} value {value:#x}"),
            Reason::BadVersion(v) => write!(f, "unsupported OpenFlow version {v:#04x}"),
            Reason::TrailingBytes { what, len } => write!(f, "{len} trailing bytes after {what}"),
        }
    }
}

/// A field whose value must be one of an enumeration ([`Reason::BadValue`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `ofp_header.type`.
    MessageType,
    /// `ofp_multipart_request.type` / `ofp_multipart_reply.type`.
    MultipartType,
    /// `ofp_match.type`.
    MatchType,
    /// `ofp_role_request.role`.
    Role,
    /// `ofp_group_mod.type` / `ofp_group_desc.type`.
    GroupType,
    /// `ofp_flow_mod.command`.
    FlowModCommand,
    /// The ONF bundle control message's type.
    BundleControlType,
}

impl Field {
    /// The field's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Field::MessageType => "message type",
            Field::MultipartType => "multipart type",
            Field::MatchType => "match type",
            Field::Role => "role",
            Field::GroupType => "group type",
            Field::FlowModCommand => "flow_mod command",
            Field::BundleControlType => "bundle control type",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The innermost structure a decode failure happened in: a length problem inside an action is
/// `OFPBAC_BAD_LEN`, inside an instruction `OFPBIC_BAD_LEN`, inside a match `OFPBMC_BAD_LEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The message itself (its header or body outside the parts below).
    Message,
    /// An `ofp_match`.
    Match,
    /// An instruction list.
    Instruction,
    /// An action list (in an instruction, a group bucket or a packet-out).
    Action,
}

/// What kind of failure a [`DecodeError`] is, in the terms of the OFPT_ERROR that answers it
/// (OpenFlow 1.3.5, section 7.4.4). [`DecodeErrorKind::error_code`] gives the (type, code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecodeErrorKind {
    /// A message type other than HELLO or ERROR with a version other than 0x04:
    /// `OFPET_BAD_REQUEST`/`OFPBRC_BAD_VERSION`.
    BadVersion,
    /// An unknown message type: `OFPET_BAD_REQUEST`/`OFPBRC_BAD_TYPE`.
    BadType,
    /// An unknown multipart type: `OFPET_BAD_REQUEST`/`OFPBRC_BAD_MULTIPART`.
    BadMultipart,
    /// An unknown subtype of a known experimenter message (the ONF bundle control type):
    /// `OFPET_BAD_REQUEST`/`OFPBRC_BAD_EXP_TYPE`. OpenFlow 1.3 has no bundle error type of its
    /// own (ONF extension 230 defines experimenter errors), so this is the closest standard
    /// code.
    BadExperimenterType,
    /// The message is too short, too long, or a length inside it is wrong:
    /// `OFPET_BAD_REQUEST`/`OFPBRC_BAD_LEN`.
    BadLen,
    /// A match type other than OXM: `OFPET_BAD_MATCH`/`OFPBMC_BAD_TYPE`.
    BadMatchType,
    /// A length problem in a match: `OFPET_BAD_MATCH`/`OFPBMC_BAD_LEN`.
    BadMatchLen,
    /// A length problem in an instruction: `OFPET_BAD_INSTRUCTION`/`OFPBIC_BAD_LEN`.
    BadInstructionLen,
    /// A length problem in an action: `OFPET_BAD_ACTION`/`OFPBAC_BAD_LEN`.
    BadActionLen,
    /// An unknown flow-mod command: `OFPET_FLOW_MOD_FAILED`/`OFPFMFC_BAD_COMMAND`.
    BadFlowModCommand,
    /// An unknown group type: `OFPET_GROUP_MOD_FAILED`/`OFPGMFC_BAD_TYPE`.
    BadGroupType,
    /// An unknown controller role: `OFPET_ROLE_REQUEST_FAILED`/`OFPRRFC_BAD_ROLE`.
    BadRole,
}

impl DecodeErrorKind {
    /// The OFPT_ERROR (type, code) that answers a message that failed this way.
    pub fn error_code(self) -> (u16, u16) {
        use crate::msg::error_type::*;
        match self {
            DecodeErrorKind::BadVersion => (BAD_REQUEST, BAD_REQUEST_BAD_VERSION),
            DecodeErrorKind::BadType => (BAD_REQUEST, BAD_REQUEST_BAD_TYPE),
            DecodeErrorKind::BadMultipart => (BAD_REQUEST, BAD_REQUEST_BAD_MULTIPART),
            DecodeErrorKind::BadExperimenterType => (BAD_REQUEST, BAD_REQUEST_BAD_EXP_TYPE),
            DecodeErrorKind::BadLen => (BAD_REQUEST, BAD_REQUEST_BAD_LEN),
            DecodeErrorKind::BadMatchType => (BAD_MATCH, BAD_MATCH_BAD_TYPE),
            DecodeErrorKind::BadMatchLen => (BAD_MATCH, BAD_MATCH_BAD_LEN),
            DecodeErrorKind::BadInstructionLen => (BAD_INSTRUCTION, BAD_INSTRUCTION_BAD_LEN),
            DecodeErrorKind::BadActionLen => (BAD_ACTION, BAD_ACTION_BAD_LEN),
            DecodeErrorKind::BadFlowModCommand => (FLOW_MOD_FAILED, FLOW_MOD_BAD_COMMAND),
            DecodeErrorKind::BadGroupType => (GROUP_MOD_FAILED, GROUP_MOD_BAD_TYPE),
            DecodeErrorKind::BadRole => (ROLE_REQUEST_FAILED, ROLE_BAD_ROLE),
        }
    }
}

/// A decode failure: where in the message it happened and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The OpenFlow message type from the header, when the header could be read.
    pub msg_type: Option<u8>,
    /// Byte offset from the start of the message.
    pub offset: usize,
    /// What was wrong.
    pub reason: Reason,
    /// The innermost structure the failure is in.
    pub part: Part,
}

impl DecodeError {
    pub(crate) fn new(offset: usize, reason: Reason) -> Self {
        DecodeError {
            msg_type: None,
            offset,
            reason,
            part: Part::Message,
        }
    }

    pub(crate) fn with_type(mut self, msg_type: u8) -> Self {
        self.msg_type = Some(msg_type);
        self
    }

    /// Records that the failure is inside `part`, unless an inner part already claimed it.
    pub(crate) fn within(mut self, part: Part) -> Self {
        if self.part == Part::Message {
            self.part = part;
        }
        self
    }

    /// The kind of failure, which chooses the OFPT_ERROR that answers it.
    pub fn kind(&self) -> DecodeErrorKind {
        match (&self.reason, self.part) {
            (Reason::BadVersion(_), _) => DecodeErrorKind::BadVersion,
            (Reason::BadValue { what, .. }, _) => match what {
                Field::MessageType => DecodeErrorKind::BadType,
                Field::MultipartType => DecodeErrorKind::BadMultipart,
                Field::MatchType => DecodeErrorKind::BadMatchType,
                Field::Role => DecodeErrorKind::BadRole,
                Field::GroupType => DecodeErrorKind::BadGroupType,
                Field::FlowModCommand => DecodeErrorKind::BadFlowModCommand,
                Field::BundleControlType => DecodeErrorKind::BadExperimenterType,
            },
            (_, Part::Match) => DecodeErrorKind::BadMatchLen,
            (_, Part::Instruction) => DecodeErrorKind::BadInstructionLen,
            (_, Part::Action) => DecodeErrorKind::BadActionLen,
            (_, Part::Message) => DecodeErrorKind::BadLen,
        }
    }

    /// The OFPT_ERROR body that answers the undecodable `frame` this error came from (it
    /// echoes the frame's first 64 bytes).
    pub fn error_reply(&self, frame: &[u8]) -> crate::msg::ErrorMsg {
        let (typ, code) = self.kind().error_code();
        crate::msg::ErrorMsg::new(typ, code, frame)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.msg_type {
            Some(t) => write!(f, "{}", crate::MsgType::name_of(t))?,
            None => write!(f, "OpenFlow message")?,
        }
        write!(f, ": at offset {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for DecodeError {}

/// An encode failure: the value cannot be put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// A structure grew beyond what its 16-bit length field can hold.
    TooLong {
        /// The structure.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLong { what, len } => {
                write!(f, "{what} of {len} bytes exceeds the 16-bit length field")
            }
        }
    }
}

impl std::error::Error for EncodeError {}
