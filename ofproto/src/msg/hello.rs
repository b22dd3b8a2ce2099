//! `OFPT_HELLO` and its elements.

use crate::wire::{len_placeholder, pad_to, patch_len, DResult, Reader};
use bytes::{BufMut, BytesMut};

/// `OFPHET_VERSIONBITMAP`.
pub const OFPHET_VERSIONBITMAP: u16 = 1;

/// One hello element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloElement {
    /// Bitmaps of supported versions (bit n of word i = version 32*i+n).
    VersionBitmap(Vec<u32>),
    /// Another element type, kept raw.
    Unknown {
        /// Element type.
        typ: u16,
        /// Body after the 4-byte header (without padding).
        body: Vec<u8>,
    },
}

/// A HELLO message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hello {
    /// The elements in wire order.
    pub elements: Vec<HelloElement>,
}

impl Hello {
    /// The HELLO this codec sends: a version bitmap with only OpenFlow 1.3.
    pub fn of13() -> Hello {
        Hello {
            elements: vec![HelloElement::VersionBitmap(vec![1 << crate::OFP_VERSION])],
        }
    }

    /// Whether the peer's bitmap includes `version`; `None` when it sent no bitmap.
    pub fn supports(&self, version: u8) -> Option<bool> {
        self.elements.iter().find_map(|e| match e {
            HelloElement::VersionBitmap(words) => {
                let w = words.get(version as usize / 32).copied().unwrap_or(0);
                Some(w & (1 << (version % 32)) != 0)
            }
            HelloElement::Unknown { .. } => None,
        })
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<Hello> {
        let mut elements = Vec::new();
        while !r.is_empty() {
            let mut e = r.tlv("hello element", 4, 8)?;
            let typ = e.u16("hello element type")?;
            e.skip(2, "hello element length")?;
            if typ == OFPHET_VERSIONBITMAP && e.remaining() % 4 == 0 {
                let mut words = Vec::new();
                while !e.is_empty() {
                    words.push(e.u32("version bitmap")?);
                }
                elements.push(HelloElement::VersionBitmap(words));
            } else {
                elements.push(HelloElement::Unknown {
                    typ,
                    body: e.rest().to_vec(),
                });
            }
        }
        Ok(Hello { elements })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        for e in &self.elements {
            let start = buf.len();
            match e {
                HelloElement::VersionBitmap(words) => {
                    buf.put_u16(OFPHET_VERSIONBITMAP);
                    let at = len_placeholder(buf);
                    words.iter().for_each(|w| buf.put_u32(*w));
                    // A hello is far below 64 KiB unless the caller built an absurd bitmap.
                    let _ = patch_len(buf, at, start, "hello element");
                }
                HelloElement::Unknown { typ, body } => {
                    buf.put_u16(*typ);
                    let at = len_placeholder(buf);
                    buf.put_slice(body);
                    let _ = patch_len(buf, at, start, "hello element");
                }
            }
            pad_to(buf, start, 8);
        }
    }
}
