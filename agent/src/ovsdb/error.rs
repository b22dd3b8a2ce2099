//! The error type of the OVSDB client.

use serde_json::Value;
use std::fmt;

/// What can go wrong talking to an OVSDB server.
#[derive(Debug)]
pub enum Error {
    /// Connecting, reading or writing the socket failed.
    Io(std::io::Error),
    /// The connection is closed (by the server, an I/O error or a protocol violation).
    Disconnected,
    /// The server's reply carried a non-null `error` member.
    Rpc {
        /// The request's method.
        method: String,
        /// The `error` member, rendered as text.
        error: String,
    },
    /// An operation of a `transact` failed. `index` equal to the number of operations means
    /// the commit itself failed (e.g. a referential integrity or constraint violation).
    Operation {
        /// Position of the failed operation.
        index: usize,
        /// Its `op` (`"commit"` for a commit failure).
        op: String,
        /// The `error` string (e.g. `"constraint violation"`).
        error: String,
        /// The `details` string, when the server gave one.
        details: Option<String>,
    },
    /// The server sent something this client does not understand.
    Protocol(String),
    /// A deadline passed.
    Timeout(String),
    /// A row the operation needs does not exist.
    NotFound(String),
    /// The database holds something that conflicts with the request.
    Conflict(String),
    /// ovs-vswitchd could not set up an interface (`ofport` -1 and the `error` column).
    Interface {
        /// The interface.
        name: String,
        /// Its `error` column.
        error: String,
    },
}

impl Error {
    /// Renders an RFC 7047 error object (`{"error": ..., "details": ...}`) or any other JSON.
    pub(crate) fn rpc(method: &str, error: &Value) -> Error {
        let error = match (error.get("error"), error.get("details")) {
            (Some(e), Some(d)) => format!("{}: {}", text(e), text(d)),
            (Some(e), None) => text(e),
            _ => text(error),
        };
        Error::Rpc {
            method: method.to_string(),
            error,
        }
    }
}

/// A JSON string without quotes, anything else as JSON.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "OVSDB connection: {e}"),
            Error::Disconnected => write!(f, "OVSDB connection closed"),
            Error::Rpc { method, error } => write!(f, "OVSDB {method} failed: {error}"),
            Error::Operation {
                index,
                op,
                error,
                details,
            } => {
                write!(
                    f,
                    "OVSDB transaction failed at operation {index} ({op}): {error}"
                )?;
                match details {
                    Some(d) => write!(f, ": {d}"),
                    None => Ok(()),
                }
            }
            Error::Protocol(m) => write!(f, "OVSDB protocol error: {m}"),
            Error::Timeout(m) => write!(f, "OVSDB: timed out {m}"),
            Error::NotFound(m) => write!(f, "OVSDB: not found: {m}"),
            Error::Conflict(m) => write!(f, "OVSDB: conflict: {m}"),
            Error::Interface { name, error } => write!(f, "interface {name} failed: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Io(e)
    }
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
