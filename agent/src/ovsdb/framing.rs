//! Splits the byte stream into JSON-RPC messages.
//!
//! RFC 7047 sends JSON values back to back, without length prefixes or separators. The framer
//! scans incrementally (each byte once: depth of `{`/`[` outside strings) and hands a complete
//! top-level value to `serde_json`, so a large reply arriving in many reads costs linear time.

use serde_json::Value;

/// Incremental splitter of concatenated JSON objects/arrays.
#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Bytes of `buf` already scanned.
    scanned: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
}

/// Input that can never become a valid message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FrameError {
    /// A complete value that is not JSON.
    #[error("invalid JSON: {0}")]
    Json(serde_json::Error),
    /// A byte outside any value.
    #[error("unexpected byte {0:?} between messages")]
    Stray(char),
}

impl Framer {
    /// Appends bytes read from the stream.
    pub(crate) fn extend(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete message, `Ok(None)` if more bytes are needed, or an error for input
    /// that can never become a valid message (the stream is then unusable).
    pub(crate) fn next_message(&mut self) -> Result<Option<Value>, FrameError> {
        while self.scanned < self.buf.len() {
            let b = self.buf[self.scanned];
            self.scanned += 1;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' if self.depth > 0 => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        let end = self.scanned;
                        let parsed = serde_json::from_slice(&self.buf[..end]);
                        self.buf.drain(..end);
                        self.scanned = 0;
                        return parsed.map(Some).map_err(FrameError::Json);
                    }
                }
                b' ' | b'\t' | b'\r' | b'\n' => {}
                b'"' if self.depth > 0 => self.in_string = true,
                _ if self.depth == 0 => return Err(FrameError::Stray(char::from(b))),
                _ => {}
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn drain(f: &mut Framer) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(v) = f.next_message().unwrap() {
            out.push(v);
        }
        out
    }

    #[test]
    fn splits_concatenated_messages_fed_in_any_chunks() {
        let msgs = [
            json!({"id": 1, "result": ["a}", "b\"]{", "c\\"], "error": null}),
            json!({"method": "echo", "params": [], "id": "echo"}),
            json!([{"x": [[], {}]}]),
        ];
        let mut stream = Vec::new();
        for m in &msgs {
            stream.extend(serde_json::to_vec(m).unwrap());
            stream.extend(b" \n");
        }
        for chunk in 1..stream.len() {
            let mut f = Framer::default();
            let mut got = Vec::new();
            for piece in stream.chunks(chunk) {
                f.extend(piece);
                got.extend(drain(&mut f));
            }
            assert_eq!(got, msgs, "chunk size {chunk}");
        }
    }

    #[test]
    fn garbage_is_an_error() {
        let mut f = Framer::default();
        f.extend(b"{\"a\":1} x");
        assert_eq!(f.next_message().unwrap(), Some(json!({"a": 1})));
        assert!(f.next_message().is_err());

        let mut f = Framer::default();
        f.extend(b"{\"a\":]");
        assert!(f.next_message().is_err());
    }
}
