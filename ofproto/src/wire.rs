//! Bounds-checked big-endian reading with absolute offsets, and length patching for writing.

use crate::error::{DecodeError, EncodeError, Reason};
use crate::MacAddr;
use bytes::{BufMut, BytesMut};

/// A cursor over a byte slice that knows its absolute offset in the message.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

/// Result of a decode step.
pub(crate) type DResult<T> = Result<T, DecodeError>;

impl<'a> Reader<'a> {
    /// A reader over a whole message (offset 0 at its first byte).
    pub fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            base: 0,
        }
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// True when everything has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// An error at the current offset.
    pub fn err(&self, reason: Reason) -> DecodeError {
        DecodeError::new(self.offset(), reason)
    }

    /// Takes `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> DResult<&'a [u8]> {
        if self.remaining() < n {
            return Err(self.err(Reason::Truncated {
                what,
                need: n,
                have: self.remaining(),
            }));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Takes everything that is left.
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.data[self.pos..];
        self.pos = self.data.len();
        s
    }

    /// Skips `n` bytes of padding (their content is not checked).
    pub fn skip(&mut self, n: usize, what: &'static str) -> DResult<()> {
        self.take(n, what).map(|_| ())
    }

    /// A child reader over the next `n` bytes, keeping absolute offsets.
    pub fn sub(&mut self, n: usize, what: &'static str) -> DResult<Reader<'a>> {
        let base = self.offset();
        let data = self.take(n, what)?;
        Ok(Reader { data, pos: 0, base })
    }

    /// Fixed-size array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> DResult<[u8; N]> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> DResult<u8> {
        Ok(self.take(1, what)?[0])
    }

    /// Big-endian u16.
    pub fn u16(&mut self, what: &'static str) -> DResult<u16> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// Big-endian u32.
    pub fn u32(&mut self, what: &'static str) -> DResult<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// Big-endian u64.
    pub fn u64(&mut self, what: &'static str) -> DResult<u64> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// Ethernet address.
    pub fn mac(&mut self, what: &'static str) -> DResult<MacAddr> {
        Ok(MacAddr(self.array(what)?))
    }

    /// Big-endian u16 at `at` bytes ahead, without consuming.
    pub fn peek_u16(&self, at: usize) -> Option<u16> {
        let p = self.pos + at;
        self.data
            .get(p..p + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    /// A NUL-padded fixed-size string. Invalid UTF-8 becomes U+FFFD; as that takes 3 bytes,
    /// the result is then cut (at a character boundary) to fit the field again, so that it
    /// re-encodes to a string that decodes to the same value.
    pub fn fixed_str(&mut self, n: usize, what: &'static str) -> DResult<String> {
        let s = self.take(n, what)?;
        let end = s.iter().position(|&b| b == 0).unwrap_or(n);
        let mut s = String::from_utf8_lossy(&s[..end]).into_owned();
        if s.len() > n {
            s.truncate(char_floor(&s, n));
        }
        Ok(s)
    }

    /// Reads one TLV item: it starts with a u16 type and a u16 length that covers the item's
    /// header and body (not the padding to `align`, which is skipped). Returns the item.
    /// A length below `min` or beyond the container is reported at the length field.
    pub fn tlv(&mut self, what: &'static str, min: usize, align: usize) -> DResult<Reader<'a>> {
        let len = match self.peek_u16(2) {
            Some(l) => l as usize,
            None => {
                return Err(self.err(Reason::Truncated {
                    what,
                    need: 4,
                    have: self.remaining(),
                }))
            }
        };
        if len < min || len > self.remaining() {
            return Err(DecodeError::new(
                self.offset() + 2,
                Reason::BadLength { what, len },
            ));
        }
        let padded = len.div_ceil(align) * align;
        let item = self.sub(len, what)?;
        self.skip(padded - len, "padding")?;
        Ok(item)
    }

    /// Reads one item of an action or instruction list: a u16 type and a u16 length that must
    /// be at least 8, a multiple of 8 and within the container. Returns the type, a reader over
    /// the body after the 4-byte header, and a checker for fixed-length items.
    pub fn tlv8(&mut self, what: &'static str) -> DResult<(u16, Reader<'a>, LenCheck)> {
        let len_at = self.offset() + 2;
        let mut item = self.tlv(what, 8, 1)?;
        let len = item.remaining();
        let check = LenCheck { what, len, len_at };
        if !len.is_multiple_of(8) {
            return Err(check.error());
        }
        let typ = item.u16(what)?;
        item.skip(2, what)?;
        Ok((typ, item, check))
    }

    /// Reads items with `f` until the reader is exhausted.
    pub fn many<T>(&mut self, f: impl Fn(&mut Reader<'a>) -> DResult<T>) -> DResult<Vec<T>> {
        let mut v = Vec::new();
        while !self.is_empty() {
            v.push(f(self)?);
        }
        Ok(v)
    }

    /// Fails unless everything was consumed.
    pub fn finish(&self, what: &'static str) -> DResult<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.err(Reason::TrailingBytes {
                what,
                len: self.remaining(),
            }))
        }
    }
}

/// Writes a u16 placeholder and returns its position for [`patch_len`].
pub(crate) fn len_placeholder(buf: &mut BytesMut) -> usize {
    let at = buf.len();
    buf.put_u16(0);
    at
}

/// Patches the u16 length at `at` with the bytes written since `start`.
pub(crate) fn patch_len(
    buf: &mut BytesMut,
    at: usize,
    start: usize,
    what: &'static str,
) -> Result<(), EncodeError> {
    let len = buf.len() - start;
    let v = u16::try_from(len).map_err(|_| EncodeError::TooLong { what, len })?;
    buf[at..at + 2].copy_from_slice(&v.to_be_bytes());
    Ok(())
}

/// Pads with zeros so that the bytes written since `start` are a multiple of `align`.
pub(crate) fn pad_to(buf: &mut BytesMut, start: usize, align: usize) {
    let len = buf.len() - start;
    let padded = len.div_ceil(align) * align;
    buf.put_bytes(0, padded - len);
}

/// The largest character boundary of `s` at or below `at`.
fn char_floor(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Writes a string NUL-padded (and truncated, at a character boundary) to `n` bytes.
pub(crate) fn put_fixed_str(buf: &mut BytesMut, s: &str, n: usize) {
    let b = s.as_bytes();
    let take = char_floor(s, b.len().min(n));
    buf.put_slice(&b[..take]);
    buf.put_bytes(0, n - take);
}

/// The length of an item read with [`Reader::tlv8`], for checking fixed-size item types.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LenCheck {
    what: &'static str,
    len: usize,
    len_at: usize,
}

impl LenCheck {
    /// Fails unless the item is exactly `want` bytes long.
    pub fn expect(&self, want: usize) -> DResult<()> {
        if self.len == want {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn error(&self) -> DecodeError {
        DecodeError::new(
            self.len_at,
            Reason::BadLength {
                what: self.what,
                len: self.len,
            },
        )
    }
}
