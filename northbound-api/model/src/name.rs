//! What a name (of a tenant, network, group, endpoint, host, policy, profile) may be: 1 to 64
//! characters, none of them white space, a control or bidirectional-override character, `:`
//! (keys join names with it) or `/` (paths). Names end up in keys, URLs, logs, terminals and
//! interface descriptions; these rules keep every one of them unambiguous.

/// The longest name.
pub const MAX_LEN: usize = 64;

/// The name rule as a regular expression (ECMA-262 and Python syntax, for the OpenAPI
/// document): the same characters [`check`] refuses, the same length.
pub const PATTERN: &str = r"^[^\u0000-\u0020\u007f-\u00a0\u061c\u1680\u2000-\u200a\u200e\u200f\u2028-\u202f\u205f\u2066-\u2069\u3000:/]{1,64}$";

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty.
    #[error("must not be empty")]
    Empty,
    /// Longer than [`MAX_LEN`] characters.
    #[error("has {0} characters, at most {MAX_LEN} are allowed")]
    TooLong(usize),
    /// A character that is not allowed (shown escaped).
    #[error("must not contain {}", .0.escape_unicode())]
    Character(char),
}

/// `name` if it is a valid name.
pub fn check(name: &str) -> Result<&str, NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let len = name.chars().count();
    if len > MAX_LEN {
        return Err(NameError::TooLong(len));
    }
    match name.chars().find(|&c| !allowed(c)) {
        Some(c) => Err(NameError::Character(c)),
        None => Ok(name),
    }
}

fn allowed(c: char) -> bool {
    !(c.is_whitespace() || c.is_control() || c == ':' || c == '/' || is_bidi_control(c))
}

/// The Unicode bidirectional formatting characters (they reorder how text is displayed).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass() {
        for n in [
            "host1",
            "tenant-one",
            "web_db.2",
            "café",
            &"x".repeat(MAX_LEN),
        ] {
            assert_eq!(check(n), Ok(n));
        }
    }

    #[test]
    fn names_that_could_mislead_are_refused() {
        assert_eq!(check(""), Err(NameError::Empty));
        assert_eq!(check(&"x".repeat(65)), Err(NameError::TooLong(65)));
        for (name, bad) in [
            ("a\0b", '\0'),
            ("a\u{1b}[2Jb", '\u{1b}'),
            ("a\u{7f}", '\u{7f}'),
            ("evil\u{202e}txt", '\u{202e}'),
            ("a\u{2066}b", '\u{2066}'),
            ("../../x", '/'),
            ("t:n", ':'),
            ("a b", ' '),
            ("a\tb", '\t'),
            ("a\u{a0}b", '\u{a0}'),
        ] {
            assert_eq!(check(name), Err(NameError::Character(bad)), "{name:?}");
        }
        let text = check("evil\u{202e}").unwrap_err().to_string();
        assert_eq!(text, "must not contain \\u{202e}");
    }
}
