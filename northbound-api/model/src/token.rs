//! The bearer token a client presents to netmaster's API (`Authorization: Bearer TOKEN`).

use std::fmt;
use std::path::Path;

/// The shortest token accepted: 16 characters (a random 128-bit value in hex is 32).
pub const MIN_LEN: usize = 16;
/// The longest token accepted.
pub const MAX_LEN: usize = 256;

/// A bearer token: 16 to 256 visible ASCII characters. Its `Debug` form never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Too short or too long.
    #[error("a token has {MIN_LEN} to {MAX_LEN} characters, this one {0}")]
    Length(usize),
    /// A space, control or non-ASCII character.
    #[error("a token is made of visible ASCII characters (no spaces)")]
    Characters,
    /// The token file could not be read.
    #[error("token file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

impl BearerToken {
    /// `text` as a token, if it is one.
    pub fn new(text: &str) -> Result<BearerToken, TokenError> {
        if !(MIN_LEN..=MAX_LEN).contains(&text.len()) {
            return Err(TokenError::Length(text.chars().count()));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TokenError::Characters);
        }
        Ok(BearerToken(text.to_string()))
    }

    /// The token in file `path` (surrounding white space, a final newline, is ignored).
    pub fn from_file(path: &Path) -> Result<BearerToken, TokenError> {
        let file = |reason: String| TokenError::File {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file(e.to_string()))?;
        BearerToken::new(text.trim()).map_err(|e| file(e.to_string()))
    }

    /// The token's text (for the `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The `Authorization` header's value: `Bearer TOKEN`.
    pub fn header_value(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(..)")
    }
}

impl std::str::FromStr for BearerToken {
    type Err = TokenError;
    fn from_str(s: &str) -> Result<BearerToken, TokenError> {
        BearerToken::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_visible_ascii_and_never_printed() {
        let t = BearerToken::new("0123456789abcdef").unwrap();
        assert_eq!(t.header_value(), "Bearer 0123456789abcdef");
        assert_eq!(format!("{t:?}"), "BearerToken(..)");
        assert_eq!(BearerToken::new("short"), Err(TokenError::Length(5)));
        assert_eq!(
            BearerToken::new("0123456789 abcdef"),
            Err(TokenError::Characters)
        );
        assert_eq!(
            BearerToken::new("0123456789abcdef\u{e9}"),
            Err(TokenError::Characters)
        );
        assert!(BearerToken::new(&"x".repeat(MAX_LEN + 1)).is_err());
    }

    #[test]
    fn a_token_file_may_end_with_a_newline() {
        let path = std::env::temp_dir().join(format!("np-token-{}", std::process::id()));
        std::fs::write(&path, "0123456789abcdef0123\n").unwrap();
        let t = BearerToken::from_file(&path).unwrap();
        assert_eq!(t.expose(), "0123456789abcdef0123");
        std::fs::write(&path, "").unwrap();
        let e = BearerToken::from_file(&path).unwrap_err().to_string();
        assert!(e.contains("16 to 256 characters"), "{e}");
        std::fs::remove_file(&path).unwrap();
        assert!(BearerToken::from_file(&path).is_err());
    }
}
