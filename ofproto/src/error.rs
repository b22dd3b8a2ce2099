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
        what: &'static str,
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

/// A decode failure: where in the message it happened and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The OpenFlow message type from the header, when the header could be read.
    pub msg_type: Option<u8>,
    /// Byte offset from the start of the message.
    pub offset: usize,
    /// What was wrong.
    pub reason: Reason,
}

impl DecodeError {
    pub(crate) fn new(offset: usize, reason: Reason) -> Self {
        DecodeError {
            msg_type: None,
            offset,
            reason,
        }
    }

    pub(crate) fn with_type(mut self, msg_type: u8) -> Self {
        self.msg_type = Some(msg_type);
        self
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
