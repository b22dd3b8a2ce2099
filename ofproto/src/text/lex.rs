//! Tokens and scalar values shared by every parser: splitting at top-level separators, numbers,
//! hex blobs and `name:arg` / `name(args)` forms.

use super::TextError;

/// A token and its byte offset in the text it was split from.
pub(crate) type Span<'a> = (usize, &'a str);

/// Splits `text` at commas and white space outside parentheses; empty tokens are dropped.
pub(crate) fn spans(text: &str) -> Result<Vec<Span<'_>>, TextError> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| TextError::syntax(text, "`)` without a matching `(`"))?;
            }
            ',' | ' ' | '\t' | '\r' | '\n' if depth == 0 => {
                if start < i {
                    out.push((start, &text[start..i]));
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(TextError::syntax(text, "`(` without a matching `)`"));
    }
    if start < text.len() {
        out.push((start, &text[start..]));
    }
    Ok(out)
}

/// The tokens of `text` (see [`spans`]).
pub(crate) fn tokens(text: &str) -> Result<Vec<&str>, TextError> {
    Ok(spans(text)?.into_iter().map(|(_, t)| t).collect())
}

/// Splits `key=value`; the value is `None` without `=`.
pub(crate) fn key_value(token: &str) -> (&str, Option<&str>) {
    match token.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (token, None),
    }
}

/// The argument of `name(arg)`, if `token` has that form.
pub(crate) fn paren_arg<'a>(token: &'a str, name: &str) -> Option<&'a str> {
    token
        .strip_prefix(name)?
        .strip_prefix('(')?
        .strip_suffix(')')
}

/// A decimal or `0x`-prefixed hexadecimal number.
pub(crate) fn parse_u64(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(h, 16).ok()
    } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// A number no larger than `max` for `field`, or a [`TextError::BadValue`].
pub(crate) fn number(field: &str, s: &str, max: u64) -> Result<u64, TextError> {
    parse_u64(s)
        .filter(|v| *v <= max)
        .ok_or_else(|| TextError::bad(field, s, format!("a number from 0 to {max}")))
}

/// [`number`] for a `u8`.
pub(crate) fn num_u8(field: &str, s: &str) -> Result<u8, TextError> {
    number(field, s, u8::MAX as u64).map(|v| v as u8)
}

/// [`number`] for a `u16`.
pub(crate) fn num_u16(field: &str, s: &str) -> Result<u16, TextError> {
    number(field, s, u16::MAX as u64).map(|v| v as u16)
}

/// [`number`] for a `u32`.
pub(crate) fn num_u32(field: &str, s: &str) -> Result<u32, TextError> {
    number(field, s, u32::MAX as u64).map(|v| v as u32)
}

/// [`number`] for a `u64`.
pub(crate) fn num_u64(field: &str, s: &str) -> Result<u64, TextError> {
    number(field, s, u64::MAX)
}

/// `value` or `value/mask` as two numbers; the mask is `None` without `/`.
pub(crate) fn masked_u64(field: &str, s: &str) -> Result<(u64, Option<u64>), TextError> {
    match s.split_once('/') {
        Some((v, m)) => Ok((num_u64(field, v)?, Some(num_u64(field, m)?))),
        None => Ok((num_u64(field, s)?, None)),
    }
}

/// A number as C's `%#x` writes it: `0` for zero, `0x…` otherwise (Open vSwitch's style).
pub(crate) fn hex(v: u64) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}

/// Bytes as `0x` followed by two hex digits per byte (`0x` alone when empty).
pub(crate) fn blob(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Parses a [`blob`].
pub(crate) fn parse_blob(field: &str, s: &str) -> Result<Vec<u8>, TextError> {
    let bad = || TextError::bad(field, s, "`0x` followed by an even number of hex digits");
    let h = s.strip_prefix("0x").ok_or_else(bad)?;
    if h.len() % 2 != 0 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).map_err(|_| bad()))
        .collect()
}

/// Parses `ID[:BLOB]`, the argument of the raw `experimenter(...)` / `action(...)` forms.
pub(crate) fn id_and_blob(field: &str, arg: &str, max: u64) -> Result<(u64, Vec<u8>), TextError> {
    match arg.split_once(':') {
        Some((id, data)) => Ok((number(field, id, max)?, parse_blob(field, data)?)),
        None => Ok((number(field, arg, max)?, Vec::new())),
    }
}

/// Formats `ID[:BLOB]` for [`id_and_blob`], leaving out an empty blob.
pub(crate) fn fmt_id_blob(id: String, data: &[u8]) -> String {
    if data.is_empty() {
        id
    } else {
        format!("{id}:{}", blob(data))
    }
}

/// Formats seconds and nanoseconds as Open vSwitch does (`1s`, `1.500s`, `1.000000001s`).
pub(crate) fn duration(sec: u32, nsec: u32) -> String {
    let mut s = sec.to_string();
    if nsec > 0 {
        s.push_str(&format!(".{:03}", nsec / 1_000_000));
        if !nsec.is_multiple_of(1_000_000) {
            s.push_str(&format!("{:06}", nsec % 1_000_000));
        }
    }
    s.push('s');
    s
}
