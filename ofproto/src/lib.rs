//! OpenFlow 1.3 (wire version `0x04`) codec.
//!
//! * [`Message`] decodes and encodes every OpenFlow 1.3 message a controller sends or receives,
//!   plus the ONF bundle extension that Open vSwitch accepts on OpenFlow 1.3.
//! * [`Match`], [`Action`] and [`Instruction`] are the flow building blocks; unknown and
//!   experimenter parts are kept raw so that they re-emit unchanged.
//! * [`codec::OfCodec`] frames messages on a byte stream for `tokio-util`.
//! * [`text`] reads and writes the `ovs-ofctl` text syntax.
//! * [`nx`] types Open vSwitch's Nicira extension actions and match fields.
//!
//! Decoding never panics; a failure says which message type, at which offset, and why.

pub mod action;
pub mod codec;
mod error;
pub mod instruction;
mod mac;
pub mod msg;
pub mod multipart;
pub mod nx;
pub mod oxm;
pub mod text;
mod wire;

pub use action::Action;
pub use error::{DecodeError, DecodeErrorKind, EncodeError, Field, Part, Reason};
pub use instruction::Instruction;
pub use mac::{BadMac, MacAddr};
pub use msg::{Body, Message, MsgType, OFP_HEADER_LEN, OFP_VERSION};
pub use oxm::{Masked, Match, OxmField};
