//! Why a session ended.

use super::requests::describe_error;
use ofproto::codec::CodecError;
use ofproto::msg::{ErrorMsg, Role};
use ofproto::{DecodeError, MsgType};
use std::time::Duration;

/// Why a session ended: found by the core (handshake, keepalive, policing) or reported to it
/// by the driver (the connection, a handle, the controller).
#[derive(Debug, thiserror::Error)]
pub enum End {
    /// The handshake did not complete.
    #[error("{0}")]
    Handshake(#[from] HandshakeError),
    /// Nothing was received for `dead_after`, echo requests included.
    #[error("dead peer: silent for {} ms", .silent.as_millis())]
    DeadPeer {
        /// How long the switch was silent.
        silent: Duration,
    },
    /// The switch sent more messages than its rate limit allows.
    #[error("flooding: more than {limit} messages/s")]
    Flooding {
        /// `max_msgs_per_sec`.
        limit: u32,
    },
    /// The switch sent more undecodable messages than tolerated.
    #[error("garbage: {count} undecodable messages")]
    Garbage {
        /// How many it sent.
        count: u32,
    },
    /// A header's length field was below 8: the stream cannot be resynchronised.
    #[error("garbage: header length {len} below 8")]
    HeaderTooShort {
        /// The length found.
        len: usize,
    },
    /// The switch closed the connection.
    #[error("connection closed by the switch")]
    ClosedBySwitch,
    /// Reading from the connection failed.
    #[error("read failed: {0}")]
    ReadFailed(#[source] CodecError),
    /// Writing to the connection failed.
    #[error("write failed: {0}")]
    WriteFailed(#[source] std::io::Error),
    /// The switch read nothing of what was sent to it for too long.
    #[error("switch stalled: not reading")]
    Stalled,
    /// A [`crate::session::SwitchHandle`] closed the session.
    #[error("{0}")]
    Closed(String),
    /// The controller shut down.
    #[error("controller shut down")]
    Shutdown,
}

/// Why a handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// The switch's HELLO does not allow OpenFlow 1.3.
    #[error("version negotiation failed: peer HELLO version {version:#04x} without 1.3")]
    Incompatible {
        /// The version in the HELLO's header.
        version: u8,
    },
    /// The first message was not a HELLO.
    #[error("expected HELLO, got {0:?}")]
    NotHello(MsgType),
    /// The switch answered a handshake request with an error.
    #[error("switch refused: {}", describe_error(.0))]
    Refused(ErrorMsg),
    /// The switch answered a handshake request with another message.
    #[error("expected {expected}, got {got}")]
    Unexpected {
        /// What was expected.
        expected: &'static str,
        /// What came, for the log.
        got: String,
    },
    /// The switch granted another role than the one requested.
    #[error("role request for {} answered with {got}", .wanted.name())]
    Role {
        /// The role requested.
        wanted: Role,
        /// The answer, for the log.
        got: String,
    },
    /// A message did not decode.
    #[error("during handshake: {0}")]
    BadMessage(#[source] DecodeError),
    /// A header's length field was below 8.
    #[error("during handshake: header length {0} below 8")]
    HeaderTooShort(usize),
    /// The handshake took longer than `handshake_timeout`.
    #[error("handshake timed out")]
    TimedOut,
}
