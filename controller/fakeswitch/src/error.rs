//! The OpenFlow errors the fake switch reports, as `(type, code)` pairs.

use ofproto::msg::{error_name, error_type, error_type_name, ErrorMsg, ONF_EXPERIMENTER};

/// `OFPET_EXPERIMENTER`: the type used for the ONF bundle errors on OpenFlow 1.3.
pub const OFPET_EXPERIMENTER: u16 = 0xffff;

/// An OpenFlow error: a standard `OFPET_*` type and code, or (when `typ` is
/// [`OFPET_EXPERIMENTER`]) an ONF experimenter error whose `code` is the ONF `exp_type`
/// (2300..=2315 for the bundle errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OfError {
    /// `OFPET_*` error type, or [`OFPET_EXPERIMENTER`].
    pub typ: u16,
    /// Error code within the type, or the ONF `exp_type`.
    pub code: u16,
}

macro_rules! errors {
    ($( $name:ident = $typ:expr, $code:literal; )*) => {
        impl OfError {
            $(
                #[doc = concat!("`", stringify!($name), "` (", stringify!($typ), ", code ", stringify!($code), ").")]
                pub const $name: OfError = OfError { typ: $typ, code: $code };
            )*
        }
    };
}

use error_type as et;

errors! {
    HELLO_INCOMPATIBLE = et::HELLO_FAILED, 0;
    BAD_VERSION = et::BAD_REQUEST, 0;
    BAD_TYPE = et::BAD_REQUEST, 1;
    BAD_MULTIPART = et::BAD_REQUEST, 2;
    BAD_EXPERIMENTER = et::BAD_REQUEST, 3;
    BAD_REQUEST_LEN = et::BAD_REQUEST, 6;
    BAD_REQUEST_TABLE_ID = et::BAD_REQUEST, 9;
    IS_SLAVE = et::BAD_REQUEST, 10;
    BAD_REQUEST_PORT = et::BAD_REQUEST, 11;
    BAD_ACTION_TYPE = et::BAD_ACTION, 0;
    BAD_ACTION_EXPERIMENTER = et::BAD_ACTION, 2;
    BAD_OUT_PORT = et::BAD_ACTION, 4;
    BAD_OUT_GROUP = et::BAD_ACTION, 9;
    BAD_SET_TYPE = et::BAD_ACTION, 13;
    UNKNOWN_INST = et::BAD_INSTRUCTION, 0;
    UNSUP_INST = et::BAD_INSTRUCTION, 1;
    BAD_INSTRUCTION_TABLE_ID = et::BAD_INSTRUCTION, 2;
    BAD_MATCH_LEN = et::BAD_MATCH, 1;
    BAD_FIELD = et::BAD_MATCH, 6;
    BAD_VALUE = et::BAD_MATCH, 7;
    BAD_MASK = et::BAD_MATCH, 8;
    BAD_PREREQ = et::BAD_MATCH, 9;
    DUP_FIELD = et::BAD_MATCH, 10;
    FLOW_MOD_BAD_TABLE_ID = et::FLOW_MOD_FAILED, 2;
    OVERLAP = et::FLOW_MOD_FAILED, 3;
    FLOW_MOD_BAD_COMMAND = et::FLOW_MOD_FAILED, 6;
    GROUP_EXISTS = et::GROUP_MOD_FAILED, 0;
    INVALID_GROUP = et::GROUP_MOD_FAILED, 1;
    LOOP = et::GROUP_MOD_FAILED, 7;
    UNKNOWN_GROUP = et::GROUP_MOD_FAILED, 8;
    GROUP_BAD_TYPE = et::GROUP_MOD_FAILED, 10;
    GROUP_BAD_COMMAND = et::GROUP_MOD_FAILED, 11;
    PORT_MOD_BAD_PORT = et::PORT_MOD_FAILED, 0;
    PORT_MOD_BAD_HW_ADDR = et::PORT_MOD_FAILED, 1;
    ROLE_STALE = et::ROLE_REQUEST_FAILED, 0;
    ROLE_BAD_ROLE = et::ROLE_REQUEST_FAILED, 2;
    METER_EXISTS = et::METER_MOD_FAILED, 1;
    INVALID_METER = et::METER_MOD_FAILED, 2;
    UNKNOWN_METER = et::METER_MOD_FAILED, 3;
    METER_BAD_COMMAND = et::METER_MOD_FAILED, 4;
    METER_BAD_FLAGS = et::METER_MOD_FAILED, 5;
    METER_BAD_RATE = et::METER_MOD_FAILED, 6;
    METER_BAD_BAND = et::METER_MOD_FAILED, 8;
    METER_OUT_OF_BANDS = et::METER_MOD_FAILED, 11;
    TABLE_FEATURES_EPERM = et::TABLE_FEATURES_FAILED, 5;
    BUNDLE_UNKNOWN = OFPET_EXPERIMENTER, 2300;
    BUNDLE_EPERM = OFPET_EXPERIMENTER, 2301;
    BUNDLE_BAD_ID = OFPET_EXPERIMENTER, 2302;
    BUNDLE_EXIST = OFPET_EXPERIMENTER, 2303;
    BUNDLE_CLOSED = OFPET_EXPERIMENTER, 2304;
    BUNDLE_BAD_TYPE = OFPET_EXPERIMENTER, 2306;
    BUNDLE_BAD_FLAGS = OFPET_EXPERIMENTER, 2307;
    BUNDLE_MSG_BAD_XID = OFPET_EXPERIMENTER, 2309;
    BUNDLE_MSG_UNSUP = OFPET_EXPERIMENTER, 2310;
    BUNDLE_MSG_FAILED = OFPET_EXPERIMENTER, 2313;
}

impl OfError {
    /// The `OFPT_ERROR` body for this error, echoing at most 64 bytes of `request`.
    pub fn to_error_msg(self, request: &[u8]) -> ErrorMsg {
        if self.typ == OFPET_EXPERIMENTER {
            ErrorMsg::Experimenter {
                exp_type: self.code,
                experimenter: ONF_EXPERIMENTER,
                data: request[..request.len().min(64)].to_vec(),
            }
        } else {
            ErrorMsg::new(self.typ, self.code, request)
        }
    }

    /// The error carried by an `OFPT_ERROR` body.
    pub fn of_error_msg(e: &ErrorMsg) -> OfError {
        match e {
            ErrorMsg::Standard { typ, code, .. } => OfError {
                typ: *typ,
                code: *code,
            },
            ErrorMsg::Experimenter { exp_type, .. } => OfError {
                typ: OFPET_EXPERIMENTER,
                code: *exp_type,
            },
        }
    }
}

impl std::fmt::Display for OfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.typ == OFPET_EXPERIMENTER {
            return write!(f, "ONF experimenter error {}", self.code);
        }
        match error_name(self.typ, self.code) {
            Some(n) => write!(
                f,
                "{}/{}",
                error_type_name(self.typ).unwrap_or("OFPET_?"),
                n
            ),
            None => write!(f, "OpenFlow error type {} code {}", self.typ, self.code),
        }
    }
}

impl std::error::Error for OfError {}
