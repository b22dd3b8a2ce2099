//! [`TextError`]: why a piece of `ovs-ofctl` text could not be parsed.

use std::fmt;

/// A parse failure, naming the offending token and what was expected instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// A match field, keyword, action or instruction name that is not known.
    Unknown {
        /// What kind of name was looked up (`match field`, `action`, ...).
        what: &'static str,
        /// The token as written.
        token: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// A value that does not parse or is out of range.
    BadValue {
        /// The field, keyword or action the value belongs to.
        field: String,
        /// The value as written.
        value: String,
        /// What would have been accepted.
        expected: String,
    },
    /// A required part is absent.
    Missing {
        /// What is missing (`actions=`, `group_id=`, ...).
        what: &'static str,
    },
    /// A match field whose OpenFlow prerequisite is not in the match.
    Prerequisite {
        /// The field (specification name, e.g. `TCP_DST`).
        field: String,
        /// What the match needs as well.
        needs: String,
    },
    /// Malformed text: unbalanced parentheses, a misplaced keyword, a repeated field.
    Syntax {
        /// The text concerned.
        text: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl TextError {
    /// A bad value for `field`.
    pub(crate) fn bad(field: &str, value: &str, expected: impl Into<String>) -> TextError {
        TextError::BadValue {
            field: field.to_string(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    /// A syntax problem in `text`.
    pub(crate) fn syntax(text: &str, problem: impl Into<String>) -> TextError {
        TextError::Syntax {
            text: text.to_string(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::Unknown {
                what,
                token,
                expected,
            } => write!(f, "unknown {what} `{token}` (expected {expected})"),
            TextError::BadValue {
                field,
                value,
                expected,
            } => write!(f, "bad value `{value}` for `{field}`: expected {expected}"),
            TextError::Missing { what } => write!(f, "missing {what}"),
            TextError::Prerequisite { field, needs } => {
                write!(f, "match field {field} requires {needs}")
            }
            TextError::Syntax { text, problem } => write!(f, "in `{text}`: {problem}"),
        }
    }
}

impl std::error::Error for TextError {}
