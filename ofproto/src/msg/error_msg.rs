//! `OFPT_ERROR`: standard errors of every type and code, and experimenter errors.

use crate::wire::{DResult, Reader};
use bytes::{BufMut, BytesMut};

/// `OFPET_EXPERIMENTER`.
pub const OFPET_EXPERIMENTER: u16 = 0xffff;

/// An error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorMsg {
    /// A standard error (`OFPET_*` type and its code).
    Standard {
        /// Error type.
        typ: u16,
        /// Error code within the type.
        code: u16,
        /// At least the first 64 bytes of the failed request, or ASCII text for HELLO_FAILED.
        data: Vec<u8>,
    },
    /// `OFPET_EXPERIMENTER`.
    Experimenter {
        /// Experimenter-defined type.
        exp_type: u16,
        /// Experimenter id.
        experimenter: u32,
        /// Data.
        data: Vec<u8>,
    },
}

impl ErrorMsg {
    /// A standard error that echoes (at most 64 bytes of) the offending request.
    pub fn new(typ: u16, code: u16, request: &[u8]) -> ErrorMsg {
        ErrorMsg::Standard {
            typ,
            code,
            data: request[..request.len().min(64)].to_vec(),
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<ErrorMsg> {
        let typ = r.u16("error type")?;
        if typ == OFPET_EXPERIMENTER {
            let exp_type = r.u16("exp_type")?;
            let experimenter = r.u32("experimenter")?;
            return Ok(ErrorMsg::Experimenter {
                exp_type,
                experimenter,
                data: r.rest().to_vec(),
            });
        }
        let code = r.u16("error code")?;
        Ok(ErrorMsg::Standard {
            typ,
            code,
            data: r.rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        match self {
            ErrorMsg::Standard { typ, code, data } => {
                buf.put_u16(*typ);
                buf.put_u16(*code);
                buf.put_slice(data);
            }
            ErrorMsg::Experimenter {
                exp_type,
                experimenter,
                data,
            } => {
                buf.put_u16(OFPET_EXPERIMENTER);
                buf.put_u16(*exp_type);
                buf.put_u32(*experimenter);
                buf.put_slice(data);
            }
        }
    }
}

/// Error types and constants for the codes a controller uses most.
pub mod error_type {
    /// Hello protocol failed.
    pub const HELLO_FAILED: u16 = 0;
    /// Request was not understood.
    pub const BAD_REQUEST: u16 = 1;
    /// Error in action description.
    pub const BAD_ACTION: u16 = 2;
    /// Error in instruction list.
    pub const BAD_INSTRUCTION: u16 = 3;
    /// Error in match.
    pub const BAD_MATCH: u16 = 4;
    /// Problem modifying a flow entry.
    pub const FLOW_MOD_FAILED: u16 = 5;
    /// Problem modifying a group entry.
    pub const GROUP_MOD_FAILED: u16 = 6;
    /// Port mod request failed.
    pub const PORT_MOD_FAILED: u16 = 7;
    /// Table mod request failed.
    pub const TABLE_MOD_FAILED: u16 = 8;
    /// Queue operation failed.
    pub const QUEUE_OP_FAILED: u16 = 9;
    /// Switch config request failed.
    pub const SWITCH_CONFIG_FAILED: u16 = 10;
    /// Controller role request failed.
    pub const ROLE_REQUEST_FAILED: u16 = 11;
    /// Error in meter.
    pub const METER_MOD_FAILED: u16 = 12;
    /// Setting table features failed.
    pub const TABLE_FEATURES_FAILED: u16 = 13;
    /// `OFPHFC_INCOMPATIBLE`: no compatible version.
    pub const HELLO_INCOMPATIBLE: u16 = 0;
    /// `OFPBRC_BAD_VERSION`: version not supported.
    pub const BAD_REQUEST_BAD_VERSION: u16 = 0;
    /// `OFPBRC_BAD_TYPE`: message type not supported.
    pub const BAD_REQUEST_BAD_TYPE: u16 = 1;
    /// `OFPBRC_BAD_MULTIPART`: multipart type not supported.
    pub const BAD_REQUEST_BAD_MULTIPART: u16 = 2;
    /// `OFPBRC_BAD_EXP_TYPE`: experimenter type not supported.
    pub const BAD_REQUEST_BAD_EXP_TYPE: u16 = 4;
    /// `OFPBRC_BAD_LEN`: wrong request length.
    pub const BAD_REQUEST_BAD_LEN: u16 = 6;
    /// `OFPBAC_BAD_LEN`: length problem in actions.
    pub const BAD_ACTION_BAD_LEN: u16 = 1;
    /// `OFPBIC_BAD_LEN`: length problem in instructions.
    pub const BAD_INSTRUCTION_BAD_LEN: u16 = 7;
    /// `OFPBMC_BAD_TYPE`: unsupported match type.
    pub const BAD_MATCH_BAD_TYPE: u16 = 0;
    /// `OFPBMC_BAD_LEN`: length problem in match.
    pub const BAD_MATCH_BAD_LEN: u16 = 1;
    /// `OFPFMFC_BAD_COMMAND`: unsupported or unknown flow-mod command.
    pub const FLOW_MOD_BAD_COMMAND: u16 = 6;
    /// `OFPGMFC_BAD_TYPE`: unsupported or unknown group type.
    pub const GROUP_MOD_BAD_TYPE: u16 = 10;
    /// `OFPRRFC_STALE`: stale generation id.
    pub const ROLE_STALE: u16 = 0;
    /// `OFPRRFC_BAD_ROLE`: invalid role.
    pub const ROLE_BAD_ROLE: u16 = 2;
}

const TYPES: &[(&str, &str, &[&str])] = &[
    ("OFPET_HELLO_FAILED", "OFPHFC_", &["INCOMPATIBLE", "EPERM"]),
    (
        "OFPET_BAD_REQUEST",
        "OFPBRC_",
        &[
            "BAD_VERSION",
            "BAD_TYPE",
            "BAD_MULTIPART",
            "BAD_EXPERIMENTER",
            "BAD_EXP_TYPE",
            "EPERM",
            "BAD_LEN",
            "BUFFER_EMPTY",
            "BUFFER_UNKNOWN",
            "BAD_TABLE_ID",
            "IS_SLAVE",
            "BAD_PORT",
            "BAD_PACKET",
            "MULTIPART_BUFFER_OVERFLOW",
        ],
    ),
    (
        "OFPET_BAD_ACTION",
        "OFPBAC_",
        &[
            "BAD_TYPE",
            "BAD_LEN",
            "BAD_EXPERIMENTER",
            "BAD_EXP_TYPE",
            "BAD_OUT_PORT",
            "BAD_ARGUMENT",
            "EPERM",
            "TOO_MANY",
            "BAD_QUEUE",
            "BAD_OUT_GROUP",
            "MATCH_INCONSISTENT",
            "UNSUPPORTED_ORDER",
            "BAD_TAG",
            "BAD_SET_TYPE",
            "BAD_SET_LEN",
            "BAD_SET_ARGUMENT",
        ],
    ),
    (
        "OFPET_BAD_INSTRUCTION",
        "OFPBIC_",
        &[
            "UNKNOWN_INST",
            "UNSUP_INST",
            "BAD_TABLE_ID",
            "UNSUP_METADATA",
            "UNSUP_METADATA_MASK",
            "BAD_EXPERIMENTER",
            "BAD_EXP_TYPE",
            "BAD_LEN",
            "EPERM",
        ],
    ),
    (
        "OFPET_BAD_MATCH",
        "OFPBMC_",
        &[
            "BAD_TYPE",
            "BAD_LEN",
            "BAD_TAG",
            "BAD_DL_ADDR_MASK",
            "BAD_NW_ADDR_MASK",
            "BAD_WILDCARDS",
            "BAD_FIELD",
            "BAD_VALUE",
            "BAD_MASK",
            "BAD_PREREQ",
            "DUP_FIELD",
            "EPERM",
        ],
    ),
    (
        "OFPET_FLOW_MOD_FAILED",
        "OFPFMFC_",
        &[
            "UNKNOWN",
            "TABLE_FULL",
            "BAD_TABLE_ID",
            "OVERLAP",
            "EPERM",
            "BAD_TIMEOUT",
            "BAD_COMMAND",
            "BAD_FLAGS",
        ],
    ),
    (
        "OFPET_GROUP_MOD_FAILED",
        "OFPGMFC_",
        &[
            "GROUP_EXISTS",
            "INVALID_GROUP",
            "WEIGHT_UNSUPPORTED",
            "OUT_OF_GROUPS",
            "OUT_OF_BUCKETS",
            "CHAINING_UNSUPPORTED",
            "WATCH_UNSUPPORTED",
            "LOOP",
            "UNKNOWN_GROUP",
            "CHAINED_GROUP",
            "BAD_TYPE",
            "BAD_COMMAND",
            "BAD_BUCKET",
            "BAD_WATCH",
            "EPERM",
        ],
    ),
    (
        "OFPET_PORT_MOD_FAILED",
        "OFPPMFC_",
        &[
            "BAD_PORT",
            "BAD_HW_ADDR",
            "BAD_CONFIG",
            "BAD_ADVERTISE",
            "EPERM",
        ],
    ),
    (
        "OFPET_TABLE_MOD_FAILED",
        "OFPTMFC_",
        &["BAD_TABLE", "BAD_CONFIG", "EPERM"],
    ),
    (
        "OFPET_QUEUE_OP_FAILED",
        "OFPQOFC_",
        &["BAD_PORT", "BAD_QUEUE", "EPERM"],
    ),
    (
        "OFPET_SWITCH_CONFIG_FAILED",
        "OFPSCFC_",
        &["BAD_FLAGS", "BAD_LEN", "EPERM"],
    ),
    (
        "OFPET_ROLE_REQUEST_FAILED",
        "OFPRRFC_",
        &["STALE", "UNSUP", "BAD_ROLE"],
    ),
    (
        "OFPET_METER_MOD_FAILED",
        "OFPMMFC_",
        &[
            "UNKNOWN",
            "METER_EXISTS",
            "INVALID_METER",
            "UNKNOWN_METER",
            "BAD_COMMAND",
            "BAD_FLAGS",
            "BAD_RATE",
            "BAD_BURST",
            "BAD_BAND",
            "BAD_BAND_VALUE",
            "OUT_OF_METERS",
            "OUT_OF_BANDS",
        ],
    ),
    (
        "OFPET_TABLE_FEATURES_FAILED",
        "OFPTFFC_",
        &[
            "BAD_TABLE",
            "BAD_METADATA",
            "BAD_TYPE",
            "BAD_LEN",
            "BAD_ARGUMENT",
            "EPERM",
        ],
    ),
];

/// The specification's name of an error type (`OFPET_BAD_MATCH`).
pub fn error_type_name(typ: u16) -> Option<&'static str> {
    if typ == OFPET_EXPERIMENTER {
        return Some("OFPET_EXPERIMENTER");
    }
    TYPES.get(typ as usize).map(|t| t.0)
}

/// The specification's name of an error code (`OFPBMC_BAD_PREREQ`).
pub fn error_name(typ: u16, code: u16) -> Option<String> {
    let (_, prefix, codes) = TYPES.get(typ as usize)?;
    codes.get(code as usize).map(|c| format!("{prefix}{c}"))
}
