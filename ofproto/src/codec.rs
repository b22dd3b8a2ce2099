//! Framing of OpenFlow messages on a byte stream, for `tokio_util::codec::Framed`.

use crate::msg::{peek_length, Message, OFP_HEADER_LEN};
use crate::{DecodeError, EncodeError};
use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

/// A complete frame that did not decode. It was consumed; the stream is still in sync, so it is
/// an item of the stream (`Err(BadFrame)`), not a stream error — `FramedRead` ends the stream
/// after a decoder error, and one bad message must not end a session.
#[derive(Debug)]
pub struct BadFrame {
    /// Why it did not decode.
    pub error: DecodeError,
    /// The raw frame, so that the caller can echo it in an OFPT_ERROR.
    pub frame: BytesMut,
}

impl std::fmt::Display for BadFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl std::error::Error for BadFrame {}

/// Errors that end a framed stream.
#[derive(Debug)]
pub enum CodecError {
    /// The header's length field is below 8: the stream cannot be resynchronised.
    BadLength(usize),
    /// A message could not be encoded.
    Encode(EncodeError),
    /// I/O error from the transport.
    Io(std::io::Error),
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodecError::BadLength(l) => write!(f, "OpenFlow header length {l} is below 8"),
            CodecError::Encode(e) => write!(f, "{e}"),
            CodecError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CodecError {}

impl From<std::io::Error> for CodecError {
    fn from(e: std::io::Error) -> Self {
        CodecError::Io(e)
    }
}

/// Splits a stream into frames (length from the header) and decodes them: each item is a
/// [`Message`] or the [`BadFrame`] that did not decode.
#[derive(Debug, Default, Clone, Copy)]
pub struct OfCodec;

/// Splits one raw frame off `src` if complete; `Err` when the header length is below 8.
pub fn split_frame(src: &mut BytesMut) -> Result<Option<BytesMut>, CodecError> {
    if src.len() < OFP_HEADER_LEN {
        return Ok(None);
    }
    let len = peek_length(src).unwrap_or(0);
    if len < OFP_HEADER_LEN {
        return Err(CodecError::BadLength(len));
    }
    if src.len() < len {
        src.reserve(len - src.len());
        return Ok(None);
    }
    Ok(Some(src.split_to(len)))
}

impl Decoder for OfCodec {
    type Item = Result<Message, BadFrame>;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, CodecError> {
        Ok(split_frame(src)?
            .map(|frame| Message::decode(&frame).map_err(|error| BadFrame { error, frame })))
    }
}

impl Encoder<Message> for OfCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Message, dst: &mut BytesMut) -> Result<(), CodecError> {
        item.encode(dst).map_err(CodecError::Encode)
    }
}

impl Encoder<&Message> for OfCodec {
    type Error = CodecError;

    fn encode(&mut self, item: &Message, dst: &mut BytesMut) -> Result<(), CodecError> {
        item.encode(dst).map_err(CodecError::Encode)
    }
}

/// Iterates over the raw frames of a buffer holding concatenated messages.
pub fn frames(mut data: &[u8]) -> impl Iterator<Item = Result<&[u8], usize>> {
    std::iter::from_fn(move || {
        if data.is_empty() {
            return None;
        }
        let len = match peek_length(data) {
            Some(l) if l >= OFP_HEADER_LEN && l <= data.len() => l,
            _ => {
                let left = data.len();
                data = &[];
                return Some(Err(left));
            }
        };
        let (frame, rest) = data.split_at(len);
        data = rest;
        Some(Ok(frame))
    })
}
